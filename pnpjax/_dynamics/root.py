"""Damped Newton on the structured (bordered block-tridiagonal) transport rows, with implicit
derivatives: the steady-state solver and the consistent initialisation of transients.

Unknowns are φ (k_BT/e) and, for every channel present at a node, the logarithm of its
normalised amount, so that concentrations stay positive over any number of decades and
Newton's steps are measured in k_BT in both. Steps larger than one unit are damped
logarithmically, $\\delta \\to \\text{sign}(\\delta)(1 + \\ln|\\delta|)$ (as in the equilibrium
solver). Conserved quantities of closed channels (amounts, or their combinations that
reactions and interfacial transfer leave invariant) border the system with Lagrange
multipliers: $[[J, W], [C, 0]]$ with W the left null vectors of J, which vanish at the solution.

**References:** R. E. Bank and D. J. Rose, *Numer. Math.* 37, 279 (1981); H. B. Keller,
*Lectures on Numerical Methods in Bifurcation Problems*, Springer (1987) (bordered systems).
"""

import jax
import jax.numpy as jnp
import numpy as np

from .._linalg.block_tridiagonal import BorderedBlockTridiagonal, block_tridiagonal_from_jvp
from . import residual
from .system import OHMIC, TransportSystem


def _damp(step):
    size = jnp.abs(step)
    return jnp.where(size > 1.0, jnp.sign(step) * (1.0 + jnp.log(jnp.maximum(size, 1.0))), step)


def present_slots(system: TransportSystem) -> np.ndarray:
    """`[n·B]` bool: channel slots present at their node (solved in log variables)."""
    ch = system.channels
    mask = np.zeros((system.n_nodes, system.block), bool)
    mask[:, 1:] = (ch.left | ch.right).T
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
    return u[:, rank:].T


def _border(system: TransportSystem, weights: np.ndarray):
    """Left null vectors of the rows per node: w_k s_k V_j on channel slots `[n·B, m]`."""
    n, b = system.n_nodes, system.block
    m = weights.shape[0]
    per_node = jnp.zeros((n, b, m))
    per_node = per_node.at[:, 1:, :].set(
        (system.volume[:, None, None] * system.scale[None, :, None]) * weights.T[None]
    )
    return per_node.reshape(n * b, m)


def _totals(system: TransportSystem, weights: np.ndarray, y):
    """Σ_j Σ_k w_k n̂_kj for each conservation vector."""
    _, yc = residual.split(system, y)
    return jnp.einsum("nk,mk->m", residual.amounts(system, yc), weights)


def newton_rows(system, t, v, lam, weights, targets, fixed=None):
    """Rows of the bordered steady-state system (or, with `fixed = (mask, y)`, of the consistent
    initialisation: rows in `mask` pin y to the given values)."""
    y = to_state(system, v)
    f = residual.rows(system, t, y)
    if fixed is not None:
        mask, y_given = fixed
        f = jnp.where(mask, y - y_given, f)
    top = f + _border(system, weights) @ lam if weights.shape[0] else f
    bottom = _totals(system, weights, y) - targets
    return jnp.concatenate([top, bottom])


def _matrix(system, t, v, lam, weights, targets, fixed):
    n, b = system.n_nodes, system.block
    m = weights.shape[0]
    fn = lambda v_: newton_rows(system, t, v_, lam, weights, targets, fixed)[: n * b]  # noqa: E731
    mv = lambda d: jax.jvp(fn, (v,), (d,))[1]  # noqa: E731
    blocks = block_tridiagonal_from_jvp(mv, n, b)
    if m:
        border_rows = jax.jacfwd(lambda v_: _totals(system, weights, to_state(system, v_)))(v)
        border_cols = _border(system, weights)
    else:
        border_rows = jnp.zeros((0, n * b))
        border_cols = jnp.zeros((n * b, 0))
    return BorderedBlockTridiagonal(blocks, border_cols, border_rows, jnp.zeros((m, m)))


def newton(system, t, v0, weights, targets, fixed=None, max_steps=200, tol=1e-9):
    """Damped Newton from `v0`. Returns `(v, λ, iterations, relative residual, converged)`."""
    m = weights.shape[0]
    x0 = jnp.concatenate([v0, jnp.zeros(m)])
    nb = v0.shape[0]

    def cond(carry):
        _, it, size, finite = carry
        return (it < max_steps) & (size > tol) & finite

    def body(carry):
        x, it, _, _ = carry
        v, lam = x[:nb], x[nb:]
        f = newton_rows(system, t, v, lam, weights, targets, fixed)
        matrix = _matrix(system, t, v, lam, weights, targets, fixed)
        delta = matrix.solvers()[0](-f)
        step = jnp.concatenate([_damp(delta[:nb]), delta[nb:]])
        x_new = x + step
        size = jnp.max(jnp.abs(delta[:nb]))
        return x_new, it + 1, size, jnp.all(jnp.isfinite(x_new))

    init = (x0, jnp.array(0), jnp.array(jnp.inf), jnp.all(jnp.isfinite(x0)))
    x, iterations, size, finite = jax.lax.while_loop(cond, body, init)
    return x[:nb], x[nb:], iterations, size, (size <= tol) & finite


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
        v, lam = out[0], out[1]
        system_, t_, targets_, pinned_, _ = primals
        nb = v.shape[0]
        x = jnp.concatenate([v, lam])

        def rows_of(s_, time, tg_, pin_, x_):
            return newton_rows(s_, time, x_[:nb], x_[nb:], weights, tg_, as_fixed(pin_))

        _, df = jax.jvp(
            lambda s_, time, tg_, pin_: rows_of(s_, time, tg_, pin_, x),
            primals[:4],
            tangents[:4],
        )
        matrix = _matrix(system_, t_, v, lam, weights, targets_, as_fixed(pinned_))
        solve_ = lambda r: matrix.solvers()[0](r)  # noqa: E731
        solve_transpose = lambda r: matrix.solvers()[1](r)  # noqa: E731
        dx = jax.lax.custom_linear_solve(
            lambda d: jax.jvp(lambda x_: rows_of(system_, t_, targets_, pinned_, x_), (x,), (d,))[
                1
            ],
            -df,
            solve=lambda _, r: solve_(r),
            transpose_solve=lambda _, r: solve_transpose(r),
        )
        float0 = lambda a: np.zeros(np.shape(a), jax.dtypes.float0)  # noqa: E731
        return out, (
            dx[:nb],
            dx[nb:],
            float0(out[2]),
            jnp.zeros_like(out[3]),
            float0(out[4]),
        )

    t = jnp.asarray(t, dtype=jnp.float64)
    return solve(system, t, targets, pinned, jax.lax.stop_gradient(v0))
