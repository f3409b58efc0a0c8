"""Kröger–Vink labels and species."""

import pytest

import pnpjax as pj


@pytest.mark.parametrize(
    "label, charge, kind",
    [
        ("Li_i^•", 1, "ion"),
        ("Li_i^.", 1, "ion"),
        ("V_O^••", 2, "ion"),
        ("V_O^..", 2, "ion"),
        ("V_O^{••}", 2, "ion"),
        ("V_Li'", -1, "ion"),
        ("Gd_Ce'", -1, "ion"),
        ("V_Zr''''", -4, "ion"),
        ("O_O^x", 0, "ion"),
        ("e'", -1, "electron"),
        ("h^•", 1, "hole"),
        ("h.", 1, "hole"),
        ("h^.", 1, "hole"),
    ],
)
def test_kroger_vink_labels(label, charge, kind):
    species = pj.Species(label)
    assert species.charge == charge
    assert species.kind == kind
    assert pj.parse_kroger_vink(label) == charge


def test_plain_name_needs_explicit_charge():
    assert pj.Species("Li+", charge=1).charge == 1
    assert pj.parse_kroger_vink("Li") is None
    with pytest.raises(ValueError, match="cannot infer a charge"):
        pj.Species("Li")


def test_contradicting_or_mixed_marks_raise():
    with pytest.raises(ValueError, match="label says charge"):
        pj.Species("V_O^••", charge=1)
    with pytest.raises(ValueError, match="all dots"):
        pj.Species("X^•'")
    with pytest.raises(ValueError, match="electron has charge -1"):
        pj.Species("n", charge=1, kind="electron")


def test_species_inferred_from_carriers_and_plain_name_error():
    phase = pj.Phase(
        "A", eps_r=5.0, carriers={"Li+": pj.Carrier(0.0, 1e28)}, background_charge=-1e24
    )
    with pytest.raises(ValueError, match="declare it with species"):
        pj.Junction([phase], pj.ReferenceBulk("A", {"Li+": 1e24}))
    junction = pj.Junction(
        [phase], pj.ReferenceBulk("A", {"Li+": 1e24}), species=[pj.Species("Li+", charge=1)]
    )
    assert junction.species[0].charge == 1
