"""Sweeps: every point equals its own solve, failures are isolated, sweeps resume, results are
written as a table and a labelled data set."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import single_ion_cell

import pnpjax as pj
from pnpjax import examples, sweeps
from pnpjax._sweep import storage
from pnpjax._sweep.paths import resolve

MU0 = "phases[Li3PS4].carriers[Li_i^•].mu0"
EPS = "phases[Li3PS4].eps_r"
GRID = sweeps.Grid({MU0: [0.1, 0.2, 0.3, 0.4], EPS: [5.0, 8.0, 12.0]})  # 12 points


@pytest.fixture(scope="module")
def junction():
    return examples.cathode_electrolyte(nonideal=False)


@pytest.fixture(scope="module")
def grid_sweep(junction, tmp_path_factory):
    folder = tmp_path_factory.mktemp("grid")
    task = sweeps.Equilibrium(profiles=True)
    return pj.sweep(junction, GRID, task, chunk_size=5, folder=folder, progress=False)


def at(junction, values: dict):
    for path, value in values.items():
        junction = eqx.tree_at(resolve(junction, path), junction, jnp.asarray(value))
    return junction


def test_every_point_equals_its_own_solve(junction, grid_sweep):
    """To round-off: a vmapped Newton solve and an unbatched one differ at ~1e-12 (measured
    1.1e-12 relative), as XLA fuses the two programs differently."""
    result = grid_sweep
    assert (result.points, result.chunks, result.chunk_size) == (12, 3, 5)
    table = result.table()
    assert list(table["status"]) == ["ok"] * 12 and list(table["point"]) == list(range(12))
    label = "LiCoO2|Li3PS4"
    data = result.dataset()
    solve = jax.jit(lambda j: pj.solve_equilibrium(j, mesh=result.mesh))
    for i, row in table.iterrows():
        point = at(junction, {MU0: row[f"{MU0} [eV]"], EPS: row[f"{EPS} [1]"]})
        sol = solve(point)
        assert row[f"built_in_potential[{label}] [V]"] == pytest.approx(
            float(sol.built_in_potential[0]), rel=1e-9
        )
        for k, side in enumerate(("left", "right")):
            for name, unit in (("space_charge_potential", "V"), ("excess_charge", "C/m^2")):
                column = f"{name}[{label},{side}] [{unit}]"
                expected = float(getattr(sol, name)[0, k])
                assert row[column] == pytest.approx(expected, rel=1e-9, abs=1e-300), column
        np.testing.assert_allclose(
            data["phi"].values[i], np.asarray(sol.phi), rtol=1e-9, atol=1e-15
        )
        c_li = data["concentration"].sel(species="Li_i^•").values[i]
        np.testing.assert_allclose(c_li, np.asarray(sol.concentration_of("Li_i^•")), rtol=1e-9)
    # labelled dimensions, inputs alongside, units
    assert data["space_charge_potential"].dims == ("point", "interface", "side")
    assert list(data["side"].values) == ["left", "right"]
    assert data["excess_charge"].attrs["units"] == "C/m^2"
    np.testing.assert_array_equal(data[MU0].values, GRID.values(0, 12)[MU0])
    # the built-in potential does not depend on the permittivity
    drop = table[f"built_in_potential[{label}] [V]"].to_numpy().reshape(4, 3)
    np.testing.assert_allclose(drop, drop[:, :1] * np.ones((1, 3)), rtol=1e-9)


def test_a_failed_point_is_recorded_and_does_not_stop_the_sweep(junction, tmp_path):
    """A 1.5 eV step needs more Newton steps than allowed: that point fails with its reason,
    the others are solved."""
    space = sweeps.Table({MU0: [0.1, 0.2, 1.5, 0.3]})
    task = sweeps.Equilibrium(solver=pj.Newton(max_steps=12))
    result = pj.sweep(junction, space, task, chunk_size=4, folder=tmp_path, progress=False)
    table = result.table()
    assert list(table["status"]) == ["ok", "ok", "failed", "ok"]
    assert table["code"][2] == pj.result_code(pj.RESULTS.nonlinear_max_steps_reached)
    assert "did not converge within max_steps" in table["reason"][2]
    assert "after 12 iterations" in table["reason"][2]
    assert np.isnan(table["built_in_potential[LiCoO2|Li3PS4] [V]"][2])  # no half-converged values
    assert table["iterations [1]"][2] == 12
    assert len(result.failures()) == 1
    solve = jax.jit(lambda j: pj.solve_equilibrium(j, mesh=result.mesh, solver=task.solver))
    expected = float(solve(at(junction, {MU0: 0.3})).built_in_potential[0])
    assert table["built_in_potential[LiCoO2|Li3PS4] [V]"][3] == pytest.approx(expected, rel=1e-9)


class Echo(sweeps.AbstractTask):
    """A task without a solve, for the sweep machinery: 2T, T·(0, 1, 2); fails (result code
    1) above 900 K and raises at run time above 1000 K."""

    kind = "echo"

    def outputs(self, junction):
        return [sweeps.Output("double", "K"), sweeps.Output("curve", "K", ("k",), True)]

    def coordinates(self, junction, mesh):
        return {"k": np.arange(3)}

    def evaluate(self, junction, mesh, inputs):
        t = eqx.error_if(junction.temperature, junction.temperature > 1000.0, "too hot")
        status = {"code": jnp.where(t > 900.0, 1, 0)}
        return {"double": 2 * t, "curve": t * jnp.arange(3.0)}, status

    def reason(self, status):
        return "warm"

    def describe(self):
        return {"kind": self.kind}


@pytest.fixture(scope="module")
def echo_junction():
    return pj.Junction(
        [
            pj.Phase(
                "A",
                eps_r=10.0,
                carriers={"A^•": pj.Carrier(0.0, 1e28), "B'": pj.Carrier(0.0, 1e28)},
            )
        ],
        pj.ReferenceBulk("A", {"A^•": 1e24, "B'": 1e24}),
    )


def test_a_point_that_raises_is_isolated(echo_junction, tmp_path):
    space = sweeps.Table({"temperature": [300.0, 950.0, 1200.0, 400.0, 500.0]})
    result = pj.sweep(
        echo_junction,
        space,
        Echo(),
        chunk_size=3,
        folder=tmp_path,
        progress=False,
        mesh=pj.Mesh.auto(echo_junction),
    )
    table = result.table()
    assert list(table["status"]) == ["ok", "failed", "failed", "ok", "ok"]
    assert table["reason"][1] == "warm" and table["code"][2] == -2
    assert "too hot" in table["reason"][2]
    np.testing.assert_array_equal(table["double [K]"].to_numpy()[[0, 3, 4]], [600, 800, 1000])
    assert np.isnan(table["double [K]"][2])


def test_an_interrupted_sweep_resumes_from_its_finished_chunks(
    echo_junction, tmp_path, monkeypatch
):
    space = sweeps.Grid({"temperature": np.linspace(300.0, 800.0, 11)})
    mesh = pj.Mesh.auto(echo_junction)
    reference = pj.sweep(
        echo_junction,
        space,
        Echo(),
        chunk_size=4,
        folder=tmp_path / "whole",
        progress=False,
        mesh=mesh,
    ).table()
    save = storage.save_chunk

    def interrupted(folder, chunk, arrays):
        save(folder, chunk, arrays)
        if chunk == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(storage, "save_chunk", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pj.sweep(
            echo_junction,
            space,
            Echo(),
            chunk_size=4,
            folder=tmp_path / "cut",
            progress=False,
            mesh=mesh,
        )
    monkeypatch.setattr(storage, "save_chunk", save)
    assert sorted(p.name for p in (tmp_path / "cut" / "chunks").iterdir()) == [
        "c000000.npz",
        "c000001.npz",
    ]
    resumed = pj.sweep(
        echo_junction,
        space,
        Echo(),
        chunk_size=4,
        folder=tmp_path / "cut",
        progress=False,
        mesh=mesh,
    )
    assert resumed.resumed_chunks == 2 and resumed.computed_points == 3
    assert resumed.table().equals(reference)
    # the same folder with another sweep is refused; resume=False starts over
    other = sweeps.Grid({"temperature": [300.0, 310.0]})
    with pytest.raises(ValueError, match="holds a different sweep .*'points'"):
        pj.sweep(
            echo_junction,
            other,
            Echo(),
            chunk_size=4,
            folder=tmp_path / "cut",
            progress=False,
            mesh=mesh,
        )
    fresh = pj.sweep(
        echo_junction,
        other,
        Echo(),
        chunk_size=4,
        folder=tmp_path / "cut",
        progress=False,
        mesh=mesh,
        resume=False,
    )
    assert fresh.resumed_chunks == 0 and len(fresh.table()) == 2


def test_parquet_and_netcdf_hold_the_same_results(echo_junction, tmp_path):
    space = sweeps.LatinHypercube({"temperature": (300.0, 800.0)}, 7, seed=3)
    result = pj.sweep(
        echo_junction,
        space,
        Echo(),
        chunk_size=4,
        folder=tmp_path,
        table="both",
        progress=False,
        mesh=pj.Mesh.auto(echo_junction),
    )
    csv = result.table()
    parquet = __import__("pandas").read_parquet(tmp_path / "results.parquet")
    assert list(parquet.columns) == list(csv.columns)
    np.testing.assert_allclose(parquet["double [K]"], csv["double [K]"], rtol=1e-9)
    data = result.dataset()
    np.testing.assert_allclose(data["curve"].values[:, 2], csv["double [K]"], rtol=1e-9)
    np.testing.assert_allclose(data["temperature"].values, space.values(0, 7)["temperature"])
    assert data["curve"].dims == ("point", "k")


def test_steady_state_sweep_over_the_bias_is_the_steady_state_at_each(tmp_path):
    cell = single_ion_cell(20.0, 10.0)
    space = sweeps.Grid({"voltage": [-0.05, 0.02, 0.08], "phases[a].eps_r": [20.0]})
    result = pj.sweep(
        cell, space, sweeps.SteadyState(), chunk_size=3, folder=tmp_path, progress=False
    )
    table = result.table()
    assert "input_voltage [V]" in table.columns  # the input beside the output of that name
    # the default transport Newton, in 4 bias stages (the steady state does not depend on them)
    solver = pj.Newton(max_steps=100, atol=1e-9, rtol=0.0, residual_tol=None, continuation_steps=4)
    for voltage, current in zip(table["input_voltage [V]"], table["current [A/m^2]"]):
        direct = pj.solve_steady_state(cell, voltage=voltage, mesh=result.mesh, solver=solver)
        assert current == pytest.approx(float(direct.current[0]), rel=1e-9)
    np.testing.assert_allclose(table["voltage [V]"], table["input_voltage [V]"], atol=1e-12)


def test_impedance_transient_and_iv_sweeps_equal_their_solvers(tmp_path):
    cell = single_ion_cell(20.0, 20.0)
    mesh = pj.Mesh.auto(cell)
    diffusivity = "phases[a].carriers[Li_i^•].diffusivity"
    space = sweeps.Table({diffusivity: [1e-12, 3e-12]})
    frequencies = np.logspace(0, 9, 7)
    spectra = pj.sweep(
        cell, space, sweeps.Impedance(frequencies), folder=tmp_path / "z", progress=False, mesh=mesh
    ).dataset()
    times = np.logspace(-9, -4, 4)
    transients = pj.sweep(
        cell,
        space,
        sweeps.Transient(times, voltage=0.01),
        folder=tmp_path / "t",
        progress=False,
        mesh=mesh,
    ).dataset()
    voltages = np.array([-0.05, 0.05])
    curves = pj.sweep(
        cell, space, sweeps.IVCurve(voltages), folder=tmp_path / "iv", progress=False, mesh=mesh
    ).dataset()
    for i, d in enumerate([1e-12, 3e-12]):
        point = at(cell, {diffusivity: d})
        z = np.asarray(pj.impedance(point, frequencies, mesh=mesh).impedance)
        np.testing.assert_allclose(spectra["impedance_real"].values[i], z.real, rtol=1e-9)
        np.testing.assert_allclose(spectra["impedance_imag"].values[i], z.imag, rtol=1e-9)
        current = np.asarray(pj.solve_transient(point, times, voltage=0.01, mesh=mesh).current)
        # batched and unbatched adaptive integrations take different steps: they agree to the
        # integration tolerance (rtol 1e-6; measured 4.6e-6 at the last time), not round-off
        np.testing.assert_allclose(transients["current"].values[i], current, rtol=2e-5)
        iv = np.asarray(pj.iv_curve(point, voltages, mesh=mesh).current)
        np.testing.assert_allclose(curves["current"].values[i], iv, rtol=1e-9)
    assert spectra["impedance_real"].dims == ("point", "frequency")
    np.testing.assert_allclose(spectra["frequency"].values, frequencies)
