"""A Schottky (rectifying metal–semiconductor) contact with thermionic emission.

At the contact the metal's Fermi level $E_{F,m}$ sits a barrier $\\Phi_B$ below the conduction
band edge of the semiconductor, $E_C(0) - E_{F,m} = \\Phi_B$ (electrons; for holes
$E_{F,m} - E_V(0) = \\Phi_B$), which fixes the potential at the contact; a bias V applied to the
metal lowers $E_{F,m}$ by eV. Carriers cross by thermionic emission: the electron flow from the
semiconductor into the metal is $v_n(n(0) - n_{0B})$ with the equilibrium density
$n_{0B} = N_Ce^{-\\Phi_B/k_BT}$ and the thermionic recombination velocity
$v_n = A_n^*T^2/(eN_C)$ ($A^*$ the effective Richardson constant); holes alike with
$p_{0B} = N_Ve^{-(E_g - \\Phi_B)/k_BT}$. Where emission limits the current (a thin, lightly
doped semiconductor) this gives the thermionic-emission law
$$J = A^*T^2e^{-\\Phi_B/k_BT}\\left(e^{eV/k_BT} - 1\\right).$$
Optionally the barrier of the majority carrier is lowered by the image force,
$\\Delta\\Phi = \\sqrt{e|E|/(4\\pi\\varepsilon)}$ with E the field at the contact.

The equilibrium solver treats the contact at zero bias as a potential held by the barrier
(ions blocked; electrons and holes in equilibrium with the metal, as the Fermi levels align).

**References:** S. M. Sze and K. K. Ng, *Physics of Semiconductor Devices*, 3rd ed., Wiley
(2007), §3.3 (thermionic emission) and §3.2.4 (image-force lowering); C. R. Crowell and S. M.
Sze, *Solid-State Electron.* 9, 1035 (1966) (thermionic recombination velocity).
"""

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array

from .._constants import BOLTZMANN_EV, ELEMENTARY_CHARGE, VACUUM_PERMITTIVITY
from .._custom_types import ScalarLike, as_float
from .._fields import FINITE, POSITIVE, check_parameters, parameter
from .boundaries import AbstractBoundary, End, Inflow, _check_unbiased
from .species import Species

RICHARDSON = 1.20173e6
"""The free-electron Richardson constant 4πm_e e k_B²/h³ (A m^-2 K^-2)."""

_FIELD_FLOOR = 1.0
"""V/m: |E| is smoothed as √(E² + floor²), so the lowering (≈1e-5 eV at the floor) has a
derivative at E = 0."""


