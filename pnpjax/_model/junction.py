"""Interfaces, boundaries and the junction that ties phases together."""

import equinox as eqx
import jax
import numpy as np
from jaxtyping import Array

from .._constants import BOLTZMANN_EV
from .._custom_types import ScalarLike, as_float, traced
from .._fields import FINITE, NON_NEGATIVE, POSITIVE, check_parameters, parameter
from .._thermo.activity import CustomActivity, LatticeSaturation
from .._thermo.segregation import Segregation
from .boundaries import AbstractBoundary, Bulk
from .kinetics import ButlerVolmer, resolve_species
from .layout import build_layout
from .phase import Phase
from .species import Species
from .state import AbstractState
from .state_resolution import validate_state
from .thermal import AbstractThermalBoundary, HeatFlux, OnsagerMatrix

GEOMETRIES = ("planar", "cylindrical", "spherical")


class Interface(eqx.Module):
    """The boundary between two neighbouring phases.

    The potential is continuous across it and the normal displacement jumps by the free surface
    charge, $D_2 - D_1 = \\sigma_f$ (Gauss's law). Concentrations may jump: each transparent species
    has one electrochemical potential on both sides; a blocked species has independent ones.

    **Arguments:**

    - `sigma`: free surface charge σ_f (C/m^2) sitting on the interface.
    - `blocked`: names of species that cannot cross (electrons and holes block together, as the
      Fermi level `"E_F"`).
    - `kinetics`: `ButlerVolmer` rate laws of species that cross with finite speed. The
      transport solvers use them; at equilibrium such a species is simply transparent.
      Species without kinetics cross in local equilibrium (μ̃ continuous, the μ° step included).
    """

    sigma: Array = parameter(unit="C/m^2", range=FINITE, doc="free surface charge σ_f")
    kinetics: tuple
    blocked: tuple[str, ...] = eqx.field(static=True)

    def __init__(
        self, sigma: ScalarLike = 0.0, blocked: tuple[str, ...] | list[str] = (), kinetics=()
    ):
        self.sigma = as_float(sigma)
        if isinstance(blocked, str):
            blocked = (blocked,)
        self.blocked = tuple(blocked)
        self.kinetics = _kinetics_tuple(kinetics, "Interface: kinetics")

    def __check_init__(self):
        check_parameters(self, "Interface")
        names = [k.species for k in self.kinetics]
        if len(set(names)) != len(names):
            raise ValueError(f"Interface: kinetics names a species twice: {names}")
        for name in names:
            if name in self.blocked:
                raise ValueError(
                    f"Interface: {name!r} is both blocked and given ButlerVolmer kinetics; "
                    "remove it from one of them"
                )


def _kinetics_tuple(kinetics, what: str) -> tuple:
    if isinstance(kinetics, ButlerVolmer):
        kinetics = (kinetics,)
    kinetics = tuple(kinetics)
    for k in kinetics:
        if not isinstance(k, ButlerVolmer):
            raise TypeError(f"{what} must be pnpjax.ButlerVolmer rate laws, got {type(k)}")
    return kinetics


