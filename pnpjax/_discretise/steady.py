"""The transport rows as a system for Newton: steady states and consistent initial states.

Unknowns are φ (k_BT/e) and, for every channel present at a node, the logarithm of its
normalised amount, so that concentrations stay positive over any number of decades and
Newton's steps are measured in k_BT in both (damped as in the equilibrium).

Conserved quantities of closed channels (amounts, or their combinations that reactions and
interfacial transfer leave invariant, $\\sum_k w_k N_k$) make the continuity rows linearly
dependent: their weighted sum vanishes for any state, so the Jacobian is singular and its block
LU would meet a zero pivot. For each conserved combination one continuity row (a slot where the
channel is present, fixed in advance) is replaced by the conservation law
$\\sum_k w_k N_k = $ its initial value. That row is dense; the Jacobian is solved as a
`RowReplacedJacobian`, the bordered system $[[A', E], [c^T - E^T, -1]]$ with $A'$ the
block-tridiagonal Jacobian carrying a unit row in the replaced slot (nonsingular) and E the unit
column of the slot.

**References:** R. E. Bank and D. J. Rose, *Numer. Math.* 37, 279 (1981); H. B. Keller,
*Lectures on Numerical Methods in Bifurcation Problems*, Springer (1987) (bordered systems).
"""

import equinox as eqx
import jax.numpy as jnp
import lineax as lx
import numpy as np
from jaxtyping import Array

from .._linalg.block_tridiagonal import (
    BlockTridiagonalSolver,
    BorderedBlockTridiagonal,
    RowReplacedJacobian,
    linearise_block_tridiagonal,
)
from .system import AbstractSystem, Linearisation
from .transport import TransportSystem
from .transport_rows import differential_mask, rows
from .transport_state import amounts, split


def present_slots(system: TransportSystem) -> np.ndarray:
    """`[n·B]` bool: channel slots present at their node (solved in log variables)."""
    ch = system.channels
    mask = np.zeros((system.n_nodes, system.block), bool)
    mask[:, 1 : 1 + ch.count] = (ch.left | ch.right).T
    return mask.reshape(-1)


def to_state(system: TransportSystem, v):
    """y from the Newton variables (log amounts where a channel is present)."""
    log_slots = jnp.asarray(present_slots(system))
    return jnp.where(log_slots, jnp.exp(jnp.clip(v, -700.0, 700.0)), v)


def to_variables(system: TransportSystem, y):
    """The Newton variables of a state y."""
    log_slots = jnp.asarray(present_slots(system))
    return jnp.where(log_slots, jnp.log(jnp.maximum(y, 1e-300)), y)


def conservation_vectors(system: TransportSystem) -> np.ndarray:
    """Rows w `[m, K]` with Σ_k w_k N_k conserved by every process: channels a boundary
    exchanges are open; reactions and interfacial transfers conserve only combinations."""
    ch = system.channels
    k = ch.count
    problem = system.problem
    species = problem.layout.species
    columns = []
    for side, boundary in enumerate(system.boundaries):
        node = problem.end_node(side)
        for name in boundary.exchanged(species):
            channel = system.channel_of(node, species.index(name))
            if channel >= 0:
                columns.append(np.eye(k)[channel])
    for tr in system.transfers:
        col = np.zeros(k)
        col[tr.target] += 1.0
        col[tr.source] -= 1.0
        columns.append(col)
    for p, _, stoich in system.reactions:
        col = np.zeros(k)
        for s, nu in stoich:
            owners = [c for c in range(k) if ch.species[c] == s and p in ch.phases[c]]
            col[owners[0]] += nu
        columns.append(col)
    if not columns:
        return np.eye(k)
    # left null space of the process matrix by SVD (rank-revealing; k is a handful)
    processes = np.stack(columns, axis=1)
    u, singular, _ = np.linalg.svd(processes, full_matrices=True)
    rank = int(np.sum(singular > 1e-10 * max(singular.max(initial=0.0), 1.0)))
    return reduced_echelon(u[:, rank:].T)


def reduced_echelon(weights: np.ndarray) -> np.ndarray:
    """The same row space in reduced row-echelon form: every row has its own pivot channel
    (coefficient 1 there, 0 in the other rows), so the continuity rows they replace are
    independent dependencies (Gauss–Jordan with partial pivoting)."""
    w = np.array(weights, dtype=float)
    m, k = w.shape
    row = 0
    for col in range(k):
        if row == m:
            break
        r = row + int(np.argmax(np.abs(w[row:, col])))
        if abs(w[r, col]) < 1e-10:
            continue
        w[[row, r]] = w[[r, row]]
        w[row] /= w[row, col]
        others = np.arange(m) != row
        w[others] -= np.outer(w[others, col], w[row])
        row += 1
    w[np.abs(w) < 1e-14] = 0.0
    return w[:row]


def pinned_potential_nodes(system: TransportSystem) -> list[int]:
    """Nodes whose φ no row lets move: an end holding its potential (not floated by the
    drive), or the gauge node."""
    nodes = []
    for side, boundary in enumerate(system.boundaries):
        floating = side == 1 and system.drive.floats_right
        if boundary.fixes_potential and not floating:
            nodes.append(system.problem.end_node(side))
    if system.gauge:
        nodes.append(0)
    return nodes


