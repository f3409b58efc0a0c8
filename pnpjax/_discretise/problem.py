"""The non-dimensional discrete problem: a junction on a mesh, as arrays.

The vertex-centred (box) mesh of `pnpjax.Mesh`: node j owns the box between the midpoints of
its two cells, whose halves take the chemistry of the phase on their side; an interface is a
node. Scales as in `phases.py`. The equilibrium and the transport discretisations both build on
this `Problem`; what they share (the box charge of fixed carriers, background and surface
charge, Gauss's law on the boxes, the carrier statistics, the contacts' potentials) is computed
here and in `gauss.py`, once.
"""

import dataclasses

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._constants import ELEMENTARY_CHARGE
from .._geometry import box_geometry, dimension
from .._model.boundaries import AbstractBoundary, End
from .._model.junction import Junction
from .._model.layout import Layout, build_layout
from .._model.state_resolution import resolve_state, scales, species_arrays
from .phases import Bulk, PhaseTable, bulk_state, gather_potentials
from .statistics import group_models


@dataclasses.dataclass(frozen=True, eq=False)
class Topology:
    """Static index maps of a mesh: phase of each cell, of each node's left and right half box
    (−1 beyond the ends) and the nodes that are interfaces."""

    edge_phase: np.ndarray
    left_phase: np.ndarray
    right_phase: np.ndarray
    interface_nodes: np.ndarray

    @property
    def half_phase(self) -> np.ndarray:
        """Phases of all half boxes, the left halves of every node then the right halves."""
        return np.concatenate([self.left_phase, self.right_phase])


class Problem(eqx.Module):
    """Arrays (leaves, differentiable) and index maps (static) of one discretised junction.

    - `phases`: the `PhaseTable`; `boundaries`: the junction's left and right boundaries.
    - `x` (L₀), `conductance` ε_r A/h per cell, `vol_left`/`vol_right` the half boxes,
      `node_area`, `sigma_node` (scaled surface charge per box).
    - `fixed_charge` `[n]`: the box charge of frozen carriers, background and surface charge.
    - `u_boundary` `[2]`: the potentials the ends hold (k_BT/e; 0 where an end holds none).
    - `g_fixed` (k_BT), `amount`: resolved electrochemical potentials and conserved amounts.
    - `shift_left`, `shift_right` `[n, S]`: segregation energies ΔG/k_BT of each half box.
    - `bulk`: every phase's neutral bulk at `g_fixed` when no potential is closed (then those
      are the equilibrium's potentials: one evaluation serves the contacts, the initial guess,
      the results and the transport scales); `None` for a closed state.
    """

    layout: Layout = eqx.field(static=True)
    geometry: str = eqx.field(static=True)
    topology: Topology = eqx.field(static=True)
    segregated: bool = eqx.field(static=True)
    phases: PhaseTable
    boundaries: tuple[AbstractBoundary, AbstractBoundary]
    length_scale: Array
    x: Array
    conductance: Array
    vol_left: Array
    vol_right: Array
    node_area: Array
    sigma_node: Array
    fixed_charge: Array
    u_boundary: Array
    g_fixed: Array
    amount: Array
    shift_left: Array
    shift_right: Array
    bulk: Bulk | None

    @property
    def n_nodes(self) -> int:
        return self.x.shape[0]

    @property
    def kT(self):
        return self.phases.kT

    @property
    def c_ref(self):
        return self.phases.c_ref

    @property
    def eps_r(self):
        return self.phases.eps_r

    @property
    def ln_density(self):
        return self.phases.ln_density

    @property
    def energy(self):
        return self.phases.energy

    @property
    def frozen(self):
        return self.phases.frozen

    @property
    def background(self):
        return self.phases.background

    @property
    def dirichlet(self) -> tuple[bool, bool]:
        """Whether the left and right ends hold the potential."""
        return tuple(b.fixes_potential for b in self.boundaries)

    @property
    def edge_phase(self) -> np.ndarray:
        return self.topology.edge_phase

    @property
    def left_phase(self) -> np.ndarray:
        return self.topology.left_phase

    @property
    def right_phase(self) -> np.ndarray:
        return self.topology.right_phase

    @property
    def interface_nodes(self) -> np.ndarray:
        return self.topology.interface_nodes

    @property
    def half_shift(self):
        """Segregation energies of all half boxes, in the order of `Topology.half_phase`."""
        return jnp.concatenate([self.shift_left, self.shift_right])

    @property
    def half_volume(self):
        return jnp.concatenate([self.vol_left, self.vol_right])

    def end_phase(self, side: int) -> int:
        return 0 if side == 0 else self.phases.n_phases - 1

    def end_node(self, side: int) -> int:
        return 0 if side == 0 else self.n_nodes - 1


def segregation_shifts(junction: Junction, layout: Layout, x, left_phase, right_phase, kT):
    """Segregation energies ΔG/k_BT `[n_nodes, n_species]` of the left and right half box of
    every node (zero where no profile applies)."""
    n = x.shape[0]
    shifts = [jnp.zeros((n, layout.n_species)), jnp.zeros((n, layout.n_species))]
    for seg in junction.segregation:
        s = layout.species.index(seg.species)
        names = seg.phases if seg.phases is not None else layout.phase_names
        hosts = [layout.phase_names.index(name) for name in names]
        mask_phases = np.zeros(len(layout.phase_names) + 1, dtype=bool)
        mask_phases[hosts] = True
        energy = seg(x) / kT
        for side, phases in enumerate((left_phase, right_phase)):
            applies = mask_phases[phases] & layout.mobile[np.maximum(phases, 0), s] & (phases >= 0)
            shifts[side] = shifts[side].at[:, s].add(jnp.where(applies, energy, 0.0))
    return shifts[0], shifts[1]


