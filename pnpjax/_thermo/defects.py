"""Bulk defect chemistry: point defects, electronic carriers and their mass-action laws."""

import equinox as eqx
import numpy as np
from jaxtyping import Array

from .._custom_types import ScalarLike, as_float
from .._fields import FINITE, NON_NEGATIVE, POSITIVE, check_parameters, parameter
from .._model.phase import Carrier
from .defect_equilibrium import solve_defects
from .defect_labels import COMPONENT, DEFECT, ELECTRON, HOLE, Label, parse_label
from .defect_network import AbstractDefectChemistry, Network, build_network, check_room
from .reaction import Reaction


class Defect(eqx.Module):
    """A point defect given by its formation energy, as first-principles studies report it.

    $$E_f = E_f^0 - TS_f + q\\,(E_F - E_V) - \\sum_c n_c\\,\\mu_c, \\qquad
    c = N\\,e^{-E_f/k_BT},$$

    with $q$ the charge from the Kröger–Vink label, $E_F$ the Fermi level above the valence-band
    maximum, $n_c$ the atoms of component $c$ added to the crystal to form the defect (negative
    when removed) and $\\mu_c$ (eV) the component's chemical potential relative to the reference
    at which $E_f^0$ is given. $N$ (m^-3) is the site density of the defect's sublattice. With
    `site_saturation=True` in the `DefectChemistry` the law becomes
    $c/N = e^{-E_f/k_BT}\\,(1 - \\sum_\\text{sublattice} c/N)$.

    A component's chemical potential and activity are one quantity, $\\mu_c = k_BT\\ln a_c$
    relative to its standard state; write oxygen as `atoms={"O2": -0.5}` to give it as p_O2
    (bar), or as `atoms={"O": -1}` to give $\\mu_O$ in eV.

    **Arguments:**

    - `name`: Kröger–Vink label, e.g. `"V_O^••"`, `"Li_i^•"`, `"V_Li'"`.
    - `energy`: formation energy $E_f^0$ (eV) at $E_F = E_V$ and $\\mu_c = 0$.
    - `atoms`: `{component: n_c}` atoms added to form the defect (removed: negative).
    - `sublattice`: the sublattice, when it is not the label's subscript.
    - `entropy`: formation entropy $S_f$ (eV/K).

    **Reference:** C. Freysoldt et al., *Rev. Mod. Phys.* 86, 253 (2014), eqs. (1)–(3).
    """

    name: str = eqx.field(static=True)
    label: Label = eqx.field(static=True)
    atoms: tuple[tuple[str, float], ...] = eqx.field(static=True)
    energy: Array = parameter(unit="eV", range=FINITE, doc="formation energy E_f^0")
    entropy: Array = parameter(unit="eV/K", range=FINITE, doc="formation entropy S_f")

    def __init__(
        self,
        name: str,
        energy: ScalarLike,
        *,
        atoms: dict[str, float] | None = None,
        sublattice: str | None = None,
        entropy: ScalarLike = 0.0,
    ):
        label = parse_label(name)
        if label.kind != DEFECT:
            raise ValueError(
                f"Defect {name!r}: needs a Kröger–Vink defect label such as 'V_O^••' (electrons "
                "and holes come from band_gap, N_C and N_V of the DefectChemistry)"
            )
        if sublattice is not None:
            if not isinstance(sublattice, str) or not sublattice:
                raise ValueError(f"Defect {name!r}: sublattice must be a non-empty string")
            label = label.on(sublattice)
        atoms = {} if atoms is None else dict(atoms)
        for component, count in atoms.items():
            if parse_label(component).kind != COMPONENT:
                raise ValueError(
                    f"Defect {name!r}: atoms key {component!r} must be a component (no charge "
                    "mark), e.g. 'O', 'O2' or 'Li'"
                )
            if not np.isfinite(count):
                raise ValueError(f"Defect {name!r}: atoms[{component!r}] must be a finite number")
        self.name = label.name
        self.label = label
        self.atoms = tuple((c, float(n)) for c, n in atoms.items() if n != 0)
        self.energy = as_float(energy)
        self.entropy = as_float(entropy)

    def __check_init__(self):
        check_parameters(self, f"Defect {self.name!r}")

    def formation_energy(self, temperature) -> Array:
        """$E_f^0 - TS_f$ (eV), at $E_F = E_V$ and $\\mu_c = 0$."""
        return self.energy - temperature * self.entropy


def _density_dict(values, what: str) -> dict[str, Array]:
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise TypeError(f"DefectChemistry: {what} must be a dict, got {type(values)}")
    return {str(k): as_float(v) for k, v in values.items()}


