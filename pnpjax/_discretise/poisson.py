"""The Poisson–Boltzmann equilibrium as a discrete system (reduced formulation).

At equilibrium every mobile carrier follows its electrochemical potential through the
statistics, so the concentrations are functions of the potential and the unknowns are φ at
every node plus the electrochemical potentials of the closed species (one per conserved
amount): Gauss's law on every box (`gauss.py`) with the box charge

$$Q_j = A_j\\hat\\sigma_j + V^-_j\\hat\\rho_{p(j-1)}(u_j) + V^+_j\\hat\\rho_{p(j)}(u_j),$$

(the two half boxes taking the chemistry of the phase on their side), and for each closed
potential k a conservation row $\\sum_j \\int \\text{sign}\\cdot c\\,dV - M_k = 0$ bordering the
system. Each Gauss row depends on φ at three nodes and on the global potentials only: the
Jacobian is tridiagonal plus a border (O(N) solves, `pnpjax._linalg.bordered`). When no
boundary and no reservoir fixes the gauge (φ and all electrochemical potentials can shift
together), the last charged conservation row, which is then implied by the others and global
neutrality, is replaced by φ(left end) = 0. This reduced form has N unknowns where the
transport form has N·(1 + channels); it is measured faster for equilibrium solves.

**Reference:** S. Selberherr, *Analysis and Simulation of Semiconductor Devices*, Springer
(1984), ch. 6; C. Kittel and H. Kroemer, *Thermal Physics* (Boltzmann statistics).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np

from .._linalg.bordered import BorderedTridiagonal, TridiagonalSolver
from .._misc import put
from .gauss import gauss_bands, gauss_rows, hold_potentials
from .phases import bisect_neutral, log_concentrations, neutrality_log_balance
from .problem import Problem
from .system import AbstractSystem, Linearisation


def split(problem: Problem, y):
    """`(u [n], g_free [k])` from the unknowns."""
    n = problem.n_nodes
    return y[:n], y[n:]


def full_potentials(problem: Problem, g_free):
    """All electrochemical potentials (k_BT): the resolved ones and the closed unknowns."""
    free = problem.layout.free
    if free.size == 0:
        return problem.g_fixed
    return problem.g_fixed.at[free].set(g_free)


def amount_weights(problem: Problem, phases: np.ndarray) -> np.ndarray:
    """`W[m, s, k] = sign_s` where species s in the phase of row m follows potential k."""
    layout = problem.layout
    index = layout.potential_index[np.maximum(phases, 0)]
    k = np.arange(layout.n_potentials)
    return (index[..., None] == k) * layout.sign[None, :, None]


def half_box_concentrations(problem: Problem, u, g):
    """Scaled concentrations of the mobile carriers `[2n, S]` in every half box (left halves of
    all nodes, then right halves) at potentials u (k_BT/e): one evaluation of the statistics."""
    phases = problem.topology.half_phase
    u_half = jnp.concatenate([u, u])
    return jnp.exp(log_concentrations(problem.phases, phases, u_half, g, problem.half_shift))


class LocalTerms:
    """Box quantities that depend on φ at their own node only, from one evaluation of the
    statistics over all half boxes: `charge` `[n]` (mobile, fixed and surface), `amounts`
    `[n, k]` of the closed potentials and `gross` `[n]` (Σ|charge|, the scale of a row)."""

    def __init__(self, problem: Problem, u, g_free):
        layout = problem.layout
        n = problem.n_nodes
        g = full_potentials(problem, g_free)
        c = half_box_concentrations(problem, u, g)
        volume = problem.half_volume
        phases = problem.topology.half_phase
        self.charge = problem.fixed_charge + _pair(volume * (c @ layout.z), n)
        fixed = jnp.abs(problem.phases.frozen[np.maximum(phases, 0)]) @ np.abs(layout.z)
        fixed = fixed + jnp.abs(problem.phases.background[np.maximum(phases, 0)])
        self.gross = jnp.abs(problem.sigma_node) + _pair(
            volume * (c @ np.abs(layout.z) + jnp.where(phases >= 0, fixed, 0.0)), n
        )
        free = layout.free
        if free.size:
            weights = amount_weights(problem, phases)[:, :, free]
            per_half = volume[:, None] * jnp.einsum("ms,msk->mk", c, weights)
            self.amounts = per_half[:n] + per_half[n:]
        else:
            self.amounts = jnp.zeros((n, 0))


def _pair(values, n):
    """The sum of the two half boxes of every node."""
    return values[:n] + values[n:]


def _gauge_row(problem: Problem) -> int | None:
    layout = problem.layout
    if not layout.gauge_fixed:
        return None
    charged = [r for r, k in enumerate(layout.free) if layout.charge_factor[k] != 0]
    return charged[-1]


def _assemble(problem: Problem, u, charge, amounts):
    poisson = gauss_rows(problem.conductance, u, charge)
    poisson = hold_potentials(poisson, u, problem.u_boundary, problem.dirichlet)
    conservation = amounts.sum(axis=0) - problem.amount[problem.layout.free]
    gauge = _gauge_row(problem)
    if gauge is not None:
        conservation = conservation.at[gauge].set(u[0])
    return jnp.concatenate([poisson, conservation])


class EquilibriumSystem(AbstractSystem):
    """Gauss's law and the conservation rows of a `Problem` (see the module docstring)."""

    problem: Problem

    def residual(self, y):
        u, g_free = split(self.problem, y)
        local = LocalTerms(self.problem, u, g_free)
        return _assemble(self.problem, u, local.charge, local.amounts)

    def linearise(self, y) -> Linearisation:
        """The residual, its exact Jacobian (`BorderedTridiagonal`) and the row scales from one
        forward-mode pass over the statistics (batched over φ and each closed potential)."""
        problem = self.problem
        u, g_free = split(problem, y)
        n, k = u.shape[0], g_free.shape[0]

        def local(u_, g_):
            terms = LocalTerms(problem, u_, g_)
            return terms.charge, terms.amounts, terms.gross

        directions = (
            jnp.concatenate([jnp.ones((1, n)), jnp.zeros((k, n))]),
            jnp.concatenate([jnp.zeros((1, k)), jnp.eye(k)]),
        )
        (charge, amounts, gross), (dq, da, _) = jax.vmap(
            lambda du, dg: jax.jvp(local, (u, g_free), (du, dg)),
            out_axes=((None, None, None), 0),
        )(*directions)
        lower, diag, upper = gauss_bands(problem.conductance)
        diag = diag - dq[0]
        border_cols = -dq[1:].T
        border_rows = da[0].T
        corner = da[1:].sum(axis=1).T if k else jnp.zeros((0, 0))
        for side, node in ((0, 0), (1, n - 1)):
            if problem.dirichlet[side]:
                diag = put(diag, node, 1.0)
                lower = put(lower, node, 0.0)
                upper = put(upper, node, 0.0)
                border_cols = put(border_cols, node, 0.0)
        gauge = _gauge_row(problem)
        if gauge is not None:
            border_rows = border_rows.at[gauge].set(jnp.zeros(n).at[0].set(1.0))
            corner = corner.at[gauge].set(0.0)
        matrix = BorderedTridiagonal(lower, diag, upper, border_cols, border_rows, corner)
        return Linearisation(
            _assemble(problem, u, charge, amounts), matrix, _row_scale(problem, u, gross, amounts)
        )

    def linear_solver(self) -> lx.AbstractLinearSolver:
        return TridiagonalSolver(border=self.problem.layout.free.size)

    def staged(self, fraction, start):
        """The system with the held potentials ramped from `start` `[2]` (k_BT/e) and the
        surface charges from zero, a `fraction` of the way (continuation)."""
        problem = self.problem
        held = start + fraction * (problem.u_boundary - start)
        fixed = problem.fixed_charge - (1.0 - fraction) * problem.sigma_node
        staged = _replace(problem, u_boundary=held, fixed_charge=fixed)
        return EquilibriumSystem(staged)


