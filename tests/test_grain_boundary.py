"""Grain boundaries: acceptor-doped ceria with a positive core charge (Mott–Schottky versus
Gouy–Chapman), segregation-energy profiles and the Kliewer–Koehler surface potential."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import EPS0, KB, E

import pnpjax as pj

TEMPERATURE = 500.0
KT_GB = KB * TEMPERATURE / E
N_A = 1e26  # Gd_Ce' (m^-3)
EPS_R = 30.0
VACANCY, DOPANT = "V_O^••", "Gd_Ce'"


def grain(name, dopant_mobile):
    return pj.Phase(
        name,
        eps_r=EPS_R,
        carriers={
            VACANCY: pj.Carrier(0.0, 5e28, diffusivity=1e-12),  # m²/s, for the resistances
            DOPANT: pj.Carrier(0.0, 2.5e28)
            if dopant_mobile
            else pj.Carrier(density=N_A, mobile=False),
        },
    )


def ceria_boundary(sigma, dopant_mobile):
    reference = {VACANCY: N_A / 2, DOPANT: N_A} if dopant_mobile else {VACANCY: N_A / 2}
    return pj.Junction(
        [grain("grain1", dopant_mobile), grain("grain2", dopant_mobile)],
        pj.ReferenceBulk("grain1", reference),
        interfaces=[pj.Interface(sigma=sigma)],
        temperature=TEMPERATURE,
    )


def core_charge(phi0, dopant_mobile):
    """σ (C/m²) of a symmetric boundary at space-charge potential φ0 (V), from the exact first
    integral (ε/2)E² = kT Σ_i c_i (e^{−z_i u} − 1) (− N_A u for a frozen acceptor), two sides."""
    u = phi0 / KT_GB
    if dopant_mobile:
        pressure = N_A / 2 * np.expm1(-2 * u) + N_A * np.expm1(u)
    else:
        pressure = N_A / 2 * np.expm1(-2 * u) + N_A * u
    return 2 * np.sqrt(2 * EPS_R * EPS0 * KB * TEMPERATURE * pressure)


def _solve_boundary(mobile):
    sigma = core_charge(0.4, mobile)
    junction = ceria_boundary(sigma, mobile)
    mesh = pj.Mesh.auto(junction, nodes_per_debye=40.0)
    return mobile, sigma, pj.solve_equilibrium(junction, mesh=mesh, extrapolate=True)


@pytest.fixture(scope="module")
def mott_schottky_boundary():
    return _solve_boundary(False)


@pytest.fixture(scope="module", params=[False, True], ids=["mott-schottky", "gouy-chapman"])
def boundary(request, mott_schottky_boundary):
    return mott_schottky_boundary if not request.param else _solve_boundary(True)


def test_core_charge_first_integral(boundary):
    """The space-charge potential that screens σ obeys the exact first integral, with the
    dopant frozen (Mott–Schottky) or mobile (Gouy–Chapman)."""
    mobile, sigma, solution = boundary
    phi0 = float(solution.space_charge_potential[0, 0])
    assert phi0 == pytest.approx(float(solution.space_charge_potential[0, 1]), rel=1e-9)
    assert core_charge(phi0, mobile) == pytest.approx(sigma, rel=1e-6)
    assert float(solution.total_charge) == pytest.approx(0.0, abs=1e-9 * sigma)


def test_mott_schottky_versus_gouy_chapman_profiles(boundary):
    """Frozen dopant: a depletion layer. Where the vacancies are fully depleted the charge is
    −eN_A and the first integral (ε/2)E0² = N_A(eφ0 − kT/2) makes the profile exactly
    φ = φ_c + (φ0 − φ_c)(1 − x/w')² with φ_c = kT/2e and w' = √(2ε(φ0 − φ_c)/(eN_A)): the
    Mott–Schottky parabola with its thermal correction. Mobile dopant: the acceptor accumulates
    and the layer is a few Debye lengths thin, far narrower than w."""
    mobile, _, solution = boundary
    x = np.asarray(solution.x)
    x_gb = x[np.nonzero(np.diff(np.asarray(solution.phase)) != 0)[0][0]]
    phi0 = float(solution.space_charge_potential[0, 1])
    width = np.sqrt(2 * EPS_R * EPS0 * phi0 / (E * N_A))
    right = x > x_gb
    depth = x[right] - x_gb
    phi = np.asarray(solution.phi)[right] - float(solution.bulk_potential[1])
    if not mobile:
        offset = KT_GB / 2
        corrected = np.sqrt(2 * EPS_R * EPS0 * (phi0 - offset) / (E * N_A))
        inside = phi > phi0 / 2  # vacancies depleted below e^{-2u} < 1e-4
        parabola = offset + (phi0 - offset) * (1 - depth[inside] / corrected) ** 2
        assert np.max(np.abs(phi[inside] - parabola)) < 1e-4 * phi0
    else:
        half = depth[np.argmax(phi < phi0 / 2)]
        assert half < 0.1 * width
        dopant = np.asarray(solution.concentration_of(DOPANT))[right]
        assert dopant[0] > 100 * N_A  # accumulated
    assert np.all(np.asarray(solution.concentration_of(VACANCY))[right] <= N_A / 2 * (1 + 1e-9))


def test_mott_schottky_resistivity_ratio(mott_schottky_boundary):
    """Perpendicular grain-boundary resistivity over the depletion width relative to the bulk,
    r = (1/w)∫_0^w c_b/c dx = ∫_0^1 exp(u0 s²) ds → e^{u0}/(2u0) for u0 = 2eφ0/kT ≫ 1."""
    mobile, sigma, solution = mott_schottky_boundary
    # over the Mott–Schottky width w = √(2εφ0/eN_A) on each side (the default window)
    resistance = pj.space_charge_resistance(ceria_boundary(sigma, mobile), solution)
    ratio = float(resistance.resistivity_ratio_across)
    phi0 = float(solution.space_charge_potential[0, 1])
    width = np.sqrt(2 * EPS_R * EPS0 * phi0 / (E * N_A))
    np.testing.assert_allclose(resistance.width, width, rtol=1e-12)
    u0 = 2 * phi0 / KT_GB
    s = np.linspace(0, 1, 200001)
    parabola = np.trapezoid(np.exp(u0 * s**2), s)
    asymptotic = np.exp(u0) / (2 * u0)
    assert u0 > 15
    assert ratio == pytest.approx(parabola, rel=0.05)
    assert parabola == pytest.approx(asymptotic, rel=1.5 / u0)
    assert ratio == pytest.approx(asymptotic, rel=0.05 + 1.5 / u0)


def segregating_boundary(energies, table=True):
    """Two grains whose boundary core binds oxygen vacancies: ΔG(x) on the core planes."""
    planes = 20e-9 + np.array([-0.6e-9, -0.3e-9, 0.0, 0.3e-9, 0.6e-9])
    if table:
        segregation = pj.Segregation(VACANCY, positions=planes, energies=energies)
    else:
        segregation = pj.Segregation(
            VACANCY,
            lambda x, e: jnp.interp(x, jnp.asarray(planes), e, left=0.0, right=0.0),
            params=energies,
        )
    phases = [grain("grain1", False), grain("grain2", False)]
    phases = [pj.Phase(p.name, eps_r=EPS_R, thickness=20e-9, carriers=p.carriers) for p in phases]
    return pj.Junction(
        phases,
        pj.ReferenceBulk("grain1", {VACANCY: N_A / 2}),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        temperature=TEMPERATURE,
        segregation=segregation,
    )


ENERGIES = jnp.array([0.0, -0.2, -0.4, -0.2, 0.0])


@pytest.fixture(scope="module")
def core_mesh():
    # Mesh.auto puts nodes on the tabulated planes and grades around the core
    return pj.Mesh.auto(segregating_boundary(ENERGIES), nodes_per_debye=10.0)


def test_mesh_resolves_the_core(core_mesh):
    """The auto mesh resolves the segregation core: refining it twice changes the core
    potential by less than 1e-3 of itself."""
    junction = segregating_boundary(ENERGIES)
    coarse = pj.solve_equilibrium(junction, mesh=core_mesh)
    fine = pj.solve_equilibrium(junction, mesh=core_mesh.refined(2))
    core = lambda s: float(s.interface_potential[0] - s.phi[0])  # noqa: E731
    assert core(coarse) == pytest.approx(core(fine), rel=1e-3)
    x = np.asarray(coarse.x)
    for plane in 20e-9 + np.array([-0.6e-9, -0.3e-9, 0.3e-9, 0.6e-9]):
        assert np.min(np.abs(x - plane)) < 1e-15  # the tabulated sites are nodes


def test_segregation_profile(core_mesh):
    """A core that binds vacancies charges positively by itself: at every node
    ln(c/N) + ΔG/kT + 2eφ/kT equals the bulk value; the table equals the same function."""
    solution = pj.solve_equilibrium(segregating_boundary(ENERGIES), mesh=core_mesh)
    assert bool(solution.converged)
    x = np.asarray(solution.x)
    planes = 20e-9 + np.array([-0.6e-9, -0.3e-9, 0.0, 0.3e-9, 0.6e-9])
    delta_g = np.interp(x, planes, np.asarray(ENERGIES), left=0.0, right=0.0)
    c = np.asarray(solution.concentration_of(VACANCY))
    level = np.log(c / 5e28) + delta_g / KT_GB + 2 * np.asarray(solution.phi) / KT_GB
    np.testing.assert_allclose(level, level[0], atol=1e-9)
    core = np.abs(x - 20e-9) < 0.1e-9
    assert np.all(c[core] > N_A / 2)  # accumulated in the core …
    assert float(solution.phi[core][0]) > float(solution.phi[0]) + 0.05  # … a positive core
    assert float(solution.total_charge) == pytest.approx(0.0, abs=1e-12)
    as_function = pj.solve_equilibrium(segregating_boundary(ENERGIES, table=False), mesh=core_mesh)
    np.testing.assert_allclose(as_function.phi, solution.phi, rtol=1e-12, atol=1e-15)


def test_segregation_energy_gradient(core_mesh):
    """d φ_core / d ΔG (one core plane) by implicit differentiation against differences."""

    def core_potential(depth):
        energies = ENERGIES.at[2].set(depth)
        solution = pj.solve_equilibrium(segregating_boundary(energies), mesh=core_mesh)
        return solution.interface_potential[0] - solution.phi[0]

    h = 1e-6
    fd = (float(core_potential(-0.4 + h)) - float(core_potential(-0.4 - h))) / (2 * h)
    assert float(jax.grad(core_potential)(-0.4)) == pytest.approx(fd, rel=1e-6)
    assert fd < 0  # deeper binding, more positive core


def test_kliewer_koehler_surface_potential():
    """A +1/−1 defect pair formed at a surface (the source fixing both electrochemical
    potentials) with formation energies g+ and g−: the neutral bulk sits at
    eφ∞ = (g− − g+)/2 relative to the surface."""
    g_plus, g_minus = 1.0, 1.4
    phase = pj.Phase(
        "crystal",
        eps_r=10.0,
        carriers={"Li_i^•": pj.Carrier(g_plus, 1e28), "V_Li'": pj.Carrier(g_minus, 1e28)},
    )
    junction = pj.Junction(
        [phase],
        pj.Reservoir({"Li_i^•": 0.0, "V_Li'": 0.0}),
        left=pj.Electrode(0.0),
        right=pj.Bulk(),
        temperature=TEMPERATURE,
    )
    solution = pj.solve_equilibrium(junction)
    assert float(solution.bulk_potential[0]) == pytest.approx((g_minus - g_plus) / 2, rel=1e-12)
    assert float(solution.phi[-1]) == pytest.approx((g_minus - g_plus) / 2, rel=1e-6)
    assert float(solution.phi[0]) == pytest.approx(0.0, abs=1e-15)
