"""Poisson–Nernst–Planck transients (VALIDATION.md items 10 and 11) and their numerics."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import EPS0, KT, SPECIES, E, T, binary, blocking_cell, debye

import pnpjax as pj
from pnpjax._discretise.fluxes import bernoulli


def test_bernoulli_is_safe_and_exact():
    x = jnp.array([-800.0, -50.0, -1e-2, -1e-4, 0.0, 1e-4, 1e-2, 50.0, 800.0])
    b = bernoulli(x)
    assert jnp.all(jnp.isfinite(b))
    assert b[4] == 1.0
    # B(−x) = B(x) + x, the identity behind the zero equilibrium flux
    np.testing.assert_allclose(bernoulli(-x[1:-1]), b[1:-1] + x[1:-1], rtol=1e-13, atol=1e-12)
    exact = np.array([v / np.expm1(v) for v in (-1e-2, 1e-2)])
    np.testing.assert_allclose(b[np.array([2, 6])], exact, rtol=1e-14)
    assert jnp.isfinite(jax.grad(lambda v: bernoulli(v))(0.0))
    np.testing.assert_allclose(jax.grad(bernoulli)(0.0), -0.5, rtol=1e-12)


@pytest.fixture(scope="module")
def charging():
    """A blocking cell (L = 200 nm, λ = 2.7 nm) under a 10 mV step, over 14 decades."""
    junction = blocking_cell()
    mesh = pj.Mesh.auto(junction)
    times = jnp.logspace(-12, 2, 57)
    sol = pj.solve_transient(junction, times, voltage=pj.Step(0.0, 0.01, 0.0), mesh=mesh)
    return junction, mesh, sol


def test_blocking_cell_conserves_every_species(charging):
    _, _, sol = charging
    amounts = np.asarray(sol.amounts)
    np.testing.assert_allclose(amounts, amounts[0] * np.ones_like(amounts), rtol=1e-10)


def test_blocking_cell_rc_time(charging):
    """I(t) = (V/R) e^{−t/τ_c} with τ_c = λL/(2D) (VALIDATION.md item 11)."""
    _, _, sol = charging
    lam = debye(10.0, 2e24)
    length, d = 200e-9, 1e-12
    tau = lam * length / (2 * d)
    sigma = E**2 * 2e24 * d / (KT * E)
    initial = 0.01 * sigma / length
    t, current = np.asarray(sol.t), -np.asarray(sol.current)
    np.testing.assert_allclose(current[0], initial, rtol=1e-3)
    window = (t > 0.5 * tau) & (t < 4 * tau)
    slope = np.polyfit(t[window], np.log(current[window]), 1)[0]
    assert abs(-1 / slope / tau - 1) < 0.05
    # the charge stored at the end is the series double-layer capacitance ε/(2λ) times V
    charge = np.asarray(sol.electrode_charge)[-1]
    np.testing.assert_allclose(charge[1], 10.0 * EPS0 / (2 * lam) * 0.01, rtol=0.03)
    np.testing.assert_allclose(charge[0], -charge[1], rtol=1e-8)


def test_final_state_is_the_equilibrium_at_the_applied_potential(charging):
    junction, mesh, sol = charging
    amounts = {"A+": sol.amount_of("A+")[-1], "B-": sol.amount_of("B-")[-1]}
    closed = pj.Junction(
        junction.phases,
        pj.Closed(amounts=amounts),
        left=pj.Electrode(0.0),
        right=pj.Electrode(0.01),
        species=SPECIES,
        temperature=T,
    )
    eq = pj.solve_equilibrium(closed, mesh=mesh)
    phi = np.asarray(sol.phi[-1])
    np.testing.assert_allclose(phi - phi[0], np.asarray(eq.phi - eq.phi[0]), atol=1e-7 * 0.01)
    np.testing.assert_allclose(sol.concentration[-1], eq.concentration, rtol=1e-6)


def _two_phase(initial_thickness=50e-9):
    """Two phases with different μ° for the cation: a space-charge layer forms from uniform."""
    left = binary(initial_thickness, name="a")
    right_carriers = {
        "A+": pj.Carrier(0.1, 1e28, diffusivity=3e-12),
        "B-": pj.Carrier(0.0, 1e28, diffusivity=1e-12),
    }
    right = pj.Phase("b", eps_r=20.0, carriers=right_carriers, thickness=initial_thickness)
    return pj.Junction(
        [left, right],
        pj.ReferenceBulk("a", {"A+": 1e24, "B-": 1e24}, potentials={"B-@b": -0.1366}),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        interfaces=[pj.Interface(blocked=("B-",))],
        species=SPECIES,
        temperature=T,
    )


def test_relaxation_from_uniform_ends_on_equilibrium():
    """VALIDATION.md item 10: amounts conserved to round-off; the end state is the
    Poisson–Boltzmann equilibrium of the same amounts."""
    junction = _two_phase()
    mesh = pj.Mesh.auto(junction)
    sol = pj.solve_transient(junction, jnp.logspace(-13, 1, 15), initial="uniform", mesh=mesh)
    amounts = np.asarray(sol.amounts)
    np.testing.assert_allclose(amounts, amounts[0] * np.ones_like(amounts), rtol=1e-10)
    assert sol.channels == ("A+", "B-@a", "B-@b")
    closed = pj.Junction(
        junction.phases,
        pj.Closed(
            amounts={
                "A+": sol.amount_of("A+")[0],
                "B-@a": sol.amount_of("B-@a")[0],
                "B-@b": sol.amount_of("B-@b")[0],
            }
        ),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        interfaces=junction.interfaces,
        species=SPECIES,
        temperature=T,
    )
    eq = pj.solve_equilibrium(closed, mesh=mesh)
    phi = np.asarray(sol.phi[-1])
    np.testing.assert_allclose(phi - phi[0], np.asarray(eq.phi - eq.phi[0]), atol=1e-7)
    np.testing.assert_allclose(sol.concentration[-1], eq.concentration, rtol=1e-6, atol=1e10)
    # the layer formed: far from uniform at the end
    assert float(jnp.max(jnp.abs(sol.phi[-1] - sol.phi[0]))) > 2 * KT


def test_dielectric_relaxation_at_the_debye_time():
    """A charge perturbation cos(πx/L) of an insulated binary electrolyte (equal D) decays at
    the rate D(κ² + k²): the Debye time λ²/D at long wavelength."""
    length, c0, d = 100e-9, 1e24, 1e-12
    junction = pj.Junction(
        [binary(length, c0, d_plus=d, d_minus=d)],
        pj.ReferenceBulk("el", {"A+": c0, "B-": c0}),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        species=SPECIES,
        temperature=T,
    )
    mesh = pj.Mesh.from_nodes(junction, np.linspace(0, length, 201))
    base = pj.solve_transient(junction, jnp.array([1e-15]), mesh=mesh)
    state = np.asarray(base.state[-1]).reshape(201, 3).copy()
    x = np.linspace(0, length, 201)
    state[:, 1] *= 1 + 1e-4 * np.cos(np.pi * x / length)
    lam = debye(10.0, 2 * c0)
    rate = d * (1 / lam**2 + (np.pi / length) ** 2)
    times = jnp.array([0.5, 1.0, 2.0]) / rate
    sol = pj.solve_transient(
        junction,
        times,
        initial=jnp.asarray(state.reshape(-1)),
        mesh=mesh,
        stepping=pj.TimeStepping(rtol=1e-8),
    )
    charge = sol.concentration_of("A+") - sol.concentration_of("B-")
    mode = np.asarray(charge @ np.cos(np.pi * np.asarray(sol.x) / length))
    fitted = -np.polyfit(np.asarray(times), np.log(mode), 1)[0]
    np.testing.assert_allclose(fitted, rate, rtol=1e-2)


def test_temporal_convergence_follows_the_tolerance():
    junction = blocking_cell(length=100e-9)
    mesh = pj.Mesh.auto(junction)
    times = jnp.logspace(-8, -5, 3)
    step = pj.Step(0.0, 0.2, 0.0)
    reference = pj.solve_transient(
        junction, times, voltage=step, mesh=mesh, stepping=pj.TimeStepping(rtol=1e-10)
    )
    errors = []
    for rtol in (1e-3, 1e-5, 1e-7):  # noqa: B007
        stepping = pj.TimeStepping(rtol=rtol)
        sol = pj.solve_transient(junction, times, voltage=step, mesh=mesh, stepping=stepping)
        errors.append(float(jnp.max(jnp.abs(sol.current / reference.current - 1))))
    # each hundredfold tightening gains at least a factor 5, down to about the tolerance
    assert errors[1] < errors[0] / 5 and errors[2] < errors[1] / 5
    assert errors[2] < 1e-6


def test_galvanostatic_charging_and_open_circuit():
    """Constant current into a blocking cell: after the RC time the voltage grows at I/C with
    C = ε/(2λ); at zero current nothing moves."""
    junction = blocking_cell(length=100e-9)
    mesh = pj.Mesh.auto(junction)
    lam = debye(10.0, 2e24)
    capacitance = 10.0 * EPS0 / (2 * lam)
    current = 0.05
    tau = lam * 100e-9 / 2e-12
    times = jnp.array([5.0, 6.0, 7.0]) * tau
    sol = pj.solve_transient(junction, times, current=current, mesh=mesh)
    slope = np.polyfit(np.asarray(times), np.asarray(sol.voltage), 1)[0]
    np.testing.assert_allclose(slope, -current / capacitance, rtol=0.02)
    np.testing.assert_allclose(sol.current, current, rtol=1e-12)
    rest = pj.solve_transient(junction, jnp.array([1e-6, 1.0]), current=0.0, mesh=mesh)
    np.testing.assert_allclose(rest.voltage, 0.0, atol=1e-9)


def test_gradient_through_a_transient_matches_finite_differences():
    junction = blocking_cell(length=100e-9)
    mesh = pj.Mesh.auto(junction)
    times = jnp.array([1e-6, 1e-5])

    def current(d):
        cell = blocking_cell(length=100e-9, d_plus=d, d_minus=1e-12)
        stepping = pj.TimeStepping(rtol=1e-9)
        sol = pj.solve_transient(cell, times, voltage=0.01, mesh=mesh, stepping=stepping)
        return sol.current[-1]

    d0 = 2e-12
    grad = jax.grad(current)(d0)
    h = 1e-4 * d0
    fd = (current(d0 + h) - current(d0 - h)) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-4)
    del junction


def test_waveforms_drive_the_right_contact():
    junction = blocking_cell(length=100e-9)
    mesh = pj.Mesh.auto(junction)
    sweep = pj.LinearSweep(0.0, 10.0)  # 10 V/s
    times = jnp.array([1e-3, 1.5e-3])  # 8 and 11 RC times
    sol = pj.solve_transient(junction, times, voltage=sweep, mesh=mesh)
    np.testing.assert_allclose(sol.voltage, 10.0 * np.asarray(times), rtol=1e-9)
    # after a few RC times a sweep charges the double layers at C dV/dt
    lam = debye(10.0, 2e24)
    np.testing.assert_allclose(-sol.current[-1], 10.0 * EPS0 / (2 * lam) * 10.0, rtol=0.02)
    fn = pj.solve_transient(junction, times, voltage=lambda t: 10.0 * t, mesh=mesh)
    np.testing.assert_allclose(fn.current, sol.current, rtol=1e-8)


def test_bad_transient_input():
    junction = blocking_cell()
    with pytest.raises(ValueError, match="strictly increasing"):
        pj.solve_transient(junction, jnp.array([1.0, 0.5]))
    with pytest.raises(ValueError, match="not both"):
        pj.solve_transient(junction, jnp.array([1.0]), voltage=0.1, current=1.0)
    insulated = pj.Junction(
        junction.phases, junction.state, left=pj.Symmetry(), right=pj.Symmetry(), species=SPECIES
    )
    with pytest.raises(ValueError, match="right boundary must be an Electrode or Ohmic"):
        pj.solve_transient(insulated, jnp.array([1.0]), voltage=0.1)
    one_sided = pj.Junction(
        junction.phases, junction.state, left=pj.Symmetry(), right=pj.Electrode(), species=SPECIES
    )
    with pytest.raises(ValueError, match="contacts at both ends"):
        pj.solve_transient(one_sided, jnp.array([1.0]), current=1.0)
    no_d = pj.Junction(
        [
            pj.Phase(
                "el",
                eps_r=10.0,
                thickness=1e-7,
                carriers={"A+": pj.Carrier(0.0, 1e28), "B-": pj.Carrier(0.0, 1e28)},
            )
        ],
        junction.state,
        left=pj.Electrode(),
        right=pj.Electrode(),
        species=SPECIES,
    )
    with pytest.raises(ValueError, match="has no diffusivity"):
        pj.solve_transient(no_d, jnp.array([1.0]))
    with pytest.raises(TypeError, match="expected a waveform"):
        pj.solve_transient(junction, jnp.array([1.0]), voltage="1 V")
    with pytest.raises(ValueError, match="shape"):
        pj.solve_transient(junction, jnp.array([1.0]), initial=jnp.zeros(3))


def test_nonideal_relaxation_ends_on_the_saturated_equilibrium():
    """Lattice saturation of the cation in phase b, across a transparent interface (the
    interface node splits its amount by equal electrochemical potential through the activity
    model): relaxation from uniform ends on the equilibrium of the same amounts."""
    left = binary(30e-9, name="a")
    right_carriers = {
        "A+": pj.Carrier(-0.2, 2e25, diffusivity=3e-12),
        "B-": pj.Carrier(0.0, 1e28, diffusivity=1e-12),
    }
    right = pj.Phase(
        "b",
        eps_r=20.0,
        carriers=right_carriers,
        thickness=30e-9,
        activity=(pj.LatticeSaturation("A+"),),
    )
    junction = pj.Junction(
        [left, right],
        pj.ReferenceBulk("a", {"A+": 1e24, "B-": 1e24}, potentials={"B-@b": -0.1366}),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        interfaces=[pj.Interface(blocked=("B-",))],
        species=SPECIES,
        temperature=T,
    )
    mesh = pj.Mesh.auto(junction)
    # 100 diffusion times L²/D
    sol = pj.solve_transient(junction, jnp.logspace(-11, -1, 5), initial="uniform", mesh=mesh)
    amounts = np.asarray(sol.amounts)
    np.testing.assert_allclose(amounts, amounts[0] * np.ones_like(amounts), rtol=1e-10)
    closed = pj.Junction(
        junction.phases,
        pj.Closed(amounts={k: sol.amount_of(k)[0] for k in sol.channels}),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        interfaces=junction.interfaces,
        species=SPECIES,
        temperature=T,
    )
    eq = pj.solve_equilibrium(closed, mesh=mesh)
    phi = np.asarray(sol.phi[-1])
    np.testing.assert_allclose(phi - phi[0], np.asarray(eq.phi - eq.phi[0]), atol=1e-7)
    np.testing.assert_allclose(sol.concentration[-1], eq.concentration, rtol=1e-6, atol=1e10)
    # saturation acts: the cation in b approaches its 2e25 m^-3 sites near the interface
    assert float(jnp.max(sol.concentration_of("A+")[-1])) > 0.5 * 2e25


def test_vmap_over_a_batch_equals_a_loop():
    mesh = pj.Mesh.auto(blocking_cell(length=100e-9))
    times = jnp.array([1e-6, 1e-5])

    def current(d):
        cell = blocking_cell(length=100e-9, d_plus=d, d_minus=1e-12)
        return pj.solve_transient(cell, times, voltage=0.01, mesh=mesh).current

    ds = jnp.array([1e-12, 3e-12])
    batched = jax.vmap(current)(ds)
    looped = jnp.stack([current(d) for d in ds])
    # batched Newton loops run every member to the slowest's iteration count: agreement to the
    # stage-Newton tolerance, far inside the integration tolerance
    np.testing.assert_allclose(batched, looped, rtol=1e-7)


def test_steady_state_event_and_cyclic_sweep():
    junction = blocking_cell(length=100e-9)
    mesh = pj.Mesh.auto(junction)
    times = jnp.logspace(-9, 2, 12)
    stepping = pj.TimeStepping(steady_tolerance=1e-6)
    sol = pj.solve_transient(junction, times, voltage=0.01, mesh=mesh, stepping=stepping)
    # stopped early: the later saved states repeat the final one
    np.testing.assert_allclose(sol.phi[-1], sol.phi[-2], rtol=0, atol=1e-15)
    assert sol.result == pj.RESULTS.successful
    lam = debye(10.0, 2e24)
    np.testing.assert_allclose(
        sol.electrode_charge[-1, 1], 10.0 * EPS0 / (2 * lam) * 0.01, rtol=0.03
    )
    # a slow triangle sweep: capacitive current C dV/dt changes sign at the vertex
    sweep = pj.CyclicSweep(0.0, 0.02, 10.0)
    cv = pj.solve_transient(junction, jnp.array([1e-3, 3e-3]), voltage=sweep, mesh=mesh)
    capacitance = 10.0 * EPS0 / (2 * lam)
    np.testing.assert_allclose(cv.current, [-10.0 * capacitance, 10.0 * capacitance], rtol=0.05)


def test_time_stepping_settings_are_checked_at_construction():
    for settings, name in (
        ({"rtol": 1.0}, "rtol"),
        ({"atol": 0.0}, "atol"),
        ({"max_steps": 0}, "max_steps"),
        ({"steady_tolerance": 0.0}, "steady_tolerance"),
    ):
        with pytest.raises(ValueError, match=f"TimeStepping: {name}"):
            pj.TimeStepping(**settings)
    with pytest.raises(TypeError, match="stepping must be a pnpjax.TimeStepping"):
        pj.solve_transient(blocking_cell(length=100e-9), [1e-6], voltage=0.01, stepping=1e-6)
