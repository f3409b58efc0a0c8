"""The energy balance of the transport rows: heat flows, partial enthalpies and dθ/dt.

With thermal boundaries every node carries θ = T/T₀; the energy flow through each cell is
$J_U = J_q' + \\sum_i\\tilde h_iJ_i$ (measurable heat flow plus the electrochemical enthalpy the
particles carry), and each box's energy balance gives its temperature. Joule, reaction and
Peltier heat follow without a term of their own (see `heat_rates`).

**Reference:** G. K. Wachutka, *IEEE Trans. Comput.-Aided Des.* 9, 1141 (1990)
(thermodynamic heat generation in device models); S. R. de Groot and P. Mazur,
*Non-Equilibrium Thermodynamics*, Dover (1984).
"""

import jax
import jax.numpy as jnp
import numpy as np

from .._model.thermal import ThermalEnd
from .fluxes import drift, driving_force, edge_present
from .transport import TransportSystem
from .transport_state import (
    LocalState,
    amounts,
    log_gammas,
    nonideal_interface_nodes,
    phase_rows,
    split_channels,
    split_share,
)


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


def enthalpies(system: TransportSystem, state: LocalState):
    """Electrochemical partial enthalpies $\\tilde h/k_BT_0$ `([n, S], [n, S])` of the left and
    right half boxes: $h^\\circ = \\mu^\\circ + T_0s^\\circ$, the segregation energy, the excess
    enthalpy of the activity models $-T^2k_B\\partial\\ln\\gamma/\\partial T$ at fixed c, and
    zeφ."""
    problem = system.problem
    out = []
    for side, shift in ((0, problem.shift_left), (1, problem.shift_right)):
        phases = phase_rows(system, side)
        out.append(problem.energy[phases] + system.heat.entropy[phases] + shift)
    if not problem.phases.statistics.ideal:
        theta = state.theta
        _, slopes = jax.jvp(
            lambda th: log_gammas(system, state.c_left, state.c_right, th),
            (theta,),
            (jnp.ones_like(theta),),
        )
        out = [h - theta[:, None] ** 2 * slope for h, slope in zip(out, slopes)]
    electric = problem.layout.z * state.u[:, None]
    return out[0] + electric, out[1] + electric


def box_enthalpy_rates(system: TransportSystem, state: LocalState, rate, h_left, h_right):
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
            (problem.energy + system.heat.entropy)[phase_rows(system, side)][:, ch.species]
            + shift[:, ch.species]
            for side, shift in ((0, problem.shift_left), (1, problem.shift_right))
        )
        d_share = -share * (1.0 - share) * (a_r - a_l) / theta[:, None] ** 2
        terms = jnp.where(interface, amount * (h_l - h_r) * d_share, 0.0)
        latent = terms.sum(axis=1)
    for j in nonideal_interface_nodes(system):
        ks = np.array(split_channels(system, j))
        weight = amount[j, ks] * (h_l[j, ks] - h_r[j, ks])

        def share_at(n_k, theta_j, j=j, ks=ks):
            return split_share(system, j, n_k, state.c_left[j], state.c_right[j], theta_j)

        primals = (amount[j, ks], theta[j])
        _, by_amount = jax.jvp(share_at, primals, (d_amount[j, ks], jnp.zeros(())))
        _, by_theta = jax.jvp(share_at, primals, (jnp.zeros(len(ks)), jnp.ones(())))
        stored = stored.at[j].add(weight @ by_amount)
        latent = latent.at[j].set(weight @ by_theta)
    return stored, latent


def heat_rates(system: TransportSystem, state: LocalState, rate, flows, injections):
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
    h_left, h_right = enthalpies(system, state)
    h_edge = 0.5 * (h_right[:-1] + h_left[1:])
    energy = heat_flows(system, state, flows) + (h_edge * flows).sum(axis=1)
    zero = jnp.zeros(1)
    inflow = jnp.concatenate([zero, energy]) - jnp.concatenate([energy, zero])
    for side, node in ((0, 0), (1, n - 1)):
        end = ThermalEnd(theta[node], problem.node_area[node], heat.t0, heat.flux_scale, heat.ramp)
        inflow = inflow.at[node].add(heat.ends[side].heat_inflow(end))
    for side, node, injected in injections:
        # particles from a contact's reservoir bring their electrochemical potential and the
        # same T·s̄ as in the half box they enter: the heat released is the overpotential's,
        # η·flow
        h_in = h_right[node] if side == 0 else h_left[node]
        eta_in = injected.destination_eta
        inflow = inflow.at[node].add(jnp.sum((injected.source_eta - eta_in + h_in) * injected.flow))
    stored, latent = box_enthalpy_rates(system, state, rate, h_left, h_right)
    capacity = heat.capacity[phase_rows(system, 0)] * problem.vol_left + (
        heat.capacity[phase_rows(system, 1)] * problem.vol_right
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
    drift_ = drift(system, u, g_left, g_right, theta)
    force = driving_force(system, a, b, drift_)
    if theta is None:
        return (flows * force).sum(axis=1)
    q = system.heat_of_transport[problem.edge_phase]
    inverse = 1.0 / theta[1:] - 1.0 / theta[:-1]
    present = edge_present(system)
    # the driving force without its Soret part: that part is the heat flow's
    chemical = jnp.where(present, force - q * inverse[:, None], 0.0)
    return (flows * chemical).sum(axis=1) + heat_flows(system, state, flows) * inverse