def pivot_slots(system: TransportSystem, weights: np.ndarray) -> np.ndarray:
    """Flat row indices `[m]`, one per conservation vector, whose continuity row is replaced by
    the conservation law: the vector's pivot channel (`weights` in reduced row-echelon form,
    see `reduced_echelon`) at a node where φ is pinned (a contact held at a potential, or the
    gauge node), else at the middle of the nodes where it is present.

    The replaced row doubles as the unit row $e_s^T$ of the bordered system's block part A',
    which is nonsingular only if the singular direction of the Jacobian (adding the conserved
    amount) moves the pinned variable s. Along it the channel's electrochemical potential η
    changes everywhere, and $\\delta\\ln c = \\delta\\eta - z\\delta u$: at a node with δu = 0
    the amount always moves, whereas in a neutral bulk the change can be all potential (a
    single ion against a fixed background between blocking electrodes)."""
    ch = system.channels
    b = system.block
    differential = differential_mask(system)
    pinned = pinned_potential_nodes(system)
    slots = []
    for w in weights:
        k = int(np.flatnonzero(np.abs(w) > 1e-12)[0])
        others = np.abs(np.delete(weights[:, k], len(slots)))
        if abs(w[k] - 1.0) > 1e-12 or np.any(others > 1e-12):
            raise ValueError("pivot_slots: conservation vectors must be in reduced echelon form")
        nodes = np.nonzero(ch.left[k] | ch.right[k])[0]
        middle = sorted(nodes, key=lambda j: abs(j - nodes[len(nodes) // 2]))
        order = [j for j in pinned if j in nodes] + middle
        free = [j * b + 1 + k for j in order if differential[j * b + 1 + k]]
        if not free:
            raise ValueError(
                f"transport: the conserved channel {ch.labels[k]!r} has no continuity row to "
                "carry its conservation law; check the contacts and reactions of the junction"
            )
        slots.append(free[0])
    return np.asarray(slots, dtype=int)


def totals(system: TransportSystem, weights: np.ndarray, y):
    """Σ_j Σ_k w_k n̂_kj for each conservation vector."""
    _, yc = split(system, y)
    return jnp.einsum("nk,mk->m", amounts(system, yc), weights)


class TransportRoot(AbstractSystem):
    """The transport rows at time `t` in Newton variables: a steady state (with conservation
    rows for the `conserved` vectors, held at `targets`) or, with `pinned_rows`, a consistent
    initial state (those rows hold y at `given`)."""

    transport: TransportSystem
    t: Array
    targets: Array
    given: Array | None
    conserved: tuple[tuple[float, ...], ...] = eqx.field(static=True)
    pinned_rows: tuple[bool, ...] | None = eqx.field(static=True)

    def __init__(self, transport, t, targets, given, weights, pinned):
        self.transport, self.t, self.targets, self.given = transport, t, targets, given
        self.conserved = tuple(tuple(float(v) for v in w) for w in np.asarray(weights))
        self.pinned_rows = None if pinned is None else tuple(bool(v) for v in pinned)

    @property
    def weights(self) -> np.ndarray:
        """The conservation vectors `[m, K]`."""
        return np.asarray(self.conserved, dtype=float).reshape(-1, self.transport.channels.count)

    @property
    def pinned(self) -> np.ndarray | None:
        return None if self.pinned_rows is None else np.asarray(self.pinned_rows)

    @property
    def slots(self) -> np.ndarray:
        return pivot_slots(self.transport, self.weights)

    def _rows(self, v):
        system = self.transport
        y = to_state(system, v)
        f = rows(system, self.t, y)
        if self.pinned is not None:
            f = jnp.where(self.pinned, y - self.given, f)
        return f

    def residual(self, v):
        f = self._rows(v)
        if self.weights.shape[0]:
            values = totals(self.transport, self.weights, to_state(self.transport, v))
            f = f.at[self.slots].set(values - self.targets)
        return f

    def linearise(self, v) -> Linearisation:
        system = self.transport
        n, b = system.n_nodes, system.block
        m = self.weights.shape[0]
        if not m:
            f, blocks = linearise_block_tridiagonal(self._rows, v, n, b)
            return Linearisation(f, blocks)
        slots = self.slots

        def structured(v_):
            return self._rows(v_).at[slots].set(v_[slots])

        f, blocks = linearise_block_tridiagonal(structured, v, n, b)
        value, jacobian = _totals_and_gradient(system, self.weights, v)
        f = f.at[slots].set(value - self.targets)
        unit = jnp.zeros((n * b, m)).at[slots, jnp.arange(m)].set(1.0)
        augmented = BorderedBlockTridiagonal(blocks, unit, jacobian - unit.T, -jnp.eye(m))
        return Linearisation(f, RowReplacedJacobian(augmented))

    def linear_solver(self) -> lx.AbstractLinearSolver:
        return BlockTridiagonalSolver(block_size=self.transport.block)


def _totals_and_gradient(system: TransportSystem, weights, v):
    """The conserved totals and their gradient `[m, n·B]` in the Newton variables: each total
    is a weighted sum of amounts n̂ = y·s·V, and ∂n̂/∂v is n̂ where v = ln y (a present
    channel) and s·V where v = y (an absent one)."""
    y = to_state(system, v)
    value = totals(system, weights, y)
    n, b = system.n_nodes, system.block
    k = system.channels.count
    present = present_slots(system).reshape(n, b)[:, 1 : 1 + k]
    per_slot = jnp.where(
        present, amounts(system, split(system, y)[1]), system.scale * system.volume[:, None]
    )
    gradient = jnp.zeros((weights.shape[0], n, b))
    gradient = gradient.at[:, :, 1 : 1 + k].set(jnp.einsum("nk,mk->mnk", per_slot, weights))
    return value, gradient.reshape(weights.shape[0], n * b)
