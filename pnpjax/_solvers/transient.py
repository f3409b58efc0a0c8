"""`solve_transient`: Poisson–Nernst–Planck in time, from picoseconds to hours."""

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._custom_types import concrete
from .._discretise import transport_residual as residual
from .._discretise.poisson import bulk_concentrations, concentrations, full_potentials, split
from .._discretise.problem import build_problem
from .._discretise.transport import (
    TransportSystem,
    build_system,
    check_drive,
    check_transport,
    make_drive,
)
from .._mesh import Mesh
from .._model.junction import Junction
from .._model.waveforms import jump_ts
from .._results.transport import TransportSolution, make_solution
from .equilibrium import _solve_on
from .esdirk import DAEKvaerno5, NewtonSettings
from .esdirk import consistent_state as esdirk_consistent_state
from .newton import Newton

INITIAL_STATES = ("equilibrium", "uniform")


def prepare(junction: Junction, mesh: Mesh, voltage=None, current=None, initial="equilibrium"):
    """The `TransportSystem`, its consistent initial state and the reference voltage (V).

    `initial`: `"equilibrium"` (the junction's Poisson–Boltzmann equilibrium), `"uniform"`
    (every phase at its neutral bulk composition, φ from Poisson) or a state array from a
    previous `TransportSolution.state[-1]` on the same mesh.
    """
    drive = make_drive(voltage, current)
    check_drive(junction, drive)
    problem = build_problem(junction, mesh)
    _, y_eq, _ = _solve_on(junction, mesh, Newton(), True)
    u_eq, g_free = split(problem, y_eq)
    g = full_potentials(problem, g_free)
    system = build_system(junction, problem, g, drive)
    reference = (u_eq[-1] - u_eq[0]) * problem.kT
    if isinstance(initial, str):
        if initial not in INITIAL_STATES:
            raise ValueError(
                f"initial must be one of {INITIAL_STATES} or a state array, got {initial!r}"
            )
        y0 = _equilibrium_state(system, u_eq, g) if initial == "equilibrium" else None
        if initial == "uniform":
            y0 = _uniform_state(system, u_eq, g)
    else:
        y0 = jnp.asarray(initial, dtype=jnp.float64)
        expected = system.n_nodes * system.block
        if y0.shape != (expected,):
            raise ValueError(
                f"initial: a state array must have shape ({expected},) for this junction and "
                f"mesh, got {y0.shape}; pass solution.state[-1] of a run on the same mesh"
            )
    system = eqx.tree_at(lambda s: s.u_gauge, system, y0[0])
    return system, y0, reference


def _channel_state(system: TransportSystem, c_left, c_right):
    problem = system.problem
    ch = system.channels
    amount = []
    for k in range(ch.count):
        s = ch.species[k]
        amount.append(
            jnp.where(ch.left[k], problem.vol_left * c_left[:, s], 0.0)
            + jnp.where(ch.right[k], problem.vol_right * c_right[:, s], 0.0)
        )
    amount = jnp.stack(amount, axis=1)
    return amount / (system.scale * system.volume[:, None])


def _equilibrium_state(system: TransportSystem, u, g):
    problem = system.problem
    c_left = concentrations(problem, problem.left_phase, u, g, problem.shift_left)
    c_right = concentrations(problem, problem.right_phase, u, g, problem.shift_right)
    c_left = c_left - problem.frozen[np.maximum(problem.left_phase, 0)]
    c_right = c_right - problem.frozen[np.maximum(problem.right_phase, 0)]
    yc = _channel_state(system, c_left, c_right)
    return _assemble(system, u, yc)


def _assemble(system: TransportSystem, u, yc):
    """The flat state `[u, amounts, (θ)]` per node; θ = 1 (the junction's temperature)."""
    columns = [u[:, None], yc]
    if system.heat is not None:
        columns.append(jnp.ones((system.n_nodes, 1)))
    return jnp.concatenate(columns, axis=1).reshape(-1)


def _uniform_state(system: TransportSystem, u_eq, g):
    problem = system.problem
    c_bulk, _, _ = bulk_concentrations(problem, g)
    mobile = jnp.asarray(problem.layout.mobile)
    c_bulk = jnp.where(mobile, c_bulk, 0.0)
    c_left = c_bulk[np.maximum(problem.left_phase, 0)]
    c_right = c_bulk[np.maximum(problem.right_phase, 0)]
    yc = _channel_state(system, c_left, c_right)
    return consistent_state(system, 0.0, _assemble(system, u_eq, yc))


