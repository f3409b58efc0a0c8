"""A library of named parameter sets for common phases, every number with its unit and source.

```python
from pnpjax import materials

materials.names()   # ['LiCoO2', 'LLZO', 'Li3PS4', 'LiPON', 'Li', 'GDC10', '8YSZ', 'Si']
llzo = materials.get("LLZO")
print(llzo.describe())                 # a table: quantity, value, unit, source
phase = llzo.phase("LLZO", thickness=50e-9, temperature=330.0)
state = llzo.reference_bulk("LLZO")    # its bulk composition fixes the junction's state
```

and in a config file: `[[phases]] name = "electrolyte", material = "LLZO"` (keys given next to
it override the library's values).

What a material holds:

- `eps_r`, and per carrier (Kröger–Vink label) its site or state density N (m⁻³), its
  diffusivity D (m²/s, at `reference_temperature`, with an activation energy where one is
  known), and its standard chemical potential μ° (eV). For electrons μ° is the conduction-band
  edge E_C and for holes the valence-band edge E_V, both against the vacuum level (E_C = −χ,
  E_V = −χ − E_g), so that
  junctions of library phases have consistent band alignment. An ion's μ° is meaningful only
  relative to the same ion in the neighbouring phase: the library sets it to 0 and a junction
  sets the difference (e.g. `phase.carriers["Li_i^•"].mu0`).
- `bulk`: a typical bulk composition of the mobile carriers (m⁻³), electroneutral with the
  fixed charges.
- `properties`: measured quantities that the numbers above come from (conductivities, band
  gaps, work functions, activation energies).

Every `Quantity` carries `source`: a citation with DOI, "computed: ..." with the arithmetic
from other entries, or "assumed: ..." with the reasoning where no reliable measurement was found
(vary those). DOIs that the maintainers could not check against the publisher are left out of
the citation rather than guessed.
"""

import dataclasses
import math

from ._constants import BOLTZMANN_EV
from ._model.phase import Carrier, Phase
from ._model.state import ReferenceBulk
from ._thermo.activity import FermiDirac, LatticeSaturation
from ._thermo.fermi_dirac import effective_density_of_states

_E = 1.602176634e-19  # C
_KB = 1.380649e-23  # J/K
_AVOGADRO = 6.02214076e23  # 1/mol
_HBAR = 1.054571817e-34  # J s
_ELECTRON_MASS = 9.1093837015e-31  # kg


@dataclasses.dataclass(frozen=True)
class Quantity:
    """A number with its unit and where it comes from."""

    value: float
    unit: str
    source: str

    def __float__(self) -> float:
        return float(self.value)


@dataclasses.dataclass(frozen=True)
class CarrierData:
    """One carrier of a material: site (state) density, diffusivity, μ° and mobility."""

    density: Quantity
    diffusivity: Quantity
    mu0: Quantity
    activation_energy: Quantity | None = None
    mobile: bool = True


