"""Cold starts: built-in potentials of ±1 V (≈ 40 k_BT) and beyond, 30+ decades of concentration."""

import contextlib

import jax.numpy as jnp
import numpy as np
import pytest
from helpers import KT, T, electrode_cell

import pnpjax as pj


def _expect_under_resolved(expected):
    """Mesh.auto warns when Boltzmann accumulation exceeds what the mesh resolves."""
    return (
        pytest.warns(UserWarning, match="under-resolved") if expected else contextlib.nullcontext()
    )


@pytest.mark.parametrize("potential", [-1.0, 1.0, 2.0])
def test_electrode_at_large_potential_converges_from_cold_start(potential):
    junction = electrode_cell(potential)
    with _expect_under_resolved(abs(potential) > 1.05):
        solution = pj.solve_equilibrium(junction)
    assert solution.result == pj.RESULTS.successful and int(solution.iterations) < 40
    c = np.asarray(solution.concentration)
    assert c.max() / c.min() > 10 ** (abs(potential) / KT / np.log(10) - 1)
    if abs(potential) > 1.0:
        return  # 1e57-fold accumulation: far past site saturation, the mesh stops thinning
    # Grahame holds even at 40 kT, to the accuracy of the default mesh
    u0 = potential / KT
    sigma = np.sqrt(8 * 10.0 * 8.8541878128e-12 * 1.380649e-23 * T * 1e24) * np.sinh(u0 / 2)
    assert float(solution.boundary_charge[0]) == pytest.approx(sigma, rel=2e-2)


@pytest.mark.parametrize("step", [1.0, 2.0])
def test_junction_spanning_thirty_decades(step):
    """A μ° step of `step` eV for both Frenkel defects: a built-in potential of −step V and
    concentrations spanning more than 30 decades, solved from the piecewise-neutral guess."""
    a = pj.Phase(
        "A", eps_r=10.0, carriers={"Li_i^•": pj.Carrier(0.0, 1e28), "V_Li'": pj.Carrier(0.0, 1e28)}
    )
    b = pj.Phase(
        "B",
        eps_r=10.0,
        carriers={"Li_i^•": pj.Carrier(step, 1e28), "V_Li'": pj.Carrier(-step, 1e28)},
    )
    junction = pj.Junction(
        [a, b], pj.ReferenceBulk("A", {"Li_i^•": 1e20, "V_Li'": 1e20}), temperature=T
    )
    # the mesh conservatively allows the whole step on either side, and warns beyond ~41 k_BT
    with _expect_under_resolved(step > 1.05):
        solution = pj.solve_equilibrium(junction)
    assert solution.result == pj.RESULTS.successful
    assert float(solution.built_in_potential[0]) == pytest.approx(-step, rel=1e-9)
    c = np.asarray(solution.concentration)
    assert np.log10(c.max() / c.min()) > 16 * step
    # antisymmetric junction: the drop splits equally
    np.testing.assert_allclose(
        np.asarray(solution.space_charge_potential[0]), [-step / 2, step / 2], rtol=1e-6
    )
    assert bool(jnp.all(jnp.isfinite(solution.phi)))


@pytest.mark.parametrize("potential", [1.0, -1.0])
def test_continuation_reaches_the_same_state(potential):
    junction = electrode_cell(potential)
    mesh = pj.Mesh.auto(junction)
    direct = pj.solve_equilibrium(junction, mesh=mesh)
    staged = pj.solve_equilibrium(junction, mesh=mesh, solver=pj.Newton(continuation_steps=4))
    assert staged.result == pj.RESULTS.successful
    assert int(staged.iterations) > int(direct.iterations)
    np.testing.assert_allclose(
        np.asarray(staged.phi), np.asarray(direct.phi), rtol=1e-10, atol=1e-13
    )
    with pytest.raises(ValueError, match="continuation_steps"):
        pj.Newton(continuation_steps=-1)
