"""Analysis of measured-style data: Lin-KK validation of impedance spectra and Mott–Schottky fits
of capacitance–voltage curves (synthetic exact data and pnpjax's own equilibrium C–V)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import EPS0, KT, E, T

import pnpjax as pj

FREQUENCY = np.logspace(-2, 6, 81)  # Hz, 10 points per decade over 8 decades
OMEGA = 2 * np.pi * FREQUENCY


def _voigt_series(w):
    return (
        10.0 + 100.0 / (1 + 1j * w * 1e-3) + 50.0 / (1 + 1j * w * 0.3) + 20.0 / (1 + 1j * w * 3e-6)
    )


def _randles(w):
    """R_s + (R_ct + semi-infinite Warburg) ‖ C_dl, in series with a blocking capacitor."""
    faradaic = 100.0 + 300.0 / np.sqrt(1j * w)
    return 5.0 + 1 / (1 / faradaic + 1j * w * 1e-5) + 1 / (1j * w * 1e-3)


def _constant_phase(w):
    """R ‖ Q with Q(iω)^0.8: a distributed but causal element."""
    return 1 / (1 / 100.0 + 1e-4 * (1j * w) ** 0.8)


CIRCUITS = {"voigt": _voigt_series, "randles": _randles, "cpe": _constant_phase}
# Largest Lin-KK residual measured for the exact spectra (default 56 elements): voigt 4e-7,
# randles 9e-5, cpe 3e-5. The distributed elements (Warburg, CPE) have relaxation times beyond
# the measured band that a finite Voigt chain absorbs only approximately, which leaves 1e-5–1e-4
# at the band edges; 1e-3 keeps a 10x margin and stays 30x below the smallest violation below.
CONSISTENT = 1e-3
INCONSISTENT = 1e-2


@pytest.mark.parametrize("name", list(CIRCUITS))
def test_kramers_kronig_separates_causal_from_non_causal(name):
    """Exact circuit spectra pass; flipping Z'' or distorting it by a smooth factor fails
    (measured max residuals: sign flip 0.79–0.96, ×(1 + 0.2 ln ω) 0.47–0.54,
    ×(1 + 0.02 log10 ω) 0.030–0.036)."""
    z = CIRCUITS[name](OMEGA)
    check = pj.kramers_kronig(FREQUENCY, z)
    assert float(check.max_residual) < CONSISTENT
    np.testing.assert_allclose(np.asarray(check.fit), z, rtol=CONSISTENT)
    assert check.resistances.shape == (56,)  # 7 per decade

    flipped = z.real - 1j * z.imag
    strong = z.real + 1j * z.imag * (1 + 0.2 * np.log(OMEGA))
    mild = z.real + 1j * z.imag * (1 + 0.02 * np.log10(OMEGA))
    for bad in (flipped, strong, mild):
        assert float(pj.kramers_kronig(FREQUENCY, bad).max_residual) > INCONSISTENT

    # decreasing frequencies (as many analysers sweep) give the same test
    reversed_check = pj.kramers_kronig(FREQUENCY[::-1], z[::-1])
    np.testing.assert_allclose(
        np.asarray(reversed_check.residual_imag)[::-1], np.asarray(check.residual_imag), atol=1e-12
    )


@pytest.mark.parametrize("n_elements", [9, 56])
def test_kramers_kronig_recovers_voigt_on_the_grid(n_elements):
    """A Voigt chain whose τ lie on the fitting grid is reproduced to round-off, parameters too
    (measured: |ΔR_k| / max R = 3e-15 for 9 elements, 2e-11 for 56, where neighbouring
    elements are nearly collinear)."""
    tau = np.geomspace(1 / OMEGA.max(), 1 / OMEGA.min(), n_elements)
    resistances = np.zeros(n_elements)
    resistances[[2, n_elements // 2, -2]] = [100.0, 50.0, 20.0]
    z = 10.0 + np.sum(resistances / (1 + 1j * OMEGA[:, None] * tau), axis=1)

    check = pj.kramers_kronig(FREQUENCY, z, n_elements=n_elements)
    assert float(check.max_residual) < 1e-13
    np.testing.assert_allclose(np.asarray(check.time_constants), tau, rtol=1e-14)
    np.testing.assert_allclose(np.asarray(check.resistances), resistances, rtol=0, atol=1e-9 * 100)
    assert float(check.series_resistance) == pytest.approx(10.0, abs=1e-9)
    assert abs(1 / (OMEGA.min() * float(check.capacitance))) < 1e-9  # no series capacitor
    assert abs(OMEGA.max() * float(check.inductance)) < 1e-9  # no inductance
    assert float(check.mu) == pytest.approx(1.0, abs=1e-9)  # no negative R_k

    bare = pj.kramers_kronig(
        FREQUENCY, z, n_elements=n_elements, capacitance=False, inductance=False
    )
    np.testing.assert_allclose(np.asarray(bare.resistances), resistances, rtol=0, atol=1e-9 * 100)
    assert float(bare.capacitance) == np.inf and float(bare.inductance) == 0.0


def _spectrum(resistance):
    """A two-element Voigt spectrum with a mild non-causal distortion of Z'' (a JAX function)."""
    w = jnp.asarray(OMEGA)
    real = 10 + resistance / (1 + (w * 1e-3) ** 2) + 50 / (1 + (w * 0.3) ** 2)
    imag = -resistance * w * 1e-3 / (1 + (w * 1e-3) ** 2) - 50 * w * 0.3 / (1 + (w * 0.3) ** 2)
    return jax.lax.complex(real, imag * (1 + 0.01 * jnp.log(w)))


def test_kramers_kronig_jit_vmap_grad():
    eager = pj.kramers_kronig(FREQUENCY, _spectrum(100.0))
    jitted = jax.jit(lambda z: pj.kramers_kronig(FREQUENCY, z))(_spectrum(100.0))
    np.testing.assert_allclose(np.asarray(jitted.fit), np.asarray(eager.fit), rtol=1e-12)
    # traced frequencies need a static element count
    traced = jax.jit(lambda f, z: pj.kramers_kronig(f, z, n_elements=56))(
        FREQUENCY, _spectrum(100.0)
    )
    np.testing.assert_allclose(float(traced.max_residual), float(eager.max_residual), rtol=1e-10)
    batch = jax.jit(jax.vmap(lambda r: pj.kramers_kronig(FREQUENCY, _spectrum(r)).max_residual))(
        jnp.array([10.0, 100.0])
    )
    assert float(batch[1]) == pytest.approx(float(eager.max_residual), rel=1e-10)

    def loss(resistance):
        return jnp.sum(pj.kramers_kronig(FREQUENCY, _spectrum(resistance)).residual_imag ** 2)

    gradient = float(jax.jit(jax.grad(loss))(100.0))
    h = 1e-2
    fd = (float(loss(100.0 + h)) - float(loss(100.0 - h))) / (2 * h)
    assert gradient == pytest.approx(fd, rel=1e-6)


def test_kramers_kronig_bad_input():
    z = _voigt_series(OMEGA)
    with pytest.raises(ValueError, match="strictly increasing or strictly decreasing"):
        pj.kramers_kronig(np.r_[FREQUENCY[:40], FREQUENCY[39:]], np.r_[z[:40], z[39:]])
    with pytest.raises(ValueError, match="positive and finite"):
        pj.kramers_kronig(np.r_[0.0, FREQUENCY], np.r_[z[0], z])
    with pytest.raises(ValueError, match="shape of frequency"):
        pj.kramers_kronig(FREQUENCY, z[:-1])
    with pytest.raises(ValueError, match="finite and nonzero"):
        pj.kramers_kronig(FREQUENCY, np.where(FREQUENCY > 1e3, np.nan, z))
    with pytest.raises(ValueError, match="lower n_elements"):
        pj.kramers_kronig(FREQUENCY[:5], z[:5], n_elements=9)
    with pytest.raises(ValueError, match="n_elements must be >= 1"):
        pj.kramers_kronig(FREQUENCY, z, n_elements=0)
    with pytest.raises(ValueError, match="pass n_elements explicitly"):
        jax.jit(pj.kramers_kronig)(FREQUENCY, z)


# --- Mott–Schottky -------------------------------------------------------------------------------


@pytest.mark.parametrize("carrier_type", [-1.0, 1.0])
def test_mott_schottky_exact_lines(carrier_type):
    """1/C² built from the law itself returns N, V_fb and the carrier type to round-off."""
    doping, flat_band, eps_r = 3e22, 0.35, 9.0
    v = flat_band + carrier_type * np.linspace(0.2, 1.5, 9)  # depletion side of flat band
    inverse_c2 = 2 / (E * eps_r * EPS0 * doping) * (carrier_type * (v - flat_band) - KT)
    fit = pj.mott_schottky(v, 1 / np.sqrt(inverse_c2), eps_r=eps_r, temperature=T)
    assert float(fit.doping) == pytest.approx(doping, rel=1e-12)
    assert float(fit.flat_band_potential) == pytest.approx(flat_band, rel=1e-12)
    assert float(fit.carrier_type) == carrier_type
    assert np.sign(float(fit.slope)) == carrier_type
    assert float(fit.residual) < 1e-14

    # a window selects points; outliers outside it do not matter
    v_extra = np.r_[v, flat_band - carrier_type * 0.5]
    c_extra = np.r_[1 / np.sqrt(inverse_c2), 1.0]
    window = (min(v), max(v))
    windowed = pj.mott_schottky(v_extra, c_extra, eps_r=eps_r, window=window)
    assert float(windowed.doping) == pytest.approx(doping, rel=1e-12)
    assert float(pj.mott_schottky(v_extra, c_extra, eps_r=eps_r).residual) > 1e-2


def test_mott_schottky_jit_vmap_grad():
    v = jnp.linspace(-1.0, -0.3, 8)
    capacitance = 1 / jnp.sqrt(2 / (E * 11.7 * EPS0 * 1e23) * (-v - KT))

    def doping(scale):
        return pj.mott_schottky(v, scale * capacitance, eps_r=11.7, window=(-0.9, -0.3)).doping

    # N ∝ 1/|slope| ∝ C², so dN/ds = 2N at s = 1
    assert float(jax.grad(doping)(1.0)) == pytest.approx(2 * float(doping(1.0)), rel=1e-10)
    assert float(jax.jit(doping)(1.0)) == pytest.approx(float(doping(1.0)), rel=1e-14)
    batch = jax.vmap(doping)(jnp.array([1.0, 2.0]))
    np.testing.assert_allclose(np.asarray(batch), [1e23, 4e23], rtol=1e-10)


DOPING, EPS_SC = 1e23, 11.7  # m^-3; silicon-like permittivity


def _semiconductor(kind, potential):
    """Electrode | n- or p-type semiconductor (majority carriers only) | Bulk."""
    carrier = "e'" if kind == "n" else "h^•"
    phase = pj.Phase(
        kind,
        eps_r=EPS_SC,
        carriers={carrier: pj.Carrier(0.0, 2.8e25)},
        background_charge=DOPING if kind == "n" else -DOPING,  # ionised donors / acceptors
    )
    return pj.Junction(
        [phase],
        pj.ReferenceBulk(kind, {carrier: DOPING}),
        left=pj.Electrode(potential),
        right=pj.Bulk(),
        temperature=T,
    )


@pytest.mark.parametrize("kind", ["n", "p"])
def test_mott_schottky_on_equilibrium_capacitance(kind):
    """The equilibrium C–V of a depleted semiconductor recovers its doping and V_fb = 0.

    Measured (the default 140-node mesh, window 0.3–1.0 V of depletion): doping error 1.4e-5,
    V_fb = ±40 µV (the discretisation error of C, −1.5e-5 at 1 V to −7e-5 at 0.3 V: a mesh
    without the depletion plateau had 4.2e-4 at every bias, so 8e-4 in N and 13 µV in V_fb),
    relative rms misfit 5.3e-6; beyond
    11 k_BT/e the Boltzmann tail the law neglects contributes only 4e-6 to N. Reaching into
    accumulation (and the first few k_BT/e of depletion) bends 1/C² away from the line: the
    misfit grows to 0.084, N is off by 16% and V_fb by 0.1 V."""
    sign = -1.0 if kind == "n" else 1.0  # depletion side: V < 0 for n-type, V > 0 for p-type
    potentials = sign * np.array([1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.1, -0.1, -0.2])
    # one vmapped call; its default mesh resolves the deepest depletion and the strongest
    # accumulation of the sweep
    curve = pj.capacitance_voltage(_semiconductor(kind, 0.0), potentials)
    capacitance = curve.capacitance
    np.testing.assert_array_equal(curve.voltage, potentials)

    depletion = tuple(sorted((sign * 1.05, sign * 0.25)))
    fit = pj.mott_schottky(potentials, capacitance, eps_r=EPS_SC, temperature=T, window=depletion)
    assert float(fit.carrier_type) == sign
    assert float(fit.doping) == pytest.approx(DOPING, rel=1e-3)
    assert abs(float(fit.flat_band_potential)) < 1e-4
    assert float(fit.residual) < 1e-4

    everything = pj.mott_schottky(potentials, capacitance, eps_r=EPS_SC, temperature=T)
    assert float(everything.residual) > 100 * float(fit.residual)
    assert abs(float(everything.doping) / DOPING - 1) > 0.05


def test_mott_schottky_bad_input():
    v = np.linspace(-1.0, -0.2, 5)
    c = np.full(5, 1e-3)
    with pytest.raises(ValueError, match="shape of voltage"):
        pj.mott_schottky(v, c[:-1], eps_r=10.0)
    with pytest.raises(ValueError, match="positive and finite"):
        pj.mott_schottky(v, -c, eps_r=10.0)
    with pytest.raises(ValueError, match="eps_r .* must be > 0"):
        pj.mott_schottky(v, c, eps_r=-3.0)
    with pytest.raises(ValueError, match="temperature"):
        pj.mott_schottky(v, c, eps_r=10.0, temperature=0.0)
    with pytest.raises(ValueError, match="at least 2 distinct voltages inside window"):
        pj.mott_schottky(v, c, eps_r=10.0, window=(0.0, 1.0))
    with pytest.raises(ValueError, match="v_min < v_max"):
        pj.mott_schottky(v, c, eps_r=10.0, window=(-0.2, -1.0))
    with pytest.raises(ValueError, match="1-D"):
        pj.mott_schottky(v[None], c[None], eps_r=10.0)
