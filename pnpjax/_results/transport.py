"""Transport solutions in SI units: profiles, terminal currents and stored charge."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from .._constants import BOLTZMANN, BOLTZMANN_EV, ELEMENTARY_CHARGE
from .._discretise.fluxes import edge_fluxes
from .._discretise.gauss import displacement
from .._discretise.heat import entropy_production, heat_flows
from .._discretise.transport import TransportSystem
from .._discretise.transport_rows import box_charge, flux_args, terminal_current
from .._discretise.transport_state import amounts, local_state
from .._geometry import dimension
from .._solution import RESULTS, message
from .equilibrium import profile_entries


class TransportSolution(eqx.Module):
    """Profiles and currents of a transient or steady state (SI units), at `t` (s).

    Profiles are given on `x` (m): the mesh nodes with every interface node listed twice (left
    phase, then right phase), as in `EquilibriumSolution`.

    **Fields** (leading axis: time; a steady state has one time):

    - `t` (s), `x` (m), `phase` (index of each entry), `phi` `[t, x]` (V),
      `concentration` `[t, species, x]` (m^-3).
    - `current` `[t]` (A/m^2 in planar geometry; A/m cylindrical; A spherical): total current,
      uniform in x, positive in +x (conventional current flowing left → right inside).
    - `ionic_current`, `electronic_current`, `displacement_current` `[t, 2]`: its parts at the
      left and right contact (through the first and last cell of the mesh).
    - `voltage` `[t]` (V): φ(right end) − φ(left end) minus its equilibrium value (the applied
      bias; for a galvanostatic or open-circuit run, the response).
    - `electrode_charge` `[t, 2]` (C/m^2): charge on the left and right end faces (an
      electrode's surface charge; 0 at insulating ends).
    - `amounts` `[t, channel]` (m^-2 planar): amount of each channel, keyed by `channels`.
    - `temperature` `[t, x]` (K): the junction's temperature everywhere unless heat transport
      is solved for (`Junction(thermal_left=..., thermal_right=...)`).
    - `heat_flux` `[t, x]` (W/m^2 planar; W/m cylindrical, W spherical): the measurable heat
      flux $J_q' = -\\kappa\\nabla T + \\sum_iQ_i^*J_i$ in +x, the mean of the two cells at each
      node; an interface's two entries and the ends take their own side's cell (the flux jumps
      there by the Peltier heat).
    - `entropy_production` `[t]` (W/K per m^2 planar): the total rate of entropy production
      $\\int[J_q'\\cdot\\nabla(1/T) - \\sum_iJ_i\\cdot\\nabla_T\\tilde\\mu_i/T]dx$ of the discrete
      fluxes, ≥ 0 (interfacial and electrode transfers not included).
    - `state` `[t, n·B]`: the non-dimensional unknowns (pass `state[-1]` as `initial=` to
      continue on the same mesh).
    - `result` (a `pnpjax.RESULTS` item; `message` says it in words), `steps` (accepted
      steps or Newton iterations).
    """

    species: tuple[str, ...] = eqx.field(static=True)
    channels: tuple[str, ...] = eqx.field(static=True)
    t: Float[Array, " t"]
    x: Float[Array, " m"]
    phase: Int[Array, " m"]
    phi: Float[Array, "t m"]
    concentration: Float[Array, "t s m"]
    current: Float[Array, " t"]
    ionic_current: Float[Array, "t 2"]
    electronic_current: Float[Array, "t 2"]
    displacement_current: Float[Array, "t 2"]
    voltage: Float[Array, " t"]
    electrode_charge: Float[Array, "t 2"]
    amounts: Float[Array, "t k"]
    temperature: Float[Array, "t m"]
    heat_flux: Float[Array, "t m"]
    entropy_production: Float[Array, " t"]
    state: Float[Array, "t nb"]
    result: RESULTS
    steps: Int[Array, ""]

    @property
    def converged(self):
        """True where the solve succeeded (an array for a batch)."""
        return jnp.asarray(self.result._value) == 0

    @property
    def message(self) -> str:
        """Why the solve ended, in words ("success" when it succeeded)."""
        return message(self.result)

    def concentration_of(self, species: str) -> Float[Array, "t m"]:
        """Concentration (m^-3) of one species `[t, x]`."""
        if species not in self.species:
            raise KeyError(f"unknown species {species!r}; known: {list(self.species)}")
        return self.concentration[..., self.species.index(species), :]

    def amount_of(self, channel: str) -> Float[Array, " t"]:
        """Amount of one channel (m^-2 planar) over time; keys as in `channels`."""
        if channel not in self.channels:
            raise KeyError(f"unknown channel {channel!r}; known: {list(self.channels)}")
        return self.amounts[..., self.channels.index(channel)]


def _snapshot(system: TransportSystem, t, y):
    """SI quantities of one state at scaled time t."""
    problem = system.problem
    layout = problem.layout
    kT, c_ref, L0 = problem.kT, problem.c_ref, problem.length_scale
    state = local_state(system, y)
    u, yc, c_left, c_right = state.u, state.yc, state.c_left, state.c_right
    nodes, sides = profile_entries(problem)
    use_left = sides == 0
    c_entry = jnp.where(use_left[:, None], c_left[nodes], c_right[nodes]) * c_ref
    flows = edge_fluxes(system, *flux_args(state))
    current = terminal_current(system, t, y, flows)
    electronic = np.array([k in ("electron", "hole") for k in layout.kinds])
    # the particle currents through the first and the last cell: at each contact
    particle = flows[jnp.array([0, -1])] * layout.z
    ionic = jnp.where(electronic, 0.0, particle).sum(axis=1)
    electron = jnp.where(electronic, particle, 0.0).sum(axis=1)
    charge_scale = ELEMENTARY_CHARGE * c_ref * L0
    face_flow = displacement(problem.conductance, u)
    charge = box_charge(system, yc)
    left_face = (face_flow[0] - charge[0]) / problem.node_area[0]
    right_face = -(face_flow[-1] + charge[-1]) / problem.node_area[-1]
    d = dimension(problem.geometry)
    amount = amounts(system, yc).sum(axis=0) * c_ref * L0**d
    theta = jnp.ones(problem.n_nodes) if state.theta is None else state.theta
    # W (per m^2 planar) per scaled energy flow, and W/K per scaled entropy production
    power_scale = BOLTZMANN * problem.kT / BOLTZMANN_EV * c_ref * L0**d / system.time_scale
    heat = heat_flows(system, state, flows) * power_scale
    entropy = entropy_production(system, state, flows).sum()
    return dict(
        phi=u[nodes] * kT,
        concentration=c_entry.T,
        current=current * system.current_scale,
        ionic_current=ionic * system.current_scale,
        electronic_current=electron * system.current_scale,
        displacement_current=(current - ionic - electron) * system.current_scale,
        voltage=(u[-1] - u[0]) * kT,
        electrode_charge=jnp.stack([left_face, right_face]) * charge_scale,
        amounts=amount,
        temperature=theta[nodes] * problem.kT / BOLTZMANN_EV,
        heat_flux=_cells_at_entries(heat, nodes, sides),
        entropy_production=entropy * BOLTZMANN * c_ref * L0**d / system.time_scale,
    )


def _cells_at_entries(values, nodes, sides):
    """A cell quantity `[n−1]` at the profile entries: the mean of a node's two cells; the left
    (right) cell at an interface's left (right) entry and at the right (left) end."""
    left = values[np.maximum(nodes - 1, 0)]
    right = values[np.minimum(nodes, values.shape[0] - 1)]
    return jnp.where(sides == 0, left, jnp.where(sides == 1, right, 0.5 * (left + right)))


def make_solution(system: TransportSystem, ts, ys, reference_voltage, result, steps):
    """A `TransportSolution` from scaled times `ts` and states `ys` `[t, n·B]`."""
    problem = system.problem
    nodes, sides = profile_entries(problem)
    entry_phase = np.where(sides == 0, problem.left_phase[nodes], problem.right_phase[nodes])
    snap = jax.vmap(lambda t, y: _snapshot(system, t, y))(ts, ys)
    return TransportSolution(
        species=problem.layout.species,
        channels=system.channels.labels,
        t=ts * system.time_scale,
        x=problem.x[nodes] * problem.length_scale,
        phase=jnp.asarray(entry_phase),
        phi=snap["phi"],
        concentration=snap["concentration"],
        current=snap["current"],
        ionic_current=snap["ionic_current"],
        electronic_current=snap["electronic_current"],
        displacement_current=snap["displacement_current"],
        voltage=snap["voltage"] - reference_voltage,
        electrode_charge=snap["electrode_charge"],
        amounts=snap["amounts"],
        temperature=snap["temperature"],
        heat_flux=snap["heat_flux"],
        entropy_production=snap["entropy_production"],
        state=ys,
        result=result,
        steps=jnp.asarray(steps),
    )
