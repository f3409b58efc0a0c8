"""The discrete transport system: a junction on a mesh with channels, rates, contacts and a drive.

**Channels.** A channel is one species in a run of phases it crosses in local equilibrium. A
species is split into separate channels at an interface that blocks it or where it crosses with
`ButlerVolmer` kinetics; at such an interface node each channel owns only the half box on its
side. Every node carries one amount per channel (zero where the channel is absent), so the
unknowns form blocks of equal size: `[u, y_1, ..., y_K]` per node.

**Scales.** Length L_0, concentration c_ref and potential k_BT/e as in the equilibrium problem;
time $t_0 = L_0^2/D_\\text{ref}$ with D_ref the largest diffusivity; the amount of channel k in the
box of node j is stored normalised, $y = \\hat n/(V_j s_k)$, with $s_k$ the channel's largest bulk
concentration, so that majority carriers are O(1).

**Heat.** With thermal boundaries on the junction every node also carries $\\theta = T/T_0$ (T_0
the junction's temperature) as the last unknown of its block; energies are measured in
$k_BT_0$ per particle and in $k_BT_0c_\\text{ref}L_0^d$ per box (see `Heat`).
"""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._constants import BOLTZMANN, BOLTZMANN_EV, ELEMENTARY_CHARGE
from .._model.junction import Electrode, Junction, Ohmic
from .._model.kinetics import ButlerVolmer, resolve_species
from .._model.thermal import FIXED_TEMPERATURE, HEAT_FLUX, OnsagerMatrix
from .._model.waveforms import AbstractWaveform, as_waveform
from .geometry import dimension
from .poisson import bulk_concentrations
from .problem import Problem

INSULATING, ELECTRODE, OHMIC = 0, 1, 2


@dataclasses.dataclass(frozen=True, eq=False)
class Channels:
    """Static map of the channels.

    - `species[k]`: species index of channel k; `phases[k]`: its phases.
    - `left[k, j]`, `right[k, j]`: channel k owns the left/right half box of node j.
    - `edges[k, e]`: channel k lives on cell e.
    - `of_left[j, s]`, `of_right[j, s]`: channel of species s in that half box (−1 if none).
    - `labels[k]`: `"species"` or `"species@Phase"`.
    """

    species: np.ndarray
    phases: tuple[tuple[int, ...], ...]
    left: np.ndarray
    right: np.ndarray
    edges: np.ndarray
    of_left: np.ndarray
    of_right: np.ndarray
    labels: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.species)


def build_channels(junction: Junction, problem: Problem) -> Channels:
    layout = problem.layout
    names = layout.species
    kinds = layout.kinds
    species, phases, labels = [], [], []
    for s, name in enumerate(names):
        runs, current = [], []
        for p in range(len(junction.phases)):
            cut = False
            if p > 0:
                interface = junction.interfaces[p - 1]
                group = "E_F" if kinds[s] in ("electron", "hole") else name
                cut = group in interface.blocked or name in interface.blocked
                cut = cut or any(k.species == name for k in interface.kinetics)
            if layout.mobile[p, s] and current and not cut:
                current.append(p)
            else:
                if current:
                    runs.append(tuple(current))
                current = [p] if layout.mobile[p, s] else []
        if current:
            runs.append(tuple(current))
        for run in runs:
            species.append(s)
            phases.append(run)
            labels.append(name if len(runs) == 1 else f"{name}@{layout.phase_names[run[0]]}")
    n = problem.n_nodes
    k = len(species)
    left = np.zeros((k, n), bool)
    right = np.zeros((k, n), bool)
    edges = np.zeros((k, n - 1), bool)
    of_left = -np.ones((n, len(names)), int)
    of_right = -np.ones((n, len(names)), int)
    for c in range(k):
        member = np.zeros(len(junction.phases) + 1, bool)
        member[list(phases[c])] = True
        left[c] = member[problem.left_phase] & (problem.left_phase >= 0)
        right[c] = member[problem.right_phase] & (problem.right_phase >= 0)
        edges[c] = member[problem.edge_phase]
        of_left[left[c], species[c]] = c
        of_right[right[c], species[c]] = c
    return Channels(
        np.array(species, int),
        tuple(phases),
        left,
        right,
        edges,
        of_left,
        of_right,
        tuple(labels),
    )


