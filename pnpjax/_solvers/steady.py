"""`solve_steady_state` and `iv_curve`: Poisson–Nernst–Planck steady states under bias."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._constants import BOLTZMANN_EV
from .._custom_types import concrete
from .._discretise.steady import TransportRoot, conservation_vectors, to_state, to_variables, totals
from .._discretise.transport import TransportSystem, check_transport
from .._mesh import Mesh
from .._model.drives import AbstractDrive, make_drive
from .._model.junction import Junction
from .._model.waveforms import AbstractWaveform
from .._program import program
from .._results.transport import TransportSolution, make_solution
from .._solution import RESULTS, check_outputs, raise_if_failed, worst
from . import newton
from .newton import Newton
from .transport_start import prepare, transport_solver


def check_bias(name, value, caller="solve_steady_state"):
    """A steady drive must be a finite number (V or A/m²)."""
    if isinstance(value, AbstractWaveform) or callable(value):
        raise TypeError(
            f"{caller}: {name} must be a number (a steady state has a constant "
            "drive); use solve_transient for waveforms"
        )
    arr = concrete(value)
    if arr is not None and (np.ndim(arr) != 0 or not np.isfinite(arr)):
        raise ValueError(f"{caller}: {name} must be a finite scalar, got {value!r}")


def _at_stage(system: TransportSystem, bias, ramp) -> TransportSystem:
    """The system with its drive held at `bias` and its thermal boundary values a fraction
    `ramp` of the way from the junction's temperature."""
    system = eqx.tree_at(lambda s: s.drive, system, system.drive.at(bias))
    if system.heat is not None:
        system = eqx.tree_at(lambda s: s.heat.ramp, system, ramp)
    return system


def _root(system: TransportSystem, weights, targets) -> TransportRoot:
    return TransportRoot(
        transport=system,
        t=jnp.zeros(()),
        targets=targets,
        given=None,
        weights=weights,
        pinned=None,
    )


def solve_steady_state(
    junction: Junction,
    *,
    voltage=None,
    current=None,
    mesh: Mesh | None = None,
    solver: Newton | None = None,
    throw: bool = True,
) -> TransportSolution:
    """The steady state of `junction` under a constant applied voltage or current.

    Solves $\\nabla\\cdot J_i = \\sum_r \\nu_{ir}r_r$ for every carrier together with Poisson's
    equation by damped Newton (O(N) bordered block-tridiagonal solves), from the equilibrium,
    ramping the drive in `solver.continuation_steps` stages. Amounts that no contact, reaction or
    transfer can change (e.g. ions between blocking electrodes) keep their equilibrium values.
    At zero drive the result is the equilibrium solver's solution. Differentiable in every
    parameter by the implicit function theorem. With thermal boundaries on the junction the
    temperature profile is solved too (the boundary temperatures ramped with the bias); one end
    must then hold a temperature (`FixedTemperature` or `Convective`).

    **Arguments:**

    - `junction`: the `Junction` (diffusivities needed on every mobile charged carrier).
    - `voltage`: bias (V) added to the right contact's potential (an `Electrode`, `Ohmic` or
      `SchottkyContact`).
    - `current`: instead, the current density (A/m^2 planar) through the device.
    - `mesh`: a `Mesh`; default `Mesh.auto(junction)`.
    - `solver`: the `Newton` settings; default (`None`) `Newton(max_steps=100, atol=1e-9,
      rtol=0.0, residual_tol=None)`: at most 100 iterations per stage, converged when no
      component of the step exceeds 1e-9 (k_BT/e, or a natural log of an amount).
      `max_steps` is the iteration limit per stage; `continuation_steps` the number of bias
      stages (>= 1), `None` for one per 2 k_BT/e of |voltage| (at least 1; 1 for a current;
      with heat transport at least one per 10 % of a boundary temperature's departure from
      the junction's).
    - `throw`: raise if a stage does not converge; with `throw=False` inspect `result`.

    **Returns:** a `TransportSolution` with a single time (t = ∞ reported as `inf`).
    """
    if not isinstance(junction, Junction):
        raise TypeError(f"solve_steady_state: expected a pnpjax.Junction, got {type(junction)}")
    solver = transport_solver(solver, "solve_steady_state")
    for name, value in (("voltage", voltage), ("current", current)):
        if value is not None:
            check_bias(name, value)
    check_transport(junction)
    check_steady_heat(junction, "solve_steady_state")
    if voltage is None and current is None:
        voltage = 0.0 if junction.right.fixes_potential else None
    drive = make_drive(voltage, current)
    drive.check(junction)
    if mesh is None:
        mesh = Mesh.auto(junction)
    try:
        steps = continuation_stages(junction, voltage, current, solver.continuation_steps)
    except ValueError as error:
        raise ValueError(f"solve_steady_state: {error}") from None
    # arrays, not Python floats, so that another bias reuses the compiled solve
    drive = drive.at(jnp.asarray(drive.value(), jnp.float64))
    solution = _steady(junction, drive, mesh, solver, steps)
    return raise_if_failed(solution, solution.result, throw)


