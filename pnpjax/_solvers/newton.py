"""Damped Newton iteration with structured (bordered tridiagonal) linear solves, and its
implicit derivative.

Each step solves $J\\,\\delta = -F$ with `BorderedTridiagonal.solve` (O(N)). Components of the
step larger than one thermal voltage are damped logarithmically,
$\\delta \\to \\text{sign}(\\delta)(1 + \\ln|\\delta|)$, the classical safeguard for Poisson with
exponential nonlinearities: it keeps every iterate finite from a cold start across tens of k_BT
while leaving the final, quadratically convergent steps untouched.

Derivatives of the solution use the implicit function theorem,
$\\dot y = -J^{-1}\\,\\partial_\\theta F\\,\\dot\\theta$, through `jax.lax.custom_linear_solve` so
that reverse mode solves with $J^T$, in the same structure; Newton's iterations are never
differentiated.

**References:** R. E. Bank and D. J. Rose, *Numer. Math.* 37, 279 (1981) (damped Newton for
semiconductor equations); S. G. Krantz and H. R. Parks, *The Implicit Function Theorem* (2002).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._discretise.poisson import (
    gross_charge,
    jacobian,
    local_terms,
    residual,
    residual_and_jacobian,
    split,
)

SUCCESS = 0
MAX_STEPS_REACHED = 1
NONFINITE = 2
RESULT_MESSAGES = {
    SUCCESS: "success",
    MAX_STEPS_REACHED: "Newton did not converge within max_steps",
    NONFINITE: "Newton produced non-finite values",
}


class Newton(eqx.Module):
    """Settings of the damped Newton solver.

    **Arguments:**

    - `max_steps`: iteration limit.
    - `atol`, `rtol`: converged when the undamped step satisfies
      $\\|\\delta\\|_\\infty \\le$ `atol` + `rtol`$\\,\\|y\\|_\\infty$ (units of k_BT/e).
    - `residual_tol`: largest relative residual accepted at convergence.
    - `continuation_steps`: 0 (default) solves directly from the piecewise-neutral guess, which
      converges from a cold start at ±1 V and across 30 decades of concentration. With K > 0,
      electrode potentials and interface charges are ramped from their neutral values in K
      stages, λ = 0, 1/K, ..., 1, each solved from the previous one; `iterations` then counts all
      stages. Only the final stage enters the derivative.
    """

    max_steps: int = eqx.field(static=True, default=200)
    atol: float = eqx.field(static=True, default=1e-10)
    rtol: float = eqx.field(static=True, default=1e-12)
    residual_tol: float = eqx.field(static=True, default=1e-8)
    continuation_steps: int = eqx.field(static=True, default=0)

    def __check_init__(self):
        if self.max_steps < 1:
            raise ValueError(f"Newton: max_steps must be >= 1, got {self.max_steps}")
        if self.continuation_steps < 0:
            raise ValueError(
                f"Newton: continuation_steps must be >= 0, got {self.continuation_steps}"
            )
        if not (self.atol > 0 and self.rtol >= 0 and self.residual_tol > 0):
            raise ValueError("Newton: atol and residual_tol must be > 0 and rtol >= 0")


def _damp(step):
    size = jnp.abs(step)
    return jnp.where(size > 1.0, jnp.sign(step) * (1.0 + jnp.log(jnp.maximum(size, 1.0))), step)


def relative_residual(problem, y):
    """Largest residual of a row relative to the size of the terms in that row: the face
    terms and the gross charge in the box (dimensionless)."""
    f = residual(problem, y)
    u, g_free = split(problem, y)
    _, amounts = local_terms(problem, u, g_free)
    # each face term G(u_j − u_k) is computed from u_j and u_k: its rounding error scales with
    # G(|u_j| + |u_k|), not with the difference
    flux = problem.conductance * (jnp.abs(u[:-1]) + jnp.abs(u[1:]) + 1.0)
    zero = jnp.zeros((1,))
    n = problem.n_nodes
    scale = (
        gross_charge(problem, u, g_free)
        + jnp.concatenate([flux, zero])
        + jnp.concatenate([zero, flux])
    )
    dirichlet = np.zeros(n, bool)
    dirichlet[0], dirichlet[-1] = problem.dirichlet
    scale = jnp.where(dirichlet, 1.0 + jnp.abs(u), jnp.maximum(scale, 1e-300))
    rel = jnp.max(jnp.abs(f[:n]) / scale)
    if g_free.size:
        totals = jnp.maximum(jnp.abs(problem.amount[problem.layout.free]), jnp.abs(amounts).sum(0))
        rel = jnp.maximum(rel, jnp.max(jnp.abs(f[n:]) / jnp.maximum(totals, 1e-300)))
    return rel


def newton_iterate(problem, y0, solver: Newton):
    """Run damped Newton from `y0`. Returns `(y, iterations, relative residual, result code)`."""

    def cond(carry):
        _, it, step, finite = carry
        tol_reached = step <= 0.0
        return (it < solver.max_steps) & ~tol_reached & finite

    def body(carry):
        y, it, _, _ = carry
        f, matrix = residual_and_jacobian(problem, y)
        delta = matrix.solve(-f)
        y_new = y + _damp(delta)
        size = jnp.max(jnp.abs(delta))
        converged = size <= solver.atol + solver.rtol * jnp.max(jnp.abs(y))
        finite = jnp.all(jnp.isfinite(y_new))
        # `step` <= 0 signals convergence to `cond`
        return y_new, it + 1, jnp.where(converged, -1.0, size), finite

    init = (y0, jnp.array(0), jnp.array(jnp.inf), jnp.all(jnp.isfinite(y0)))
    y, iterations, step, finite = jax.lax.while_loop(cond, body, init)
    rel = relative_residual(problem, y)
    converged = (step <= 0.0) & (rel <= solver.residual_tol)
    code = jnp.where(
        ~finite | ~jnp.isfinite(rel), NONFINITE, jnp.where(converged, SUCCESS, MAX_STEPS_REACHED)
    )
    return y, iterations, rel, code


def implicit_solve(problem, y0, solver: Newton):
    """Solve `residual(problem, y) = 0` from `y0`, differentiable in every leaf of `problem`
    by the implicit function theorem (the starting point carries no derivative)."""

    @jax.custom_jvp
    def solve(prob, start):
        if solver.continuation_steps:
            return _continuation(prob, start, solver)
        return newton_iterate(prob, start, solver)

    @solve.defjvp
    def solve_jvp(primals, tangents):
        (prob, start), (dprob, _) = primals, tangents
        y, iterations, rel, code = solve(prob, start)
        _, df = jax.jvp(lambda p: residual(p, y), (prob,), (dprob,))
        matrix = jacobian(prob, y)
        transposed = matrix.transpose()
        dy = jax.lax.custom_linear_solve(
            lambda v: jax.jvp(lambda y_: residual(prob, y_), (y,), (v,))[1],
            -df,
            solve=lambda _, b: matrix.solve(b),
            transpose_solve=lambda _, b: transposed.solve(b),
        )
        zeros_int = lambda a: np.zeros(np.shape(a), jax.dtypes.float0)  # noqa: E731
        return (y, iterations, rel, code), (
            dy,
            zeros_int(iterations),
            jnp.zeros_like(rel),
            zeros_int(code),
        )

    return solve(problem, jax.lax.stop_gradient(y0))


def _continuation(problem, y0, solver: Newton):
    """Ramp electrode potentials (from the neighbouring bulk potential of the guess) and
    interface charges (from zero) over `solver.continuation_steps` stages."""
    n = problem.n_nodes
    start = jnp.stack([y0[1], y0[n - 2]])
    target_boundary, target_sigma = problem.u_boundary, problem.sigma_node

    def stage(carry, lam):
        y, total = carry
        staged = eqx.tree_at(
            lambda p: (p.u_boundary, p.sigma_node),
            problem,
            (start + lam * (target_boundary - start), lam * target_sigma),
        )
        y_start = y
        for side, node in ((0, 0), (1, n - 1)):
            if problem.dirichlet[side]:
                y_start = y_start.at[node].set(staged.u_boundary[side])
        y_new, iterations, _, code = newton_iterate(staged, y_start, solver)
        return (y_new, total + iterations), code

    steps = solver.continuation_steps
    lams = jnp.arange(steps + 1, dtype=y0.dtype) / steps
    (y, iterations), codes = jax.lax.scan(stage, (y0, jnp.array(0)), lams)
    rel = relative_residual(problem, y)
    code = jnp.max(codes)
    return y, iterations, rel, code
