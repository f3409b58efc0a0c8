"""Finite-volume Poisson–Boltzmann residual on a vertex-centred (box) mesh.

Node j owns the box between the midpoints of its two cells. Gauss's law on the box,
$\\oint D\\cdot dA = Q_\\text{box}$, in non-dimensional form reads

$$R_j = G_j (u_j - u_{j+1}) + G_{j-1}(u_j - u_{j-1})
       - V^-_j\\hat\\rho_{p(j-1)}(u_j) - V^+_j\\hat\\rho_{p(j)}(u_j) - A_j\\hat\\sigma_j = 0,$$

with edge conductances $G = \\varepsilon_r A/h$ and the two half boxes $V^\\mp_j$ taking the
chemistry of the phase on their side. An interface is a node: φ is continuous there,
concentrations take each phase's value in its half box, and the surface charge σ_f enters that
node's box, so the displacement jumps by σ_f. Each row depends on φ at three nodes and on the
global electrochemical potentials only: the Jacobian is tridiagonal plus a border.

For a closed potential k a conservation row
$\\sum_j \\int \\text{sign}\\cdot c\\,dV - M_k = 0$ borders
the system. When no electrode and no reservoir fixes the gauge (φ and all electrochemical
potentials can shift together), the last charged conservation row, which is then implied by the
others and global neutrality, is replaced by φ(left end) = 0.

**Reference:** S. Selberherr, *Analysis and Simulation of Semiconductor Devices*, Springer
(1984), ch. 6 (box discretisation); C. Kittel and H. Kroemer, *Thermal Physics* (Boltzmann).
"""

import jax
import jax.numpy as jnp
import numpy as np

from .._linalg.bordered import BorderedTridiagonal
from .problem import Problem
from .statistics import phase_log_concentrations

EXPONENT_CLIP = 500.0
"""Exponents are clipped here (e^500 ≈ 1e217) so a wild Newton iterate stays finite."""


def _gather_potentials(problem: Problem, phases: np.ndarray, g):
    layout = problem.layout
    index = layout.potential_index[phases]
    if layout.n_potentials == 0:
        return jnp.zeros(index.shape)
    return jnp.where(index >= 0, g[np.maximum(index, 0)], 0.0)


def log_concentrations(problem: Problem, phases: np.ndarray, u, g, shift=None, clip=True):
    """Scaled log concentrations `[len(phases), n_species]` of the mobile carriers in `phases`
    at potentials `u` (k_BT/e); −inf where a species is absent or frozen.

    $\\xi = -\\hat E_0 - zu + \\text{sign}\\,g - \\Delta\\hat G$ (the segregation `shift`) enters
    each phase's statistics: $\\ln\\hat c = \\ln\\hat N + \\xi$ when ideal, else its activity
    models (`statistics.py`). This is the only place carrier statistics enter the solver.
    """
    layout = problem.layout
    phases = np.maximum(phases, 0)
    mobile = layout.mobile[phases]
    xi = (
        -problem.energy[phases]
        - layout.z * u[:, None]
        + layout.sign * _gather_potentials(problem, phases, g)
    )
    if shift is not None:
        xi = xi - shift
    log_c = problem.ln_density[phases] + xi
    for p, models in enumerate(problem.activities):
        rows = phases == p
        if models and rows.any():
            # evaluated on every node and selected: cheaper than gathers and scatters
            sub = phase_log_concentrations(
                models, layout.species, xi, problem.ln_density[p], problem.kT, problem.c_ref
            )
            log_c = sub if rows.all() else jnp.where(rows[:, None], sub, log_c)
    if clip:
        log_c = jnp.minimum(log_c, EXPONENT_CLIP)
    return jnp.where(mobile, log_c, -jnp.inf)


def concentrations(problem: Problem, phases: np.ndarray, u, g, shift=None):
    """Scaled concentrations `[len(phases), n_species]` in `phases` at potentials `u` (k_BT/e):
    mobile ones from `log_concentrations`, frozen ones constant."""
    return (
        jnp.exp(log_concentrations(problem, phases, u, g, shift))
        + problem.frozen[np.maximum(phases, 0)]
    )


