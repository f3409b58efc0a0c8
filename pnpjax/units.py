"""Conversions between common laboratory units and the SI units pnpjax uses.

pnpjax takes and returns SI everywhere: lengths in m, potentials in V, temperature in K,
concentrations in m^-3, diffusivities in m^2/s, surface charge in C/m^2 and energies in eV.
Multiply by a constant to convert *into* SI, divide to convert back:

```python
import pnpjax.units as u
thickness = 20 * u.nm            # 2e-8 m
c = 1e18 * u.per_cm3             # 1e24 m^-3
c_li = 0.1 * u.mol_per_L         # 6.022e25 m^-3
sigma = 5 * u.uC_per_cm2         # 0.05 C/m^2
```
"""

from ._constants import AVOGADRO, BOLTZMANN_EV, ELEMENTARY_CHARGE

m = 1.0
cm = 1e-2
mm = 1e-3
um = 1e-6
nm = 1e-9
angstrom = 1e-10

per_m3 = 1.0
per_cm3 = 1e6
"""cm^-3 in m^-3."""
mol_per_m3 = AVOGADRO
mol_per_L = AVOGADRO * 1e3
"""mol/L (molar) in m^-3."""

C_per_m2 = 1.0
uC_per_cm2 = 1e-6 / 1e-4
"""μC/cm^2 in C/m^2."""
e_per_nm2 = ELEMENTARY_CHARGE / 1e-18
"""Elementary charges per nm^2 in C/m^2."""

cm2_per_s = 1e-4
"""cm^2/s in m^2/s."""

eV = 1.0
meV = 1e-3
J_per_mol = 1.0 / (ELEMENTARY_CHARGE * AVOGADRO)
"""J/mol in eV per particle."""
kJ_per_mol = 1e3 * J_per_mol


def celsius(t_c):
    """Temperature in K from °C."""
    return t_c + 273.15


def kT(temperature):
    """Thermal energy k_B T (eV) at `temperature` (K)."""
    return BOLTZMANN_EV * temperature


__all__ = [
    "m",
    "cm",
    "mm",
    "um",
    "nm",
    "angstrom",
    "per_m3",
    "per_cm3",
    "mol_per_m3",
    "mol_per_L",
    "C_per_m2",
    "uC_per_cm2",
    "e_per_nm2",
    "cm2_per_s",
    "eV",
    "meV",
    "J_per_mol",
    "kJ_per_mol",
    "celsius",
    "kT",
]
