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
Thomas; the blocks come from 3B Jacobian–vector products with coloured probes) and iterates the
package's Newton core (`newton.py`) on every stage with that frozen factorisation (a simplified
Newton, undamped, failing fast when it stops contracting); a stage that does not converge
rejects the step, and the controller retries with a smaller one. Stage solutions carry the
implicit derivative of `newton.implicit` (the exact stage Jacobian at the solution), so
`jax.grad` through a transient costs one structured solve per stage and step.

The state at the start of the first step, and after a jump of the drive, is made consistent
(the algebraic rows solved with the amounts held) inside the step, so one compiled copy of that
solve serves both; a state that has no consistent potential ends the integration, and the
solver state records it.

**References:** A. Kværnø, *BIT Numer. Math.* 44, 489 (2004); E. Hairer and G. Wanner,
*Solving Ordinary Differential Equations II*, 2nd ed., Springer (1996), ch. IV.8 and VI.
"""

from collections.abc import Callable
from typing import ClassVar

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import optimistix as optx
from jaxtyping import Array, ArrayLike

from .._discretise.system import AbstractSystem, Linearisation
from .._discretise.transport import TransportSystem
from .._discretise.transport_rows import differential_mask, mass_blocks, rows
from .._linalg.block_tridiagonal import (
    BlockTridiagonal,
    BlockTridiagonalSolver,
    linearise_block_tridiagonal,
)
from .._solution import RESULTS
from . import newton
from .transport_start import consistent_state

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


def jacobian_blocks(system: TransportSystem, t, y) -> BlockTridiagonal:
    """∂f/∂y at (t, y) as blocks, from 3B coloured Jacobian–vector products."""
    return linearise_block_tridiagonal(
        lambda y_: rows(system, t, y_), y, system.n_nodes, system.block
    )[1]


def stage_matrix(system: TransportSystem, jac: BlockTridiagonal, h_gamma, row_scale):
    """`row_scale`·(M − hγ J) as blocks."""
    m_lower, m_diag = mass_blocks(system)
    scale = row_scale.reshape(system.n_nodes, system.block)[:, :, None]
    return BlockTridiagonal(
        lower=scale * (m_lower - h_gamma * jac.lower),
        diag=scale * (m_diag - h_gamma * jac.diag),
        upper=scale * (-h_gamma * jac.upper),
    )


def _mass_matvec(system: TransportSystem, v):
    m_lower, m_diag = mass_blocks(system)
    v = v.reshape(system.n_nodes, system.block)
    out = jnp.einsum("nij,nj->ni", m_diag, v)
    out = out.at[1:].add(jnp.einsum("nij,nj->ni", m_lower[1:], v[:-1]))
    return out.reshape(-1)


class StageSystem(AbstractSystem):
    """One implicit stage: `row_scale`·[M(Y − y_n) − history − hγ f(t, Y)] = 0, history =
    h Σ_{j<i} a_ij F̃_j (differential rows scaled by 1, algebraic ones by −1/(hγ))."""

    transport: TransportSystem
    t: Array
    h_gamma: Array
    y0: Array
    history: Array
    row_scale: Array

    def residual(self, y):
        f = rows(self.transport, self.t, y)
        return self._scaled(y, f)

    def _scaled(self, y, f):
        m = _mass_matvec(self.transport, y - self.y0)
        return self.row_scale * (m - self.history - self.h_gamma * f)

    def linearise(self, y) -> Linearisation:
        system = self.transport
        f, jac = linearise_block_tridiagonal(
            lambda y_: rows(system, self.t, y_), y, system.n_nodes, system.block
        )
        matrix = stage_matrix(system, jac, self.h_gamma, self.row_scale)
        return Linearisation(self._scaled(y, f), matrix)

    def linear_solver(self) -> lx.AbstractLinearSolver:
        return BlockTridiagonalSolver(block_size=self.transport.block)


class NewtonSettings(eqx.Module):
    """Stage Newton settings: converged when the RMS of the update, weighted by
    atol + `rtol`·|y|, is below `tolerance`, within `max_iterations`."""

    max_iterations: int = eqx.field(static=True, default=8)
    tolerance: float = eqx.field(static=True, default=0.03)
    rtol: ArrayLike = 1e-6

    def newton(self, absolute) -> newton.Newton:
        """The Newton core's settings for a stage with absolute weights `absolute`."""
        return newton.Newton(
            max_steps=self.max_iterations,
            atol=self.tolerance * absolute,
            rtol=self.tolerance * self.rtol,
            residual_tol=None,
            norm=optx.rms_norm,
            damping=False,
            divergence=0.9,
        )


