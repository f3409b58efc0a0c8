"""Coupled heat and mass transport (VALIDATION item 14): Soret and Dufour effects, Joule and
Peltier heat, Onsager reciprocity, entropy production, energy conservation, the isothermal
limit and gradients with respect to heats of transport."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import (
    KB,
    SPECIES,
    E,
    L,
    T,
    X,
    background_ion_phase,
    binary,
    closed_film,
    neutral,
    ohmic_conductor,
)

import pnpjax as pj
from pnpjax._discretise import fluxes, heat, transport_rows, transport_state
from pnpjax._model.drives import make_drive
from pnpjax._solvers import transport_start

KBEV = KB / E


def uniform_mesh(junction, nodes=41, length=L):
    return pj.Mesh.from_nodes(junction, np.linspace(0.0, length, nodes))


@pytest.fixture(scope="module")
def soret_mesh():
    return uniform_mesh(neutral())


def soret_profile(q, mesh):
    return pj.solve_steady_state(neutral(heat_of_transport=q), mesh=mesh)


def test_soret_steady_state_is_exact(soret_mesh):
    """Zero flux in a temperature gradient: ∇ln c = −Q*∇T/k_BT² = −S_T∇T, so
    c ∝ exp(Q*/k_BT) at every node (exact for the exponentially fitted flux)."""
    sol = soret_profile(jnp.asarray(0.1), soret_mesh)
    temperature = np.asarray(sol.temperature[0])
    c = np.asarray(sol.concentration[0, 0])
    x = np.asarray(sol.x)
    # conduction alone carries heat at zero particle flux: T is linear
    np.testing.assert_allclose(temperature, 320.0 - 40.0 * x / L, rtol=0, atol=1e-10)
    expected = np.exp(0.1 / (KBEV * temperature))
    expected *= c.sum() / expected.sum()
    np.testing.assert_allclose(c, expected, rtol=1e-12)
    # the Soret coefficient form at the middle node: S_T(T) = Q*/k_BT²
    mid = len(x) // 2
    slope = (np.log(c[mid + 1]) - np.log(c[mid - 1])) / (
        temperature[mid + 1] - temperature[mid - 1]
    )
    assert abs(slope / -(0.1 / (KBEV * temperature[mid] ** 2)) - 1) < 1e-4  # O(h²)
    # ThermalTransport(soret=...) converts with k_BT0² at the junction's temperature T0
    s_t = 0.1 / (KBEV * T**2)
    q_star = pj.ThermalTransport(1.0, 2e6, soret={"X": s_t}).coefficients({}, KBEV * T)[1]["X"]
    assert abs(float(q_star) / 0.1 - 1) < 1e-13
    # a single heat current, no entropy production beyond conduction: κΔT²/(L T_hot T_cold)
    np.testing.assert_allclose(
        sol.entropy_production[0], 1.0 * 40.0**2 / (L * 320 * 280), rtol=1e-9
    )
    np.testing.assert_allclose(sol.heat_flux[0], 1.0 * 40.0 / L, rtol=1e-9)


def test_gradient_with_respect_to_the_heat_of_transport(soret_mesh):
    """d c(hot end)/dQ* by implicit differentiation against central differences, and against
    the closed form."""

    def hot_end(q):
        return soret_profile(q, soret_mesh).concentration[0, 0, 0]

    q0, step = 0.1, 1e-4
    grad = float(jax.grad(hot_end)(q0))
    fd = (float(hot_end(q0 + step)) - float(hot_end(q0 - step))) / (2 * step)
    assert abs(grad / fd - 1) < 1e-6
    # closed form: c_0 = N exp(Q*/kT_0)/mean(exp(Q*/kT)) (uniform mesh, equal boxes inside)
    sol = soret_profile(jnp.asarray(q0), soret_mesh)
    temperature = np.asarray(sol.temperature[0])
    weights = np.full(temperature.size, 1.0)
    weights[[0, -1]] = 0.5
    b = 1.0 / (KBEV * temperature)
    w = np.exp(q0 * b)
    c0 = 1e25 * weights.sum() * w[0] / (weights @ w)
    dc0 = c0 * (b[0] - (weights @ (b * w)) / (weights @ w))
    assert abs(grad / dc0 - 1) < 1e-9


def test_ionic_thermopower():
    """A single ion against a fixed background in a temperature gradient (blocking ends): the
    neutral bulk holds c fixed, so zero flux needs the field e∇φ = −Q*∇T/T, i.e.
    Δφ = −(Q*/e) ln(T2/T1) between two bulk points (the initial ionic Seebeck effect)."""
    phase = background_ion_phase(
        thermal=pj.ThermalTransport(2.0, 2e6, heat_of_transport={"Li_i^•": 0.2})
    )
    junction = pj.Junction(
        [phase],
        pj.Closed({"Li_i^•": 1e25 * 200e-9}),
        left=pj.Electrode(0.0),
        right=pj.Electrode(0.0),
        temperature=T,
        thermal_left=pj.FixedTemperature(320.0),
        thermal_right=pj.FixedTemperature(280.0),
    )
    sol = pj.solve_steady_state(junction, mesh=uniform_mesh(junction, 81, 200e-9))
    phi = np.asarray(sol.phi[0])
    temperature = np.asarray(sol.temperature[0])
    i, k = 27, 54  # bulk points, far from both double layers
    expected = -0.2 * np.log(temperature[k] / temperature[i])
    assert abs((phi[k] - phi[i]) / expected - 1) < 1e-4
    # the neutral bulk keeps the background's concentration (less the 1e-5 share of the ions
    # that the double layers at the blocking ends hold)
    c = np.asarray(sol.concentration[0, 0])
    assert np.all(np.abs(c[i : k + 1] / 1e25 - 1) < 2e-5)


def test_dufour_effect_temperature_follows_concentration():
    """With no conduction (κ = 0) the heat of a box changes only by the Dufour flux
    J_q' = Q*J, whose divergence is Q* times the rate of change of c: so
    C (T − T0) = Q* (c − c0) at every node and time, however the Soret flux from the hot end
    (a fixed-temperature node) drives X. A linear invariant: it holds to round-off."""
    junction = neutral(conductivity=0.0, hot=330.0, cold=None)
    sol = pj.solve_transient(junction, np.logspace(-9, -3, 7), mesh=uniform_mesh(junction))
    temperature = np.asarray(sol.temperature)[:, 1:]
    c = np.asarray(sol.concentration[:, 0])[:, 1:]
    heat = 2e6 * (temperature - T)
    carried = 0.1 * E * (c - 1e25)
    assert np.abs(heat).max() > 1e3  # the effect is there (mK-scale heating)
    np.testing.assert_allclose(heat, carried, rtol=0, atol=1e-9 * np.abs(heat).max())
    # the heat flux is the Dufour flux Q*J with J = −D[∇c + c Q*∇T/k_BT²] (finite differences
    # of the profiles at the interior nodes, O(h²))
    x = np.asarray(sol.x)
    t_all, c_all = np.asarray(sol.temperature[3]), np.asarray(sol.concentration[3, 0])
    dc, dt = np.gradient(c_all, x), np.gradient(t_all, x)
    flux = -1e-12 * (dc + c_all * 0.1 * dt / (KBEV * t_all**2))
    inner = slice(3, -3)
    expected = 0.1 * E * flux[inner]
    np.testing.assert_allclose(
        sol.heat_flux[3][inner], expected, atol=1e-2 * np.abs(expected).max()
    )


def test_joule_heating_gives_the_parabola():
    """A uniform conductor carrying I with both faces at T0: −κT'' = IE, so
    T − T0 = IE x(L − x)/2κ and J_q' = IE(x − L/2) (to O(ΔT/T), the conductivity's own
    temperature dependence)."""
    junction = ohmic_conductor()
    voltage = 0.05
    sol = pj.solve_steady_state(junction, voltage=voltage, mesh=uniform_mesh(junction, 51))
    x = np.asarray(sol.x)
    current = float(sol.current[0])  # A/m², < 0: the right contact is the positive one
    field = -voltage / L  # E = −∇φ in +x
    heating = current * field  # W/m³
    rise = heating * x * (L - x) / (2 * 1e-3)
    temperature = np.asarray(sol.temperature[0]) - T
    assert rise.max() > 1e-3
    np.testing.assert_allclose(temperature, rise, rtol=0, atol=2e-5 * rise.max())
    np.testing.assert_allclose(
        sol.heat_flux[0][1:-1], (heating * (x - L / 2))[1:-1], atol=2e-5 * heating * L / 2
    )
    # Ohm's law with σ = e²Dc/k_BT
    sigma = E**2 * 1e-10 * 1e25 / (KB * T)
    assert abs(current / (sigma * field) - 1) < 1e-4


def test_peltier_heat_at_an_interface():
    """An ionic current crossing from a phase where the ion's entropy is s_b to one where it is
    s_a releases J T (s_a − s_b) per area (μ̃ is continuous, h̃ = μ̃ + Ts̄ jumps by TΔs̄): the
    heat flux jumps by it. Odd in the current, so (jump(+I) − jump(−I))/2 removes Joule heat."""
    junction = ohmic_conductor(second_entropy=3e-4)
    mesh = uniform_mesh(junction, 51)
    jumps = []
    for voltage in (0.05, -0.05):
        sol = pj.solve_steady_state(junction, voltage=voltage, mesh=mesh)
        phase = np.asarray(sol.phase)
        k = int(np.nonzero(np.diff(phase))[0][0])  # the interface's left entry
        flux = np.asarray(sol.heat_flux[0])
        particles = float(sol.current[0]) / E
        jumps.append((flux[k + 1] - flux[k], particles, float(sol.temperature[0][k])))
    (jump_p, particles, t_interface), (jump_m, _, _) = jumps
    peltier = (jump_p - jump_m) / 2
    expected = particles * t_interface * (0.0 - 3e-4) * E  # J T (s_a − s_b), W/m²
    assert abs(expected) > 100.0
    assert abs(peltier / expected - 1) < 1e-4


def test_onsager_matrices_are_symmetric_and_positive_on_random_states():
    """Local Onsager matrices from measured quantities, and their energy representation for
    J_U and the forces ∇(−μ̃/T), ∇(1/T): symmetric, positive semidefinite, and the entropy
    production is the same in both representations (and ≥ 0) for random states and forces."""
    rng = np.random.default_rng(7)
    for _ in range(50):
        n = rng.integers(1, 4)
        a = rng.normal(size=(n, n))
        d = a @ a.T * 1e-12 + np.diag(rng.uniform(0, 1e-12, n))
        c = 10 ** rng.uniform(18, 27, n)
        q = rng.normal(scale=0.3, size=n)
        kappa, temperature = rng.uniform(0, 5), rng.uniform(200, 1500)
        lm = np.asarray(pj.onsager_matrix(d, c, q, kappa, temperature))
        h = rng.normal(scale=2.0, size=n) * E  # J per particle
        lu = np.asarray(pj.energy_representation(lm, h))
        for matrix in (lm, lu):
            assert np.abs(matrix - matrix.T).max() <= 1e-12 * np.abs(matrix).max()
            scale = np.sqrt(np.abs(np.diag(matrix)))
            scale = np.where(scale > 0, scale, 1.0)
            assert np.linalg.eigvalsh(matrix / np.outer(scale, scale)).min() > -1e-9
        # random forces in the heat form, converted: Y = X − h X_q for ∇(−μ̃/T), Y_q = X_q
        forces = rng.normal(size=n + 1) / scale
        energy_forces = forces.copy()
        energy_forces[:n] -= h * forces[n]
        sigma_heat = forces @ lm @ forces
        sigma_energy = energy_forces @ lu @ energy_forces
        assert sigma_heat >= -1e-9 * abs(sigma_heat)
        assert abs(sigma_energy - sigma_heat) <= 1e-8 * abs(sigma_heat) + 1e-300


def test_onsager_matrix_round_trip_and_bad_matrices():
    d = np.array([[2e-12, 0.5e-12], [0.5e-12, 1e-12]])
    c = np.array([1e25, 3e24])
    lm = np.asarray(pj.onsager_matrix(d, c, np.array([0.1, -0.05]), 2.0, 400.0))
    given = pj.OnsagerMatrix(("X", "Y"), lm, {"X": 1e25, "Y": 3e24}, 400.0, heat_capacity=2e6)
    kappa, heats, cross = given.coefficients({}, KBEV * 400.0)
    diffusivities = given.diffusivities()
    assert abs(float(kappa) / 2.0 - 1) < 1e-12
    assert abs(float(heats["X"]) / 0.1 - 1) < 1e-12 and abs(float(heats["Y"]) / -0.05 - 1) < 1e-12
    assert abs(float(cross[("X", "Y")]) / 0.5e-12 - 1) < 1e-12
    assert abs(float(diffusivities["Y"]) / 1e-12 - 1) < 1e-12
    with pytest.raises(ValueError, match="symmetric"):
        pj.OnsagerMatrix(("X",), [[1.0, 2.0], [0.0, 4.0]], {"X": 1e25}, 300.0, 2e6)
    with pytest.raises(ValueError, match="positive semidefinite"):
        pj.OnsagerMatrix(("X",), [[1.0, 2.0], [2.0, 1.0]], {"X": 1e25}, 300.0, 2e6)
    with pytest.raises(ValueError, match=r"must be \(3, 3\)"):
        pj.OnsagerMatrix(("X", "Y"), np.eye(2), {"X": 1.0, "Y": 1.0}, 300.0, 2e6)
    with pytest.raises(ValueError, match="missing \\['Y'\\]"):
        pj.OnsagerMatrix(("X", "Y"), np.eye(3), {"X": 1.0}, 300.0, 2e6)


def test_cross_coupled_onsager_matrix_keeps_the_exact_soret_profiles():
    """Two neutral species coupled through the off-diagonal of a full Onsager matrix, closed in a
    temperature gradient: zero flux of both means each force vanishes, so each follows its own
    c ∝ exp(Q*/k_BT) with Q* = L_mm⁻¹L_mq whatever the cross terms."""
    d = np.array([[2e-12, 0.8e-12], [0.8e-12, 1e-12]])
    q = np.array([0.08, -0.05])
    lm = pj.onsager_matrix(d, np.array([1e25, 1e25]), q, 1.0, T)
    phase = pj.Phase(
        "m",
        eps_r=10.0,
        thickness=L,
        carriers={"X": pj.Carrier(0.0, 1e28), "Y": pj.Carrier(0.1, 1e28)},
        thermal=pj.OnsagerMatrix(("X", "Y"), lm, {"X": 1e25, "Y": 1e25}, T, heat_capacity=2e6),
    )
    junction = pj.Junction(
        [phase],
        pj.Closed({"X": 1e25 * L, "Y": 1e24 * L}),
        left=pj.Electrode(0.0),
        right=pj.Electrode(0.0),
        species=[X, pj.Species("Y", charge=0)],
        temperature=T,
        thermal_left=pj.FixedTemperature(330.0),
        thermal_right=pj.FixedTemperature(270.0),
    )
    sol = pj.solve_steady_state(junction, mesh=uniform_mesh(junction, 31))
    temperature = np.asarray(sol.temperature[0])
    for s, q_star in enumerate(q):
        c = np.asarray(sol.concentration[0, s])
        expected = np.exp(q_star / (KBEV * temperature))
        np.testing.assert_allclose(c / c.mean(), expected / expected.mean(), rtol=1e-11)


def two_phase_closed(heat_of_transport=0.1):
    """Li⁺ in two phases with different μ° and s° (closed, insulating and adiabatic ends)."""

    def phase(name, mu0, entropy, q):
        carriers = {"Li_i^•": pj.Carrier(mu0, 1e28, diffusivity=1e-12, entropy=entropy)}
        return pj.Phase(
            name,
            eps_r=20.0,
            thickness=L,
            carriers=carriers,
            background_charge=-1e25,
            thermal=pj.ThermalTransport(1.0, 2e6, heat_of_transport={"Li_i^•": q}),
        )

    return pj.Junction(
        [phase("a", 0.0, 0.0, heat_of_transport), phase("b", 0.1, 2e-4, 0.0)],
        pj.Closed({"Li_i^•": 2e25 * L}),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        temperature=T,
        thermal_left=pj.HeatFlux(0.0),
        thermal_right=pj.HeatFlux(0.0),
    )


def _energy(system, y):
    """Heat, enthalpy of the ions and field energy (scaled) of a state: their sum is the total
    energy of the closed, adiabatic system (constant h° = μ° + T0 s°, ideal ions)."""
    problem = system.problem
    state = transport_state.local_state(system, y)
    rows = [transport_state.phase_rows(system, side) for side in (0, 1)]
    volumes = (problem.vol_left, problem.vol_right)
    capacity = sum(system.heat.capacity[r] * v for r, v in zip(rows, volumes))
    heat = jnp.sum(capacity * (state.theta - 1.0))
    chemical = 0.0
    for r, v, c in zip(rows, volumes, (state.c_left, state.c_right)):
        h = problem.energy[r] + system.heat.entropy[r]
        chemical = chemical + jnp.sum(h * c * v[:, None])
    du = state.u[:-1] - state.u[1:]
    field = 0.5 * jnp.sum(problem.conductance * du**2)
    return jnp.stack([heat, chemical, field])


def test_adiabatic_closed_system_conserves_energy():
    """Relaxation from uniform bulks: ions move to the phase of lower μ°, the space charge
    builds up, the released enthalpy (and field energy) heats the lattice; the sum is conserved
    to the integration tolerance, and entropy is produced throughout."""
    junction = two_phase_closed()
    mesh = pj.Mesh.from_nodes(junction, np.linspace(0.0, 2 * L, 41))  # conservation is discrete
    times = np.logspace(-10, 0, 6)
    stepping = pj.TimeStepping(rtol=1e-8)
    sol = pj.solve_transient(junction, times, initial="uniform", stepping=stepping, mesh=mesh)
    system = transport_start.prepare(junction, mesh, make_drive(None, None), "uniform").system
    energies = np.asarray(jax.vmap(lambda y: _energy(system, y))(sol.state))
    change = energies - energies[0]
    assert change[-1, 0] > 0  # heated
    assert np.abs(change.sum(axis=1)).max() < 1e-7 * np.abs(change).max()
    temperature = np.asarray(sol.temperature)
    assert temperature[-1].max() - temperature[-1].min() < 1e-9  # uniform again at the end
    assert temperature[-1, 0] > T + 1e-4
    production = np.asarray(sol.entropy_production)
    assert production[0] > 0 and production.min() >= -1e-12 * production.max()  # round-off at rest


def test_discrete_entropy_production_is_non_negative_on_random_states():
    """Cell by cell, for random potentials, amounts and temperatures (0.6–1.4 T0): every
    Scharfetter–Gummel flux has the sign of its driving force, Soret part included, and
    conduction runs down the temperature gradient."""
    junction = two_phase_closed()
    mesh = pj.Mesh.from_nodes(junction, np.linspace(0, 2 * L, 31))
    start = transport_start.prepare(junction, mesh, make_drive(None, None), "uniform")
    system, y0 = start.system, start.y0
    n, b = system.n_nodes, system.block
    key = jax.random.PRNGKey(3)

    def production(key):
        k1, k2, k3 = jax.random.split(key, 3)
        y = y0.reshape(n, b)
        y = y.at[:, 0].add(jax.random.normal(k1, (n,)) * 3.0)
        y = y.at[:, 1].multiply(jnp.exp(jax.random.normal(k2, (n,)) * 2.0))
        y = y.at[:, 2].set(jax.random.uniform(k3, (n,), minval=0.6, maxval=1.4))
        state = transport_state.local_state(system, y.reshape(-1))
        flows = fluxes.edge_fluxes(system, *transport_rows.flux_args(state))
        return heat.entropy_production(system, state, flows)

    values = np.asarray(jax.vmap(production)(jax.random.split(key, 64)))
    assert np.isfinite(values).all()
    assert values.min() >= -1e-12 * np.abs(values).max()
    assert values.max() > 0


def test_isothermal_limit():
    """Fixed T0 at both ends: at zero bias the steady state is the isothermal one exactly; a
    charging transient with a large conductivity follows the plain solver (the temperature
    stays at T0 to 1e-10 K; the step controller sees one more unknown)."""

    def cell(thermal):
        phase = binary(200e-9)
        kw = {}
        if thermal:
            phase = pj.Phase(
                "el",
                eps_r=10.0,
                thickness=200e-9,
                carriers=phase.carriers,
                thermal=pj.ThermalTransport(1e4, 2e6),
            )
            kw = dict(thermal_left=pj.FixedTemperature(T), thermal_right=pj.FixedTemperature(T))
        return pj.Junction(
            [phase],
            pj.ReferenceBulk("el", {"A+": 1e24, "B-": 1e24}),
            left=pj.Electrode(0.0),
            right=pj.Electrode(0.0),
            species=SPECIES,
            temperature=T,
            **kw,
        )

    plain, coupled = cell(False), cell(True)
    mesh = pj.Mesh.from_nodes(plain, np.linspace(0.0, 200e-9, 41))
    a = pj.solve_steady_state(plain, mesh=mesh)
    b = pj.solve_steady_state(coupled, mesh=mesh)
    np.testing.assert_allclose(b.phi, a.phi, rtol=0, atol=1e-15)
    np.testing.assert_allclose(b.concentration, a.concentration, rtol=1e-13)
    times = np.logspace(-9, -4, 6)
    a = pj.solve_transient(plain, times, voltage=0.01, mesh=mesh)
    b = pj.solve_transient(coupled, times, voltage=0.01, mesh=mesh)
    assert np.abs(np.asarray(b.temperature) - T).max() < 1e-10
    scale = np.abs(np.asarray(a.current)).max()
    np.testing.assert_allclose(b.current, a.current, rtol=0, atol=1e-6 * scale)


def test_bad_thermal_input():
    carrier = {"X": pj.Carrier(0.0, 1e28, diffusivity=1e-12)}
    with pytest.raises(ValueError, match="conductivity"):
        pj.ThermalTransport(-1.0, 2e6)
    with pytest.raises(ValueError, match="heat_capacity"):
        pj.ThermalTransport(1.0, 0.0)
    with pytest.raises(ValueError, match="both a heat_of_transport and a soret"):
        pj.ThermalTransport(1.0, 2e6, heat_of_transport={"X": 0.1}, soret={"X": 1e-3})
    with pytest.raises(ValueError, match="not a mobile carrier"):
        pj.Phase(
            "m",
            eps_r=10.0,
            carriers=carrier,
            thermal=pj.ThermalTransport(1.0, 2e6, heat_of_transport={"Y": 0.1}),
        )
    with pytest.raises(ValueError, match="in one place only"):
        pj.Phase(
            "m",
            eps_r=10.0,
            carriers=carrier,
            thermal=pj.OnsagerMatrix(("X",), np.eye(2), {"X": 1e25}, 300.0, 2e6),
        )
    with pytest.raises(ValueError, match="temperature"):
        pj.FixedTemperature(-3.0)
    with pytest.raises(ValueError, match="HeatFlux"):
        pj.Convective(0.0, 300.0)
    with pytest.raises(ValueError, match="activation_energy"):
        pj.Carrier(0.0, 1e28, activation_energy=-0.1)

    plain = pj.Phase("m", eps_r=10.0, thickness=L, carriers=carrier)
    with pytest.raises(ValueError, match="no heat transport coefficients"):
        closed_film(plain, thermal_left=pj.FixedTemperature(300.0))
    with pytest.raises(TypeError, match="thermal_right"):
        closed_film(plain, thermal_left=pj.FixedTemperature(300.0), thermal_right=300.0)
    with pytest.raises(ValueError, match="needs an end held at a temperature"):
        pj.solve_steady_state(closed_film(neutral().phases[0], thermal_left=pj.HeatFlux(1.0)))
    with pytest.raises(ValueError, match="conducts no heat"):
        pj.solve_steady_state(neutral(conductivity=0.0))


def test_reaction_heat_of_frenkel_recombination():
    """Li interstitials and vacancies, ten times over their Frenkel equilibrium, recombine
    (MassAction) in a closed, adiabatic, uniform film: each pair releases its enthalpy
    h_i + h_v = μ°_i + μ°_v + T0(s_i + s_v), so C ΔT = −(h_i + h_v) Δc."""
    mu0, entropy, capacity = 0.3, 1e-4, 2e6
    carriers = {
        s: pj.Carrier(mu0, 1e28, diffusivity=1e-12, entropy=entropy) for s in ("Li_i^•", "V_Li'")
    }
    phase = pj.Phase(
        "m",
        eps_r=20.0,
        thickness=L,
        carriers=carriers,
        reactions=(pj.MassAction("Li_i^• + V_Li' = 0", 1e-22),),  # k_f (m³/s)
        thermal=pj.ThermalTransport(1.0, capacity),
    )
    junction = pj.Junction(
        [phase],
        pj.Closed({"Li_i^•": 1e24 * L, "V_Li'": 1e24 * L}),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        temperature=T,
        thermal_left=pj.HeatFlux(0.0),
        thermal_right=pj.HeatFlux(0.0),
    )
    sol = pj.solve_transient(
        junction,
        np.logspace(-9, 0, 4),
        mesh=uniform_mesh(junction, 11),
        stepping=pj.TimeStepping(rtol=1e-8),
    )
    c = np.asarray(sol.concentration_of("Li_i^•"))[:, 5]
    rise = np.asarray(sol.temperature)[:, 5] - T
    assert c[-1] < 0.2e24  # most pairs recombined
    pair_enthalpy = (2 * mu0 + 2 * T * entropy) * E  # J
    released = -pair_enthalpy * (c - 1e24)  # J/m³
    np.testing.assert_allclose(rise * capacity, released, rtol=1e-6, atol=1e-9 * released.max())
    # the end state is the Frenkel equilibrium at the final temperature
    kt = KBEV * rise[-1] + KBEV * T
    k_final = 1e56 * np.exp(-2 * (mu0 - entropy * rise[-1]) / kt)
    assert abs(c[-1] ** 2 / k_final - 1) < 1e-4


def test_heat_flux_boundary_sets_the_gradient():
    """A heat flux q into the left end, the right end held at T0, no particle flux: T is linear
    with T(0) − T(L) = qL/κ, and the measured heat flux is q everywhere."""
    phase = neutral().phases[0]
    junction = pj.Junction(
        [phase],
        pj.Closed({"X": 1e25 * L}),
        left=pj.Electrode(0.0),
        right=pj.Electrode(0.0),
        species=[X],
        temperature=T,
        thermal_left=pj.HeatFlux(2e8),
        thermal_right=pj.FixedTemperature(T),
    )
    sol = pj.solve_steady_state(junction, mesh=uniform_mesh(junction, 21))
    temperature = np.asarray(sol.temperature[0])
    np.testing.assert_allclose(temperature[0] - T, 2e8 * L / 1.0, rtol=1e-10)
    np.testing.assert_allclose(sol.heat_flux[0], 2e8, rtol=1e-10)
