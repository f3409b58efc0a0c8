"""Ready-made junctions for demonstrations and tests.

Numbers carry their source; where no measured value exists the choice is marked *assumed* and
is meant to be varied.
"""

from ._model.boundaries import Bulk
from ._model.junction import Interface, Junction
from ._model.phase import Carrier, Phase
from ._model.state import ReferenceBulk
from ._thermo.activity import FermiDirac, LatticeSaturation


def cathode_electrolyte(
    *,
    li_step: float = 0.30,
    temperature: float = 298.15,
    eps_cathode: float = 12.0,
    eps_electrolyte: float = 8.0,
    nonideal: bool = True,
) -> Junction:
    """LiCoO2 cathode | β-Li3PS4 sulfide electrolyte, the classic all-solid-state battery
    interface where Li⁺ leaves the sulfide for the oxide and leaves a depleted space-charge layer
    behind (Haruyama et al., *Chem. Mater.* 26, 4248 (2014), doi:10.1021/cm5016959).

    Mobile species in both phases: Li interstitials `Li_i^•`, Li vacancies `V_Li'` (Frenkel
    pairs of the Li sublattice) and electrons `e'` (the cathode's electronic carrier). Both phases
    are semi-infinite.

    Parameters and sources:

    - Li site densities from the crystal structures: LiCoO2 R-3m, a = 2.816 Å, c = 14.05 Å,
      Z = 3 → 3.11e28 m^-3; β-Li3PS4 Pnma, a = 12.82 Å, b = 8.22 Å, c = 6.12 Å, Z = 4 →
      1.86e28 m^-3 (Homma et al., *Solid State Ionics* 182, 53 (2011)).
    - LiCoO2 is a small-gap semiconductor (optical gap ≈ 2.2 eV, Wei, Haas and Goldner, *Solid
      State Ionics* 58, 115 (1992)) with σ_e ≲ 1e-3 S/cm (Tukamoto and West, *J. Electrochem.
      Soc.* 144, 3164 (1997)): bulk electron density 1e24 m^-3 (assumed, consistent with that σ_e
      for a polaron mobility of 0.01–0.1 cm²/Vs), effective density of states 1e26 m^-3
      (assumed, m* ≈ 2–3 m_e).
    - β-Li3PS4: Frenkel disorder of the Li sublattice is nearly free (Lepley, Holzwarth and Du,
      *Phys. Rev. B* 88, 104103 (2013)); bulk Li_i^• = V_Li' = 1e25 m^-3 (assumed, about 5e-4 site
      fraction). Band gap ≈ 3–4 eV: its conduction band is put 2.5 eV above that of LiCoO2
      (assumed), so it holds essentially no electrons.
    - Li⁺ prefers the oxide: μ°(Li_i^•) is higher by `li_step` = 0.30 eV in the sulfide
      (assumed, of the order of the interfacial Li site-energy differences of Haruyama et al.).
    - Permittivities: ε_r = 12 (LiCoO2) and 8 (β-Li3PS4), assumed (no static measurement free of
      Maxwell–Wagner artefacts is known to us; vary them).
    - Statistics (`nonideal=True`): Li interstitials and Li vacancies each saturate their own
      sublattice (`LatticeSaturation`, at most one per site; the interstitial site density is
      taken equal to the Li site density, assumed), and electrons follow Fermi–Dirac statistics
      (`FermiDirac`), so that no accumulation exceeds its site or state density. With
      `nonideal=False` every carrier is an ideal dilute (Boltzmann) one.

    **Arguments:**

    - `li_step`: μ°(Li_i^•, sulfide) − μ°(Li_i^•, oxide) (eV).
    - `temperature`: T (K).
    - `eps_cathode`, `eps_electrolyte`: relative permittivities.
    - `nonideal`: site saturation and Fermi–Dirac statistics (default) or ideal carriers.
    """
    activity = (
        (LatticeSaturation("Li_i^•"), LatticeSaturation("V_Li'"), FermiDirac("e'"))
        if nonideal
        else ()
    )
    li_sites_lco, li_sites_lps = 3.11e28, 1.86e28
    cathode = Phase(
        "LiCoO2",
        eps_r=eps_cathode,
        carriers={
            "Li_i^•": Carrier(0.0, li_sites_lco),
            "V_Li'": Carrier(0.0, li_sites_lco),
            "e'": Carrier(0.0, 1e26),
        },
        activity=activity,
    )
    # μ°(V_Li') in the sulfide makes its Frenkel product [Li_i][V_Li] ≈ (1e25 m^-3)^2 with the
    # Li chemical potential the cathode fixes: μ°(Li_i) + μ°(V_Li) = −0.127 eV there.
    electrolyte = Phase(
        "Li3PS4",
        eps_r=eps_electrolyte,
        carriers={
            "Li_i^•": Carrier(li_step, li_sites_lps),
            "V_Li'": Carrier(-0.127 - li_step, li_sites_lps),
            "e'": Carrier(2.5, 1e26),
        },
        activity=activity,
    )
    state = ReferenceBulk("LiCoO2", {"Li_i^•": 2e24, "V_Li'": 1e24, "e'": 1e24})
    return Junction(
        [cathode, electrolyte],
        state,
        interfaces=[Interface()],
        left=Bulk(),
        right=Bulk(),
        temperature=temperature,
    )
