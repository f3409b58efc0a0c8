"""Two phases in contact: VALIDATION.md items 4 and 5, pn junctions, Gauss's law with σ_f."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import EPS0, KB, KT, E, T

import pnpjax as pj

N_SITES = 1e28


def _fine(junction):
    return pj.Mesh.auto(junction, nodes_per_debye=40.0, growth=1.02).refined(1)


def _electrolyte_pair(d_mu_cation, eps=(10.0, 30.0), d_mu_anion=0.0, sigma=0.0):
    """Two symmetric 1:1 electrolytes sharing both ions; μ° of the cation (anion) is higher by
    `d_mu_cation` (`d_mu_anion`) eV in the right phase."""

    def phase(name, eps_r, mu_c, mu_a):
        return pj.Phase(
            name,
            eps_r=eps_r,
            carriers={"A^•": pj.Carrier(mu_c, N_SITES), "B'": pj.Carrier(mu_a, N_SITES)},
        )

    state = pj.Reservoir({"A^•": -0.3, "B'": -0.3})
    return pj.Junction(
        [phase("L", eps[0], 0.0, 0.0), phase("R", eps[1], d_mu_cation, d_mu_anion)],
        state,
        interfaces=[pj.Interface(sigma)],
        temperature=T,
    )


def _pair_bulk(mu_c, mu_a):
    """Neutral bulk (potential V, concentration m^-3) of a phase of `_electrolyte_pair`."""
    phi = (-0.3 - mu_c + mu_a + 0.3) / 2
    conc = N_SITES * np.exp((-0.3 - 0.3 - mu_c - mu_a) / (2 * KT))
    return phi, conc


def test_two_phase_gouy_chapman_split():
    """Item 4: sqrt(ε1 c1) sinh(u1/2) = sqrt(ε2 c2) sinh(u2/2) with u1 + u2 = u_total."""
    junction = _electrolyte_pair(0.15, d_mu_anion=-0.05)
    solution = pj.solve_equilibrium(junction, mesh=_fine(junction))
    phi1, c1 = _pair_bulk(0.0, 0.0)
    phi2, c2 = _pair_bulk(0.15, -0.05)
    assert float(solution.bulk_potential[1] - solution.bulk_potential[0]) == pytest.approx(
        phi2 - phi1, rel=1e-10
    )
    assert float(solution.bulk_concentration[1, 0]) == pytest.approx(c2, rel=1e-10)
    u1 = float(solution.space_charge_potential[0, 0]) / KT
    u2 = -float(solution.space_charge_potential[0, 1]) / KT
    assert u1 + u2 == pytest.approx((phi2 - phi1) / KT, rel=1e-12)
    left = np.sqrt(10.0 * c1) * np.sinh(u1 / 2)
    right = np.sqrt(30.0 * c2) * np.sinh(u2 / 2)
    assert left == pytest.approx(right, rel=1e-4)
    # and each side carries the Grahame charge of its own drop, opposite in sign
    grahame = np.sqrt(8 * 10.0 * EPS0 * KB * T * c1) * np.sinh(u1 / 2)
    assert float(solution.excess_charge[0, 1]) == pytest.approx(grahame, rel=1e-4)
    assert float(solution.excess_charge[0, 0]) == pytest.approx(-grahame, rel=1e-4)


def test_two_phase_linear_split_is_series_capacitors():
    """Item 4, linear limit: dφ1/dφ2 = (ε2/λ2)/(ε1/λ1)."""
    junction = _electrolyte_pair(0.0, d_mu_anion=0.0)
    mesh = _fine(_electrolyte_pair(0.01))
    response = jax.jacfwd(
        lambda d: pj.solve_equilibrium(_electrolyte_pair(d), mesh=mesh).space_charge_potential[0]
    )(0.0)
    solution = pj.solve_equilibrium(junction, mesh=mesh)
    lam1, lam2 = np.asarray(solution.debye_length)
    d_phi1 = float(response[0])
    d_phi2 = -float(response[1])
    assert d_phi1 / d_phi2 == pytest.approx((30.0 / lam2) / (10.0 / lam1), rel=1e-4)


@pytest.mark.parametrize("species, z", [("Li_i^•", 1), ("V_O^••", 2)])
def test_built_in_potential_shared_ion(species, z):
    """Item 5: e z Δφ_bulk = (μ1° − μ2°) + kT ln(c1/c2)."""
    mu1, mu2, c1, c2 = 0.0, 0.25, 1e24, 3e25
    a = pj.Phase(
        "A", eps_r=10.0, carriers={species: pj.Carrier(mu1, N_SITES)}, background_charge=-z * c1
    )
    b = pj.Phase(
        "B", eps_r=20.0, carriers={species: pj.Carrier(mu2, N_SITES)}, background_charge=-z * c2
    )
    junction = pj.Junction([a, b], pj.ReferenceBulk("A", {species: c1}), temperature=T)
    solution = pj.solve_equilibrium(junction)
    expected = ((mu1 - mu2) + KT * np.log(c1 / c2)) / z
    assert float(solution.built_in_potential[0]) == pytest.approx(expected, rel=1e-10)
    assert float(solution.bulk_concentration[1, 0]) == pytest.approx(c2, rel=1e-10)


NC, NV, EG = 2.8e25, 1.04e25, 1.12


def _silicon(name, doping):
    return pj.Phase(
        name,
        eps_r=11.7,
        carriers={"e'": pj.Carrier(EG / 2, NC), "h^•": pj.Carrier(-EG / 2, NV)},
        background_charge=doping,
    )


@pytest.fixture(scope="module")
def pn_solution():
    n_a = n_d = 1e23
    junction = pj.Junction(
        [_silicon("p", -n_a), _silicon("n", n_d)], pj.Reservoir(fermi_level=0.0), temperature=T
    )
    return pj.solve_equilibrium(junction, mesh=_fine(junction)), n_a, n_d


def test_pn_junction_built_in_potential_and_mass_action(pn_solution):
    """Item 5: V_bi = (kT/e) ln(N_A N_D / n_i²); n·p = n_i² everywhere (Boltzmann)."""
    solution, n_a, n_d = pn_solution
    ni2 = NC * NV * np.exp(-EG / KT)
    assert float(solution.built_in_potential[0]) == pytest.approx(
        KT * np.log(n_a * n_d / ni2), rel=1e-6
    )
    n, p = solution.concentration_of("e'"), solution.concentration_of("h^•")
    np.testing.assert_allclose(np.asarray(n * p) / ni2, 1.0, rtol=1e-9)
    # band edges bend by V_bi and the Fermi level is flat
    e_c = np.asarray(solution.E_C)
    assert e_c[0] - e_c[-1] == pytest.approx(float(solution.built_in_potential[0]), rel=1e-9)
    np.testing.assert_allclose(np.asarray(solution.fermi_level), 0.0, atol=1e-15)


def test_pn_depletion_width(pn_solution):
    """Item 6: W = sqrt(2 ε (V_bi − 2kT/e)(N_A + N_D)/(e N_A N_D)) from the depletion charge."""
    solution, n_a, n_d = pn_solution
    v_bi = float(solution.built_in_potential[0])
    charge = np.abs(np.asarray(solution.excess_charge[0]))
    width = charge[0] / (E * n_a) + charge[1] / (E * n_d)
    expected = np.sqrt(2 * 11.7 * EPS0 * (v_bi - 2 * KT) * (n_a + n_d) / (E * n_a * n_d))
    assert width == pytest.approx(expected, rel=1e-3)


def _on_coarse_nodes(fine, coarse):
    """`fine.phi` at the positions of `coarse.x` (its nodes are among the fine ones; an
    interface node appears once per side in both)."""
    xf, taken, out = np.asarray(fine.x), -1, []
    scale = float(np.ptp(xf))
    for x in np.asarray(coarse.x):
        match = np.flatnonzero(np.abs(xf - x) <= 1e-12 * scale)
        taken = int(match[match > taken][0])
        out.append(float(fine.phi[taken]))
    return np.array(out)


def test_default_mesh_resolves_the_depletion_edges():
    """Issue 18, item 3: an asymmetric Si pn junction (N_A 1e17, N_D 1e16 cm^-3) solved on the
    default mesh is within 1e-4 V of the converged potential everywhere, the depletion edge
    included (a mesh that grows through the depletion layer misses it by 4-5e-4 V)."""
    junction = pj.Junction(
        [_silicon("p", -1e23), _silicon("n", 1e22)], pj.Reservoir(fermi_level=0.0), temperature=T
    )
    mesh = pj.Mesh.auto(junction)
    converged = pj.solve_equilibrium(junction, mesh=mesh.refined(2), extrapolate=True)
    default = pj.solve_equilibrium(junction)
    error = np.abs(np.asarray(default.phi) - _on_coarse_nodes(converged, default))
    assert error.max() < 1e-4
    unresolved = pj.Mesh.auto(junction, depletion_cells=0.0)
    assert unresolved.n_nodes < mesh.n_nodes
    coarse = pj.solve_equilibrium(junction, mesh=unresolved)
    reference = pj.solve_equilibrium(junction, mesh=unresolved.refined(2), extrapolate=True)
    assert np.abs(np.asarray(coarse.phi) - _on_coarse_nodes(reference, coarse)).max() > 2e-4


def test_gauss_law_with_surface_charge():
    """A free surface charge between two identical electrolytes: D jumps by σ_f, the whole is
    neutral, and each side screens half of it (Grahame): σ_f = 2 sqrt(8 ε kT c) sinh(u_I/2)."""
    sigma = 0.02
    junction = _electrolyte_pair(0.0, eps=(10.0, 10.0), sigma=sigma)
    solution = pj.solve_equilibrium(junction, mesh=_fine(junction))
    phase = np.asarray(solution.phase)
    node = int(np.argmax(phase == 1))  # right-side entry of the interface node
    jump = float(solution.D[node] - solution.D[node - 1])
    assert jump == pytest.approx(sigma, rel=1e-10)
    assert abs(float(solution.total_charge)) < 1e-9 * sigma / E
    excess = np.asarray(solution.excess_charge[0])
    assert excess.sum() == pytest.approx(-sigma, rel=1e-9)
    _, c = _pair_bulk(0.0, 0.0)
    u_i = float(solution.space_charge_potential[0, 0]) / KT
    assert 2 * np.sqrt(8 * 10.0 * EPS0 * KB * T * c) * np.sinh(u_i / 2) == pytest.approx(
        sigma, rel=1e-4
    )


def test_gauss_law_with_unequal_permittivity():
    """ε1 E1 − ε2 E2 = σ_f at the interface, and the profiles' D equals ε E on each side."""
    junction = _electrolyte_pair(0.05, eps=(5.0, 40.0), sigma=-0.01)
    solution = pj.solve_equilibrium(junction)
    phase = np.asarray(solution.phase)
    node = int(np.argmax(phase == 1))
    d_left, d_right = float(solution.D[node - 1]), float(solution.D[node])
    e_left, e_right = float(solution.E[node - 1]), float(solution.E[node])
    assert d_right - d_left == pytest.approx(-0.01, rel=1e-10)
    assert d_left == pytest.approx(5.0 * EPS0 * e_left, rel=1e-12)
    assert d_right == pytest.approx(40.0 * EPS0 * e_right, rel=1e-12)
    assert abs(float(solution.total_charge)) < 1e-9 * 0.01 / E
    assert bool(jnp.all(solution.layer_width > 0))