def half_boxes(problem: Problem):
    """`(phases, volumes, segregation shifts)` of the left and right half boxes of every node."""
    return (
        (problem.left_phase, problem.vol_left, problem.shift_left),
        (problem.right_phase, problem.vol_right, problem.shift_right),
    )


def charge_density(problem: Problem, phases: np.ndarray, c):
    """Scaled charge density $\\hat\\rho = \\sum_i z_i\\hat c_i + \\hat\\rho_\\text{bg}$."""
    return c @ problem.layout.z.astype(float) + problem.background[np.maximum(phases, 0)]


def amount_weights(problem: Problem, phases: np.ndarray) -> np.ndarray:
    """`W[n, s, k] = sign_s` where species s in the phase of n follows potential k."""
    layout = problem.layout
    index = layout.potential_index[np.maximum(phases, 0)]
    k = np.arange(layout.n_potentials)
    return (index[..., None] == k) * layout.sign[None, :, None].astype(float)


def full_potentials(problem: Problem, g_free):
    """All electrochemical potentials (k_BT): fixed ones and the closed unknowns."""
    free = problem.layout.free
    if free.size == 0:
        return problem.g_fixed
    return problem.g_fixed.at[free].set(g_free)


def local_terms(problem: Problem, u, g_free):
    """Box charges `Q[n]` (incl. surface charge) and box amounts `[n, n_free]` of closed species.

    Both are local in u: entry j depends on u_j only.
    """
    g = full_potentials(problem, g_free)
    free = problem.layout.free
    charge = problem.sigma_node
    amounts = jnp.zeros((u.shape[0], free.size))
    for phases, volume, shift in half_boxes(problem):
        c = concentrations(problem, phases, u, g, shift)
        charge = charge + volume * charge_density(problem, phases, c)
        if free.size:
            weights = amount_weights(problem, phases)[:, :, free]
            amounts = amounts + volume[:, None] * jnp.einsum("ns,nsk->nk", c, weights)
    return charge, amounts


def gross_charge(problem: Problem, u, g_free):
    """Sum of |charge| in each box, Σ|z|c V + |ρ_bg| V + |σ A|: the scale of the residual."""
    g = full_potentials(problem, g_free)
    total = jnp.abs(problem.sigma_node)
    for phases, volume, shift in half_boxes(problem):
        c = concentrations(problem, phases, u, g, shift)
        background = jnp.abs(problem.background[np.maximum(phases, 0)])
        total = total + volume * (c @ np.abs(problem.layout.z) + background)
    return total


def _gauge_row(problem: Problem) -> int | None:
    layout = problem.layout
    if not layout.gauge_fixed:
        return None
    charged = [r for r, k in enumerate(layout.free) if layout.charge_factor[k] != 0]
    return charged[-1]


def split(problem: Problem, y):
    n = problem.n_nodes
    return y[:n], y[n:]


def _assemble_residual(problem: Problem, u, charge, amounts):
    flux = problem.conductance * (u[:-1] - u[1:])
    zero = jnp.zeros((1,))
    poisson = jnp.concatenate([flux, zero]) - jnp.concatenate([zero, flux]) - charge
    for side, node in ((0, 0), (1, -1)):
        if problem.dirichlet[side]:
            poisson = poisson.at[node].set(u[node] - problem.u_boundary[side])
    conservation = amounts.sum(axis=0) - problem.amount[problem.layout.free]
    gauge = _gauge_row(problem)
    if gauge is not None:
        conservation = conservation.at[gauge].set(u[0])
    return jnp.concatenate([poisson, conservation])


def residual(problem: Problem, y):
    """Residual of Poisson (one row per node) and of the conservation rows."""
    u, g_free = split(problem, y)
    charge, amounts = local_terms(problem, u, g_free)
    return _assemble_residual(problem, u, charge, amounts)


