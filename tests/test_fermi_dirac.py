"""Fermi–Dirac integral F_{1/2}, its log and inverse, and the effective density of states."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pnpjax._thermo.fermi_dirac import (
    effective_density_of_states,
    fermi_dirac_half,
    inverse_log_fermi_dirac_half,
    log_fermi_dirac_half,
)


def reference_fermi_dirac(order: float, eta: float) -> float:
    """Normalised F_order(η) for order ±1/2 by the trapezoidal rule after ε = t².

    $$\\frac{1}{\\Gamma(j+1)}\\int_0^\\infty
    \\frac{\\varepsilon^j\\,d\\varepsilon}{1+e^{\\varepsilon-\\eta}}
    = \\frac{1}{\\Gamma(j+1)}\\int_{-\\infty}^\\infty \\frac{|t|^{2j+1}\\,dt}{1+e^{t^2-\\eta}}$$

    has an even, analytic integrand, so the trapezoidal rule converges geometrically, at a rate
    set by the poles nearest the real axis, at $t^2 = \\eta \\pm i\\pi$ (L. N. Trefethen and
    J. A. C. Weideman, SIAM Rev. 56, 385 (2014)).
    """
    pole_distance = abs(np.sqrt(complex(eta, math.pi)).imag)
    step = min(0.2, pole_distance / 8.0)
    t = np.arange(0.0, math.sqrt(max(eta, 0.0) + 60.0), step)
    occupation = np.exp(-np.logaddexp(0.0, t * t - eta))
    integrand = 2.0 * t ** (2.0 * order + 1.0) * occupation
    integral = step * (integrand.sum() - 0.5 * integrand[0])
    return integral / math.gamma(order + 1.0)


ETAS = np.concatenate([np.linspace(-30.0, 100.0, 47), [1.999999, 2.0, 2.000001]])


def test_reference_quadrature_is_exact_at_known_values():
    # F_{1/2}(0) = (1 − 2^{-1/2}) ζ(3/2), F_{-1/2}(0) = (1 − √2) ζ(1/2)
    assert reference_fermi_dirac(0.5, 0.0) == pytest.approx(0.7651470246254079, rel=1e-14)
    assert reference_fermi_dirac(-0.5, 0.0) == pytest.approx(0.6048986434216303, rel=1e-14)


def test_value_against_quadrature():
    reference = np.array([reference_fermi_dirac(0.5, eta) for eta in ETAS])
    value = np.asarray(fermi_dirac_half(jnp.asarray(ETAS)))
    # Antia (1993) quotes 5.5e-13; measured max 5.4e-13
    np.testing.assert_allclose(value, reference, rtol=1e-12, atol=0.0)


def test_derivative_is_f_minus_half():
    eta = np.array([-20.0, -1.0, 0.0, 1.5, 1.999999, 2.0, 3.0, 10.0, 50.0])
    reference = np.array([reference_fermi_dirac(-0.5, e) for e in eta])
    derivative = np.asarray(jax.vmap(jax.grad(fermi_dirac_half))(jnp.asarray(eta)))
    # measured max 1.8e-10, at the switch η = 2
    np.testing.assert_allclose(derivative, reference, rtol=1e-9, atol=0.0)


def test_boltzmann_limit():
    eta = np.linspace(-700.0, -40.0, 34)
    ratio = np.asarray(fermi_dirac_half(jnp.asarray(eta))) / np.exp(eta)
    np.testing.assert_allclose(ratio, 1.0, rtol=0.0, atol=1e-12)
    # the alternating series F_{1/2} = Σ (−1)^{k+1} e^{kη} / k^{3/2}, convergent for η < 0
    eta = np.linspace(-40.0, -1.0, 14)
    k = np.arange(1, 200)[:, None]
    series = np.sum((-1.0) ** (k + 1) * np.exp(k * eta) / k**1.5, axis=0)
    np.testing.assert_allclose(fermi_dirac_half(jnp.asarray(eta)), series, rtol=1e-12, atol=0.0)


def test_degenerate_limit_is_sommerfeld():
    eta = np.geomspace(200.0, 1e4, 12)
    sommerfeld = 4.0 / (3.0 * math.sqrt(math.pi)) * eta**1.5 * (1.0 + math.pi**2 / (8.0 * eta**2))
    ratio = np.asarray(fermi_dirac_half(jnp.asarray(eta))) / sommerfeld
    next_term = 7.0 * math.pi**4 / (640.0 * eta**4)
    np.testing.assert_allclose(ratio - 1.0, next_term, rtol=0.0, atol=1e-12)


def test_log_version():
    tail = jnp.array([-1e4, -5000.0, -700.0])
    np.testing.assert_allclose(log_fermi_dirac_half(tail), tail, rtol=0.0, atol=1e-12)
    eta = jnp.asarray(ETAS)
    np.testing.assert_allclose(
        log_fermi_dirac_half(eta), jnp.log(fermi_dirac_half(eta)), rtol=0.0, atol=1e-14
    )
    # beyond η ≈ 1e205 F itself overflows; its log does not
    huge = jnp.array([1e50, 1e100, 1e250, 1e300])
    asymptote = 1.5 * jnp.log(huge) + math.log(4.0 / (3.0 * math.sqrt(math.pi)))
    np.testing.assert_allclose(log_fermi_dirac_half(huge), asymptote, rtol=1e-14, atol=0.0)


def test_inverse_round_trip():
    log_x = jnp.linspace(-700.0, 30.0, 1461)
    eta = inverse_log_fermi_dirac_half(log_x)
    np.testing.assert_allclose(log_fermi_dirac_half(eta), log_x, rtol=0.0, atol=1e-11)
    eta = jnp.concatenate([jnp.linspace(-700.0, 100.0, 801), jnp.geomspace(100.0, 1e8, 50)])
    back = inverse_log_fermi_dirac_half(log_fermi_dirac_half(eta))
    np.testing.assert_allclose(back, eta, rtol=1e-12, atol=1e-12)


def test_inverse_of_boltzmann_and_degenerate_ends():
    log_x = jnp.array([-1e300, -1e4, -800.0])
    np.testing.assert_allclose(inverse_log_fermi_dirac_half(log_x), log_x, rtol=1e-15)
    log_x = jnp.array([100.0, 600.0])
    degenerate = jnp.exp((log_x + math.log(3.0 * math.sqrt(math.pi) / 4.0)) / 1.5)
    np.testing.assert_allclose(inverse_log_fermi_dirac_half(log_x), degenerate, rtol=1e-12)


@pytest.mark.parametrize(
    "function, points",
    [
        (fermi_dirac_half, [-30.0, -1.0, 0.5, 1.9, 2.1, 40.0]),
        (log_fermi_dirac_half, [-300.0, -1.0, 0.5, 1.9, 2.1, 40.0, 1e4]),
        (inverse_log_fermi_dirac_half, [-300.0, -5.0, 0.0, 1.0, 3.0, 20.0]),
    ],
)
def test_gradient_against_finite_differences(function, points):
    x = np.asarray(points)
    step = 1e-5 * np.maximum(1.0, np.abs(x))
    central = (
        np.asarray(function(jnp.asarray(x + step))) - np.asarray(function(jnp.asarray(x - step)))
    ) / (2.0 * step)
    gradient = np.asarray(jax.vmap(jax.grad(function))(jnp.asarray(x)))
    np.testing.assert_allclose(gradient, central, rtol=1e-7)


def test_inverse_gradient_is_implicit():
    eta = np.array([-10.0, 0.0, 2.0, 15.0])
    expected = np.array(
        [reference_fermi_dirac(0.5, e) / reference_fermi_dirac(-0.5, e) for e in eta]
    )
    log_x = log_fermi_dirac_half(jnp.asarray(eta))
    gradient = jax.vmap(jax.grad(inverse_log_fermi_dirac_half))(log_x)
    np.testing.assert_allclose(gradient, expected, rtol=1e-9)


@pytest.mark.parametrize(
    "function", [fermi_dirac_half, log_fermi_dirac_half, inverse_log_fermi_dirac_half]
)
def test_jit_vmap_and_shapes(function):
    x = jnp.linspace(-20.0, 20.0, 12).reshape(3, 4)
    plain = function(x)
    assert plain.shape == (3, 4)
    assert plain.dtype == jnp.float64
    np.testing.assert_allclose(jax.jit(function)(x), plain, rtol=1e-14, atol=0.0)
    np.testing.assert_allclose(jax.vmap(function)(x), plain, rtol=1e-14, atol=0.0)
    assert function(1.0).shape == ()


@pytest.mark.parametrize(
    "function", [fermi_dirac_half, log_fermi_dirac_half, inverse_log_fermi_dirac_half]
)
def test_finite_everywhere(function):
    x = jnp.array([-1e300, -1e4, -800.0, -745.0, 0.0, 2.0, 1e4, 1e200, 1e300])
    value, gradient = jax.vmap(jax.value_and_grad(function))(x)
    assert np.all(np.isfinite(value))
    assert np.all(np.isfinite(gradient))


def test_effective_density_of_states():
    # silicon conduction band, density-of-states mass 1.08 m_e: 2.8e19 cm^-3 (Sze & Ng)
    assert float(effective_density_of_states(1.08, 300.0)) == pytest.approx(2.8e25, rel=0.02)
    temperature = jnp.array([100.0, 300.0, 1200.0])
    density = effective_density_of_states(0.5, temperature)
    np.testing.assert_allclose(density / density[1], (temperature / 300.0) ** 1.5, rtol=1e-14)
    np.testing.assert_allclose(
        effective_density_of_states(2.0, 300.0),
        2.0**1.5 * effective_density_of_states(1.0, 300.0),
        rtol=1e-14,
    )
