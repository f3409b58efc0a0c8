"""`solve_steady_state` and `iv_curve`: Poisson–Nernst–Planck steady states under bias."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._constants import BOLTZMANN_EV
from .._custom_types import concrete
from .._discretise.transport import TransportSystem, check_drive, check_transport, make_drive
from .._mesh import Mesh
from .._model.junction import Junction
from .._model.waveforms import AbstractWaveform
from .._results.transport import TransportSolution, make_solution
from . import transport_newton as root
from .transient import prepare


def _check_bias(name, value, caller="solve_steady_state"):
    if isinstance(value, AbstractWaveform) or callable(value):
        raise TypeError(
            f"{caller}: {name} must be a number (a steady state has a constant "
            "drive); use solve_transient for waveforms"
        )
    arr = concrete(value)
    if arr is not None and (np.ndim(arr) != 0 or not np.isfinite(arr)):
        raise ValueError(f"{caller}: {name} must be a finite scalar, got {value!r}")


def _targets(system: TransportSystem, weights, y0):
    return root._totals(system, weights, y0)


def _solve(system, y_start, weights, targets, max_steps):
    v0 = root.to_variables(system, y_start)
    v, iterations, size, ok = root.implicit_newton(
        system, 0.0, v0, weights, targets, max_steps=max_steps
    )
    return root.to_state(system, v), iterations, ok


def _at_stage(system: TransportSystem, bias, ramp):
    """The system with its drive at `bias` and its thermal boundary values a fraction `ramp`
    of the way from the junction's temperature (either may be `None`: left as is)."""
    if bias is not None:
        system = eqx.tree_at(lambda s: s.drive.waveform.value, system, bias)
    if ramp is not None and system.heat is not None:
        system = eqx.tree_at(lambda s: s.heat.ramp, system, ramp)
    return system


def _staged(system: TransportSystem, y0, weights, targets, biases, max_steps, ramps=None):
    """Continuation: solve at each stage in turn (a bias, and a ramp of the thermal boundary
    values when heat is solved for), each from the previous solution."""

    def stage(carry, values):
        y, total, ok_all = carry
        staged = _at_stage(system, *values)
        y_new, iterations, ok = _solve(staged, y, weights, targets, max_steps)
        y_new = jnp.where(ok, y_new, y)
        return (y_new, total + iterations, ok_all & ok), y_new

    (y, total, ok), ys = jax.lax.scan(stage, (y0, jnp.array(0), jnp.array(True)), (biases, ramps))
    return y, ys, total, ok


def solve_steady_state(
    junction: Junction,
    *,
    voltage=None,
    current=None,
    mesh: Mesh | None = None,
    continuation_steps: int | None = None,
    max_steps: int = 100,
    throw: bool = True,
) -> TransportSolution:
    """The steady state of `junction` under a constant applied voltage or current.

    Solves $\\nabla\\cdot J_i = \\sum_r \\nu_{ir}r_r$ for every carrier together with Poisson's
    equation by damped Newton (O(N) bordered block-tridiagonal solves), from the equilibrium,
    ramping the drive in `continuation_steps` stages. Amounts that no contact, reaction or
    transfer can change (e.g. ions between blocking electrodes) keep their equilibrium values.
    At zero drive the result is the equilibrium solver's solution. Differentiable in every
    parameter by the implicit function theorem. With thermal boundaries on the junction the
    temperature profile is solved too (the boundary temperatures ramped with the bias); one end
    must then hold a temperature (`FixedTemperature` or `Convective`).

    **Arguments:**

    - `junction`: the `Junction` (diffusivities needed on every mobile charged carrier).
    - `voltage`: bias (V) added to the right contact's potential (an `Electrode` or `Ohmic`).
    - `current`: instead, the current density (A/m^2 planar) through the device.
    - `mesh`: a `Mesh`; default `Mesh.auto(junction)`.
    - `continuation_steps`: number of bias stages; default one per 2 k_BT/e of |voltage| (at
      least 1), or 1 for a current.
    - `max_steps`: Newton iteration limit per stage.
    - `throw`: raise if a stage does not converge; with `throw=False` inspect `result`.

    **Returns:** a `TransportSolution` with a single time (t = ∞ reported as `inf`).
    """
    if not isinstance(junction, Junction):
        raise TypeError(f"solve_steady_state: expected a pnpjax.Junction, got {type(junction)}")
    for name, value in (("voltage", voltage), ("current", current)):
        if value is not None:
            _check_bias(name, value)
    check_transport(junction)
    check_steady_heat(junction, "solve_steady_state")
    if voltage is None and current is None:
        voltage = 0.0 if _has_right_contact(junction) else None
    check_drive(junction, make_drive(voltage, current))
    if mesh is None:
        mesh = Mesh.auto(junction)
    try:
        steps = continuation_stages(junction, voltage, current, continuation_steps)
    except ValueError as error:
        raise ValueError(f"solve_steady_state: {error}") from None
    # arrays, not Python floats, so that another bias reuses the compiled solve
    voltage, current = (
        None if v is None else jnp.asarray(v, jnp.float64) for v in (voltage, current)
    )
    return _steady(junction, voltage, current, mesh, steps, max_steps, throw)


