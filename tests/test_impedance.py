"""Small-signal impedance (VALIDATION.md item 13): closed forms, agreement with time-domain
sinusoids, every contact type, bias, non-ideal activity, gradients and batches."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import (
    EPS0,
    KT,
    SPECIES,
    E,
    T,
    binary,
    blocking_cell,
    debye,
    n_type,
    single_ion_cell,
)

import pnpjax as pj
from pnpjax import plot

LENGTH, DIFFUSIVITY, C0, EPS_R = 200e-9, 1e-12, 1e24, 10.0
LAMBDA = debye(EPS_R, 2 * C0)
R_BULK = LENGTH * KT / (E * 2 * C0 * DIFFUSIVITY)  # Ω m²
TAU_C = LAMBDA * LENGTH / (2 * DIFFUSIVITY)  # charging time of the double layers (s)


def macdonald(frequency):
    """Exact impedance (Ω m²) of the linearised PNP blocking cell, symmetric 1:1 electrolyte
    with equal diffusivities: $Z = R_b/(1 + i\\Omega)\\,[1 + \\tanh(M q)/(i\\Omega M q)]$ with
    Ω = ωλ²/D, M = L/(2λ), q = √(1 + iΩ) (J. R. Macdonald, Phys. Rev. 92, 4 (1953))."""
    omega = 2 * np.pi * np.asarray(frequency) * LAMBDA**2 / DIFFUSIVITY
    m = LENGTH / (2 * LAMBDA)
    q = np.sqrt(1 + 1j * omega)
    return R_BULK / (1 + 1j * omega) * (1 + np.tanh(m * q) / (1j * omega * m * q))


FREQUENCIES = np.logspace(-2, 12, 141)


@pytest.fixture(scope="module")
def blocking():
    junction = blocking_cell()
    fine = pj.Mesh.auto(junction, nodes_per_debye=20.0, growth=1.02)
    coarse = pj.Mesh.auto(junction, nodes_per_debye=5.0, growth=1.1)
    return junction, {
        "fine": pj.impedance(junction, FREQUENCIES, mesh=fine),
        "coarse": pj.impedance(junction, FREQUENCIES, mesh=coarse),
    }


def test_blocking_cell_matches_the_exact_linear_response(blocking):
    _, spectra = blocking
    exact = macdonald(FREQUENCIES)
    errors = {k: np.abs(np.asarray(s.impedance) / exact - 1).max() for k, s in spectra.items()}
    # the discretisation error (measured 8e-3 coarse, 5e-4 fine) falls under refinement
    assert errors["fine"] < 1e-3
    assert errors["fine"] < errors["coarse"] / 5
    assert spectra["fine"].result == pj.RESULTS.successful


def test_extrapolated_spectrum_on_the_default_mesh():
    """Issue 18: `impedance(..., extrapolate=True)` on the default mesh: Richardson over the
    mesh and its refinement takes the blocking cell from 3.0e-3 to 4e-6 of Macdonald's Z."""
    junction = blocking_cell()
    f = np.logspace(-2, 10, 41)
    exact = macdonald(f)
    plain = pj.impedance(junction, f)
    extrapolated = pj.impedance(junction, f, extrapolate=True)
    assert extrapolated.result == pj.RESULTS.successful
    assert int(extrapolated.iterations) > int(plain.iterations)  # both solves counted
    np.testing.assert_array_equal(extrapolated.steady_state.phi, plain.steady_state.phi)
    assert 1e-3 < np.abs(np.asarray(plain.impedance) / exact - 1).max() < 1e-2
    assert np.abs(np.asarray(extrapolated.impedance) / exact - 1).max() < 2e-5


