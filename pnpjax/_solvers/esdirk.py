"""A diffrax solver for the index-1 DAE $M\\dot y = f(t, y)$ of Poisson–Nernst–Planck.

diffrax has no mass-matrix or DAE support (its issues #62 and #457), and its implicit
Runge–Kutta solvers factor a dense Jacobian unless told otherwise. Eliminating φ through
Poisson would make the Jacobian dense, and carrying Gauss's law as a displacement-current ODE
turns a potentiostatic contact into a global constraint (a dense row). We therefore keep φ as an
algebraic unknown and integrate the DAE directly with an ESDIRK method (Kværnø's stiffly
accurate 5(4) pair, the tableau of `diffrax.Kvaerno5`), inside diffrax's own adaptive loop so
that step control, `SaveAt`, events and adjoints all come from diffrax.

Stage i solves, for the unknown stage value $Y_i$,

$$M(Y_i - y_n) = h\\sum_{j<i} a_{ij}\\tilde F_j + h\\gamma f(t_n + c_ih, Y_i),$$

where $\\tilde F_j$ is the stage derivative implied by stage j's equation,
$(M(Y_j - y_n) - h\\sum_{k<j}a_{jk}\\tilde F_k)/(h\\gamma)$, on the differential rows only
(recomputing $f(Y_j)$ instead would amplify the Newton remainder by
$h\\gamma\\|\\partial f/\\partial y\\|$).
The algebraic rows read $f = 0$ at every stage, so Gauss's law holds at every stage and step.
The method is stiffly accurate, so the new state is the last stage. Every linear invariant (the
amount of each blocked species) is conserved to round-off: with $w^Tf \\equiv 0$ the Newton
updates satisfy $w^T\\delta = -w^T(Y - y_n)$ exactly. The error estimate is
$h\\sum_j (b_j - \\hat b_j)\\tilde F_j$ on the differential rows.

Each step factors $M - h\\gamma\\,\\partial f/\\partial y$ once (block tridiagonal, O(N) by block
Thomas; the blocks come from 3B Jacobian–vector products with coloured probes) and iterates a
simplified Newton on every stage; a stage that does not converge rejects the step, and the
controller retries with a smaller one. Stage solutions carry implicit derivatives
(custom JVP with the exact Jacobian at the solution), so `jax.grad` through a transient costs
one structured solve per stage and step.

**References:** A. Kværnø, *BIT Numer. Math.* 44, 489 (2004); E. Hairer and G. Wanner,
*Solving Ordinary Differential Equations II*, 2nd ed., Springer (1996), ch. IV.8 and VI.
"""

from collections.abc import Callable
from typing import ClassVar

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._discretise import transport_residual as residual
from .._linalg.block_tridiagonal import BlockTridiagonal, block_tridiagonal_from_jvp

_TABLEAU = diffrax.Kvaerno5.tableau


def _kvaerno5():
    a = np.zeros((7, 7))
    for i, row in enumerate(_TABLEAU.a_lower):
        a[i + 1, : i + 1] = np.asarray(row)
    gamma = float(np.asarray(_TABLEAU.a_diagonal)[1])
    for i in range(1, 7):
        a[i, i] = gamma
    c = np.concatenate([[0.0], np.asarray(_TABLEAU.c)])
    return a, gamma, c, np.asarray(_TABLEAU.b_sol), np.asarray(_TABLEAU.b_error)


A_MATRIX, GAMMA, C_NODES, B_SOL, B_ERROR = _kvaerno5()


def jacobian_blocks(system, t, y) -> BlockTridiagonal:
    """∂f/∂y at (t, y) as blocks, from 3B coloured Jacobian–vector products."""
    fn = lambda y_: residual.rows(system, t, y_)  # noqa: E731
    mv = lambda v: jax.jvp(fn, (y,), (v,))[1]  # noqa: E731
    return block_tridiagonal_from_jvp(mv, system.n_nodes, system.block)


def stage_matrix(system, jac: BlockTridiagonal, h_gamma, row_scale) -> BlockTridiagonal:
    """`row_scale`·(M − hγ J) as blocks."""
    m_lower, m_diag = residual.mass_blocks(system)
    scale = row_scale.reshape(system.n_nodes, system.block)[:, :, None]
    return BlockTridiagonal(
        lower=scale * (m_lower - h_gamma * jac.lower),
        diag=scale * (m_diag - h_gamma * jac.diag),
        upper=scale * (-h_gamma * jac.upper),
    )


def _mass_matvec(system, v):
    m_lower, m_diag = residual.mass_blocks(system)
    v = v.reshape(system.n_nodes, system.block)
    out = jnp.einsum("nij,nj->ni", m_diag, v)
    out = out.at[1:].add(jnp.einsum("nij,nj->ni", m_lower[1:], v[:-1]))
    return out.reshape(-1)