class SchottkyContact(AbstractBoundary):
    """A rectifying metal–semiconductor contact: a barrier, thermionic emission of electrons
    and holes, optional image-force lowering (see the module docstring).

    **Arguments:**

    - `barrier`: the barrier height Φ_B (eV) of `carrier`: $E_C - E_{F,m}$ at the contact for
      electrons, $E_{F,m} - E_V$ for holes.
    - `potential`: bias (V) applied to the metal, relative to equilibrium (forward bias on an
      n-type contact is negative: it raises the metal's Fermi level).
    - `carrier`: `"e'"` (default, an n-type contact) or the hole species: whose barrier is
      given (the other carrier's is $E_g - \\Phi_B$).
    - `velocity_n`, `velocity_p`: thermionic recombination velocities (m/s) of electrons and
      holes; default $A^*T^2/(eN)$ at the local temperature, N the carrier's `density`.
    - `richardson_n`, `richardson_p`: effective Richardson constants $A^*$ (A m^-2 K^-2)
      for those defaults (free-electron value 1.2017e6 times $m^*/m_e$).
    - `image_force`: lower the barrier of `carrier` by $\\sqrt{e|E|/(4\\pi\\varepsilon)}$.
    """

    fixes_potential: ClassVar[bool] = True
    explicit_flow: ClassVar[bool] = True
    barrier: Array = parameter(unit="eV", range=FINITE, doc="barrier height Φ_B")
    potential: Array = parameter(unit="V", range=FINITE, doc="bias applied to the metal")
    velocity_n: Array | None = parameter(
        unit="m/s", range=POSITIVE, doc="electron recombination velocity"
    )
    velocity_p: Array | None = parameter(
        unit="m/s", range=POSITIVE, doc="hole recombination velocity"
    )
    richardson_n: Array = parameter(
        unit="A m^-2 K^-2", range=POSITIVE, doc="electron Richardson constant A*"
    )
    richardson_p: Array = parameter(
        unit="A m^-2 K^-2", range=POSITIVE, doc="hole Richardson constant A*"
    )
    carrier: str = eqx.field(static=True)
    image_force: bool = eqx.field(static=True)

    def __init__(
        self,
        barrier: ScalarLike,
        potential: ScalarLike = 0.0,
        *,
        carrier: str = "e'",
        velocity_n: ScalarLike | None = None,
        velocity_p: ScalarLike | None = None,
        richardson_n: ScalarLike = RICHARDSON,
        richardson_p: ScalarLike = RICHARDSON,
        image_force: bool = False,
    ):
        self.barrier = as_float(barrier)
        self.potential = as_float(potential)
        self.velocity_n = None if velocity_n is None else as_float(velocity_n)
        self.velocity_p = None if velocity_p is None else as_float(velocity_p)
        self.richardson_n = as_float(richardson_n)
        self.richardson_p = as_float(richardson_p)
        kind = Species(carrier).kind
        if kind not in ("electron", "hole"):
            raise ValueError(
                f"SchottkyContact: carrier must be the electron or hole species, got {carrier!r}"
            )
        self.carrier = kind
        self.image_force = bool(image_force)

    def __check_init__(self):
        check_parameters(self, "SchottkyContact")

    def _barriers(self, end: End):
        """Barriers (eV) of electrons and holes at the contact, the given one lowered by the
        image force if asked."""
        e, h = end.index_of_kind("electron"), end.index_of_kind("hole")
        lowering = 0.0
        if self.image_force:
            field = end.field * end.kT / end.length  # V/m
            magnitude = jnp.sqrt(jnp.sqrt(field**2 + _FIELD_FLOOR**2))
            epsilon = VACUUM_PERMITTIVITY * end.eps_r
            lowering = magnitude * jnp.sqrt(ELEMENTARY_CHARGE / (4 * jnp.pi * epsilon))
        gap = None
        if e is not None and h is not None and end.present[e] and end.present[h]:
            gap = (end.energy[e] + end.energy[h]) * end.kT
        if self.carrier == "electron":
            return self.barrier - lowering, None if gap is None else gap - self.barrier
        return None if gap is None else gap - self.barrier, self.barrier - lowering

    def held_potential(self, end: End) -> Array:
        if self.carrier == "electron":
            s = end.index_of_kind("electron")
            u0 = end.energy[s] - end.equilibrium_eta[s] - self.barrier / end.kT
        else:
            s = end.index_of_kind("hole")
            u0 = self.barrier / end.kT - end.energy[s] + end.equilibrium_eta[s]
        return u0 + self.potential / end.kT

    def inflow(self, end: End) -> Inflow:
        """Thermionic emission: $-v(c(0) - c_{0B})$ into the semiconductor, per carrier."""
        flow = jnp.zeros(len(end.species))
        source = jnp.zeros(len(end.species))
        kT_local = end.kT * end.theta
        temperature = kT_local / BOLTZMANN_EV
        for kind, barrier, velocity, richardson in zip(
            ("electron", "hole"),
            self._barriers(end),
            (self.velocity_n, self.velocity_p),
            (self.richardson_n, self.richardson_p),
        ):
            s = end.index_of_kind(kind)
            if s is None or not end.present[s] or barrier is None:
                continue
            density = jnp.exp(end.log_density[s]) * end.density  # N (m^-3)
            if velocity is None:
                velocity = richardson * temperature**2 / (ELEMENTARY_CHARGE * density)
            equilibrium = jnp.exp(end.log_density[s] - barrier / kT_local)  # scaled c_0B
            j = -velocity * (end.concentration[s] - equilibrium) * end.area * end.time
            flow = flow.at[s].set(j / end.length)
            # from the metal: its Fermi level, which the bias moves with the contact
            source = source.at[s].set(end.equilibrium_eta[s] + end.z[s] * (end.u - end.u_contact))
        return Inflow(flow, source)

    def exchanged(self, species):
        return tuple(species)

    def check(self, junction, side: str) -> None:
        from .state import Closed

        if isinstance(junction.state, Closed):
            raise ValueError(
                f"Junction: the {side} SchottkyContact exchanges electrons and holes with its "
                "metal, which a Closed state forbids; use Reservoir or ReferenceBulk"
            )
        phase = junction.phases[0 if side == "left" else -1]
        kinds = {s.kind: s.name for s in junction.species}
        name = kinds.get(self.carrier)
        if name is None or name not in phase.carriers or not phase.carriers[name].mobile:
            raise ValueError(
                f"Junction: the {side} SchottkyContact gives the barrier of the "
                f"{self.carrier}s, which are not a mobile carrier of the end phase "
                f"{phase.name!r}; add them (Carrier with mu0 = the band edge) or set carrier="
            )

    def check_equilibrium(self, side: str) -> None:
        _check_unbiased(self, side, "Schottky")
