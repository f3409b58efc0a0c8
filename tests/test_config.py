"""`pnpjax run CONFIG.toml`: a round trip for every solver (the files written hold what the
Python API computes for the same junction and mesh), and malformed files give messages that
name the key, the value and the allowed range."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import pnpjax as pj
from pnpjax._config.run import load, run
from pnpjax._config.schema import ConfigError

CONFIGS = pathlib.Path(__file__).parents[1] / "examples" / "configs"


def mesh_of(config):
    mesh = pj.Mesh.auto(config.junction, **config.mesh_options)
    return mesh.refined(config.refine) if config.refine else mesh


def test_equilibrium_round_trip_through_the_command_line(tmp_path):
    """The installed `pnpjax` command: exit code 0, files written, numbers of the API."""
    path = CONFIGS / "equilibrium.toml"
    cache = tmp_path / "cache"
    command = [sys.executable, "-m", "pnpjax.cli", "run", str(path), "--output", str(tmp_path)]
    done = subprocess.run(
        [*command, "--compilation-cache", str(cache)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert {"profiles.csv", "profiles.png", "summary.json"} <= {p.name for p in tmp_path.iterdir()}
    # the compiled programs were kept for the next run (benchmarks/bench_compile.py --cache),
    # the solver's own among them: it holds no host callback (throw= is checked on the host)
    names = [p.name for p in cache.iterdir()]
    assert any(name.startswith("jit__mesh_scales") for name in names), names
    assert any(name.startswith("jit__solve") for name in names), names
    summary = json.loads((tmp_path / "summary.json").read_text())
    config = load(path)
    sol = pj.solve_equilibrium(config.junction, mesh=mesh_of(config))
    interface = summary["interfaces"][0]
    assert interface["between"] == ["LiCoO2", "Li3PS4"]
    assert interface["built_in_potential_V"] == pytest.approx(
        float(sol.built_in_potential[0]), rel=1e-12
    )
    np.testing.assert_allclose(
        interface["space_charge_potential_V"], np.asarray(sol.space_charge_potential[0]), rtol=1e-12
    )
    profiles = pd.read_csv(tmp_path / "profiles.csv")
    np.testing.assert_allclose(profiles["phi [V]"], np.asarray(sol.phi), rtol=1e-9, atol=1e-12)
    # the materials library supplied what the file did not give
    lco = config.junction.phases[0]
    assert float(lco.carriers["Li_i^•"].density) == pytest.approx(3.1087e28, rel=1e-4)


@pytest.fixture(scope="module")
def transport_runs(tmp_path_factory):
    """Every transport example run once (in-process), with its parsed config."""
    out = {}
    for name in ("steady_state", "iv_curve", "transient", "impedance", "thermal"):
        folder = tmp_path_factory.mktemp(name)
        summary = run(CONFIGS / f"{name}.toml", folder)
        out[name] = (load(CONFIGS / f"{name}.toml"), folder, summary)
    return out


def test_steady_state_round_trip(transport_runs):
    config, folder, summary = transport_runs["steady_state"]
    sol = pj.solve_steady_state(config.junction, voltage=0.05, mesh=mesh_of(config))
    assert summary["current_A_m-2"] == pytest.approx(float(sol.current[0]), rel=1e-12)
    assert summary["voltage_V"] == pytest.approx(0.05, abs=1e-12)
    profiles = pd.read_csv(folder / "profiles.csv")
    np.testing.assert_allclose(
        profiles["c[Li_i^•] [m^-3]"], np.asarray(sol.concentration_of("Li_i^•")[0]), rtol=1e-9
    )
    assert (folder / "profiles.png").exists()


def test_iv_curve_round_trip(transport_runs):
    config, folder, _ = transport_runs["iv_curve"]
    table = pd.read_csv(folder / "iv.csv")
    np.testing.assert_allclose(table["voltage [V]"], np.linspace(-0.2, 0.2, 9), atol=1e-12)
    sol = pj.iv_curve(config.junction, np.linspace(-0.2, 0.2, 9), mesh=mesh_of(config))
    np.testing.assert_allclose(table["current [A/m^2]"], np.asarray(sol.current), rtol=1e-9)
    assert (folder / "iv.png").exists()


def test_transient_round_trip(transport_runs):
    config, folder, _ = transport_runs["transient"]
    table = pd.read_csv(folder / "transient.csv")
    times = np.logspace(-10, -3, 15)
    np.testing.assert_allclose(table["t [s]"], times, rtol=1e-9)
    # the run's own save times: the config's geometric spacing and np.logspace differ in the
    # last bits, and an adaptive integration given other save times takes other steps (its
    # answers then agree to its tolerance, 1e-5, not to round-off). With the same inputs the
    # run and the API agree to 1.7e-10 (measured: the CSV's digits and the drive's route)
    assert config.task.times == pytest.approx(times, rel=1e-9)
    sol = pj.solve_transient(
        config.junction,
        config.task.times,
        voltage=pj.Step(0.0, 0.02, 0.0),
        mesh=mesh_of(config),
        stepping=pj.TimeStepping(rtol=1e-5, atol=1e-10),
    )
    np.testing.assert_allclose(table["current [A/m^2]"], np.asarray(sol.current), rtol=1e-8)
    np.testing.assert_allclose(table["voltage [V]"], 0.02, atol=1e-9)
    assert {"profiles.csv", "transient.png"} <= {p.name for p in folder.iterdir()}


def test_thermal_round_trip(transport_runs):
    """The heat transport example: the thermal tables reach the junction, the profiles carry T
    and the heat flux, and the defects follow the Soret law c_i c_v ∝ exp((Q_i + Q_v)/k_BT)."""
    config, folder, _ = transport_runs["thermal"]
    junction = config.junction
    assert isinstance(junction.thermal_left, pj.FixedTemperature)
    assert float(junction.thermal_right.transfer_coefficient) == 1e9
    assert float(junction.phases[0].thermal.heat_of_transport["V_Li'"]) == 0.1
    profiles = pd.read_csv(folder / "profiles.csv")
    temperature = profiles["T [K]"].to_numpy()
    flux = profiles["heat flux [W/m^2]"].to_numpy()
    assert temperature[0] == pytest.approx(340.0, abs=1e-9)
    # the convective end: T − T_ambient = q/h
    assert temperature[-1] - 300.0 == pytest.approx(flux[-1] / 1e9, rel=1e-6)
    product = (profiles["c[Li_i^•] [m^-3]"] * profiles["c[V_Li'] [m^-3]"]).to_numpy()
    x = profiles["x [m]"].to_numpy()
    a, b = np.searchsorted(x, 100e-9), np.searchsorted(x, 400e-9)
    kt = 1.380649e-23 / 1.602176634e-19
    expected = np.exp(0.5 / kt * (1 / temperature[b] - 1 / temperature[a]))
    # zero flux makes it exact; the Newton tolerance (1e-9 per log-amount) is what is left
    assert product[b] / product[a] == pytest.approx(expected, rel=2e-8)


def test_impedance_round_trip(transport_runs):
    config, folder, summary = transport_runs["impedance"]
    spectrum = pd.read_csv(folder / "spectrum.csv")
    frequencies = np.logspace(0, 10, 31)
    z = np.asarray(pj.impedance(config.junction, frequencies, mesh=mesh_of(config)).impedance)
    np.testing.assert_allclose(spectrum["Re Z [Ohm m^2]"], z.real, rtol=1e-9)
    np.testing.assert_allclose(spectrum["Im Z [Ohm m^2]"], z.imag, rtol=1e-9)
    # low-frequency limit: the bulk plus two charge-transfer resistances (Butler–Volmer)
    kt = 1.380649e-23 * 298.15 / 1.602176634e-19
    expected = 50e-9 * kt / (1.602176634e-19 * 1e-12 * 1e26) + 2 * kt / 20.0
    assert summary["low_frequency_Z_Ohm_m2"][0] == pytest.approx(expected, rel=1e-3)
    assert (folder / "impedance.png").exists()


def test_sweep_round_trip_and_resume(tmp_path):
    """The sweep example writes its table and data set; running it again resumes (nothing
    left to compute) and gives the same table. Per-point correctness: tests/test_sweep.py."""
    import xarray as xr

    summary = run(CONFIGS / "sweep.toml", tmp_path, progress=False)
    assert summary["points"] == 21 and summary["failed"] == 0
    table = pd.read_csv(tmp_path / "sweep" / "results.csv")
    assert list(table.columns[1:3]) == [
        "phases[Li3PS4].carriers[Li_i^•].mu0 [eV]",
        "phases[Li3PS4].eps_r [1]",
    ]
    np.testing.assert_allclose(table["phases[Li3PS4].eps_r [1]"][:3], [5.0, 8.0, 12.0])
    data = xr.open_dataset(tmp_path / "sweep" / "results.nc", engine="h5netcdf")
    assert data["phi"].dims == ("point", "position") and data["phi"].shape[0] == 21
    drop = table["built_in_potential[LiCoO2|Li3PS4] [V]"].to_numpy()
    # both Frenkel defects of the sulfide answer a step δ of μ°(Li_i): bulk neutrality there
    # moves φ by −δ/2e (0.05 eV apart → −25 mV), whatever the permittivity
    np.testing.assert_allclose(np.diff(drop[::3]), -0.025, rtol=1e-9)
    again = run(CONFIGS / "sweep.toml", tmp_path, progress=False)
    assert again["points"] == 21
    assert pd.read_csv(tmp_path / "sweep" / "results.csv").equals(table)
    assert (tmp_path / "sweep.png").exists()


BASE = """
[[phases]]
name = "A"
eps_r = 10.0
carriers."Li_i^•" = { mu0 = 0.0, density = 1e28 }
carriers."V_Li'" = { mu0 = 0.0, density = 1e28 }

