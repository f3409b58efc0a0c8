"""The one Newton core: damped Newton on a structured system, continuation, and the implicit
derivative of its root.

Each step solves $J\\,\\delta = -F$ with the structured `lineax` solver of the system (O(N):
bordered tridiagonal, bordered block tridiagonal). Components of the step larger than one unit
(one thermal voltage, or a factor e in a concentration solved in logs) are damped
logarithmically, $\\delta \\to \\text{sign}(\\delta)(1 + \\ln|\\delta|)$, the classical safeguard
for Poisson's equation with exponential nonlinearities: every iterate stays finite from a cold start
across tens of k_BT, while the final, quadratically convergent steps are untouched. The
iteration stops when the undamped step is small, $\\|\\delta/(a + r|y|)\\| \\le 1$; a root is then
accepted only if the relative residual is below `residual_tol`. With `divergence` a step that
does not contract the previous one by that factor ends the iteration (the fail-fast rule of
implicit time stepping, Hairer and Wanner IV.8).

`Newton` is an `optimistix.AbstractRootFinder` (usable with `optimistix.root_find` on a system
passed as `args`); pnpjax runs its `init`/`step`/`terminate` in its own loop (`iterate`). Its
derivatives never flow through the iterations: `implicit` attaches the implicit function theorem,
$\\dot y = -J^{-1}\\,\\partial_\\theta F\\,\\dot\\theta$, at the root, with the same structured
Jacobian and `lineax` solver (transposed solves in reverse mode). That is the only
implicit-differentiation path of the package: the equilibrium, steady states, continuation,
consistent initial states and the stages of the transient all go through it.

Why not `optimistix.ImplicitAdjoint`: it solves with a `lineax.JacobianLinearOperator`, whose
structure a solver must read off products with the Jacobian and, for the dense border rows of
a conservation law, with its transpose (reverse mode through the statistics); the system's own
`linearise` gives the structured Jacobian from one forward pass.

**References:** R. E. Bank and D. J. Rose, *Numer. Math.* 37, 279 (1981) (damped Newton for
semiconductor equations); E. Hairer and G. Wanner, *Solving Ordinary Differential Equations
II*, Springer (1996), §IV.8; S. G. Krantz and H. R. Parks, *The Implicit Function Theorem*
(2002).
"""

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import optimistix as optx
from jaxtyping import Array, ArrayLike, Float, Int

from .._discretise.system import AbstractSystem
from .._fields import COUNT, NON_NEGATIVE, POSITIVE, Range, check_parameters, parameter
from .._linalg.structured import linear_solve
from .._solution import RESULTS


def damp(step):
    """Logarithmic damping of the components larger than one unit."""
    size = jnp.abs(step)
    return jnp.where(size > 1.0, jnp.sign(step) * (1.0 + jnp.log(jnp.maximum(size, 1.0))), step)


class _State(eqx.Module):
    size: Array
    size_prev: Array
    residual: Array
    result: optx.RESULTS
    steps: Array


