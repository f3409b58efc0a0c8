"""Where every transport solve starts: the equilibrium, the discrete transport system, and a
consistent initial state.

The equilibrium solve here is the equilibrium solver's own (`equilibrium.solve_problem`), on the
same `Problem`, so its program is the one `solve_equilibrium` compiles.
"""

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from .._discretise.poisson import full_potentials, half_box_concentrations, split
from .._discretise.steady import TransportRoot, to_state, to_variables
from .._discretise.transport import TransportSystem, build_system
from .._discretise.transport_rows import differential_mask
from .._mesh import Mesh
from .._model.drives import AbstractDrive
from .._model.junction import Junction
from .._solution import RESULTS, worst
from . import newton
from .equilibrium import equilibrium_bulk, solve_problem

INITIAL_STATES = ("equilibrium", "uniform")


def transport_newton(max_steps: int = 200) -> newton.Newton:
    """Newton settings of the transport rows (steady states, consistent states): converged
    when no component of the step (k_BT/e, or a log concentration) exceeds 1e-9."""
    return newton.Newton(max_steps=max_steps, atol=1e-9, rtol=0.0, residual_tol=None)


def transport_solver(solver: newton.Newton | None, caller: str) -> newton.Newton:
    """The Newton settings of a transport entry point: `solver`, or for `None` the default
    `Newton(max_steps=100, atol=1e-9, rtol=0.0, residual_tol=None)` (its `continuation_steps`
    `None`: the entry point's automatic staging)."""
    if solver is None:
        return transport_newton(max_steps=100)
    if not isinstance(solver, newton.Newton):
        raise TypeError(f"{caller}: solver must be a pnpjax.Newton or None, got {type(solver)}")
    if solver.continuation_steps == 0:
        raise ValueError(
            f"{caller}: solver.continuation_steps must be >= 1 here, got 0 (a transport solve "
            "ramps the drive from the equilibrium in at least one stage); pass "
            "Newton(continuation_steps=None) for the automatic staging, or a number >= 1"
        )
    return solver


class Start(eqx.Module):
    """`system`, its initial state `y0`, the equilibrium voltage `reference` (V) and the
    `result` of the equilibrium and initial-state solves."""

    system: TransportSystem
    y0: jnp.ndarray
    reference: jnp.ndarray
    result: RESULTS


def prepare(
    junction: Junction,
    mesh: Mesh,
    drive: AbstractDrive,
    initial="equilibrium",
    consistent: bool = True,
):
    """The `TransportSystem` of `junction` on `mesh` under `drive`, with its initial state.

    `initial`: `"equilibrium"` (the junction's Poisson–Boltzmann equilibrium), `"uniform"`
    (every phase at its neutral bulk composition, φ from Poisson) or a state array from a
    previous `TransportSolution.state[-1]` on the same mesh. With `consistent=False` a uniform
    start is left for the caller to make consistent (the transient does, in its first step).
    """
    problem, equilibrium = solve_problem(junction, mesh, newton.Newton())
    u_eq, g_free = split(problem, equilibrium.y)
    g = full_potentials(problem, g_free)
    system = build_system(junction, problem, g, drive, equilibrium_bulk(problem, equilibrium.y))
    reference = (u_eq[-1] - u_eq[0]) * problem.kT
    result = equilibrium.result
    if isinstance(initial, str):
        if initial not in INITIAL_STATES:
            raise ValueError(
                f"initial must be one of {INITIAL_STATES} or a state array, got {initial!r}"
            )
        if initial == "equilibrium":
            y0 = _equilibrium_state(system, u_eq, g)
        else:
            y0 = _uniform_state(system, u_eq, g)
            if consistent:
                y0, uniform = consistent_state(system, 0.0, y0)
                result = worst(result, uniform)
    else:
        y0 = jnp.asarray(initial, dtype=jnp.float64)
        expected = system.n_nodes * system.block
        if y0.shape != (expected,):
            raise ValueError(
                f"initial: a state array must have shape ({expected},) for this junction and "
                f"mesh, got {y0.shape}; pass solution.state[-1] of a run on the same mesh"
            )
    system = eqx.tree_at(lambda s: s.u_gauge, system, y0[0])
    return Start(system, y0, reference, result)


def _channel_state(system: TransportSystem, c_left, c_right):
    """Normalised channel amounts `[n, K]` of half-box concentrations."""
    problem = system.problem
    ch = system.channels
    left = jnp.where(ch.left.T, problem.vol_left[:, None] * c_left[:, ch.species], 0.0)
    right = jnp.where(ch.right.T, problem.vol_right[:, None] * c_right[:, ch.species], 0.0)
    return (left + right) / (system.scale * system.volume[:, None])


def _assemble(system: TransportSystem, u, yc):
    """The flat state `[u, amounts, (θ)]` per node; θ = 1 (the junction's temperature)."""
    columns = [u[:, None], yc]
    if system.heat is not None:
        columns.append(jnp.ones((system.n_nodes, 1)))
    return jnp.concatenate(columns, axis=1).reshape(-1)


def _equilibrium_state(system: TransportSystem, u, g):
    problem = system.problem
    n = problem.n_nodes
    c = half_box_concentrations(problem, u, g)
    return _assemble(system, u, _channel_state(system, c[:n], c[n:]))


def _uniform_state(system: TransportSystem, u_eq, g):
    problem = system.problem
    c_bulk = jnp.where(jnp.asarray(problem.layout.mobile), system.bulk_concentration, 0.0)
    c_left = c_bulk[np.maximum(problem.left_phase, 0)]
    c_right = c_bulk[np.maximum(problem.right_phase, 0)]
    return _assemble(system, u_eq, _channel_state(system, c_left, c_right))


def consistent_state(system: TransportSystem, t, y):
    """Solve the algebraic rows (Poisson, contacts) at time t with the amounts held: a
    consistent point of the DAE. Returns `(y, result)` (`inconsistent_initial_state` when it
    fails); y carries implicit derivatives."""
    mask = differential_mask(system)
    root = TransportRoot(
        transport=system,
        t=jnp.asarray(t, jnp.float64),
        targets=jnp.zeros(0),
        given=y,
        weights=np.zeros((0, system.channels.count)),
        pinned=mask,
    )
    out = newton.solve(root, to_variables(system, y), transport_newton())
    result = RESULTS.where(
        out.result == RESULTS.successful, RESULTS.successful, RESULTS.inconsistent_initial_state
    )
    return to_state(system, out.y), result