def test_middle_layer_sides_are_consistent_under_extrapolation():
    """A thin middle phase between two interfaces: each side's excess charge from the
    extrapolated solve agrees with a much finer plain solve."""

    def phase(name, eps_r, mu, thickness=None):
        return pj.Phase(
            name,
            eps_r=eps_r,
            thickness=thickness,
            carriers={"A^•": pj.Carrier(mu, N_SITES), "B'": pj.Carrier(0.0, N_SITES)},
        )

    junction = pj.Junction(
        [phase("a", 10.0, 0.0), phase("m", 20.0, 0.1, 2e-9), phase("b", 10.0, -0.05)],
        pj.Reservoir({"A^•": -0.3, "B'": -0.3}),
        temperature=T,
    )
    mesh = pj.Mesh.auto(junction)
    extrapolated = pj.solve_equilibrium(junction, mesh=mesh, extrapolate=True)
    reference = pj.solve_equilibrium(junction, mesh=mesh.refined(3))
    coarse = pj.solve_equilibrium(junction, mesh=mesh)
    error_extrapolated = np.max(
        np.abs(np.asarray(extrapolated.excess_charge - reference.excess_charge))
    )
    error_coarse = np.max(np.abs(np.asarray(coarse.excess_charge - reference.excess_charge)))
    assert error_extrapolated < 0.1 * error_coarse
    assert abs(float(jnp.sum(extrapolated.excess_charge))) < 1e-12
