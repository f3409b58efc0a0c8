"""Fits through every solver: impedance spectra, steady-state currents, current transients and
capacitance–voltage curves (the equilibrium profiles are in test_fitting.py)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import T, blocking_cell, n_type, single_ion_cell

import pnpjax as pj


def diffusivity(j):
    return j.phases[0].carriers["Li_i^•"].diffusivity


def exchange(side):
    return lambda j: getattr(j, side).exchange[0].exchange_current


def test_impedance_spectrum_fit_with_a_series_resistance():
    """A Li⁺ conductor between Butler–Volmer electrodes: the bulk arc gives D and ε_r, the
    charge-transfer arc j₀; an unknown lead resistance shifts Re Z (offset) and the spectrum is
    in Ω for a 1 mm² cell."""
    truth = single_ion_cell(20.0, 20.0)
    mesh = pj.Mesh.auto(truth)
    spectrum = pj.Spectrum(np.logspace(0, 10, 31), area=1e-6)
    measured = np.asarray(spectrum.predict(truth, mesh)) + 12.5
    parameters = [
        pj.Parameter("D", diffusivity, initial=3e-12, lower=0.0),
        pj.Parameter("eps_r", lambda j: j.phases[0].eps_r, initial=14.0, lower=1.0),
        # both electrodes alike: one value for the two leaves
        pj.Parameter(
            "j0", lambda j: (exchange("left")(j), exchange("right")(j)), initial=8.0, lower=0.0
        ),
    ]
    result = pj.fit(
        truth, parameters, pj.Data(spectrum, measured, relative=0.01, offset=True), mesh=mesh
    )
    assert result.converged and result.identifiable
    expected = {"D": 1e-12, "eps_r": 20.0, "j0": 20.0, "data0.offset": 12.5}
    for name, value in expected.items():
        assert result.parameters[name] == pytest.approx(value, rel=1e-6), name  # measured 1e-9
    assert np.iscomplexobj(result.predictions[0])
    np.testing.assert_allclose(result.predictions[0], measured, rtol=1e-7)


def test_current_voltage_fit():
    """Steady-state currents between two Butler–Volmer electrodes determine both j₀."""
    truth = single_ion_cell(10.0, 3.0)
    mesh = pj.Mesh.auto(truth)
    curve = pj.CurrentVoltage(np.linspace(-0.1, 0.1, 6))
    current = np.asarray(curve.predict(truth, mesh))
    parameters = [
        pj.Parameter("j0_left", exchange("left"), initial=5.0, lower=0.0),
        pj.Parameter("j0_right", exchange("right"), initial=5.0, lower=0.0),
    ]
    result = pj.fit(truth, parameters, pj.Data(curve, current, relative=0.01), mesh=mesh)
    assert result.parameters["j0_left"] == pytest.approx(10.0, rel=1e-6)  # measured 1e-7
    assert result.parameters["j0_right"] == pytest.approx(3.0, rel=1e-6)
    assert result.correlation.shape == (2, 2)


def test_profile_under_bias_reads_the_steady_state():
    cell = single_ion_cell(10.0, 3.0)
    mesh = pj.Mesh.auto(cell)
    x = np.linspace(0.0, 50e-9, 7)
    observable = pj.Profile(x, "concentration", "Li_i^•", voltage=0.05)
    steady = pj.solve_steady_state(cell, voltage=0.05, mesh=mesh)
    expected = np.interp(x, steady.x, steady.concentration_of("Li_i^•")[-1])
    np.testing.assert_allclose(observable.predict(cell, mesh), expected, rtol=1e-12)
    with pytest.raises(ValueError, match="come from the equilibrium"):
        pj.Profile(x, "charge_density", voltage=0.05)


def test_current_transient_loss_gradient():
    """The charging current of a blocking cell after a 10 mV step constrains the ion
    diffusivities (tied: one value for both ions); the loss gradient runs through diffrax's
    checkpointed adjoint. (The full fit of this transient, `benchmarks/fit_transient.py`,
    recovers D to 4e-11 from a start at 2e-12 m²/s in 32 Levenberg–Marquardt steps with
    reverse-mode Jacobians; it is left out of the suite for its 70 s: the reverse-mode fit path
    is tested below.)"""
    truth = blocking_cell(100e-9, d_plus=1e-12, d_minus=1e-12)
    mesh = pj.Mesh.auto(truth)
    times = np.logspace(-9, -4, 12)
    transient = pj.CurrentTransient(
        times, pj.Step(0.0, 0.01, 0.0), stepping=pj.TimeStepping(rtol=1e-8)
    )
    assert not transient.forward_mode
    current = np.asarray(transient.predict(truth, mesh))

    def both(j):
        carriers = j.phases[0].carriers
        return carriers["A+"].diffusivity, carriers["B-"].diffusivity

    parameter = pj.Parameter("D", both, initial=2e-12, lower=0.0)
    data = pj.Data(transient, current, relative=0.01)
    value_and_grad = jax.jit(jax.value_and_grad(pj.fit_loss(truth, [parameter], data, mesh=mesh)))
    theta, h = jnp.array([1.5e-12]), 1e-15
    gradient = float(value_and_grad(theta)[1][0])
    fd = (float(value_and_grad(theta + h)[0]) - float(value_and_grad(theta - h)[0])) / (2 * h)
    assert gradient == pytest.approx(fd, rel=1e-4)  # measured 3e-6
    assert float(value_and_grad(jnp.array([1e-12]))[0]) < 1e-12  # the truth fits exactly


def test_reverse_mode_observables_fit_with_reverse_jacobians():
    """An observable with reverse-mode derivatives only (a custom_vjp, like the transient's
    adjoint) is fitted with jax.jacrev Jacobians, by Levenberg–Marquardt and for the
    covariance: a decay a·e^(−t/τ) recovered exactly."""

    @jax.custom_vjp
    def decay(tau, t):
        return jnp.exp(-t / tau)

    def forward(tau, t):
        y = decay(tau, t)
        return y, (tau, t, y)

    def backward(residual, cotangent):
        tau, t, y = residual
        return jnp.sum(cotangent * y * t / tau**2), None

    decay.defvjp(forward, backward)
    t = jnp.linspace(0.1, 3.0, 20)
    observable = pj.Observable(
        lambda model, mesh: decay(model.phases[0].eps_r, t), 20, forward_mode=False
    )
    truth = blocking_cell(100e-9)
    values = 2.5 * np.asarray(decay(10.0, t))  # "τ" = ε_r = 10, an unknown amplitude 2.5
    tau = pj.Parameter("tau", lambda j: j.phases[0].eps_r, initial=4.0, lower=0.0)
    result = pj.fit(truth, [tau], pj.Data(observable, values, sigma=0.01, scale=True))
    assert result.parameters["tau"] == pytest.approx(10.0, rel=1e-8)
    assert result.parameters["data0.scale"] == pytest.approx(2.5, rel=1e-8)
    assert np.isfinite(result.standard_errors).all()


def test_capacitance_voltage_fit():
    """The quasi-static C–V curve of an electrode on an n-type semiconductor, through flat band
    into accumulation, determines both the doping and the permittivity (depletion alone would
    give only their product εN)."""
    doping = 1e23

    def junction(n):
        return pj.Junction(
            [n_type(None, n, 0.0)],
            pj.ReferenceBulk("n", {"e'": n}),
            left=pj.Electrode(0.0),
            right=pj.Bulk(),
            temperature=T,
        )

    truth = junction(doping)
    potentials = np.linspace(-0.6, 0.1, 8)
    curve = pj.CapacitanceCurve(potentials)
    mesh = pj.Mesh.auto(
        pj.Junction(
            [n_type(None, doping, 0.0)],
            pj.ReferenceBulk("n", {"e'": doping}),
            left=pj.Electrode(-0.6),
            right=pj.Bulk(),
            temperature=T,
        )
    )
    capacitance = np.asarray(curve.predict(truth, mesh))
    # the donors and the bulk electrons they release move together
    dopant = pj.Parameter(
        "N_D",
        lambda j: (j.phases[0].background_charge, j.state.concentrations["e'"]),
        initial=3e23,
        lower=0.0,
    )
    eps = pj.Parameter("eps_r", lambda j: j.phases[0].eps_r, initial=9.0, lower=1.0)
    # a trial value without an equilibrium gives a NaN loss (the optimisers step back), not
    # an exception that would end the fit and every other start of a batch
    loss = pj.fit_loss(truth, [eps], pj.Data(curve, capacitance, relative=0.01), mesh=mesh)
    assert np.isnan(float(loss(jnp.array([-5.0]))))
    result = pj.fit(
        junction(3e23), [dopant, eps], pj.Data(curve, capacitance, relative=0.01), mesh=mesh
    )
    assert result.parameters["N_D"] == pytest.approx(doping, rel=1e-6)
    assert result.parameters["eps_r"] == pytest.approx(11.7, rel=1e-6)
