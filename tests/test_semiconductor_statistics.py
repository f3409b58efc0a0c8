"""Fermi–Dirac statistics for electrons and holes in the equilibrium solver."""

import jax
import numpy as np
import pytest
from helpers import EPS0, KB, KT, T

import pnpjax as pj

N_C, N_V, GAP = 2.8e25, 1.04e25, 1.12
EPS_R = 11.7


def semiconductor(donors, statistics=True, thickness=200e-9):
    return pj.Phase(
        "Si",
        eps_r=EPS_R,
        thickness=thickness,
        carriers={"e'": pj.Carrier(GAP, N_C), "h^•": pj.Carrier(0.0, N_V)},
        background_charge=donors,
        activity=(pj.FermiDirac(("e'", "h^•")),) if statistics else (),
    )


def film(donors, statistics=True):
    return pj.Junction(
        [semiconductor(donors, statistics)],
        pj.Reservoir(fermi_level=0.5),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        temperature=T,
    )


@pytest.fixture(scope="module")
def bulk_solutions():
    out = {}
    for donors in (1e18, 1e27):
        for statistics in (True, False):
            out[donors, statistics] = pj.solve_equilibrium(film(donors, statistics))
    return out


def _bulk(solution):
    n, p = np.asarray(solution.bulk_concentration[0])
    return n, p


def test_boltzmann_limit(bulk_solutions):
    """Light doping (η ≈ −17): Fermi–Dirac equals Boltzmann and n·p = n_i²."""
    n_fd, p_fd = _bulk(bulk_solutions[1e18, True])
    n_mb, p_mb = _bulk(bulk_solutions[1e18, False])
    assert n_fd == pytest.approx(n_mb, rel=1e-7)
    assert p_fd == pytest.approx(p_mb, rel=1e-7)
    assert n_fd * p_fd == pytest.approx(N_C * N_V * np.exp(-GAP / KT), rel=1e-7)


def test_degenerate_limit(bulk_solutions):
    """Heavy doping: n = N_D with E_F above E_C by F_1/2^{-1}(N_D/N_C), approaching the
    degenerate law (4/3√π) η^{3/2}; n·p falls below n_i² (Boltzmann would overestimate n)."""
    solution = bulk_solutions[1e27, True]
    n, p = _bulk(solution)
    assert n == pytest.approx(1e27, rel=1e-9)
    e_f = float(solution.fermi_level[0])
    e_c = GAP - float(solution.bulk_potential[0])
    eta = (e_f - e_c) / KT
    assert float(pj.fermi_dirac_half(eta)) * N_C == pytest.approx(1e27, rel=1e-9)
    assert eta > 10  # degenerate
    assert N_C * 4 / (3 * np.sqrt(np.pi)) * eta**1.5 == pytest.approx(1e27, rel=0.01)
    n_i2 = N_C * N_V * np.exp(-GAP / KT)
    assert n * p < 0.01 * n_i2
    n_mb, p_mb = _bulk(bulk_solutions[1e27, False])
    assert n_mb * p_mb == pytest.approx(n_i2, rel=1e-7)


def _fermi_dirac_three_halves(eta):
    """F_3/2 (normalised, 1/Γ(5/2)) by quadrature, for the first integral."""
    t = np.linspace(0.0, np.sqrt(max(eta, 0.0) + 60.0), 200001)
    e = t**2
    integrand = 2 * t * e**1.5 / (1 + np.exp(np.clip(e - eta, -700, 700)))
    return np.trapezoid(integrand, t) / (0.75 * np.sqrt(np.pi))


