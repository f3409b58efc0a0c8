"""`solve_transient`: Poisson–Nernst–Planck in time, from picoseconds to hours."""

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._custom_types import concrete
from .._discretise.transport import TransportSystem, check_transport
from .._discretise.transport_rows import differential_mask, rows
from .._mesh import Mesh
from .._model.drives import make_drive
from .._model.junction import Junction
from .._program import program
from .._results.transport import TransportSolution, make_solution
from .._solution import RESULTS, check_outputs, raise_if_failed, worst
from .esdirk import DAEKvaerno5, NewtonSettings
from .stepping import TimeStepping
from .transport_start import prepare


def solve_transient(
    junction: Junction,
    times,
    *,
    voltage=None,
    current=None,
    initial="equilibrium",
    mesh: Mesh | None = None,
    stepping: TimeStepping = TimeStepping(),
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
    (see `pnpjax._solvers.esdirk`); 15 decades of time in one call are routine.

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
    - `stepping`: the `TimeStepping` settings; default `TimeStepping()`: `rtol=1e-6`,
      `atol=1e-10` (relative to each carrier's largest bulk concentration), `max_steps=20000`
      and no steady-state stop (`steady_tolerance=None`).
    - `adjoint`: a diffrax adjoint for reverse-mode gradients (default
      `diffrax.RecursiveCheckpointAdjoint()`; stage solutions carry implicit derivatives).
    - `throw`: raise if the integration fails; with `throw=False` inspect `result`.

    **Returns:** a `TransportSolution` at `times`.

    **References:** see `pnpjax._discretise.transport_rows` and `pnpjax._solvers.esdirk`.
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
    if not isinstance(stepping, TimeStepping):
        raise TypeError(
            f"solve_transient: stepping must be a pnpjax.TimeStepping, got {type(stepping)}"
        )
    check_transport(junction)
    if mesh is None:
        mesh = Mesh.auto(junction)
    drive = make_drive(voltage, current)
    drive.check(junction)
    solution = _transient(
        junction,
        jnp.asarray(times, dtype=jnp.float64),
        drive,
        initial,
        mesh,
        stepping,
        adjoint or diffrax.RecursiveCheckpointAdjoint(),
        drive.jumps(),
    )
    return raise_if_failed(solution, solution.result, throw)


@program
def _transient(
    junction,
    times,
    drive,
    initial,
    mesh,
    stepping: TimeStepping,
    adjoint,
    jumps,
):
    # the initial state is made consistent (φ follows the drive's value at t = 0: a step at
    # t = 0 acts at once) in the first step of the integration
    start = prepare(junction, mesh, drive, initial, consistent=False)
    system, y0 = start.system, start.y0
    t0 = system.time_scale
    ts = times / t0
    # diffrax integrates s = t̂/span over [0, 1]: a constant t1 (see `DAEKvaerno5.time_unit`)
    span = ts[-1]
    # ≤ 1 whatever the rounding of the division (XLA may multiply by a reciprocal)
    saves = jnp.minimum(ts / span, 1.0).at[-1].set(1.0)
    rtol, atol, steady_tolerance = stepping.rtol, stepping.atol, stepping.steady_tolerance
    solver = DAEKvaerno5(rtol=rtol, atol=atol, newton=NewtonSettings(), time_unit=span)
    controller = diffrax.PIDController(
        rtol=rtol,
        atol=atol,
        pcoeff=0.3,
        icoeff=0.3,
        dcoeff=0.0,
        step_ts=saves,
        jump_ts=None if jumps is None else jumps / t0 / span,
    )
    event = None
    if steady_tolerance is not None:
        mask = jnp.asarray(differential_mask(system))

        def steady(s, y, args, **kwargs):
            t = s * span
            rates = jnp.where(mask, rows(args, t, y), 0.0)
            scale = jnp.abs(y) + atol
            relative = jnp.max(jnp.abs(rates) * t / scale)
            # only from the first save time on: at t → 0 every |ẏ|t is small
            return (s >= saves[0]) & (relative < steady_tolerance)

        event = diffrax.Event(steady)
    dt0 = jax.lax.stop_gradient(jnp.minimum(ts[0], 1e-3 * _fastest_time(system)) * 1e-2 / span)
    solution = diffrax.diffeqsolve(
        diffrax.ODETerm(lambda s, y, args: span * rows(args, s * span, y)),
        solver,
        t0=0.0,
        t1=1.0,
        dt0=dt0,
        y0=y0,
        args=system,
        saveat=diffrax.SaveAt(ts=saves, solver_state=True),
        stepsize_controller=controller,
        max_steps=stepping.max_steps,
        adjoint=adjoint,
        event=event,
        throw=False,
    )
    ys = solution.ys
    result = RESULTS.promote(solution.result)
    if steady_tolerance is not None:
        # the steady-state event is how the integration should end
        stopped = result == RESULTS.event_occurred
        result = RESULTS.where(stopped, RESULTS.successful, result)
        # saved times after the event are filled with inf by diffrax: hold the final state
        finite = jnp.all(jnp.isfinite(ys), axis=1)
        last = jnp.max(jnp.where(finite, jnp.arange(ys.shape[0]), 0))
        ys = jnp.where(finite[:, None], ys, ys[last])
    inconsistent = solution.solver_state.inconsistent
    result = RESULTS.where(inconsistent, RESULTS.inconsistent_initial_state, result)
    result = worst(start.result, result)
    steps = solution.stats["num_accepted_steps"]
    out = make_solution(system, ts, ys, start.reference, result, steps)
    result = check_outputs(result, out.phi, out.current)
    return eqx.tree_at(lambda s: s.result, out, result)


def _fastest_time(system: TransportSystem):
    """The shortest physical time (scaled): the dielectric relaxation time of the most
    conductive phase, ε/(Σ z² D c) in scaled units, the thermal diffusion time across the
    smallest cell when heat is solved for, or 1."""
    problem = system.problem
    c_bulk = system.bulk_concentration
    conductivity = (problem.layout.z**2 * system.diffusivity * c_bulk).sum(axis=1)
    tau = jnp.min(problem.eps_r / jnp.maximum(conductivity, 1e-300))
    if system.heat is not None:
        heat = system.heat
        h = jnp.min(problem.x[1:] - problem.x[:-1])
        diffusion = jnp.max(heat.conductivity / heat.capacity)
        tau = jnp.minimum(tau, h**2 / jnp.maximum(diffusion, 1e-300))
    return jnp.minimum(tau, 1.0)