def test_blocking_cell_limits(blocking):
    """Low frequency: the double layers in series, C = ε/(2λ); high frequency: the bulk
    resistance in parallel with the geometric capacitance ε/L (VALIDATION.md item 13)."""
    _, spectra = blocking
    spectrum = spectra["fine"]
    c = np.asarray(spectrum.capacitance)
    np.testing.assert_allclose(c[0].real, EPS_R * EPS0 / (2 * LAMBDA), rtol=1e-3)
    # the low-frequency resistance is the bulk's less the layers' 3λ (Macdonald's expansion),
    # read at 1 Hz (ωτ_c = 2e-3): at 0.01 Hz Re Z is 2e-5 of |Z| and round-off shows (1e-3)
    one_hertz = np.argmin(np.abs(FREQUENCIES - 1.0))
    np.testing.assert_allclose(
        spectrum.impedance[one_hertz].real, R_BULK * (1 - 3 * LAMBDA / LENGTH), rtol=1e-3
    )
    y = np.asarray(spectrum.admittance)
    high = FREQUENCIES > 1e9
    # measured 4e-8 and 5e-11: the bulk is uniform, so no discretisation error
    np.testing.assert_allclose(y[high].real, 1 / R_BULK, rtol=1e-6)
    omega = 2 * np.pi * FREQUENCIES[high]
    np.testing.assert_allclose(y[high].imag / omega, EPS_R * EPS0 / LENGTH, rtol=1e-8)
    phase = np.asarray(spectrum.phase)
    assert phase[0] < -89.9 and phase[-1] < -89.9
    assert -60 < phase[np.argmin(np.abs(FREQUENCIES - 1e4))] < -10  # the bulk arc between


def test_spectra_satisfy_kramers_kronig(blocking):
    """Computed spectra are causal and linear: the Lin-KK residuals are tiny, while the same
    spectrum with a slightly distorted imaginary part fails the check."""
    _, spectra = blocking
    z = np.asarray(spectra["fine"].impedance)
    check = pj.kramers_kronig(FREQUENCIES, z)
    distorted = pj.kramers_kronig(
        FREQUENCIES, z.real + 1j * z.imag * (1 + 0.02 * np.log10(FREQUENCIES + 1))
    )
    # measured 6e-8 and 5e-2
    assert float(check.max_residual) < 1e-6
    assert float(distorted.max_residual) > 1e-2


def _sinusoid_impedance(junction, mesh, frequency, offset=0.0, amplitude=1e-3):
    """Z from a simulated sinusoid: the first Fourier coefficient of the current over the
    last full period, after the start-up transient has decayed."""
    period = 1 / frequency
    t_end = max(6 * TAU_C, 3 * period)
    samples = 32
    times = t_end - period + period * jnp.arange(samples, dtype=jnp.float64) / samples
    wave = pj.Sinusoid(offset, amplitude, frequency)
    sol = pj.solve_transient(
        junction, times, voltage=wave, mesh=mesh, stepping=pj.TimeStepping(rtol=1e-7, atol=1e-10)
    )
    current_in = -np.asarray(sol.current)  # entering at the right contact
    phasor = 2 / samples * np.sum(current_in * np.exp(-2j * np.pi * frequency * np.asarray(times)))
    return -1j * amplitude / phasor  # V(t) = A sin ωt = Re(−iA e^{iωt})


@pytest.mark.parametrize("frequency", [100.0, 1e3, 1e4])
def test_frequency_domain_equals_a_time_domain_sinusoid(frequency):
    junction = blocking_cell()
    mesh = pj.Mesh.auto(junction)
    z_time = _sinusoid_impedance(junction, mesh, frequency)
    z_freq = complex(pj.impedance(junction, np.array([frequency]), mesh=mesh).impedance[0])
    # the bar is 1%; measured 2e-5 … 7e-5 in amplitude, < 6e-6 rad in phase
    assert abs(abs(z_time) / abs(z_freq) - 1) < 5e-4
    assert abs(np.angle(z_time / z_freq)) < 5e-5


@pytest.fixture(scope="module")
def kinetic_cell():
    """Li^+ conductor between Butler–Volmer electrodes (j0 = 20 and 50 A/m²), on a mesh."""
    cell = single_ion_cell(20.0, 50.0)
    return cell, pj.Mesh.auto(cell)