class Junction(eqx.Module):
    """A one-dimensional stack of phases in contact, with what fixes its equilibrium state.

    Positions run from `origin` through the phases in order. In `"cylindrical"` and `"spherical"`
    geometry the coordinate is the radius (m) and `origin` the inner radius; only face areas and
    cell volumes change.

    **Arguments:**

    - `phases`: the phases, left to right.
    - `state`: what fixes the equilibrium: `Reservoir`, `ReferenceBulk` or `Closed`.
    - `interfaces`: one `Interface` per pair of neighbours (default: charge-free, transparent).
    - `left`, `right`: boundary conditions (`Bulk`, `Symmetry`, `Electrode`, `Ohmic`,
      `SchottkyContact`); default `Bulk`.
    - `temperature`: T (K).
    - `species`: the `Species`; by default inferred from the Kröger–Vink labels used in the
      phases' carriers. Plain names need an explicit `Species(name, charge=...)`.
    - `geometry`: `"planar"`, `"cylindrical"` or `"spherical"`.
    - `origin`: position (m) of the left end; the inner radius in radial geometries.
    - `segregation`: `Segregation` profiles ΔG(x) (eV) added to the standard chemical potential
      of a species (grain-boundary cores, interphases).
    - `thermal_left`, `thermal_right`: thermal boundary conditions (`FixedTemperature`,
      `HeatFlux`, `Convective`). Giving either makes the transport solvers
      (`solve_transient`, `solve_steady_state`, `iv_curve`, `impedance`) solve for the
      temperature field T(x) too (coupled heat and mass transport, Onsager form); the other end
      defaults to adiabatic, `HeatFlux(0.0)`. Every phase then needs `Phase(thermal=...)`, and
      `temperature` is the reference T₀ at which μ°, D and the initial equilibrium hold. The
      equilibrium solver is always isothermal at `temperature`.
    """

    phases: tuple[Phase, ...]
    interfaces: tuple[Interface, ...]
    left: AbstractBoundary
    right: AbstractBoundary
    state: AbstractState
    temperature: Array = parameter(unit="K", range=POSITIVE, doc="temperature")
    origin: Array = parameter(unit="m", range=NON_NEGATIVE, doc="position of the left end")
    segregation: tuple[Segregation, ...]
    thermal_left: AbstractThermalBoundary | None
    thermal_right: AbstractThermalBoundary | None
    species: tuple[Species, ...] = eqx.field(static=True)
    geometry: str = eqx.field(static=True)

    def __init__(
        self,
        phases,
        state: AbstractState,
        *,
        interfaces=None,
        left: AbstractBoundary | None = None,
        right: AbstractBoundary | None = None,
        temperature: ScalarLike = 298.15,
        species=None,
        geometry: str = "planar",
        origin: ScalarLike = 0.0,
        segregation=(),
        thermal_left: AbstractThermalBoundary | None = None,
        thermal_right: AbstractThermalBoundary | None = None,
    ):
        phases = tuple(phases)
        if not phases or not all(isinstance(p, Phase) for p in phases):
            raise TypeError("Junction: phases must be a non-empty sequence of pnpjax.Phase")
        names = [p.name for p in phases]
        if len(set(names)) != len(names):
            raise ValueError(f"Junction: phase names must be unique, got {names}")
        if interfaces is None:
            interfaces = tuple(Interface() for _ in phases[1:])
        interfaces = tuple(interfaces)
        if len(interfaces) != len(phases) - 1:
            raise ValueError(
                f"Junction: {len(phases)} phases need {len(phases) - 1} interfaces, "
                f"got {len(interfaces)}"
            )
        if not isinstance(state, AbstractState):
            raise TypeError(
                "Junction: state must be pnpjax.Reservoir, pnpjax.ReferenceBulk or pnpjax.Closed"
            )
        if geometry not in GEOMETRIES:
            raise ValueError(f"Junction: geometry must be one of {GEOMETRIES}, got {geometry!r}")
        self.phases = phases
        self.interfaces = interfaces
        self.left = Bulk() if left is None else left
        self.right = Bulk() if right is None else right
        self.state = state
        self.temperature = as_float(temperature)
        self.origin = as_float(origin)
        self.geometry = geometry
        self.species = _resolve_species(phases, species)
        if isinstance(segregation, Segregation):
            segregation = (segregation,)
        self.segregation = tuple(segregation)
        if thermal_left is not None or thermal_right is not None:
            thermal_left = HeatFlux(0.0) if thermal_left is None else thermal_left
            thermal_right = HeatFlux(0.0) if thermal_right is None else thermal_right
        self.thermal_left = thermal_left
        self.thermal_right = thermal_right

    @property
    def heat_transport(self) -> bool:
        """True when the transport solvers solve for the temperature field."""
        return self.thermal_left is not None

    def __check_init__(self):
        check_parameters(self, "Junction")
        for side, boundary in (("left", self.left), ("right", self.right)):
            if not isinstance(boundary, AbstractBoundary):
                raise TypeError(
                    f"Junction: {side} must be a boundary (pnpjax.Bulk, Symmetry, Electrode, "
                    f"Ohmic, SchottkyContact), got {type(boundary).__name__}"
                )
        known = {s.name for s in self.species} | {"E_F"}
        for k, interface in enumerate(self.interfaces):
            for name in interface.blocked:
                if name not in known:
                    raise ValueError(
                        f"Junction: interface {k} ({self.phases[k].name}|{self.phases[k + 1].name})"
                        f" blocks unknown species {name!r}; known species are {sorted(known)}"
                    )
        for index, phase in enumerate(self.phases):
            at_bulk_end = (index == 0 and self.left.semi_infinite) or (
                index == len(self.phases) - 1 and self.right.semi_infinite
            )
            if phase.thickness is None and not at_bulk_end:
                raise ValueError(
                    f"Phase {phase.name!r}: thickness=None (semi-infinite) is only allowed for an "
                    "end phase at a Bulk() boundary; give a thickness in m"
                )
        if self.geometry != "planar":
            origin = np.asarray(self.origin) if not traced(self.origin) else None
            if origin is not None and origin == 0 and not self.left.centre:
                raise ValueError(
                    f"Junction: {self.geometry} geometry with origin=0 needs left=Symmetry() "
                    "(the centre); or give an inner radius origin > 0"
                )
            for boundary, phase in ((self.left, self.phases[0]), (self.right, self.phases[-1])):
                if boundary.semi_infinite and phase.thickness is None:
                    raise ValueError(
                        f"Junction: {self.geometry} geometry needs finite radii; give phase "
                        f"{phase.name!r} a thickness (m)"
                    )
        if not self.species:
            raise ValueError(
                "Junction: no species in any phase; a charge-free stack needs no solver "
                "(the potential is piecewise linear)"
            )
        batched = [
            leaf
            for leaf in jax.tree_util.tree_leaves(without_profiles(self))
            if not traced(leaf) and np.ndim(leaf) > 0
        ]
        if batched:
            raise ValueError(
                "Junction: every parameter must be a scalar; build a batch of junctions with "
                "jax.vmap over a function that constructs one, e.g. jax.vmap(make_junction)(params)"
            )
        _check_thermal(self)
        _check_nonideal(self)
        _check_kinetics(self)
        _check_counter_charge(self)
        for side, boundary in (("left", self.left), ("right", self.right)):
            boundary.check(self, side)
        validate_state(self, build_layout(self))


