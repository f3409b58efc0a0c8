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
from .._custom_types import concrete
from .._geometry import dimension
from .._model.drives import AbstractDrive
from .._model.junction import Junction
from .._model.kinetics import ButlerVolmer, resolve_species
from .._model.layout import build_layout
from .._model.thermal import AbstractThermalBoundary, OnsagerMatrix
from .phases import Bulk
from .problem import Problem, end_at_equilibrium


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
    """Butler–Volmer transfer of a species across an interface node, from the channel on the
    left (`source`) to the one on the right (`target`); `rate_scale` turns j_0 (A/m^2) into
    the scaled flow, area included."""

    node: int = eqx.field(static=True)
    source: int = eqx.field(static=True)
    target: int = eqx.field(static=True)
    species: int = eqx.field(static=True)
    law: ButlerVolmer
    rate_scale: Array


class RateGroup(eqx.Module):
    """Bulk rate laws of one kind (class, settings and stoichiometry) acting in `phases`, their
    float leaves stacked along a leading phase axis: one evaluation serves every phase."""

    law: object
    phases: tuple[int, ...] = eqx.field(static=True)
    stoichiometry: tuple[tuple[int, float], ...] = eqx.field(static=True)

    def at_rows(self, phase_rows: np.ndarray):
        """The law with each leaf taken at the phase of each row (rows of other phases get the
        first member's values: their rates are masked)."""
        lookup = np.zeros(max(max(self.phases), int(phase_rows.max(initial=0))) + 1, int)
        lookup[list(self.phases)] = np.arange(len(self.phases))
        members = lookup[np.maximum(phase_rows, 0)]
        dynamic, static = eqx.partition(self.law, eqx.is_array)
        return eqx.combine(jax.tree_util.tree_map(lambda leaf: leaf[members], dynamic), static)


def group_rates(reactions) -> tuple[RateGroup, ...]:
    """`RateGroup`s from `((phase, law, stoichiometry), ...)`."""
    groups: list[tuple[object, list[int], list]] = []
    for p, law, stoich in reactions:
        leaves, treedef = jax.tree_util.tree_flatten(law)
        key = (type(law), treedef, tuple(np.shape(leaf) for leaf in leaves), stoich)
        for existing, phases, laws in groups:
            if existing == key and p not in phases:
                phases.append(p)
                laws.append(law)
                break
        else:
            groups.append((key, [p], [law]))
    out = []
    for key, phases, laws in groups:
        stacked = jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *laws)
        out.append(RateGroup(stacked, tuple(phases), key[3]))
    return tuple(out)


class Heat(eqx.Module):
    """Non-dimensional heat transport arrays (energies in k_BT_0, see the module docstring).

    - `ends`: the thermal boundaries at the left and right end (`AbstractThermalBoundary`).
    - `capacity[p]` $C_v/(k_Bc_\\text{ref})$ and `conductivity[p]`
      $\\kappa t_0/(k_Bc_\\text{ref}L_0^2)$ per phase; `entropy[p, s]` $s^\\circ/k_B$ (hole sign
      included) and `activation[p, s]` $E_a/k_BT_0$ of the diffusivity.
    - `t0` (K), `flux_scale`: scaled energy flow per W/m^2 of boundary heat flux.
    - `ramp`: the fraction of each boundary value's departure from T_0 (and of a heat flux)
      applied: 1 except in the stages of the steady-state continuation.
    - `energy_scale`: J per scaled energy, $k_BT_0c_\\text{ref}L_0^d$.
    """

    ends: tuple[AbstractThermalBoundary, AbstractThermalBoundary]
    capacity: Array
    conductivity: Array
    entropy: Array
    activation: Array
    t0: Array
    flux_scale: Array
    ramp: Array
    energy_scale: Array