@pytest.mark.parametrize("layers", [1, 2])
def test_butler_volmer_charge_transfer_resistance(kinetic_cell, layers):
    """At equilibrium Z(0) = R_bulk + Σ k_BT/(e j0) over the electrodes and the kinetic
    interface between two layers (linearised Butler–Volmer, any α)."""
    if layers == 1:
        cell, mesh = kinetic_cell
    else:
        cell = single_ion_cell(20.0, 50.0, 10.0)
        mesh = pj.Mesh.auto(cell)
    spectrum = pj.impedance(cell, np.array([1e-6, 1e12]), mesh=mesh)
    sigma = E * 1e26 * 1e-12 / KT
    expected = layers * 50e-9 / sigma + KT / 20.0 + KT / 50.0 + (KT / 10.0 if layers == 2 else 0)
    # measured 6e-13: at equilibrium the single-ion conductor has no space charge
    np.testing.assert_allclose(spectrum.impedance[0].real, expected, rtol=1e-9)
    assert abs(spectrum.impedance[0].imag) < 1e-6 * expected
    # high frequency: the geometric capacitor
    np.testing.assert_allclose(
        1 / (2j * np.pi * 1e12 * np.asarray(spectrum.impedance[1])),
        20 * EPS0 / (layers * 50e-9),
        rtol=1e-3,
    )


def test_galvanostatic_equals_potentiostatic_under_bias(kinetic_cell):
    """At the same operating point the two controls give one spectrum, and Z(ω → 0) is the
    slope dV/dI of the steady-state curve."""
    cell, mesh = kinetic_cell
    f = np.logspace(-2, 11, 14)
    volts = 0.05
    potentio = pj.impedance(cell, f, voltage=volts, mesh=mesh)
    current = float(potentio.steady_state.current[0])
    galvano = pj.impedance(cell, f, current=current, mesh=mesh)
    np.testing.assert_allclose(galvano.steady_state.voltage, volts, rtol=1e-8)
    np.testing.assert_allclose(galvano.impedance, potentio.impedance, rtol=1e-6)

    def current_in(v):
        return -pj.solve_steady_state(cell, voltage=v, mesh=mesh).current[0]

    slope = jax.jvp(current_in, (jnp.asarray(volts),), (jnp.ones(()),))[1]
    np.testing.assert_allclose(potentio.impedance[0].real, 1 / float(slope), rtol=1e-6)
    # under bias the Butler–Volmer resistance falls below its equilibrium value
    equilibrium = pj.impedance(cell, f[:1], mesh=mesh).impedance[0].real
    assert potentio.impedance[0].real < equilibrium


def test_ohmic_contacts_give_the_bulk_rc():
    """A uniform n-type conductor between ohmic contacts: Z = R/(1 + iωRC) with R = L/σ and
    C = ε/L, exactly (no space charge anywhere)."""
    length, n, d, eps_r = 1e-6, 1e22, 1e-4, 11.7
    phase = n_type(length, n, d, sites=1e25, eps_r=eps_r)
    junction = pj.Junction(
        [phase],
        pj.ReferenceBulk("n", {"e'": n}),
        left=pj.Ohmic(),
        right=pj.Ohmic(),
        temperature=T,
    )
    f = np.logspace(6, 14, 9)
    spectrum = pj.impedance(junction, f, mesh=pj.Mesh.auto(junction))
    r = length * KT / (E * n * d)
    c = eps_r * EPS0 / length
    # measured 4e-16
    np.testing.assert_allclose(spectrum.impedance, r / (1 + 2j * np.pi * f * r * c), rtol=1e-8)


