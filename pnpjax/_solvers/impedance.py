"""Small-signal impedance: the Poisson–Nernst–Planck system linearised about a steady state and
solved in the frequency domain.

About a steady state $y_0$ under a constant drive $d_0$ (a voltage or a current), a small
sinusoidal drive $d = d_0 + \\mathrm{Re}(\\hat d e^{i\\omega t})$ gives
$y = y_0 + \\mathrm{Re}(\\hat y e^{i\\omega t})$ with

$$(i\\omega M - J)\\,\\hat y = \\frac{\\partial f}{\\partial d}\\,\\hat d,$$

where $M\\dot y = f(y, d)$ is the discretised system (`transport_rows.py`),
$J = \\partial f/\\partial y$ its Jacobian (by automatic differentiation, block-tridiagonal)
and M the mass matrix. One complex block-tridiagonal solve per frequency, O(N), vectorised over
the frequencies with `jax.vmap`. The terminal current follows from the same linearisation:
$\\hat I = (\\partial I/\\partial y)\\hat y + (\\partial I/\\partial\\dot V)\\,i\\omega\\hat V$ (the
displacement current of the contacts), and $Z = -\\hat V/\\hat I$ (I counted left → right
inside the device, V on the right contact).

Peers (IonMonger, Driftfusion) simulate one sinusoid per frequency in the time domain; the
linearisation gives the same spectrum (to the amplitude's second order) at the cost of a few
linear solves.

**References:** J. R. Macdonald, *J. Electroanal. Chem.* 53, 1 (1974) (small-signal PNP
impedance); S. E. Laux, *IEEE Trans. Electron Devices* 32, 2028 (1985) (sinusoidal
steady-state analysis of device equations); M. E. Orazem and B. Tribollet, *Electrochemical
Impedance Spectroscopy*, 2nd ed., Wiley (2017).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Complex, Float, Int

from .._custom_types import concrete
from .._discretise.gauss import displacement
from .._discretise.transport import check_transport
from .._discretise.transport_rows import (
    box_charge,
    channel_rates,
    mass_blocks,
    rows,
    terminal_current,
)
from .._discretise.transport_state import local_state, split
from .._linalg.block_tridiagonal import BlockTridiagonal
from .._mesh import Mesh
from .._model.drives import make_drive
from .._model.junction import Junction
from .._program import program
from .._results.table import write_csv
from .._results.transport import TransportSolution, make_solution
from .._solution import RESULTS, check_outputs, message, raise_if_failed, worst
from .esdirk import jacobian_blocks
from .newton import Newton
from .steady import check_bias, check_steady_heat, continuation_stages, operating_point
from .transport_start import transport_solver


class ImpedanceSpectrum(eqx.Module):
    """A small-signal impedance spectrum about a steady state (SI units).

    Impedances are per unit area, Ω·m² in planar geometry (Ω·m cylindrical, Ω spherical, the
    units of V divided by those of `TransportSolution.current`); divide by an electrode area
    in m² for Ω. The convention is that of an impedance analyser whose working lead is the
    right contact: $Z = \\hat V/\\hat I_\\text{in}$ with V the right contact's potential against
    the left and $I_\\text{in} = -I$ the current entering the device there (`current` counts
    positive left → right inside), so a resistor has Z = R > 0 and a capacitor −90°.

    **Fields:**

    - `frequency` `[f]` (Hz).
    - `impedance` `[f]` (complex, Ω·m²).
    - `steady_state`: the `TransportSolution` of the operating point.
    - `result` (a `pnpjax.RESULTS` item; `message` in words), `iterations` (Newton
      iterations of the steady state).

    **Properties:** `admittance` (S/m²), `capacitance` $C(\\omega) = Y/(i\\omega)$ (complex,
    F/m²; its real part is the parallel capacitance an analyser reports), `angular_frequency`
    (rad/s), `modulus` |Z| (Ω·m²), `phase` (degrees, −90 for a capacitor).

    **Export:** `to_dict()`, `to_csv(path)` (frequency, Re Z, Im Z, |Z|, phase).
    """

    frequency: Float[Array, " f"]
    impedance: Complex[Array, " f"]
    steady_state: TransportSolution
    result: RESULTS
    iterations: Int[Array, ""]

    @property
    def angular_frequency(self) -> Float[Array, " f"]:
        return 2 * jnp.pi * self.frequency

    @property
    def admittance(self) -> Complex[Array, " f"]:
        return 1.0 / self.impedance

    @property
    def capacitance(self) -> Complex[Array, " f"]:
        omega = self.angular_frequency
        return self.admittance / jax.lax.complex(jnp.zeros_like(omega), omega)

    @property
    def modulus(self) -> Float[Array, " f"]:
        return jnp.abs(self.impedance)

    @property
    def phase(self) -> Float[Array, " f"]:
        return jnp.degrees(jnp.angle(self.impedance))

    @property
    def converged(self):
        """True where the spectrum was computed (an array for a batch)."""
        return jnp.asarray(self.result._value) == 0

    @property
    def message(self) -> str:
        """Why the solve ended, in words ("success" when it succeeded)."""
        return message(self.result)

    def to_dict(self) -> dict[str, np.ndarray]:
        """The spectrum as NumPy columns keyed by name with unit (an unbatched spectrum)."""
        z = np.asarray(self.impedance)
        return {
            "frequency [Hz]": np.asarray(self.frequency),
            "Re Z [Ohm m^2]": z.real,
            "Im Z [Ohm m^2]": z.imag,
            "|Z| [Ohm m^2]": np.abs(z),
            "phase [deg]": np.degrees(np.angle(z)),
        }

    def to_csv(self, path) -> None:
        """Write the spectrum to a CSV file (the columns of `to_dict`), as analysers export."""
        write_csv(path, self.to_dict())


def _check_frequencies(frequencies):
    f = concrete(frequencies)
    if f is None:
        return
    if np.ndim(f) != 1 or f.size == 0 or not np.all(np.isfinite(f)) or np.any(f <= 0):
        raise ValueError(
            "impedance: frequencies must be a non-empty 1D array of finite positive values (Hz), "
            "e.g. numpy.logspace(-2, 9, 111)"
        )


def check_impedance_input(junction, frequencies, voltage, current):
    """Construction-time checks of `impedance`'s arguments; returns the voltage (0 V when
    neither a voltage nor a current is given)."""
    if not isinstance(junction, Junction):
        raise TypeError(f"impedance: expected a pnpjax.Junction, got {type(junction)}")
    _check_frequencies(frequencies)
    for name, value in (("voltage", voltage), ("current", current)):
        if value is not None:
            check_bias(name, value, "impedance")
    if not (junction.left.fixes_potential and junction.right.fixes_potential):
        raise ValueError(
            "impedance: both ends must be Electrode or Ohmic contacts to pass a current, got "
            f"left={type(junction.left).__name__}(), right={type(junction.right).__name__}(); "
            "model a symmetric cell (e.g. Electrode | phase | Electrode) instead of a half cell"
        )
    check_transport(junction)
    check_steady_heat(junction, "impedance")
    if voltage is None and current is None:
        voltage = 0.0
    make_drive(voltage, current).check(junction)
    return voltage


def impedance(
    junction: Junction,
    frequencies,
    *,
    voltage=None,
    current=None,
    mesh: Mesh | None = None,
    solver: Newton | None = None,
    throw: bool = True,
    extrapolate: bool = False,
) -> ImpedanceSpectrum:
    """The small-signal impedance spectrum of `junction` about its steady state.

    The steady state under the constant `voltage` (potentiostatic, default 0 V) or `current`
    (galvanostatic) is found as in `solve_steady_state`; the system is linearised there by
    automatic differentiation and $(i\\omega M - J)\\hat y = b\\hat d$ solved at every frequency
    (complex block-tridiagonal, O(N), `vmap` over frequencies). A potentiostatic spectrum
    perturbs the voltage and measures the current; a galvanostatic one perturbs the current
    and measures the voltage; at the same operating point they agree. Every contact and
    interface of the transport model works (blocking or Butler–Volmer electrodes, ohmic
    contacts, blocked or kinetic interfaces, bulk reactions, non-ideal activities).
    Differentiable in every parameter of the junction (the steady state by the implicit
    function theorem, the linear solves by implicit differentiation).

    **Arguments:**

    - `junction`: the `Junction`, with `Electrode` or `Ohmic` contacts at both ends (an
      insulating end carries no current) and diffusivities on its mobile carriers.
    - `frequencies`: 1D array of frequencies (Hz), > 0.
    - `voltage`: DC bias (V) of the right contact (default 0 V: the equilibrium).
    - `current`: instead, the DC current density (A/m² planar) of a galvanostatic operating
      point.
    - `mesh`: a `Mesh`; default `Mesh.auto(junction)`.
    - `solver`: the `Newton` settings of the steady state, as in `solve_steady_state`; default
      (`None`) `Newton(max_steps=100, atol=1e-9, rtol=0.0, residual_tol=None)`, its
      `continuation_steps` `None` for one bias stage per 2 k_BT/e.
    - `throw`: as in `solve_steady_state`.
    - `extrapolate`: also compute the spectrum on `mesh.refined()` and return the Richardson
      extrapolation $(4Z_{h/2} - Z_h)/3$, fourth-order accurate where the solution is smooth
      (a blocking cell on the default mesh: 3.0e-3 → 4.3e-6 against Macdonald's exact Z),
      for about three times the cost; `steady_state` is then the operating point on `mesh`
      and `iterations` the sum over both.

    **Returns:** an `ImpedanceSpectrum`.

    **Reference:** J. R. Macdonald, *J. Electroanal. Chem.* 53, 1 (1974).
    """
    voltage = check_impedance_input(junction, frequencies, voltage, current)
    solver = transport_solver(solver, "impedance")
    if mesh is None:
        mesh = Mesh.auto(junction)
    try:
        steps = continuation_stages(junction, voltage, current, solver.continuation_steps)
    except ValueError as error:
        raise ValueError(f"impedance: {error}") from None
    frequencies = jnp.asarray(frequencies, dtype=jnp.float64)
    drive = make_drive(voltage, current)
    # an array, not a Python float, so that another bias reuses the compiled solve
    drive = drive.at(jnp.asarray(drive.value(), jnp.float64))
    spectrum = spectrum_on(junction, frequencies, drive, mesh, solver, steps, extrapolate)
    return raise_if_failed(spectrum, spectrum.result, throw)


def spectrum_on(junction, frequencies, drive, mesh, solver, steps, extrapolate: bool):
    """`spectrum_at` on `mesh`, or with `extrapolate` the Richardson extrapolation
    $(4Z_{h/2} - Z_h)/3$ of the spectra on `mesh` and `mesh.refined()` (the steady state of
    `mesh`; the worse result of the two; their iterations summed).

    **Reference:** L. F. Richardson, *Phil. Trans. R. Soc. A* 226, 299 (1927)."""
    coarse = spectrum_at(junction, frequencies, drive, mesh, solver, steps)
    if not extrapolate:
        return coarse
    fine = spectrum_at(junction, frequencies, drive, mesh.refined(), solver, steps)
    z = (4 * fine.impedance - coarse.impedance) / 3
    result = worst(coarse.result, fine.result)
    return eqx.tree_at(
        lambda s: (s.impedance, s.result, s.iterations),
        coarse,
        (z, result, coarse.iterations + fine.iterations),
    )


@program
def spectrum_at(junction, frequencies, drive, mesh, solver: Newton, steps: int):
    """The impedance spectrum about the steady state under `drive` (a drive held at a constant
    value) reached in `steps` stages of `solver`, after the argument checks of `impedance`."""
    point = operating_point(junction, drive, mesh, solver, steps)
    z = response(point.system, point.y, frequencies)
    steady = make_solution(
        point.system,
        jnp.array([jnp.inf]),
        point.y[None],
        point.reference,
        point.result,
        point.steps,
    )
    result = check_outputs(point.result, z, steady.phi)
    spectrum = ImpedanceSpectrum(
        frequency=frequencies,
        impedance=z,
        steady_state=eqx.tree_at(lambda s: s.result, steady, result),
        result=result,
        iterations=point.steps,
    )
    return spectrum


def _charge_contact(system) -> int | None:
    """The side (0, 1) of a contact every particle of which crosses explicitly (its
    `explicit_flow`: an electrode, a Schottky contact), whose face charge and inflow give the
    current; None with two ohmic contacts."""
    for side, boundary in enumerate(system.boundaries):
        if boundary.explicit_flow:
            return side
    return None


def _face_charge(system, y, side):
    """Charge (scaled) on the end face at `side`: the electrode's charge (left) or minus it
    (right), so that its rate of change is the displacement current in +x there."""
    u, yc = split(system, y)
    flux = displacement(system.problem.conductance, u)
    charge = box_charge(system, yc)
    return flux[0] - charge[0] if side == 0 else flux[-1] + charge[-1]


def _inflow_current(system, y, side):
    """Charge (scaled) per time the contact at `side` passes into the device (its inflow),
    counted in +x at the left contact and in −x at the right."""
    state = local_state(system, y)
    _, _, _, injections = channel_rates(system, 0.0, state)
    z = system.problem.layout.z
    total = jnp.zeros(())
    for end, _, injected in injections:
        if end == side:
            total = total + z @ injected.flow
    return total


def _with_drive(system, value):
    return eqx.tree_at(lambda s: s.drive, system, system.drive.at(value))


def response(system, y, frequencies) -> Complex[Array, " f"]:
    """Z(f) (SI, Ω·m² planar) of the linearised system about the steady state `y`."""
    problem = system.problem
    kT = problem.kT
    drive = system.drive.value()
    jac = jacobian_blocks(system, 0.0, y)
    m_lower, m_diag = mass_blocks(system)
    # ∂f/∂d: the rows' response to one unit (V or A/m²) of drive
    forcing = jax.jvp(lambda d: rows(_with_drive(system, d), 0.0, y), (drive,), (jnp.ones(()),))[1]
    omega = 2 * jnp.pi * frequencies * system.time_scale  # scaled angular frequencies
    n, b = system.n_nodes, system.block
    galvanostatic = system.drive.floats_right
    contact_side = _charge_contact(system)
    if galvanostatic:
        # measure φ(right) − φ(left) (k_BT/e) per unit current
        readout = jnp.zeros((n, b)).at[-1, 0].set(1.0).at[0, 0].add(-1.0).reshape(-1)
        transfer = jnp.zeros_like(readout)
    elif contact_side is None:
        # two ohmic contacts: the particle part of the terminal current, averaged over the
        # cells; its displacement part is added below
        readout = jax.grad(lambda y_: terminal_current(system, 0.0, y_))(y)
        transfer = jnp.zeros_like(readout)
    else:
        # at an electrode the current is the rate of change of its face charge plus the
        # charge it exchanges: free of the near-cancelling drift and diffusion of the fluxes
        # inside, which at low frequency would drown the charging current in round-off
        readout = jax.grad(lambda y_: _face_charge(system, y_, contact_side))(y)
        transfer = jax.grad(lambda y_: _inflow_current(system, y_, contact_side))(y)
    inverse = 1.0 / problem.conductance

    complex_ = lambda a: a.astype(jnp.complex128)  # noqa: E731
    jac_lower, jac_diag, jac_upper = (complex_(a) for a in (jac.lower, jac.diag, jac.upper))
    mass_lower, mass_diag = complex_(m_lower), complex_(m_diag)
    forcing, readout, transfer = complex_(forcing), complex_(readout), complex_(transfer)

    def one(w):
        iw = jax.lax.complex(jnp.zeros_like(w), w)
        matrix = BlockTridiagonal(
            lower=iw * mass_lower - jac_lower, diag=iw * mass_diag - jac_diag, upper=-jac_upper
        )
        delta = matrix.solve(forcing)
        if galvanostatic:
            return -(readout @ delta) * complex_(kT)  # V per A/m² entering at the right
        if contact_side is None:
            # I = [Σ_e J_e/C_e − d(u_N − u_0)/dt]/Σ_e 1/C_e: the contacts' displacement current
            current = readout @ delta - iw / complex_(kT * inverse.sum())
        else:
            # the face charge is signed for +x at either end; the exchange counts inward
            sign = 1.0 if contact_side == 0 else -1.0
            current = iw * (readout @ delta) + complex_(jnp.asarray(sign)) * (transfer @ delta)
        return -1.0 / (current * complex_(system.current_scale))

    return jax.vmap(one)(omega)
