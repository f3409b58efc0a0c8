"""Space-charge resistance of a ceria grain boundary (frozen Gd_Ce' acceptors, mobile V_O^••, a
positive core charge) against the exact first integral and the Mott–Schottky closed form; the
Scharfetter–Gummel DC resistance; Arrhenius fits; derivatives and bad input."""

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import EPS0, KB, E
from scipy.integrate import quad
from scipy.optimize import brentq

import pnpjax as pj
from pnpjax._analysis.resistance import _logarithmic_mean

TEMPERATURE = 500.0
N_A = 1e26  # Gd_Ce' (m^-3); the bulk holds N_A/2 vacancies
EPS_R = 30.0
DIFFUSIVITY = 1e-12  # V_O^•• at 500 K (m^2/s)
MIGRATION = 0.6  # eV, vacancy migration enthalpy of the temperature sweep
VACANCY, DOPANT = "V_O^••", "Gd_Ce'"


def grain(name, diffusivity=DIFFUSIVITY, thickness=None):
    return pj.Phase(
        name,
        eps_r=EPS_R,
        thickness=thickness,
        carriers={
            VACANCY: pj.Carrier(0.0, 5e28, diffusivity=diffusivity),
            DOPANT: pj.Carrier(density=N_A, mobile=False),
        },
    )


def ceria_boundary(sigma, temperature=TEMPERATURE, diffusivity=DIFFUSIVITY):
    return pj.Junction(
        [grain("grain1", diffusivity), grain("grain2", diffusivity)],
        pj.ReferenceBulk("grain1", {VACANCY: N_A / 2}),
        interfaces=[pj.Interface(sigma=sigma)],
        temperature=temperature,
    )


def pressure(u):
    """kT Σ c_i(e^{−z_i u} − 1) − (fixed charge) u per kT (m^-3): (ε/2)E² = kT·pressure."""
    return N_A / 2 * np.expm1(-2 * u) + N_A * u


def core_charge(phi0, temperature=TEMPERATURE):
    """σ (C/m²) of a symmetric boundary at space-charge potential φ0 (V), two sides."""
    u = phi0 * E / (KB * temperature)
    return np.sign(phi0) * 2 * np.sqrt(2 * EPS_R * EPS0 * KB * temperature * pressure(u))


def first_integral(phi0, power, temperature=TEMPERATURE, diffusivity=DIFFUSIVITY):
    """One side's ∫(σ^p − σ_b^p) dx = ∫ (σ(u)^p − σ_b^p)/|du/dx| du, with σ = σ_b e^{−2u} and
    (du/dx)² = 2e² pressure(u)/(ε k_BT) from the exact first integral."""
    kT = KB * temperature
    u0 = phi0 * E / kT
    bulk = 4 * E**2 * diffusivity * (N_A / 2) / kT

    def integrand(u):
        slope = np.sqrt(2 * E**2 * pressure(u) / (EPS_R * EPS0 * kT))
        return bulk**power * np.expm1(-2 * power * u) / slope

    value, _ = quad(integrand, min(0.0, u0), max(0.0, u0), limit=200, epsabs=0, epsrel=1e-12)
    return value


@functools.cache
def mesh():
    """One graded mesh (built for the largest potential) shared by the potentials below."""
    return pj.Mesh.auto(ceria_boundary(core_charge(0.4)), nodes_per_debye=5.0, growth=1.2)


@functools.cache
def boundary(phi0, refine=1, extrapolate=True):
    junction = ceria_boundary(core_charge(phi0))
    grid = mesh().refined(refine)
    return junction, pj.solve_equilibrium(junction, mesh=grid, extrapolate=extrapolate)


def test_conductivity_profile_is_nernst_einstein():
    junction, solution = boundary(0.35)
    sigma = np.asarray(pj.conductivity_profile(junction, solution))
    vacancies = np.asarray(solution.concentration_of(VACANCY))
    expected = 4 * E**2 * DIFFUSIVITY * vacancies / (KB * TEMPERATURE)
    np.testing.assert_allclose(sigma[solution.species.index(VACANCY)], expected, rtol=1e-13)
    assert np.all(sigma[solution.species.index(DOPANT)] == 0.0)  # frozen


