"""Damped Newton on the structured (bordered block-tridiagonal) transport rows, with implicit
derivatives: the steady-state solver and the consistent initialisation of transients.

Unknowns are φ (k_BT/e) and, for every channel present at a node, the logarithm of its
normalised amount, so that concentrations stay positive over any number of decades and
Newton's steps are measured in k_BT in both. Steps larger than one unit are damped
logarithmically, $\\delta \\to \\text{sign}(\\delta)(1 + \\ln|\\delta|)$ (as in the equilibrium
solver).

Conserved quantities of closed channels (amounts, or their combinations that reactions and
interfacial transfer leave invariant, $\\sum_k w_k N_k$) make the continuity rows linearly
dependent: their weighted sum vanishes for any state, so the Jacobian is singular and its block
LU would meet a zero pivot. For each conserved combination one continuity row (a slot where the
channel is present, fixed in advance) is replaced by the conservation law
$\\sum_k w_k N_k = $ its initial value. That row is dense; it is solved as a border,
$[[A', E], [c^T - E^T, -1]]$ with $A'$ the block-tridiagonal Jacobian carrying a unit row in the
replaced slot (nonsingular) and E the unit column of the slot.

**References:** R. E. Bank and D. J. Rose, *Numer. Math.* 37, 279 (1981); H. B. Keller,
*Lectures on Numerical Methods in Bifurcation Problems*, Springer (1987) (bordered systems).
"""

import jax
import jax.numpy as jnp
import numpy as np

from .._discretise import transport_residual as residual
from .._discretise.transport import INSULATING, OHMIC, TransportSystem
from .._linalg.block_tridiagonal import (
    BlockTridiagonal,
    BorderedBlockTridiagonal,
    block_tridiagonal_from_jvp,
)


def _damp(step):
    size = jnp.abs(step)
    return jnp.where(size > 1.0, jnp.sign(step) * (1.0 + jnp.log(jnp.maximum(size, 1.0))), step)


def present_slots(system: TransportSystem) -> np.ndarray:
    """`[n·B]` bool: channel slots present at their node (solved in log variables)."""
    ch = system.channels
    mask = np.zeros((system.n_nodes, system.block), bool)
    mask[:, 1 : 1 + ch.count] = (ch.left | ch.right).T
    return mask.reshape(-1)


def to_state(system, v):
    """y from the Newton variables (log amounts where a channel is present)."""
    log_slots = jnp.asarray(present_slots(system))
    return jnp.where(log_slots, jnp.exp(jnp.clip(v, -700.0, 700.0)), v)


def to_variables(system, y):
    log_slots = jnp.asarray(present_slots(system))
    return jnp.where(log_slots, jnp.log(jnp.maximum(y, 1e-300)), y)


def conservation_vectors(system: TransportSystem) -> np.ndarray:
    """Rows w `[m, K]` with Σ_k w_k N_k conserved by every process: channels exchanging with a
    contact are open; reactions and interfacial transfers conserve only combinations."""
    ch = system.channels
    k = ch.count
    columns = []
    n = system.n_nodes
    for side, node in ((0, 0), (1, n - 1)):
        if system.contacts[side] == OHMIC:
            for c in range(k):
                if ch.left[c, node] or ch.right[c, node]:
                    columns.append(np.eye(k)[c])
    for tr in system.transfers:
        col = np.zeros(k)
        col[tr.target] += 1.0
        if tr.source >= 0:
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


def _pinned_potential_nodes(system: TransportSystem) -> list[int]:
    """Nodes whose φ no row lets move: a contact held at a potential, or the gauge node."""
    n = system.n_nodes
    nodes = []
    for side, node in ((0, 0), (1, n - 1)):
        floating = side == 1 and system.drive.kind == "current"
        if system.contacts[side] != INSULATING and not floating:
            nodes.append(node)
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
    differential = residual.differential_mask(system)
    pinned = _pinned_potential_nodes(system)
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


def _totals(system: TransportSystem, weights: np.ndarray, y):
    """Σ_j Σ_k w_k n̂_kj for each conservation vector."""
    _, yc = residual.split(system, y)
    return jnp.einsum("nk,mk->m", residual.amounts(system, yc), weights)


def _transport_rows(system, t, v, fixed):
    y = to_state(system, v)
    f = residual.rows(system, t, y)
    if fixed is not None:
        mask, y_given = fixed
        f = jnp.where(mask, y - y_given, f)
    return f


def newton_rows(system, t, v, weights, targets, fixed=None):
    """Rows of the steady-state system: the transport rows with one continuity row per
    conservation vector replaced by Σ_k w_k n̂_k − target (or, with `fixed = (mask, y)`, of the
    consistent initialisation: rows in `mask` pin y to the given values)."""
    f = _transport_rows(system, t, v, fixed)
    if weights.shape[0]:
        totals = _totals(system, weights, to_state(system, v))
        f = f.at[pivot_slots(system, weights)].set(totals - targets)
    return f