def check_steady_heat(junction: Junction, caller: str):
    """A steady state with heat transport needs an end that exchanges heat with a fixed
    temperature (adiabatic ends let Joule heat accumulate forever, and leave the temperature
    level undetermined at zero bias) and conduction in every phase."""
    from .._model.thermal import HEAT_FLUX

    if not junction.heat_transport:
        return
    kinds = (junction.thermal_left.kind, junction.thermal_right.kind)
    if kinds == (HEAT_FLUX, HEAT_FLUX):
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


def _has_right_contact(junction):
    from .._discretise.transport import INSULATING, _contact_kind

    return _contact_kind(junction.right) != INSULATING


def continuation_stages(junction: Junction, voltage, current, continuation_steps) -> int:
    """Number of bias stages: `continuation_steps`, or one per 2 k_BT/e of |voltage| and, with
    heat transport, at least one per 10 % of a boundary temperature's departure from the
    junction's."""
    steps = continuation_steps
    if steps is None:
        v = concrete(voltage) if voltage is not None else None
        t0 = concrete(junction.temperature)
        kT = BOLTZMANN_EV * float(t0 if t0 is not None else 298.15)
        steps = max(1, int(np.ceil(abs(float(v)) / (2 * kT)))) if v is not None else 1
        if junction.heat_transport and t0 is not None:
            for boundary in (junction.thermal_left, junction.thermal_right):
                value = getattr(boundary, "temperature", getattr(boundary, "ambient", None))
                value = None if value is None else concrete(value)
                if value is not None:
                    steps = max(steps, int(np.ceil(abs(float(value) / float(t0) - 1) / 0.1)))
    if steps < 1:
        raise ValueError(f"continuation_steps must be >= 1, got {steps}")
    return steps


def operating_point(junction, voltage, current, mesh, steps, max_steps, throw=None):
    """The steady state under a constant drive (traced; call inside jit).

    Returns `(system, y, reference, iterations, ok)`: the system with its drive at the target
    value, the non-dimensional state, the equilibrium reference voltage (V), the Newton
    iterations and whether every stage converged. With `throw` (the caller's name), an
    unconverged state raises at run time.
    """
    drive_value = voltage if voltage is not None else current
    system, y0, reference = prepare(
        junction,
        mesh,
        voltage=0.0 if voltage is not None else None,
        current=0.0 if current is not None else None,
    )
    weights = root.conservation_vectors(system)
    targets = _targets(system, weights, y0)
    fractions = jnp.arange(1, steps + 1, dtype=jnp.float64) / steps
    ramps = fractions if system.heat is not None else None
    if drive_value is None and ramps is None:
        y, iterations, ok = _solve(system, y0, weights, targets, max_steps)
    else:
        target = None if drive_value is None else jnp.asarray(drive_value, dtype=jnp.float64)
        biases = None if target is None else target * fractions
        y, _, iterations, ok = _staged(system, y0, weights, targets, biases, max_steps, ramps)
        system = _at_stage(system, target, None if ramps is None else jnp.ones(()))
    if throw:
        y = eqx.error_if(
            y,
            ~ok,
            f"{throw}: the steady state did not converge. Re-run with throw=False and inspect "
            ".result; raise continuation_steps or max_steps, or check the bias (many volts "
            "across a blocking contact) and the rates",
        )
    return system, y, reference, iterations, ok


