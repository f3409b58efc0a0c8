"""The ends of a junction: what each boundary does to the potential, the carriers and the
current.

A boundary is a class that implements its own behaviour. It declares what it is
(`fixes_potential`, `holds_carriers`, `semi_infinite`, ...) and computes what it contributes,
in the solvers' non-dimensional units, from an `End`: the state of the discrete junction at its
end node (φ in k_BT₀/e, concentrations in c_ref, electrochemical potentials in k_BT₀):

- `held_potential(end)`: the potential φ it holds (a Dirichlet row of Poisson's equation), if it
  `fixes_potential`;
- `held_concentrations(end)`: the concentrations it holds (rows of the continuity equations),
  if it `holds_carriers`;
- `inflow(end)`: the particles it passes into the end box (Butler–Volmer exchange, thermionic
  emission) and the electrochemical potential they arrive with (for the energy balance);
- `exchanged(species)`: the species whose amounts it changes (open to it);
- `check(junction, side)`: its construction-time checks.

The equilibrium solver, the transport rows, the mass matrix, the conservation laws, the mesh
and the impedance read only these, so a new contact type is one class (see `schottky.py`).
"""

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._constants import ELEMENTARY_CHARGE
from .._custom_types import ScalarLike, as_float, traced
from .._fields import FINITE, check_parameters, parameter


class End(eqx.Module):
    """The discrete junction at one end, as a boundary sees it (non-dimensional).

    - `side`: 0 (left) or 1 (right); `species`, `kinds`, `charges`: the junction's species;
      `mobile`: whether each is mobile in the end phase (`z`, `present` as arrays).
    - `kT` (eV): k_BT₀ at the junction's temperature T₀; `theta`: T/T₀ at the end node.
    - `u`: φ at the end node (k_BT₀/e); `field`: −dφ/dx at the end face (k_BT₀/e per L₀).
    - `u_bulk`: φ of the end phase's neutral bulk (k_BT₀/e); `u_contact`: the potential the
      boundary holds at equilibrium (its `potential`, without a drive).
    - `concentration` `[S]`: in the end half box (units of c_ref); `eta` `[S]`: the species'
      electrochemical potentials there (k_BT₀); `equilibrium_eta` `[S]`: their equilibrium
      values (the junction's state); `bulk_concentration` `[S]`: the end phase's neutral bulk.
    - `energy` `[S]`: ±μ°/k_BT₀ (hole energies −E_V); `log_density` `[S]`: ln(N/c_ref).
    - `eps_r`, `area` (scaled face area), and the scales `length` L₀ (m), `density` c_ref
      (m^-3), `time` t₀ (s) of the non-dimensionalisation.
    """

    side: int = eqx.field(static=True)
    species: tuple[str, ...] = eqx.field(static=True)
    kinds: tuple[str, ...] = eqx.field(static=True)
    charges: tuple[float, ...] = eqx.field(static=True)
    mobile: tuple[bool, ...] = eqx.field(static=True)
    kT: Array
    theta: Array
    u: Array
    field: Array
    u_bulk: Array
    u_contact: Array
    concentration: Float[Array, " s"]
    eta: Float[Array, " s"]
    equilibrium_eta: Float[Array, " s"]
    bulk_concentration: Float[Array, " s"]
    energy: Float[Array, " s"]
    log_density: Float[Array, " s"]
    eps_r: Array
    area: Array
    length: Array
    density: Array
    time: Array

    @property
    def z(self) -> np.ndarray:
        """Charge numbers `[S]`."""
        return np.asarray(self.charges, dtype=float)

    @property
    def present(self) -> np.ndarray:
        """`[S]` bool: mobile in the end phase."""
        return np.asarray(self.mobile, dtype=bool)

    def index(self, name: str) -> int:
        """The column of a species (by name)."""
        return self.species.index(name)

    def index_of_kind(self, kind: str) -> int | None:
        """The column of the electron or hole species, `None` without one."""
        return self.kinds.index(kind) if kind in self.kinds else None

    def flow_scale(self) -> Array:
        """Scaled particle flow per unit of an SI particle flux (m^-2 s^-1) through the end
        face."""
        return self.area * self.time / (self.density * self.length)


class Inflow(eqx.Module):
    """Particles a boundary passes into its end box: `flow` `[S]` (scaled particles per scaled
    time, positive into the junction) and the electrochemical potential `source_eta` `[S]`
    (k_BT₀) they bring from their reservoir (for the energy balance)."""

    flow: Float[Array, " s"]
    source_eta: Float[Array, " s"]


def no_inflow(end: End) -> Inflow:
    zero = jnp.zeros(len(end.species))
    return Inflow(zero, zero)