def jacobian(problem: Problem, y) -> BorderedTridiagonal:
    """The exact Jacobian of `residual`, assembled from 1 + n_free forward-mode passes."""
    return residual_and_jacobian(problem, y)[1]


def residual_and_jacobian(problem: Problem, y):
    """`residual` and its exact Jacobian (`BorderedTridiagonal`) from the same forward-mode
    passes, so the local statistics are evaluated once per Newton iteration."""
    u, g_free = split(problem, y)
    n, k = u.shape[0], g_free.shape[0]
    local = lambda u_, g_: local_terms(problem, u_, g_)  # noqa: E731
    (charge, amounts), (dq_du, da_du) = jax.jvp(
        local, (u, g_free), (jnp.ones_like(u), jnp.zeros_like(g_free))
    )
    conductance = problem.conductance
    zero = jnp.zeros((1,))
    diag = jnp.concatenate([conductance, zero]) + jnp.concatenate([zero, conductance]) - dq_du
    lower = -jnp.concatenate([zero, conductance])
    upper = -jnp.concatenate([conductance, zero])
    if k:
        basis = jnp.eye(k)
        _, (dq_dg, da_dg) = jax.vmap(lambda e: jax.jvp(local, (u, g_free), (jnp.zeros_like(u), e)))(
            basis
        )
        border_cols = -dq_dg.T
        border_rows = da_du.T
        corner = da_dg.sum(axis=1).T
    else:
        border_cols = jnp.zeros((n, 0))
        border_rows = jnp.zeros((0, n))
        corner = jnp.zeros((0, 0))
    for side, node in ((0, 0), (1, n - 1)):
        if problem.dirichlet[side]:
            diag = diag.at[node].set(1.0)
            lower = lower.at[node].set(0.0)
            upper = upper.at[node].set(0.0)
            border_cols = border_cols.at[node].set(0.0)
    gauge = _gauge_row(problem)
    if gauge is not None:
        border_rows = border_rows.at[gauge].set(jnp.zeros(n).at[0].set(1.0))
        corner = corner.at[gauge].set(0.0)
    matrix = BorderedTridiagonal(lower, diag, upper, border_cols, border_rows, corner)
    return _assemble_residual(problem, u, charge, amounts), matrix


def _neutrality_log_balance(problem: Problem, phases: np.ndarray, u, g, shift=None):
    """log(positive charge) − log(negative charge) of the bulk of each phase at potential u:
    finite, smooth and strictly decreasing in u wherever both signs are present."""
    layout = problem.layout
    phases = np.maximum(phases, 0)
    mobile = layout.mobile[phases]
    z = layout.z.astype(float)
    log_c = log_concentrations(problem, phases, u, g, shift, clip=False)
    fixed = problem.frozen[phases] @ z + problem.background[phases]
    log_abs_z = jnp.log(jnp.maximum(jnp.abs(z), 1.0))
    positive = jnp.where(mobile & (z > 0), log_c + log_abs_z, -jnp.inf)
    negative = jnp.where(mobile & (z < 0), log_c + log_abs_z, -jnp.inf)
    log_fixed_pos = jnp.where(fixed > 0, jnp.log(jnp.where(fixed > 0, fixed, 1.0)), -jnp.inf)
    log_fixed_neg = jnp.where(fixed < 0, jnp.log(jnp.where(fixed < 0, -fixed, 1.0)), -jnp.inf)
    log_pos = jax.nn.logsumexp(jnp.concatenate([positive, log_fixed_pos[:, None]], 1), axis=1)
    log_neg = jax.nn.logsumexp(jnp.concatenate([negative, log_fixed_neg[:, None]], 1), axis=1)
    return log_pos, log_neg


