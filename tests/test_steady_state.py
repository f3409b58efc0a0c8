"""Steady states under bias (VALIDATION.md item 12), interface kinetics and bulk reactions."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
from helpers import background_ion_phase, n_type, single_ion_cell

import pnpjax as pj

E = 1.602176634e-19
T = 300.0
KT = 1.380649e-23 * T / E
NC, NV, EG = 2.8e25, 1.04e25, 1.12
DN, DP = 3.6e-3, 1.2e-3
DOPING = 1e22


def silicon(name, background, thickness, tau=None):
    carriers = {
        "e'": pj.Carrier(EG, NC, diffusivity=DN),
        "h^•": pj.Carrier(0.0, NV, diffusivity=DP),
    }
    reactions = (pj.ShockleyReadHall(tau, tau),) if tau is not None else ()
    return pj.Phase(
        name,
        eps_r=11.7,
        carriers=carriers,
        thickness=thickness,
        background_charge=background,
        reactions=reactions,
    )


@pytest.fixture(scope="module")
def diode():
    """An abrupt Si pn diode, 1e22 m^-3 each side. SRH (τ = 100 ns, diffusion lengths 19 and
    11 µm) acts only in the quasi-neutral regions: the ideal-diode assumption."""
    tau = 1e-7
    phases = [
        silicon("n", DOPING, 150e-6, tau),
        silicon("n-depletion", DOPING, 0.3e-6),
        silicon("p-depletion", -DOPING, 0.3e-6),
        silicon("p", -DOPING, 150e-6, tau),
    ]
    junction = pj.Junction(
        phases,
        pj.ReferenceBulk("n", {"e'": DOPING}),
        left=pj.Ohmic(),
        right=pj.Ohmic(),
        temperature=T,
    )
    mesh = pj.Mesh.auto(junction)
    return junction, mesh, tau


def test_zero_bias_steady_state_is_the_equilibrium(diode):
    junction, mesh, _ = diode
    eq = pj.solve_equilibrium(junction, mesh=mesh)
    steady = pj.solve_steady_state(junction, voltage=0.0, mesh=mesh)
    np.testing.assert_allclose(steady.phi[0], eq.phi, atol=1e-12)
    np.testing.assert_allclose(steady.concentration[0], eq.concentration, rtol=1e-10)
    ni2 = NC * NV * np.exp(-EG / KT)
    np.testing.assert_allclose(
        -eq.built_in_potential[1] - eq.built_in_potential[0] - eq.built_in_potential[2],
        KT * np.log(DOPING**2 / ni2),
        rtol=1e-6,
    )


def test_one_newton_object_sets_every_transport_solve(diode):
    """`solver=None` is the documented default (the same compiled solve as spelling it out);
    a ramp of zero stages and the loose keywords of old are refused before anything runs."""
    junction, mesh, _ = diode
    default = pj.solve_steady_state(junction, voltage=0.0, mesh=mesh)
    solver = pj.Newton(max_steps=100, atol=1e-9, rtol=0.0, residual_tol=None)
    explicit = pj.solve_steady_state(junction, voltage=0.0, mesh=mesh, solver=solver)
    np.testing.assert_array_equal(explicit.phi, default.phi)
    assert int(explicit.steps) == int(default.steps)
    no_ramp = pj.Newton(continuation_steps=0)
    calls = {
        "solve_steady_state": lambda: pj.solve_steady_state(junction, mesh=mesh, solver=no_ramp),
        "iv_curve": lambda: pj.iv_curve(junction, [0.1], mesh=mesh, solver=no_ramp),
        "impedance": lambda: pj.impedance(junction, [1.0], mesh=mesh, solver=no_ramp),
    }
    for caller, call in calls.items():
        with pytest.raises(ValueError, match=f"{caller}: solver.continuation_steps must be >= 1"):
            call()
    with pytest.raises(TypeError):
        pj.solve_steady_state(junction, voltage=0.1, mesh=mesh, max_steps=10)
    with pytest.raises(TypeError, match="solver must be a pnpjax.Newton"):
        pj.iv_curve(junction, [0.1], mesh=mesh, solver=pj.TimeStepping())


def test_shockley_diode_law_and_uniform_current(diode):
    junction, mesh, tau = diode
    volts = jnp.array([-0.2, 0.05, 0.15, 0.25])
    curve = pj.iv_curve(junction, volts, mesh=mesh)
    assert curve.result == pj.RESULTS.successful
    ni2 = NC * NV * np.exp(-EG / KT)
    saturation = E * ni2 * (DP / (np.sqrt(DP * tau) * DOPING) + DN / (np.sqrt(DN * tau) * DOPING))
    shockley = -saturation * np.expm1(np.asarray(volts) / KT)
    # a few per cent from the 0.3 µm recombination-free margins beside the depletion layer
    np.testing.assert_allclose(curve.current, shockley, rtol=0.02)
    np.testing.assert_allclose(curve.voltage, volts, atol=1e-12)
    # the total current is uniform in x: particle current of every cell
    from pnpjax._discretise import fluxes, transport_rows, transport_state
    from pnpjax._model.drives import make_drive
    from pnpjax._solvers.transport_start import prepare

    system = prepare(junction, mesh, make_drive(0.0, None)).system
    staged = jax.tree_util.tree_map(lambda a: a, system)
    state = transport_state.local_state(staged, curve.state[-1])
    flows = fluxes.edge_fluxes(staged, *transport_rows.flux_args(state))
    particle = np.asarray(flows @ staged.problem.layout.z) * float(system.current_scale)
    # in the quasi-neutral regions a majority flux is the difference of drift and diffusion
    # terms ~1e10 times larger, so round-off (~1e-14 of those terms) sets this floor
    np.testing.assert_allclose(particle, curve.current[-1], rtol=1e-3)


def test_srh_recombination_current_in_the_depletion_layer():
    """With SRH everywhere, forward current at low bias is dominated by recombination in the
    depletion layer: ideality factor close to 2 (Sah–Noyce–Shockley)."""
    phases = [silicon("n", DOPING, 20e-6, 1e-8), silicon("p", -DOPING, 20e-6, 1e-8)]
    junction = pj.Junction(
        phases,
        pj.ReferenceBulk("n", {"e'": DOPING}),
        left=pj.Ohmic(),
        right=pj.Ohmic(),
        temperature=T,
    )
    curve = pj.iv_curve(junction, jnp.array([0.10, 0.15]))
    ideality = 0.05 / (KT * np.log(float(curve.current[1] / curve.current[0])))
    assert 1.7 < ideality < 2.0


def test_gradient_through_a_steady_state():
    """d(current)/dτ by the implicit function theorem (forward and reverse mode) against
    central differences. The current is a small difference of drift and diffusion fluxes in
    the quasi-neutral regions, so the difference step must be large (1 % of τ)."""

    def current(tau):
        phases = [silicon("n", DOPING, 20e-6, tau), silicon("p", -DOPING, 20e-6, tau)]
        cell = pj.Junction(
            phases,
            pj.ReferenceBulk("n", {"e'": DOPING}),
            left=pj.Ohmic(),
            right=pj.Ohmic(),
            temperature=T,
        )
        return pj.solve_steady_state(cell, voltage=0.3, mesh=mesh).current[0]

    tau = 1e-8
    phases = [silicon("n", DOPING, 20e-6, tau), silicon("p", -DOPING, 20e-6, tau)]
    mesh = pj.Mesh.auto(
        pj.Junction(
            phases,
            pj.ReferenceBulk("n", {"e'": DOPING}),
            left=pj.Ohmic(),
            right=pj.Ohmic(),
            temperature=T,
        )
    )
    grad = jax.grad(current)(tau)
    forward = jax.jvp(current, (tau,), (1.0,))[1]
    np.testing.assert_allclose(forward, grad, rtol=1e-9)
    h = 1e-2 * tau
    fd = (current(tau + h) - current(tau - h)) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=2e-3)
    assert float(grad) > 0  # longer lifetimes, less recombination current (I < 0 here)


def _bv_overpotential(current, j0, alpha):
    """η (V) with current = j0 [exp(α eη/kT) − exp(−(1−α) eη/kT)]."""
    return scipy.optimize.brentq(
        lambda eta: j0 * (np.exp(alpha * eta / KT) - np.exp(-(1 - alpha) * eta / KT)) - current,
        -2.0,
        2.0,
        xtol=1e-15,
    )


@pytest.mark.parametrize("layers", [1, 2])
def test_butler_volmer_electrodes_and_interface(layers):
    """A single-ion conductor stays uniform, so V = IR + Σ η_BV(I): the current solves that
    scalar equation (electrode kinetics at both ends; interfacial kinetics between layers)."""
    j0 = (20.0, 50.0, 10.0)
    cell = single_ion_cell(j0[0], j0[1], j0[2] if layers == 2 else None, temperature=T)
    volts = 0.1
    steady = pj.solve_steady_state(cell, voltage=volts)
    current = -float(steady.current[0])  # positive: Li^+ flows right → left
    sigma = E**2 * 1e26 * 1e-12 / (KT * E)
    resistance = layers * 50e-9 / sigma

    def balance(i):
        drop = i * resistance + _bv_overpotential(i, j0[0], 0.5) + _bv_overpotential(i, j0[1], 0.3)
        if layers == 2:
            drop += _bv_overpotential(i, j0[2], 0.5)
        return drop - volts

    expected = scipy.optimize.brentq(balance, 1e-6, 1e3, xtol=1e-14)
    # the closed form neglects the thin space charge the current builds at each contact
    # (6e-4 of the current here)
    np.testing.assert_allclose(current, expected, rtol=1e-3)
    # Li^+ is exchanged, not conserved: the electrode fluxes carry the whole current
    np.testing.assert_allclose(steady.ionic_current[0], steady.current[0], rtol=1e-8)
    np.testing.assert_allclose(steady.electronic_current, 0.0)
    # galvanostatic: driving that current back gives the voltage
    back = pj.solve_steady_state(cell, current=float(steady.current[0]))
    np.testing.assert_allclose(back.voltage, volts, rtol=1e-6)


def test_mass_action_reaction_relaxes_to_its_equilibrium_constant():
    """Frenkel pairs 0 = Li_i^• + V_Li' created from a defect-poor start: the product
    c_i c_v reaches K = N_i N_v e^{−(μ°_i + μ°_v)/kT} and the equilibrium is unchanged."""
    carriers = {
        "Li_i^•": pj.Carrier(0.3, 1e28, diffusivity=1e-14),
        "V_Li'": pj.Carrier(0.3, 1e28, diffusivity=1e-14),
    }
    rate = pj.MassAction("0 = Li_i^• + V_Li'", 1e30)
    phase = pj.Phase("c", eps_r=10.0, carriers=carriers, thickness=20e-9, reactions=(rate,))
    k_eq = 1e56 * np.exp(-0.6 / KT)
    junction = pj.Junction(
        [phase],
        pj.ReferenceBulk("c", {"Li_i^•": 1e-3 * np.sqrt(k_eq), "V_Li'": 1e-3 * np.sqrt(k_eq)}),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        temperature=T,
    )
    sol = pj.solve_transient(junction, jnp.array([1e-6, 1.0]), initial="uniform")
    product = sol.concentration_of("Li_i^•")[-1] * sol.concentration_of("V_Li'")[-1]
    np.testing.assert_allclose(product, k_eq, rtol=1e-6)
    # the pairs were generated: from 1e-3 √K to √K, uniformly over the 20 nm film
    np.testing.assert_allclose(sol.amount_of("Li_i^•")[-1], np.sqrt(k_eq) * 20e-9, rtol=1e-6)


def test_bad_steady_input(diode):
    junction, mesh, _ = diode
    with pytest.raises(TypeError, match="constant drive"):
        pj.solve_steady_state(junction, voltage=pj.Step(0.0, 0.1, 1.0), mesh=mesh)
    with pytest.raises(ValueError, match="1D array"):
        pj.iv_curve(junction, jnp.zeros((2, 2)), mesh=mesh)
    with pytest.raises(ValueError, match="biased"):
        biased = pj.Junction(
            junction.phases, junction.state, left=pj.Ohmic(), right=pj.Ohmic(0.1), temperature=T
        )
        pj.solve_equilibrium(biased, mesh=mesh)
    with pytest.raises(ValueError, match="Closed state forbids"):
        pj.Junction(
            junction.phases, pj.Closed(amounts={"E_F": 0.0}), left=pj.Ohmic(), right=pj.Ohmic()
        )
    with pytest.raises(ValueError, match="both blocked and given"):
        pj.Interface(blocked=("Li_i^•",), kinetics=(pj.ButlerVolmer("Li_i^•", 1.0),))
    with pytest.raises(ValueError, match="exchange_current"):
        pj.ButlerVolmer("Li_i^•", 0.0)
    with pytest.raises(ValueError, match="symmetry"):
        pj.ButlerVolmer("Li_i^•", 1.0, symmetry=1.5)
    with pytest.raises(ValueError, match="tau_n"):
        pj.ShockleyReadHall(-1.0, 1.0)
    with pytest.raises(ValueError, match="not charge balanced"):
        pj.MassAction("0 = Li_i^•", 1.0)
    with pytest.raises(ValueError, match="not a species of the junction"):
        bad = pj.Phase(
            "x",
            eps_r=5.0,
            thickness=1e-8,
            carriers={"Li_i^•": pj.Carrier(0.0, 1e28, diffusivity=1e-12)},
            background_charge=-1e26,
            reactions=(pj.ShockleyReadHall(1e-9, 1e-9),),
        )
        pj.Junction(
            [bad], pj.ReferenceBulk("x", {"Li_i^•": 1e26}), left=pj.Symmetry(), right=pj.Symmetry()
        )


def test_a_single_closed_carrier_needs_no_lucky_pivot():
    """Electrons between two blocking electrodes: their amount is conserved, so the continuity
    rows are linearly dependent and the Jacobian singular. One row carries the conservation
    law instead; before, the factorisation met a zero pivot and returned NaN (1 µm cell, under
    the compiled continuation scan)."""
    cell = pj.Junction(
        [n_type(1e-6, 1e22, 1e-4, sites=1e25)],
        pj.ReferenceBulk("n", {"e'": 1e22}),
        left=pj.Electrode(0.0),
        right=pj.Electrode(0.0),
        temperature=T,
    )
    mesh = pj.Mesh.auto(cell)
    eq = pj.solve_equilibrium(cell, mesh=mesh)
    states = [pj.solve_steady_state(cell, voltage=v, mesh=mesh) for v in (0.0, 0.2)]
    assert all(s.result == pj.RESULTS.successful for s in states)
    np.testing.assert_allclose(states[0].concentration[0], eq.concentration, rtol=1e-9)
    # the electrons' amount is held through the bias
    np.testing.assert_allclose(states[1].amount_of("e'"), states[0].amount_of("e'"), rtol=1e-10)
    np.testing.assert_allclose(states[0].amount_of("e'"), 1e22 * 1e-6, rtol=1e-6)
    assert float(states[1].electrode_charge[0, 1]) > 0  # the bias charged the electrodes


def test_a_closed_ion_against_a_background_between_blocking_electrodes():
    """One mobile ion against a fixed background, its amount closed by blocking electrodes:
    the singular direction of the Jacobian (adding ions) leaves the neutral bulk's amount alone
    and shifts only its potential, so the conservation law's pivot must sit where φ is pinned
    (an electrode node). At a bulk pivot the bordered solve's block part was singular: NaN."""
    cell = pj.Junction(
        [background_ion_phase()],
        pj.Closed({"Li_i^•": 1e25 * 200e-9}),
        left=pj.Electrode(0.0),
        right=pj.Electrode(0.0),
        temperature=T,
    )
    mesh = pj.Mesh.from_nodes(cell, np.linspace(0.0, 200e-9, 61))
    eq = pj.solve_equilibrium(cell, mesh=mesh)
    states = [pj.solve_steady_state(cell, voltage=v, mesh=mesh) for v in (0.0, 0.1)]
    assert all(s.result == pj.RESULTS.successful for s in states)
    np.testing.assert_allclose(states[0].concentration[0], eq.concentration, rtol=1e-9)
    np.testing.assert_allclose(states[1].amount_of("Li_i^•"), 1e25 * 200e-9, rtol=1e-10)
    assert float(states[1].electrode_charge[0, 1]) > 0


