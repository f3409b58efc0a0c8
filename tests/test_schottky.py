"""The Schottky contact: a boundary with its own behaviour, in one file, usable by every solver.

Against the thermionic-emission law J = A*T² e^{−Φ_B/kT}(e^{V/kT} − 1) where emission limits the
current (Sze and Ng §3.3), its approach to that law as diffusion gets faster (the
thermionic-diffusion correction 1/(1 + v_R/v_D), Crowell and Sze 1966), the barrier at
equilibrium, image-force lowering, the transient, the impedance, gradients and bad input.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import KT, T

import pnpjax as pj

BARRIER = 0.7  # eV
DOPING = 1e22  # m^-3, donors
NC, NV, GAP = 2.8e25, 1.04e25, 1.12  # Si, Sze & Ng (2007)
THICKNESS = 1e-6  # m
RICHARDSON = 1.20173e6  # A m^-2 K^-2, free electron


def device(diffusivity=0.1, barrier=BARRIER, image_force=False, holes=False, **contact):
    """n-type silicon, 1 µm, ohmic left and Schottky right; electrons only unless `holes` (the
    thermionic-emission law is the majority carriers'; minority holes add a diffusion current)."""
    carriers = {"e'": pj.Carrier(GAP, NC, diffusivity=diffusivity)}
    if holes:
        carriers["h^•"] = pj.Carrier(0.0, NV, diffusivity=diffusivity / 2)
    phase = pj.Phase(
        "n", eps_r=11.7, thickness=THICKNESS, carriers=carriers, background_charge=DOPING
    )
    return pj.Junction(
        [phase],
        pj.ReferenceBulk("n", {"e'": DOPING}),
        left=pj.Ohmic(),
        right=pj.SchottkyContact(barrier, image_force=image_force, **contact),
        temperature=T,
    )


def p_device(diffusivity=0.1):
    """The p-type counterpart: holes only, the hole barrier E_F,m − E_V given."""
    carriers = {"h^•": pj.Carrier(0.0, NV, diffusivity=diffusivity)}
    phase = pj.Phase(
        "p", eps_r=11.7, thickness=THICKNESS, carriers=carriers, background_charge=-DOPING
    )
    return pj.Junction(
        [phase],
        pj.ReferenceBulk("p", {"h^•": DOPING}),
        left=pj.Ohmic(),
        right=pj.SchottkyContact(BARRIER, carrier="h^•"),
        temperature=T,
    )


def thermionic_emission(volts, barrier=BARRIER):
    """The emission-limited current (A/m²) under forward bias V."""
    return RICHARDSON * T**2 * np.exp(-barrier / KT) * np.expm1(np.asarray(volts) / KT)


@pytest.fixture(scope="module")
def mesh():
    return pj.Mesh.auto(device())


VOLTS = np.array([-0.2, -0.05, 0.05, 0.1, 0.15, 0.2])


def _errors(build, diffusivity, mesh, sign):
    """Relative departure of the current from the thermionic-emission law. n-type: forward
    bias is the metal positive, and conventional current enters the semiconductor from the
    metal (−x); p-type: the metal negative, current leaving into the metal (+x)."""
    curve = pj.iv_curve(build(diffusivity), sign * VOLTS, mesh=mesh)
    assert curve.result == pj.RESULTS.successful
    return -sign * np.asarray(curve.current) / thermionic_emission(VOLTS) - 1.0


@pytest.mark.parametrize("kind", ["n", "p"])
def test_emission_limited_current_follows_the_thermionic_law(kind):
    """Fast diffusion: the current is the thermionic-emission law, forward and reverse; the
    departure is the thermionic-diffusion correction −v_R/v_D (Crowell–Sze), ten times
    smaller for ten times faster diffusion.

    The tenfold law is checked between D = 0.01 and 0.1 m²/s (departures 1e-2 and 1e-3):
    at 1 m²/s the departure, 1e-4, is within a few times the round-off of the reverse current
    (a difference of drift and diffusion fluxes many orders larger), which moves it by 2e-5
    between meshes and XLA optimisation levels."""
    build, sign = (device, 1.0) if kind == "n" else (p_device, -1.0)
    mesh = pj.Mesh.auto(build())
    slow, fast, faster = (_errors(build, d, mesh, sign) for d in (0.01, 0.1, 1.0))
    # v_R = A*T²/(eN) is 2.4e4 m/s for electrons, 6.5e4 for holes in Si; v_D ≈ μE_max
    assert np.max(np.abs(fast)) < 1e-2
    assert np.max(np.abs(faster)) < 1e-3
    # diffusion only ever limits
    assert np.all(slow < 0) and np.all(fast < 0) and np.all(faster < 0)
    ratio = slow / fast
    assert np.all((ratio > 8) & (ratio < 12))


def test_the_barrier_holds_at_equilibrium(mesh):
    """E_C − E_F at the contact is the barrier; the band bends by Φ_B − kT ln(N_C/N_D)."""
    sol = pj.solve_equilibrium(device(), mesh=mesh)
    assert sol.result == pj.RESULTS.successful
    np.testing.assert_allclose(float(sol.E_C[-1] - sol.fermi_level[-1]), BARRIER, atol=1e-12)
    bending = float(sol.E_C[-1] - sol.E_C[0])
    np.testing.assert_allclose(bending, BARRIER - KT * np.log(NC / DOPING), rtol=1e-6)
    # at zero bias the steady state is this equilibrium and carries no current
    steady = pj.solve_steady_state(device(), voltage=0.0, mesh=mesh)
    np.testing.assert_allclose(steady.phi[0], sol.phi, atol=1e-12)
    # zero to the round-off of the majority flux (a difference of drift and diffusion terms)
    saturation = RICHARDSON * T**2 * np.exp(-BARRIER / KT)
    assert abs(float(steady.current[0])) < 1e-6 * saturation


def test_image_force_lowering_raises_the_reverse_current(mesh):
    """Under reverse bias the image force lowers the barrier by ΔΦ = √(eE/4πε): the current
    rises by about e^{ΔΦ/kT}, more at larger reverse bias (larger field)."""
    plain = pj.iv_curve(device(), np.array([-0.1, -0.4]), mesh=mesh)
    lowered = pj.iv_curve(device(image_force=True), np.array([-0.1, -0.4]), mesh=mesh)
    gain = np.asarray(lowered.current) / np.asarray(plain.current)
    assert np.all(gain > 1.5)
    assert gain[1] > gain[0]
    # the field at the contact sets ΔΦ: compare with √(eE/4πε) from the solution
    field = float((plain.phi[1, -1] - plain.phi[1, -2]) / (plain.x[-1] - plain.x[-2]))
    lowering = np.sqrt(1.602176634e-19 * abs(field) / (4 * np.pi * 11.7 * 8.8541878128e-12))
    np.testing.assert_allclose(np.log(gain[1]), lowering / KT, rtol=0.1)


def test_transient_ends_on_the_steady_state_and_impedance_is_its_slope(mesh):
    """A forward-bias step relaxes to the steady current; the low-frequency impedance is the
    differential resistance dV/dI of the steady states."""
    volts = 0.1
    steady = pj.solve_steady_state(device(), voltage=volts, mesh=mesh)
    transient = pj.solve_transient(device(), np.logspace(-12, -3, 10), voltage=volts, mesh=mesh)
    assert transient.result == pj.RESULTS.successful
    np.testing.assert_allclose(transient.current[-1], steady.current[0], rtol=1e-5)
    spectrum = pj.impedance(device(), np.array([1e-2, 1e3]), voltage=volts, mesh=mesh)
    assert spectrum.result == pj.RESULTS.successful
    dv = 1e-4
    up = pj.solve_steady_state(device(), voltage=volts + dv, mesh=mesh).current[0]
    down = pj.solve_steady_state(device(), voltage=volts - dv, mesh=mesh).current[0]
    resistance = 2 * dv / float(down - up)  # current counted into the device at the right
    np.testing.assert_allclose(float(spectrum.impedance[0].real), resistance, rtol=1e-4)


def test_gradient_of_the_current_with_respect_to_the_barrier(mesh):
    """d J/dΦ_B through the steady state (implicit function theorem) against a central
    difference, and against the law's own −J/kT."""

    def current(barrier):
        return pj.solve_steady_state(device(barrier=barrier), voltage=0.1, mesh=mesh).current[0]

    grad = float(jax.grad(current)(BARRIER))

    def central(h):
        return float((current(BARRIER + h) - current(BARRIER - h)) / (2 * h))

    # central differences at h, h/2, h/4, Richardson-extrapolated twice (error O((h/kT)⁶)):
    # the truncation error (h/kT)²/6 of one difference would need h so small that the
    # round-off of the current dominates (~1e-8 relative: opposing fluxes cancel at the
    # contact; it differs at that level between XLA optimisation levels)
    h = 4e-3
    d1, d2, d4 = central(h), central(h / 2), central(h / 4)
    once = (4 * d2 - d1) / 3, (4 * d4 - d2) / 3
    fd = (16 * once[1] - once[0]) / 15
    np.testing.assert_allclose(grad, fd, rtol=1e-6)
    np.testing.assert_allclose(grad, -float(current(BARRIER)) / KT, rtol=5e-3)


def test_bad_input():
    with pytest.raises(ValueError, match="barrier"):
        pj.SchottkyContact(jnp.nan)
    with pytest.raises(ValueError, match="carrier must be the electron or hole"):
        pj.SchottkyContact(0.7, carrier="Li_i^•")
    with pytest.raises(ValueError, match="velocity_n"):
        pj.SchottkyContact(0.7, velocity_n=-1.0)
    junction = device()
    with pytest.raises(ValueError, match="Closed state forbids"):
        pj.Junction(
            junction.phases,
            pj.Closed({"E_F": 1e15}),
            left=pj.Symmetry(),
            right=pj.SchottkyContact(0.7),
        )
    with pytest.raises(ValueError, match="biased"):
        pj.solve_equilibrium(device(potential=0.1))
    holes_only = pj.Phase(
        "p",
        eps_r=11.7,
        thickness=THICKNESS,
        carriers={"h^•": pj.Carrier(0.0, NV, diffusivity=0.01)},
        background_charge=-DOPING,
    )
    with pytest.raises(ValueError, match="not a mobile carrier of the end phase"):
        pj.Junction(
            [holes_only],
            pj.ReferenceBulk("p", {"h^•": DOPING}),
            left=pj.Ohmic(),
            right=pj.SchottkyContact(0.7),
        )