class AbstractBoundary(eqx.Module):
    """A boundary condition at the left or right end of the junction.

    **Declarations** (class variables): `fixes_potential` (holds φ: an electrode, a contact),
    `holds_carriers` (holds the end's concentrations: an ohmic contact), `references_bulk`
    (its potential is measured from the end phase's neutral bulk), `explicit_flow` (every
    particle crossing it is in `inflow`, so the current is the end face's charging plus that
    flow), `semi_infinite` (the end phase may be semi-infinite), `centre` (a symmetry plane
    may sit at r = 0 in radial geometry).
    """

    fixes_potential: ClassVar[bool] = False
    holds_carriers: ClassVar[bool] = False
    references_bulk: ClassVar[bool] = False
    explicit_flow: ClassVar[bool] = False
    semi_infinite: ClassVar[bool] = False
    centre: ClassVar[bool] = False

    def held_potential(self, end: End) -> Array:
        """The potential held (k_BT₀/e); only called when `fixes_potential`."""
        raise TypeError(f"{type(self).__name__} does not fix the potential")

    def held_concentrations(self, end: End) -> Float[Array, " s"]:
        """The concentrations held (units of c_ref); only called when `holds_carriers`."""
        raise TypeError(f"{type(self).__name__} does not hold the concentrations")

    def inflow(self, end: End) -> Inflow:
        """Particles passed into the end box (default: none)."""
        return no_inflow(end)

    def exchanged(self, species: tuple[str, ...]) -> tuple[str, ...]:
        """The species (of those mobile in the end phase) whose amounts it changes."""
        return ()

    def check(self, junction, side: str) -> None:  # noqa: B027 (optional hook)
        """Construction-time checks against the junction (`side`: "left" or "right")."""

    def check_equilibrium(self, side: str) -> None:  # noqa: B027 (optional hook)
        """Raise if the equilibrium solver cannot use the boundary as it is (a bias)."""


class Bulk(AbstractBoundary):
    """A semi-infinite neutral bulk: zero field at the end of a phase long enough to be neutral.

    If the end phase has `thickness=None`, the mesh chooses its length from the Debye length and
    the built-in potential (25 Debye lengths plus four depletion widths, `Mesh.auto`).
    """

    semi_infinite = True

    def check(self, junction, side: str) -> None:
        _check_bulk_end(junction, side)


class Symmetry(AbstractBoundary):
    """A symmetry plane (zero field, no flux) at the end of a phase of given thickness: the centre
    of a symmetric film, grain or particle."""

    centre = True


def _check_exchange(exchange, what: str) -> tuple:
    from .kinetics import ButlerVolmer

    if isinstance(exchange, ButlerVolmer):
        exchange = (exchange,)
    exchange = tuple(exchange)
    for rate in exchange:
        if not isinstance(rate, ButlerVolmer):
            raise TypeError(f"{what} must be pnpjax.ButlerVolmer rate laws, got {type(rate)}")
    names = [k.species for k in exchange]
    if len(set(names)) != len(names):
        raise ValueError(f"Electrode: exchange names a species twice: {names}")
    return exchange


class Electrode(AbstractBoundary):
    """An ideally polarisable electrode held at `potential` (V): it fixes φ and exchanges no
    species (blocking to ions, electrons and holes alike), so it does not fix the Fermi level.

    **Arguments:**

    - `potential`: electrostatic potential φ at the contact (V), in the gauge where the reference
      phase or reservoir defines φ = 0.
    - `exchange`: `ButlerVolmer` rate laws of species the electrode exchanges with its reservoir
      (transport solvers only; e.g. Li^+ between a Li metal electrode and a solid electrolyte).
      The equilibrium solver treats the electrode as blocking.
    """

    fixes_potential = True
    explicit_flow = True
    potential: Array = parameter(unit="V", range=FINITE, doc="potential of the electrode")
    exchange: tuple

    def __init__(self, potential: ScalarLike = 0.0, exchange=()):
        self.potential = as_float(potential)
        self.exchange = _check_exchange(exchange, "Electrode: exchange")

    def __check_init__(self):
        check_parameters(self, "Electrode")

    def held_potential(self, end: End) -> Array:
        return self.potential / end.kT

    def inflow(self, end: End) -> Inflow:
        """Butler–Volmer exchange of each listed species with the electrode's reservoir, whose
        electrochemical potential moves with the electrode's potential (zφ)."""
        flow = jnp.zeros(len(end.species))
        source = jnp.zeros(len(end.species))
        for rate in self.exchange:
            s = end.index(rate.species)
            z = end.z[s]
            if rate.reservoir is None:
                reservoir = end.equilibrium_eta[s] + z * (end.u - end.u_contact)
            else:
                sign = -1.0 if end.kinds[s] == "hole" else 1.0
                reservoir = sign * rate.reservoir / end.kT + z * end.u
            scale = end.area * end.time / (ELEMENTARY_CHARGE * end.density * end.length * abs(z))
            j = rate.flow((reservoir - end.eta[s]) / end.theta, scale)
            flow = flow.at[s].set(j)
            source = source.at[s].set(reservoir)
        return Inflow(flow, source)

    def exchanged(self, species):
        return tuple(rate.species for rate in self.exchange)

    def check(self, junction, side: str) -> None:
        phase = junction.phases[0 if side == "left" else -1]
        charges = {s.name: s.charge for s in junction.species}
        for rate in self.exchange:
            carrier = phase.carriers.get(rate.species)
            if carrier is None or not carrier.mobile:
                raise ValueError(
                    f"Junction: the {side} Electrode exchanges {rate.species!r}, which is not a "
                    f"mobile carrier of the end phase {phase.name!r}"
                )
            if charges.get(rate.species, 0) == 0:
                raise ValueError(
                    f"ButlerVolmer({rate.species!r}): the species is neutral; Butler–Volmer "
                    "kinetics transfers charge (|z| >= 1)"
                )


