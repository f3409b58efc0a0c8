"""Physical constants (CODATA 2018, exact SI values where defined)."""

ELEMENTARY_CHARGE = 1.602176634e-19
"""e (C)."""
BOLTZMANN = 1.380649e-23
"""k_B (J/K)."""
BOLTZMANN_EV = BOLTZMANN / ELEMENTARY_CHARGE
"""k_B (eV/K)."""
VACUUM_PERMITTIVITY = 8.8541878128e-12
"""ε_0 (F/m)."""
AVOGADRO = 6.02214076e23
"""N_A (1/mol)."""