@dataclasses.dataclass(frozen=True)
class Material:
    """A named parameter set for one phase (see the module docstring).

    **Methods:** `phase(name, *, thickness=None, temperature=None, statistics=True)`,
    `reference_bulk(phase_name)`, `describe()`, `rows()`.
    """

    name: str
    description: str
    eps_r: Quantity
    carriers: dict[str, CarrierData]
    bulk: dict[str, Quantity]
    reference_temperature: Quantity
    background_charge: Quantity | None = None
    statistics: tuple[str, ...] = ()
    properties: dict[str, Quantity] = dataclasses.field(default_factory=dict)

    def diffusivity(self, species: str, temperature: float | None = None) -> float:
        """D (m²/s) of a carrier at `temperature` (K): Arrhenius from the reference
        temperature with the carrier's activation energy (unchanged when none is known)."""
        data = self.carriers[species]
        d = float(data.diffusivity)
        if temperature is None or data.activation_energy is None:
            return d
        t_ref = float(self.reference_temperature)
        ea = float(data.activation_energy)
        return d * math.exp(-ea / BOLTZMANN_EV * (1.0 / temperature - 1.0 / t_ref))

    def phase(
        self, name: str | None = None, *, thickness=None, temperature=None, statistics: bool = True
    ) -> Phase:
        """A `Phase` with this material's parameters.

        **Arguments:**

        - `name`: the phase's name (default the material's).
        - `thickness`: m; `None` for a semi-infinite bulk.
        - `temperature`: K; scales diffusivities (Arrhenius) and the effective density of
          states of free-electron metals; default the reference temperature.
        - `statistics`: attach the material's activity models (site saturation of
          concentrated ions, Fermi–Dirac electrons); `False` gives ideal carriers.
        """
        t = float(self.reference_temperature) if temperature is None else float(temperature)
        carriers = {}
        for species, data in self.carriers.items():
            density = float(data.density)
            if self.name == "Li" and species == "e'":
                density = float(effective_density_of_states(1.0, t))
            carriers[species] = Carrier(
                float(data.mu0), density, self.diffusivity(species, t), mobile=data.mobile
            )
        activity = ()
        if statistics:
            activity = tuple(
                FermiDirac((s,)) if s in ("e'", "h^•") else LatticeSaturation((s,))
                for s in self.statistics
            )
        return Phase(
            name or self.name,
            eps_r=float(self.eps_r),
            carriers=carriers,
            thickness=thickness,
            background_charge=0.0
            if self.background_charge is None
            else float(self.background_charge),
            activity=activity,
        )

    def reference_bulk(self, phase_name: str | None = None) -> ReferenceBulk:
        """A `ReferenceBulk` state: this material's bulk composition in phase `phase_name`."""
        return ReferenceBulk(phase_name or self.name, {s: float(q) for s, q in self.bulk.items()})

    def rows(self) -> list[tuple[str, float, str, str]]:
        """(quantity, value, unit, source) for every number of the material."""
        rows = [("eps_r", self.eps_r.value, self.eps_r.unit, self.eps_r.source)]
        rows.append(
            (
                "reference temperature",
                self.reference_temperature.value,
                "K",
                self.reference_temperature.source,
            )
        )
        if self.background_charge is not None:
            q = self.background_charge
            rows.append(("background charge", q.value, q.unit, q.source))
        for species, data in self.carriers.items():
            for label, q in (
                ("N", data.density),
                ("D", data.diffusivity),
                ("mu0", data.mu0),
                ("E_a", data.activation_energy),
            ):
                if q is not None:
                    rows.append((f"{label}({species})", q.value, q.unit, q.source))
        for species, q in self.bulk.items():
            rows.append((f"bulk c({species})", q.value, q.unit, q.source))
        for label, q in self.properties.items():
            rows.append((label, q.value, q.unit, q.source))
        return rows

    def describe(self) -> str:
        """The material as a Markdown table."""
        lines = [
            f"**{self.name}**: {self.description}",
            "",
            "| quantity | value | unit | source |",
            "|---|---|---|---|",
        ]
        lines += [f"| {q} | {v:.6g} | {u} | {s} |" for q, v, u, s in self.rows()]
        return "\n".join(lines)


def nernst_einstein(sigma: float, concentration: float, temperature: float, z: int = 1) -> float:
    """D = σk_BT/(z²e²c) (m²/s) from a conductivity σ (S/m) carried by c (m⁻³)."""
    return sigma * _KB * temperature / (z * z * _E * _E * concentration)


def _q(value, unit, source):
    return Quantity(float(value), unit, source)


# --- the library ----------------------------------------------------------------------------

ROOM = _q(298.15, "K", "room temperature")

# LiCoO2 (R-3m, Z = 3): a = 2.816 Å, c = 14.052 Å
_LCO_SITES = 3 / (math.sqrt(3) / 2 * (2.816e-10) ** 2 * 14.052e-10)
_TESHIMA = (
    "Teshima et al., Cryst. Growth Des. 10, 4471 (2010), doi:10.1021/cg100705d "
    "(a = 2.816 Å, c = 14.052 Å)"
)
# p-type: holes (Co4+ small polarons) with σ ≈ 1e-3 S/cm undoped, Mg doping raising it by
# over two orders of magnitude (Tukamoto and West 1997)
_LCO_SIGMA_E = 0.1  # S/m
_LCO_HOLE_MOBILITY = 1e-5  # m^2/(V s), assumed small-polaron mobility 0.1 cm^2/(V s)
_LCO_HOLES = _LCO_SIGMA_E / (_E * _LCO_HOLE_MOBILITY)

