"""The optimisation loops, each compiled as one `lax.while_loop` so that a batch of starting
points runs under `jax.vmap`:

- Levenberg–Marquardt (optimistix), the default: Gauss–Newton steps on the residual vector
  inside a trust region, quadratic convergence for small residuals, robust from far away;
  one Jacobian (p forward-mode derivatives through the solvers) per step.
- L-BFGS (optax, with a zoom line search enforcing the strong Wolfe conditions): one gradient
  (an adjoint solve) per evaluation, for more parameters than LM's Jacobian affords.
- Adam (optax): many parameters (networks) or noisy gradients.

**References:** J. J. Moré, in *Numerical Analysis*, Lecture Notes in Mathematics 630,
Springer (1978), doi:10.1007/BFb0067700 (Levenberg–Marquardt); J. Nocedal and S. J. Wright,
*Numerical Optimization*, 2nd ed., Springer (2006), ch. 7 (L-BFGS) and §3.5 (zoom line
search); D. P. Kingma and J. Ba, *ICLR* (2015), arXiv:1412.6980 (Adam).
"""

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
import optax.tree_utils as otu
import optimistix as optx

METHODS = ("levenberg-marquardt", "lbfgs", "adam")
# a residual vector standing in for a failed solve: a loss no trust region accepts
_FAILED = 1e100


class Settings(eqx.Module):
    """How to optimise (all static)."""

    method: str = eqx.field(static=True)
    max_steps: int = eqx.field(static=True)
    gtol: float = eqx.field(static=True)
    ftol: float = eqx.field(static=True)
    xtol: float = eqx.field(static=True)
    learning_rate: float = eqx.field(static=True)
    memory: int = eqx.field(static=True)

    def optimiser(self):
        if self.method == "adam":
            return optax.adam(self.learning_rate)
        return optax.lbfgs(
            memory_size=self.memory,
            linesearch=optax.scale_by_zoom_linesearch(max_linesearch_steps=30),
        )


class Outcome(eqx.Module):
    """Where one start ended: coordinates, the loss and its history, and counts."""

    z: jax.Array
    loss: jax.Array
    history: jax.Array
    steps: jax.Array
    evaluations: jax.Array
    converged: jax.Array


def least_squares(residuals: Callable, z0, settings: Settings, jacobian: str = "fwd") -> Outcome:
    """Minimise ½‖r(z)‖² by optimistix's Levenberg–Marquardt from `z0`, stepped by hand to
    keep the loss history. Stops when a step changes z and r by less than `xtol` (relative
    and absolute, Cauchy criterion) or after `max_steps`. `jacobian`: "fwd" or "bwd" mode."""
    solver = optx.LevenbergMarquardt(rtol=settings.xtol, atol=settings.xtol)

    def fn(z, _):
        r = residuals(z)
        return jnp.where(jnp.all(jnp.isfinite(r)), r, _FAILED), None

    fn = eqx.filter_closure_convert(fn, z0, None)
    options = {"jac": jacobian}
    f_struct, aux_struct = fn.out_struct
    tags = frozenset()
    state = solver.init(fn, z0, None, options, f_struct, aux_struct, tags)
    # the state holds jaxprs (the Jacobian operator): only its arrays ride in the loop
    dynamic, static = eqx.partition(state, eqx.is_array)

    def cond(carry):
        z, dynamic, _, k = carry
        done, result = solver.terminate(fn, z, None, options, eqx.combine(static, dynamic), tags)
        return (k < settings.max_steps) & ~done & (result == optx.RESULTS.successful)

    def body(carry):
        z, dynamic, history, k = carry
        z, state, _ = solver.step(fn, z, None, options, eqx.combine(static, dynamic), tags)
        history = history.at[k].set(0.5 * jnp.sum(state.f_info.residual**2))
        return z, eqx.filter(state, eqx.is_array), history, k + 1

    history = jnp.full(settings.max_steps, jnp.nan)
    z, dynamic, history, steps = jax.lax.while_loop(
        cond, body, (z0, dynamic, history, jnp.asarray(0))
    )
    state = eqx.combine(static, dynamic)
    done, result = solver.terminate(fn, z, None, options, state, tags)
    loss = 0.5 * jnp.sum(state.f_info.residual**2)
    loss = jnp.where(loss < 0.5 * _FAILED**2, loss, jnp.inf)
    # the first step evaluates the initial point; each later one a trial point
    converged = done & (result == optx.RESULTS.successful)
    return Outcome(z, loss, history, steps, steps, converged)


def minimise(loss: Callable, z0, settings: Settings) -> Outcome:
    """Minimise `loss(z)` from `z0`. Stops when the largest gradient component is below
    `gtol` × (1 + loss) (a stationary point), when the loss stops falling by more than `ftol`
    relative, or the step in z is below `xtol` (L-BFGS only: converged to round-off), or after
    `max_steps`."""
    optimiser = settings.optimiser()
    value_and_grad = (
        optax.value_and_grad_from_state(loss)
        if settings.method == "lbfgs"
        else lambda z, state: jax.value_and_grad(loss)(z)
    )

    def body(carry):
        z, state, history, k, evaluations, _, _ = carry
        value, grad = value_and_grad(z, state=state)
        history = history.at[k].set(value)
        stationary = jnp.max(jnp.abs(grad)) <= settings.gtol * (1.0 + jnp.abs(value))
        if settings.method == "lbfgs":
            updates, state = optimiser.update(grad, state, z, value=value, grad=grad, value_fn=loss)
            evaluations = evaluations + otu.tree_get(state, "num_linesearch_steps")
        else:
            updates, state = optimiser.update(grad, state, z)
            evaluations = evaluations + 1
        z_new = optax.apply_updates(z, updates)
        new_value = otu.tree_get(state, "value") if settings.method == "lbfgs" else value
        small_step = jnp.max(jnp.abs(z_new - z)) <= settings.xtol * (1.0 + jnp.max(jnp.abs(z)))
        flat = jnp.abs(value - new_value) <= settings.ftol * jnp.abs(value)
        # Adam's steps never shrink to zero by themselves: it stops on the gradient only
        stalled = (small_step | flat) & (settings.method == "lbfgs")
        done = stationary | stalled | ~jnp.isfinite(value)
        z = jnp.where(stationary, z, z_new)
        return z, state, history, k + 1, evaluations, done, stationary | stalled

    def cond(carry):
        return (carry[3] < settings.max_steps) & ~carry[5]

    history = jnp.full(settings.max_steps, jnp.nan)
    false = jnp.asarray(False)
    init = (z0, optimiser.init(z0), history, jnp.asarray(0), jnp.asarray(1), false, false)
    # optax's L-BFGS adds int32 and int64 counters: it needs JAX's standard type promotion
    with jax.numpy_dtype_promotion("standard"):
        z, _, history, steps, evaluations, _, converged = jax.lax.while_loop(cond, body, init)
    return Outcome(z, loss(z), history, steps, evaluations, converged)