def test_logarithmic_mean_across_its_series():
    """L(e^r, 1) = expm1(r)/r on both sides of the switch to the series, with finite
    derivatives at a = b."""
    r = np.concatenate([-np.logspace(-9, 1.5, 60), [0.0], np.logspace(-9, 1.5, 60)])
    exact = np.where(r == 0, 1.0, np.expm1(r) / np.where(r == 0, 1.0, r))
    mean = np.asarray(_logarithmic_mean(jnp.asarray(r), jnp.zeros_like(jnp.asarray(r))))
    np.testing.assert_allclose(mean, exact, rtol=5e-14)
    # ∂L/∂ln a at a = b is L/2
    assert float(jax.grad(_logarithmic_mean)(0.3, 0.3)) == pytest.approx(
        0.5 * np.exp(0.3), rel=1e-14, abs=0
    )


def test_quadrature_is_exact_for_exponential_profiles():
    """On a profile exponential in |x − x_gb| (vacancies 1/e per 2 nm away from the boundary)
    every integral, partial window cells included, has a closed form that the logarithmic-mean
    rule reproduces to rounding."""
    junction, solution = boundary(0.35)
    x = solution.x
    plane = float(x[np.argmax(np.diff(np.asarray(solution.phase)))])
    decay, window = 2e-9, 1.234e-9  # the window's edges fall inside cells
    vacancies = (N_A / 2) * jnp.exp(-jnp.abs(x - plane) / decay)
    row = solution.species.index(VACANCY)
    profile = eqx.tree_at(
        lambda s: s.concentration, solution, solution.concentration.at[row].set(vacancies)
    )
    result = pj.space_charge_resistance(junction, profile, width=window)
    bulk = 4 * E**2 * DIFFUSIVITY * (N_A / 2) / (KB * TEMPERATURE)
    t = window / decay
    lengths = np.array([plane - float(x[0]), float(x[-1]) - plane]) / decay
    expected = {
        "resistivity_ratio_across": np.expm1(t) / t,
        "resistivity_ratio_along": t / -np.expm1(-t),
        "excess_resistance": decay / bulk * np.sum(np.expm1(lengths) - lengths),
        "excess_conductance": decay * bulk * np.sum(-np.expm1(-lengths) - lengths),
        "conductance_along": decay * bulk * np.sum(-np.expm1(-lengths)),
    }
    for name, value in expected.items():
        assert float(getattr(result, name)) == pytest.approx(value, rel=1e-11, abs=0), name
    np.testing.assert_allclose(np.asarray(result.width), window, rtol=1e-12)


def test_excess_resistance_against_the_first_integral():
    """The grain-boundary resistance ∫(1/σ − 1/σ_b)dx against the quadrature of the exact first
    integral, and the excess conductance along it. The plain solution converges at second order
    (measured errors of R: −5.9e-2 on the coarse mesh, −1.5e-2 halved, almost all from the
    space-charge potential, δR/R ≈ 2eδφ/k_BT; of G: 9.6e-3, 2.5e-3). Richardson extrapolation
    brings R to 6.1e-5 (G, whose error lies in the quadrature of the layer's edge, to 4.1e-3)."""
    phi0 = 0.35
    reference = 2 * first_integral(phi0, -1)
    along = 2 * first_integral(phi0, 1)  # the depleted vacancies missing along the boundary
    errors = []
    for refine in (0, 1):
        junction, solution = boundary(phi0, refine, extrapolate=False)
        result = pj.space_charge_resistance(junction, solution)
        errors.append(
            [
                abs(float(result.excess_resistance) / reference - 1),
                abs(float(result.excess_conductance) / along - 1),
            ]
        )
    errors = np.array(errors)
    assert np.all((3.5 < errors[0] / errors[1]) & (errors[0] / errors[1] < 4.5))
    assert errors[1, 1] < 3e-3
    junction, solution = boundary(phi0)
    result = pj.space_charge_resistance(junction, solution)
    assert float(result.excess_resistance) == pytest.approx(reference, rel=2e-4, abs=0)
    # the region's bulk contributes ∫dx/σ_b, the rest is the excess
    length = float(solution.x[-1] - solution.x[0])
    bulk = 4 * E**2 * DIFFUSIVITY * (N_A / 2) / (KB * TEMPERATURE)
    np.testing.assert_allclose(np.asarray(result.bulk_conductivity), bulk, rtol=1e-10)
    assert float(result.resistance_across) == pytest.approx(
        float(result.excess_resistance) + length / bulk, rel=1e-12, abs=0
    )