LICOO2 = Material(
    name="LiCoO2",
    description="layered-oxide cathode LiCoO2 (R-3m), a p-type mixed conductor; Li⁺ Frenkel "
    "defects on the Li sublattice and holes (Co⁴⁺ polarons)",
    eps_r=_q(
        12.0,
        "1",
        "assumed: no static measurement free of Maxwell–Wagner artefacts "
        "known; of the order of layered oxides (vary it)",
    ),
    reference_temperature=ROOM,
    carriers={
        "Li_i^•": CarrierData(
            _q(
                _LCO_SITES,
                "m^-3",
                f"computed: 3 Li per R-3m cell of (√3/2)a²c, {_TESHIMA}; "
                "interstitial sites taken equal in number (assumed)",
            ),
            _q(
                1e-15,
                "m^2/s",
                "assumed: of the order of reported Li chemical diffusivities "
                "in LiCoO2 (1e-12 … 1e-10 cm²/s)",
            ),
            _q(0.0, "eV", "reference: set μ° differences per junction"),
        ),
        "V_Li'": CarrierData(
            _q(_LCO_SITES, "m^-3", f"computed: 3 Li sites per cell, {_TESHIMA}"),
            _q(1e-15, "m^2/s", "assumed: as Li_i^•"),
            _q(0.0, "eV", "reference: set μ° differences per junction"),
        ),
        "h^•": CarrierData(
            _q(
                _LCO_SITES,
                "m^-3",
                "assumed: one polaron state per Co (Co density = Li site density)",
            ),
            _q(
                _LCO_HOLE_MOBILITY * _KB * 298.15 / _E,
                "m^2/s",
                "computed: Einstein relation D = μk_BT/e from the assumed small-polaron mobility "
                "0.1 cm²/(V s)",
            ),
            _q(
                -5.4, "eV", "assumed: valence-band edge E_V 5.4 eV below the vacuum level (vary it)"
            ),
            _q(
                0.12,
                "eV",
                "Wei, Haas and Goldner, Solid State Ionics 58, 115 (1992): "
                "activation energy of the p-type conduction",
            ),
        ),
    },
    bulk={
        "Li_i^•": _q(1e24, "m^-3", "assumed: dilute Frenkel disorder"),
        "V_Li'": _q(1e24 + _LCO_HOLES, "m^-3", "computed: neutrality with Li_i^• and h^•"),
        "h^•": _q(
            _LCO_HOLES,
            "m^-3",
            "computed: p = σ_e/(eμ) from σ_e = 1e-3 S/cm (undoped, "
            "Tukamoto and West, J. Electrochem. Soc. 144, 3164 (1997)) and the assumed "
            "mobility 0.1 cm²/(V s)",
        ),
    },
    statistics=("Li_i^•", "V_Li'"),
    properties={
        "band gap": _q(
            2.7,
            "eV",
            "van Elp et al., Phys. Rev. B 44, 6090 (1991), doi:10.1103/PhysRevB.44.6090 (XPS/BIS)",
        ),
        "optical gap (films)": _q(
            2.2, "eV", "Wei, Haas and Goldner, Solid State Ionics 58, 115 (1992)"
        ),
        "electronic conductivity": _q(
            _LCO_SIGMA_E,
            "S/m",
            "Tukamoto and West, J. Electrochem. Soc. 144, 3164 (1997): undoped, room temperature",
        ),
    },
)