def _resolve_species(phases, species) -> tuple[Species, ...]:
    declared = {}
    for s in species or ():
        s = s if isinstance(s, Species) else Species(s)
        declared[s.name] = s
    ordered = dict(declared)
    for phase in phases:
        for name in phase.carriers:
            if name not in ordered:
                try:
                    ordered[name] = Species(name)
                except ValueError as err:
                    raise ValueError(
                        f"Phase {phase.name!r}: carrier {name!r} is not a Kröger–Vink label; "
                        f"declare it with species=[pnpjax.Species({name!r}, charge=...)]"
                    ) from err
    electrons = [s.name for s in ordered.values() if s.kind == "electron"]
    holes = [s.name for s in ordered.values() if s.kind == "hole"]
    if len(electrons) > 1 or len(holes) > 1:
        raise ValueError(
            f"Junction: at most one electron and one hole species, got {electrons + holes}"
        )
    return tuple(ordered.values())


def _check_counter_charge(junction: Junction):
    """A fixed charge needs mobile carriers of the opposite sign somewhere to screen it."""
    charge = {s.name: s.charge for s in junction.species}
    mobile_signs = set()
    for phase in junction.phases:
        for name, carrier in phase.carriers.items():
            if carrier.mobile and charge[name] != 0:
                mobile_signs.add(np.sign(charge[name]))
    for index, phase in enumerate(junction.phases):
        fixed = np.asarray(phase.background_charge) if not traced(phase.background_charge) else None
        if fixed is None:
            continue
        fixed = float(fixed)
        for name, carrier in phase.carriers.items():
            if not carrier.mobile and charge[name] != 0:
                if traced(carrier.density):
                    break
                fixed += charge[name] * float(np.asarray(carrier.density))
        if fixed == 0.0:
            continue
        local = {np.sign(charge[n]) for n, c in phase.carriers.items() if c.mobile and charge[n]}
        end_bulk = (index == 0 and junction.left.semi_infinite) or (
            index == len(junction.phases) - 1 and junction.right.semi_infinite
        )
        needed = -np.sign(fixed)
        if (end_bulk and needed not in local) or needed not in mobile_signs:
            kind = "positive" if needed > 0 else "negative"
            raise ValueError(
                f"Phase {phase.name!r}: fixed charge {fixed:.3g} e·m^-3 (background and frozen "
                f"carriers) has no mobile {kind} carrier to screen it; add a mobile carrier of "
                "that sign or make the fixed charge zero"
            )