class Newton(optx.AbstractRootFinder):
    """Damped Newton iteration for pnpjax's discrete systems (settings and algorithm).

    The same settings object serves every entry point that solves a nonlinear system:
    `solve_equilibrium` and `differential_capacitance` (default `Newton()`), and the transport
    solves `solve_steady_state`, `iv_curve`, `impedance` and `capacitance_voltage` (whose
    default, `solver=None`, is `Newton(max_steps=100, atol=1e-9, rtol=0.0,
    residual_tol=None)`).

    **Arguments:**

    - `max_steps`: iteration limit (per continuation stage).
    - `atol`, `rtol`: converged when the undamped step satisfies
      $\\|\\delta_i/(\\text{atol} + \\text{rtol}|y_i|)\\| \\le 1$ (units of the unknowns: k_BT/e
      for potentials, natural logs for concentrations).
    - `residual_tol`: largest relative residual accepted at convergence (`None`: not checked).
    - `continuation_steps`: the number of stages that reach the solution, each solved from the
      previous one; `None` (default) lets the entry point choose. The equilibrium then solves
      directly from its initial guess (as with 0), which converges from a cold start at ±1 V
      and across 30 decades of concentration; with K > 0 it ramps electrode potentials and
      interface charges from their neutral values in K stages. The transport solves ramp the
      drive: `None` is one stage per 2 k_BT/e of the bias (`solve_steady_state`, `impedance`)
      or of the largest voltage interval (`iv_curve`, whose stages are per interval), and they
      need K >= 1. The iteration count sums all stages; only the final stage enters the
      derivative.
    - `norm`: the norm of the scaled step (`optimistix.max_norm` by default).
    - `damping`: logarithmic damping of steps larger than one unit.
    - `divergence`: if given (e.g. 0.9), stop with `nonlinear_divergence` when a step is not
      smaller than this fraction of the previous one (for implicit time steps, which retry
      with a smaller step instead of iterating on).
    """

    max_steps: int = parameter(
        unit="1",
        range=COUNT,
        integer=True,
        doc="Newton iteration limit (per continuation stage)",
        static=True,
        default=200,
    )
    atol: ArrayLike = parameter(
        unit="1",
        range=NON_NEGATIVE,
        doc="absolute tolerance on the undamped step (k_BT/e, or a natural log of a concentration)",
        default=1e-10,
    )
    rtol: ArrayLike = parameter(
        unit="1", range=NON_NEGATIVE, doc="relative tolerance on the undamped step", default=1e-12
    )
    residual_tol: float | None = parameter(
        unit="1",
        range=POSITIVE,
        doc="largest relative residual accepted at convergence (None: not checked)",
        static=True,
        default=1e-8,
    )
    continuation_steps: int | None = parameter(
        unit="1",
        range=NON_NEGATIVE,
        integer=True,
        doc="stages that reach the solution, each from the previous (None: automatic)",
        static=True,
        default=None,
    )
    norm: Callable = eqx.field(static=True, default=optx.max_norm)
    damping: bool = eqx.field(static=True, default=True)
    divergence: float | None = parameter(
        unit="1",
        range=Range(low=0.0, high=1.0, high_closed=True),
        doc="fail fast when a step is not smaller than this fraction of the previous one",
        static=True,
        default=None,
    )

    def __check_init__(self):
        check_parameters(self, "Newton")
        if isinstance(self.atol, (int, float)) and isinstance(self.rtol, (int, float)):
            if self.atol == 0 and self.rtol == 0:
                raise ValueError("Newton: atol and rtol cannot both be 0")

    def init(self, fn, y, args, options, f_struct, aux_struct, tags):
        inf = jnp.array(jnp.inf, y.dtype)
        return _State(inf, inf, inf, optx.RESULTS.successful, jnp.array(0))

    def step(self, fn, y, args, options, state, tags):
        system: AbstractSystem = args
        frozen = options.get("jacobian")
        solver = system.linear_solver()
        if frozen is None:
            linearisation = system.linearise(y)
            f, scale = linearisation.residual, linearisation.scale
            linear_state = solver.init(linearisation.jacobian, {})
        else:
            # a factorisation computed once (the frozen iteration matrix of a time step)
            _, linear_state = frozen
            f, scale = system.residual(y), None
        # the solver itself, not lineax.linear_solve: no derivative flows through the
        # iterations, and lineax's structure checks reject sharded vectors (sweeps)
        delta, linear_result, _ = solver.compute(linear_state, -f, {})
        new_y = y + (damp(delta) if self.damping else delta)
        size = self.norm(delta / (self.atol + self.rtol * jnp.abs(new_y)))
        residual = jnp.zeros(()) if scale is None else jnp.max(jnp.abs(f) / scale)
        result = optx.RESULTS.promote(linear_result)
        new_state = _State(size, state.size, residual, result, state.steps + 1)
        return new_y, new_state, None

    def terminate(self, fn, y, args, options, state, tags):
        # optimistix's loop speaks optimistix's RESULTS; the residual check that pnpjax adds
        # (`residual_too_large`) is applied by `iterate` after the loop
        converged = state.size <= 1.0
        failed = state.result != optx.RESULTS.successful
        diverged = jnp.array(False)
        if self.divergence is not None:
            slow = ~(state.size < self.divergence * state.size_prev)
            diverged = (state.steps >= 2) & slow & ~converged
        result = optx.RESULTS.where(
            failed,
            state.result,
            optx.RESULTS.where(
                diverged, optx.RESULTS.nonlinear_divergence, optx.RESULTS.successful
            ),
        )
        return converged | failed | diverged, result

    def postprocess(self, fn, y, aux, args, options, state, tags, result):
        return y, aux, {"residual": state.residual}


def _residual(y, system: AbstractSystem):
    return system.residual(y)


class Solve(eqx.Module):
    """The outcome of a Newton solve: the root `y`, `result`, the iterations `steps` and the
    relative residual `residual` of the last linearisation."""

    y: Float[Array, " m"]
    result: RESULTS
    steps: Int[Array, ""]
    residual: Float[Array, ""]