# cubic LLZO, Ia-3d, Z = 8, a = 12.97 Å: 56 Li on 72 tetrahedral + octahedral sites per cell
_LLZO_CELL = (12.97e-10) ** 3
_MURUGAN = (
    "Murugan, Thangadurai and Weppner, Angew. Chem. Int. Ed. 46, 7778 (2007), "
    "doi:10.1002/anie.200701144"
)
_AHMAD = "Ahmad, RSC Adv. (2015), doi:10.1039/C4RA15972A"
_LLZO_MOBILE = 3.17e27
LLZO = Material(
    name="LLZO",
    description="cubic garnet Li7La3Zr2O12 solid electrolyte; Li⁺ Frenkel defects on the "
    "partially occupied Li sublattice",
    eps_r=_q(
        50.0,
        "1",
        "Swift, Swift and Qi, Nat. Comput. Sci. 1, 212 (2021), "
        "doi:10.1038/s43588-021-00041-y (value of their LLZO model)",
    ),
    reference_temperature=ROOM,
    carriers={
        "Li_i^•": CarrierData(
            _q(
                72 / _LLZO_CELL, "m^-3", f"computed: 72 Li sites per cell, a = 12.97 Å ({_MURUGAN})"
            ),
            _q(1.33e-12, "m^2/s", f"{_AHMAD}: Li diffusion coefficient at room temperature"),
            _q(0.0, "eV", "reference: set μ° differences per junction"),
            _q(0.30, "eV", "assumed: activation energies of cubic LLZO 0.3–0.4 eV"),
        ),
        "V_Li'": CarrierData(
            _q(72 / _LLZO_CELL, "m^-3", "computed: 72 Li sites per cell"),
            _q(1.33e-12, "m^2/s", f"{_AHMAD}: as Li_i^•"),
            _q(0.0, "eV", "reference: set μ° differences per junction"),
            _q(0.30, "eV", "assumed: as Li_i^•"),
        ),
    },
    bulk={
        "Li_i^•": _q(
            _LLZO_MOBILE / 2,
            "m^-3",
            f"{_AHMAD}: mobile Li 3.17e27 m⁻³ (12 % of "
            "the Li), split equally between the Frenkel defects (assumed)",
        ),
        "V_Li'": _q(_LLZO_MOBILE / 2, "m^-3", "as Li_i^• (neutrality)"),
    },
    statistics=("Li_i^•", "V_Li'"),
    properties={
        "ionic conductivity": _q(
            3e-2,
            "S/m",
            f"{_MURUGAN}: 3e-4 S/cm at 25 °C (consistent "
            "with the Nernst–Einstein conductivity of the mobile Li)",
        ),
        "band gap": _q(
            6.0,
            "eV",
            "Thompson et al., ACS Energy Lett. 2, 462 (2017), "
            "doi:10.1021/acsenergylett.6b00593 (about 6 eV)",
        ),
        "Li density (Li7)": _q(56 / _LLZO_CELL, "m^-3", "computed: 56 Li per cell"),
    },
)

# β-Li3PS4, Pnma, Z = 4: a = 12.82, b = 8.22, c = 6.12 Å
_LPS_SITES = 12 / (12.82e-10 * 8.22e-10 * 6.12e-10)
_LPS_SIGMA = 1.6e-2  # S/m at 25 °C
_LPS_DEFECTS = 1e25
_LIU = (
    "Liu et al., J. Am. Chem. Soc. 135, 975 (2013), doi:10.1021/ja3110895 (nanoporous "
    "β-Li3PS4, 1.6e-4 S/cm at 25 °C)"
)
LI3PS4 = Material(
    name="Li3PS4",
    description="sulfide solid electrolyte β-Li3PS4 (Pnma); Li⁺ Frenkel defects",
    eps_r=_q(8.0, "1", "assumed: no static measurement known to us (vary it)"),
    reference_temperature=ROOM,
    carriers={
        species: CarrierData(
            _q(
                _LPS_SITES,
                "m^-3",
                "computed: 12 Li per Pnma cell, a = 12.82, b = 8.22, "
                "c = 6.12 Å (Homma et al., Solid State Ionics 182, 53 (2011))",
            ),
            _q(
                nernst_einstein(_LPS_SIGMA, 2 * _LPS_DEFECTS, 298.15),
                "m^2/s",
                f"computed: Nernst–Einstein from σ ({_LIU}) carried by both Frenkel defects "
                "at their bulk concentrations",
            ),
            _q(0.0, "eV", "reference: set μ° differences per junction"),
            _q(0.36, "eV", f"{_LIU}: activation energy"),
        )
        for species in ("Li_i^•", "V_Li'")
    },
    bulk={
        "Li_i^•": _q(
            _LPS_DEFECTS,
            "m^-3",
            "assumed: Frenkel disorder about 5e-4 per site, "
            "nearly free in β-Li3PS4 (Lepley, Holzwarth and Du, Phys. Rev. B 88, "
            "104103 (2013))",
        ),
        "V_Li'": _q(_LPS_DEFECTS, "m^-3", "as Li_i^• (neutrality)"),
    },
    statistics=("Li_i^•", "V_Li'"),
    properties={"ionic conductivity": _q(_LPS_SIGMA, "S/m", _LIU)},
)