class Transfer(eqx.Module):
    """Butler–Volmer transfer at one node between two channels (`source` → `target`, −1 for an
    electrode reservoir). `rate` is the scaled exchange rate j_0/(|z|e) · t_0/(c_ref L_0)."""

    node: int = eqx.field(static=True)
    source: int = eqx.field(static=True)
    target: int = eqx.field(static=True)
    species: int = eqx.field(static=True)
    side: int = eqx.field(static=True)
    rate: Array
    symmetry: Array
    reservoir: Array
    explicit_reservoir: bool = eqx.field(static=True)


class Drive(eqx.Module):
    """What controls the right contact in time: `"voltage"` (V added to its potential),
    `"current"` (A/m^2 through the device, galvanostatic; 0 is open circuit) or `None`."""

    kind: str | None = eqx.field(static=True)
    waveform: AbstractWaveform | None


class Heat(eqx.Module):
    """Non-dimensional heat transport arrays (energies in k_BT_0, see the module docstring).

    - `kinds`: thermal boundary kinds of the left and right end (`FIXED_TEMPERATURE`,
      `HEAT_FLUX`, `CONVECTIVE`); `value[side]`: θ of a fixed end, the scaled inflow of a flux
      end, the ambient θ of a convective one; `coefficient[side]`: the scaled h of a convective
      end.
    - `capacity[p]` $C_v/(k_Bc_\\text{ref})$ and `conductivity[p]`
      $\\kappa t_0/(k_Bc_\\text{ref}L_0^2)$ per phase; `entropy[p, s]` $s^\\circ/k_B$ (hole sign
      included) and `activation[p, s]` $E_a/k_BT_0$ of the diffusivity.
    - `ramp`: the fraction of each boundary value's departure from T_0 (and of a heat flux)
      applied: 1 except in the stages of the steady-state continuation.
    - `energy_scale`: J per scaled energy, $k_BT_0c_\\text{ref}L_0^d$.
    """

    kinds: tuple[int, int] = eqx.field(static=True)
    value: Array
    coefficient: Array
    capacity: Array
    conductivity: Array
    entropy: Array
    activation: Array
    ramp: Array
    energy_scale: Array

    def boundary_theta(self, side: int):
        """θ of a fixed or ambient end with the ramp applied."""
        return 1.0 + self.ramp * (self.value[side] - 1.0)


class TransportSystem(eqx.Module):
    """Arrays and static maps of the discretised Poisson–Nernst–Planck system.

    `heat_of_transport[p, s]` is Q*/k_BT_0 (zero without thermal coefficients); `cross[p, k, m]`
    the scaled cross diffusivities of `OnsagerMatrix` phases (`None` when no phase has any);
    `heat` the heat transport arrays when the temperature is solved for, else `None`.
    """

    problem: Problem
    channels: Channels = eqx.field(static=True)
    contacts: tuple[int, int] = eqx.field(static=True)
    face: Array
    volume: Array
    diffusivity: Array
    time_scale: Array
    current_scale: Array
    scale: Array
    g: Array
    u_contact: Array
    y_contact: Array
    u_gauge: Array
    transfers: tuple[Transfer, ...]
    rates: tuple
    reaction_info: tuple[tuple, ...] = eqx.field(static=True)
    drive: Drive
    heat_of_transport: Array
    cross: Array | None
    heat: Heat | None

    @property
    def reactions(self):
        """`((phase, rate law, ((species, ν), ...)), ...)`."""
        return tuple((p, rate, stoich) for rate, (p, stoich) in zip(self.rates, self.reaction_info))

    @property
    def n_nodes(self) -> int:
        return self.problem.n_nodes

    @property
    def block(self) -> int:
        return 1 + self.channels.count + (self.heat is not None)

    @property
    def theta_slot(self) -> int:
        """Index of θ = T/T_0 in a node's block (heat transport only)."""
        return 1 + self.channels.count

    @property
    def gauge(self) -> bool:
        """No contact fixes φ: row 0 of Poisson is replaced by φ(left) = its initial value."""
        return self.contacts == (INSULATING, INSULATING)