def check_steady_heat(junction: Junction, caller: str):
    """A steady state with heat transport needs an end that exchanges heat with a fixed
    temperature (adiabatic ends let Joule heat accumulate forever, and leave the temperature
    level undetermined at zero bias) and conduction in every phase."""
    if not junction.heat_transport:
        return
    ends = (junction.thermal_left, junction.thermal_right)
    if all(boundary.temperature_scale() is None for boundary in ends):
        raise ValueError(
            f"{caller}: with heat transport a steady state needs an end held at a temperature; "
            "both thermal boundaries are HeatFlux. Use FixedTemperature or Convective at one "
            "end (or solve_transient for an adiabatic junction)"
        )
    for phase in junction.phases:
        kappa, _, _ = phase.thermal.coefficients(phase.carriers, 1.0)
        value = concrete(kappa)
        if value is not None and value <= 0:
            raise ValueError(
                f"{caller}: phase {phase.name!r} conducts no heat (conductivity 0); a steady "
                "temperature profile needs conductivity > 0 (W m^-1 K^-1) in every phase"
            )


def continuation_stages(junction: Junction, voltage, current, continuation_steps) -> int:
    """Number of bias stages: `continuation_steps` (a `Newton`'s), or for `None` one per
    2 k_BT/e of |voltage| and, with heat transport, at least one per 10 % of a boundary
    temperature's departure from the junction's."""
    steps = continuation_steps
    if steps is None:
        v = concrete(voltage) if voltage is not None else None
        t0 = concrete(junction.temperature)
        kT = BOLTZMANN_EV * float(t0 if t0 is not None else 298.15)
        steps = max(1, int(np.ceil(abs(float(v)) / (2 * kT)))) if v is not None else 1
        if junction.heat_transport and t0 is not None:
            for boundary in (junction.thermal_left, junction.thermal_right):
                value = boundary.temperature_scale()
                value = None if value is None else concrete(value)
                if value is not None:
                    steps = max(steps, int(np.ceil(abs(float(value) / float(t0) - 1) / 0.1)))
    if steps < 1:
        raise ValueError(f"continuation_steps must be >= 1, got {steps}")
    return steps


class OperatingPoint(eqx.Module):
    """A steady state: `system` (its drive at the target), the state `y`, the equilibrium
    voltage `reference` (V), the Newton `steps` of all stages and the `result`."""

    system: TransportSystem
    y: jax.Array
    reference: jax.Array
    steps: jax.Array
    result: RESULTS


def operating_point(
    junction: Junction, drive: AbstractDrive, mesh: Mesh, solver: Newton, steps: int
) -> OperatingPoint:
    """The steady state of `junction` under the constant `drive`, from the equilibrium in
    `steps` continuation stages of `solver` (traced; call inside `jit`)."""
    start = prepare(junction, mesh, drive.at(jnp.zeros(())))
    system = start.system
    weights = conservation_vectors(system)
    targets = totals(system, weights, start.y0)
    fractions = jnp.arange(1, steps + 1, dtype=jnp.float64) / steps
    target = drive.value()

    def stage(p):
        bias, ramp = p
        return _root(_at_stage(system, bias, ramp), weights, targets)

    _, out = newton.solve_stages(
        stage, (target * fractions, fractions), to_variables(system, start.y0), solver
    )
    final = _at_stage(system, target, jnp.ones(()))
    result = worst(start.result, out.result)
    return OperatingPoint(final, to_state(final, out.y), start.reference, out.steps, result)


@program
def _steady(junction, drive, mesh, solver, steps):
    point = operating_point(junction, drive, mesh, solver, steps)
    solution = make_solution(
        point.system,
        jnp.array([jnp.inf]),
        point.y[None],
        point.reference,
        point.result,
        point.steps,
    )
    result = check_outputs(point.result, solution.phi, solution.current)
    return eqx.tree_at(lambda s: s.result, solution, result)