# LiPON, Li2.9PO3.3N0.46, density 2.5 g/cm^3 (assumed)
_LIPON_MOLAR = 2.9 * 6.94 + 30.974 + 3.3 * 15.999 + 0.46 * 14.007  # g/mol
_LIPON_LI = 2.9 * 2.5e6 / _LIPON_MOLAR * _AVOGADRO
_LIPON_SIGMA = 2.3e-4  # S/m at 25 °C
_LIPON_DEFECTS = 1e25
_YU = "Yu, Bates, Jellison and Hart, J. Electrochem. Soc. 144, 524 (1997), doi:10.1149/1.1837443"
LIPON = Material(
    name="LiPON",
    description="amorphous thin-film electrolyte lithium phosphorus oxynitride "
    "(Li2.9PO3.3N0.46); Li⁺ Frenkel defects",
    eps_r=_q(15.0, "1", "assumed: no reliable static value known to us (vary it)"),
    reference_temperature=ROOM,
    carriers={
        species: CarrierData(
            _q(
                _LIPON_LI,
                "m^-3",
                "computed: 2.9 Li per Li2.9PO3.3N0.46 (110.3 g/mol) at an "
                f"assumed density of 2.5 g/cm³; composition from {_YU}",
            ),
            _q(
                nernst_einstein(_LIPON_SIGMA, 2 * _LIPON_DEFECTS, 298.15),
                "m^2/s",
                f"computed: Nernst–Einstein from σ = 2.3e-6 S/cm at 25 °C ({_YU}) carried by "
                "both Frenkel defects",
            ),
            _q(0.0, "eV", "reference: set μ° differences per junction"),
            _q(0.55, "eV", f"{_YU}: activation energy 0.55 ± 0.02 eV"),
        )
        for species in ("Li_i^•", "V_Li'")
    },
    bulk={
        "Li_i^•": _q(_LIPON_DEFECTS, "m^-3", "assumed: dilute Frenkel disorder"),
        "V_Li'": _q(_LIPON_DEFECTS, "m^-3", "as Li_i^• (neutrality)"),
    },
    statistics=("Li_i^•", "V_Li'"),
    properties={
        "ionic conductivity": _q(_LIPON_SIGMA, "S/m", f"{_YU}: 25 °C"),
        "optical band gap": _q(3.45, "eV", f"{_YU}: ellipsometry"),
        "stability window": _q(5.5, "V vs Li", f"{_YU}: 0 to 5.5 V"),
    },
)

# Li metal: one conduction electron per atom, free-electron Fermi energy
_LI_ELECTRONS = 0.534e6 / 6.94 * _AVOGADRO  # m^-3
_LI_FERMI = _HBAR**2 * (3 * math.pi**2 * _LI_ELECTRONS) ** (2 / 3) / (2 * _ELECTRON_MASS) / _E
_LI_WORK = 2.9
_MICHAELSON = "Michaelson, J. Appl. Phys. 48, 4729 (1977), doi:10.1063/1.323539"
LI_METAL = Material(
    name="Li",
    description="lithium metal: a degenerate free-electron gas (Fermi–Dirac) against the "
    "fixed Li⁺ cores; the Thomas–Fermi screening length (≈ 0.06 nm) emerges from the statistics",
    eps_r=_q(1.0, "1", "assumed: no polarisable bound charge besides the free electrons"),
    reference_temperature=ROOM,
    background_charge=_q(
        _LI_ELECTRONS,
        "e m^-3",
        "computed: the Li⁺ cores, one per atom (density 0.534 g/cm³, 6.94 g/mol)",
    ),
    carriers={
        "e'": CarrierData(
            _q(
                float(effective_density_of_states(1.0, 298.15)),
                "m^-3",
                "computed: N_C = 2(2πm_ek_BT/h²)^{3/2} of free electrons (m* = 1), scaled with "
                "the temperature of phase()",
            ),
            _q(1e-3, "m^2/s", "assumed: any fast value (metallic electrons equilibrate at once)"),
            _q(
                -_LI_WORK - _LI_FERMI,
                "eV",
                f"computed: E_C = −W − E_F with W = 2.9 eV "
                f"({_MICHAELSON}) and the free-electron E_F",
            ),
        ),
    },
    bulk={"e'": _q(_LI_ELECTRONS, "m^-3", "computed: one conduction electron per atom")},
    statistics=("e'",),
    properties={
        "work function": _q(_LI_WORK, "eV", _MICHAELSON),
        "Fermi energy": _q(_LI_FERMI, "eV", "computed: ħ²(3π²n)^{2/3}/2m_e"),
        "electron density": _q(_LI_ELECTRONS, "m^-3", "computed: 0.534 g/cm³, 6.94 g/mol"),
    },
)

