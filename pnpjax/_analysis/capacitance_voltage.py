"""Capacitance–voltage curves: quasi-static (equilibrium, by autodiff) or small-signal (the
parallel capacitance an impedance analyser reports at one frequency)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._custom_types import concrete
from .._mesh import Mesh
from .._model.drives import make_drive
from .._model.junction import Junction
from .._solution import RESULTS, raise_if_failed
from .._solvers.capacitance import differential_capacitance, electrode_potential
from .._solvers.impedance import check_impedance_input, spectrum_on
from .._solvers.newton import Newton
from .._solvers.steady import continuation_stages
from .._solvers.transport_start import transport_solver


class CapacitanceVoltage(eqx.Module):
    """A capacitance–voltage curve (SI units).

    **Fields:**

    - `voltage` `[v]` (V): the electrode potential relative to the reference bulk
      (quasi-static) or the DC bias of the right contact (small-signal). For `mott_schottky`
      pass the potential of the depleting contact relative to the semiconductor: in the
      small-signal curve of a device whose left contact depletes, that is `-voltage`.
    - `capacitance` `[v]` (F/m²): $\\partial\\sigma/\\partial V$ (quasi-static) or the parallel
      capacitance $C_p = \\mathrm{Im}\\,Y/\\omega$ (small-signal).
    - `conductance` `[v]` (S/m²): the parallel conductance $G_p = \\mathrm{Re}\\,Y$ (0 in the
      quasi-static curve).
    - `frequency` (Hz): the measuring frequency; 0 for the quasi-static curve.
    - `result` `[v]`: a `pnpjax.RESULTS` item per voltage (`converged` where the solve
      succeeded; with `throw=False` the others carry NaN).
    """

    voltage: Float[Array, " v"]
    capacitance: Float[Array, " v"]
    conductance: Float[Array, " v"]
    frequency: Float[Array, ""]
    result: RESULTS

    @property
    def converged(self):
        """True where the solve at that voltage succeeded."""
        return jnp.asarray(self.result._value) == 0

    @property
    def inverse_square(self) -> Float[Array, " v"]:
        """$1/C^2$ (m⁴/F²), the Mott–Schottky ordinate."""
        return 1.0 / self.capacitance**2


def _check_voltages(voltages):
    v = concrete(voltages)
    if v is not None and (np.ndim(v) != 1 or v.size == 0 or not np.all(np.isfinite(v))):
        raise ValueError(
            "capacitance_voltage: voltages must be a non-empty 1D array of finite values (V)"
        )


def capacitance_voltage(
    junction: Junction,
    voltages,
    *,
    frequency=None,
    side: str = "left",
    mesh: Mesh | None = None,
    solver: Newton | None = None,
    throw: bool = True,
    extrapolate: bool = False,
) -> CapacitanceVoltage:
    """The capacitance of `junction` along a list of voltages.

    **Quasi-static** (`frequency=None`): the equilibrium with the `side` `Electrode` at each
    potential V (relative to the junction's reference bulk), and $C = \\partial\\sigma/\\partial V$
    of the charge on that electrode by forward-mode implicit differentiation, vectorised over
    the voltages. No diffusivities needed: the Mott–Schottky curve of a Schottky or
    electrolyte contact, the Gouy–Chapman–Stern curve of an electrode.

    **Small-signal** (`frequency=f`, Hz): at each DC bias of the right contact the steady state
    and the impedance at f (`pnpjax.impedance`), reported as the parallel capacitance
    $C_p = \\mathrm{Im}\\,Y/\\omega$ and conductance $G_p = \\mathrm{Re}\\,Y$, as an LCR meter in
    C_p–G_p mode does. Needs contacts at both ends and diffusivities; covers pn junctions and
    biased mixed conductors. As f → 0 it tends to the quasi-static capacitance of a blocking
    device.

    **Arguments:**

    - `junction`: the `Junction`.
    - `voltages`: 1D array (V).
    - `frequency`: None (quasi-static) or the measuring frequency (Hz, > 0).
    - `side`: `"left"` or `"right"`, the electrode of the quasi-static curve.
    - `mesh`: a `Mesh`; default `Mesh.auto` of the junction at every voltage (so the mesh
      resolves the narrowest layer of the sweep, e.g. accumulation).
    - `solver`: the `Newton` settings; default (`None`) `Newton()` for the quasi-static
      equilibria, and for the small-signal steady states that of `impedance`,
      `Newton(max_steps=100, atol=1e-9, rtol=0.0, residual_tol=None)`, whose
      `continuation_steps` `None` ramps each bias in one stage per 2 k_BT/e of the largest
      |voltage| (20 stages for traced voltages).
    - `throw`: raise when a solve fails; with `throw=False` the failed voltages carry NaN and a
      non-zero `result` (for fitting, where a trial parameter may have no solution).
    - `extrapolate`: each capacitance from the solutions on `mesh` and `mesh.refined()`,
      Richardson-extrapolated (the equilibria's charges, as in `solve_equilibrium`, or the
      impedances, as in `impedance`): fourth order, for about three times the cost.

    **Returns:** a `CapacitanceVoltage`; pass `.voltage` (quasi-static; negated for a
    small-signal curve whose depleting contact is on the left), `.capacitance` to
    `mott_schottky`.

    **References:** S. M. Sze and K. K. Ng, *Physics of Semiconductor Devices*, 3rd ed., Wiley
    (2007), §2.2 (depletion capacitance) and ch. 3 (Schottky barriers); D. K. Schroder,
    *Semiconductor Material and Device
    Characterization*, 3rd ed., Wiley (2006), ch. 2 (C–V profiling, parallel model).
    """
    if not isinstance(junction, Junction):
        raise TypeError(f"capacitance_voltage: expected a pnpjax.Junction, got {type(junction)}")
    _check_voltages(voltages)
    voltages = jnp.asarray(voltages, dtype=jnp.float64)
    if frequency is None:
        if solver is None:
            solver = Newton()
        if not isinstance(solver, Newton):
            raise TypeError(
                f"capacitance_voltage: solver must be a pnpjax.Newton or None, got {type(solver)}"
            )
        return _quasi_static(junction, voltages, side, mesh, solver, throw, extrapolate)
    f = concrete(frequency)
    if f is not None and (np.ndim(f) != 0 or not np.isfinite(f) or f <= 0):
        raise ValueError(
            f"capacitance_voltage: frequency must be a positive number (Hz), got {frequency!r}"
        )
    solver = transport_solver(solver, "capacitance_voltage")
    frequency = jnp.asarray(frequency, jnp.float64)
    return _small_signal(junction, voltages, frequency, mesh, solver, throw, extrapolate)


def _quasi_static(junction, voltages, side, mesh, solver, throw, extrapolate):
    where = electrode_potential(
        junction,
        side,
        "capacitance_voltage",
        " (pass frequency= for the small-signal capacitance of a device with ohmic contacts)",
    )
    if mesh is None:
        mesh = Mesh.auto(eqx.tree_at(where, junction, voltages))

    def one(v):
        capacitance, solution = differential_capacitance(
            eqx.tree_at(where, junction, v),
            side=side,
            mesh=mesh,
            solver=solver,
            throw=throw,
            extrapolate=extrapolate,
        )
        return capacitance, solution.result

    capacitance, result = jax.vmap(one)(voltages)
    return CapacitanceVoltage(
        voltage=voltages,
        capacitance=capacitance,
        conductance=jnp.zeros_like(capacitance),
        frequency=jnp.zeros(()),
        result=result,
    )


def _small_signal(junction, voltages, frequency, mesh, solver, throw, extrapolate):
    # validate the junction and the drive once, with a concrete bias
    v = concrete(voltages)
    largest = float(np.max(np.abs(v))) if v is not None else None
    if mesh is None:
        mesh = Mesh.auto(junction)
    check_impedance_input(junction, frequency[None], largest or 0.0, None)
    # one continuation stage per 2 k_BT/e of the largest bias; 20 (1 V) for traced voltages
    steps = solver.continuation_steps
    if steps is None:
        steps = continuation_stages(junction, largest, None, None) if largest is not None else 20

    def one(bias):
        drive = make_drive(bias, None)
        spectrum = spectrum_on(junction, frequency[None], drive, mesh, solver, steps, extrapolate)
        ok = spectrum.converged
        return jnp.where(ok, spectrum.admittance[0], jnp.nan), spectrum.result

    admittance, result = jax.vmap(one)(voltages)
    omega = 2 * jnp.pi * frequency
    curve = CapacitanceVoltage(
        voltage=voltages,
        capacitance=admittance.imag / omega,
        conductance=admittance.real,
        frequency=frequency,
        result=result,
    )
    return raise_if_failed(curve, result, throw)
