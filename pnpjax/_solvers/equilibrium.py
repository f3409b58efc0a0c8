"""`solve_equilibrium`: the Poisson–Boltzmann equilibrium of a junction."""

import equinox as eqx
import jax.numpy as jnp

from .._discretise.phases import Bulk, bulk_state
from .._discretise.poisson import EquilibriumSystem, full_potentials, initial_guess, split
from .._discretise.problem import Problem, build_problem
from .._mesh import Mesh
from .._model.junction import Junction
from .._program import program
from .._results.equilibrium import EquilibriumSolution, make_solution, richardson
from .._solution import check_outputs, raise_if_failed, worst
from . import newton
from .newton import Newton


def solve_equilibrium(
    junction: Junction,
    *,
    mesh: Mesh | None = None,
    solver: Newton = Newton(),
    throw: bool = True,
    extrapolate: bool = False,
) -> EquilibriumSolution:
    """Solve for the thermodynamic equilibrium of `junction`.

    Every mobile species has a uniform electrochemical potential in each region it can reach,
    $\\tilde\\mu_i = \\mu_i^\\circ + k_BT\\ln(c_i/N_i) + z_ie\\phi$, and the potential obeys
    Poisson's equation $\\nabla\\cdot(\\varepsilon\\nabla\\phi) = -\\rho$ with the boundary and
    interface conditions of the junction (Gauss's law with σ_f at interfaces). Solved by damped
    Newton on a graded finite-volume mesh with O(N) bordered tridiagonal solves, compiled with
    `jax.jit`.

    Differentiable in every float of the junction (`jax.grad`, `jax.jacfwd`) by the implicit
    function theorem, and batched by `jax.vmap` over stacked junctions (pass `mesh=` then).

    **Arguments:**

    - `junction`: the `Junction`.
    - `mesh`: a `Mesh`; default `Mesh.auto(junction)` (needs concrete values: build it outside
      `jit`/`vmap`/`grad` and pass it in there).
    - `solver`: `Newton` settings.
    - `throw`: raise if the solve fails (default). With `throw=False` inspect `result`,
      `message`, `iterations` and `residual` of the returned solution instead.
    - `extrapolate`: also solve on `mesh.refined()` and return the Richardson extrapolation
      $(4y_{h/2} - y_h)/3$ on `mesh`'s nodes: fourth-order accurate where the solution is
      smooth, for about three times the cost of one solve. Results stay differentiable and
      batchable; `iterations` is then the sum over both solves.

    **Returns:** an `EquilibriumSolution` (SI units, energies in eV).

    **Reference:** J. Maier, *Physical Chemistry of Ionic Materials*, 2nd ed., Wiley (2023),
    ch. 5 (space-charge theory).
    """
    if not isinstance(junction, Junction):
        raise TypeError(f"solve_equilibrium: expected a pnpjax.Junction, got {type(junction)}")
    if not isinstance(solver, Newton):
        raise TypeError(f"solve_equilibrium: solver must be pnpjax.Newton, got {type(solver)}")
    for side, boundary in (("left", junction.left), ("right", junction.right)):
        boundary.check_equilibrium(side)
    if mesh is None:
        mesh = Mesh.auto(junction)
    solution = _solve(junction, mesh, solver, extrapolate)
    return raise_if_failed(solution, solution.result, throw)


@program
def _solve(
    junction: Junction, mesh: Mesh, solver: Newton, extrapolate: bool
) -> EquilibriumSolution:
    problem, out = solve_problem(junction, mesh, solver)
    if not extrapolate:
        bulk = equilibrium_bulk(problem, out.y)
        solution = make_solution(problem, out.y, out.steps, out.residual, out.result, bulk)
    else:
        # the refined solve starts from the coarse solution, interpolated to the new midpoints
        u, g_free = split(problem, out.y)
        interpolated = jnp.stack([u[:-1], 0.5 * (u[:-1] + u[1:])], axis=1).reshape(-1)
        start = jnp.concatenate([interpolated, u[-1:], g_free])
        fine_problem, fine = solve_problem(junction, mesh.refined(), solver, start=start)
        result = worst(out.result, fine.result)
        stats = (out.steps + fine.steps, jnp.maximum(out.residual, fine.residual), result)
        solution = richardson(problem, fine_problem, out.y, fine.y, stats)
    result = check_outputs(solution.result, solution.phi, solution.concentration)
    return eqx.tree_at(lambda s: s.result, solution, result)


def equilibrium_bulk(problem: Problem, y) -> Bulk:
    """Every phase's neutral bulk at the equilibrium `y`: the problem's own for an open state
    (its potentials are the equilibrium's), else evaluated at the solved potentials."""
    if problem.bulk is not None:
        return problem.bulk
    return bulk_state(problem.phases, full_potentials(problem, split(problem, y)[1]))


def solve_problem(
    junction: Junction, mesh: Mesh, solver: Newton, start=None
) -> tuple[Problem, newton.Solve]:
    """The discrete equilibrium of `junction` on `mesh` (traced; call inside `jit`): the
    `Problem` and the Newton outcome, whose root carries implicit derivatives."""
    problem = build_problem(junction, mesh)
    y0 = initial_guess(problem) if start is None else start
    system = EquilibriumSystem(problem)
    if not solver.continuation_steps:
        return problem, newton.solve(system, y0, solver)
    n = problem.n_nodes
    origin = jnp.stack([y0[1], y0[n - 2]])
    fractions = jnp.arange(solver.continuation_steps + 1, dtype=y0.dtype)
    fractions = fractions / solver.continuation_steps

    def prepare(fraction, y):
        held = origin + fraction * (problem.u_boundary - origin)
        for side, node in ((0, 0), (1, n - 1)):
            if problem.dirichlet[side]:
                y = y.at[node].set(held[side])
        return y

    _, out = newton.solve_stages(
        lambda fraction: system.staged(fraction, origin), fractions, y0, solver, prepare
    )
    return problem, out