def _matrix(system, t, v, weights, targets, fixed):
    """The Jacobian of `newton_rows`: a `BlockTridiagonal` without conservation rows, else the
    bordered system $[[A', E], [c^T - E^T, -1]]$ (see the module docstring), whose solution's
    first n·B entries solve the Jacobian system."""
    n, b = system.n_nodes, system.block
    m = weights.shape[0]

    def structured(v_):
        f = _transport_rows(system, t, v_, fixed)
        return f.at[slots].set(v_[slots]) if m else f

    slots = pivot_slots(system, weights) if m else None
    mv = lambda d: jax.jvp(structured, (v,), (d,))[1]  # noqa: E731
    blocks = block_tridiagonal_from_jvp(mv, n, b)
    if not m:
        # no border: zero-sized borders and scatters are left out of the compiled program
        return blocks
    unit = jnp.zeros((n * b, m)).at[slots, jnp.arange(m)].set(1.0)
    dense = jax.jacfwd(lambda v_: _totals(system, weights, to_state(system, v_)))(v)
    return BorderedBlockTridiagonal(blocks, unit, dense - unit.T, -jnp.eye(m))


def _solvers(matrix):
    """`(solve, solve_transpose)` of the Jacobian from `_matrix`."""
    if isinstance(matrix, BlockTridiagonal):
        return matrix.solvers()
    m = matrix.n_border
    solve, solve_transpose = matrix.solvers()
    pad = lambda r: jnp.concatenate([r, jnp.zeros(m, r.dtype)])  # noqa: E731
    size = matrix.size - m
    return (lambda r: solve(pad(r))[:size], lambda r: solve_transpose(pad(r))[:size])


def newton(system, t, v0, weights, targets, fixed=None, max_steps=200, tol=1e-9):
    """Damped Newton from `v0`. Returns `(v, iterations, largest last step, converged)`."""

    def cond(carry):
        _, it, size, finite = carry
        return (it < max_steps) & (size > tol) & finite

    def body(carry):
        v, it, _, _ = carry
        f = newton_rows(system, t, v, weights, targets, fixed)
        delta = _solvers(_matrix(system, t, v, weights, targets, fixed))[0](-f)
        v_new = v + _damp(delta)
        size = jnp.max(jnp.abs(delta))
        return v_new, it + 1, size, jnp.all(jnp.isfinite(v_new))

    init = (v0, jnp.array(0), jnp.array(jnp.inf), jnp.all(jnp.isfinite(v0)))
    v, iterations, size, finite = jax.lax.while_loop(cond, body, init)
    return v, iterations, size, (size <= tol) & finite


def implicit_newton(system, t, v0, weights, targets, fixed=None, max_steps=200, tol=1e-9):
    """`newton` with derivatives of the solution with respect to every leaf of `system`, `t`,
    the targets and the pinned values of `fixed` by the implicit function theorem; the start
    carries none."""
    mask = None if fixed is None else np.asarray(fixed[0])
    pinned = jnp.zeros(0) if fixed is None else fixed[1]

    def as_fixed(values):
        return None if mask is None else (mask, values)

    @jax.custom_jvp
    def solve(system_, t_, targets_, pinned_, start):
        return newton(system_, t_, start, weights, targets_, as_fixed(pinned_), max_steps, tol)

    @solve.defjvp
    def solve_jvp(primals, tangents):
        out = solve(*primals)
        v = out[0]
        system_, t_, targets_, pinned_, _ = primals

        def rows_of(s_, time, tg_, pin_, v_):
            return newton_rows(s_, time, v_, weights, tg_, as_fixed(pin_))

        _, df = jax.jvp(
            lambda s_, time, tg_, pin_: rows_of(s_, time, tg_, pin_, v),
            primals[:4],
            tangents[:4],
        )
        matrix = _matrix(system_, t_, v, weights, targets_, as_fixed(pinned_))
        solve_, solve_transpose = _solvers(matrix)
        dv = jax.lax.custom_linear_solve(
            lambda d: jax.jvp(lambda v_: rows_of(system_, t_, targets_, pinned_, v_), (v,), (d,))[
                1
            ],
            -df,
            solve=lambda _, r: solve_(r),
            transpose_solve=lambda _, r: solve_transpose(r),
        )
        float0 = lambda a: np.zeros(np.shape(a), jax.dtypes.float0)  # noqa: E731
        return out, (dv, float0(out[1]), jnp.zeros_like(out[2]), float0(out[3]))

    t = jnp.asarray(t, dtype=jnp.float64)
    return solve(system, t, targets, pinned, jax.lax.stop_gradient(v0))
