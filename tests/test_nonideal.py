"""Activity models in the equilibrium solver: VALIDATION.md items 7 and 8, lattice gas,
regular solution, user-defined activities and interfacial partitioning by activity."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import EPS0, KB, KT, E, T, debye

import pnpjax as pj

C0 = 1e26
EPS_R = 10.0
LAM = debye(EPS_R, 2 * C0)
PLUS, MINUS = "A^•", "B'"


def bikerman_cell(potential, nu, c0=C0):
    """An electrode against a Bikerman 1:1 electrolyte with packing ν = 2a³c0."""
    return sized_ion_cell(potential, (nu / (2 * c0)) ** (1 / 3), c0)


def sized_ion_cell(potential, size, c0=C0):
    """An electrode against a 1:1 electrolyte of ions of size `size` (m)."""
    phase = pj.Phase(
        "el",
        eps_r=EPS_R,
        carriers={PLUS: pj.Carrier(0.0, 1e28), MINUS: pj.Carrier(0.0, 1e28)},
        activity=(pj.Bikerman((PLUS, MINUS), size),),
    )
    return pj.Junction(
        [phase],
        pj.ReferenceBulk("el", {PLUS: c0, MINUS: c0}),
        left=pj.Electrode(potential),
        right=pj.Bulk(),
        temperature=T,
    )


def bikerman_sigma(u0, nu):
    return (
        2 * E * C0 * LAM * np.sign(u0) * np.sqrt(2 / nu * np.log1p(2 * nu * np.sinh(u0 / 2) ** 2))
    )


def bikerman_capacitance(u0, nu):
    load = 1 + 2 * nu * np.sinh(u0 / 2) ** 2
    return EPS_R * EPS0 / LAM * np.sinh(abs(u0)) / (load * np.sqrt(2 / nu * np.log(load)))


@pytest.fixture(scope="module")
def bikerman_mesh():
    return pj.Mesh.auto(bikerman_cell(0.3, 0.1), nodes_per_debye=20.0)


def _charge(potential, nu, mesh):
    return pj.solve_equilibrium(
        bikerman_cell(potential, nu), mesh=mesh, extrapolate=True
    ).boundary_charge[0]


@pytest.mark.parametrize("nu", [0.1, 0.5])
@pytest.mark.parametrize("potential", [0.05, 0.3])
def test_bikerman_charge_and_capacitance(potential, nu, bikerman_mesh):
    """Item 7: σ(u0) and C(u0) = dσ/dφ0 (autodiff through the solve) against the closed forms."""
    u0 = potential / KT
    sigma = _charge(potential, nu, bikerman_mesh)
    capacitance = jax.grad(_charge)(potential, nu, bikerman_mesh)
    assert float(sigma) == pytest.approx(bikerman_sigma(u0, nu), rel=2e-5)
    assert float(capacitance) == pytest.approx(bikerman_capacitance(u0, nu), rel=2e-5)


def test_bikerman_concentration_profile(bikerman_mesh):
    """Item 7: c± = c0 e^{∓u}/(1 + 2ν sinh²(u/2)) at every node, and c < 1/a³."""
    nu = 0.5
    solution = pj.solve_equilibrium(bikerman_cell(0.3, nu), mesh=bikerman_mesh)
    u = np.asarray(solution.phi) / KT
    load = 1 + 2 * nu * np.sinh(u / 2) ** 2
    np.testing.assert_allclose(solution.concentration_of(PLUS), C0 * np.exp(-u) / load, rtol=1e-10)
    np.testing.assert_allclose(solution.concentration_of(MINUS), C0 * np.exp(u) / load, rtol=1e-10)
    assert float(np.max(solution.concentration_of(MINUS))) < 2 * C0 / nu


def test_bikerman_camel_to_bell_crossover(bikerman_mesh):
    """Item 7: C(u0) has a minimum at u0 = 0 (camel) for ν < 1/3 and a maximum (bell) above."""
    for nu, camel in ((0.28, True), (0.38, False)):
        c_zero = jax.grad(_charge)(0.0, nu, bikerman_mesh)
        c_small = jax.grad(_charge)(2 * KT, nu, bikerman_mesh)
        assert float(c_zero) == pytest.approx(EPS_R * EPS0 / LAM, rel=2e-5)
        assert float(c_small) == pytest.approx(bikerman_capacitance(2.0, nu), rel=2e-5)
        assert (float(c_small) > float(c_zero)) == camel


def test_bikerman_ideal_limit(bikerman_mesh):
    """ν → 0 recovers Gouy–Chapman (Grahame) and the ideal solution."""
    potential = 0.2
    u0 = potential / KT
    ideal_phase = pj.Phase(
        "el", eps_r=EPS_R, carriers={PLUS: pj.Carrier(0.0, 1e28), MINUS: pj.Carrier(0.0, 1e28)}
    )
    ideal = pj.Junction(
        [ideal_phase],
        pj.ReferenceBulk("el", {PLUS: C0, MINUS: C0}),
        left=pj.Electrode(potential),
        right=pj.Bulk(),
        temperature=T,
    )
    nearly = pj.solve_equilibrium(bikerman_cell(potential, 1e-12), mesh=bikerman_mesh)
    reference = pj.solve_equilibrium(ideal, mesh=bikerman_mesh)
    np.testing.assert_allclose(nearly.phi, reference.phi, rtol=1e-7, atol=1e-12)
    assert float(nearly.boundary_charge[0]) == pytest.approx(
        float(reference.boundary_charge[0]), rel=1e-7
    )
    grahame = np.sqrt(8 * EPS_R * EPS0 * KB * T * C0) * np.sinh(u0 / 2)
    assert bikerman_sigma(u0, 1e-12) == pytest.approx(grahame, rel=1e-8)


def lattice_gas_cell(potential, sites=2e26, reference=1e26):
    """Mobile cations on `sites` (LatticeSaturation) against a frozen anion background."""
    phase = pj.Phase(
        "solid",
        eps_r=EPS_R,
        carriers={PLUS: pj.Carrier(0.1, sites), MINUS: pj.Carrier(density=reference, mobile=False)},
        activity=pj.LatticeSaturation(PLUS),
    )
    return pj.Junction(
        [phase],
        pj.ReferenceBulk("solid", {PLUS: reference}),
        left=pj.Electrode(potential),
        right=pj.Bulk(),
        temperature=T,
    )


@pytest.mark.parametrize("potential", [-0.5, 0.5])
def test_single_species_lattice_gas(potential):
    """Item 7: c = N/(1 + exp((μ° + zeφ − μ̃)/kT)); accumulation saturates at N and the
    first integral gives σ² = 2εkT (c_bg u0 − N ln((1 + e^{ξ_b}) / (1 + e^{ξ_b − u0})))."""
    sites, reference = 2e26, 1e26
    junction = lattice_gas_cell(potential, sites, reference)
    mesh = pj.Mesh.auto(junction, nodes_per_debye=20.0)
    solution = pj.solve_equilibrium(junction, mesh=mesh, extrapolate=True)
    mu = float(solution.electrochemical_potential(PLUS))
    phi = np.asarray(solution.phi)
    exact = sites / (1 + np.exp((0.1 + phi - mu) / KT))
    np.testing.assert_allclose(solution.concentration_of(PLUS), exact, rtol=1e-10)
    assert float(np.max(solution.concentration_of(PLUS))) < sites
    xi_b = np.log(reference / (sites - reference))
    u0 = potential / KT
    eps = EPS_R * EPS0
    pressure = reference * u0 - sites * np.log((1 + np.exp(xi_b)) / (1 + np.exp(xi_b - u0)))
    sigma = np.sign(u0) * np.sqrt(2 * eps * KB * T * pressure)
    assert float(solution.boundary_charge[0]) == pytest.approx(sigma, rel=1e-5)


def regular_solution_cell(potential, omega, model=None):
    phase = pj.Phase(
        "solid",
        eps_r=EPS_R,
        carriers={PLUS: pj.Carrier(0.0, 1e26), MINUS: pj.Carrier(0.0, 1e28)},
        activity=(model if model is not None else pj.RegularSolution(PLUS, omega),),
    )
    return pj.Junction(
        [phase],
        pj.ReferenceBulk("solid", {PLUS: 3e25, MINUS: 3e25}),
        left=pj.Electrode(potential),
        right=pj.Bulk(),
        temperature=T,
    )


@pytest.mark.parametrize("omega", [-0.05, 0.03])
def test_screening_with_thermodynamic_factor(omega):
    """Item 8: κ² = e²/(εkT) Σ z²c/f_T with f_T = 1/(1−θ) − 2Ωθ/kT for the regular solution;
    the Debye length reported and the small-signal capacitance ε κ both follow it."""
    theta = 3e25 / 1e26
    f_t = 1 / (1 - theta) - 2 * omega * theta / KT
    kappa2 = E**2 / (EPS_R * EPS0 * KB * T) * (3e25 / f_t + 3e25)
    junction = regular_solution_cell(0.0, omega)
    mesh = pj.Mesh.auto(junction, nodes_per_debye=20.0)
    solution = pj.solve_equilibrium(junction, mesh=mesh)
    assert float(solution.debye_length[0]) == pytest.approx(kappa2**-0.5, rel=1e-10)
    charge = lambda v: pj.solve_equilibrium(  # noqa: E731
        regular_solution_cell(v, omega), mesh=mesh, extrapolate=True
    ).boundary_charge[0]
    assert float(jax.grad(charge)(0.0)) == pytest.approx(EPS_R * EPS0 * kappa2**0.5, rel=1e-5)
    model = pj.RegularSolution(PLUS, omega)
    f_auto = model.thermodynamic_factor(jnp.array([3e25]), jnp.log(jnp.array([1e26])), KT)
    assert float(f_auto[0]) == pytest.approx(f_t, rel=1e-12)


def _regular_log_gamma(c, params):
    theta = c / params["sites"]
    return -jnp.log1p(-theta) + params["omega"] / KT * (1 - 2 * theta)


def test_custom_activity_equals_builtin_and_gradients():
    """A user log_gamma(c, params) reproduces the built-in regular solution; its parameter
    gradient matches central finite differences."""
    omega = 0.03
    mesh = pj.Mesh.auto(regular_solution_cell(0.2, omega), nodes_per_debye=10.0)

    def solve(params, model_type="custom"):
        model = (
            pj.CustomActivity(PLUS, _regular_log_gamma, params)
            if model_type == "custom"
            else pj.RegularSolution(PLUS, params["omega"])
        )
        return pj.solve_equilibrium(regular_solution_cell(0.2, omega, model), mesh=mesh)

    params = {"omega": jnp.asarray(omega), "sites": jnp.asarray(1e26)}
    custom, builtin = solve(params), solve(params, "builtin")
    np.testing.assert_allclose(custom.phi, builtin.phi, rtol=1e-10, atol=1e-14)
    charge = lambda w: solve({"omega": w, "sites": params["sites"]}).boundary_charge[0]  # noqa: E731
    grad = float(jax.grad(charge)(omega))
    h = 1e-5
    fd = (float(charge(omega + h)) - float(charge(omega - h))) / (2 * h)
    assert grad == pytest.approx(fd, rel=1e-6)
    charge_builtin = lambda w: solve({"omega": w}, "builtin").boundary_charge[0]  # noqa: E731
    assert float(jax.grad(charge_builtin)(omega)) == pytest.approx(grad, rel=1e-8)


def test_activity_parameter_gradients(bikerman_mesh):
    """d σ / d(ion size) and d σ / d(sites) by implicit differentiation against differences."""

    def sigma_of_size(size):
        return pj.solve_equilibrium(sized_ion_cell(0.3, size), mesh=bikerman_mesh).boundary_charge[
            0
        ]

    size = 5e-10
    h = 1e-15
    fd = (float(sigma_of_size(size + h)) - float(sigma_of_size(size - h))) / (2 * h)
    assert float(jax.grad(sigma_of_size)(size)) == pytest.approx(fd, rel=1e-6)

    def sigma_of_sites(sites):
        return pj.solve_equilibrium(lattice_gas_cell(0.5, sites), mesh=mesh).boundary_charge[0]

    mesh = pj.Mesh.auto(lattice_gas_cell(0.5), nodes_per_debye=10.0)
    h = 1e20
    fd = (float(sigma_of_sites(2e26 + h)) - float(sigma_of_sites(2e26 - h))) / (2 * h)
    assert float(jax.grad(sigma_of_sites)(2e26)) == pytest.approx(fd, rel=1e-6)


def test_vmap_over_activity_parameters(bikerman_mesh):
    """vmap over ion sizes equals a loop; jit equals no jit."""
    sizes = jnp.array([3e-10, 5e-10, 7e-10])

    def charge(size):
        return pj.solve_equilibrium(sized_ion_cell(0.3, size), mesh=bikerman_mesh).boundary_charge[
            0
        ]

    batched = jax.vmap(charge)(sizes)
    looped = np.array([float(charge(s)) for s in sizes])
    np.testing.assert_allclose(batched, looped, rtol=1e-12)
    assert float(jax.jit(charge)(sizes[1])) == pytest.approx(looped[1], rel=1e-12)
    assert looped[0] > looped[1] > looped[2]  # bigger ions crowd sooner: less charge


def test_partitioning_follows_activities():
    """Across a transparent interface the activity (not the concentration) of a shared species
    is continuous: ln(c/N) + ln γ − μ̃-terms match on both sides of the interface node."""
    left = pj.Phase(
        "saturating",
        eps_r=EPS_R,
        thickness=20e-9,
        carriers={PLUS: pj.Carrier(0.0, 1e26), MINUS: pj.Carrier(density=5e25, mobile=False)},
        activity=pj.LatticeSaturation(PLUS),
    )
    right = pj.Phase(
        "ideal",
        eps_r=EPS_R,
        thickness=20e-9,
        carriers={PLUS: pj.Carrier(0.0, 1e26), MINUS: pj.Carrier(density=5e25, mobile=False)},
    )
    junction = pj.Junction(
        [left, right],
        pj.ReferenceBulk("saturating", {PLUS: 5e25}),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        temperature=T,
    )
    solution = pj.solve_equilibrium(junction)
    at_interface = np.nonzero(np.diff(np.asarray(solution.phase)) != 0)[0][0]
    c_left, c_right = np.asarray(solution.concentration_of(PLUS))[at_interface : at_interface + 2]
    assert c_left != pytest.approx(c_right, rel=0.1)  # concentrations jump …
    log_a_left = np.log(c_left / (1e26 - c_left))
    log_a_right = np.log(c_right / 1e26)
    assert log_a_left == pytest.approx(log_a_right, abs=1e-10)  # … activities do not


def test_closed_film_with_saturation_conserves_amount():
    """A closed film between two electrodes (regular solution): the amount is conserved to
    1e-12 while the cations pile up at the grounded side just below the site density."""
    sites, amount = 1e27, 5e26 * 20e-9
    film = pj.Phase(
        "film",
        eps_r=EPS_R,
        thickness=20e-9,
        carriers={PLUS: pj.Carrier(0.0, sites), MINUS: pj.Carrier(density=5e26, mobile=False)},
        activity=pj.RegularSolution(PLUS, 0.03),
    )
    junction = pj.Junction(
        [film],
        pj.Closed({PLUS: amount}),
        left=pj.Electrode(0.0),
        right=pj.Electrode(0.5),
        temperature=T,
    )
    solution = pj.solve_equilibrium(junction)
    assert float(solution.amounts[0]) == pytest.approx(amount, rel=1e-12)
    c = np.asarray(solution.concentration_of(PLUS))
    assert 0.99 * sites < c.max() < sites
    assert float(solution.total_charge) == pytest.approx(0.0, abs=1e-12)


def _shared_sites_log_gamma(c, sites):
    return -jnp.log1p(-jnp.sum(c) / sites) * jnp.ones_like(c)


def test_custom_saturating_model_in_accumulation():
    """A user-written site-exclusion model, driven into accumulation (where the Newton start
    of the inner solve must stay below saturation), equals the built-in closed form."""

    def charge(model):
        phase = pj.Phase(
            "el",
            eps_r=EPS_R,
            carriers={PLUS: pj.Carrier(0.0, 1e27), MINUS: pj.Carrier(0.0, 1e27)},
            activity=model,
        )
        junction = pj.Junction(
            [phase],
            pj.ReferenceBulk("el", {PLUS: C0, MINUS: C0}),
            left=pj.Electrode(0.3),
            right=pj.Bulk(),
            temperature=T,
        )
        return pj.solve_equilibrium(junction, mesh=mesh)

    builtin = pj.LatticeSaturation((PLUS, MINUS), sites=2e27)
    mesh = pj.Mesh.auto(
        pj.Junction(
            [
                pj.Phase(
                    "el",
                    eps_r=EPS_R,
                    carriers={PLUS: pj.Carrier(0.0, 1e27), MINUS: pj.Carrier(0.0, 1e27)},
                    activity=builtin,
                )
            ],
            pj.ReferenceBulk("el", {PLUS: C0, MINUS: C0}),
            left=pj.Electrode(0.3),
            right=pj.Bulk(),
            temperature=T,
        ),
        nodes_per_debye=10.0,
    )
    custom = charge(pj.CustomActivity((PLUS, MINUS), _shared_sites_log_gamma, 2e27))
    reference = charge(builtin)
    assert bool(custom.converged)
    assert float(np.max(reference.concentration_of(MINUS))) > 0.9 * 2e27  # saturated
    np.testing.assert_allclose(custom.phi, reference.phi, rtol=1e-9, atol=1e-12)


def test_inner_solve_failure_is_reported():
    """A user model that cannot be solved (no root: ln a bounded) makes the solve report a
    non-finite result instead of returning wrong concentrations."""
    phase = pj.Phase(
        "el",
        eps_r=EPS_R,
        carriers={PLUS: pj.Carrier(0.0, 1e28), MINUS: pj.Carrier(0.0, 1e28)},
        # ln a = ln(c/N) − ln(c/N) + tanh: bounded, so large ξ has no solution
        activity=pj.CustomActivity(PLUS, lambda c, n: -jnp.log(c / n) + jnp.tanh(c / n), 1e28),
    )
    junction = pj.Junction(
        [phase],
        pj.Reservoir({PLUS: 0.5, MINUS: 0.0}),
        left=pj.Electrode(0.0),
        right=pj.Bulk(),
        temperature=T,
    )
    mesh = pj.Mesh.from_nodes(junction, np.linspace(0.0, 50e-9, 21))
    solution = pj.solve_equilibrium(junction, mesh=mesh, throw=False)
    assert solution.result != pj.RESULTS.successful
    with pytest.raises(Exception, match="non-finite|did not converge|failed"):
        pj.solve_equilibrium(junction, mesh=mesh)


@pytest.mark.parametrize("omega", [0.03, 0.045])
def test_attractive_regular_solution_profile(omega):
    """Attractive interactions (0 < Ω < 2kT) at 0.3 V: every node satisfies the Frumkin
    isotherm ln(θ/(1−θ)) + Ω(1−2θ)/kT = (μ̃ − μ° − eφ)/kT to rounding."""
    junction = regular_solution_cell(0.3, omega)
    solution = pj.solve_equilibrium(junction, mesh=pj.Mesh.auto(junction))
    assert bool(solution.converged)
    theta = np.asarray(solution.concentration_of(PLUS)) / 1e26
    xi = (float(solution.electrochemical_potential(PLUS)) - np.asarray(solution.phi)) / KT
    isotherm = np.log(theta / (1 - theta)) + omega / KT * (1 - 2 * theta)
    np.testing.assert_allclose(isotherm, xi, atol=1e-9)
