"""The state of the transport system at one instant: unknowns, half-box concentrations,
activity coefficients and electrochemical potentials (what every row needs).

Per node the unknowns are $[u, y_1, ..., y_K(, \\theta)]$ (see `transport.py`). A channel
owning both half boxes of an interface node splits its amount between them in local
equilibrium (equal electrochemical potential): in closed form for ideal species, by a small
Newton solve on the node where activity models act. ln γ comes from the one statistics module
(`statistics.py`), evaluated on the half boxes of every node at once.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .phases import EXPONENT_CLIP
from .transport import TransportSystem

TINY = 1e-300


def split(system: TransportSystem, y):
    """`(u [n], y_channels [n, K])` from a flat state."""
    y = y.reshape(system.n_nodes, system.block)
    return y[:, 0], y[:, 1 : 1 + system.channels.count]


def temperature_ratio(system: TransportSystem, y):
    """θ = T/T_0 `[n]` from a flat state, or `None` for an isothermal system."""
    if system.heat is None:
        return None
    return y.reshape(system.n_nodes, system.block)[:, system.theta_slot]


def amounts(system: TransportSystem, yc):
    """Scaled amounts $\\hat n$ `[n, K]` of every channel in every box."""
    return yc * system.scale * system.volume[:, None]


def phase_rows(system: TransportSystem, side: int) -> np.ndarray:
    phases = system.problem.left_phase if side == 0 else system.problem.right_phase
    return np.maximum(phases, 0)


def log_weight(system: TransportSystem, side: int, theta=None):
    """ln(N e^{−μ°/kT − ΔG/kT}) `[n, S]` of each half box: the ideal concentration at η = zu.

    At θ = T/T_0 ≠ 1, $\\mu^\\circ(T)/k_BT = (\\mu^\\circ_0 + T_0s^\\circ)/k_BT - s^\\circ/k_B$
    and the segregation energy ΔG counts at the local k_BT."""
    phases = phase_rows(system, side)
    shift = system.problem.shift_left if side == 0 else system.problem.shift_right
    return weight(system, phases, shift, None if theta is None else theta[:, None])


def weight(system: TransportSystem, phases, shift, theta):
    """ln N − μ°(T)/kT − ΔG/kT of the half boxes of `phases` (θ broadcast against them)."""
    problem = system.problem
    if theta is None:
        return problem.ln_density[phases] - problem.energy[phases] - shift
    entropy = system.heat.entropy[phases]
    return problem.ln_density[phases] - (problem.energy[phases] + entropy + shift) / theta + entropy


def local_kT(system: TransportSystem, theta):
    """k_BT (eV) `[n]` of every node (the junction's where isothermal)."""
    kT = system.problem.kT
    return jnp.full((system.n_nodes,), kT) if theta is None else kT * theta


def log_gammas(system: TransportSystem, c_left, c_right, theta=None):
    """ln γ `([n, S], [n, S])` of the left and right half boxes at scaled concentrations
    (0 where ideal), at the local temperature: one evaluation of the statistics."""
    problem = system.problem
    table = problem.phases
    if table.statistics.ideal:
        return jnp.zeros_like(c_left), jnp.zeros_like(c_right)
    n = problem.n_nodes
    phases = np.maximum(problem.topology.half_phase, 0)
    c = jnp.maximum(jnp.concatenate([c_left, c_right]), TINY) * table.c_ref
    kT = table.kT if theta is None else table.kT * jnp.concatenate([theta, theta])
    out = table.statistics.log_gamma(phases, c, table.ln_density[phases], kT, jnp.log(table.c_ref))
    return out[:n], out[n:]


def nonideal_species(system: TransportSystem) -> np.ndarray:
    """`[n_phases, S]`: species covered by an activity model in each phase."""
    layout = system.problem.layout
    return system.problem.phases.statistics.covered(*layout.mobile.shape)


def half_box_concentrations(system: TransportSystem, yc, theta=None):
    """Scaled concentrations `(c_left, c_right)`, each `[n, S]`, of the two half boxes of
    every node. A channel owning both half boxes of an interface node splits its amount between
    them in local equilibrium (equal electrochemical potential), which for ideal species is
    $c^+/c^- = N^+e^{-\\mu^{\\circ+}/kT}/(N^-e^{-\\mu^{\\circ-}/kT})$ whatever φ (at the node's
    temperature θ = T/T_0 when heat is solved for)."""
    problem = system.problem
    ch = system.channels
    n_s = problem.layout.n_species
    amount = amounts(system, yc)
    v_l, v_r = problem.vol_left, problem.vol_right
    w_l, w_r = log_weight(system, 0, theta), log_weight(system, 1, theta)
    # every channel at once: a channel owns one or both half boxes of a node
    species = ch.species
    both = (ch.left & ch.right).T
    only_l = (ch.left & ~ch.right).T
    only_r = (ch.right & ~ch.left).T
    ratio = jnp.exp(jnp.clip(w_r[:, species] - w_l[:, species], -EXPONENT_CLIP, EXPONENT_CLIP))
    ratio = jnp.where(both, ratio, 1.0)
    v_l, v_r = v_l[:, None], v_r[:, None]
    denominator = jnp.where(both, v_l + ratio * v_r, jnp.where(only_l, v_l, v_r))
    c_minus = amount / jnp.where(denominator > 0, denominator, 1.0)
    cl = jnp.where(both | only_l, c_minus, 0.0)
    cr = jnp.where(both, ratio * c_minus, jnp.where(only_r, c_minus, 0.0))
    # channels of one species never share a half box: summing them places each
    owner = np.eye(n_s)[species]  # [K, S]
    c_left, c_right = cl @ owner, cr @ owner
    nodes = nonideal_interface_nodes(system)
    if nodes.size:
        c_left, c_right = _nonideal_split(system, amount, c_left, c_right, nodes, theta)
    return c_left, c_right


def nonideal_interface_nodes(system: TransportSystem) -> np.ndarray:
    """Interface nodes where a channel splits between two phases and an activity model acts on
    it in either: its split needs a local Newton solve."""
    problem = system.problem
    ch = system.channels
    covered = nonideal_species(system)
    interface = np.zeros(problem.n_nodes, bool)
    for k in range(ch.count):
        s = ch.species[k]
        split = ch.left[k] & ch.right[k] & (problem.left_phase != problem.right_phase)
        nonideal = covered[phase_rows(system, 0), s] | covered[phase_rows(system, 1), s]
        interface |= split & nonideal
    return np.nonzero(interface)[0]


def split_channels(system: TransportSystem, j: int) -> list[int]:
    ch = system.channels
    return [k for k in range(ch.count) if ch.left[k, j] and ch.right[k, j]]


def log_weight_at(system: TransportSystem, side: int, j: int, theta_j=None):
    """`log_weight` `[S]` of one half box of node j, at θ_j."""
    problem = system.problem
    p = int(max((problem.left_phase if side == 0 else problem.right_phase)[j], 0))
    shift = (problem.shift_left if side == 0 else problem.shift_right)[j]
    return weight(system, p, shift, theta_j)


def split_share(system: TransportSystem, j: int, n_k, c_left_j, c_right_j, theta_j=None):
    """Fractions `[len(ks)]` of the splitting channels' amounts `n_k` in the left half box of
    the interface node j, when activity models act: $\\ln(c^-\\gamma^-) - w^- =
    \\ln(c^+\\gamma^+) - w^+$ by Newton on logit s (unrolled, so that derivatives follow);
    the other species of the node keep the concentrations `c_left_j`, `c_right_j`."""
    problem = system.problem
    ch = system.channels
    v_l, v_r = problem.vol_left[j], problem.vol_right[j]
    sp = np.array([ch.species[k] for k in split_channels(system, j)])
    w_l = log_weight_at(system, 0, j, theta_j)[sp]
    w_r = log_weight_at(system, 1, j, theta_j)[sp]
    sub = _SubSystem(system, j, theta_j)

    def mismatch(logit):
        share = jax.nn.sigmoid(logit)
        cl = c_left_j.at[sp].set(n_k * share / v_l)
        cr = c_right_j.at[sp].set(n_k * (1 - share) / v_r)
        eta_l = jnp.log(jnp.maximum(cl[sp], TINY)) + sub.log_gamma(0, cl)[sp] - w_l
        eta_r = jnp.log(jnp.maximum(cr[sp], TINY)) + sub.log_gamma(1, cr)[sp] - w_r
        return eta_l - eta_r

    share0 = v_l / (v_l + v_r * jnp.exp(w_r - w_l))
    logit = jnp.log(share0) - jnp.log1p(-share0)

    def newton_step(_, logit):
        f, jac = mismatch(logit), jax.jacfwd(mismatch)(logit)
        return logit + jnp.clip(jnp.linalg.solve(jac, -f), -5.0, 5.0)

    # a fixed trip count keeps it reverse-differentiable (a scan), and compact to compile
    return jax.nn.sigmoid(jax.lax.fori_loop(0, 16, newton_step, logit))


def _nonideal_split(system: TransportSystem, amount, c_left, c_right, nodes, theta=None):
    """Local equilibrium across the interface `nodes` when activity models act
    (`split_share`)."""
    problem = system.problem
    ch = system.channels
    for j in nodes:
        ks = np.array(split_channels(system, j))
        sp = np.array([ch.species[k] for k in ks])
        n_k = amount[j, ks]
        theta_j = None if theta is None else theta[j]
        share = split_share(system, j, n_k, c_left[j], c_right[j], theta_j)
        c_left = c_left.at[j, sp].set(n_k * share / problem.vol_left[j])
        c_right = c_right.at[j, sp].set(n_k * (1 - share) / problem.vol_right[j])
    return c_left, c_right


class _SubSystem:
    """ln γ of the two half boxes of one node (at θ = T/T_0 when given)."""

    def __init__(self, system: TransportSystem, node: int, theta=None):
        self.system, self.node, self.theta = system, node, theta

    def log_gamma(self, side: int, c):
        problem = self.system.problem
        table = problem.phases
        phases = problem.left_phase if side == 0 else problem.right_phase
        p = np.array([max(int(phases[self.node]), 0)])
        kT = table.kT if self.theta is None else table.kT * self.theta
        c_si = jnp.maximum(c, TINY)[None] * table.c_ref
        return table.statistics.log_gamma(p, c_si, table.ln_density[p], kT, jnp.log(table.c_ref))[0]


class LocalState(NamedTuple):
    """Everything the rows need at one state: φ (k_BT_0/e) `u`, normalised amounts `yc`, the
    half-box concentrations and ln γ, and θ = T/T_0 (`None` when isothermal)."""

    u: Array
    yc: Array
    c_left: Array
    c_right: Array
    g_left: Array
    g_right: Array
    theta: Array | None


def local_state(system: TransportSystem, y) -> LocalState:
    """The `LocalState` of a flat state vector."""
    u, yc = split(system, y)
    theta = temperature_ratio(system, y)
    c_left, c_right = half_box_concentrations(system, yc, theta)
    g_left, g_right = log_gammas(system, c_left, c_right, theta)
    return LocalState(u, yc, c_left, c_right, g_left, g_right, theta)


def electrochemical_potential(
    system: TransportSystem, side: int, c, g, u, theta=None, node: int | None = None
):
    """Electrochemical potential $\\tilde\\mu/k_BT_0$ `[m, S]` in the half boxes on `side` of
    every node (m = n) or of one `node` (m = 1, the arrays holding that node only):
    θ[ln(cγ/N) + μ°(T)/kT + ΔG/kT] + zu, which is ln(cγ/N) + μ°/kT + ΔG/kT + zu at T_0."""
    z = system.problem.layout.z
    if node is None:
        weight_ = log_weight(system, side, theta)
    else:
        weight_ = log_weight_at(system, side, node, None if theta is None else theta[0])[None]
    chemical = jnp.log(jnp.maximum(c, TINY)) + g - weight_
    if theta is not None:
        chemical = theta[:, None] * chemical
    return chemical + z * u[:, None]