def test_nonideal_capacitance_is_the_derivative_of_the_steady_charge():
    """Lattice saturation (crowding) at 0.3 V bias: the low-frequency capacitance equals
    dQ/dV of the steady states, and crowding lowers it below the ideal cell's."""
    saturated = pj.Phase(
        "el",
        eps_r=EPS_R,
        carriers={
            "A+": pj.Carrier(0.0, 4e25, diffusivity=1e-12),
            "B-": pj.Carrier(0.0, 4e25, diffusivity=1e-12),
        },
        thickness=100e-9,
        activity=(pj.LatticeSaturation("A+"), pj.LatticeSaturation("B-")),
    )

    def cell(phase):
        return pj.Junction(
            [phase],
            pj.ReferenceBulk("el", {"A+": C0, "B-": C0}),
            left=pj.Electrode(0.0),
            right=pj.Electrode(0.0),
            species=SPECIES,
            temperature=T,
        )

    volts = 0.3
    junction = cell(saturated)
    mesh = pj.Mesh.auto(junction)
    spectrum = pj.impedance(junction, np.array([1e-3]), voltage=volts, mesh=mesh)

    def charge(v):
        return pj.solve_steady_state(junction, voltage=v, mesh=mesh).electrode_charge[0, 1]

    dq_dv = jax.jvp(charge, (jnp.asarray(volts),), (jnp.ones(()),))[1]
    c_low = float(spectrum.capacitance[0].real)
    np.testing.assert_allclose(c_low, float(dq_dv), rtol=1e-6)
    # ideal (Gouy–Chapman) layers, V/2 each, in series: (ε/2λ) cosh(eV/4k_BT)
    ideal = EPS_R * EPS0 / (2 * LAMBDA) * np.cosh(volts / (4 * KT))
    assert c_low < 0.8 * ideal


def test_gradients_match_finite_differences():
    mesh = pj.Mesh.auto(blocking_cell())
    f = np.array([300.0, 3e4])

    def loss(d, eps_r):
        junction = blocking_cell(d_plus=d, d_minus=1e-12, eps_r=eps_r)
        z = pj.impedance(junction, f, mesh=mesh).impedance
        return jnp.sum(z.real) + jnp.sum(z.imag)

    d0, e0 = 2e-12, 10.0
    grads = jax.grad(loss, argnums=(0, 1))(d0, e0)
    forward = jax.jvp(lambda d: loss(d, e0), (d0,), (1.0,))[1]
    np.testing.assert_allclose(forward, grads[0], rtol=1e-8)
    for i, (_, h) in enumerate(((d0, 1e-4 * d0), (e0, 1e-4 * e0))):
        shift = [(d0, e0), (d0, e0)]
        shift[0] = tuple(v + h if k == i else v for k, v in enumerate((d0, e0)))
        shift[1] = tuple(v - h if k == i else v for k, v in enumerate((d0, e0)))
        fd = (loss(*shift[0]) - loss(*shift[1])) / (2 * h)
        # measured 4e-8 (D) and 1e-9 (ε_r)
        np.testing.assert_allclose(grads[i], fd, rtol=1e-6)


def test_vmap_over_materials_equals_a_loop():
    mesh = pj.Mesh.auto(blocking_cell())
    f = np.logspace(0, 8, 5)

    def spectrum(d):
        junction = blocking_cell(d_plus=d, d_minus=d)
        return pj.impedance(junction, f, mesh=mesh).impedance

    ds = jnp.array([1e-12, 4e-12])
    batched = jax.vmap(spectrum)(ds)
    looped = jnp.stack([spectrum(d) for d in ds])
    # batched Newton runs every member to the slowest's iteration count (tolerance 1e-9)
    np.testing.assert_allclose(batched, looped, rtol=1e-8)
    # the bulk resistance scales as 1/D: the high-frequency real admittance too
    np.testing.assert_allclose(
        (1 / batched[1, -1]).real / (1 / batched[0, -1]).real, 4.0, rtol=1e-3
    )