def _replace(problem: Problem, **arrays) -> Problem:
    names = tuple(arrays)
    return eqx.tree_at(
        lambda p: tuple(getattr(p, name) for name in names), problem, tuple(arrays.values())
    )


def _row_scale(problem: Problem, u, gross, amounts):
    """The size of the terms of each row, for the relative residual: the face terms and the
    gross charge of a box (each face term G(u_j − u_k) is computed from u_j and u_k, so its
    rounding error scales with G(|u_j| + |u_k|)), 1 + |u| for a held potential, and the larger
    of the target and the summed magnitudes for a conservation row."""
    n = problem.n_nodes
    flux = problem.conductance * (jnp.abs(u[:-1]) + jnp.abs(u[1:]) + 1.0)
    zero = jnp.zeros((1,))
    scale = gross + jnp.concatenate([flux, zero]) + jnp.concatenate([zero, flux])
    held = np.zeros(n, bool)
    held[0], held[-1] = problem.dirichlet
    scale = jnp.where(held, 1.0 + jnp.abs(u), jnp.maximum(scale, 1e-300))
    free = problem.layout.free
    if free.size:
        totals = jnp.maximum(jnp.abs(problem.amount[free]), jnp.abs(amounts).sum(0))
        scale = jnp.concatenate([scale, jnp.maximum(totals, 1e-300)])
    return scale