def test_mott_schottky_resistivity_ratio():
    """ρ_⊥/ρ_b over the depletion widths against ∫_0^1 exp(a s²) ds, a = 2eφ_sc/k_BT (Guo–Maier).
    The depletion approximation neglects the vacancies' tail: measured errors 4.2e-2 (a = 13.9)
    and 3.0e-2 (a = 18.6), i.e. error·a ≈ 0.58, 0.56 → 1/2, the O(1/a) correction of the
    thermal offset (u − 1/2 in the first integral)."""
    errors = []
    for phi0 in (0.3, 0.4):
        junction, solution = boundary(phi0)
        result = pj.space_charge_resistance(junction, solution)
        phi_sc = float(solution.space_charge_potential[0, 1])
        a = 2 * phi_sc * E / (KB * TEMPERATURE)
        s = np.linspace(0.0, 1.0, 200001)
        parabola = np.trapezoid(np.exp(a * s**2), s)
        asymptote = np.exp(a) / (2 * a)
        width = np.sqrt(2 * EPS_R * EPS0 * phi_sc / (E * N_A))
        np.testing.assert_allclose(np.asarray(result.width), width, rtol=1e-12)
        error = float(result.resistivity_ratio_across) / parabola - 1
        assert 0.4 < error * a < 0.7
        assert parabola / asymptote - 1 == pytest.approx(1 / (2 * a), rel=4 / a, abs=0)
        errors.append(error)
        assert float(result.resistivity_ratio_along) > 1  # depleted: σ below σ_b
        assert float(result.excess_conductance) < 0
    assert errors[1] < errors[0]


def test_accumulation_layer():
    """A negative core charge accumulates vacancies: excess conductance along the boundary and a
    negative excess resistance, against the first integral. Here the logarithmic-mean rule's own
    O(h²) error dominates (the Gouy–Chapman profile is not exponential across the coarse cells),
    so extrapolating the solution does not help; measured errors of R and G: 5.1e-3, 3.2e-3 on
    the auto mesh, 1.3e-3, 8.2e-4 halved, 3.2e-4, 2.0e-4 halved twice."""
    phi0 = -0.1
    junction = ceria_boundary(core_charge(phi0))
    grid = pj.Mesh.auto(junction, nodes_per_debye=5.0, growth=1.2).refined(2)
    solution = pj.solve_equilibrium(junction, mesh=grid)
    result = pj.space_charge_resistance(junction, solution, width=1e-9)
    assert float(result.excess_conductance) > 0
    assert float(result.resistivity_ratio_along) < 1
    assert float(result.excess_resistance) < 0
    assert float(result.resistivity_ratio_across) < 1
    assert float(result.excess_conductance) == pytest.approx(
        2 * first_integral(phi0, 1), rel=1e-3, abs=0
    )
    assert float(result.excess_resistance) == pytest.approx(
        2 * first_integral(phi0, -1), rel=1e-3, abs=0
    )


