"""Phases: homogeneous solid regions and the species they host."""

import dataclasses

import equinox as eqx
import numpy as np
from jaxtyping import Array

from .._custom_types import ScalarLike, as_float, traced
from .._fields import (
    FINITE,
    NON_NEGATIVE,
    POSITIVE,
    check_parameters,
    check_value,
    describe,
    parameter,
)
from .._thermo.activity import AbstractActivity, FermiDirac
from .thermal import AbstractThermalTransport, OnsagerMatrix


class Carrier(eqx.Module):
    """One species in one phase.

    A **mobile** carrier follows its electrochemical potential $\\tilde\\mu$ (eV):
    $c = N \\exp(-(\\mu^\\circ + z e\\phi - \\tilde\\mu)/k_BT)$, with $N$ its site or reference
    density (the concentration at which the chemical potential equals $\\mu^\\circ$).
    For electrons $\\mu^\\circ$ is the conduction-band edge $E_C$, $\\tilde\\mu$ the Fermi level and
    $N$ the effective density of states $N_C$. For holes give $\\mu^\\circ = E_V$ (the valence-band
    edge) and $N = N_V$: pnpjax uses the hole energies $-E_V$ and $-E_F$ in the formula above,
    so that $p = N_V\\exp((E_V - e\\phi - E_F)/k_BT)$.

    A **frozen** carrier (`mobile=False`) keeps the uniform concentration `density` everywhere in
    the phase: an immobile dopant or a defect that does not equilibrate (the Mott–Schottky case).

    **Arguments:**

    - `mu0`: standard chemical potential μ° (eV), or the band edge for electrons and holes.
      Ignored for frozen carriers.
    - `density`: site/reference density N (m^-3) for a mobile carrier; the fixed concentration
      (m^-3) for a frozen one.
    - `diffusivity`: D (m^2/s), used by the transport solvers; `0` means "not set".
    - `mobile`: whether the carrier equilibrates (static).
    - `entropy`: standard entropy s° (eV/K), used when the temperature varies (heat transport):
      $\\mu^\\circ(T) = \\mu^\\circ - s^\\circ(T - T_0)$ with T₀ the junction's temperature, so the
      partial enthalpy $h^\\circ = \\mu^\\circ + T_0s^\\circ$ is constant. For electrons and holes
      the band edge shifts as $E(T) = E - s^\\circ(T - T_0)$. Differences of s° between phases
      give the Peltier heat of a current crossing an interface. Default 0.
    - `activation_energy`: $E_a$ (eV, ≥ 0) of the diffusivity when the temperature varies,
      $D(T) = D\\,e^{-E_a(1/k_BT - 1/k_BT_0)}$ (D is the value at T₀). Default 0.
    """

    mu0: Array = parameter(unit="eV", doc="standard chemical potential μ° (or band edge)")
    density: Array = parameter(
        unit="m^-3", range=POSITIVE, doc="site density N (mobile), concentration (frozen, >= 0)"
    )
    diffusivity: Array = parameter(unit="m^2/s", range=NON_NEGATIVE, doc="diffusivity D")
    entropy: Array = parameter(unit="eV/K", doc="standard entropy s°")
    activation_energy: Array = parameter(
        unit="eV", range=NON_NEGATIVE, doc="activation energy of D"
    )
    mobile: bool = eqx.field(static=True)

    def __init__(
        self,
        mu0: ScalarLike = 0.0,
        density: ScalarLike | None = None,
        diffusivity: ScalarLike = 0.0,
        mobile: bool = True,
        *,
        entropy: ScalarLike = 0.0,
        activation_energy: ScalarLike = 0.0,
    ):
        if density is None:
            raise ValueError(
                "Carrier: density is required: the site/reference density N (m^-3) of a mobile "
                "carrier, or the fixed concentration (m^-3) of a frozen one"
            )
        self.mu0 = as_float(mu0)
        self.density = as_float(density)
        self.diffusivity = as_float(diffusivity)
        self.entropy = as_float(entropy)
        self.activation_energy = as_float(activation_energy)
        self.mobile = bool(mobile)

    def __check_init__(self):
        check_parameters(self, "Carrier", skip=() if self.mobile else ("density",))
        if not self.mobile:
            # a frozen carrier's density is its concentration, which may be zero
            info = dataclasses.replace(describe(self, "density"), range=NON_NEGATIVE)
            check_value(info, self.density, "Carrier: density (concentration of a frozen carrier)")


