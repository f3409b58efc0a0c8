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
