"""Parameters are described once, in the fields' metadata: construction checks, config files and
sweep paths all read the same unit and range, and a model class plugs into config files by its
fields alone (the Schottky contact, which the config reader never names)."""

import dataclasses
import textwrap
import tomllib

import numpy as np
import pytest

import pnpjax as pj
from pnpjax import examples
from pnpjax._config.generic import registry, snake_case
from pnpjax._config.model import build_junction
from pnpjax._config.schema import ConfigError
from pnpjax._fields import POSITIVE, describe, parameters
from pnpjax._model.boundaries import AbstractBoundary
from pnpjax._sweep.paths import check_value, describe_path, unit_of

MODEL_CLASSES = [
    pj.Carrier,
    pj.Phase,
    pj.Interface,
    pj.Junction,
    pj.Electrode,
    pj.Ohmic,
    pj.SchottkyContact,
    pj.ButlerVolmer,
    pj.MassAction,
    pj.ShockleyReadHall,
    pj.Radiative,
    pj.LatticeSaturation,
    pj.Bikerman,
    pj.RegularSolution,
    pj.Reservoir,
    pj.ReferenceBulk,
    pj.Closed,
    pj.ThermalTransport,
    pj.OnsagerMatrix,
    pj.FixedTemperature,
    pj.HeatFlux,
    pj.Convective,
]


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda c: c.__name__)
def test_every_float_field_declares_unit_range_and_meaning(cls):
    declared = parameters(cls)
    assert declared, f"{cls.__name__} declares no parameters"
    for name, info in declared.items():
        assert info.unit and info.doc, f"{cls.__name__}.{name}"
    # every array field of a model class that is a physical input is declared
    undeclared = [
        f.name
        for f in dataclasses.fields(cls)
        if f.name not in declared and not f.metadata.get("static", False)
    ]
    allowed = {"carriers", "activity", "reactions", "thermal", "kinetics", "exchange", "matrix"}
    allowed |= {"phases", "interfaces", "left", "right", "state", "segregation"}
    allowed |= {"thermal_left", "thermal_right"}
    assert set(undeclared) <= allowed, f"{cls.__name__}: undeclared {undeclared}"


def test_construction_checks_read_the_metadata():
    info = describe(pj.Phase, "eps_r")
    assert info.range == POSITIVE and info.unit == "1"
    with pytest.raises(ValueError, match=r"Phase 'A': eps_r must be > 0, got -2"):
        pj.Phase("A", eps_r=-2.0, carriers={"x": pj.Carrier(0.0, 1e20)})
    with pytest.raises(ValueError, match=r"SchottkyContact: velocity_n \(m/s\) must be > 0"):
        pj.SchottkyContact(0.7, velocity_n=0.0)
    with pytest.raises(ValueError, match=r"ButlerVolmer\('Li'\): symmetry must be in \(0, 1\)"):
        pj.ButlerVolmer("Li", 1.0, symmetry=1.0)
    with pytest.raises(ValueError, match=r"ReferenceBulk: concentrations\['x'\] \(m\^-3\)"):
        pj.ReferenceBulk("A", {"x": -1.0})
    # a frozen carrier's concentration may be zero, a mobile carrier's site density not
    pj.Carrier(0.0, 0.0, mobile=False)
    with pytest.raises(ValueError, match=r"density \(m\^-3\) must be > 0"):
        pj.Carrier(0.0, 0.0)


def test_sweep_paths_read_the_field_they_end_on():
    j = examples.cathode_electrolyte()
    assert describe_path(j, "phases[LiCoO2].eps_r") is describe(pj.Phase, "eps_r")
    assert unit_of(j, "phases[Li3PS4].carriers[Li_i^•].mu0") == "eV"
    assert unit_of(j, "state.concentrations[e']") == "m^-3"
    assert unit_of(j, "temperature") == "K"
    assert unit_of(j, "current") == "A/m^2"
    occupied = "phases[LiCoO2].activity[LatticeSaturation].occupied"
    assert describe_path(j, occupied) is describe(pj.LatticeSaturation, "occupied")
    with pytest.raises(ValueError, match=r"occupied = -1 is outside its allowed range \[0, inf\)"):
        check_value(j, occupied, -1.0, "test")
    # a signed field accepts either sign: an interface's free charge σ_f
    check_value(j, "interfaces[0].sigma", -0.1, "test")
    assert unit_of(j, "interfaces[0].sigma") == "C/m^2"


def test_config_type_names_are_the_classes():
    assert registry(AbstractBoundary) == {
        snake_case(c.__name__): c
        for c in (pj.Bulk, pj.Symmetry, pj.Electrode, pj.Ohmic, pj.SchottkyContact)
    }
    assert snake_case("ShockleyReadHall") == "shockley_read_hall"


def _config(right: str) -> dict:
    text = textwrap.dedent(
        """
        [junction]
        temperature = 300.0
        left = { type = "ohmic" }
        right = RIGHT

        [[phases]]
        name = "n"
        eps_r = 11.7
        thickness = 1e-6
        background_charge = 1e22
        carriers."e'" = { mu0 = 1.12, density = 2.8e25, diffusivity = 0.1 }

        [state]
        type = "reference_bulk"
        phase = "n"
        concentrations = { "e'" = 1e22 }
        """
    )
    return tomllib.loads(text.replace("RIGHT", right))


def test_a_schottky_contact_is_read_from_its_fields():
    config = _config(
        '{ type = "schottky_contact", barrier = 0.7, potential = 0.1, velocity_n = 1e3, '
        "image_force = true }"
    )
    junction = build_junction(config, "cell.toml")
    contact = junction.right
    assert isinstance(contact, pj.SchottkyContact)
    assert float(contact.barrier) == 0.7 and float(contact.potential) == 0.1
    assert float(contact.velocity_n) == 1e3 and contact.velocity_p is None
    assert contact.image_force and contact.carrier == "electron"
    np.testing.assert_allclose(contact.richardson_n, pj.SchottkyContact(0.7).richardson_n)

    bad = _config('{ type = "schottky_contact", barrier = 0.7, velocity_n = -1.0 }')
    with pytest.raises(ConfigError, match=r"velocity_n = -1.0 is outside its allowed range"):
        build_junction(bad, "cell.toml")
    missing = _config('{ type = "schottky_contact" }')
    with pytest.raises(ConfigError, match="missing required key 'barrier'"):
        build_junction(missing, "cell.toml")
    typo = _config('{ type = "schottky_contact", barrier = 0.7, imageforce = true }')
    with pytest.raises(ConfigError, match="did you mean 'image_force'"):
        build_junction(typo, "cell.toml")
    unknown = _config('{ type = "schottky" }')
    with pytest.raises(ConfigError, match="schottky_contact"):
        build_junction(unknown, "cell.toml")
