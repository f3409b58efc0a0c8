"""What fixes the equilibrium state of a junction.

Every mobile species has one electrochemical potential per *region* it can reach (a run of
neighbouring phases that host it without a blocking interface in between). Electrons and holes
share theirs, the Fermi level, keyed `"E_F"`. A key `"name@Phase"` addresses the region that
contains `Phase` only; a plain `"name"` addresses every region of that species.
"""

import equinox as eqx
from jaxtyping import Array

from .._custom_types import as_float
from .._fields import FINITE, POSITIVE, check_parameters, parameter


def _float_dict(values, what: str) -> dict[str, Array]:
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise TypeError(f"{what} must be a dict {{key: value}}, got {type(values)}")
    return {str(k): as_float(v) for k, v in values.items()}


class AbstractState(eqx.Module):
    """What fixes the electrochemical potentials of the mobile species."""


class Reservoir(AbstractState):
    """Given electrochemical potentials: every mobile species exchanges with a reservoir.

    This is how first-principles space-charge studies specify a state: the Fermi level and the
    component chemical potentials fix the electrochemical potential of every defect.

    **Arguments:**

    - `potentials`: `{species or "species@Phase": μ̃ (eV)}` for every mobile ionic species.
    - `fermi_level`: E_F (eV) when electrons or holes are present (same as `potentials["E_F"]`).
    """

    potentials: dict[str, Array] = parameter(
        unit="eV", range=FINITE, doc="electrochemical potentials μ̃"
    )

    def __init__(self, potentials=None, *, fermi_level=None):
        potentials = _float_dict(potentials, "Reservoir: potentials")
        if fermi_level is not None:
            if "E_F" in potentials:
                raise ValueError("Reservoir: give the Fermi level once, as fermi_level= or 'E_F'")
            potentials["E_F"] = as_float(fermi_level)
        self.potentials = potentials

    def __check_init__(self):
        check_parameters(self, "Reservoir")


class ReferenceBulk(AbstractState):
    """Given bulk composition of one reference phase, whose neutral bulk defines φ = 0.

    The electrochemical potentials follow from the reference phase,
    $\\tilde\\mu_i = \\mu_i^\\circ + k_BT\\ln(c_i/N_i)$; every other phase follows from equilibrium
    and its own neutrality. The given composition must be electroneutral together with the
    phase's background and frozen carriers.

    **Arguments:**

    - `phase`: name of the reference phase.
    - `concentrations`: `{species: bulk concentration (m^-3)}` for its mobile species (for
      electrons/holes, one of the two is enough; both must then satisfy n·p = N_C N_V e^{-E_g/kT}).
    - `potentials`: `{key: μ̃ (eV)}` for mobile species in regions that do not contain the
      reference phase.
    """

    phase: str = eqx.field(static=True)
    concentrations: dict[str, Array] = parameter(
        unit="m^-3", range=POSITIVE, doc="bulk concentrations of the reference phase"
    )
    potentials: dict[str, Array] = parameter(
        unit="eV", range=FINITE, doc="electrochemical potentials μ̃ elsewhere"
    )

    def __init__(self, phase: str, concentrations, *, potentials=None):
        self.phase = phase
        self.concentrations = _float_dict(concentrations, "ReferenceBulk: concentrations")
        self.potentials = _float_dict(potentials, "ReferenceBulk: potentials")

    def __check_init__(self):
        check_parameters(self, "ReferenceBulk")


class Closed(AbstractState):
    """A closed system: the total amount of each listed species is conserved.

    Thin films and particles exchange nothing with the outside; their electrochemical potentials
    are unknowns fixed by the amounts. The amount is $\\int c\\,dV$ in the geometry's measure:
    per unit area (m^-2) in planar, per unit length (m^-1) in cylindrical geometry and a number
    in spherical geometry. For `"E_F"` it is the net electron count n − p. Species not listed
    must be given in `potentials` (open to a reservoir).

    **Arguments:**

    - `amounts`: `{species or "species@Phase" or "E_F": amount}`.
    - `potentials`: `{key: μ̃ (eV)}` for open species.
    """

    amounts: dict[str, Array] = parameter(
        unit="m^-2 (planar)", range=FINITE, doc="conserved amounts ∫c dV"
    )
    potentials: dict[str, Array] = parameter(
        unit="eV", range=FINITE, doc="electrochemical potentials μ̃ of open species"
    )

    def __init__(self, amounts, *, potentials=None):
        self.amounts = _float_dict(amounts, "Closed: amounts")
        self.potentials = _float_dict(potentials, "Closed: potentials")
        overlap = set(self.amounts) & set(self.potentials)
        if overlap:
            raise ValueError(f"Closed: {sorted(overlap)} given both an amount and a potential")

    def __check_init__(self):
        check_parameters(self, "Closed")