def _half_box_log_balance(problem: Problem, u, g):
    """Per node: log(positive) − log(negative) charge of its box, both half boxes together."""
    n = problem.n_nodes
    phases = problem.topology.half_phase
    log_pos, log_neg = neutrality_log_balance(
        problem.phases, phases, jnp.concatenate([u, u]), g, problem.half_shift
    )
    log_volume = jnp.log(jnp.maximum(problem.half_volume, 1e-300))
    log_pos, log_neg = log_pos + log_volume, log_neg + log_volume
    return jnp.logaddexp(log_pos[:n], log_pos[n:]) - jnp.logaddexp(log_neg[:n], log_neg[n:])


def _segregation_guess(problem: Problem, u, g, steps: int = 3):
    """Move the guess towards local neutrality where a segregation energy acts: a few Newton
    steps per node on the log charge balance of its box, which is nearly linear in u when one
    species of each sign dominates. Without it Newton spends many damped steps building up a
    core potential of many k_BT."""
    active = jnp.any(problem.shift_left != 0, axis=1) | jnp.any(problem.shift_right != 0, axis=1)

    def step(_, u):
        f, slope = jax.jvp(
            lambda u_: _half_box_log_balance(problem, u_, g), (u,), (jnp.ones_like(u),)
        )
        good = jnp.isfinite(f) & (slope < 0)
        return jnp.where(active & good, u - f / jnp.where(slope < 0, slope, -1.0), u)

    return jax.lax.fori_loop(0, steps, step, u)


def closed_potentials(problem: Problem, u, g):
    """Electrochemical potentials of the closed species that reproduce their amounts for a
    fixed potential profile u: amount = A e^g − B e^{−g} solved in closed form."""
    layout = problem.layout
    free = layout.free
    if free.size == 0:
        return jnp.zeros((0,))
    g = g.at[free].set(0.0)
    c = half_box_concentrations(problem, u, g)
    weights = amount_weights(problem, problem.topology.half_phase)[:, :, free]
    log_terms = {}
    for sign in (+1, -1):
        w = np.where(weights == sign, 1.0, 0.0)
        per_half = jnp.einsum("ms,msk->mk", c, w) * problem.half_volume[:, None]
        log_terms[sign] = jax.nn.logsumexp(jnp.log(jnp.maximum(per_half, 1e-300)), axis=0)
    log_a, log_b = log_terms[+1], log_terms[-1]
    target = problem.amount[free]
    a, b = jnp.exp(log_a), jnp.exp(log_b)
    only_a = b <= 1e-290
    only_b = a <= 1e-290
    ln_t_a = jnp.log(jnp.maximum(target, 1e-300)) - log_a
    ln_t_b = log_b - jnp.log(jnp.maximum(-target, 1e-300))
    ln_t_ab = 0.5 * (log_b - log_a) + jnp.arcsinh(target * jnp.exp(-0.5 * (log_a + log_b)) / 2)
    return jnp.where(only_a, ln_t_a, jnp.where(only_b, ln_t_b, ln_t_ab))


def initial_guess(problem: Problem, rounds: int = 3):
    """Piecewise-neutral potential (each phase at its bulk neutral potential, held ends at
    their values) and, for closed systems, potentials that match the amounts."""
    layout = problem.layout
    n = problem.n_nodes
    lp, rp = problem.left_phase, problem.right_phase

    def neutral_profile(g):
        if problem.bulk is not None:
            u_b, exists = problem.bulk.u, problem.bulk.exists
        else:
            u_b, exists = bisect_neutral(problem.phases, g)
        left = jnp.where(lp >= 0, u_b[np.maximum(lp, 0)], 0.0)
        right = jnp.where(rp >= 0, u_b[np.maximum(rp, 0)], 0.0)
        left_ok = (lp >= 0) & exists[np.maximum(lp, 0)]
        right_ok = (rp >= 0) & exists[np.maximum(rp, 0)]
        weight = left_ok.astype(float) + right_ok.astype(float)
        total = jnp.where(left_ok, left, 0.0) + jnp.where(right_ok, right, 0.0)
        u = jnp.where(weight > 0, total / jnp.maximum(weight, 1.0), 0.0)
        if problem.segregated:
            u = _segregation_guess(problem, u, g)
        if layout.gauge_fixed:
            u = u - u[0]
        return u

    g = problem.g_fixed
    u = jnp.zeros(n)
    if layout.free.size:

        def round_(_, u):
            return neutral_profile(full_potentials(problem, closed_potentials(problem, u, g)))

        u = jax.lax.fori_loop(0, rounds, round_, u)
    else:
        u = neutral_profile(g)
    for side, node in ((0, 0), (1, n - 1)):
        if problem.dirichlet[side]:
            u = put(u, node, problem.u_boundary[side])
    g_free = closed_potentials(problem, u, g)
    return jnp.concatenate([u, g_free])