def stage_residual(system, t, h_gamma, y0, history, row_scale, y):
    """`row_scale`·[M(Y − y_n) − history − hγ f(t, Y)], history = h Σ_{j<i} a_ij F̃_j."""
    f = residual.rows(system, t, y)
    return row_scale * (_mass_matvec(system, y - y0) - history - h_gamma * f)


def _newton(system, t, h_gamma, y0, history, row_scale, start, factor, absolute, settings):
    """Simplified Newton on one stage with the step's frozen factorisation. Returns
    `(Y, converged)`."""

    def cond(carry):
        _, it, norm, rate_ok, _ = carry
        return (it < settings.max_iterations) & (norm > settings.tolerance) & rate_ok

    def body(carry):
        y, it, norm_prev, _, _ = carry
        g = stage_residual(system, t, h_gamma, y0, history, row_scale, y)
        delta = factor.solve(-g)
        y_new = y + delta
        weights = absolute + settings.rtol * jnp.abs(y_new)
        norm = jnp.sqrt(jnp.mean((delta / weights) ** 2))
        finite = jnp.all(jnp.isfinite(y_new))
        # a contraction rate above 0.9 after the first iteration will not converge in time
        rate_ok = finite & ((it == 0) | (norm < 0.9 * norm_prev))
        return jnp.where(finite, y_new, y), it + 1, norm, rate_ok, finite

    init = (start, jnp.array(0), jnp.array(jnp.inf), jnp.array(True), jnp.array(True))
    y, _, norm, _, finite = jax.lax.while_loop(cond, body, init)
    return y, (norm <= settings.tolerance) & finite


def _implicit_stage(system, t, h_gamma, y0, history, row_scale, start, factor, absolute, settings):
    """The stage solution with derivatives by the implicit function theorem: the tangent solves
    the exact stage Jacobian at the solution, in the same block structure."""

    # every traced input is an argument: a custom_jvp closing over tracers breaks under the
    # re-tracing of diffrax's checkpointed adjoint
    @jax.custom_jvp
    def solve(system, t, h_gamma, y0, history, row_scale, start, factor, absolute):
        return _newton(
            system, t, h_gamma, y0, history, row_scale, start, factor, absolute, settings
        )

    @solve.defjvp
    def solve_jvp(primals, tangents):
        y, ok = solve(*primals)
        system_, t_, h_gamma_, y0_, history_, row_scale_ = primals[:6]
        fn = lambda s_, t__, hg_, y0__, h__, rs_: stage_residual(  # noqa: E731
            s_, t__, hg_, y0__, h__, rs_, y
        )
        _, dg = jax.jvp(fn, primals[:6], tangents[:6])
        jac = jacobian_blocks(system_, t_, y)
        matrix = stage_matrix(system_, jac, h_gamma_, row_scale_)
        # factor inside the solve functions: closures over factors computed out here leak
        # tracers through custom_linear_solve's transpose under jit
        solve_ = lambda b: matrix.solvers()[0](b)  # noqa: E731
        solve_transpose = lambda b: matrix.solvers()[1](b)  # noqa: E731
        dy = jax.lax.custom_linear_solve(
            lambda v: jax.jvp(
                lambda y_: stage_residual(system_, t_, h_gamma_, y0_, history_, row_scale_, y_),
                (y,),
                (v,),
            )[1],
            -dg,
            solve=lambda _, b: solve_(b),
            transpose_solve=lambda _, b: solve_transpose(b),
        )
        return (y, ok), (dy, np.zeros((), jax.dtypes.float0))

    return solve(
        system,
        t,
        h_gamma,
        y0,
        history,
        row_scale,
        jax.lax.stop_gradient(start),
        jax.lax.stop_gradient(factor),
        jax.lax.stop_gradient(absolute),
    )


def consistent_state(system, t, y):
    """Solve the algebraic rows (Poisson, contacts) at time t with the amounts held fixed:
    a consistent point of the DAE. Returns `(y, converged)`."""
    from . import transport_newton as root

    mask = residual.differential_mask(system)
    v0 = root.to_variables(system, y)
    weights = np.zeros((0, system.channels.count))
    v, _, _, ok = root.implicit_newton(system, t, v0, weights, jnp.zeros(0), fixed=(mask, y))
    return root.to_state(system, v), ok


class NewtonSettings(eqx.Module):
    """Stage Newton settings: converged when the RMS of the update, weighted by
    atol + `rtol`·|y|, is below `tolerance`, within `max_iterations`."""

    max_iterations: int = eqx.field(static=True, default=8)
    tolerance: float = eqx.field(static=True, default=0.03)
    rtol: float = eqx.field(static=True, default=1e-6)