def test_bad_impedance_input():
    junction = blocking_cell()
    with pytest.raises(ValueError, match="frequencies"):
        pj.impedance(junction, np.array([-1.0, 1.0]))
    with pytest.raises(ValueError, match="frequencies"):
        pj.impedance(junction, np.array([]))
    half = eqx.tree_at(lambda j: j.right, junction, pj.Bulk())
    with pytest.raises(ValueError, match="both ends"):
        pj.impedance(half, np.array([1.0]))
    with pytest.raises(ValueError, match="not both"):
        pj.impedance(junction, np.array([1.0]), voltage=0.1, current=1.0)
    with pytest.raises(TypeError, match="must be a number"):
        pj.impedance(junction, np.array([1.0]), voltage=pj.Step(0.0, 0.1, 1.0))
    no_diffusivity = pj.Junction(
        [binary(LENGTH, d_plus=0.0)],
        junction.state,
        left=pj.Electrode(0.0),
        right=pj.Electrode(0.0),
        species=SPECIES,
        temperature=T,
    )
    with pytest.raises(ValueError, match="diffusivity"):
        pj.impedance(no_diffusivity, np.array([1.0]))
    with pytest.raises(ValueError, match="voltages"):
        pj.capacitance_voltage(junction, np.array([[0.1]]))
    with pytest.raises(ValueError, match="frequency must be a positive"):
        pj.capacitance_voltage(junction, np.array([0.1]), frequency=-1.0)
    with pytest.raises(ValueError, match="side must be"):
        pj.capacitance_voltage(junction, np.array([0.1]), side="top")
    ohmic = eqx.tree_at(lambda j: j.left, junction, pj.Ohmic())
    with pytest.raises(ValueError, match="not an Electrode"):
        pj.capacitance_voltage(ohmic, np.array([0.1]))
    with pytest.raises(ValueError, match="both ends"):
        pj.capacitance_voltage(half, np.array([0.1]), frequency=1e3)


def test_small_signal_capacitance_voltage_tends_to_the_quasi_static_curve():
    """A Schottky-type contact (blocking electrode | n-type semiconductor | ohmic back contact):
    the parallel capacitance at 1 mHz along a bias sweep equals the equilibrium ∂σ/∂V, with the
    bias on the back contact (V_back = −V_electrode)."""
    doping = 1e23
    phase = n_type(300e-9, doping, 3.6e-3)
    junction = pj.Junction(
        [phase],
        pj.ReferenceBulk("n", {"e'": doping}),
        left=pj.Electrode(0.0),
        right=pj.Ohmic(),
        temperature=T,
    )
    electrode = np.array([-0.6, -0.4, -0.2])
    mesh = pj.Mesh.auto(eqx.tree_at(lambda j: j.left.potential, junction, jnp.asarray(electrode)))
    quasi = pj.capacitance_voltage(junction, electrode, mesh=mesh)
    small = pj.capacitance_voltage(junction, -electrode, frequency=1e-3, mesh=mesh)
    np.testing.assert_allclose(small.capacitance, quasi.capacitance, rtol=1e-6)
    # extrapolated over the mesh and its refinement, both ways alike
    quasi_x = pj.capacitance_voltage(junction, electrode, mesh=mesh, extrapolate=True)
    small_x = pj.capacitance_voltage(
        junction, -electrode, frequency=1e-3, mesh=mesh, extrapolate=True
    )
    np.testing.assert_allclose(small_x.capacitance, quasi_x.capacitance, rtol=1e-6)
    assert np.all(np.abs(np.asarray(quasi_x.capacitance / quasi.capacitance) - 1) > 1e-7)
    assert np.all(np.asarray(small.conductance) < 1e-9)  # blocking: no DC conduction
    fit = pj.mott_schottky(electrode, quasi.capacitance, eps_r=11.7, temperature=T)
    np.testing.assert_allclose(fit.doping, doping, rtol=1e-2)


def test_grain_boundary_arc_resistance_is_the_space_charge_resistance():
    """Ohmic | grain | boundary with a positive core charge | grain | ohmic, acceptor-doped
    ceria (frozen Gd_Ce', mobile V_O^••): the DC limit of the spectrum is ∫dx/σ of the
    equilibrium profile, and its excess over the bulk is the grain-boundary resistance."""
    temperature, n_a, eps_r = 600.0, 1e26, 30.0
    vacancy, dopant = "V_O^••", "Gd_Ce'"

    def grain(name):
        return pj.Phase(
            name,
            eps_r=eps_r,
            thickness=30e-9,
            carriers={
                vacancy: pj.Carrier(0.0, 5e28, diffusivity=1e-12),
                dopant: pj.Carrier(density=n_a, mobile=False),
            },
        )

    junction = pj.Junction(
        [grain("g1"), grain("g2")],
        pj.ReferenceBulk("g1", {vacancy: n_a / 2}),
        interfaces=[pj.Interface(sigma=0.1)],
        left=pj.Ohmic(),
        right=pj.Ohmic(),
        temperature=temperature,
    )
    mesh = pj.Mesh.auto(junction)
    spectrum = pj.impedance(junction, np.array([1e-2, 1e12]), mesh=mesh)
    resistance = pj.space_charge_resistance(junction, pj.solve_equilibrium(junction, mesh=mesh))
    z_dc = complex(spectrum.impedance[0])
    # measured 8e-8: the log-mean cell rule is the Scharfetter–Gummel cell resistance
    np.testing.assert_allclose(z_dc.real, resistance.resistance_across, rtol=1e-6)
    bulk = 60e-9 / float(resistance.bulk_conductivity[0])
    assert float(resistance.excess_resistance) > 100 * bulk  # the boundary dominates
    np.testing.assert_allclose(
        float(resistance.resistance_across), bulk + float(resistance.excess_resistance), rtol=1e-9
    )