class TransportSystem(eqx.Module):
    """Arrays and static maps of the discretised Poisson–Nernst–Planck system.

    `heat_of_transport[p, s]` is Q*/k_BT_0 (zero without thermal coefficients); `cross[p, k, m]`
    the scaled cross diffusivities of `OnsagerMatrix` phases (`None` when no phase has any);
    `heat` the heat transport arrays when the temperature is solved for, else `None`.
    """

    problem: Problem
    channels: Channels = eqx.field(static=True)
    face: Array
    volume: Array
    diffusivity: Array
    time_scale: Array
    current_scale: Array
    scale: Array
    g: Array
    bulk_concentration: Array
    u_contact: Array
    y_contact: Array
    u_gauge: Array
    transfers: tuple[Transfer, ...]
    rates: tuple
    rate_groups: tuple[RateGroup, ...]
    reaction_info: tuple[tuple, ...] = eqx.field(static=True)
    drive: AbstractDrive
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
    def boundaries(self):
        """The junction's left and right boundaries."""
        return self.problem.boundaries

    @property
    def gauge(self) -> bool:
        """No boundary holds φ: row 0 of Poisson is replaced by φ(left) = its initial value."""
        return not any(self.problem.dirichlet)

    def channel_of(self, node: int, species: int) -> int:
        """The channel of `species` in the half box of `node` inside the junction (an end
        node's only half box), −1 if none."""
        ch = self.channels
        table = ch.of_right if node == 0 else ch.of_left
        return int(table[node, species])


def build_system(
    junction: Junction, problem: Problem, g, drive: AbstractDrive, bulk: Bulk
) -> TransportSystem:
    """Discretise the transport problem of `junction` on the equilibrium `problem`, with the
    equilibrium electrochemical potentials `g` (k_BT) of its initial state and every phase's
    neutral `bulk` there."""
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
    c_bulk, u_b = bulk.concentration, bulk.u
    scale = jnp.stack(
        [
            jnp.max(jnp.stack([c_bulk[p, channels.species[c]] for p in channels.phases[c]]))
            for c in range(channels.count)
        ]
    )
    scale = jnp.where(scale > 0, scale, 1.0)
    # contacts that hold the carriers: their concentrations, per channel, normalised
    y_contact = jnp.zeros((2, channels.count))
    for side, node in ((0, 0), (1, n - 1)):
        boundary = problem.boundaries[side]
        if boundary.holds_carriers:
            p = problem.end_phase(side)
            end = end_at_equilibrium(problem, side, g, u_b[p], c_bulk[p])
            held = boundary.held_concentrations(end)
            present = channels.left[:, node] | channels.right[:, node]
            values = held[channels.species] / scale
            y_contact = y_contact.at[side].set(jnp.where(present, values, 0.0))
    transfers = _transfers(junction, problem, channels, time_scale)
    reactions = _reactions(junction, layout)
    diffusivity_scaled = diffusivity / d_ref
    heat_of_transport, cross = _onsager_tables(junction, layout, problem.kT)
    cross = None if cross is None else cross / d_ref
    heat = _heat(junction, problem, time_scale) if junction.heat_transport else None
    return TransportSystem(
        problem=problem,
        channels=channels,
        face=face,
        volume=volume,
        diffusivity=diffusivity_scaled,
        time_scale=time_scale,
        current_scale=current_scale,
        scale=scale,
        g=g,
        bulk_concentration=c_bulk,
        u_contact=problem.u_boundary,
        y_contact=y_contact,
        u_gauge=u_b[0],
        transfers=transfers,
        rates=tuple(rate for _, rate, _ in reactions),
        rate_groups=group_rates(reactions),
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
    return Heat(
        ends=(junction.thermal_left, junction.thermal_right),
        capacity=jnp.stack(capacity),
        conductivity=jnp.stack(conductivity),
        entropy=jnp.stack(entropy),
        activation=jnp.stack(activation),
        t0=t0_kelvin,
        # a boundary heat flux (W/m^2) in scaled energy per scaled time and area
        flux_scale=time_scale / (kb_c * t0_kelvin * length),
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
    layout = build_layout(junction)
    diffusivity = diffusivity_table(junction, layout)
    _check_diffusivities(junction, layout, diffusivity)


def _check_diffusivities(junction, layout, diffusivity):
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


def _transfers(junction, problem, channels, time_scale):
    """Butler–Volmer transfers at kinetic interfaces."""
    layout = problem.layout
    names = layout.species
    out = []
    rate_scale = time_scale / (ELEMENTARY_CHARGE * problem.c_ref * problem.length_scale)
    for k, interface in enumerate(junction.interfaces):
        node = int(problem.interface_nodes[k])
        for rate in interface.kinetics:
            s = names.index(rate.species)
            _check_charged(layout, s, rate)
            out.append(
                Transfer(
                    node=node,
                    source=int(channels.of_left[node, s]),
                    target=int(channels.of_right[node, s]),
                    species=s,
                    law=rate,
                    rate_scale=rate_scale * problem.node_area[node] / abs(layout.z[s]),
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