def _contact_kind(boundary) -> int:
    if isinstance(boundary, Ohmic):
        return OHMIC
    if isinstance(boundary, Electrode):
        return ELECTRODE
    return INSULATING


def build_system(junction: Junction, problem: Problem, g, drive: Drive) -> TransportSystem:
    """Discretise the transport problem of `junction` on the equilibrium `problem`, with the
    equilibrium electrochemical potentials `g` (k_BT) of its initial state."""
    layout = problem.layout
    channels = build_channels(junction, problem)
    n = problem.n_nodes
    d = dimension(junction.geometry)
    edge_phase = problem.edge_phase
    face = problem.conductance / problem.eps_r[edge_phase]
    volume = problem.vol_left + problem.vol_right
    n_p, n_s = layout.mobile.shape
    diffusivity = diffusivity_table(junction, layout)
    _check_diffusivities(junction, layout, diffusivity)
    # a scale only: the solution does not depend on it, so it carries no derivative (and the
    # step controller's save times stay free of tangents)
    d_ref = jax.lax.stop_gradient(jnp.max(diffusivity))
    length = problem.length_scale
    time_scale = length**2 / d_ref
    current_scale = ELEMENTARY_CHARGE * problem.c_ref * length**d / time_scale
    c_bulk, u_b, _ = bulk_concentrations(problem, g)
    scale = jnp.stack(
        [
            jnp.max(jnp.stack([c_bulk[p, channels.species[c]] for p in channels.phases[c]]))
            for c in range(channels.count)
        ]
    )
    scale = jnp.where(scale > 0, scale, 1.0)
    contacts = (_contact_kind(junction.left), _contact_kind(junction.right))
    # ohmic contacts: the end phase's neutral bulk at its neutral potential (plus bias)
    u_contact = problem.u_boundary
    y_contact = jnp.zeros((2, channels.count))
    for side, node, p in ((0, 0, 0), (1, n - 1, n_p - 1)):
        if contacts[side] == OHMIC:
            present = channels.left[:, node] | channels.right[:, node]
            values = c_bulk[p, channels.species] / scale
            y_contact = y_contact.at[side].set(jnp.where(present, values, 0.0))
    transfers = _transfers(junction, problem, channels, g, time_scale)
    reactions = _reactions(junction, layout)
    diffusivity_scaled = diffusivity / d_ref
    heat_of_transport, cross = _onsager_tables(junction, layout, problem.kT)
    cross = None if cross is None else cross / d_ref
    heat = _heat(junction, problem, time_scale) if junction.heat_transport else None
    return TransportSystem(
        problem=problem,
        channels=channels,
        contacts=contacts,
        face=face,
        volume=volume,
        diffusivity=diffusivity_scaled,
        time_scale=time_scale,
        current_scale=current_scale,
        scale=scale,
        g=g,
        u_contact=u_contact,
        y_contact=y_contact,
        u_gauge=u_b[0],
        transfers=transfers,
        rates=tuple(rate for _, rate, _ in reactions),
        reaction_info=tuple((p, stoich) for p, _, stoich in reactions),
        drive=drive,
        heat_of_transport=heat_of_transport / problem.kT,
        cross=cross,
        heat=heat,
    )


def _onsager_tables(junction: Junction, layout, kT):
    """`(Q* (eV) [n_phases, S], cross diffusivities (m^2/s) [n_phases, S, S] or None)` from the
    phases' thermal coefficients."""
    n_p, n_s = layout.mobile.shape
    heats = [[jnp.zeros(()) for _ in range(n_s)] for _ in range(n_p)]
    cross_entries = []
    for p, phase in enumerate(junction.phases):
        if phase.thermal is None:
            continue
        _, q_star, cross = phase.thermal.coefficients(phase.carriers, kT)
        for name, value in q_star.items():
            heats[p][layout.species.index(name)] = value
        for (a, b), value in cross.items():
            cross_entries.append((p, layout.species.index(a), layout.species.index(b), value))
    q = jnp.stack([jnp.stack(row) for row in heats])
    if not cross_entries:
        return q, None
    table = jnp.zeros((n_p, n_s, n_s))
    for p, a, b, value in cross_entries:
        table = table.at[p, a, b].set(value)
    return q, table