class StepState(eqx.Module):
    """The solver state between steps: whether the next step starts from the initial state
    (made consistent inside it) and whether an initial state had no consistent potential."""

    first: Array
    inconsistent: Array


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
    - `time_unit`: the scaled time t̂ = t/`TransportSystem.time_scale` per unit of diffrax's
      integration variable s = t̂/`time_unit` (1: diffrax integrates t̂ itself). A transient
      integrates s over [0, 1] so that diffrax's t1 is a constant of the program: diffrax
      computes t1 less 100 ULPs by 100 chained `prevbefore`, which XLA then folds at compile
      time instead of compiling as a 1600-instruction kernel (0.4–0.7 s of every first call).
    """

    term_structure: ClassVar = diffrax.AbstractTerm
    interpolation_cls: ClassVar[Callable[..., diffrax.LocalLinearInterpolation]] = (
        diffrax.LocalLinearInterpolation
    )
    # arrays (inputs of the program) or floats
    rtol: ArrayLike = 1e-6
    atol: ArrayLike = 1e-10
    potential_atol: ArrayLike | None = None
    newton: NewtonSettings = NewtonSettings()
    time_unit: ArrayLike = 1.0

    def order(self, terms):
        return 5

    def error_order(self, terms):
        return 4

    def init(self, terms, t0, t1, y0, args):
        return StepState(jnp.array(True), jnp.array(False))

    def func(self, terms, t0, y0, args):
        return self.time_unit * rows(args, t0 * self.time_unit, y0)

    def step(self, terms, t0, t1, y0, args, solver_state, made_jump):
        system = args
        # from here on in scaled time t̂, the system's own
        t0, t1 = t0 * self.time_unit, t1 * self.time_unit
        # the initial state, and the state after a jump of the drive (φ jumps), are made
        # consistent before the explicit stage
        restart = made_jump | solver_state.first
        y0, consistent = jax.lax.cond(
            restart,
            lambda y: consistent_state(system, t0, y),
            lambda y: (y, RESULTS.successful),
            y0,
        )
        failed = consistent != RESULTS.successful
        h = t1 - t0
        mask = jnp.asarray(differential_mask(system))
        h_gamma = h * GAMMA
        row_scale = jnp.where(mask, 1.0, -1.0 / h_gamma)
        is_u = np.zeros((system.n_nodes, system.block), bool)
        is_u[:, 0] = True
        is_u = jnp.asarray(is_u.reshape(-1))

        potential = self.rtol if self.potential_atol is None else self.potential_atol
        absolute = jnp.where(is_u, potential, self.atol)
        settings = NewtonSettings(self.newton.max_iterations, self.newton.tolerance, self.rtol)
        stage_newton = settings.newton(absolute)

        # f(y_n) and ∂f/∂y at y_n from one forward pass; the Jacobian only builds the frozen
        # iteration matrix, so it carries no derivative
        f0, jac = linearise_block_tridiagonal(
            lambda y_: rows(system, t0, y_), y0, system.n_nodes, system.block
        )
        jac = jax.lax.stop_gradient(jac)
        factor = stage_matrix(
            system, jac, jax.lax.stop_gradient(h_gamma), jax.lax.stop_gradient(row_scale)
        )
        factor = jax.lax.stop_gradient(factor)
        solver = BlockTridiagonalSolver(block_size=system.block)
        frozen = {"jacobian": (factor, jax.lax.stop_gradient(solver.init(factor, {})))}
        n_stages = A_MATRIX.shape[0]
        stages = jnp.zeros((n_stages, y0.shape[0])).at[0].set(jnp.where(mask, f0, 0.0))

        # the implicit stages in a scan: one compiled stage instead of six
        def stage(carry, coefficients):
            stages, y_stage, ok_all, i = carry
            a_row, c_i = coefficients
            history = h * (a_row @ stages)
            t_i = t0 + c_i * h
            stage_system = StageSystem(system, t_i, h_gamma, y0, history, row_scale)
            out = newton.solve(stage_system, y_stage, stage_newton, frozen)
            y_stage = out.y
            ok = out.result == RESULTS.successful
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
        # a state without a consistent potential ends the integration at once
        error = jnp.where(failed, 0.0, error)
        result = diffrax.RESULTS.where(
            failed, diffrax.RESULTS.nonlinear_divergence, diffrax.RESULTS.successful
        )
        dense_info = dict(y0=y0, y1=y1)
        state = StepState(jnp.array(False), solver_state.inconsistent | failed)
        return y1, error, dense_info, state, result
