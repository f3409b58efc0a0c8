"""Export, summaries, plots and the demo command."""

import csv
import json

import numpy as np
import pytest

import pnpjax as pj
from pnpjax import cli, examples, plot


@pytest.fixture(scope="module")
def demo_solution():
    return pj.solve_equilibrium(examples.cathode_electrolyte())


def test_demo_physics_is_consistent(demo_solution):
    """Li⁺ leaves the sulfide for the oxide: positive layer in LiCoO2, negative in Li3PS4,
    built-in potential (μ° step and the ratio of lattice-gas activities θ/(1−θ), the Li species
    saturating their sublattices) and a neutral whole; no site holds more than one ion."""
    s = demo_solution
    assert s.result == pj.RESULTS.successful
    kt = 1.380649e-23 * 298.15 / 1.602176634e-19
    theta_lco, theta_lps = 2e24 / 3.11e28, float(s.bulk_concentration[1, 0]) / 1.86e28
    activity = lambda theta: theta / (1 - theta)  # noqa: E731
    expected = (0.0 - 0.30) + kt * np.log(activity(theta_lco) / activity(theta_lps))
    assert float(s.built_in_potential[0]) == pytest.approx(expected, rel=1e-9)
    assert float(s.excess_charge[0, 0]) > 0 > float(s.excess_charge[0, 1])
    assert float(np.sum(s.excess_charge)) == pytest.approx(0.0, abs=1e-9)
    concentration = np.asarray(s.concentration)
    assert concentration.max() / concentration[concentration > 0].min() > 1e30
    assert float(np.max(s.site_fraction)) < 1.0


def test_export_csv_dict_and_summary(demo_solution, tmp_path):
    table = demo_solution.to_dict()
    assert {"x [m]", "phi [V]", "E_C [eV]", "c[Li_i^•] [m^-3]"} <= set(table)
    path = tmp_path / "profiles.csv"
    demo_solution.to_csv(path)
    with open(path) as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(table)
    assert len(rows) == 1 + demo_solution.x.shape[0]
    np.testing.assert_allclose(
        [float(r[2]) for r in rows[1:]], table["phi [V]"], rtol=1e-9, atol=1e-12
    )
    summary = demo_solution.summary()
    json.dumps(summary)
    assert summary["interfaces"][0]["between"] == ["LiCoO2", "Li3PS4"]
    assert (
        demo_solution.electrochemical_potential("E_F")
        == demo_solution.electrochemical_potentials[2]
    )
    with pytest.raises(KeyError):
        demo_solution.concentration_of("Na_i^•")


def test_plots_write_files(demo_solution, tmp_path):
    fig = plot.overview(demo_solution, tmp_path / "overview.png", xlim=(-5, 5))
    assert (tmp_path / "overview.png").stat().st_size > 10_000
    assert len(fig.axes) == 3
    ax = plot.band_diagram(demo_solution)
    assert ax.get_ylabel() == "energy (eV)"


def test_demo_command(tmp_path, capsys):
    assert cli.main(["demo", "--output", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "built-in potential" in out and "Debye length" in out and "layer width" in out
    for name in ("profiles.csv", "summary.json", "profiles.png"):
        assert (tmp_path / name).stat().st_size > 100