def iterate(
    system: AbstractSystem, y0, solver: Newton, options: dict[str, Any] | None = None
) -> Solve:
    """Newton's iterations from `y0` (no derivative: see `solve`).

    The loop of `optimistix.root_find` (`init`, then `step` and `terminate` until done or
    `max_steps`, a non-finite iterate ending it), written out: optimistix's driver would trace
    the residual once more for its output structure and wrap the loop in its own implicit
    derivative, neither of which pnpjax uses (derivatives come from `implicit`), and that
    tracing and compiling is a measurable part of a first call.
    """
    options = options or {}
    system = jax.lax.stop_gradient(system)
    y0 = jax.lax.stop_gradient(y0)
    state = solver.init(_residual, y0, system, options, None, None, frozenset())

    def cond(carry):
        _, state, done, _ = carry
        return ~done & (state.steps < solver.max_steps)

    def body(carry):
        y, state, _, _ = carry
        y, state, _ = solver.step(_residual, y, system, options, state, frozenset())
        done, result = solver.terminate(_residual, y, system, options, state, frozenset())
        finite = jnp.all(jnp.isfinite(y))
        result = optx.RESULTS.where(finite, result, optx.RESULTS.nonfinite)
        return y, state, done | ~finite, result

    carry = (y0, state, jnp.array(False), optx.RESULTS.successful)
    y, state, done, result = jax.lax.while_loop(cond, body, carry)
    result = optx.RESULTS.where(
        done | (result != optx.RESULTS.successful), result, optx.RESULTS.nonlinear_max_steps_reached
    )
    result = RESULTS.promote(result)
    residual = state.residual
    if solver.residual_tol is not None:
        stalled = (result == RESULTS.successful) & ~(residual <= solver.residual_tol)
        result = RESULTS.where(stalled, RESULTS.residual_too_large, result)
    return Solve(y, result, state.steps, residual)


def solve(
    system: AbstractSystem, y0, solver: Newton, options: dict[str, Any] | None = None
) -> Solve:
    """Solve `system` from `y0`; the root is differentiable in every leaf of `system` by the
    implicit function theorem (`y0` carries no derivative)."""
    out = iterate(system, y0, solver, options)
    return eqx.tree_at(lambda s: s.y, out, implicit(system, out.y))


def solve_stages(
    stage: Callable[[Any], AbstractSystem],
    parameters,
    y0,
    solver: Newton,
    prepare: Callable[[Any, Array], Array] | None = None,
) -> tuple[Array, Solve]:
    """Continuation: solve `stage(p)` for each p of `parameters` (a pytree with a leading
    stage axis) in turn, each from the previous solution (passed through `prepare(p, y)` if
    given). A stage that fails keeps the previous solution for the next one.

    Returns `(ys, solve)`: the solution of every stage `[K, m]` (without derivatives: attach
    them with `implicit` where needed) and the outcome of the last stage, whose `y` carries the
    implicit derivative of `stage(parameters[-1])`, whose `steps` sum all stages and whose
    `result` is `continuation_failed` if any stage failed (with one stage, its own result).
    """

    def one(carry, p):
        y, steps, failed = carry
        if prepare is not None:
            y = prepare(p, y)
        out = iterate(stage(p), y, solver)
        ok = out.result == RESULTS.successful
        y_next = jnp.where(ok, out.y, y)
        return (y_next, steps + out.steps, failed | ~ok), (out.y, out.result, out.residual)

    init = (jax.lax.stop_gradient(y0), jnp.array(0), jnp.array(False))
    (_, steps, failed), (ys, results, residuals) = jax.lax.scan(one, init, parameters)
    count = jax.tree_util.tree_leaves(parameters)[0].shape[0]
    last = jax.tree_util.tree_map(lambda a: a[-1], parameters)
    final = jax.tree_util.tree_map(lambda a: a[-1], results)
    result = final if count == 1 else RESULTS.where(failed, RESULTS.continuation_failed, final)
    y = implicit(stage(last), ys[-1])
    return ys, Solve(y, result, steps, residuals[-1])


@eqx.filter_custom_jvp
def _implicit(y, system: AbstractSystem):
    return y


@_implicit.def_jvp
def _implicit_jvp(primals, tangents):
    y, system = primals
    _, t_system = tangents
    diff, static = eqx.partition(system, eqx.is_inexact_array)
    t_diff = jax.tree_util.tree_map(
        lambda p, t: None if p is None else (jnp.zeros_like(p) if t is None else t),
        diff,
        t_system,
        is_leaf=lambda x: x is None,
    )
    _, df = jax.jvp(lambda d: eqx.combine(d, static).residual(y), (diff,), (t_diff,))
    jacobian = system.linearise(y).jacobian
    return y, linear_solve(jacobian, -df, system.linear_solver())


def implicit(system: AbstractSystem, y):
    """`y`, a root of `system`, carrying the derivative the implicit function theorem gives
    it with respect to every leaf of `system`: $\\dot y = -J^{-1}\\,\\partial_\\theta F\\,
    \\dot\\theta$ (a structured solve; transposed in reverse mode)."""
    return _implicit(jax.lax.stop_gradient(y), system)
