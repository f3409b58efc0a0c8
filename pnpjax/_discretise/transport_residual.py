"""The Poisson–Nernst–Planck system as a differential–algebraic equation $M\\dot y = f(t, y)$.

Per node j the unknowns are $[u_j, y_{1j}, ..., y_{Kj}]$ (see `system.py`). The rows are

- **continuity** of each channel on the box of node j (differential, M = 1):
  $V_js_k\\dot y_{kj} = J_{k,j-1/2} - J_{k,j+1/2} + \\sum_r \\nu_{kr} r_r V + $ interfacial
  and electrode transfer;
- **Gauss's law** on the box (algebraic, M = 0): $F_{j+1/2} - F_{j-1/2} = Q_j$ with
  $F = \\varepsilon_rA(u_j - u_{j+1})/h$ and Q the box charge (mobile, fixed and surface);
- at a contact that fixes φ: $u = u_\\text{contact}(t)$; at an ohmic contact also every channel at
  its bulk value; at a galvanostatic right contact the displacement-current balance of the last
  cell, $\\dot F_{N-3/2} = I(t) - \\sum_i z_iJ_{i,N-3/2}$ (differential).

PNP is a DAE of index 1: φ has no time derivative and follows the charge instantaneously. The
fluxes are Scharfetter–Gummel fluxes generalised to non-ideal activity by carrying the excess
chemical potential $\\ln\\gamma$ (and segregation energies) in the drift term,

$$J = \\frac{D A}{h}\\left[B(\\Delta)c_j - B(-\\Delta)c_{j+1}\\right],\\qquad
  \\Delta = z(u_{j+1} - u_j) + \\ln\\gamma_{j+1} - \\ln\\gamma_j + \\Delta G_{j+1} - \\Delta G_j,$$

with the Bernoulli function $B(x) = x/(e^x - 1)$. The flux vanishes exactly at equilibrium, for
any potential drop per cell.

**References:** D. L. Scharfetter and H. K. Gummel, *IEEE Trans. Electron Devices* 16, 64
(1969); M. Bessemoulin-Chatard, *Numer. Math.* 121, 637 (2012) (SG for nonlinear diffusion);
S. Selberherr, *Analysis and Simulation of Semiconductor Devices*, Springer (1984), ch. 6.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._model.kinetics import MassAction, Radiative, ShockleyReadHall
from .._model.thermal import CONVECTIVE, FIXED_TEMPERATURE, HEAT_FLUX
from .poisson import EXPONENT_CLIP
from .transport import INSULATING, OHMIC, TransportSystem

TINY = 1e-300


def bernoulli(x):
    """$B(x) = x/(e^x - 1)$ without cancellation or NaN: a Taylor series near 0, `x/expm1(x)`
    elsewhere (B(x) → −x for x → −∞, x e^{−x} → 0 for x → +∞). Safe for gradients."""
    small = jnp.abs(x) < 1e-3
    x_safe = jnp.where(small, 1.0, x)
    series = 1.0 - x / 2.0 + x**2 / 12.0 - x**4 / 720.0
    return jnp.where(small, series, x_safe / jnp.expm1(x_safe))


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


def _phase_rows(system: TransportSystem, side: int) -> np.ndarray:
    phases = system.problem.left_phase if side == 0 else system.problem.right_phase
    return np.maximum(phases, 0)


def _log_weight(system: TransportSystem, side: int, theta=None):
    """ln(N e^{−μ°/kT − ΔG/kT}) `[n, S]` of each half box: the ideal concentration at η = zu.

    At θ = T/T_0 ≠ 1, $\\mu^\\circ(T)/k_BT = (\\mu^\\circ_0 + T_0s^\\circ)/k_BT - s^\\circ/k_B$
    and the segregation energy ΔG counts at the local k_BT."""
    phases = _phase_rows(system, side)
    shift = system.problem.shift_left if side == 0 else system.problem.shift_right
    return _weight(system, phases, shift, None if theta is None else theta[:, None])


def _weight(system: TransportSystem, phases, shift, theta):
    """ln N − μ°(T)/kT − ΔG/kT of the half boxes of `phases` (θ broadcast against them)."""
    problem = system.problem
    if theta is None:
        return problem.ln_density[phases] - problem.energy[phases] - shift
    entropy = system.heat.entropy[phases]
    return problem.ln_density[phases] - (problem.energy[phases] + entropy + shift) / theta + entropy


def _local_kT(system: TransportSystem, theta):
    """k_BT (eV) `[n]` of every node (the junction's where isothermal)."""
    kT = system.problem.kT
    return jnp.full((system.n_nodes,), kT) if theta is None else kT * theta


def log_gamma(system: TransportSystem, side: int, c, theta=None):
    """ln γ `[n, S]` of the half boxes on `side` at scaled concentrations `c` (0 if ideal), at the
    local temperature."""
    problem = system.problem
    layout = problem.layout
    phases = _phase_rows(system, side)
    out = jnp.zeros_like(c)
    ln_c_ref = jnp.log(problem.c_ref)
    for p, models in enumerate(problem.activities):
        rows = phases == p
        if not models or not rows.any():
            continue
        for model in models:
            cols = np.array([layout.species.index(name) for name in model.species])
            c_si = jnp.maximum(c[:, cols], TINY) * problem.c_ref
            ln_n = problem.ln_density[p, cols] + ln_c_ref
            if theta is None:
                sub = jax.vmap(
                    lambda ci, ln_n=ln_n, model=model: model.log_gamma(ci, ln_n, problem.kT)
                )(c_si)
            else:
                sub = jax.vmap(
                    lambda ci, kT, ln_n=ln_n, model=model: model.log_gamma(ci, ln_n, kT)
                )(c_si, _local_kT(system, theta))
            out = out.at[:, cols].set(jnp.where(rows[:, None], sub, out[:, cols]))
    return out


def _nonideal_species(system: TransportSystem) -> np.ndarray:
    """`[n_phases, S]`: species covered by an activity model in each phase."""
    layout = system.problem.layout
    covered = np.zeros(layout.mobile.shape, bool)
    for p, models in enumerate(system.problem.activities):
        for model in models:
            for name in model.species:
                covered[p, layout.species.index(name)] = True
    return covered


def half_box_concentrations(system: TransportSystem, yc, theta=None):
    """Scaled concentrations `(c_left, c_right)`, each `[n, S]`, of the two half boxes of
    every node. A channel owning both half boxes of an interface node splits its amount between
    them in local equilibrium (equal electrochemical potential), which for ideal species is
    $c^+/c^- = N^+e^{-\\mu^{\\circ+}/kT}/(N^-e^{-\\mu^{\\circ-}/kT})$ whatever φ (at the node's
    temperature θ = T/T_0 when heat is solved for)."""
    problem = system.problem
    ch = system.channels
    n, n_s = problem.n_nodes, problem.layout.n_species
    amount = amounts(system, yc)
    v_l, v_r = problem.vol_left, problem.vol_right
    w_l, w_r = _log_weight(system, 0, theta), _log_weight(system, 1, theta)
    c_left = jnp.zeros((n, n_s))
    c_right = jnp.zeros((n, n_s))
    split_nodes = []
    for k in range(ch.count):
        s = ch.species[k]
        both = ch.left[k] & ch.right[k]
        only_l = ch.left[k] & ~ch.right[k]
        only_r = ch.right[k] & ~ch.left[k]
        ratio = jnp.exp(jnp.clip(w_r[:, s] - w_l[:, s], -EXPONENT_CLIP, EXPONENT_CLIP))
        ratio = jnp.where(both, ratio, 1.0)
        denominator = jnp.where(both, v_l + ratio * v_r, jnp.where(only_l, v_l, v_r))
        c_minus = amount[:, k] / jnp.where(denominator > 0, denominator, 1.0)
        cl = jnp.where(both | only_l, c_minus, 0.0)
        cr = jnp.where(both, ratio * c_minus, jnp.where(only_r, c_minus, 0.0))
        c_left = c_left.at[:, s].add(cl)
        c_right = c_right.at[:, s].add(cr)
        split_nodes.append(both & (problem.left_phase != problem.right_phase))
    nodes = _nonideal_interface_nodes(system)
    if nodes.size:
        c_left, c_right = _nonideal_split(system, amount, c_left, c_right, nodes, theta)
    return c_left, c_right


def _nonideal_interface_nodes(system: TransportSystem) -> np.ndarray:
    """Interface nodes where a channel splits between two phases and an activity model acts on
    it in either: its split needs a local Newton solve."""
    problem = system.problem
    ch = system.channels
    covered = _nonideal_species(system)
    interface = np.zeros(problem.n_nodes, bool)
    for k in range(ch.count):
        s = ch.species[k]
        split = ch.left[k] & ch.right[k] & (problem.left_phase != problem.right_phase)
        nonideal = covered[_phase_rows(system, 0), s] | covered[_phase_rows(system, 1), s]
        interface |= split & nonideal
    return np.nonzero(interface)[0]


def _split_channels(system: TransportSystem, j: int) -> list[int]:
    ch = system.channels
    return [k for k in range(ch.count) if ch.left[k, j] and ch.right[k, j]]


def _log_weight_at(system: TransportSystem, side: int, j: int, theta_j=None):
    """`_log_weight` `[S]` of one half box of node j, at θ_j."""
    problem = system.problem
    p = int(max((problem.left_phase if side == 0 else problem.right_phase)[j], 0))
    shift = (problem.shift_left if side == 0 else problem.shift_right)[j]
    return _weight(system, p, shift, theta_j)


def _split_share(system: TransportSystem, j: int, n_k, c_left_j, c_right_j, theta_j=None):
    """Fractions `[len(ks)]` of the splitting channels' amounts `n_k` in the left half box of
    the interface node j, when activity models act: $\\ln(c^-\\gamma^-) - w^- =
    \\ln(c^+\\gamma^+) - w^+$ by Newton on logit s (unrolled, so that derivatives follow);
    the other species of the node keep the concentrations `c_left_j`, `c_right_j`."""
    problem = system.problem
    ch = system.channels
    v_l, v_r = problem.vol_left[j], problem.vol_right[j]
    sp = np.array([ch.species[k] for k in _split_channels(system, j)])
    w_l = _log_weight_at(system, 0, j, theta_j)[sp]
    w_r = _log_weight_at(system, 1, j, theta_j)[sp]
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
    (`_split_share`)."""
    problem = system.problem
    ch = system.channels
    for j in nodes:
        ks = np.array(_split_channels(system, j))
        sp = np.array([ch.species[k] for k in ks])
        n_k = amount[j, ks]
        theta_j = None if theta is None else theta[j]
        share = _split_share(system, j, n_k, c_left[j], c_right[j], theta_j)
        c_left = c_left.at[j, sp].set(n_k * share / problem.vol_left[j])
        c_right = c_right.at[j, sp].set(n_k * (1 - share) / problem.vol_right[j])
    return c_left, c_right


class _SubSystem:
    """ln γ of the two half boxes of one node (at θ = T/T_0 when given)."""

    def __init__(self, system: TransportSystem, node: int, theta=None):
        self.system, self.node, self.theta = system, node, theta

    def log_gamma(self, side: int, c):
        problem = self.system.problem
        layout = problem.layout
        phases = problem.left_phase if side == 0 else problem.right_phase
        p = int(max(phases[self.node], 0))
        out = jnp.zeros_like(c)
        for model in problem.activities[p]:
            cols = np.array([layout.species.index(name) for name in model.species])
            ln_n = problem.ln_density[p, cols] + jnp.log(problem.c_ref)
            c_si = jnp.maximum(c[cols], TINY) * problem.c_ref
            kT = problem.kT if self.theta is None else problem.kT * self.theta
            out = out.at[cols].set(model.log_gamma(c_si, ln_n, kT))
        return out


def edge_fluxes(system: TransportSystem, u, c_left, c_right, g_left, g_right, theta=None):
    """Scharfetter–Gummel particle flows `[n−1, S]` through every cell (scaled, +x positive),
    area included.

    With a temperature field (θ = T/T_0) the drift term of the flux
    $J = -D[\\nabla c + c\\nabla\\ln\\gamma + cze\\nabla\\phi/k_BT + cQ^*\\nabla T/k_BT^2]$
    enters the exponential fitting as
    $\\Delta = (z\\Delta u + \\Delta\\hat G)/\\theta_e + \\Delta\\ln\\gamma
    + \\hat Q^*(1/\\theta_j - 1/\\theta_{j+1})$ (θ_e the cell's mean; the Soret term is the exact
    integral of $\\nabla T/T^2$), and $D(T_e) = De^{-\\hat E_a(1/\\theta_e - 1)}$. Cross
    diffusivities of an `OnsagerMatrix` add $-D_{km}\\sqrt{c_kc_m}$ times species m's driving
    force, with $\\sqrt{c_kc_m}$ the geometric mean over the cell.
    """
    problem = system.problem
    a, b = c_right[:-1], c_left[1:]
    drift = _drift(system, u, g_left, g_right, theta)
    d = system.diffusivity[problem.edge_phase]
    if theta is not None:
        d = d * _arrhenius(system, theta)
    flows = d * system.face[:, None] * (bernoulli(drift) * a - bernoulli(-drift) * b)
    if system.cross is not None:
        flows = flows + _cross_flows(system, a, b, drift, theta)
    return flows


def _drift(system: TransportSystem, u, g_left, g_right, theta):
    """Δ `[n−1, S]` of the Scharfetter–Gummel flux (see `edge_fluxes`)."""
    problem = system.problem
    z = problem.layout.z
    electric = z * (u[1:] - u[:-1])[:, None] + (problem.shift_left[1:] - problem.shift_right[:-1])
    excess = g_left[1:] - g_right[:-1]
    if theta is None:
        return electric + excess
    q = system.heat_of_transport[problem.edge_phase]
    return (
        electric / _edge_theta(theta)[:, None]
        + excess
        + q * (1.0 / theta[:-1] - 1.0 / theta[1:])[:, None]
    )


def _edge_theta(theta):
    return 0.5 * (theta[1:] + theta[:-1])


def _arrhenius(system: TransportSystem, theta):
    """D(T)/D(T_0) `[n−1, S]` of every cell."""
    activation = system.heat.activation[system.problem.edge_phase]
    return jnp.exp(-activation * (1.0 / _edge_theta(theta) - 1.0)[:, None])


def _edge_present(system: TransportSystem) -> np.ndarray:
    """`[n−1, S]`: species mobile in each cell's phase."""
    return system.problem.layout.mobile[system.problem.edge_phase]


def _driving_force(system: TransportSystem, a, b, drift):
    """$-(\\Delta\\ln c + \\Delta)$ `[n−1, S]`: each species' scaled driving force over a cell,
    $-\\Delta_T\\tilde\\mu/k_BT_e$ plus its Soret part (0 where the species is absent)."""
    present = _edge_present(system)
    log_a = jnp.log(jnp.maximum(a, TINY))
    log_b = jnp.log(jnp.maximum(b, TINY))
    return jnp.where(present, -(log_b - log_a + drift), 0.0)


def _cross_flows(system: TransportSystem, a, b, drift, theta):
    """Flows `[n−1, S]` driven by the other species' forces (`OnsagerMatrix` cross terms)."""
    problem = system.problem
    present = _edge_present(system)
    force = _driving_force(system, a, b, drift)
    log_c = 0.5 * (
        jnp.log(jnp.maximum(jnp.where(present, a, 1.0), TINY))
        + jnp.log(jnp.maximum(jnp.where(present, b, 1.0), TINY))
    )
    weight = jnp.where(present, jnp.exp(0.5 * log_c), 0.0)  # √c per species, geometric mean
    cross = system.cross[problem.edge_phase]
    if theta is not None:
        half = jnp.sqrt(_arrhenius(system, theta))
        cross = cross * half[:, :, None] * half[:, None, :]
    return system.face[:, None] * weight * jnp.einsum("ekm,em->ek", cross, weight * force)


def _reaction_rates(system: TransportSystem, side: int, c, g, theta=None):
    """Net production `[n, S]` (scaled, per volume and time) of the bulk rate laws in the half
    boxes on `side`, their equilibrium constants at the local temperature."""
    problem = system.problem
    layout = problem.layout
    phases = _phase_rows(system, side)
    exists = (problem.left_phase if side == 0 else problem.right_phase) >= 0
    weight = _log_weight(system, side, theta)
    t0, c_ref = system.time_scale, problem.c_ref
    out = jnp.zeros_like(c)
    for p, rate, stoich in system.reactions:
        rows = (phases == p) & exists
        if not rows.any():
            continue
        activity = jnp.maximum(c, 0.0) * jnp.exp(g)
        if isinstance(rate, MassAction):
            n_reactants = sum(-nu for _, nu in stoich if nu < 0)
            forward = jnp.ones(c.shape[0])
            backward = jnp.ones(c.shape[0])
            log_k = jnp.zeros(c.shape[0])
            for s, nu in stoich:
                log_k = log_k + nu * weight[:, s]
                if nu < 0:
                    forward = forward * activity[:, s] ** (-nu)
                else:
                    backward = backward * activity[:, s] ** nu
            k_f = rate.rate_constant * t0 * c_ref ** (n_reactants - 1)
            r = k_f * (
                forward - backward * jnp.exp(-jnp.clip(log_k, -EXPONENT_CLIP, EXPONENT_CLIP))
            )
        else:
            e = layout.kinds.index("electron")
            h = layout.kinds.index("hole")
            n_c, p_c = c[:, e], c[:, h]
            ni2 = jnp.exp(weight[:, e] + weight[:, h])
            excess = n_c * p_c - ni2 * jnp.exp(-(g[:, e] + g[:, h]))
            if isinstance(rate, ShockleyReadHall):
                ni = jnp.sqrt(ni2)
                level = rate.trap_level / _local_kT(system, theta)
                n1, p1 = ni * jnp.exp(level), ni * jnp.exp(-level)
                tau_n, tau_p = rate.tau_n / t0, rate.tau_p / t0
                r = excess / (tau_p * (n_c + n1) + tau_n * (p_c + p1))
            elif isinstance(rate, Radiative):
                r = rate.coefficient * c_ref * t0 * excess
            else:  # pragma: no cover - resolve_species accepts only these
                raise TypeError(f"unknown rate law {type(rate)}")
        for s, nu in stoich:
            out = out.at[:, s].add(jnp.where(rows, nu * r, 0.0))
    return out


def _eta(system: TransportSystem, side: int, c, g, u, theta=None):
    """Electrochemical potential $\\tilde\\mu/k_BT_0$ `[n, S]`:
    θ[ln(cγ/N) + μ°(T)/kT + ΔG/kT] + zu, which is ln(cγ/N) + μ°/kT + ΔG/kT + zu at T_0."""
    z = system.problem.layout.z
    chemical = jnp.log(jnp.maximum(c, TINY)) + g - _log_weight(system, side, theta)
    if theta is not None:
        chemical = theta[:, None] * chemical
    return chemical + z * u[:, None]


def contact_potential(system: TransportSystem, t):
    """φ (k_BT/e) imposed at the left and right contacts at scaled time t."""
    u = system.u_contact
    if system.drive.kind == "voltage":
        bias = system.drive.waveform(t * system.time_scale) / system.problem.kT
        u = u.at[1].add(bias)
    return u


def contact_rate(system: TransportSystem, t):
    """d/dt of the contact potentials (k_BT/e per scaled time)."""
    rate = jnp.zeros(2)
    if system.drive.kind == "voltage":
        slope = system.drive.waveform.derivative(t * system.time_scale)
        rate = rate.at[1].set(slope * system.time_scale / system.problem.kT)
    return rate


def applied_current(system: TransportSystem, t):
    """Galvanostatic current (scaled) at scaled time t."""
    return system.drive.waveform(t * system.time_scale) / system.current_scale


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
    g_left = log_gamma(system, 0, c_left, theta)
    g_right = log_gamma(system, 1, c_right, theta)
    return LocalState(u, yc, c_left, c_right, g_left, g_right, theta)


def _transfer_potentials(system: TransportSystem, state: LocalState, tr):
    """`(μ̃_source, μ̃_target)/k_BT_0` of one Butler–Volmer transfer at its node."""
    problem = system.problem
    j = tr.node
    u, theta = state.u, state.theta
    if tr.source >= 0:
        eta_src = _eta(system, 0, state.c_left, state.g_left, u, theta)[j, tr.species]
        eta_dst = _eta(system, 1, state.c_right, state.g_right, u, theta)[j, tr.species]
        return eta_src, eta_dst
    side = 1 if tr.side == 0 else 0
    c, g = (state.c_right, state.g_right) if side == 1 else (state.c_left, state.g_left)
    eta_dst = _eta(system, side, c, g, u, theta)[j, tr.species]
    # the reservoir sits at the electrode's potential, which is φ at the contact node
    # (imposed, or floating under a galvanostatic drive)
    z = problem.layout.z[tr.species]
    if tr.explicit_reservoir:
        eta_src = tr.reservoir + z * u[j]
    else:
        eta_src = tr.reservoir + z * (u[j] - system.u_contact[tr.side])
    return eta_src, eta_dst


def _transfer_flow(system: TransportSystem, state: LocalState, tr):
    """The Butler–Volmer flow (scaled) of one transfer, source → target."""
    eta_src, eta_dst = _transfer_potentials(system, state, tr)
    delta = eta_src - eta_dst
    if state.theta is not None:
        delta = delta / state.theta[tr.node]
    delta = jnp.clip(delta, -EXPONENT_CLIP, EXPONENT_CLIP)
    alpha = tr.symmetry
    return (
        tr.rate
        * system.problem.node_area[tr.node]
        * (jnp.exp(alpha * delta) - jnp.exp(-(1 - alpha) * delta))
    )


def channel_rates(system: TransportSystem, t, state: LocalState):
    """`(d n̂/dt [n, K], particle flows [n−1, S], transfer flows)` of every channel (scaled)."""
    problem = system.problem
    ch = system.channels
    theta = state.theta
    flows = edge_fluxes(system, *_flux_args(state))
    zero = jnp.zeros((1, ch.count))
    per_channel = jnp.where(ch.edges.T, flows[:, ch.species], 0.0)
    rate = jnp.concatenate([zero, per_channel]) - jnp.concatenate([per_channel, zero])
    if system.reactions:
        for side, c, g, volume, owner in (
            (0, state.c_left, state.g_left, problem.vol_left, ch.left),
            (1, state.c_right, state.g_right, problem.vol_right, ch.right),
        ):
            production = _reaction_rates(system, side, c, g, theta)
            rate = rate + jnp.where(owner.T, production[:, ch.species] * volume[:, None], 0.0)
    transfer = []
    for tr in system.transfers:
        j = tr.node
        flow = _transfer_flow(system, state, tr)
        if tr.source >= 0:
            rate = rate.at[j, tr.source].add(-flow)
        rate = rate.at[j, tr.target].add(flow)
        transfer.append(flow)
    return rate, flows, jnp.stack(transfer) if transfer else jnp.zeros((0,))


def box_charge(system: TransportSystem, yc):
    """Scaled charge of every box `[n]`: mobile channels, frozen carriers, background, σ."""
    problem = system.problem
    z = problem.layout.z
    charge = problem.sigma_node + amounts(system, yc) @ z[system.channels.species]
    for phases, volume in (
        (problem.left_phase, problem.vol_left),
        (problem.right_phase, problem.vol_right),
    ):
        p = np.maximum(phases, 0)
        fixed = problem.frozen[p] @ z + problem.background[p]
        charge = charge + volume * jnp.where(phases >= 0, fixed, 0.0)
    return charge


def displacement(system: TransportSystem, u):
    """$F = \\varepsilon_rA(u_j - u_{j+1})/h$ `[n−1]`, the scaled displacement flow of each cell."""
    return system.problem.conductance * (u[:-1] - u[1:])


def heat_flows(system: TransportSystem, state: LocalState, flows):
    """The measurable heat flow $J_q' = -\\kappa\\nabla T + \\sum_iQ_i^*J_i$ `[n−1]` through every
    cell (scaled energy per scaled time, area included): conduction plus the heat the particle
    flows carry (Dufour; the only part when isothermal)."""
    problem = system.problem
    carried = (system.heat_of_transport[problem.edge_phase] * flows).sum(axis=1)
    if state.theta is None:
        return carried
    theta = state.theta
    conduction = (
        system.heat.conductivity[problem.edge_phase] * system.face * (theta[:-1] - theta[1:])
    )
    return conduction + carried


def enthalpies(system: TransportSystem, side: int, state: LocalState):
    """Electrochemical partial enthalpies $\\tilde h/k_BT_0$ `[n, S]` of the half boxes on
    `side`: $h^\\circ = \\mu^\\circ + T_0s^\\circ$, the segregation energy, the excess enthalpy of
    the activity models $-T^2k_B\\partial\\ln\\gamma/\\partial T$ at fixed c, and zeφ."""
    problem = system.problem
    phases = _phase_rows(system, side)
    shift = problem.shift_left if side == 0 else problem.shift_right
    c = state.c_left if side == 0 else state.c_right
    h = problem.energy[phases] + system.heat.entropy[phases] + shift
    if any(problem.activities):
        theta = state.theta
        _, slope = jax.jvp(
            lambda th: log_gamma(system, side, c, th), (theta,), (jnp.ones_like(theta),)
        )
        h = h - theta[:, None] ** 2 * slope
    return h + problem.layout.z * state.u[:, None]


def _box_enthalpy_rates(system: TransportSystem, state: LocalState, rate, h_left, h_right):
    """`(Σ h̃ dn/dt at fixed T, Σ h̃ ∂n/∂θ)` `[n]` over the species in each box's half boxes.

    A channel's amount n splits between the half boxes, a share s in the left one. Where both
    half boxes are one phase they have the same h̃; at an interface the share follows local
    equilibrium, for ideal species $s = V^-/(V^- + rV^+)$ with $\\ln r = w^+ - w^-$, so
    $\\partial s/\\partial\\theta = -s(1 - s)(a^+ - a^-)/\\theta^2$
    ($a = (\\mu^\\circ_0 + T_0s^\\circ + \\Delta G)/k_BT_0$): heat the interface absorbs as T
    shifts the split. Where activity models
    act on the split its derivatives come from the local Newton solve (forward mode)."""
    problem = system.problem
    ch = system.channels
    theta = state.theta
    present = (ch.left | ch.right).T
    amount = amounts(system, state.yc)
    d_amount = jnp.where(present, rate, 0.0)
    h_l, h_r = h_left[:, ch.species], h_right[:, ch.species]
    only_left = (ch.left & ~ch.right).T
    both = (ch.left & ch.right).T
    c_l = state.c_left[:, ch.species] * problem.vol_left[:, None]
    share = jnp.where(only_left, 1.0, 0.0)
    share = jnp.where(both, c_l / jnp.where(amount > 0, amount, 1.0), share)
    stored = (d_amount * (share * h_l + (1.0 - share) * h_r)).sum(axis=1)
    interface = both & (problem.left_phase != problem.right_phase)[:, None]
    latent = jnp.zeros(problem.n_nodes)
    if interface.any():
        a_l, a_r = (
            (problem.energy + system.heat.entropy)[_phase_rows(system, side)][:, ch.species]
            + shift[:, ch.species]
            for side, shift in ((0, problem.shift_left), (1, problem.shift_right))
        )
        d_share = -share * (1.0 - share) * (a_r - a_l) / theta[:, None] ** 2
        terms = jnp.where(interface, amount * (h_l - h_r) * d_share, 0.0)
        latent = terms.sum(axis=1)
    for j in _nonideal_interface_nodes(system):
        ks = np.array(_split_channels(system, j))
        weight = amount[j, ks] * (h_l[j, ks] - h_r[j, ks])

        def share_at(n_k, theta_j, j=j, ks=ks):
            return _split_share(system, j, n_k, state.c_left[j], state.c_right[j], theta_j)

        primals = (amount[j, ks], theta[j])
        _, by_amount = jax.jvp(share_at, primals, (d_amount[j, ks], jnp.zeros(())))
        _, by_theta = jax.jvp(share_at, primals, (jnp.zeros(len(ks)), jnp.ones(())))
        stored = stored.at[j].add(weight @ by_amount)
        latent = latent.at[j].set(weight @ by_theta)
    return stored, latent


def heat_rates(system: TransportSystem, state: LocalState, rate, flows, transfer):
    """dθ/dt `[n]` from the energy balance of every box.

    With the energy flow $J_U = J_q' + \\sum_i\\tilde h_iJ_i$ through each cell ($\\tilde h$ the
    mean of the cell's two half boxes) the box's energy changes as
    $\\dot E_j = J_{U,j-1/2} - J_{U,j+1/2} + P_j$ (P: boundary heat and the energy that
    electrode transfers bring), while $\\dot E_j = C_j\\dot T_j + \\sum\\tilde h\\dot n$ over the
    species in its half boxes (the electrostatic energy enters through zeφ in $\\tilde h$:
    $\\dot W = \\sum_j\\phi_j\\dot Q_j$ for Poisson's equation). Solving for $\\dot T$ gives Joule
    heat, reaction heat, Peltier heat at interfaces and electrodes, Thomson and Dufour terms
    without a term of their own; the total energy of an adiabatic closed system is conserved.
    An interface node's half-box split moves with T: its heat enters the box's heat capacity.

    **Reference:** G. K. Wachutka, *IEEE Trans. Comput.-Aided Des.* 9, 1141 (1990)
    (thermodynamic heat generation in device models).
    """
    problem = system.problem
    heat = system.heat
    theta = state.theta
    n = problem.n_nodes
    h_left = enthalpies(system, 0, state)
    h_right = enthalpies(system, 1, state)
    h_edge = 0.5 * (h_right[:-1] + h_left[1:])
    energy = heat_flows(system, state, flows) + (h_edge * flows).sum(axis=1)
    zero = jnp.zeros(1)
    inflow = jnp.concatenate([zero, energy]) - jnp.concatenate([energy, zero])
    for side, node in ((0, 0), (1, n - 1)):
        kind = heat.kinds[side]
        area = problem.node_area[node]
        if kind == HEAT_FLUX:
            inflow = inflow.at[node].add(heat.ramp * heat.value[side] * area)
        elif kind == CONVECTIVE:
            ambient = heat.boundary_theta(side)
            inflow = inflow.at[node].add(heat.coefficient[side] * area * (ambient - theta[node]))
    for tr, flow in zip(system.transfers, transfer):
        if tr.source >= 0:
            continue
        # the reservoir's particles bring their electrochemical potential and the same T·s̄ as
        # in the half box they enter: the heat released is the overpotential's, η·flow
        eta_src, eta_dst = _transfer_potentials(system, state, tr)
        side = 1 if tr.side == 0 else 0
        h_dst = (h_right if side == 1 else h_left)[tr.node, tr.species]
        inflow = inflow.at[tr.node].add((eta_src - eta_dst + h_dst) * flow)
    stored, latent = _box_enthalpy_rates(system, state, rate, h_left, h_right)
    capacity = heat.capacity[_phase_rows(system, 0)] * problem.vol_left + (
        heat.capacity[_phase_rows(system, 1)] * problem.vol_right
    )
    return (inflow - stored) / (capacity + latent)


def entropy_production(system: TransportSystem, state: LocalState, flows):
    """Entropy production `[n−1]` of every cell (units of k_B per scaled time):
    $\\sum_iJ_iX_i + J_q'X_q$ with the discrete forces $X_i = -\\Delta_T\\tilde\\mu_i/k_BT_e$ and
    $X_q = T_0\\Delta(1/T)$. Non-negative cell by cell for diagonal mobilities: the
    Scharfetter–Gummel flux has the sign of its driving force including the Soret part, and
    conduction runs down the temperature gradient."""
    u, _, c_left, c_right, g_left, g_right, theta = state
    a, b = c_right[:-1], c_left[1:]
    problem = system.problem
    drift = _drift(system, u, g_left, g_right, theta)
    force = _driving_force(system, a, b, drift)
    if theta is None:
        return (flows * force).sum(axis=1)
    q = system.heat_of_transport[problem.edge_phase]
    inverse = 1.0 / theta[1:] - 1.0 / theta[:-1]
    present = _edge_present(system)
    # the driving force without its Soret part: that part is the heat flow's
    chemical = jnp.where(present, force - q * inverse[:, None], 0.0)
    return (flows * chemical).sum(axis=1) + heat_flows(system, state, flows) * inverse


def rows(system: TransportSystem, t, y):
    """$f(t, y)$ `[n·B]`: time derivatives of the differential rows (normalised amounts, θ; the
    galvanostatic displacement of the last cell) and residuals of the algebraic ones."""
    problem = system.problem
    ch = system.channels
    state = local_state(system, y)
    u, yc = state.u, state.yc
    rate, flows, transfer = channel_rates(system, t, state)
    present = (ch.left | ch.right).T
    # a slot whose channel is absent from the node is the algebraic row y = 0
    species_rows = jnp.where(present, rate / (system.scale * system.volume[:, None]), yc)
    flux = displacement(system, u)
    zero = jnp.zeros((1,))
    poisson = jnp.concatenate([flux, zero]) - jnp.concatenate([zero, flux]) - box_charge(system, yc)
    target = contact_potential(system, t)
    n = problem.n_nodes
    for side, node in ((0, 0), (1, n - 1)):
        kind = system.contacts[side]
        if kind == INSULATING:
            continue
        if side == 1 and system.drive.kind == "current":
            z = problem.layout.z
            poisson = poisson.at[node].set(applied_current(system, t) - flows[-1] @ z)
        else:
            poisson = poisson.at[node].set(u[node] - target[side])
        if kind == OHMIC:
            # a channel absent from the end phase keeps its row y = 0
            fixed = yc[node] - system.y_contact[side]
            species_rows = species_rows.at[node].set(jnp.where(present[node], fixed, yc[node]))
    columns = [poisson[:, None], species_rows]
    if system.heat is not None:
        theta_rows = heat_rates(system, state, rate, flows, transfer)
        for side, node in ((0, 0), (1, n - 1)):
            if system.heat.kinds[side] == FIXED_TEMPERATURE:
                target_theta = system.heat.boundary_theta(side)
                theta_rows = theta_rows.at[node].set(state.theta[node] - target_theta)
        columns.append(theta_rows[:, None])
    if system.gauge:
        columns[0] = columns[0].at[0, 0].set(u[0] - system.u_gauge)
    return jnp.concatenate(columns, axis=1).reshape(-1)


def mass_blocks(system: TransportSystem):
    """The mass matrix M as `(lower, diag)` blocks `[n, B, B]` (upper blocks are zero): 1 on the
    continuity rows of present, non-contact channels and on the temperature rows of ends that
    are not held at a fixed temperature; the galvanostatic row's
    $C(\\dot u_{N-2} - \\dot u_{N-1})$; 0 elsewhere."""
    problem = system.problem
    n, b = problem.n_nodes, system.block
    mask = differential_mask(system).reshape(n, b)
    diag = np.zeros((n, b, b))
    diag[:, np.arange(1, b), np.arange(1, b)] = mask[:, 1:]
    diag = jnp.asarray(diag)
    lower = jnp.zeros((n, b, b))
    if system.drive.kind == "current":
        c_last = problem.conductance[-1]
        lower = lower.at[n - 1, 0, 0].set(c_last)
        diag = diag.at[n - 1, 0, 0].set(-c_last)
    return lower, diag


def differential_mask(system: TransportSystem) -> np.ndarray:
    """Rows with a time derivative (`[n·B]` bool): continuity of present channels away from
    ohmic contacts, the temperature away from fixed-temperature ends, and the galvanostatic
    row."""
    problem = system.problem
    ch = system.channels
    n, b = problem.n_nodes, system.block
    k = ch.count
    mask = np.zeros((n, b), bool)
    mask[:, 1 : 1 + k] = (ch.left | ch.right).T
    for side, node in ((0, 0), (1, n - 1)):
        if system.contacts[side] == OHMIC:
            mask[node, 1 : 1 + k] = False
    if system.heat is not None:
        mask[:, system.theta_slot] = True
        for side, node in ((0, 0), (1, n - 1)):
            if system.heat.kinds[side] == FIXED_TEMPERATURE:
                mask[node, system.theta_slot] = False
    if system.drive.kind == "current":
        mask[n - 1, 0] = True
    return mask.reshape(-1)


def terminal_current(system: TransportSystem, t, y, flows=None):
    """Total current (scaled) through the device, uniform in x: with both ends at fixed
    potential $I = [\\sum_e (\\sum_i z_iJ_{ie})/C_e - \\tfrac{d}{dt}(u_N - u_0)]/\\sum_e C_e^{-1}$;
    the applied current when galvanostatic; 0 with an insulating end."""
    problem = system.problem
    z = problem.layout.z
    if system.drive.kind == "current":
        return applied_current(system, t)
    if INSULATING in system.contacts:
        return jnp.zeros(())
    if flows is None:
        state = local_state(system, y)
        flows = edge_fluxes(system, *_flux_args(state))
    inverse = 1.0 / problem.conductance
    particle = flows @ z
    rate = contact_rate(system, t)
    return (inverse @ particle - (rate[1] - rate[0])) / inverse.sum()


def _flux_args(state: LocalState):
    return state.u, state.c_left, state.c_right, state.g_left, state.g_right, state.theta
