"""What a measurement sees of a model: one observable per kind of experiment.

Each observable runs the solver its experiment needs on a model (a `Junction`, with the fitted
parameters in place) and returns the quantity at the measured points, before the measurement's
own scale, offset and noise (those live in `Data`). Every one is differentiable in the model's
parameters through its solver's implicit derivatives: equilibrium profiles and C–V curves
(`solve_equilibrium`, `capacitance_voltage`), steady-state currents (`solve_steady_state`),
current transients (`solve_transient`, adjoint through diffrax) and impedance spectra
(`impedance`).
"""

import abc
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._analysis.capacitance_voltage import capacitance_voltage
from .._solvers.equilibrium import solve_equilibrium
from .._solvers.impedance import impedance
from .._solvers.steady import solve_steady_state
from .._solvers.stepping import TimeStepping
from .._solvers.transient import solve_transient
from .blur import gaussian_blur

PROFILE_QUANTITIES = ("concentration", "site_fraction", "potential", "charge_density")


def _grid(values, label: str, owner: str, positive: bool = False) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{owner}: {label} must be a non-empty 1D array of finite numbers")
    if positive and np.any(arr <= 0):
        raise ValueError(f"{owner}: {label} must be > 0")
    return arr


class AbstractObservable(eqx.Module):
    """The model side of a measurement: `predict(model, mesh)` gives the quantity at the
    measured points (a real or complex 1D array of `size` entries, SI units)."""

    @abc.abstractmethod
    def predict(self, model, mesh) -> Array:
        """The quantity at the measured points for `model` on `mesh`."""

    @property
    @abc.abstractmethod
    def size(self) -> int:
        """The number of measured points."""

    @property
    def is_complex(self) -> bool:
        return False

    @property
    def forward_mode(self) -> bool:
        """Whether its derivatives are available in forward mode (Jacobians by `jacfwd`)."""
        return True


class Profile(AbstractObservable):
    """A depth profile across the junction: concentration (m^-3) or site fraction of one
    species, the electrostatic potential (V) or the charge density (C/m^3), at positions `x`
    (m), seen through a probe of Gaussian depth resolution `resolution` (standard deviation, m;
    FWHM = 2.355 × that; 0 = a sharp probe). Positions are the junction's coordinate (0 at its
    left end) or, with `interface=i`, measured from interface i (positive into the phase on its
    right): use that with semi-infinite phases, whose extent the mesh chooses.

    From the equilibrium (`solve_equilibrium`) by default, or from the steady state at the DC
    bias `voltage` (V, of the right contact; `solve_steady_state`).
    """

    x: Float[Array, " n"]
    quantity: str = eqx.field(static=True)
    species: str | None = eqx.field(static=True)
    resolution: float = eqx.field(static=True)
    voltage: float | None = eqx.field(static=True)
    interface: int | None = eqx.field(static=True)

    def __init__(
        self,
        x,
        quantity="concentration",
        species=None,
        *,
        resolution=0.0,
        voltage=None,
        interface=None,
    ):
        self.x = jnp.asarray(_grid(x, "x", "Profile"))
        if quantity not in PROFILE_QUANTITIES:
            raise ValueError(
                f"Profile: quantity must be one of {PROFILE_QUANTITIES}, got {quantity!r}"
            )
        if quantity in ("concentration", "site_fraction") and not isinstance(species, str):
            raise ValueError(f"Profile: a {quantity} profile needs species= (a species name)")
        if not (float(resolution) >= 0 and np.isfinite(resolution)):
            raise ValueError(f"Profile: resolution must be ≥ 0 (m), got {resolution}")
        if voltage is not None and quantity in ("charge_density", "site_fraction"):
            raise ValueError(
                f"Profile: {quantity} profiles come from the equilibrium; drop voltage= (or "
                "fit a concentration or potential profile under bias)"
            )
        if interface is not None and (not isinstance(interface, int) or interface < 0):
            raise ValueError(f"Profile: interface must be an interface index ≥ 0, got {interface}")
        self.interface = interface
        self.quantity = quantity
        self.species = species
        self.resolution = float(resolution)
        self.voltage = None if voltage is None else float(voltage)

    @property
    def size(self) -> int:
        return int(self.x.shape[0])

    def predict(self, model, mesh):
        if self.voltage is None:
            solution = solve_equilibrium(model, mesh=mesh, throw=False)
            phi, conc, x = solution.phi, solution.concentration, solution.x
            index = solution._species_index(self.species) if self.species else None
            rho, site_fraction = solution.rho, solution.site_fraction
        else:
            solution = solve_steady_state(model, voltage=self.voltage, mesh=mesh, throw=False)
            phi, conc, x = solution.phi[-1], solution.concentration[-1], solution.x
            index = solution.species.index(self.species) if self.species else None
            rho = site_fraction = None
        profile = {
            "concentration": lambda: conc[index],
            "site_fraction": lambda: site_fraction[index],
            "potential": lambda: phi,
            "charge_density": lambda: rho,
        }[self.quantity]()
        ok = solution.converged
        profile = jnp.where(ok, profile, jnp.nan)
        if self.interface is not None:
            # the first node of the phase right of the interface sits on it
            x = x - x[jnp.argmax(solution.phase >= self.interface + 1)]
        return gaussian_blur(x, profile, self.x, self.resolution)