def _heat(junction: Junction, problem: Problem, time_scale) -> Heat:
    """The scaled heat transport arrays of a junction with thermal boundaries."""
    layout = problem.layout
    t0_kelvin = junction.temperature
    d = dimension(junction.geometry)
    length, c_ref = problem.length_scale, problem.c_ref
    kb_c = BOLTZMANN * c_ref
    capacity, conductivity, entropy, activation = [], [], [], []
    for phase in junction.phases:
        kappa, _, _ = phase.thermal.coefficients(phase.carriers, problem.kT)
        capacity.append(phase.thermal.heat_capacity / kb_c)
        conductivity.append(kappa * time_scale / (kb_c * length**2))
        entropy.append(
            jnp.stack(
                [
                    layout.sign[s] * phase.carriers[name].entropy / BOLTZMANN_EV
                    if name in phase.carriers
                    else jnp.zeros(())
                    for s, name in enumerate(layout.species)
                ]
            )
        )
        activation.append(
            jnp.stack(
                [
                    phase.carriers[name].activation_energy / problem.kT
                    if name in phase.carriers
                    else jnp.zeros(())
                    for name in layout.species
                ]
            )
        )
    # a boundary heat flux (W/m^2) in scaled energy per scaled time and area
    flux_scale = time_scale / (kb_c * t0_kelvin * length)
    kinds, value, coefficient = [], [], []
    for boundary in (junction.thermal_left, junction.thermal_right):
        kinds.append(boundary.kind)
        if boundary.kind == FIXED_TEMPERATURE:
            value.append(boundary.temperature / t0_kelvin)
            coefficient.append(jnp.zeros(()))
        elif boundary.kind == HEAT_FLUX:
            value.append(boundary.flux * flux_scale)
            coefficient.append(jnp.zeros(()))
        else:
            value.append(boundary.ambient / t0_kelvin)
            coefficient.append(boundary.transfer_coefficient * flux_scale * t0_kelvin)
    return Heat(
        kinds=tuple(kinds),
        value=jnp.stack(value),
        coefficient=jnp.stack(coefficient),
        capacity=jnp.stack(capacity),
        conductivity=jnp.stack(conductivity),
        entropy=jnp.stack(entropy),
        activation=jnp.stack(activation),
        ramp=jnp.ones(()),
        energy_scale=BOLTZMANN * t0_kelvin * c_ref * length**d,
    )


def diffusivity_table(junction: Junction, layout):
    """D (m^2/s) `[n_phases, n_species]` of the mobile carriers (0 elsewhere): the carriers'
    own, or those an `OnsagerMatrix` implies."""

    def value(phase, name):
        if name not in phase.carriers or not phase.carriers[name].mobile:
            return jnp.zeros(())
        if isinstance(phase.thermal, OnsagerMatrix) and name in phase.thermal.species:
            return phase.thermal.diffusivities()[name]
        return phase.carriers[name].diffusivity

    return jnp.stack(
        [jnp.stack([value(phase, name) for name in layout.species]) for phase in junction.phases]
    )


def check_transport(junction: Junction):
    """Construction-time checks of a junction for the transport solvers (concrete values):
    every mobile charged carrier has a diffusivity."""
    from .._model.layout import build_layout

    layout = build_layout(junction)
    diffusivity = diffusivity_table(junction, layout)
    _check_diffusivities(junction, layout, diffusivity)


def _check_diffusivities(junction, layout, diffusivity):
    from .._custom_types import concrete

    values = concrete(diffusivity)
    if values is None:
        return
    for p, phase in enumerate(junction.phases):
        for s, name in enumerate(layout.species):
            if layout.mobile[p, s] and layout.z[s] != 0 and values[p, s] <= 0:
                raise ValueError(
                    f"Phase {phase.name!r}: the mobile carrier {name!r} has no diffusivity; give "
                    f"Carrier(..., diffusivity=D) in m^2/s (or make it frozen with mobile=False)"
                )
    if not np.any(values > 0):
        raise ValueError("transport: no carrier has a diffusivity > 0 (m^2/s)")