def test_pn_junction_depletion_capacitance():
    """An abrupt Si pn junction between ohmic contacts, reverse biased: the small-signal
    capacitance at 1 kHz is the depletion capacitance √(eεN/(2(V_bi − V − 2k_BT/e))),
    N = N_AN_D/(N_A + N_D), and Mott–Schottky analysis of 1/C² returns N."""
    temperature, doping, eps_r = 300.0, 1e22, 11.7
    kt = KT * temperature / T

    def silicon(name, background):
        carriers = {
            "e'": pj.Carrier(1.12, 2.8e25, diffusivity=3.6e-3),
            "h^•": pj.Carrier(0.0, 1.04e25, diffusivity=1.2e-3),
        }
        return pj.Phase(
            name, eps_r=eps_r, carriers=carriers, thickness=1.5e-6, background_charge=background
        )

    diode = pj.Junction(
        [silicon("n", doping), silicon("p", -doping)],
        pj.ReferenceBulk("n", {"e'": doping}),
        left=pj.Ohmic(),
        right=pj.Ohmic(),
        temperature=temperature,
    )
    volts = np.array([-1.0, -0.75, -0.5, -0.25])  # on the p side: reverse bias
    curve = pj.capacitance_voltage(diode, volts, frequency=1e3)
    n_i2 = 2.8e25 * 1.04e25 * np.exp(-1.12 / kt)
    v_bi = kt * np.log(doping**2 / n_i2)
    n_eff = doping / 2
    expected = np.sqrt(E * eps_r * EPS0 * n_eff / (2 * (v_bi - volts - 2 * kt)))
    # measured 4e-4 (C) and 8e-4 (N); the bar for N is 1%
    np.testing.assert_allclose(curve.capacitance, expected, rtol=1e-3)
    fit = pj.mott_schottky(volts, curve.capacitance, eps_r=eps_r, temperature=temperature)
    np.testing.assert_allclose(fit.doping, n_eff, rtol=2e-3)


def test_nyquist_and_bode_plots(blocking):
    _, spectra = blocking
    spectrum = spectra["coarse"]
    ax = plot.nyquist(spectrum, area=1e-4)
    z = np.asarray(spectrum.impedance) / 1e-4
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(x, z.real)
    np.testing.assert_allclose(y, -z.imag)
    assert ax.get_xlabel() == "Re Z (Ω)"
    axes = plot.bode(spectrum)
    np.testing.assert_allclose(
        axes[0].lines[0].get_data()[1], np.abs(np.asarray(spectrum.impedance))
    )
    np.testing.assert_allclose(axes[1].lines[0].get_data()[1], np.asarray(spectrum.phase))
    with pytest.raises(ValueError, match="area"):
        plot.nyquist(spectrum, area=-1.0)


