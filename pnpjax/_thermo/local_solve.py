"""Small per-site nonlinear solves with implicit derivatives.

Non-ideal activity models need $c$ from $\\ln(c_i/N_i) + \\ln\\gamma_i(c) = \\xi_i$ at every node,
a system of a few unknowns per node. A damped Newton iteration (steps clipped in log space)
finds the root; derivatives do not flow through the iteration but follow from the implicit
function theorem, $\\dot y = -J^{-1}\\,\\partial_a F\\,\\dot a$, in a custom JVP whose own
derivatives are again exact, so second derivatives (a capacitance's gradient) are right too.

A general-purpose root finder (optimistix) would also work per node, but every node's system is
tiny and independent: a fixed-shape loop over the whole node array is far cheaper inside the
outer Newton iteration, and the clipped step is the safeguard those systems need.

**Reference:** B. M. Bell and J. V. Burke, *Algorithmic differentiation of implicit functions
and optimal values*, in Advances in Automatic Differentiation, Springer (2008).
"""

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp

MAX_LOG_STEP = 2.0
"""Largest change of a log-concentration per Newton step (a factor e² ≈ 7.4)."""
TOLERANCE = 1e-14
"""Converged when every |residual| ≤ TOLERANCE·(1 + |y|)."""
ROUNDING = 1e-15
"""A Newton step this small (relative) has converged as far as float64 allows."""
ACCEPTABLE = 1e-9
"""After `MAX_STEPS`, a residual this small (relative) is still accepted (rounding-limited)."""
MAX_STEPS = 80


def _newton_step(residual, y, args):
    """Residual and Newton step; one forward pass when the site has a single unknown."""
    if y.shape[-1] == 1:
        f, slope = jax.jvp(lambda y_: residual(y_, args), (y,), (jnp.ones_like(y),))
        return f, -f / slope
    f = residual(y, args)
    return f, -_solve_small(jax.jacfwd(residual)(y, args), f)


def _solve_small(matrix, rhs):
    if rhs.shape[-1] == 1:
        return rhs / matrix[..., 0]
    return jnp.linalg.solve(matrix, rhs)


@eqx.filter_custom_jvp
def solve_local(y0, args, *, residual: Callable, bounds: Callable | None = None):
    """Root `y` of `residual(y, args)` for one site (`y0`, `y`: `[n]`); vmap over sites.

    `residual` must be smooth with an invertible Jacobian near the root; Newton steps are
    clipped to `MAX_LOG_STEP` per component, and a step into a region where the residual is not
    finite (past a saturation) is halved back towards the last finite point. With
    `bounds(args) -> (lo, hi)` the residual must be increasing in each component separately (a
    diagonal or scalar problem) with a root in `[lo, hi]`: the bracket then shrinks with every
    step and a step leaving it bisects instead, so convergence is guaranteed.

    Returns NaN where no root to `ACCEPTABLE` was found, so that the caller's solve reports a
    non-finite result instead of a wrong one. Derivatives w.r.t. `args` are implicit; `y0`
    gets none.
    """
    y0 = jax.lax.stop_gradient(y0)
    args = jax.lax.stop_gradient(args)
    lo, hi = bounds(args) if bounds is not None else (jnp.full_like(y0, -jnp.inf),) * 2
    if bounds is None:
        hi = -lo

    def step(carry):
        y, good, lo, hi, _, _, k = carry
        f, dy = _newton_step(residual, y, args)
        finite = jnp.all(jnp.isfinite(f)) & jnp.all(jnp.isfinite(dy))
        error = jnp.where(finite, jnp.max(jnp.abs(f) / (1.0 + jnp.abs(y))), jnp.inf)
        # a Newton step below rounding: nothing left to gain (near a saturation limit the
        # residual itself cannot reach TOLERANCE)
        settled = finite & (jnp.max(jnp.abs(dy) / (1.0 + jnp.abs(y))) <= ROUNDING)
        if bounds is not None:
            lo = jnp.where(finite & (f < 0), y, lo)
            hi = jnp.where(finite & (f > 0), y, hi)
        new = y + jnp.clip(jnp.where(finite, dy, 0.0), -MAX_LOG_STEP, MAX_LOG_STEP)
        new = jnp.where((new >= lo) & (new <= hi), new, 0.5 * (lo + hi))
        new = jnp.where(finite, new, 0.5 * (y + good))
        # once converged, stay at the point whose residual was measured
        new = jnp.where((error <= TOLERANCE) | settled, y, new)
        return new, jnp.where(finite, y, good), lo, hi, error, settled, k + 1

    def keep_going(carry):
        *_, error, settled, k = carry
        return ~(error <= TOLERANCE) & ~settled & (k < MAX_STEPS)

    # the fallback point for a first step into a non-finite region: far below any saturation
    start = (y0, y0 - 40.0, lo, hi, jnp.inf, jnp.array(False), 0)
    y, _, _, _, error, _, _ = jax.lax.while_loop(keep_going, step, start)
    return jnp.where(error <= ACCEPTABLE, y, jnp.nan)


@solve_local.def_jvp
def _solve_local_jvp(primals, tangents, *, residual, bounds=None):
    y0, args = primals
    _, t_args = tangents
    y = solve_local(y0, args, residual=residual, bounds=bounds)
    # tangents flow through the floating-point leaves only (integer leaves have none)
    diff, static = eqx.partition(args, eqx.is_inexact_array)
    t_diff = jax.tree_util.tree_map(
        lambda p, t: None if p is None else (jnp.zeros_like(p) if t is None else t),
        diff,
        t_args,
        is_leaf=lambda leaf: leaf is None,
    )
    _, f_dot = jax.jvp(lambda d: residual(y, eqx.combine(d, static)), (diff,), (t_diff,))
    return y, -_solve_small(jax.jacfwd(residual)(y, args), f_dot)