def test_degenerate_accumulation_first_integral():
    """Electrons accumulated into degeneracy at an electrode: the exact first integral
    σ² = 2εkT [N_C (F_3/2(η_b + u0) − F_3/2(η_b)) − N_D u0] holds for Fermi–Dirac statistics."""
    donors = 1e24
    phase = pj.Phase(
        "n-Si",
        eps_r=EPS_R,
        carriers={"e'": pj.Carrier(GAP, N_C)},
        background_charge=donors,
        activity=pj.FermiDirac("e'"),
    )
    potential = 0.3
    junction = pj.Junction(
        [phase],
        pj.ReferenceBulk("n-Si", {"e'": donors}),
        left=pj.Electrode(potential),
        right=pj.Bulk(),
        temperature=T,
    )
    mesh = pj.Mesh.auto(junction, nodes_per_debye=20.0)
    solution = pj.solve_equilibrium(junction, mesh=mesh, extrapolate=True)
    eta_b = float(pj.FermiDirac("e'").log_gamma(np.array([donors]), np.log([N_C]), KT)[0])
    eta_b += np.log(donors / N_C)
    u0 = potential / KT
    assert eta_b + u0 > 5  # the surface is degenerate
    pressure = (
        N_C * (_fermi_dirac_three_halves(eta_b + u0) - _fermi_dirac_three_halves(eta_b))
        - donors * u0
    )
    sigma = np.sqrt(2 * EPS_R * EPS0 * KB * T * pressure)  # the electrode carries +σ
    assert float(solution.boundary_charge[0]) == pytest.approx(sigma, rel=1e-5)
    boltzmann = np.sqrt(2 * EPS_R * EPS0 * KB * T * donors * (np.exp(u0) - 1 - u0))
    assert abs(sigma) < 0.8 * abs(boltzmann)  # degeneracy matters here


def test_fermi_dirac_gradient():
    """d n_bulk / d N_C through Fermi–Dirac statistics against central differences."""

    def electrons(n_c):
        phase = pj.Phase(
            "Si",
            eps_r=EPS_R,
            thickness=50e-9,
            carriers={"e'": pj.Carrier(GAP, n_c), "h^•": pj.Carrier(0.0, N_V)},
            background_charge=1e26,
            activity=pj.FermiDirac(("e'", "h^•")),
        )
        junction = pj.Junction(
            [phase],
            pj.Reservoir(fermi_level=1.1),
            left=pj.Electrode(0.0),
            right=pj.Symmetry(),
            temperature=T,
        )
        return pj.solve_equilibrium(junction, mesh=mesh).concentration_of("e'")[0]

    mesh = pj.Mesh.from_nodes(
        pj.Junction(
            [semiconductor(1e26, thickness=50e-9)],
            pj.Reservoir(fermi_level=1.1),
            left=pj.Electrode(0.0),
            right=pj.Symmetry(),
            temperature=T,
        ),
        np.linspace(0, 50e-9, 101),
    )
    h = 1e19
    fd = (float(electrons(N_C + h)) - float(electrons(N_C - h))) / (2 * h)
    assert float(jax.grad(electrons)(N_C)) == pytest.approx(fd, rel=1e-6)


def test_reference_bulk_with_majority_carrier_only():
    """A degenerate p-type reference given by its hole density alone: Fermi–Dirac is separable,
    so the electrons follow from E_F, and p = N_V F_1/2((E_V − E_F)/kT) holds in the bulk."""
    acceptors = 3e26
    phase = pj.Phase(
        "p-Si",
        eps_r=EPS_R,
        thickness=100e-9,
        carriers={"e'": pj.Carrier(GAP, N_C), "h^•": pj.Carrier(0.0, N_V)},
        background_charge=-acceptors,
        activity=pj.FermiDirac(("e'", "h^•")),
    )
    junction = pj.Junction(
        [phase],
        pj.ReferenceBulk("p-Si", {"h^•": acceptors}),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        temperature=T,
    )
    solution = pj.solve_equilibrium(junction)
    n, p = _bulk(solution)
    assert p == pytest.approx(acceptors, rel=1e-10)
    e_f = float(solution.fermi_level[0])
    eta_h = (0.0 - float(solution.bulk_potential[0]) - e_f) / KT
    assert eta_h > 2  # degenerate holes
    assert float(pj.fermi_dirac_half(eta_h)) * N_V == pytest.approx(acceptors, rel=1e-10)