def test_electrode_faces():
    """A grain between two blocking electrodes at +φ0: each face (`at="left"`, `"right"`) holds
    one side of the grain boundary's layer, the phase split at its middle so neither layer is
    counted twice. The logarithmic-mean rule's O(h²) error dominates on the coarse auto mesh of
    one phase: measured 1.9e-3, 4.7e-4 and 1.2e-4 relative on it and its two halvings (an
    electrode against a semi-infinite grain)."""
    phi0 = 0.35
    junction = pj.Junction(
        [grain("grain", thickness=60e-9)],
        pj.ReferenceBulk("grain", {VACANCY: N_A / 2}),
        left=pj.Electrode(phi0),
        right=pj.Electrode(phi0),
        temperature=TEMPERATURE,
    )
    grid = pj.Mesh.auto(junction, nodes_per_debye=5.0, growth=1.2).refined(2)
    solution = pj.solve_equilibrium(junction, mesh=grid)
    width = np.sqrt(2 * EPS_R * EPS0 * phi0 / (E * N_A))
    reference = first_integral(phi0, -1)
    for at, expected_width in (("left", [0.0, width]), ("right", [width, 0.0])):
        face = pj.space_charge_resistance(junction, solution, at=at)
        assert float(face.excess_resistance) == pytest.approx(reference, rel=3e-4, abs=0)
        np.testing.assert_allclose(np.asarray(face.width), expected_width, rtol=1e-9)
        bulk = 4 * E**2 * DIFFUSIVITY * (N_A / 2) / (KB * TEMPERATURE)
        assert float(face.resistance_across) == pytest.approx(
            reference + 30e-9 / bulk, rel=3e-4, abs=0
        )


BIAS = 1e-5  # V


@functools.cache
def ohmic_device():
    """The boundary between two 30 nm grains with ohmic contacts, at equilibrium and in steady
    states at ±`BIAS` and 0 V on the right contact (one vmapped solve)."""
    phases = [grain(name, thickness=30e-9) for name in ("grain1", "grain2")]
    junction = pj.Junction(
        phases,
        pj.ReferenceBulk("grain1", {VACANCY: N_A / 2}),
        interfaces=[pj.Interface(sigma=core_charge(0.35))],
        left=pj.Ohmic(),
        right=pj.Ohmic(),
        temperature=TEMPERATURE,
    )
    grid = pj.Mesh.auto(junction, nodes_per_debye=5.0, growth=1.2)
    # the default transport Newton, in one bias stage
    solver = pj.Newton(max_steps=100, atol=1e-9, rtol=0.0, residual_tol=None, continuation_steps=1)
    states = jax.vmap(
        lambda v: pj.solve_steady_state(junction, voltage=v, mesh=grid, solver=solver)
    )(jnp.array([BIAS, -BIAS, 0.0]))
    return junction, pj.solve_equilibrium(junction, mesh=grid), states


def test_scharfetter_gummel_dc_resistance():
    """Between ohmic contacts the steady-state DC resistance V/I of the discretised device equals
    ∫dx/σ with the logarithmic-mean quadrature (one carrier). Central differences at ±10 µV
    leave O(V²) and the Newton tolerance: measured 4.7e-8 (8e-7 at ±100 µV)."""
    junction, solution, states = ohmic_device()
    result = pj.space_charge_resistance(junction, solution)
    # a positive bias on the right contact drives current towards −x
    dc = -2 * BIAS / float(states.current[0, 0] - states.current[1, 0])
    assert dc == pytest.approx(float(result.resistance_across), rel=1e-6, abs=0)
    # the transport solution at zero bias: bulk from the contacts, same numbers
    rest = jax.tree_util.tree_map(lambda leaf: leaf[2], states)
    transport = pj.space_charge_resistance(junction, rest, width=result.width)
    for name in (
        "resistance_across",
        "excess_resistance",
        "excess_conductance",
        "resistivity_ratio_across",
    ):
        assert float(getattr(transport, name)) == pytest.approx(
            float(getattr(result, name)), rel=1e-8, abs=0
        )