# Ce0.9Gd0.1O1.95, fluorite, a = 5.418 Å
_GDC_CATIONS = 4 / (5.418e-10) ** 3
_STEELE = (
    "Steele, Solid State Ionics 129, 95 (2000): Ce1−yGdyO2−y/2 electrolytes at "
    "500 °C, about 1e-2 S/cm for y = 0.1"
)
_GDC_T = 773.15
_GDC_SIGMA = 1.0  # S/m at 500 °C
GDC10 = Material(
    name="GDC10",
    description="acceptor-doped ceria Ce0.9Gd0.1O1.95: mobile oxygen vacancies V_O^•• "
    "compensating frozen Gd_Ce' dopants",
    eps_r=_q(
        30.0,
        "1",
        "assumed: static permittivity of doped ceria, reported between 24 "
        "and 55 (the value of this project's grain-boundary tests; vary it)",
    ),
    reference_temperature=_q(_GDC_T, "K", "500 °C, where the conductivity is quoted"),
    carriers={
        "V_O^••": CarrierData(
            _q(
                2 * _GDC_CATIONS,
                "m^-3",
                "computed: 8 O sites per fluorite cell, a = 5.418 Å "
                "(Ce0.9Gd0.1O1.95; Mogensen, Sammes and Tompsett, Solid State Ionics 129, 63 "
                "(2000))",
            ),
            _q(
                nernst_einstein(_GDC_SIGMA, 0.05 * _GDC_CATIONS, _GDC_T, z=2),
                "m^2/s",
                f"computed: Nernst–Einstein from σ ({_STEELE}) carried by the vacancies",
            ),
            _q(0.0, "eV", "reference: set μ° differences (segregation energies) per junction"),
            _q(0.64, "eV", "assumed: bulk activation energy of Ce0.9Gd0.1O1.95, 0.6–0.7 eV"),
        ),
        "Gd_Ce'": CarrierData(
            _q(0.1 * _GDC_CATIONS, "m^-3", "computed: 10 % of the 4 cations per cell"),
            _q(0.0, "m^2/s", "frozen dopant"),
            _q(0.0, "eV", "immobile"),
            mobile=False,
        ),
    },
    bulk={
        "V_O^••": _q(
            0.05 * _GDC_CATIONS,
            "m^-3",
            "computed: [Gd_Ce']/2 (neutrality; no dopant–vacancy association)",
        )
    },
    properties={
        "ionic conductivity": _q(_GDC_SIGMA, "S/m", _STEELE),
        "band gap (O 2p → Ce 4f)": _q(3.0, "eV", "assumed: about 3 eV"),
    },
)