def without_profiles(junction: Junction) -> Junction:
    """The junction without the parameters that may legitimately be arrays (segregation tables,
    custom activity parameters, Onsager matrices): all its leaves are scalars unless it is a
    batch. Good enough for the mesh's scale estimates, which ignore them."""
    phases = tuple(
        eqx.tree_at(
            lambda p: (p.activity, p.thermal),
            phase,
            (
                tuple(m for m in phase.activity if not isinstance(m, CustomActivity)),
                None if isinstance(phase.thermal, OnsagerMatrix) else phase.thermal,
            ),
            is_leaf=lambda x: x is None,
        )
        for phase in junction.phases
    )
    return eqx.tree_at(lambda j: (j.phases, j.segregation), junction, (phases, ()))


def _check_nonideal(junction: Junction):
    if not traced(junction.temperature):
        kT = BOLTZMANN_EV * float(junction.temperature)
        for phase in junction.phases:
            for model in phase.activity:
                model.validate(kT)
    for phase in junction.phases:
        for model in phase.activity:
            if isinstance(model, LatticeSaturation) and model.sites is None:
                density = phase.carriers[model.species[0]].density
                if not traced((density, model.occupied)) and model.occupied >= density:
                    raise ValueError(
                        f"Phase {phase.name!r}: LatticeSaturation({model.species[0]!r}) has "
                        f"occupied = {float(model.occupied):.4g} m^-3 at or above the carrier's "
                        f"site density {float(density):.4g} m^-3; leave room for the species"
                    )
    names = {p.name for p in junction.phases}
    for k, seg in enumerate(junction.segregation):
        if not isinstance(seg, Segregation):
            raise TypeError(f"Junction: segregation[{k}] must be a pnpjax.Segregation")
        hosts = [
            p.name
            for p in junction.phases
            if seg.species in p.carriers and p.carriers[seg.species].mobile
        ]
        if not hosts:
            raise ValueError(
                f"Junction: segregation[{k}] names {seg.species!r}, which is not a mobile "
                "carrier of any phase (a frozen carrier keeps its concentration)"
            )
        for name in seg.phases or ():
            if name not in names:
                raise ValueError(
                    f"Junction: segregation[{k}] names unknown phase {name!r}; phases are "
                    f"{sorted(names)}"
                )
            if name not in hosts:
                raise ValueError(
                    f"Junction: segregation[{k}] applies to phase {name!r}, where "
                    f"{seg.species!r} is not a mobile carrier; hosts are {hosts}"
                )


def _check_kinetics(junction: Junction):
    """Rate laws must name mobile carriers where they act."""
    names = tuple(s.name for s in junction.species)
    kinds = tuple(s.kind for s in junction.species)

    def mobile_in(phase, name):
        carrier = phase.carriers.get(name)
        return carrier is not None and carrier.mobile

    for k, interface in enumerate(junction.interfaces):
        left, right = junction.phases[k], junction.phases[k + 1]
        for rate in interface.kinetics:
            if not (mobile_in(left, rate.species) and mobile_in(right, rate.species)):
                raise ValueError(
                    f"Junction: interface {k} ({left.name}|{right.name}) has ButlerVolmer "
                    f"kinetics for {rate.species!r}, which must be a mobile carrier of both "
                    "phases"
                )
    for phase in junction.phases:
        for rate in phase.reactions:
            for s in resolve_species(rate, names, kinds):
                if not mobile_in(phase, names[s]):
                    raise ValueError(
                        f"Phase {phase.name!r}: {type(rate).__name__} needs {names[s]!r} as a "
                        f"mobile carrier of this phase; carriers are {list(phase.carriers)}"
                    )


def _check_thermal(junction: Junction):
    """Heat transport needs thermal boundary conditions of the right type and thermal
    coefficients in every phase."""
    if not junction.heat_transport:
        return
    for side, boundary in (("left", junction.thermal_left), ("right", junction.thermal_right)):
        if not isinstance(boundary, AbstractThermalBoundary):
            raise TypeError(
                f"Junction: thermal_{side} must be pnpjax.FixedTemperature, HeatFlux or "
                f"Convective, got {type(boundary)}"
            )
    missing = [phase.name for phase in junction.phases if phase.thermal is None]
    if missing:
        raise ValueError(
            f"Junction: thermal boundaries solve for the temperature, but phases {missing} have "
            "no heat transport coefficients; give each Phase(thermal=pnpjax.ThermalTransport("
            "conductivity=..., heat_capacity=...)) or an OnsagerMatrix"
        )