class Spectrum(AbstractObservable):
    """An impedance spectrum Z(f) (complex, Ω·m² planar, divided by `area` (m²) when given so
    that it compares with a measured Ω) about the steady state at the DC `voltage` (V)
    (`pnpjax.impedance`, potentiostatic)."""

    frequencies: Float[Array, " n"]
    area: float = eqx.field(static=True)
    voltage: float = eqx.field(static=True)

    def __init__(self, frequencies, *, area=1.0, voltage=0.0):
        self.frequencies = jnp.asarray(_grid(frequencies, "frequencies", "Spectrum", positive=True))
        if not float(area) > 0:
            raise ValueError(f"Spectrum: area must be > 0 (m²), got {area}")
        self.area = float(area)
        self.voltage = float(voltage)

    @property
    def size(self) -> int:
        return int(self.frequencies.shape[0])

    @property
    def is_complex(self) -> bool:
        return True

    def predict(self, model, mesh):
        spectrum = impedance(model, self.frequencies, voltage=self.voltage, mesh=mesh, throw=False)
        z = spectrum.impedance / self.area
        return jnp.where(spectrum.converged, z, jnp.nan)


class CurrentVoltage(AbstractObservable):
    """Steady-state current density (A/m² planar) at each DC bias `voltages` (V) of the right
    contact (`solve_steady_state`, one operating point per voltage, vectorised)."""

    voltages: Float[Array, " n"]

    def __init__(self, voltages):
        self.voltages = jnp.asarray(_grid(voltages, "voltages", "CurrentVoltage"))

    @property
    def size(self) -> int:
        return int(self.voltages.shape[0])

    def predict(self, model, mesh):
        def one(v):
            solution = solve_steady_state(model, voltage=v, mesh=mesh, throw=False)
            return jnp.where(solution.converged, solution.current[-1], jnp.nan)

        return jax.vmap(one)(self.voltages)


class CurrentTransient(AbstractObservable):
    """The current density (A/m² planar) at `times` (s, > 0) after the drive `voltage` (V, a
    number or a waveform such as `Step`) is applied to the equilibrium at t = 0
    (`solve_transient` with the `TimeStepping` settings `stepping`; gradients by diffrax's
    checkpointed adjoint)."""

    times: Float[Array, " n"]
    voltage: object
    stepping: TimeStepping

    def __init__(self, times, voltage, *, stepping: TimeStepping = TimeStepping()):
        times = _grid(times, "times", "CurrentTransient")
        if np.any(times <= 0) or np.any(np.diff(times) <= 0):
            raise ValueError(
                "CurrentTransient: times must be > 0 and increasing (s); the drive starts at t = 0"
            )
        self.times = jnp.asarray(times)
        if not isinstance(stepping, TimeStepping):
            raise TypeError(
                f"CurrentTransient: stepping must be a pnpjax.TimeStepping, got {type(stepping)}"
            )
        self.voltage = voltage
        self.stepping = stepping

    @property
    def size(self) -> int:
        return int(self.times.shape[0])

    @property
    def forward_mode(self) -> bool:
        return False  # diffrax's checkpointed adjoint is reverse mode only

    def predict(self, model, mesh):
        solution = solve_transient(
            model, self.times, voltage=self.voltage, mesh=mesh, stepping=self.stepping, throw=False
        )
        return jnp.where(solution.converged, solution.current, jnp.nan)


class CapacitanceCurve(AbstractObservable):
    """The quasi-static differential capacitance (F/m² planar) of the `side` electrode at its
    potentials `voltages` (V, relative to the reference bulk), from the equilibrium
    (`capacitance_voltage`): Mott–Schottky and Gouy–Chapman–Stern curves."""

    voltages: Float[Array, " n"]
    side: str = eqx.field(static=True)

    def __init__(self, voltages, *, side="left"):
        self.voltages = jnp.asarray(_grid(voltages, "voltages", "CapacitanceCurve"))
        if side not in ("left", "right"):
            raise ValueError(f"CapacitanceCurve: side must be 'left' or 'right', got {side!r}")
        self.side = side

    @property
    def size(self) -> int:
        return int(self.voltages.shape[0])

    def predict(self, model, mesh):
        # a trial parameter without a solution gives NaN, which the optimisers reject
        curve = capacitance_voltage(model, self.voltages, side=self.side, mesh=mesh, throw=False)
        return curve.capacitance


class Observable(AbstractObservable):
    """Any other measured quantity: `function(model, mesh)` returns `size` real (or, with
    `complex=True`, complex) numbers in the data's unit, built from pnpjax's solvers with
    JAX operations so that it is differentiable and traceable (no Python control flow on
    traced values). Set `forward_mode=False` when it supports reverse-mode derivatives only
    (a `jax.custom_vjp` inside, e.g. `solve_transient`): Jacobians then use `jax.jacrev`."""

    function: Callable = eqx.field(static=True)
    n: int = eqx.field(static=True)
    complex_valued: bool = eqx.field(static=True)
    jvp_available: bool = eqx.field(static=True)

    def __init__(self, function, size, *, complex=False, forward_mode=True):
        if not callable(function):
            raise TypeError("Observable: function must be callable as function(model, mesh)")
        if int(size) < 1:
            raise ValueError(f"Observable: size must be ≥ 1, got {size}")
        self.function = function
        self.n = int(size)
        self.complex_valued = bool(complex)
        self.jvp_available = bool(forward_mode)

    @property
    def size(self) -> int:
        return self.n

    @property
    def is_complex(self) -> bool:
        return self.complex_valued

    @property
    def forward_mode(self) -> bool:
        return self.jvp_available

    def predict(self, model, mesh):
        return jnp.reshape(self.function(model, mesh), (self.n,))