def consistent_state(system: TransportSystem, t, y):
    """Solve the algebraic rows (Poisson, contacts) for φ with the amounts held: a consistent
    starting point for the DAE."""
    y_new, ok = esdirk_consistent_state(system, t, y)
    return eqx.error_if(y_new, ~ok, "solve_transient: the initial state has no consistent φ")


def solve_transient(
    junction: Junction,
    times,
    *,
    voltage=None,
    current=None,
    initial="equilibrium",
    mesh: Mesh | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-10,
    max_steps: int = 20000,
    steady_tolerance: float | None = None,
    adjoint: diffrax.AbstractAdjoint | None = None,
    throw: bool = True,
) -> TransportSolution:
    """Integrate the Poisson–Nernst–Planck equations of `junction` in time.

    Every mobile carrier obeys $\\partial_t c_i = -\\nabla\\cdot J_i + \\sum_r\\nu_{ir}r_r$ with
    $J_i = -D_ic_i\\nabla(\\ln a_i + z_ie\\phi/k_BT)$ (the generalised Nernst–Planck flux, with
    the activity models of its phase) and φ obeys Poisson's equation at every instant; interfaces
    and contacts as declared on the junction (transparent, blocked, `ButlerVolmer`; `Electrode`,
    `Ohmic`, insulating `Bulk`/`Symmetry`). The DAE is integrated with a stiffly accurate
    ESDIRK method inside diffrax's adaptive loop, with O(N) block-tridiagonal linear algebra
    (see `pnpjax._dynamics.esdirk`); 15 decades of time in one call are routine.

    With thermal boundaries on the junction (`Junction(thermal_left=..., thermal_right=...)`)
    the temperature is a field too: the fluxes carry the Soret term, the heat flux the Dufour
    term, and every box's energy balance gives T (Joule, Peltier and reaction heat; see
    `pnpjax.ThermalTransport`). The run starts at the junction's temperature everywhere, the
    ends of `FixedTemperature` at theirs.

    **Arguments:**

    - `junction`: the `Junction`; every mobile charged carrier needs a `diffusivity` (m^2/s).
    - `times`: increasing times (s) at which to save, all > 0; integration runs from t = 0 to
      the last one.
    - `voltage`: potential (V) added to the right contact's potential, a number, a waveform
      (`Step`, `LinearSweep`, `CyclicSweep`, `Sinusoid`, `Custom`, sums of them) or any JAX
      function of t (s). The right end must be an `Electrode` or `Ohmic` contact.
    - `current`: instead, the current density (A/m^2 planar) driven through the device
      (galvanostatic; 0 is open circuit): contacts at both ends needed.
    - `initial`: `"equilibrium"` (default), `"uniform"` or `solution.state[-1]` of an earlier run
      on the same mesh.
    - `mesh`: a `Mesh`; default `Mesh.auto(junction)`.
    - `rtol`, `atol`: error tolerances; `atol` is relative to each carrier's largest bulk
      concentration.
    - `max_steps`: step limit.
    - `steady_tolerance`: if given, stop as soon as, at or after the first save time, every
      relative rate $|\\dot y|\\,t/|y|$ falls below it (a steady-state event); the remaining
      saved times repeat the final state.
    - `adjoint`: a diffrax adjoint for reverse-mode gradients (default
      `diffrax.RecursiveCheckpointAdjoint()`; stage solutions carry implicit derivatives).
    - `throw`: raise if the integration fails; with `throw=False` inspect `result`.

    **Returns:** a `TransportSolution` at `times`.

    **References:** see `pnpjax._dynamics.residual` and `pnpjax._dynamics.esdirk`.
    """
    if not isinstance(junction, Junction):
        raise TypeError(f"solve_transient: expected a pnpjax.Junction, got {type(junction)}")
    times_np = concrete(times)
    if times_np is not None:
        times_np = np.atleast_1d(times_np)
        if times_np.ndim != 1 or times_np.size == 0:
            raise ValueError("solve_transient: times must be a non-empty 1D array (s)")
        if (
            np.any(times_np <= 0)
            or np.any(np.diff(times_np) <= 0)
            or not np.all(np.isfinite(times_np))
        ):
            raise ValueError(
                "solve_transient: times (s) must be finite, > 0 and strictly increasing; the "
                "integration starts at t = 0"
            )
    if not (0 < rtol < 1 and atol > 0):
        raise ValueError(f"solve_transient: need 0 < rtol < 1 and atol > 0, got {rtol}, {atol}")
    check_transport(junction)
    if mesh is None:
        mesh = Mesh.auto(junction)
    drive = make_drive(voltage, current)
    check_drive(junction, drive)
    jumps = jump_ts(drive.waveform) if drive.waveform is not None else None
    return _transient(
        junction,
        jnp.asarray(times, dtype=jnp.float64),
        voltage,
        current,
        initial,
        mesh,
        rtol,
        atol,
        max_steps,
        steady_tolerance,
        adjoint or diffrax.RecursiveCheckpointAdjoint(),
        throw,
        jumps,
    )