def test_an_ohmic_contact_on_a_phase_without_one_of_the_carriers():
    """Electrons live in the left phase only; the right phase ends on an ohmic contact. Their
    slot at the contact node is absent and must keep the row y = 0 (it was set to zero, a zero
    row that made every Newton step NaN)."""
    carriers = {"Li_i^•": pj.Carrier(0.0, 1e28, diffusivity=1e-14)}
    mixed = pj.Phase(
        "mixed",
        eps_r=10.0,
        thickness=50e-9,
        carriers={**carriers, "e'": pj.Carrier(0.3, 1e27, diffusivity=1e-8)},
        background_charge=-1e25,
    )
    ionic = pj.Phase(
        "ionic", eps_r=30.0, thickness=50e-9, carriers=carriers, background_charge=-1e25
    )
    cell = pj.Junction(
        [mixed, ionic],
        pj.ReferenceBulk("ionic", {"Li_i^•": 1e25}, potentials={"E_F": 0.0}),
        left=pj.Electrode(0.0),
        right=pj.Ohmic(),
        temperature=T,
    )
    mesh = pj.Mesh.from_nodes(cell, np.linspace(0.0, 100e-9, 61))
    eq = pj.solve_equilibrium(cell, mesh=mesh)
    states = [pj.solve_steady_state(cell, voltage=v, mesh=mesh) for v in (0.0, 0.05)]
    assert all(s.result == pj.RESULTS.successful for s in states)
    present = np.asarray(eq.concentration) > 0
    np.testing.assert_allclose(
        np.asarray(states[0].concentration[0])[present],
        np.asarray(eq.concentration)[present],
        rtol=1e-8,
    )
    # blocked at the electrode, the steady current is zero
    assert abs(float(states[1].current[0])) < 1e-9 * abs(float(states[1].electrode_charge[0, 0]))