def iv_curve(
    junction: Junction,
    voltages,
    *,
    mesh: Mesh | None = None,
    solver: Newton | None = None,
    throw: bool = True,
) -> TransportSolution:
    """Steady states along a list of applied voltages (V), in one compiled call.

    The voltages are visited in the order given, each solved from the previous one (continuation
    in `solver.continuation_steps` stages per interval; default one stage per 2 k_BT/e of the
    largest interval), starting from equilibrium at 0 V. The result has one "time" per voltage:
    use `.voltage` and `.current` (and its ionic/electronic parts) for the curve,
    `.phi`/`.concentration` for the profiles.

    **Arguments:**

    - `junction`: the `Junction`; its right end must hold a potential (`Electrode`, `Ohmic`,
      `SchottkyContact`).
    - `voltages`: 1D array of biases (V).
    - `mesh`, `throw`: as in `solve_steady_state`.
    - `solver`: the `Newton` settings; default (`None`) as in `solve_steady_state`,
      `Newton(max_steps=100, atol=1e-9, rtol=0.0, residual_tol=None)`. Its
      `continuation_steps` is the number of stages that reach each voltage from the previous
      one (>= 1; `None`: one per 2 k_BT/e of the largest interval, 4 for traced voltages), and
      with heat transport also the number of stages that first bring the thermal boundaries
      to their values at 0 V.
    """
    if not isinstance(junction, Junction):
        raise TypeError(f"iv_curve: expected a pnpjax.Junction, got {type(junction)}")
    solver = transport_solver(solver, "iv_curve")
    v = concrete(voltages)
    if v is not None and (np.ndim(v) != 1 or v.size == 0 or not np.all(np.isfinite(v))):
        raise ValueError("iv_curve: voltages must be a non-empty 1D array of finite values (V)")
    check_transport(junction)
    check_steady_heat(junction, "iv_curve")
    make_drive(0.0, None).check(junction)
    if mesh is None:
        mesh = Mesh.auto(junction)
    substeps = solver.continuation_steps
    if substeps is None:
        kT = BOLTZMANN_EV * float(concrete(junction.temperature) or 298.15)
        if v is None:
            substeps = 4
        else:
            jumps = np.abs(np.diff(np.concatenate([[0.0], v])))
            substeps = max(1, int(np.ceil(jumps.max() / (2 * kT))))
    solution = _iv(junction, jnp.asarray(voltages, jnp.float64), mesh, solver, substeps)
    return raise_if_failed(solution, solution.result, throw)


@program
def _iv(junction, voltages, mesh, solver, substeps):
    start = prepare(junction, mesh, make_drive(jnp.zeros(()), None))
    system = start.system
    weights = conservation_vectors(system)
    targets = totals(system, weights, start.y0)
    previous = jnp.concatenate([jnp.zeros(1), voltages[:-1]])
    fractions = jnp.arange(1, substeps + 1, dtype=jnp.float64) / substeps
    path = (previous[:, None] + (voltages - previous)[:, None] * fractions).reshape(-1)
    ramps = jnp.ones_like(path)
    if system.heat is not None:
        # first the thermal boundary values at 0 V, then the voltages
        path = jnp.concatenate([jnp.zeros(substeps), path])
        ramps = jnp.concatenate([fractions, jnp.ones(path.shape[0] - substeps)])

    def stage(p):
        bias, ramp = p
        return _root(_at_stage(system, bias, ramp), weights, targets)

    ys, out = newton.solve_stages(stage, (path, ramps), to_variables(system, start.y0), solver)
    if system.heat is not None:
        ys = ys[substeps:]
    ys = ys[substeps - 1 :: substeps]
    # every point of the curve is a root: each carries its own implicit derivative
    ones = jnp.ones_like(voltages)
    ys = jax.vmap(lambda p, y: newton.implicit(stage(p), y))((voltages, ones), ys)
    result = worst(start.result, out.result)

    def one(v, y):
        staged = _at_stage(system, v, jnp.ones(()))
        return make_solution(
            staged, jnp.array([jnp.inf]), to_state(staged, y)[None], start.reference, result, 0
        )

    sols = jax.vmap(one)(voltages, ys)
    squeeze = lambda a: a[:, 0]  # noqa: E731
    solution = TransportSolution(
        species=sols.species,
        channels=sols.channels,
        t=voltages,
        x=sols.x[0],
        phase=sols.phase[0],
        phi=squeeze(sols.phi),
        concentration=squeeze(sols.concentration),
        current=squeeze(sols.current),
        ionic_current=squeeze(sols.ionic_current),
        electronic_current=squeeze(sols.electronic_current),
        displacement_current=squeeze(sols.displacement_current),
        voltage=squeeze(sols.voltage),
        electrode_charge=squeeze(sols.electrode_charge),
        amounts=squeeze(sols.amounts),
        temperature=squeeze(sols.temperature),
        heat_flux=squeeze(sols.heat_flux),
        entropy_production=squeeze(sols.entropy_production),
        state=squeeze(sols.state),
        result=result,
        steps=out.steps,
    )
    result = check_outputs(result, solution.phi, solution.current)
    return eqx.tree_at(lambda s: s.result, solution, result)