@eqx.filter_jit
def _transient(
    junction,
    times,
    voltage,
    current,
    initial,
    mesh,
    rtol,
    atol,
    max_steps,
    steady_tolerance,
    adjoint,
    throw,
    jumps,
):
    system, y0, reference = prepare(junction, mesh, voltage, current, initial)
    # φ follows the drive's value at t = 0 (a step at t = 0 acts at once)
    y0 = consistent_state(system, 0.0, y0)
    t0 = system.time_scale
    ts = times / t0
    solver = DAEKvaerno5(rtol=rtol, atol=atol, newton=NewtonSettings())
    controller = diffrax.PIDController(
        rtol=rtol,
        atol=atol,
        pcoeff=0.3,
        icoeff=0.3,
        dcoeff=0.0,
        step_ts=ts,
        jump_ts=None if jumps is None else jumps / t0,
    )
    event = None
    if steady_tolerance is not None:
        mask = jnp.asarray(residual.differential_mask(system))

        def steady(t, y, args, **kwargs):
            rates = jnp.where(mask, residual.rows(args, t, y), 0.0)
            scale = jnp.abs(y) + atol
            relative = jnp.max(jnp.abs(rates) * t / scale)
            # only from the first save time on: at t → 0 every |ẏ|t is small
            return (t >= ts[0]) & (relative < steady_tolerance)

        event = diffrax.Event(steady)
    dt0 = jax.lax.stop_gradient(jnp.minimum(ts[0], 1e-3 * _fastest_time(system)) * 1e-2)
    solution = diffrax.diffeqsolve(
        diffrax.ODETerm(lambda t, y, args: residual.rows(args, t, y)),
        solver,
        t0=0.0,
        t1=ts[-1],
        dt0=dt0,
        y0=y0,
        args=system,
        saveat=diffrax.SaveAt(ts=ts),
        stepsize_controller=controller,
        max_steps=max_steps,
        adjoint=adjoint,
        event=event,
        throw=False,
    )
    ys = solution.ys
    failed = solution.result != diffrax.RESULTS.successful
    if steady_tolerance is not None:
        stopped = solution.result == diffrax.RESULTS.event_occurred
        failed = failed & ~stopped
        # saved times after the event are filled with inf by diffrax: hold the final state
        finite = jnp.all(jnp.isfinite(ys), axis=1)
        last = jnp.max(jnp.where(finite, jnp.arange(ys.shape[0]), 0))
        ys = jnp.where(finite[:, None], ys, ys[last])
    if throw:
        ys = eqx.error_if(
            ys,
            failed,
            "solve_transient: the integration failed (step limit reached or steps rejected "
            "down to zero). Re-run with throw=False and inspect .result; raise max_steps, "
            "loosen rtol, or check the drive (a voltage jump of many volts at once is hard; "
            "give the Step a rise_time)",
        )
    code = jnp.where(failed, 1, 0)
    steps = solution.stats["num_accepted_steps"]
    return make_solution(system, ts, ys, reference, code, steps)


def _fastest_time(system: TransportSystem):
    """The shortest physical time (scaled): the dielectric relaxation time of the most
    conductive phase, ε/(Σ z² D c) in scaled units, the thermal diffusion time across the
    smallest cell when heat is solved for, or 1."""
    problem = system.problem
    c_bulk, _, _ = bulk_concentrations(problem, system.g)
    conductivity = (problem.layout.z**2 * system.diffusivity * c_bulk).sum(axis=1)
    tau = jnp.min(problem.eps_r / jnp.maximum(conductivity, 1e-300))
    if system.heat is not None:
        heat = system.heat
        h = jnp.min(problem.x[1:] - problem.x[:-1])
        diffusion = jnp.max(heat.conductivity / heat.capacity)
        tau = jnp.minimum(tau, h**2 / jnp.maximum(diffusion, 1e-300))
    return jnp.minimum(tau, 1.0)
