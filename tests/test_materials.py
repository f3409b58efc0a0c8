"""The materials library: every number has a unit and a source, bulk compositions are neutral,
phases from it solve, and Li metal screens at its Thomas–Fermi length."""

import math
import re

import numpy as np
import pytest
from helpers import EPS0, E

import pnpjax as pj
from pnpjax import cli, materials


def test_the_library_has_the_promised_materials():
    assert materials.names() == ["LiCoO2", "LLZO", "Li3PS4", "LiPON", "Li", "GDC10", "8YSZ", "Si"]
    assert materials.get("llzo") is materials.get("LLZO")
    with pytest.raises(KeyError, match="no material 'NMC'; known"):
        materials.get("NMC")


@pytest.mark.parametrize("name", materials.names())
def test_every_number_has_a_unit_and_a_source(name):
    material = materials.get(name)
    rows = material.rows()
    for quantity, value, unit, source in rows:
        assert math.isfinite(value), quantity
        assert unit and source.strip(), quantity
    # at least the carriers rest on literature: a citation (year in parentheses) among them
    cited = [source for quantity, _, _, source in rows if re.search(r"\((1[89]|20)\d\d\)", source)]
    assert cited, f"{name}: no number cites the literature"
    labels = {q for q, *_ in rows}
    for species in material.carriers:
        assert {f"N({species})", f"D({species})", f"mu0({species})"} <= labels
    assert material.describe().count("\n") == len(rows) + 3


@pytest.mark.parametrize("name", materials.names())
def test_bulk_compositions_are_neutral(name):
    material = materials.get(name)
    phase = material.phase()
    bulk = {s: float(q) for s, q in material.bulk.items()}
    if "h^•" in phase.carriers and "h^•" not in bulk:  # holes follow from n·p = N_C N_V e^(−E_g/kT)
        e, h = phase.carriers["e'"], phase.carriers["h^•"]
        kt = 8.617333262e-5 * float(material.reference_temperature)
        gap = float(e.mu0) - float(h.mu0)
        bulk["h^•"] = float(e.density) * float(h.density) * math.exp(-gap / kt) / bulk["e'"]
    charge = float(phase.background_charge)
    for species, carrier in phase.carriers.items():
        c = bulk[species] if carrier.mobile else float(carrier.density)
        charge += pj.Species(species).charge * c
    assert abs(charge) <= 1e-9 * max(bulk.values()), charge


def test_arrhenius_diffusivities():
    ysz = materials.get("8YSZ")
    d_ref = ysz.diffusivity("V_O^••")
    d_low = ysz.diffusivity("V_O^••", 1073.15)
    k = 8.617333262e-5
    assert d_low / d_ref == pytest.approx(math.exp(-1.0 / k * (1 / 1073.15 - 1 / 1273.15)))
    assert float(ysz.phase(temperature=1073.15).carriers["V_O^••"].diffusivity) == pytest.approx(
        d_low
    )
    # no activation energy known: unchanged
    assert materials.get("Si").diffusivity("e'", 350.0) == materials.get("Si").diffusivity("e'")


def test_li_metal_screens_at_the_thomas_fermi_length():
    """A degenerate electron gas: λ_TF² = 2ε₀E_F/(3e²n) (Fermi–Dirac statistics with
    k_BT ≪ E_F; the thermal correction is (π²/12)(k_BT/E_F)² ≈ 2e-5)."""
    li = materials.get("Li")
    junction = pj.Junction([li.phase()], li.reference_bulk(), temperature=298.15)
    solution = pj.solve_equilibrium(junction)
    n = float(li.bulk["e'"])
    fermi = float(li.properties["Fermi energy"])
    expected = math.sqrt(2 * EPS0 * fermi * E / (3 * E**2 * n))
    assert float(solution.debye_length[0]) == pytest.approx(expected, rel=1e-3)
    assert float(solution.bulk_concentration[0, 0]) == pytest.approx(n, rel=1e-9)


def test_a_junction_of_library_phases():
    """LiCoO2 | LLZO from the library: neutral overall, the reference bulk as given."""
    lco, llzo = materials.get("LiCoO2"), materials.get("LLZO")
    b = llzo.phase()
    b = pj.Phase(
        "LLZO",
        eps_r=b.eps_r,
        carriers={
            "Li_i^•": pj.Carrier(0.15, b.carriers["Li_i^•"].density),  # eV, Li⁺ prefers LiCoO2
            "V_Li'": b.carriers["V_Li'"],
        },
        activity=b.activity,
    )
    junction = pj.Junction([lco.phase(), b], lco.reference_bulk())
    solution = pj.solve_equilibrium(junction)
    assert abs(float(solution.total_charge)) < 1e-9 * float(np.abs(solution.excess_charge).max())
    for k, species in enumerate(solution.species):
        if species in lco.bulk:
            assert float(solution.bulk_concentration[0, k]) == pytest.approx(
                float(lco.bulk[species]), rel=1e-9
            )
    assert float(solution.built_in_potential[0]) < 0  # Li⁺ moves into LiCoO2


def test_command_line_lists_and_describes(capsys):
    assert cli.main(["materials"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in materials.names())
    assert cli.main(["materials", "GDC10"]) == 0
    table = capsys.readouterr().out
    assert "| N(V_O^••) |" in table and "Steele" in table
    assert cli.main(["materials", "unobtainium"]) == 2