class DAEKvaerno5(diffrax.AbstractAdaptiveSolver):
    """Kværnø's ESDIRK 5(4) for $M\\dot y = f$ with algebraic rows, structured linear algebra
    and implicit stage derivatives. `args` of `diffrax.diffeqsolve` must be the
    `TransportSystem`; the term's vector field is only used for bookkeeping.

    **Arguments:**

    - `rtol`, `atol`: the error tolerances the step controller uses (the Newton iteration
      measures its updates in the same units). `atol` applies to the normalised amounts
      (1 = the channel's largest bulk concentration); φ is measured against `potential_atol`
      (k_BT/e; default `rtol`).
    - `newton`: `NewtonSettings`.
    """

    term_structure: ClassVar = diffrax.AbstractTerm
    interpolation_cls: ClassVar[Callable[..., diffrax.LocalLinearInterpolation]] = (
        diffrax.LocalLinearInterpolation
    )
    rtol: float = eqx.field(static=True, default=1e-6)
    atol: float = eqx.field(static=True, default=1e-10)
    potential_atol: float | None = eqx.field(static=True, default=None)
    newton: NewtonSettings = NewtonSettings()

    def order(self, terms):
        return 5

    def error_order(self, terms):
        return 4

    def init(self, terms, t0, t1, y0, args):
        return None

    def func(self, terms, t0, y0, args):
        return residual.rows(args, t0, y0)

    def step(self, terms, t0, t1, y0, args, solver_state, made_jump):
        system = args
        # after a jump of the drive φ jumps: restore consistency before the explicit stage
        y0 = jax.lax.cond(made_jump, lambda y: consistent_state(system, t0, y)[0], lambda y: y, y0)
        h = t1 - t0
        mask = jnp.asarray(residual.differential_mask(system))
        h_gamma = h * GAMMA
        row_scale = jnp.where(mask, 1.0, -1.0 / h_gamma)
        is_u = np.zeros((system.n_nodes, system.block), bool)
        is_u[:, 0] = True
        is_u = jnp.asarray(is_u.reshape(-1))

        potential = self.rtol if self.potential_atol is None else self.potential_atol
        absolute = jnp.where(is_u, potential, self.atol)
        settings = NewtonSettings(self.newton.max_iterations, self.newton.tolerance, self.rtol)

        y0_fixed = jax.lax.stop_gradient(y0)
        jac = jax.lax.stop_gradient(jacobian_blocks(system, t0, y0_fixed))
        factor = stage_matrix(
            system, jac, jax.lax.stop_gradient(h_gamma), jax.lax.stop_gradient(row_scale)
        ).factor()
        factor = jax.lax.stop_gradient(factor)
        f0 = residual.rows(system, t0, y0)
        n_stages = A_MATRIX.shape[0]
        stages = jnp.zeros((n_stages, y0.shape[0])).at[0].set(jnp.where(mask, f0, 0.0))

        # the implicit stages in a scan: one compiled stage instead of six
        def stage(carry, coefficients):
            stages, y_stage, ok_all, i = carry
            a_row, c_i = coefficients
            history = h * (a_row @ stages)
            t_i = t0 + c_i * h
            start = jax.lax.stop_gradient(y_stage)
            y_stage, ok = _implicit_stage(
                system, t_i, h_gamma, y0, history, row_scale, start, factor, absolute, settings
            )
            # the derivative the stage equation implies, not f(Y_i) recomputed: f(Y_i) would
            # multiply the Newton remainder by hγ‖∂f/∂y‖, which is huge for stiff steps
            implied = (_mass_matvec(system, y_stage - y0) - history) / h_gamma
            stages = stages.at[i].set(jnp.where(mask, implied, 0.0))
            return (stages, y_stage, ok_all & ok, i + 1), None

        explicit = np.tril(A_MATRIX, -1)[1:]
        (stages, y_stage, ok_all, _), _ = jax.lax.scan(
            stage,
            (stages, y0, jnp.array(True), jnp.array(1)),
            (jnp.asarray(explicit), jnp.asarray(C_NODES[1:])),
        )
        # stiffly accurate (b = last row of A): the new state is the last stage. Linear
        # invariants w (blocked amounts) hold at every Newton iterate, since
        # wᵀ(M − hγ∂f/∂y) = wᵀ for the iteration matrix (wᵀM = wᵀ, wᵀ∂f/∂y = 0)
        species = mask & ~is_u
        y1 = y_stage
        error = h * (jnp.asarray(B_ERROR) @ stages)
        error = jnp.where(species, error, 0.0)
        error = jnp.where(ok_all, error, jnp.inf)
        dense_info = dict(y0=y0, y1=y1)
        return y1, error, dense_info, None, diffrax.RESULTS.successful
