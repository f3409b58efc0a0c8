"""`solve_equilibrium`: the Poisson–Boltzmann equilibrium of a junction."""

import equinox as eqx
import jax.numpy as jnp

from .._custom_types import concrete
from .._discretise.poisson import initial_guess, split
from .._discretise.problem import build_problem
from .._mesh import Mesh
from .._model.junction import Junction, Ohmic
from .._results.equilibrium import EquilibriumSolution, make_solution, richardson
from .newton import MAX_STEPS_REACHED, NONFINITE, Newton, implicit_solve


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
    Poisson's
    equation $\\nabla\\cdot(\\varepsilon\\nabla\\phi) = -\\rho$ with the boundary and interface
    conditions
    of the junction (Gauss's law with σ_f at interfaces). Solved by damped Newton on a graded
    finite-volume mesh with O(N) bordered tridiagonal solves, compiled with `jax.jit`.

    Differentiable in every float of the junction (`jax.grad`, `jax.jacfwd`) by the implicit
    function theorem, and batched by `jax.vmap` over stacked junctions (pass `mesh=` then).

    **Arguments:**

    - `junction`: the `Junction`.
    - `mesh`: a `Mesh`; default `Mesh.auto(junction)` (needs concrete values: build it outside
      `jit`/`vmap`/`grad` and pass it in there).
    - `solver`: `Newton` settings.
    - `throw`: raise if the solve fails (default). With `throw=False` inspect `result`,
      `iterations` and `residual` of the returned solution instead.
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
    for side, boundary in (("left", junction.left), ("right", junction.right)):
        bias = (
            concrete(getattr(boundary, "potential", None)) if isinstance(boundary, Ohmic) else None
        )
        if bias is not None and bias != 0:
            raise ValueError(
                f"solve_equilibrium: the {side} Ohmic contact is biased ({float(bias):.4g} V), "
                "which drives a current; use solve_steady_state (or Ohmic(potential=0.0))"
            )
    if mesh is None:
        mesh = Mesh.auto(junction)
    return _solve(junction, mesh, solver, throw, extrapolate)


@eqx.filter_jit
def _solve(
    junction: Junction, mesh: Mesh, solver: Newton, throw: bool, extrapolate: bool
) -> EquilibriumSolution:
    problem, y, stats = _solve_on(junction, mesh, solver, throw)
    if not extrapolate:
        return make_solution(problem, y, *stats, junction.temperature)
    # the refined solve starts from the coarse solution, interpolated to the new midpoints
    u, g_free = split(problem, y)
    interpolated = jnp.stack([u[:-1], 0.5 * (u[:-1] + u[1:])], axis=1).reshape(-1)
    start = jnp.concatenate([interpolated, u[-1:], g_free])
    fine_problem, y_fine, fine_stats = _solve_on(
        junction, mesh.refined(), solver, throw, start=start
    )
    stats = (
        stats[0] + fine_stats[0],
        jnp.maximum(stats[1], fine_stats[1]),
        jnp.maximum(stats[2], fine_stats[2]),
    )
    return richardson(problem, fine_problem, y, y_fine, stats, junction.temperature)


def _solve_on(junction: Junction, mesh: Mesh, solver: Newton, throw: bool, start=None):
    problem = build_problem(junction, mesh)
    y0 = initial_guess(problem) if start is None else start
    y, iterations, rel, code = implicit_solve(problem, y0, solver)
    if throw:
        y = eqx.error_if(
            y,
            code == MAX_STEPS_REACHED,
            "solve_equilibrium: Newton did not converge within max_steps. Re-run with "
            "throw=False and inspect .iterations and .residual; raise Newton(max_steps=...) or "
            "check the inputs (potentials many eV apart, concentrations beyond float range).",
        )
        y = eqx.error_if(
            y,
            code == NONFINITE,
            "solve_equilibrium: the solve produced non-finite values. Re-run with throw=False "
            "to inspect; check for extreme inputs (energies of tens of eV, densities of 0).",
        )
    return problem, y, (iterations, rel, code)