class DefectChemistry(AbstractDefectChemistry):
    """The point defects and electronic carriers of one bulk phase, and their equilibria.

    The unknown concentrations follow from three kinds of equations:

    - mass action for every reaction, $\\sum_j \\nu_j \\ln a_j = -\\Delta G/k_BT$, and for every
      formation energy, $\\ln(c/N) = -E_f/k_BT$ (see `Reaction`, `Defect`);
    - electroneutrality, $\\sum_j z_j c_j = 0$, fixed dopants included;
    - the site balance of every sublattice whose regular species appears ($O_O^x$ has activity
      $1 - \\sum c/N$ over the defects on O sites), and any given totals.

    Solve it with `solve_defects` (or the `solve` method); batch it with `brouwer`.

    **Arguments:**

    - `reactions`: `Reaction`s (mass-action input).
    - `defects`: `Defect`s (formation-energy input). The two styles can be mixed.
    - `sites`: `{sublattice: site density N (m^-3)}`, e.g. `{"O": 5.0e28, "Ce": 2.5e28, "i": ...}`;
      the subscript of a label names its sublattice (`V_O^••` → `"O"`, `Li_i^•` → `"i"`).
    - `N_C`, `N_V`: effective densities of states (m^-3) of the conduction and valence bands;
      the standard states of electrons and holes are $n/N_C$ and $p/N_V$.
    - `band_gap`: $E_g$ (eV). Adds electrons (`e'`) and holes (`h^•`) in equilibrium with the
      Fermi level, $n = N_C e^{(E_F - E_g)/k_BT}$, $p = N_V e^{-E_F/k_BT}$ ($E_F$ above $E_V$);
      needed when formation energies and electronic carriers meet.
    - `fixed`: `{dopant: concentration (m^-3)}` for frozen species that take part in no reaction
      (an aliovalent dopant `Gd_Ce'`). They count in neutrality and occupy sites.
    - `totals`: `{group: total concentration (m^-3)}` for species that reactions interconvert but
      whose sum is given, e.g. a dopant's charge states, `{"A": N_A}` (every defect of chemical
      symbol A) or `{("A_Ce^x", "A_Ce'"): N_A}`.
    - `sublattices`: `{species: sublattice}` for labels whose subscript does not name it.
    - `site_saturation`: formation-energy defects also obey their sublattice's site balance
      (off by default: the dilute law). For the equilibrium solver, give the phase
      `activity=chemistry.activity()` so its space-charge layers saturate the same way.

    The values of `fixed` and `totals` can be overridden per solve.
    """

    reactions: tuple[Reaction, ...]
    defects: tuple[Defect, ...]
    sites: dict[str, Array] = parameter(unit="m^-3", range=POSITIVE, doc="site densities")
    N_C: Array | None = parameter(unit="m^-3", range=POSITIVE, doc="conduction-band DOS")
    N_V: Array | None = parameter(unit="m^-3", range=POSITIVE, doc="valence-band DOS")
    band_gap: Array | None = parameter(unit="eV", range=FINITE, doc="band gap E_g")
    fixed: dict[str, Array] = parameter(
        unit="m^-3", range=NON_NEGATIVE, doc="fixed dopant concentrations"
    )
    totals: dict[str, Array] = parameter(
        unit="m^-3", range=NON_NEGATIVE, doc="total concentrations of components"
    )
    site_saturation: bool = eqx.field(static=True)
    network: Network = eqx.field(static=True)

    def __init__(
        self,
        reactions=(),
        defects=(),
        *,
        sites: dict[str, ScalarLike] | None = None,
        N_C: ScalarLike | None = None,
        N_V: ScalarLike | None = None,
        band_gap: ScalarLike | None = None,
        fixed: dict[str, ScalarLike] | None = None,
        totals: dict | None = None,
        sublattices: dict[str, str] | None = None,
        site_saturation: bool = False,
    ):
        reactions = (reactions,) if isinstance(reactions, Reaction) else tuple(reactions)
        defects = (defects,) if isinstance(defects, Defect) else tuple(defects)
        for reaction in reactions:
            if not isinstance(reaction, Reaction):
                raise TypeError(
                    f"DefectChemistry: reactions must be pnpjax Reaction objects, got "
                    f"{reaction!r}; e.g. Reaction({reaction!r}, dH=...)"
                    if isinstance(reaction, str)
                    else f"DefectChemistry: reactions must be Reaction objects, got {reaction!r}"
                )
        for defect in defects:
            if not isinstance(defect, Defect):
                raise TypeError(f"DefectChemistry: defects must be Defect objects, got {defect!r}")
        if not reactions and not defects:
            raise ValueError("DefectChemistry: give reactions=[Reaction(...)] or defects=[Defect]")
        if band_gap is not None and (N_C is None or N_V is None):
            raise ValueError(
                "DefectChemistry: band_gap adds electrons and holes, which need N_C and N_V "
                "(effective densities of states, m^-3)"
            )
        totals = {} if totals is None else dict(totals)
        self.reactions = reactions
        self.defects = defects
        self.sites = _density_dict(sites, "sites")
        self.N_C = None if N_C is None else as_float(N_C)
        self.N_V = None if N_V is None else as_float(N_V)
        self.band_gap = None if band_gap is None else as_float(band_gap)
        self.site_saturation = bool(site_saturation)
        fixed = _density_dict(fixed, "fixed")
        self.network, total_keys = build_network(
            reactions,
            defects,
            sites=set(self.sites),
            has_band_gap=band_gap is not None,
            has_conduction=N_C is not None,
            has_valence=N_V is not None,
            fixed=tuple(fixed),
            totals=tuple(totals),
            sublattices=dict(sublattices or {}),
            site_saturation=self.site_saturation,
        )
        self.fixed = {lab.name: value for lab, value in zip(self.network.fixed, fixed.values())}
        self.totals = {key: as_float(v) for key, v in zip(total_keys, totals.values())}

    def __check_init__(self):
        check_parameters(self, "DefectChemistry")
        check_room(self.network, self.sites, self.fixed)

    @property
    def species(self) -> tuple[str, ...]:
        """Names of the species whose concentrations are solved for (fixed dopants excluded)."""
        return self.network.names

    @property
    def components(self) -> tuple[str, ...]:
        """Names of the components whose activity or chemical potential a solve needs."""
        return self.network.components

    def density(self, label: Label) -> Array:
        """Standard-state density (m^-3) of a species: its sublattice's site density, or
        N_C / N_V for electrons / holes."""
        if label.kind == ELECTRON:
            return self.N_C
        if label.kind == HOLE:
            return self.N_V
        return self.sites[label.site]

    def carriers(self, temperature: ScalarLike) -> dict[str, Carrier]:
        """The phase's `Carrier`s for `solve_equilibrium`, from formation-energy input.

        Each `Defect` becomes a mobile carrier with $\\mu^\\circ = E_f^0 - TS_f$ (eV, its formation
        energy at $E_F = E_V$ and $\\mu_c = 0$) and its sublattice's site density; electrons get
        $\\mu^\\circ = E_C = E_g$ and $N_C$, holes $\\mu^\\circ = E_V = 0$ and $N_V$ (band edges
        relative to the valence-band maximum); fixed dopants become frozen carriers. Then
        $c = N\\exp(-(\\mu^\\circ + ze\\phi - \\tilde\\mu)/k_BT)$ with the potentials of
        `DefectEquilibrium.reservoir()` reproduces this chemistry at φ = 0. Use
        `eqx.tree_at` or a dict edit to freeze or drop carriers.
        """
        formed = {label.key for label in self.network.defect_labels}
        from_reactions = [
            lab.name
            for lab in self.network.unknowns
            if lab.kind == DEFECT and not lab.regular and lab.key not in formed
        ]
        if from_reactions:
            raise ValueError(
                f"DefectChemistry.carriers: {from_reactions} enter through reactions and have no "
                "formation energy, hence no standard chemical potential; build their Carriers "
                "yourself and use DefectEquilibrium.reference_bulk() for the state"
            )
        temperature = as_float(temperature)
        carriers = {
            label.name: Carrier(d.formation_energy(temperature), self.density(label))
            for d, label in zip(self.defects, self.network.defect_labels)
        }
        if self.band_gap is not None:
            carriers["e'"] = Carrier(self.band_gap, self.N_C)
            carriers["h^•"] = Carrier(0.0, self.N_V)
        for name, value in self.fixed.items():
            carriers[name] = Carrier(density=value, mobile=False)
        return carriers

    def activity(self) -> tuple:
        """Activity models for the phase built from `carriers()`: with `site_saturation=True`
        the formation-energy defects of each sublattice share it (`LatticeSaturation`, the fixed
        dopants on it holding their sites), which is this chemistry's site balance; without it,
        none (ideal dilute defects).
        """
        from .activity import LatticeSaturation

        if not self.site_saturation:
            return ()
        groups: dict[str, list[str]] = {}
        for label in self.network.defect_labels:
            if label.site is not None:
                groups.setdefault(label.site, []).append(label.name)
        occupied: dict[str, Array] = {}
        for label, value in zip(self.network.fixed, self.fixed.values()):
            if label.site is not None:
                occupied[label.site] = occupied.get(label.site, 0.0) + value
        return tuple(
            LatticeSaturation(
                tuple(names), sites=self.sites[site], occupied=occupied.get(site, 0.0)
            )
            for site, names in groups.items()
        )

    def solve(self, temperature, **kwargs):
        """Same as `solve_defects(self, temperature, **kwargs)`."""
        return solve_defects(self, temperature, **kwargs)