def test_activation_energy_exact_data():
    temperatures = jnp.array([450.0, 520.0, 600.0, 710.0, 800.0])
    energy, prefactor = 0.83, 3.7e-2
    kT = KB * temperatures / E
    for with_t in (True, False):
        values = prefactor * temperatures**with_t * jnp.exp(energy / kT)
        fit = pj.activation_energy(temperatures, values, temperature_prefactor=with_t)
        assert float(fit.energy) == pytest.approx(energy, rel=1e-10, abs=0)
        assert float(fit.prefactor) == pytest.approx(prefactor, rel=1e-10, abs=0)
        assert float(fit.residual) < 1e-12
    # fitting R instead of R/T lowers the apparent energy by about k_B T̄ (d ln T/d(1/k_BT) = −k_BT)
    plain = pj.activation_energy(temperatures, values * temperatures, temperature_prefactor=False)
    shift = float(plain.energy) - energy
    assert -1.5 * float(jnp.mean(kT)) < shift < -0.5 * float(jnp.mean(kT))


def test_temperature_sweep_activation_energy():
    """A fixed core charge over 500–700 K, batched with vmap (traced temperature). The apparent
    activation energy of the excess resistance agrees with the fit of the first integral's
    (measured 3e-5 eV; E_a ≈ 1.20 eV = migration 0.6 eV plus the barrier's growth)."""
    sigma = core_charge(0.35)
    prefactor = DIFFUSIVITY * np.exp(MIGRATION * E / (KB * TEMPERATURE))
    temperatures = jnp.array([500.0, 570.0, 640.0, 700.0])

    def junction_at(temperature):
        diffusivity = prefactor * jnp.exp(-MIGRATION * E / (KB * temperature))
        return ceria_boundary(sigma, temperature, diffusivity)

    batch = jax.vmap(junction_at)(temperatures)
    grid = pj.Mesh.auto(batch, nodes_per_debye=5.0, growth=1.2)
    solutions = jax.vmap(lambda j: pj.solve_equilibrium(j, mesh=grid, extrapolate=True))(batch)
    results = jax.vmap(pj.space_charge_resistance)(batch, solutions)
    reference = []
    for t in np.asarray(temperatures):
        phi0 = brentq(lambda p: core_charge(p, t) - sigma, 0.01, 1.0, xtol=1e-15)  # noqa: B023
        diffusivity = prefactor * np.exp(-MIGRATION * E / (KB * t))
        reference.append(2 * first_integral(phi0, -1, t, diffusivity))
    reference = np.array(reference)
    np.testing.assert_allclose(np.asarray(results.excess_resistance), reference, rtol=1e-3)
    fitted = pj.activation_energy(temperatures, results.excess_resistance)
    expected = pj.activation_energy(temperatures, jnp.asarray(reference))
    # measured 3.4e-5 eV
    assert float(fitted.energy) == pytest.approx(float(expected.energy), abs=1e-4)
    assert float(fitted.energy) > MIGRATION + 0.3


def test_gradients():
    """d(excess resistance)/dσ_core through the implicit solve against central differences, and
    d/dD = −R/D (the profile does not depend on D)."""
    grid = mesh()

    @eqx.filter_jit
    def excess(sigma, diffusivity):
        junction = ceria_boundary(sigma, diffusivity=diffusivity)
        solution = pj.solve_equilibrium(junction, mesh=grid)
        return pj.space_charge_resistance(junction, solution).excess_resistance

    sigma = core_charge(0.35)
    d_sigma, d_diffusivity = jax.grad(excess, argnums=(0, 1))(sigma, DIFFUSIVITY)
    h = 1e-6 * sigma
    fd = (float(excess(sigma + h, DIFFUSIVITY)) - float(excess(sigma - h, DIFFUSIVITY))) / (2 * h)
    assert float(d_sigma) == pytest.approx(fd, rel=1e-6, abs=0)
    value = float(excess(sigma, DIFFUSIVITY))
    assert float(d_diffusivity) == pytest.approx(-value / DIFFUSIVITY, rel=1e-10, abs=0)


def _renamed_junction():
    phases = [grain("a"), grain("b")]
    return pj.Junction(
        phases,
        pj.ReferenceBulk("a", {VACANCY: N_A / 2}),
        interfaces=[pj.Interface(sigma=core_charge(0.35))],
        temperature=TEMPERATURE,
    )


