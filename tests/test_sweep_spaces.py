"""Parameter spaces and parameter paths (no solves)."""

import numpy as np
import pytest

import pnpjax as pj
from pnpjax import examples, sweeps
from pnpjax._sweep.paths import check_value, resolve, split_path, unit_of


def test_grid_is_the_cartesian_product_with_the_last_axis_fastest():
    grid = sweeps.Grid({"a": [1.0, 2.0], "b": [10.0, 20.0, 30.0]})
    assert len(grid) == 6 and grid.shape == (2, 3)
    values = grid.values(0, 6)
    np.testing.assert_array_equal(values["a"], [1, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(values["b"], [10, 20, 30, 10, 20, 30])
    part = grid.values(2, 5)
    np.testing.assert_array_equal(part["a"], [1, 2, 2])
    assert grid.bounds("b") == (10.0, 30.0)


@pytest.mark.parametrize("kind", [sweeps.RandomSamples, sweeps.LatinHypercube])
def test_samples_do_not_depend_on_the_chunking(kind):
    space = kind({"x": (0.0, 1.0), "d": sweeps.Range(1e-14, 1e-10, log=True)}, 10_000, seed=4)
    whole = space.values(0, 10_000)
    pieces = [space.values(lo, min(lo + 777, 10_000)) for lo in range(0, 10_000, 777)]
    for name in space.names:
        np.testing.assert_array_equal(np.concatenate([p[name] for p in pieces]), whole[name])
    assert np.all((whole["x"] >= 0) & (whole["x"] < 1))
    assert np.all((whole["d"] >= 1e-14) & (whole["d"] < 1e-10))
    # log-uniform: each decade holds about a quarter of the points
    decades = np.histogram(np.log10(whole["d"]), bins=[-14, -13, -12, -11, -10])[0]
    np.testing.assert_allclose(decades / 10_000, 0.25, atol=0.02)
    again = kind({"x": (0.0, 1.0), "d": sweeps.Range(1e-14, 1e-10, log=True)}, 10_000, seed=4)
    np.testing.assert_array_equal(again.values(123, 456)["x"], whole["x"][123:456])
    other = kind({"x": (0.0, 1.0), "d": (1.0, 2.0)}, 10_000, seed=5)
    assert not np.allclose(other.values(0, 10)["x"], whole["x"][:10])


def test_latin_hypercube_fills_every_stratum_once():
    n = 500
    space = sweeps.LatinHypercube({"a": (-1.0, 1.0), "b": sweeps.Range(1.0, 1e3, log=True)}, n)
    values = space.values(0, n)
    for name, u in (("a", (values["a"] + 1) / 2), ("b", np.log10(values["b"]) / 3)):
        strata = np.floor(u * n).astype(int)
        np.testing.assert_array_equal(np.sort(strata), np.arange(n), err_msg=name)


def test_table_from_csv_and_its_errors(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("temperature,phases[B].eps_r\n300,5\n350,8\n400,12\n")
    table = sweeps.Table.from_csv(path)
    assert table.names == ("temperature", "phases[B].eps_r") and len(table) == 3
    np.testing.assert_array_equal(table.values(1, 3)["phases[B].eps_r"], [8.0, 12.0])
    path.write_text("a,b\n1,2\n3\n")
    with pytest.raises(ValueError, match="line 3 has 1 values"):
        sweeps.Table.from_csv(path)
    path.write_text("a\n1\nx\n")
    with pytest.raises(ValueError, match="could not convert"):
        sweeps.Table.from_csv(path)
    with pytest.raises(ValueError, match="one common, non-zero length"):
        sweeps.Table({"a": [1, 2], "b": [1.0]})
    with pytest.raises(ValueError, match="non-finite"):
        sweeps.Table({"a": [1, np.nan]})


def test_bad_spaces_are_rejected():
    with pytest.raises(ValueError, match="low < high"):
        sweeps.Range(2.0, 1.0)
    with pytest.raises(ValueError, match="log range needs low > 0"):
        sweeps.Range(0.0, 1.0, log=True)
    with pytest.raises(ValueError, match="integer ≥ 1"):
        sweeps.RandomSamples({"a": (0, 1)}, 0)
    with pytest.raises(ValueError, match=r"\(low, high\)"):
        sweeps.LatinHypercube({"a": 3.0}, 10)
    with pytest.raises(ValueError, match="finite values"):
        sweeps.Grid({"a": []})
    with pytest.raises(IndexError):
        sweeps.Grid({"a": [1.0]}).values(0, 2)


def test_paths_name_model_leaves():
    j = examples.cathode_electrolyte()
    assert split_path("phases[Li3PS4].carriers[Li_i^•].mu0") == [
        "phases",
        "Li3PS4",
        "carriers",
        "Li_i^•",
        "mu0",
    ]
    for path in ("phases[Li3PS4].eps_r", "phases.Li3PS4.eps_r", "phases[1].eps_r"):
        assert float(resolve(j, path)(j)) == 8.0
    assert float(resolve(j, "phases[Li3PS4].carriers[Li_i^•].mu0")(j)) == pytest.approx(0.30)
    assert float(resolve(j, "state.concentrations[e']")(j)) == 1e24
    assert float(resolve(j, "temperature")(j)) == 298.15
    where = resolve(j, "phases[LiCoO2].activity[LatticeSaturation].occupied")
    assert float(where(j)) == 0.0
    assert unit_of(j, "phases[Li3PS4].carriers[Li_i^•].diffusivity") == "m^2/s"
    assert unit_of(j, "voltage") == "V"


def test_bad_paths_say_what_exists():
    j = examples.cathode_electrolyte()
    with pytest.raises(KeyError, match=r"no entry 'LLZO'.*'LiCoO2', 'Li3PS4'"):
        resolve(j, "phases[LLZO].eps_r")
    with pytest.raises(KeyError, match=r"no field 'eps'.*'eps_r'"):
        resolve(j, "phases[0].eps")
    with pytest.raises(KeyError, match=r"no entry 'Na_i'"):
        resolve(j, "phases[0].carriers[Na_i].mu0")
    with pytest.raises(ValueError, match="selects Carrier, not a number"):
        resolve(j, "phases[0].carriers[e']")
    with pytest.raises(ValueError, match="selects None"):
        resolve(j, "phases[0].thickness")
    with pytest.raises(ValueError, match="cannot read it"):
        resolve(j, "phases[0]].eps_r")
    with pytest.raises(ValueError, match=r"eps_r = -3 is outside its allowed range \(0, inf\)"):
        check_value(j, "phases[0].eps_r", -3.0, "test")
    check_value(j, "phases[0].carriers[Li_i^•].mu0", -3.0, "test")  # any finite μ° is allowed


def test_sweep_rejects_bad_set_ups_before_solving(tmp_path):
    j = examples.cathode_electrolyte(nonideal=False)
    grid = sweeps.Grid({"phases[Li3PS4].eps_r": [-1.0, 8.0]})
    with pytest.raises(ValueError, match=r"eps_r = -1 is outside its allowed range"):
        pj.sweep(j, grid, progress=False)
    with pytest.raises(KeyError, match="no field 'epsr'"):
        pj.sweep(j, sweeps.Grid({"phases[0].epsr": [1.0]}), progress=False)
    with pytest.raises(ValueError, match="chunk_size must be an integer"):
        pj.sweep(j, sweeps.Grid({"temperature": [300.0]}), chunk_size=0)
    with pytest.raises(TypeError, match="space must be"):
        pj.sweep(j, {"temperature": [300.0]})
    with pytest.raises(TypeError, match="solver must be a pnpjax.sweeps task"):
        pj.sweep(j, sweeps.Grid({"temperature": [300.0]}), pj.Newton())
    with pytest.raises(ValueError, match="table must be one of"):
        pj.sweep(j, sweeps.Grid({"temperature": [300.0]}), table="xlsx")
    with pytest.raises(ValueError, match="where names"):
        pj.sweep(j, sweeps.Grid({"temperature": [300.0]}), where={"T": "temperature"})
    with pytest.raises(ValueError, match="frequencies must be"):
        sweeps.Impedance([0.0, 1.0])
    with pytest.raises(ValueError, match="voltage or current, not both"):
        sweeps.SteadyState(voltage=0.1, current=1.0)