def phase_table(junction: Junction, layout: Layout, length_scale) -> PhaseTable:
    """The `PhaseTable` of `junction` at the length scale `length_scale` (m)."""
    kT, c_ref = scales(junction, length_scale)
    ln_density, energy, frozen, background = species_arrays(junction, layout, kT, c_ref)
    return PhaseTable(
        layout=layout,
        kT=kT,
        c_ref=c_ref,
        ln_density=ln_density,
        energy=energy,
        frozen=frozen,
        background=background,
        eps_r=jnp.stack([phase.eps_r for phase in junction.phases]),
        statistics=group_models(tuple(p.activity for p in junction.phases), layout.species),
    )


def equilibrium_eta(problem: Problem, side: int, g) -> Array:
    """±g (k_BT) of each species of the end phase (its electrochemical potential; 0 where the
    species is absent)."""
    p = np.array([problem.end_phase(side)])
    return problem.layout.sign * gather_potentials(problem.phases, p, g)[0]


def end_fields(problem: Problem, side: int) -> dict:
    """The fields of an `End` that are the junction's, not its state's: the species, the end
    phase's energies, densities and ε_r, the end face and the scales."""
    layout, table = problem.layout, problem.phases
    p = problem.end_phase(side)
    return dict(
        side=side,
        species=layout.species,
        kinds=layout.kinds,
        charges=tuple(float(v) for v in layout.z),
        mobile=tuple(bool(v) for v in layout.mobile[p]),
        kT=table.kT,
        energy=table.energy[p],
        log_density=table.ln_density[p],
        eps_r=table.eps_r[p],
        area=problem.node_area[problem.end_node(side)],
        length=problem.length_scale,
        density=table.c_ref,
    )


def end_at_equilibrium(problem: Problem, side: int, g, u_bulk=None, bulk=None) -> End:
    """The `End` a boundary sees before any transport: the junction's state `g` and, where
    known, the end phase's neutral bulk potential `u_bulk` and concentrations `bulk` `[S]`."""
    zeros = jnp.zeros(problem.layout.n_species)
    zero = jnp.zeros(())
    return End(
        **end_fields(problem, side),
        theta=jnp.ones(()),
        u=zero,
        field=zero,
        u_bulk=zero if u_bulk is None else u_bulk,
        u_contact=zero,
        concentration=zeros,
        eta=zeros,
        equilibrium_eta=equilibrium_eta(problem, side, g),
        bulk_concentration=zeros if bulk is None else bulk,
        time=jnp.ones(()),
    )


def build_problem(junction: Junction, mesh) -> Problem:
    """Discretise `junction` on `mesh` (a `pnpjax.Mesh`) into a non-dimensional `Problem`."""
    layout = build_layout(junction)
    length_scale = mesh.length_scale
    table = phase_table(junction, layout, length_scale)
    kT, c_ref = table.kT, table.c_ref
    d = dimension(junction.geometry)
    x_m, edge_phase = mesh.nodes(junction)
    x = x_m / length_scale
    area_over_length, vol_left, vol_right, node_area = box_geometry(x, junction.geometry)
    conductance = table.eps_r[edge_phase] * area_over_length
    n = x.shape[0]
    left_phase = np.concatenate([[-1], edge_phase])
    right_phase = np.concatenate([edge_phase, [-1]])
    interface_nodes = np.nonzero(np.diff(edge_phase) != 0)[0] + 1
    sigma_scale = ELEMENTARY_CHARGE * c_ref * length_scale
    sigma = (
        jnp.stack([interface.sigma for interface in junction.interfaces])
        if len(interface_nodes)
        else jnp.zeros((0,))
    )
    sigma_node = (
        jnp.zeros(n).at[interface_nodes].set(node_area[interface_nodes] * sigma / sigma_scale)
    )
    fixed_charge = (
        sigma_node
        + vol_left * table.fixed_density(left_phase)
        + vol_right * table.fixed_density(right_phase)
    )
    shift_left, shift_right = segregation_shifts(junction, layout, x_m, left_phase, right_phase, kT)
    g_fixed, amount = resolve_state(
        junction, layout, kT, c_ref, table.ln_density, table.energy, c_ref * length_scale**d
    )
    problem = Problem(
        layout=layout,
        geometry=junction.geometry,
        topology=Topology(edge_phase, left_phase, right_phase, interface_nodes),
        segregated=bool(junction.segregation),
        phases=table,
        boundaries=(junction.left, junction.right),
        length_scale=length_scale,
        x=x,
        conductance=conductance,
        vol_left=vol_left,
        vol_right=vol_right,
        node_area=node_area,
        sigma_node=sigma_node,
        fixed_charge=fixed_charge,
        u_boundary=jnp.zeros(2),
        g_fixed=g_fixed,
        amount=amount,
        shift_left=shift_left,
        shift_right=shift_right,
        bulk=None if layout.free.size else bulk_state(table, g_fixed),
    )
    return eqx.tree_at(lambda p: p.u_boundary, problem, held_potentials(problem))


def held_potentials(problem: Problem) -> Array:
    """The potentials (k_BT/e) the two ends hold (0 where an end holds none), each from its
    boundary's `held_potential`; a boundary that `references_bulk` needs an open state (its
    check at construction sees to that)."""
    values = []
    for side, boundary in enumerate(problem.boundaries):
        if boundary.fixes_potential:
            u_bulk = None
            if boundary.references_bulk:
                u_bulk = problem.bulk.u[problem.end_phase(side)]
            end = end_at_equilibrium(problem, side, problem.g_fixed, u_bulk)
            values.append(boundary.held_potential(end))
        else:
            values.append(jnp.zeros(()))
    return jnp.stack(values)
