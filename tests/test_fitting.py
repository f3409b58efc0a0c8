"""Inverse problems on equilibrium profiles: recovery, uncertainty, identifiability, gradients.

Synthetic data come from the model itself (the truth), blurred by the probe and, where said,
multiplied by log-normal noise; fits start away from the truth.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import T

import pnpjax as pj
from pnpjax._fit.blur import gaussian_blur

TRUTH = dict(step=0.25, eps_a=12.0, eps_b=8.0, omega=0.02)
INTERFACE = 40e-9


def li_junction(step, eps_a, eps_b, omega, interacting=True):
    """Li⁺ interstitials and vacancies in two 40 nm phases (Debye lengths 2.9 and 1.2 nm);
    Li_i prefers B by `step` (eV) and accumulates there to a site fraction of 0.39, where its
    regular-solution interaction Ω (eV) matters. `interacting=False` drops the interaction
    model (ideal carriers): its per-node inner solve triples a fit's compile time, so the
    tests that do not fit Ω use the ideal junction."""
    a = pj.Phase(
        "A",
        eps_r=eps_a,
        thickness=INTERFACE,
        carriers={"Li_i^•": pj.Carrier(0.0, 1e27), "V_Li'": pj.Carrier(0.0, 1e27)},
    )
    b = pj.Phase(
        "B",
        eps_r=eps_b,
        thickness=INTERFACE,
        carriers={"Li_i^•": pj.Carrier(-step, 1e26), "V_Li'": pj.Carrier(0.1, 1e27)},
        activity=(pj.RegularSolution("Li_i^•", omega),) if interacting else (),
    )
    return pj.Junction(
        [a, b],
        pj.ReferenceBulk("A", {"Li_i^•": 1e24, "V_Li'": 1e24}),
        interfaces=[pj.Interface()],
        left=pj.Bulk(),
        right=pj.Bulk(),
        temperature=T,
    )


def step_of(j):
    return j.phases[1].carriers["Li_i^•"].mu0


def mu0_a(j):
    return j.phases[0].carriers["Li_i^•"].mu0


STEP = pj.Parameter("mu0_B", step_of, initial=-0.15, lower=-1.0, upper=1.0)
EPS_A = pj.Parameter("eps_A", lambda j: j.phases[0].eps_r, initial=9.0, lower=1.0)
EPS_B = pj.Parameter("eps_B", lambda j: j.phases[1].eps_r, initial=11.0, lower=1.0)
OMEGA = pj.Parameter("omega", lambda j: j.phases[1].activity[0].interaction, initial=0.0)
X = np.linspace(INTERFACE - 12e-9, INTERFACE + 12e-9, 49)
RESOLUTION = 1.5e-9  # m, standard deviation of the probe


@pytest.fixture(scope="module")
def truth():
    return li_junction(**TRUTH)


@pytest.fixture(scope="module")
def mesh(truth):
    return pj.Mesh.auto(truth)


@pytest.fixture(scope="module")
def clean(truth, mesh):
    """Blurred Li_i profile (m^-3) and sharp potential profile (V) of the truth."""
    li = pj.Profile(X, "concentration", "Li_i^•", resolution=RESOLUTION)
    phi = pj.Profile(X, "potential")
    return li, np.asarray(li.predict(truth, mesh)), phi, np.asarray(phi.predict(truth, mesh))


@pytest.fixture(scope="module")
def ideal():
    """The ideal (non-interacting) truth, its mesh and its blurred Li_i profile (m^-3)."""
    truth = li_junction(**TRUTH, interacting=False)
    mesh = pj.Mesh.auto(truth)
    li = pj.Profile(X, "concentration", "Li_i^•", resolution=RESOLUTION)
    return truth, mesh, li, np.asarray(li.predict(truth, mesh))


def test_blur_is_the_exact_convolution_of_the_piecewise_linear_profile():
    x = np.array([0.0, 1.0, 2.0, 2.0, 3.5, 5.0])  # a jump at x = 2 (an interface)
    f = np.array([1.0, 3.0, 2.0, 7.0, 6.0, 6.5])
    points = np.array([-1.0, 0.3, 2.0, 2.7, 6.0])
    width = 0.6
    # reference: dense quadrature of the linear interpolant on each side of the jump, ends
    # continued as constants
    reference = 0.0
    for lo, hi, xs, fs in ((-12.0, 2.0, x[:3], f[:3]), (2.0, 17.0, x[3:], f[3:])):
        fine = np.linspace(lo, hi, 200_001)
        kernel = np.exp(-0.5 * ((points[:, None] - fine) / width) ** 2)
        kernel /= np.sqrt(2 * np.pi) * width
        reference = reference + np.trapezoid(np.interp(fine, xs, fs) * kernel, fine, axis=1)
    blurred = np.asarray(gaussian_blur(jnp.asarray(x), jnp.asarray(f), jnp.asarray(points), width))
    np.testing.assert_allclose(blurred, reference, rtol=1e-8)  # measured 2e-10
    sharp = gaussian_blur(jnp.asarray(x), jnp.asarray(f), jnp.asarray(points), 0.0)
    np.testing.assert_allclose(sharp, np.interp(points, x, f), rtol=1e-15)
    flat = gaussian_blur(jnp.asarray(x), jnp.full(6, 4.0), jnp.asarray(points), width)
    np.testing.assert_allclose(flat, 4.0, rtol=1e-14)


def test_noise_free_profiles_recover_four_parameters_and_the_nuisance_terms(truth, mesh, clean):
    """μ° difference, both permittivities and the interaction parameter from a blurred
    concentration profile in arbitrary units (unknown scale) and a potential profile with an
    unknown reference (offset)."""
    li, c, phi_obs, phi = clean
    data = [
        pj.Data(li, 3.7e-20 * c, relative=0.01, log=True, scale=True, name="SIMS"),
        pj.Data(phi_obs, phi + 0.123, sigma=1e-3, offset=True, name="holography"),
    ]
    start = li_junction(step=0.15, eps_a=9.0, eps_b=11.0, omega=0.0)
    result = pj.fit(start, [STEP, EPS_A, EPS_B, OMEGA], data, mesh=mesh)
    expected = {
        "mu0_B": -TRUTH["step"],
        "eps_A": TRUTH["eps_a"],
        "eps_B": TRUTH["eps_b"],
        "omega": TRUTH["omega"],
        "SIMS.scale": 3.7e-20,
        "holography.offset": 0.123,
    }
    assert result.converged and result.identifiable
    for name, value in expected.items():
        # measured: 4e-9 (omega) and below
        assert result.parameters[name] == pytest.approx(value, rel=1e-6), name
    assert result.loss < 1e-10
    assert np.all(np.diff(result.history) <= 1e-12 * result.history[:-1] + 1e-15)
    assert np.isfinite(result.standard_errors).all()
    np.testing.assert_allclose(result.predictions[0], 3.7e-20 * c, rtol=1e-7)
    assert "omega" in result.summary()


def test_one_percent_noise_two_sigma_coverage(ideal):
    """Over repeated noise draws, |fit − truth| < 2σ (reported) in about 95 % of fits."""
    truth, mesh, li, c = ideal
    rng = np.random.default_rng(2026)
    draws, inside, reduced = 100, [], []
    for _ in range(draws):
        noisy = c * np.exp(0.01 * rng.standard_normal(c.shape))
        result = pj.fit(
            truth, [STEP, EPS_B], pj.Data(li, noisy, relative=0.01, log=True), mesh=mesh
        )
        assert result.converged
        errors = np.array([result.values[0] + TRUTH["step"], result.values[1] - TRUTH["eps_b"]])
        inside.append(np.abs(errors) < 2 * result.standard_errors)
        reduced.append(result.reduced_chi_squared)
    coverage = np.mean(inside, axis=0)
    # expected 0.954 each; binomial 1σ over 100 draws is 0.021. measured: 0.96, 0.94
    assert np.all((coverage >= 0.89) & (coverage <= 1.0)), coverage
    assert np.mean(reduced) == pytest.approx(1.0, abs=0.06)  # χ²/ν averages 1; measured 1.01


def test_estimated_noise_level_gives_the_same_errors(ideal):
    """Without a noise model, the scatter sets the error bars (covariance × χ²/ν)."""
    truth, mesh, li, c = ideal
    noisy = c * np.exp(0.01 * np.random.default_rng(7).standard_normal(c.shape))
    free = [STEP, EPS_B]  # as in the coverage test: the known-noise fit reuses its program
    known = pj.fit(truth, free, pj.Data(li, noisy, relative=0.01, log=True), mesh=mesh)
    unknown = pj.fit(truth, free, pj.Data(li, noisy, log=True), mesh=mesh)
    assert unknown.noise_estimated and not known.noise_estimated
    np.testing.assert_allclose(unknown.values, known.values, rtol=1e-6)
    ratio = unknown.standard_errors / known.standard_errors
    np.testing.assert_allclose(ratio, np.sqrt(known.reduced_chi_squared), rtol=1e-6)


def test_a_non_identifiable_pair_is_flagged(ideal):
    """With the bulk of A fixed, shifting μ° of Li_i in both phases together changes no
    profile: only their difference is determined."""
    truth, mesh, li, c = ideal
    both = [STEP, pj.Parameter("mu0_A", mu0_a, initial=0.05, lower=-1.0, upper=1.0), EPS_B]
    with pytest.warns(pj.NonIdentifiableWarning, match="mu0_B.*mu0_A"):
        result = pj.fit(truth, both, pj.Data(li, c, relative=0.01, log=True), mesh=mesh)
    assert not result.identifiable
    assert result.weak_directions.shape == (1, 3)
    np.testing.assert_allclose(np.abs(result.weak_directions[0][:2]), 2**-0.5, atol=1e-3)
    assert np.isinf(result.errors["mu0_B"]) and np.isinf(result.errors["mu0_A"])
    assert np.isfinite(result.errors["eps_B"])
    # the difference is still fitted exactly (measured 4e-16)
    difference = result.parameters["mu0_B"] - result.parameters["mu0_A"]
    assert difference == pytest.approx(-TRUTH["step"], rel=1e-6)
    assert "NOT identifiable" in result.summary()


def test_loss_gradient_matches_finite_differences(truth, mesh, clean):
    li, c, phi_obs, phi = clean
    noisy = c * np.exp(0.01 * np.random.default_rng(3).standard_normal(c.shape))
    data = [
        pj.Data(li, noisy, relative=0.01, log=True, scale=True),
        pj.Data(phi_obs, phi, sigma=1e-3, offset=True),
    ]
    loss = jax.jit(pj.fit_loss(truth, [STEP, EPS_A, EPS_B, OMEGA], data, mesh=mesh))
    theta = jnp.array([-0.2, 10.0, 9.0, 0.01])
    gradient = np.asarray(jax.grad(loss)(theta))
    steps = np.array([1e-5, 1e-4, 1e-4, 1e-5])
    for k in range(4):
        e = np.zeros(4)
        e[k] = steps[k]
        fd = (float(loss(theta + e)) - float(loss(theta - e))) / (2 * steps[k])
        assert gradient[k] == pytest.approx(fd, rel=1e-6), k  # measured ≤ 3e-8


def test_multistart_runs_in_one_batch_and_keeps_the_best(ideal):
    truth, mesh, li, c = ideal
    data = pj.Data(li, c, relative=0.01, log=True)
    starts = np.array([[0.5, 6.0, 20.0], [-0.15, 9.0, 11.0], [-0.6, 20.0, 3.0]])
    result = pj.fit(truth, [STEP, EPS_A, EPS_B], data, mesh=mesh, starts=starts)
    assert result.start_losses.shape == (3,) and result.start_values.shape == (3, 3)
    assert result.loss == pytest.approx(np.min(result.start_losses))
    assert result.parameters["mu0_B"] == pytest.approx(-TRUTH["step"], rel=1e-6)
    random = pj.fit(truth, [STEP, EPS_A, EPS_B], data, mesh=mesh, starts=3, seed=1)
    assert random.start_values.shape == (3, 3)
    assert np.all(np.abs(random.start_values[:, 0]) < 1.0)  # inside the bounds


def test_lbfgs_recovers_the_parameters(ideal):
    truth, mesh, li, c = ideal
    data = pj.Data(li, c, relative=0.01, log=True)
    result = pj.fit(truth, [STEP, EPS_B], data, mesh=mesh, method="lbfgs")
    assert result.converged
    assert result.parameters["mu0_B"] == pytest.approx(-TRUTH["step"], rel=1e-6)
    assert result.parameters["eps_B"] == pytest.approx(TRUTH["eps_b"], rel=1e-6)
    assert result.evaluations >= result.steps


def test_adam_lowers_the_loss(ideal):
    truth, mesh, li, c = ideal
    data = pj.Data(li, c, relative=0.01, log=True)
    with pytest.warns(RuntimeWarning, match="without meeting the tolerance"):
        result = pj.fit(
            truth, [STEP], data, mesh=mesh, method="adam", learning_rate=0.05, max_steps=150
        )
    assert result.history[-1] < 1e-3 * result.history[0]
    assert result.parameters["mu0_B"] == pytest.approx(-TRUTH["step"], abs=2e-3)


def test_bad_fit_input(truth, mesh, clean):
    li, c, _, _ = clean
    good = pj.Data(li, c, relative=0.01)
    with pytest.raises(ValueError, match="lower .* must be below upper"):
        pj.Parameter("p", step_of, lower=1.0, upper=0.0)
    with pytest.raises(TypeError, match="where must be a function"):
        pj.Parameter("p", "phases[1].mu0")
    with pytest.raises(ValueError, match="strictly inside the bounds"):
        pj.fit(truth, [pj.Parameter("p", step_of, initial=2.0, lower=0, upper=1)], good)
    with pytest.raises(ValueError, match="scalar leaves"):
        pj.fit(truth, [pj.Parameter("p", lambda j: j.phases[0].carriers)], good, mesh=mesh)
    with pytest.raises(ValueError, match="one entry per measured point"):
        pj.Data(li, c[:-1])
    with pytest.raises(ValueError, match="sigma or relative, not both"):
        pj.Data(li, c, sigma=1.0, relative=0.1)
    with pytest.raises(ValueError, match="values > 0"):
        pj.Data(li, -c, log=True)
    with pytest.raises(ValueError, match="offset is not linear in log space"):
        pj.Data(li, c, log=True, offset=True)
    with pytest.raises(ValueError, match="sigma must be > 0"):
        pj.Data(li, c, sigma=0.0)
    with pytest.raises(ValueError, match="noise model .* or none of them"):
        pj.fit(truth, [STEP], [good, pj.Data(li, c, name="other")], mesh=mesh)
    with pytest.raises(ValueError, match="method must be one of"):
        pj.fit(truth, [STEP], good, mesh=mesh, method="newton")
    with pytest.raises(ValueError, match=r"starts must be an int or an array \[n_starts, 1\]"):
        pj.fit(truth, [STEP], good, mesh=mesh, starts=np.zeros(3))
    with pytest.raises(ValueError, match="outside its bounds"):
        pj.fit(truth, [STEP], good, mesh=mesh, starts=np.array([[3.0]]))
    with pytest.raises(ValueError, match="names must be unique"):
        pj.fit(truth, [STEP, STEP], good, mesh=mesh)
    with pytest.raises(ValueError, match="quantity must be one of"):
        pj.Profile(X, "temperature")
    with pytest.raises(ValueError, match="needs species="):
        pj.Profile(X, "concentration")
    with pytest.raises(TypeError, match="observable must be a pnpjax observable"):
        pj.Data(X, c)
    with pytest.raises(ValueError, match="frequencies must be > 0"):
        pj.Spectrum([0.0, 1.0])


def test_unsolvable_start_is_reported(ideal):
    """A failed solve at the initial guess is named, not returned as NaN parameters."""
    truth, mesh, _, _ = ideal
    failing = pj.Observable(lambda model, mesh: jnp.full(3, jnp.nan) * step_of(model), 3)
    data = pj.Data(failing, np.ones(3), sigma=0.1)
    with pytest.raises(RuntimeError, match="not finite at any starting point"):
        pj.fit(truth, [STEP], data, mesh=mesh)