class Ohmic(AbstractBoundary):
    """An ohmic contact: every mobile carrier of the end phase is held at its neutral bulk
    concentration (the equilibrium of the junction's state) and φ at the bulk's neutral
    potential plus `potential` (V). It exchanges every species freely, so current flows
    through it.

    The equilibrium solver accepts it only at zero `potential` (a biased ohmic contact drives a
    current; use `solve_steady_state` or `solve_transient`); it needs a `Reservoir` or
    `ReferenceBulk` state, which defines the contact's composition.

    **Arguments:**

    - `potential`: applied potential of the contact (V) relative to its equilibrium value.
    """

    fixes_potential = True
    holds_carriers = True
    references_bulk = True
    potential: Array = parameter(unit="V", range=FINITE, doc="applied potential")

    def __init__(self, potential: ScalarLike = 0.0):
        self.potential = as_float(potential)

    def __check_init__(self):
        check_parameters(self, "Ohmic")

    def held_potential(self, end: End) -> Array:
        return end.u_bulk + self.potential / end.kT

    def held_concentrations(self, end: End):
        return jnp.where(end.present, end.bulk_concentration, 0.0)

    def exchanged(self, species):
        return species

    def check(self, junction, side: str) -> None:
        from .state import Closed

        if isinstance(junction.state, Closed):
            raise ValueError(
                f"Junction: the {side} Ohmic contact exchanges every species, which a Closed "
                "state forbids; use Reservoir or ReferenceBulk, or an Electrode"
            )

    def check_equilibrium(self, side: str) -> None:
        _check_unbiased(self, side, "Ohmic")


def _check_unbiased(boundary, side: str, name: str) -> None:
    bias = None if traced(boundary.potential) else float(np.asarray(boundary.potential))
    if bias is not None and bias != 0:
        raise ValueError(
            f"solve_equilibrium: the {side} {name} contact is biased ({bias:.4g} V), which drives "
            "a current; use solve_steady_state (or potential=0.0)"
        )


def _check_bulk_end(junction, side: str) -> None:
    """The end phase at a `Bulk` boundary must be able to be neutral: mobile carriers of both
    signs, or a fixed charge opposite to a mobile carrier's sign."""
    phase = junction.phases[0 if side == "left" else -1]
    charge = {s.name: s.charge for s in junction.species}
    signs = {np.sign(charge[n]) for n, c in phase.carriers.items() if c.mobile and charge[n]}
    fixed_leaves = [phase.background_charge] + [
        c.density for n, c in phase.carriers.items() if not c.mobile and charge[n]
    ]
    if any(traced(leaf) for leaf in fixed_leaves):
        return
    fixed = float(phase.background_charge) + sum(
        charge[n] * float(c.density)
        for n, c in phase.carriers.items()
        if not c.mobile and charge[n]
    )
    if signs >= {1, -1} or (fixed != 0 and -np.sign(fixed) in signs):
        return
    raise ValueError(
        f"Phase {phase.name!r} ends the junction at a Bulk() boundary but cannot be neutral "
        f"(mobile charge signs {sorted(int(s) for s in signs)}, fixed charge {fixed:.3g} "
        "e·m^-3); add a mobile counter-carrier or background_charge, or use Symmetry()/"
        "Electrode() with a finite thickness"
    )