class Phase(eqx.Module):
    """A homogeneous solid region of the junction.

    **Arguments:**

    - `name`: unique name of the phase.
    - `thickness`: thickness (m). `None` for a semi-infinite bulk at a `Bulk` boundary: the mesh
      then chooses a length from the Debye length and the built-in potential.
    - `eps_r`: relative permittivity (dimensionless, > 0).
    - `carriers`: `{species name: Carrier}`; species not listed are absent from the phase.
    - `background_charge`: fixed charge density in units of e·m^-3 (signed: an ionised donor
      density is positive, an acceptor density negative).
    - `activity`: activity/statistics models for some mobile carriers (`LatticeSaturation`,
      `Bikerman`, `RegularSolution`, `FermiDirac`, `CustomActivity`); carriers not covered are
      ideal (Boltzmann). Each carrier belongs to at most one model.
    - `reactions`: bulk rate laws acting in this phase (`MassAction`, `ShockleyReadHall`,
      `Radiative`), used by the transport solvers. Their equilibrium constants follow from the
      carriers' μ° and densities, so they never shift the equilibrium.
    - `thermal`: heat transport coefficients, `ThermalTransport` (thermal conductivity, heat
      capacity, heats of transport or Soret coefficients) or `OnsagerMatrix` (the matrix given
      directly). Needed in every phase when the junction solves for the temperature
      (`Junction(thermal_left=..., thermal_right=...)`); an `OnsagerMatrix`'s diffusivities
      (and cross diffusivities) also act in isothermal runs.
    """

    name: str = eqx.field(static=True)
    thickness: Array | None = parameter(unit="m", range=POSITIVE, doc="thickness")
    eps_r: Array = parameter(unit="1", range=POSITIVE, doc="relative permittivity")
    carriers: dict[str, Carrier]
    background_charge: Array = parameter(unit="e m^-3", range=FINITE, doc="fixed charge density")
    activity: tuple[AbstractActivity, ...]
    reactions: tuple
    thermal: AbstractThermalTransport | None

    def __init__(
        self,
        name: str,
        *,
        eps_r: ScalarLike,
        carriers: dict[str, Carrier],
        thickness: ScalarLike | None = None,
        background_charge: ScalarLike = 0.0,
        activity=(),
        reactions=(),
        thermal: AbstractThermalTransport | None = None,
    ):
        if not isinstance(name, str) or not name:
            raise ValueError(f"Phase name must be a non-empty string, got {name!r}")
        self.name = name
        self.thickness = None if thickness is None else as_float(thickness)
        self.eps_r = as_float(eps_r)
        if not isinstance(carriers, dict):
            raise TypeError(f"Phase {name!r}: carriers must be a dict {{species name: Carrier}}")
        for key, value in carriers.items():
            if not isinstance(value, Carrier):
                raise TypeError(
                    f"Phase {name!r}: carriers[{key!r}] must be a pnpjax.Carrier, got {type(value)}"
                )
        self.carriers = dict(carriers)
        self.background_charge = as_float(background_charge)
        self.activity = _activity_models(name, carriers, activity)
        self.reactions = _rate_laws(name, carriers, reactions)
        self.thermal = _thermal(name, carriers, thermal)

    def __check_init__(self):
        hint = "; use thickness=None for a semi-infinite bulk"
        check_parameters(self, f"Phase {self.name!r}", {"thickness": hint})


def _activity_models(name: str, carriers: dict, activity) -> tuple[AbstractActivity, ...]:
    if isinstance(activity, AbstractActivity):
        activity = (activity,)
    activity = tuple(activity)
    covered = {}
    for model in activity:
        if not isinstance(model, AbstractActivity):
            raise TypeError(
                f"Phase {name!r}: activity entries must be activity models (e.g. "
                f"pnpjax.LatticeSaturation), got {type(model)}"
            )
        for species in model.species:
            carrier = carriers.get(species)
            if carrier is None:
                raise ValueError(
                    f"Phase {name!r}: {type(model).__name__} names {species!r}, which is not a "
                    f"carrier of this phase; carriers are {list(carriers)}"
                )
            if not carrier.mobile:
                raise ValueError(
                    f"Phase {name!r}: {type(model).__name__} names the frozen carrier "
                    f"{species!r}; activity models apply to mobile carriers only (a frozen "
                    "carrier keeps its given concentration)"
                )
            if species in covered:
                raise ValueError(
                    f"Phase {name!r}: {species!r} appears in both {covered[species]} and "
                    f"{type(model).__name__}; give each carrier at most one activity model"
                )
            covered[species] = type(model).__name__
        if isinstance(model, FermiDirac):
            from .species import Species

            for species in model.species:
                if Species(species).kind not in ("electron", "hole"):
                    raise ValueError(
                        f"Phase {name!r}: FermiDirac applies to electrons and holes, not "
                        f"{species!r}; use LatticeSaturation for ions on a finite lattice"
                    )
    return activity


def _rate_laws(name: str, carriers: dict, reactions) -> tuple:
    from .kinetics import AbstractRate

    if isinstance(reactions, AbstractRate):
        reactions = (reactions,)
    reactions = tuple(reactions)
    for rate in reactions:
        if not isinstance(rate, AbstractRate):
            raise TypeError(
                f"Phase {name!r}: reactions must be rate laws (pnpjax.MassAction, "
                f"ShockleyReadHall, Radiative), got {type(rate)}"
            )
    return reactions


def _thermal(name: str, carriers: dict, thermal):
    if thermal is None:
        return None
    if not isinstance(thermal, AbstractThermalTransport):
        raise TypeError(
            f"Phase {name!r}: thermal must be pnpjax.ThermalTransport or pnpjax.OnsagerMatrix, "
            f"got {type(thermal)}"
        )
    for species in thermal.species:
        carrier = carriers.get(species)
        if carrier is None or not carrier.mobile:
            raise ValueError(
                f"Phase {name!r}: {type(thermal).__name__} names {species!r}, which is not a "
                f"mobile carrier of this phase; mobile carriers are "
                f"{[k for k, c in carriers.items() if c.mobile]}"
            )
        if isinstance(thermal, OnsagerMatrix):
            d = np.asarray(carrier.diffusivity) if not traced(carrier.diffusivity) else None
            if d is not None and d != 0:
                raise ValueError(
                    f"Phase {name!r}: {species!r} has a diffusivity on its Carrier and in the "
                    "OnsagerMatrix (L_ii = D c / k_B); give it in one place only"
                )
    return thermal
