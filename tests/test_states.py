"""The three ways of fixing the equilibrium agree; closed systems conserve; blocked interfaces."""

import jax.numpy as jnp
import numpy as np
import pytest
from helpers import T

import pnpjax as pj

THICK = 40e-9


def _film_pair(state, blocked=()):
    """Two finite films with Li interstitials and Li vacancies (Frenkel pairs), symmetry ends."""
    a = pj.Phase(
        "A",
        eps_r=10.0,
        thickness=THICK,
        carriers={"Li_i^•": pj.Carrier(0.0, 1e28), "V_Li'": pj.Carrier(0.0, 1e28)},
    )
    b = pj.Phase(
        "B",
        eps_r=25.0,
        thickness=THICK,
        carriers={"Li_i^•": pj.Carrier(0.2, 1e28), "V_Li'": pj.Carrier(-0.1, 1e28)},
    )
    return pj.Junction(
        [a, b],
        state,
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        interfaces=[pj.Interface(blocked=blocked)],
        temperature=T,
    )


@pytest.fixture(scope="module")
def reference():
    junction = _film_pair(pj.ReferenceBulk("A", {"Li_i^•": 1e24, "V_Li'": 1e24}))
    mesh = pj.Mesh.auto(junction)
    return pj.solve_equilibrium(junction, mesh=mesh), mesh


def test_reservoir_equals_reference_bulk(reference):
    solution, mesh = reference
    mu = dict(zip(solution.potential_keys, np.asarray(solution.electrochemical_potentials)))
    again = pj.solve_equilibrium(_film_pair(pj.Reservoir(mu)), mesh=mesh)
    np.testing.assert_allclose(np.asarray(again.phi), np.asarray(solution.phi), atol=1e-13)
    np.testing.assert_allclose(
        np.asarray(again.concentration), np.asarray(solution.concentration), rtol=1e-11
    )


def test_closed_system_equals_reference_bulk_and_conserves(reference):
    solution, mesh = reference
    amounts = dict(zip(solution.potential_keys, np.asarray(solution.amounts)))
    closed = pj.solve_equilibrium(_film_pair(pj.Closed(amounts)), mesh=mesh)
    # same state up to the gauge (a common shift of φ, μ̃_i shifting by z_i times it)
    shift = float(closed.phi[0] - solution.phi[0])
    np.testing.assert_allclose(np.asarray(closed.phi) - shift, np.asarray(solution.phi), atol=1e-12)
    np.testing.assert_allclose(
        np.asarray(closed.concentration), np.asarray(solution.concentration), rtol=1e-9
    )
    np.testing.assert_allclose(np.asarray(closed.amounts), list(amounts.values()), rtol=1e-12)
    assert abs(float(closed.phi_nodes[0])) < 1e-25  # the gauge of a closed system: φ(left) = 0


def test_closed_mixed_with_reservoir(reference):
    solution, mesh = reference
    keys = solution.potential_keys
    mu = dict(zip(keys, np.asarray(solution.electrochemical_potentials)))
    amount = dict(zip(keys, np.asarray(solution.amounts)))
    mixed = pj.solve_equilibrium(
        _film_pair(pj.Closed({"Li_i^•": amount["Li_i^•"]}, potentials={"V_Li'": mu["V_Li'"]})),
        mesh=mesh,
    )
    np.testing.assert_allclose(np.asarray(mixed.phi), np.asarray(solution.phi), atol=1e-11)


def test_blocked_interface_conserves_each_side():
    """Li_i blocked at the interface: each side keeps its own amount and potential."""
    amounts = {"Li_i^•@A": 1.2e24 * THICK, "Li_i^•@B": 0.6e24 * THICK, "V_Li'": 1.8e24 * THICK}
    junction = _film_pair(pj.Closed(amounts), blocked=["Li_i^•"])
    solution = pj.solve_equilibrium(junction)
    assert solution.potential_keys == ("Li_i^•@A", "Li_i^•@B", "V_Li'")
    np.testing.assert_allclose(np.asarray(solution.amounts), list(amounts.values()), rtol=1e-10)
    mu = np.asarray(solution.electrochemical_potentials)
    assert abs(mu[0] - mu[1]) > 1e-3
    assert abs(float(solution.total_charge)) < 1e-9 * 1.8e24 * THICK


def test_radial_closed_particle_conserves():
    """A coated spherical particle, closed: amounts are the integrals ∫c 4πr² dr."""
    core = pj.Phase(
        "core",
        eps_r=10.0,
        thickness=30e-9,
        carriers={"Li_i^•": pj.Carrier(0.0, 1e28)},
        background_charge=-1e24,
    )
    shell = pj.Phase(
        "shell",
        eps_r=20.0,
        thickness=5e-9,
        carriers={"Li_i^•": pj.Carrier(0.1, 1e28)},
        background_charge=-2e24,
    )
    volume = lambda a, b: 4 * np.pi / 3 * (b**3 - a**3)  # noqa: E731
    total = 1e24 * volume(0, 30e-9) + 2e24 * volume(30e-9, 35e-9)
    junction = pj.Junction(
        [core, shell],
        pj.Closed({"Li_i^•": total}),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        geometry="spherical",
        temperature=T,
    )
    solution = pj.solve_equilibrium(junction)
    assert float(solution.amounts[0]) == pytest.approx(total, rel=1e-12)
    assert float(solution.space_charge_potential[0, 0]) != 0.0
    assert bool(jnp.all(jnp.isfinite(solution.phi)))


def test_mesh_from_user_nodes_with_a_semi_infinite_first_phase():
    def phase(name, thickness):
        return pj.Phase(
            name,
            eps_r=10.0,
            thickness=thickness,
            carriers={"A^•": pj.Carrier(0.0, 1e28), "B'": pj.Carrier(0.0, 1e28)},
        )

    junction = pj.Junction(
        [phase("a", None), phase("b", 5e-9)],
        pj.Reservoir({"A^•": -0.3, "B'": -0.3}),
        right=pj.Electrode(0.05),
        temperature=T,
    )
    x = np.concatenate([np.linspace(0, 20e-9, 50), 20e-9 + np.linspace(0, 5e-9, 30)[1:]])
    mesh = pj.Mesh.from_nodes(junction, x)
    solution = pj.solve_equilibrium(junction, mesh=mesh)
    np.testing.assert_allclose(np.asarray(solution.x_nodes), x, rtol=1e-12, atol=1e-22)
    assert solution.result == pj.RESULTS.successful