def test_spectrum_export(blocking, tmp_path):
    _, spectra = blocking
    spectrum = spectra["coarse"]
    path = tmp_path / "spectrum.csv"
    spectrum.to_csv(path)
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    header = path.read_text().splitlines()[0].split(",")
    assert header[0] == "frequency [Hz]" and header[1] == "Re Z [Ohm m^2]"
    z = np.asarray(spectrum.impedance)
    np.testing.assert_allclose(table[:, 0], FREQUENCIES, rtol=1e-9)
    np.testing.assert_allclose(table[:, 1] + 1j * table[:, 2], z, rtol=1e-9)
    np.testing.assert_allclose(table[:, 4], np.asarray(spectrum.phase), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("kind", ["blocking", "butler-volmer"])
def test_a_mirrored_device_gives_the_same_spectrum(kind):
    """Electrode | conductor | ohmic and its mirror image: one spectrum, whichever end carries
    the electrode whose charge (and exchange) gives the current."""
    if kind == "blocking":
        phase = n_type(200e-9, 1e22, 1e-4)
        state, contact = pj.ReferenceBulk("n", {"e'": 1e22}), pj.Electrode(0.0)
    else:
        phase = pj.Phase(
            "a",
            eps_r=20.0,
            carriers={"Li_i^•": pj.Carrier(0.0, 1e28, diffusivity=1e-12)},
            thickness=50e-9,
            background_charge=-1e26,
        )
        state = pj.ReferenceBulk("a", {"Li_i^•": 1e26})
        contact = pj.Electrode(0.0, exchange=(pj.ButlerVolmer("Li_i^•", 20.0),))
    f = np.logspace(-2, 12, 8)
    spectra = [
        np.asarray(
            pj.impedance(pj.Junction([phase], state, left=a, right=b, temperature=T), f).impedance
        )
        for a, b in ((contact, pj.Ohmic()), (pj.Ohmic(), contact))
    ]
    # measured 3e-14 and 1e-12
    np.testing.assert_allclose(spectra[1], spectra[0], rtol=1e-9)
    assert np.all(spectra[0].real > 0) and np.all(spectra[0].imag < 0)


def test_reactions_and_a_blocked_interface():
    """Frenkel pairs 0 = Li_i^• + V_Li' generated and annihilated in phase a, V_Li' blocked at
    the interface to phase b, blocking electrodes: the conserved combinations mix channels
    (N_Li − N_V@a, N_V@b). The low-frequency capacitance equals dQ/dV of the steady states."""
    li, v = "Li_i^•", "V_Li'"
    k_eq = 1e56 * np.exp(-0.6 / KT)
    c0 = np.sqrt(k_eq)

    def phase(name, mu_li, mu_v, reactions=()):
        carriers = {
            li: pj.Carrier(mu_li, 1e28, diffusivity=1e-12),
            v: pj.Carrier(mu_v, 1e28, diffusivity=2e-12),
        }
        return pj.Phase(name, eps_r=10.0, carriers=carriers, thickness=40e-9, reactions=reactions)

    frenkel = (pj.MassAction(f"0 = {li} + {v}", 1e27),)  # generation (m^-3 s^-1): τ ≈ 0.1 ms
    mu_v = 0.3 - KT * np.log(1e28 / c0)  # μ̃ of V_Li' in a's bulk at φ = 0 (eV)
    junction = pj.Junction(
        [phase("a", 0.3, 0.3, frenkel), phase("b", 0.35, 0.25)],
        pj.ReferenceBulk("a", {li: c0, v: c0}, potentials={f"{v}@b": mu_v}),
        interfaces=[pj.Interface(blocked=(v,))],
        left=pj.Electrode(0.0),
        right=pj.Electrode(0.0),
        temperature=T,
    )
    mesh = pj.Mesh.auto(junction)
    volts = 0.05
    spectrum = pj.impedance(junction, np.array([1e-4, 1e8]), voltage=volts, mesh=mesh)

    def charge(bias):
        return pj.solve_steady_state(junction, voltage=bias, mesh=mesh).electrode_charge[0, 1]

    dq_dv = jax.jvp(charge, (jnp.asarray(volts),), (jnp.ones(()),))[1]
    np.testing.assert_allclose(spectrum.capacitance[0].real, dq_dv, rtol=1e-6)
    y = np.asarray(spectrum.admittance)
    assert abs(y[0].real) < 1e-3 * abs(y[0].imag)  # blocking: no DC conduction
    assert np.all(np.isfinite(y))