@eqx.filter_jit
def _steady(junction, voltage, current, mesh, steps, max_steps, throw):
    system, y, reference, iterations, ok = operating_point(
        junction, voltage, current, mesh, steps, max_steps, "solve_steady_state" if throw else None
    )
    return make_solution(
        system, jnp.array([jnp.inf]), y[None], reference, jnp.where(ok, 0, 1), iterations
    )


def iv_curve(
    junction: Junction,
    voltages,
    *,
    mesh: Mesh | None = None,
    substeps: int | None = None,
    max_steps: int = 100,
    throw: bool = True,
) -> TransportSolution:
    """Steady states along a list of applied voltages (V), in one compiled call.

    The voltages are visited in the order given, each solved from the previous one (continuation
    in `substeps` stages per interval; default one stage per 2 k_BT/e of the largest interval),
    starting from equilibrium at 0 V. The result has one "time" per voltage: use `.voltage` and
    `.current` (and its ionic/electronic parts) for the curve, `.phi`/`.concentration` for the
    profiles.

    **Arguments:**

    - `junction`: the `Junction`; its right end must be an `Electrode` or `Ohmic` contact.
    - `voltages`: 1D array of biases (V).
    - `mesh`, `max_steps`, `throw`: as in `solve_steady_state`.
    - `substeps`: continuation stages per voltage interval.
    """
    if not isinstance(junction, Junction):
        raise TypeError(f"iv_curve: expected a pnpjax.Junction, got {type(junction)}")
    v = concrete(voltages)
    if v is not None and (np.ndim(v) != 1 or v.size == 0 or not np.all(np.isfinite(v))):
        raise ValueError("iv_curve: voltages must be a non-empty 1D array of finite values (V)")
    check_transport(junction)
    check_steady_heat(junction, "iv_curve")
    check_drive(junction, make_drive(0.0, None))
    if mesh is None:
        mesh = Mesh.auto(junction)
    if substeps is None:
        kT = BOLTZMANN_EV * float(concrete(junction.temperature) or 298.15)
        if v is None:
            substeps = 4
        else:
            jumps = np.abs(np.diff(np.concatenate([[0.0], v])))
            substeps = max(1, int(np.ceil(jumps.max() / (2 * kT))))
    return _iv(junction, jnp.asarray(voltages, jnp.float64), mesh, substeps, max_steps, throw)


@eqx.filter_jit
def _iv(junction, voltages, mesh, substeps, max_steps, throw):
    system, y0, reference = prepare(junction, mesh, voltage=0.0)
    weights = root.conservation_vectors(system)
    targets = _targets(system, weights, y0)
    previous = jnp.concatenate([jnp.zeros(1), voltages[:-1]])
    fractions = jnp.arange(1, substeps + 1, dtype=jnp.float64) / substeps
    path = (previous[:, None] + (voltages - previous)[:, None] * fractions).reshape(-1)
    ramps = None
    if system.heat is not None:
        # first the thermal boundary values at 0 V, then the voltages
        path = jnp.concatenate([jnp.zeros(substeps), path])
        ramps = jnp.concatenate([fractions, jnp.ones(path.shape[0] - substeps)])
    _, ys, iterations, ok = _staged(system, y0, weights, targets, path, max_steps, ramps)
    if system.heat is not None:
        ys = ys[substeps:]
    ys = ys[substeps - 1 :: substeps]
    if throw:
        ys = eqx.error_if(
            ys,
            ~ok,
            "iv_curve: a steady state did not converge. Re-run with throw=False; raise "
            "substeps or max_steps",
        )

    def one(v, y):
        staged = eqx.tree_at(lambda s: s.drive.waveform.value, system, v)
        return make_solution(staged, jnp.array([jnp.inf]), y[None], reference, 0, 0)

    sols = jax.vmap(one)(voltages, ys)
    squeeze = lambda a: a[:, 0]  # noqa: E731
    return TransportSolution(
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
        result=jnp.where(ok, 0, 1),
        steps=iterations,
    )