def _transfers(junction, problem, channels, g, time_scale):
    layout = problem.layout
    names = layout.species
    out = []
    length, c_ref = problem.length_scale, problem.c_ref
    rate_scale = time_scale / (ELEMENTARY_CHARGE * c_ref * length)

    def channel_at(node, s, side_of_node):
        table = channels.of_left if side_of_node == 0 else channels.of_right
        return int(table[node, s])

    for k, interface in enumerate(junction.interfaces):
        node = int(problem.interface_nodes[k])
        for rate in interface.kinetics:
            s = names.index(rate.species)
            _check_charged(layout, s, rate)
            out.append(
                Transfer(
                    node=node,
                    source=channel_at(node, s, 0),
                    target=channel_at(node, s, 1),
                    species=s,
                    side=-1,
                    rate=rate.exchange_current / abs(layout.z[s]) * rate_scale,
                    symmetry=rate.symmetry,
                    reservoir=jnp.zeros(()),
                    explicit_reservoir=False,
                )
            )
    n = problem.n_nodes
    for side, boundary, node in ((0, junction.left, 0), (1, junction.right, n - 1)):
        for rate in getattr(boundary, "exchange", ()):
            s = names.index(rate.species)
            _check_charged(layout, s, rate)
            c = channel_at(node, s, 1 if side == 0 else 0)
            p = 0 if side == 0 else len(junction.phases) - 1
            k_pot = layout.potential_index[p, s]
            if rate.reservoir is None:
                reservoir = layout.sign[s] * g[k_pot]
            else:
                reservoir = layout.sign[s] * rate.reservoir / problem.kT
            out.append(
                Transfer(
                    node=node,
                    source=-1,
                    target=c,
                    species=s,
                    side=side,
                    rate=rate.exchange_current / abs(layout.z[s]) * rate_scale,
                    symmetry=rate.symmetry,
                    reservoir=reservoir,
                    explicit_reservoir=rate.reservoir is not None,
                )
            )
    return tuple(out)


def _check_charged(layout, s, rate: ButlerVolmer):
    if layout.z[s] == 0:
        raise ValueError(
            f"ButlerVolmer({rate.species!r}): the species is neutral; Butler–Volmer kinetics "
            "transfers charge (|z| >= 1)"
        )


def _reactions(junction, layout):
    """`((phase, rate law, ((species, ν), ...)), ...)` with species as indices."""
    out = []
    for p, phase in enumerate(junction.phases):
        for rate in phase.reactions:
            stoich = resolve_species(rate, layout.species, layout.kinds)
            out.append((p, rate, tuple(sorted(stoich.items()))))
    return tuple(out)


def make_drive(voltage, current) -> Drive:
    """A `Drive` from the `voltage=` and `current=` arguments of the transport solvers."""
    if voltage is not None and current is not None:
        raise ValueError(
            "give either voltage= (potentiostatic, V) or current= (galvanostatic, A/m^2), not both"
        )
    if voltage is not None:
        return Drive("voltage", as_waveform(voltage))
    if current is not None:
        return Drive("current", as_waveform(current))
    return Drive(None, None)


def check_drive(junction: Junction, drive: Drive):
    """A drive needs contacts that can carry it."""
    right, left = _contact_kind(junction.right), _contact_kind(junction.left)
    if drive.kind == "voltage" and right == INSULATING:
        raise ValueError(
            "voltage=: the right boundary must be an Electrode or Ohmic contact to apply a "
            f"voltage to, got {type(junction.right).__name__}()"
        )
    if drive.kind == "current" and (right == INSULATING or left == INSULATING):
        raise ValueError(
            "current=: a galvanostatic drive needs contacts at both ends (Electrode or Ohmic), "
            f"got left={type(junction.left).__name__}(), right={type(junction.right).__name__}(); "
            "an insulating end carries no current"
        )
