"""Shared physical constants and small junction builders for the tests."""

import numpy as np

import pnpjax as pj

E = 1.602176634e-19
KB = 1.380649e-23
EPS0 = 8.8541878128e-12
T = 298.15
KT = KB * T / E  # thermal voltage (V)


def debye(eps_r, conc_z2):
    """Debye length (m) for sum z^2 c = `conc_z2` (m^-3)."""
    return np.sqrt(eps_r * EPS0 * KB * T / (E**2 * conc_z2))


def electrolyte(c0=1e24, eps_r=10.0, thickness=None, z=1):
    """A symmetric z:z electrolyte phase, both ions mobile, site density 1e28 m^-3."""
    plus, minus = ("A^•", "B'") if z == 1 else ("A^••", "B''")
    return pj.Phase(
        "el",
        eps_r=eps_r,
        thickness=thickness,
        carriers={plus: pj.Carrier(0.0, 1e28), minus: pj.Carrier(0.0, 1e28)},
    )


def electrode_cell(potential, c0=1e24, eps_r=10.0, z=1):
    """An electrode at `potential` (V) against a semi-infinite symmetric electrolyte."""
    phase = electrolyte(c0, eps_r, z=z)
    names = list(phase.carriers)
    return pj.Junction(
        [phase],
        pj.ReferenceBulk("el", {names[0]: c0, names[1]: c0}),
        left=pj.Electrode(potential),
        right=pj.Bulk(),
        temperature=T,
    )


# transport cells shared by the dynamics and impedance tests

SPECIES = [pj.Species("A+", charge=1), pj.Species("B-", charge=-1)]


def binary(thickness, c0=1e24, d_plus=1e-12, d_minus=1e-12, eps_r=10.0, name="el"):
    carriers = {
        "A+": pj.Carrier(0.0, 1e28, diffusivity=d_plus),
        "B-": pj.Carrier(0.0, 1e28, diffusivity=d_minus),
    }
    return pj.Phase(name, eps_r=eps_r, carriers=carriers, thickness=thickness)


def blocking_cell(length=200e-9, c0=1e24, **kw):
    return pj.Junction(
        [binary(length, c0, **kw)],
        pj.ReferenceBulk("el", {"A+": c0, "B-": c0}),
        left=pj.Electrode(0.0),
        right=pj.Electrode(0.0),
        species=SPECIES,
        temperature=T,
    )


def single_ion_cell(j0_left, j0_right, j0_interface=None, length=50e-9, temperature=T):
    """Li^+ conducting solid electrolyte (frozen anion background) between two Li electrodes
    with Butler–Volmer exchange; optionally two layers with interfacial kinetics."""

    def layer(name):
        carriers = {"Li_i^•": pj.Carrier(0.0, 1e28, diffusivity=1e-12)}
        return pj.Phase(
            name, eps_r=20.0, carriers=carriers, thickness=length, background_charge=-1e26
        )

    phases = [layer("a")] if j0_interface is None else [layer("a"), layer("b")]
    interfaces = None
    if j0_interface is not None:
        interfaces = [pj.Interface(kinetics=(pj.ButlerVolmer("Li_i^•", j0_interface),))]
    return pj.Junction(
        phases,
        pj.ReferenceBulk("a", {"Li_i^•": 1e26}),
        interfaces=interfaces,
        left=pj.Electrode(0.0, exchange=(pj.ButlerVolmer("Li_i^•", j0_left),)),
        right=pj.Electrode(0.0, exchange=(pj.ButlerVolmer("Li_i^•", j0_right, 0.3),)),
        temperature=temperature,
    )


def n_type(thickness, doping, diffusivity, sites=2.8e25, eps_r=11.7, name="n"):
    """An n-type semiconductor phase: mobile electrons e' (N_C = `sites`, m^-3) against ionised
    donors (`background_charge` = `doping`, m^-3), diffusivity in m²/s."""
    return pj.Phase(
        name,
        eps_r=eps_r,
        carriers={"e'": pj.Carrier(0.0, sites, diffusivity=diffusivity)},
        thickness=thickness,
        background_charge=doping,
    )


def background_ion_phase(thickness=200e-9, thermal=None, name="el"):
    """Li⁺ interstitials (D = 1e-12 m²/s) against a fixed background of −1e25 e m⁻³."""
    return pj.Phase(
        name,
        eps_r=20.0,
        thickness=thickness,
        carriers={"Li_i^•": pj.Carrier(0.0, 1e28, diffusivity=1e-12)},
        background_charge=-1e25,
        thermal=thermal,
    )


# heat transport cells shared by the tests and benchmarks/validation.py

X = pj.Species("X", charge=0)
L = 100e-9


def closed_film(phase, **thermal):
    """`phase` holding 1e25 m⁻³ of the neutral species X (closed) between blocking electrodes,
    with the thermal ends given as keywords."""
    return pj.Junction(
        [phase],
        pj.Closed({"X": 1e25 * L}),
        left=pj.Electrode(0.0),
        right=pj.Electrode(0.0),
        species=[X],
        temperature=T,
        **thermal,
    )


def neutral(heat_of_transport=0.1, conductivity=1.0, hot=320.0, cold=280.0):
    """A neutral mobile species X (closed) between blocking electrodes, the ends held at `hot`
    and `cold` (`cold=None`: an adiabatic right end)."""
    phase = pj.Phase(
        "m",
        eps_r=10.0,
        thickness=L,
        carriers={"X": pj.Carrier(0.0, 1e28, diffusivity=1e-12)},
        thermal=pj.ThermalTransport(conductivity, 2e6, heat_of_transport={"X": heat_of_transport}),
    )
    right = pj.HeatFlux(0.0) if cold is None else pj.FixedTemperature(cold)
    return closed_film(phase, thermal_left=pj.FixedTemperature(hot), thermal_right=right)


def ohmic_conductor(second_entropy=None, conductivity=1e-3, heat_of_transport=0.0):
    """A Li⁺ conductor (frozen anion background) between ohmic contacts held at T0, in one
    phase or, with `second_entropy` (eV/K), two whose carriers differ only in s°."""

    def phase(name, entropy, thickness):
        return pj.Phase(
            name,
            eps_r=20.0,
            thickness=thickness,
            carriers={"Li_i^•": pj.Carrier(0.0, 1e28, diffusivity=1e-10, entropy=entropy)},
            background_charge=-1e25,
            thermal=pj.ThermalTransport(
                conductivity, 2e6, heat_of_transport={"Li_i^•": heat_of_transport}
            ),
        )

    if second_entropy is None:
        phases = [phase("a", 0.0, L)]
    else:
        phases = [phase("a", 0.0, L / 2), phase("b", second_entropy, L / 2)]
    return pj.Junction(
        phases,
        pj.ReferenceBulk("a", {"Li_i^•": 1e25}),
        left=pj.Ohmic(),
        right=pj.Ohmic(),
        temperature=T,
        thermal_left=pj.FixedTemperature(T),
        thermal_right=pj.FixedTemperature(T),
    )