def neutral_potentials(problem: Problem, g, bracket: float = 2000.0, iterations: int = 120):
    """Potential u_b (k_BT/e) at which each phase's bulk is neutral, and whether one exists.

    Bisection on the log charge balance (robust over any number of decades), then one Newton
    step so that derivatives follow the implicit function theorem exactly.
    """
    phases = np.arange(problem.ln_density.shape[0])

    def balance(u):
        log_pos, log_neg = _neutrality_log_balance(problem, phases, u, g)
        return log_pos - log_neg

    lo = jnp.full(phases.shape, -bracket)
    hi = jnp.full(phases.shape, bracket)
    f_lo, f_hi = balance(lo), balance(hi)
    exists = jnp.isfinite(f_lo) & jnp.isfinite(f_hi) & (f_lo > 0) & (f_hi < 0)

    def bisect(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        positive = balance(mid) > 0
        return jnp.where(positive, mid, lo), jnp.where(positive, hi, mid)

    lo, hi = jax.lax.fori_loop(0, iterations, bisect, (lo, hi))
    u0 = jax.lax.stop_gradient(jnp.where(exists, 0.5 * (lo + hi), 0.0))
    f, df = jax.jvp(balance, (u0,), (jnp.ones_like(u0),))
    safe_df = jnp.where(exists & (df != 0), df, -1.0)
    u_b = jnp.where(exists, u0 - jnp.where(exists, f, 0.0) / safe_df, 0.0)
    return u_b, exists


def _segregation_guess(problem: Problem, u, g, steps: int = 3):
    """Move the guess towards local neutrality where a segregation energy acts: a few Newton
    steps per node on the log charge balance of its box, which is nearly linear in u when one
    species of each sign dominates. Without it Newton spends many damped steps building up a
    core potential of many k_BT."""

    def balance(u_):
        terms = []
        for phases, volume, shift in half_boxes(problem):
            log_pos, log_neg = _neutrality_log_balance(problem, phases, u_, g, shift)
            log_volume = jnp.log(jnp.maximum(volume, 1e-300))
            terms.append((log_pos + log_volume, log_neg + log_volume))
        log_pos = jnp.logaddexp(terms[0][0], terms[1][0])
        log_neg = jnp.logaddexp(terms[0][1], terms[1][1])
        return log_pos - log_neg

    active = jnp.any(problem.shift_left != 0, axis=1) | jnp.any(problem.shift_right != 0, axis=1)
    for _ in range(steps):
        f, slope = jax.jvp(balance, (u,), (jnp.ones_like(u),))
        step = jnp.where(jnp.isfinite(f) & (slope < 0), -f / jnp.where(slope < 0, slope, -1.0), 0.0)
        u = jnp.where(active, u + step, u)
    return u


def closed_potentials(problem: Problem, u, g):
    """Electrochemical potentials of the closed species that reproduce their amounts for a
    fixed potential profile u: amount = A e^g − B e^{−g} solved in closed form."""
    layout = problem.layout
    free = layout.free
    if free.size == 0:
        return jnp.zeros((0,))
    g = g.at[free].set(0.0)
    log_terms = {+1: [], -1: []}
    for phases, volume, shift in half_boxes(problem):
        c = concentrations(problem, phases, u, g, shift)
        weights = amount_weights(problem, phases)[:, :, free]
        for sgn in (+1, -1):
            w = jnp.where(weights == sgn, 1.0, 0.0)
            per_node = jnp.einsum("ns,nsk->nk", c, w) * volume[:, None]
            log_terms[sgn].append(jnp.log(jnp.maximum(per_node, 1e-300)))
    log_a = jax.nn.logsumexp(jnp.concatenate(log_terms[+1], 0), axis=0)
    log_b = jax.nn.logsumexp(jnp.concatenate(log_terms[-1], 0), axis=0)
    target = problem.amount[free]
    a = jnp.exp(log_a)
    b = jnp.exp(log_b)
    only_a = b <= 1e-290
    only_b = a <= 1e-290
    ln_t_a = jnp.log(jnp.maximum(target, 1e-300)) - log_a
    ln_t_b = log_b - jnp.log(jnp.maximum(-target, 1e-300))
    ln_t_ab = 0.5 * (log_b - log_a) + jnp.arcsinh(target * jnp.exp(-0.5 * (log_a + log_b)) / 2)
    return jnp.where(only_a, ln_t_a, jnp.where(only_b, ln_t_b, ln_t_ab))


def initial_guess(problem: Problem, rounds: int = 3):
    """Piecewise-neutral potential (each phase at its bulk neutral potential, electrodes at
    their values) and, for closed systems, potentials that match the amounts."""
    layout = problem.layout
    g = problem.g_fixed
    n = problem.n_nodes
    u = jnp.zeros(n)
    g_free = jnp.zeros((layout.free.size,))
    for _ in range(rounds if layout.free.size else 1):
        if layout.free.size:
            g_free = closed_potentials(problem, u, g)
            g = full_potentials(problem, g_free)
        u_b, exists = neutral_potentials(problem, g)
        left = jnp.where(problem.left_phase >= 0, u_b[np.maximum(problem.left_phase, 0)], 0.0)
        right = jnp.where(problem.right_phase >= 0, u_b[np.maximum(problem.right_phase, 0)], 0.0)
        left_ok = (problem.left_phase >= 0) & exists[np.maximum(problem.left_phase, 0)]
        right_ok = (problem.right_phase >= 0) & exists[np.maximum(problem.right_phase, 0)]
        weight = left_ok.astype(float) + right_ok.astype(float)
        u = jnp.where(
            weight > 0,
            (jnp.where(left_ok, left, 0.0) + jnp.where(right_ok, right, 0.0))
            / jnp.maximum(weight, 1.0),
            0.0,
        )
        if problem.segregated:
            u = _segregation_guess(problem, u, g)
        if layout.gauge_fixed:
            u = u - u[0]
    for side, node in ((0, 0), (1, n - 1)):
        if problem.dirichlet[side]:
            u = u.at[node].set(problem.u_boundary[side])
    if layout.free.size:
        g_free = closed_potentials(problem, u, g)
    return jnp.concatenate([u, g_free])


def bulk_concentrations(problem: Problem, g):
    """Scaled concentrations `[n_phases, n_species]` in each phase's neutral bulk, the neutral
    potentials (k_BT/e) and whether each phase has one."""
    u_b, exists = neutral_potentials(problem, g)
    phases = np.arange(problem.ln_density.shape[0])
    return concentrations(problem, phases, u_b, g), u_b, exists


def screening_strengths(problem: Problem, g, u_b):
    """Per phase, $-\\partial\\hat\\rho/\\partial u = \\sum_i z_i^2\\hat c_i/f_{T,i}$ of the mobile
    carriers at potentials `u_b` (k_BT/e): the linear response that sets the screening length
    (thermodynamic factors and cross terms of the activity models included, by autodiff)."""
    phases = np.arange(problem.ln_density.shape[0])
    z = problem.layout.z.astype(float)
    rho = lambda u: jnp.exp(log_concentrations(problem, phases, u, g)) @ z  # noqa: E731
    _, d_rho = jax.jvp(rho, (u_b,), (jnp.ones_like(u_b),))
    return -d_rho


def debye_lengths(problem: Problem, g, u_b):
    """Scaled linearised screening (Debye) length per phase from the exact small-signal
    response, $\\lambda = \\sqrt{\\varepsilon_r/(-\\partial\\hat\\rho/\\partial u)}$. When each
    species' activity depends on its own concentration only this is
    $\\sqrt{\\varepsilon k_BT / (e^2 \\sum_i z_i^2 c_i/f_{T,i})}$ (VALIDATION.md item 8); models
    that couple species (site exclusion) add their cross terms. inf without mobile charge."""
    strength = screening_strengths(problem, g, u_b)
    safe = jnp.where(strength > 0, strength, 1.0)
    return jnp.where(strength > 0, jnp.sqrt(problem.eps_r / safe), jnp.inf)