# (ZrO2)0.92(Y2O3)0.08 = Zr0.852Y0.148O1.926, fluorite, a = 5.14 Å
_INGEL = (
    "Ingel and Lewis, J. Am. Ceram. Soc. 69, 325 (1986) (lattice parameter of Y2O3-stabilised "
    "ZrO2 against the Y2O3 content: about 5.14 Å at 8 mol%)"
)
_BADWAL = (
    "Badwal, Solid State Ionics 52, 23 (1992) (review of zirconia electrolytes: 8 mol% "
    "Y2O3–ZrO2 conducts about 0.1 S/cm at 1000 °C, with activation energies near 0.8 eV above "
    "and 1.1 eV below about 650 °C)"
)
_YSZ_CATIONS = 4 / (5.14e-10) ** 3
_YSZ_T = 1273.15
_YSZ_SIGMA = 10.0  # S/m at 1000 °C
YSZ8 = Material(
    name="8YSZ",
    description="8 mol% yttria-stabilised zirconia Zr0.852Y0.148O1.926: mobile oxygen "
    "vacancies compensating frozen Y_Zr' dopants",
    eps_r=_q(29.0, "1", "assumed: static permittivity of cubic YSZ, reported 27–30"),
    reference_temperature=_q(_YSZ_T, "K", "1000 °C, where the conductivity is quoted"),
    carriers={
        "V_O^••": CarrierData(
            _q(
                2 * _YSZ_CATIONS,
                "m^-3",
                f"computed: 8 O sites per fluorite cell, a = 5.14 Å ({_INGEL})",
            ),
            _q(
                nernst_einstein(_YSZ_SIGMA, 0.074 * _YSZ_CATIONS, _YSZ_T, z=2),
                "m^2/s",
                f"computed: Nernst–Einstein from σ ≈ 0.1 S/cm at 1000 °C ({_BADWAL}) "
                "carried by the vacancies",
            ),
            _q(0.0, "eV", "reference: set μ° differences (segregation energies) per junction"),
            _q(1.0, "eV", f"between the high- and low-temperature values of {_BADWAL}"),
        ),
        "Y_Zr'": CarrierData(
            _q(0.148 * _YSZ_CATIONS, "m^-3", "computed: 14.8 % of the 4 cations per cell"),
            _q(0.0, "m^2/s", "frozen dopant"),
            _q(0.0, "eV", "immobile"),
            mobile=False,
        ),
    },
    bulk={"V_O^••": _q(0.074 * _YSZ_CATIONS, "m^-3", "computed: [Y_Zr']/2 (neutrality)")},
    properties={"ionic conductivity": _q(_YSZ_SIGMA, "S/m", _BADWAL)},
)

_SZE = (
    "Sze and Ng, Physics of Semiconductor Devices, 3rd ed., Wiley (2007), "
    "doi:10.1002/0470068329, appendix (Si at 300 K)"
)
_SI_T = 300.0
SILICON = Material(
    name="Si",
    description="intrinsic crystalline silicon at 300 K (add dopants as a background charge "
    "or immobile carriers)",
    eps_r=_q(11.9, "1", _SZE),
    reference_temperature=_q(_SI_T, "K", _SZE),
    carriers={
        "e'": CarrierData(
            _q(2.86e25, "m^-3", f"{_SZE}: N_C"),
            _q(
                0.1450 * _KB * _SI_T / _E,
                "m^2/s",
                f"computed: Einstein relation from the electron mobility 1450 cm²/(V s) ({_SZE})",
            ),
            _q(-4.05, "eV", f"E_C = −χ, electron affinity 4.05 eV ({_SZE})"),
        ),
        "h^•": CarrierData(
            _q(2.66e25, "m^-3", f"{_SZE}: N_V"),
            _q(
                0.0500 * _KB * _SI_T / _E,
                "m^2/s",
                f"computed: Einstein relation from the hole mobility 500 cm²/(V s) ({_SZE})",
            ),
            _q(-4.05 - 1.12, "eV", f"E_V = −χ − E_g, E_g = 1.12 eV ({_SZE})"),
        ),
    },
    bulk={
        "e'": _q(
            math.sqrt(2.86e25 * 2.66e25) * math.exp(-1.12 / (2 * BOLTZMANN_EV * _SI_T)),
            "m^-3",
            "computed: n_i = √(N_CN_V) exp(−E_g/2k_BT) of these N_C, N_V, E_g at "
            "300 K (the tabulated n_i = 9.65e15 m⁻³ differs by 10 %); holes follow from "
            "n·p = n_i²",
        ),
    },
    statistics=("e'", "h^•"),
    properties={
        "band gap": _q(1.12, "eV", _SZE),
        "electron affinity": _q(4.05, "eV", _SZE),
    },
)

_LIBRARY = {m.name: m for m in (LICOO2, LLZO, LI3PS4, LIPON, LI_METAL, GDC10, YSZ8, SILICON)}


def names() -> list[str]:
    """The names of the library's materials."""
    return list(_LIBRARY)


def get(name: str) -> Material:
    """The material called `name` (case-insensitive)."""
    for key, material in _LIBRARY.items():
        if key.lower() == str(name).lower():
            return material
    raise KeyError(f"materials: no material {name!r}; known: {names()}")