[state]
type = "reference_bulk"
phase = "A"
concentrations = { "Li_i^•" = 1e24, "V_Li'" = 1e24 }
"""


@pytest.mark.parametrize(
    "text, message",
    [
        (
            BASE.replace("eps_r = 10.0", "eps_r = -3"),
            r"\[\[phases\]\] #1 \(A\): eps_r = -3 is outside its allowed range \(0, inf\) \(1\)",
        ),
        (
            BASE.replace("eps_r = 10.0", "eps = 10.0"),
            r"missing required key 'eps_r' \(relative permittivity\); found 'eps': did you mean",
        ),
        (
            BASE.replace("[state]", "[state]\nphse = 1"),
            r"\[state\]: unknown key 'phse' \(did you mean 'phase'\?\)",
        ),
        (BASE.replace("eps_r = 10.0", 'eps_r = "ten"'), r"eps_r = 'ten' must be a number"),
        (
            BASE.replace("density = 1e28 }", "density = 0 }", 1),
            r"carriers\[Li_i\^•\]: density = 0 is outside its allowed range \(0, inf\) \(m\^-3\)",
        ),
        (
            BASE.replace('type = "reference_bulk"', 'type = "refernce_bulk"'),
            r"type = 'refernce_bulk' is not one of .* \(did you mean 'reference_bulk'\?\)",
        ),
        (BASE.replace('phase = "A"', 'phase = "B"'), r"phase = 'B' is not one of \['A'\]"),
        (
            BASE + "\n[junction]\ntemperature = -5\n",
            r"\[junction\]: temperature = -5 is outside its allowed range \(0, inf\) \(K\)",
        ),
        (
            BASE + '\n[junction]\nleft = { type = "wall" }\n',
            r"\[junction\].left: type = 'wall' is not one of \['bulk', 'symmetry'",
        ),
        (
            BASE + '\n[solver]\ntype = "equilibrium"\nmax_steps = 0\n',
            r"\[solver\]: max_steps = 0 is outside its allowed range \[1, inf\)",
        ),
        (
            BASE + '\n[solver]\ntype = "iv_curve"\nvoltages = [0.1]\nsubsteps = 3\n',
            r"\[solver\]: unknown key 'substeps' \(now continuation_steps",
        ),
        (
            BASE + '\n[solver]\ntype = "transient"\ntimes = [1.0]\nrtol = 2.0\n',
            r"\[solver\]: rtol = 2.0 is outside its allowed range \(0, 1\)",
        ),
        (
            BASE + '\n[solver]\ntype = "impedance"\nfrequencies = [0.0, 1.0]\n',
            r"\[solver\]: frequencies: every value must be > 0",
        ),
        (BASE + '\n[solver]\ntype = "transient"\n', r"\[solver\]: missing required key 'times'"),
        (
            BASE + "\n[mesh]\ngrowth = 0.9\n",
            r"\[mesh\]: growth = 0.9 is outside its allowed range \(1, inf\)",
        ),
        (
            BASE + "\n[mesh]\nmax_nodes = 2\n",
            r"\[mesh\]: max_nodes = 2 is outside its allowed range \[3, inf\)",
        ),
        (
            BASE
            + '\n[sweep]\ntype = "grid"\n[sweep.parameters]\n"phases[A].eps_r" = [-1.0, 5.0]\n',
            r"phases\[A\].eps_r = -1 is outside its allowed range \(0, inf\)",
        ),
        (
            BASE + '\n[sweep]\ntype = "grid"\n[sweep.parameters]\n"phases[B].eps_r" = [1.0]\n',
            r"phases\[B\].eps_r.*no entry 'B'; give an index \(0…0\) or one of \['A'\]",
        ),
        (
            BASE
            + '\n[sweep]\ntype = "random"\nn = 4\n[sweep.parameters]\n'
            + '"temperature" = { low = 300 }\n',
            r"missing required key 'high'",
        ),
        (
            BASE.replace('name = "A"\n', 'name = "A"\nmaterial = "LLZ0"\n'),
            r"material = 'LLZ0' is not in the materials library; known: \['LiCoO2', 'LLZO'",
        ),
        (
            BASE + '\n[junction]\nthermal_left = { type = "fixed_temp", temperature = 300 }\n',
            r"thermal_left: type = 'fixed_temp' is not one of .*did you mean 'fixed_temperature'",
        ),
        (
            BASE.replace(
                "[state]",
                "[phases.thermal]\nconductivity = -1.0\nheat_capacity = 2e6\n\n[state]",
            ),
            r"\(A\)\.thermal: conductivity = -1\.0 is outside its allowed range \[0, inf\) "
            r"\(W m\^-1 K\^-1\)",
        ),
        (BASE + "\n[output\n", r"not valid TOML"),
        (BASE + "\n[outputs]\nplot = false\n", r"top level: unknown key 'outputs'"),
        ('[state]\ntype = "closed"\namounts = {}\n', r"give at least one \[\[phases\]\] table"),
    ],
)
def test_malformed_files_name_the_key_the_value_and_the_range(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load(path)


def test_mesh_node_budget_is_read_and_applied(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(BASE + "\n[mesh]\nmax_nodes = 5\n")
    config = load(path)
    assert config.mesh_options["max_nodes"] == 5
    with pytest.raises(ValueError, match="more than max_nodes=5"):
        pj.Mesh.auto(config.junction, **config.mesh_options)
    path.write_text(BASE)
    assert load(path).mesh_options["max_nodes"] == 1_000_000
    # refinement counts against the budget too, before any mesh is refined
    path.write_text(BASE + "\n[mesh]\nrefine = 8\nmax_nodes = 1000\n")
    with pytest.raises(ValueError, match="refine = 8 makes .* more than max_nodes = 1000;"):
        run(path, tmp_path / "out")


def test_impedance_extrapolation_is_read(tmp_path):
    path = tmp_path / "z.toml"
    path.write_text(
        BASE + '\n[solver]\ntype = "impedance"\nfrequencies = [1.0, 10.0]\nextrapolate = true\n'
    )
    task = load(path).task
    assert task.extrapolate is True and task.describe()["extrapolate"] is True
    path.write_text(BASE + '\n[solver]\ntype = "impedance"\nfrequencies = [1.0]\n')
    task = load(path).task
    # absent when off, so sweeps written before the option still resume
    assert task.extrapolate is False and "extrapolate" not in task.describe()


def test_solver_settings_are_read_into_the_settings_objects(tmp_path):
    """A [solver] table sets the fields of the Newton or TimeStepping its solver takes; the
    other fields keep that solver's defaults."""
    path = tmp_path / "iv.toml"
    path.write_text(
        BASE + '\n[solver]\ntype = "iv_curve"\nvoltages = [0.1]\ncontinuation_steps = 3\n'
    )
    solver = load(path).task.solver
    assert solver == pj.Newton(
        max_steps=100, atol=1e-9, rtol=0.0, residual_tol=None, continuation_steps=3
    )
    path.write_text(BASE + '\n[solver]\ntype = "equilibrium"\ncontinuation_steps = 2\n')
    assert load(path).task.solver == pj.Newton(continuation_steps=2)
    path.write_text(BASE + '\n[solver]\ntype = "transient"\ntimes = [1.0]\nmax_steps = 50\n')
    assert load(path).task.stepping == pj.TimeStepping(max_steps=50)


def test_command_line_reports_a_bad_file_without_a_traceback(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BASE.replace("eps_r = 10.0", "eps_r = -3"))
    done = subprocess.run(
        [sys.executable, "-m", "pnpjax.cli", "run", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert "eps_r = -3 is outside its allowed range" in done.stderr
    assert "Traceback" not in done.stderr