def _extra_species_junction():
    electrons = pj.Phase(
        "grain1",
        eps_r=EPS_R,
        carriers={**grain("grain1").carriers, "e'": pj.Carrier(2.0, 1e25, diffusivity=1e-8)},
    )
    return pj.Junction(
        [electrons, grain("grain2")],
        pj.ReferenceBulk("grain1", {VACANCY: N_A / 2, "e'": 1e18}),
        interfaces=[pj.Interface(sigma=core_charge(0.35))],
        temperature=TEMPERATURE,
    )


def _with_zero(where):
    """The boundary with the leaves `where` selects set to 0 (past the constructor's checks)."""
    junction = ceria_boundary(core_charge(0.35))
    return eqx.tree_at(where, junction, replace_fn=lambda _: jnp.zeros(()))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda j, s: pj.space_charge_resistance(j, s, at=1), "at=1"),
        (lambda j, s: pj.space_charge_resistance(j, s, at="middle"), "at='middle'"),
        (lambda j, s: pj.space_charge_resistance(j, s, width=-1e-9), "must be >= 0"),
        (lambda j, s: pj.space_charge_resistance(j, s, width=[1e-9] * 3), "got shape"),
        (lambda j, s: pj.space_charge_resistance(j, s, width="debye"), "not understood"),
        (
            lambda j, s: pj.space_charge_resistance(
                _with_zero(lambda j: [p.carriers[VACANCY].diffusivity for p in j.phases]), s
            ),
            "no mobile charged carrier of the junction",
        ),
        (
            lambda j, s: pj.space_charge_resistance(
                _with_zero(lambda j: j.phases[1].carriers[VACANCY].diffusivity), s
            ),
            "grain2",
        ),
        (
            lambda j, s: pj.space_charge_resistance(
                _with_zero(lambda j: j.phases[1].carriers[DOPANT].density), s
            ),
            "width=",
        ),
        (lambda j, s: pj.conductivity_profile(_extra_species_junction(), s), "species"),
        (lambda j, s: pj.conductivity_profile(_renamed_junction(), s), "phases"),
    ],
    ids=[
        "interface index",
        "face name",
        "negative width",
        "three widths",
        "width name",
        "no diffusivity",
        "phase without diffusivity",
        "no fixed charge",
        "species",
        "phase names",
    ],
)
def test_bad_input(call, match):
    junction, solution = boundary(0.35)
    with pytest.raises(ValueError, match=match):
        call(junction, solution)


def test_wrong_types():
    junction, solution = boundary(0.35)
    with pytest.raises(TypeError, match="Junction"):
        pj.space_charge_resistance(solution, solution)
    with pytest.raises(TypeError, match="EquilibriumSolution or TransportSolution"):
        pj.conductivity_profile(junction, junction)


def test_bad_transport_input():
    """A transport solution needs an explicit window and a valid time index."""
    junction, _, states = ohmic_device()
    rest = jax.tree_util.tree_map(lambda leaf: leaf[2], states)
    with pytest.raises(ValueError, match="width= in m"):
        pj.space_charge_resistance(junction, rest)
    with pytest.raises(ValueError, match="time=3"):
        pj.conductivity_profile(junction, rest, time=3)
    with pytest.raises(ValueError, match="inside jax.vmap"):
        pj.space_charge_resistance(junction, states, width=1e-9)


@pytest.mark.parametrize(
    "temperatures, values, match",
    [
        ([500.0, 600.0], [1.0], "same length"),
        ([500.0, -600.0], [1.0, 2.0], "> 0"),
        ([500.0, 500.0], [1.0, 2.0], "two distinct"),
        ([500.0, 600.0], [1.0, 0.0], "values"),
    ],
)
def test_bad_arrhenius_input(temperatures, values, match):
    with pytest.raises(ValueError, match=match):
        pj.activation_energy(temperatures, values)
