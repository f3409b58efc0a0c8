"""The Poisson–Nernst–Planck system as a differential–algebraic equation $M\\dot y = f(t, y)$.

Per node j the unknowns are $[u_j, y_{1j}, ..., y_{Kj}(, \\theta_j)]$ (see `transport.py`). The
rows are

- **continuity** of each channel on the box of node j (differential, M = 1):
  $V_js_k\\dot y_{kj} = J_{k,j-1/2} - J_{k,j+1/2} + \\sum_r \\nu_{kr} r_r V + $ interfacial
  transfer + what a boundary passes in (its `inflow`);
- **Gauss's law** on the box (algebraic, M = 0; `gauss.py`, shared with the equilibrium);
- at a boundary that holds the potential: $u = u_\\text{held}(t)$; at one that holds the
  carriers, every channel at its held value; when the drive floats the right contact
  (galvanostatic), the displacement-current balance of the last cell,
  $\\dot F_{N-3/2} = I(t) - \\sum_i z_iJ_{i,N-3/2}$ (differential);
- with heat transport, the energy balance of each box (`heat.py`), or the temperature a
  thermal boundary holds.

PNP is a DAE of index 1: φ has no time derivative and follows the charge instantaneously. The
boundaries, thermal boundaries, rate laws and the drive contribute through their own methods;
nothing here switches on their type.

**References:** D. L. Scharfetter and H. K. Gummel, *IEEE Trans. Electron Devices* 16, 64
(1969); S. Selberherr, *Analysis and Simulation of Semiconductor Devices*, Springer (1984),
ch. 6.
"""

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._misc import add_at, put
from .._model.boundaries import End
from .._model.kinetics import RateContext
from .._model.thermal import ThermalEnd
from .fluxes import edge_fluxes
from .gauss import displacement, gauss_rows
from .heat import heat_rates
from .problem import end_fields, equilibrium_eta
from .transport import TransportSystem
from .transport_state import (
    LocalState,
    amounts,
    electrochemical_potential,
    local_kT,
    local_state,
    log_weight,
)


def flux_args(state: LocalState):
    """The arguments of `edge_fluxes` from a `LocalState`."""
    return state.u, state.c_left, state.c_right, state.g_left, state.g_right, state.theta


def contact_potential(system: TransportSystem, t):
    """φ (k_BT/e) held at the left and right contacts at scaled time t (the drive's bias added
    on the right)."""
    bias = system.drive.bias(t * system.time_scale) / system.problem.kT
    return system.u_contact.at[1].add(bias)


def contact_rate(system: TransportSystem, t):
    """d/dt of the held contact potentials (k_BT/e per scaled time)."""
    slope = system.drive.bias_rate(t * system.time_scale)
    return jnp.zeros(2).at[1].set(slope * system.time_scale / system.problem.kT)


def applied_current(system: TransportSystem, t):
    """The galvanostatic current (scaled) at scaled time t."""
    return system.drive.current(t * system.time_scale) / system.current_scale


def box_charge(system: TransportSystem, yc):
    """Scaled charge of every box `[n]`: mobile channels plus the fixed charge (frozen
    carriers, background, σ) the equilibrium shares."""
    problem = system.problem
    z = problem.layout.z[system.channels.species]
    return problem.fixed_charge + amounts(system, yc) @ z


def _reaction_rates(system: TransportSystem, state: LocalState):
    """Net production `([n, S], [n, S])` (scaled, per volume and time) of the bulk rate laws in
    the left and right half boxes of every node, at the local temperature (their equilibrium
    constants included): one evaluation of each kind of law over all half boxes."""
    problem = system.problem
    n = problem.n_nodes
    phases = problem.topology.half_phase
    kinds = problem.layout.kinds
    theta = state.theta
    kT = local_kT(system, theta)
    arrays = dict(
        concentration=jnp.concatenate([state.c_left, state.c_right]),
        log_gamma=jnp.concatenate([state.g_left, state.g_right]),
        log_weight=jnp.concatenate([log_weight(system, 0, theta), log_weight(system, 1, theta)]),
        kT=jnp.concatenate([kT, kT]),
        time=system.time_scale,
        density=problem.c_ref,
        electron=kinds.index("electron") if "electron" in kinds else -1,
        hole=kinds.index("hole") if "hole" in kinds else -1,
    )
    out = jnp.zeros((2 * n, problem.layout.n_species))
    for group in system.rate_groups:
        rows = np.isin(phases, group.phases)
        if not rows.any():
            continue
        law = group.at_rows(phases)
        r = law.rate(RateContext(stoichiometry=group.stoichiometry, **arrays))
        r = jnp.where(rows, r, 0.0)
        nu = np.zeros(problem.layout.n_species)
        for s, value in group.stoichiometry:
            nu[s] += value
        out = out + r[:, None] * nu
    return out[:n], out[n:]


class Injection(NamedTuple):
    """What a boundary passes into its end box: `flow` `[S]`, and the electrochemical
    potentials (k_BT₀) of the particles at their source and in the half box they enter."""

    flow: Array
    source_eta: Array
    destination_eta: Array


def transport_end(system: TransportSystem, state: LocalState, side: int) -> End:
    """The `End` a boundary sees of the current state (see `pnpjax._model.boundaries.End`)."""
    problem = system.problem
    n = problem.n_nodes
    node, inner = (0, 1) if side == 0 else (n - 1, 0)
    p = problem.end_phase(side)
    c = (state.c_right if side == 0 else state.c_left)[node]
    g = (state.g_right if side == 0 else state.g_left)[node]
    eta = electrochemical_potential(
        system,
        inner,
        c[None],
        g[None],
        state.u[node][None],
        None if state.theta is None else state.theta[node][None],
        node,
    )[0]
    x, u = problem.x, state.u
    if side == 0:
        field = -(u[1] - u[0]) / (x[1] - x[0])
    else:
        field = -(u[-1] - u[-2]) / (x[-1] - x[-2])
    return End(
        **end_fields(problem, side),
        theta=jnp.ones(()) if state.theta is None else state.theta[node],
        u=u[node],
        field=field,
        u_bulk=jnp.zeros(()),
        u_contact=system.u_contact[side],
        concentration=c,
        eta=eta,
        equilibrium_eta=equilibrium_eta(problem, side, system.g),
        bulk_concentration=system.bulk_concentration[p],
        time=system.time_scale,
    )


def _transfer_flow(system: TransportSystem, state: LocalState, tr):
    """The Butler–Volmer flow (scaled) of an interface transfer, left channel → right."""
    j = tr.node
    theta = None if state.theta is None else state.theta[j][None]
    eta = [
        electrochemical_potential(system, side, c[j][None], g[j][None], state.u[j][None], theta, j)[
            0, tr.species
        ]
        for side, c, g in ((0, state.c_left, state.g_left), (1, state.c_right, state.g_right))
    ]
    delta = eta[0] - eta[1]
    if state.theta is not None:
        delta = delta / state.theta[j]
    return tr.law.flow(delta, tr.rate_scale)


def channel_rates(system: TransportSystem, t, state: LocalState):
    """`(d n̂/dt [n, K], particle flows [n−1, S], interface transfer flows, injections)` of
    every channel (scaled); injections are `(side, node, Injection)` of the boundaries."""
    problem = system.problem
    ch = system.channels
    flows = edge_fluxes(system, *flux_args(state))
    zero = jnp.zeros((1, ch.count))
    per_channel = jnp.where(ch.edges.T, flows[:, ch.species], 0.0)
    rate = jnp.concatenate([zero, per_channel]) - jnp.concatenate([per_channel, zero])
    if system.rate_groups:
        productions = _reaction_rates(system, state)
        for production, volume, owner in zip(
            productions, (problem.vol_left, problem.vol_right), (ch.left, ch.right)
        ):
            rate = rate + jnp.where(owner.T, production[:, ch.species] * volume[:, None], 0.0)
    transfer = []
    for tr in system.transfers:
        flow = _transfer_flow(system, state, tr)
        rate = add_at(add_at(rate, (tr.node, tr.source), -flow), (tr.node, tr.target), flow)
        transfer.append(flow)
    injections = []
    for side, boundary in enumerate(system.boundaries):
        if not boundary.exchanged(problem.layout.species):
            continue
        end = transport_end(system, state, side)
        inflow = boundary.inflow(end)
        node = problem.end_node(side)
        # each species' inflow into its channel at the end node (a static placement)
        placement = np.zeros((problem.layout.n_species, ch.count))
        for s in range(problem.layout.n_species):
            k = system.channel_of(node, s)
            if k >= 0:
                placement[s, k] = 1.0
        rate = add_at(rate, node, inflow.flow @ placement)
        injections.append((side, node, Injection(inflow.flow, inflow.source_eta, end.eta)))
    transfer = jnp.stack(transfer) if transfer else jnp.zeros((0,))
    return rate, flows, transfer, tuple(injections)


def rows(system: TransportSystem, t, y):
    """$f(t, y)$ `[n·B]`: time derivatives of the differential rows (normalised amounts, θ; the
    galvanostatic displacement of the last cell) and residuals of the algebraic ones."""
    problem = system.problem
    ch = system.channels
    state = local_state(system, y)
    u, yc = state.u, state.yc
    rate, flows, _, injections = channel_rates(system, t, state)
    present = (ch.left | ch.right).T
    # a slot whose channel is absent from the node is the algebraic row y = 0
    species_rows = jnp.where(present, rate / (system.scale * system.volume[:, None]), yc)
    poisson = gauss_rows(problem.conductance, u, box_charge(system, yc))
    target = contact_potential(system, t)
    n = problem.n_nodes
    for side, node in ((0, 0), (1, n - 1)):
        boundary = system.boundaries[side]
        if not boundary.fixes_potential:
            continue
        if side == 1 and system.drive.floats_right:
            poisson = poisson.at[node].set(
                applied_current(system, t) - flows[-1] @ problem.layout.z
            )
        else:
            poisson = put(poisson, node, u[node] - target[side])
        if boundary.holds_carriers:
            # a channel absent from the end phase keeps its row y = 0
            held = yc[node] - system.y_contact[side]
            species_rows = put(species_rows, node, jnp.where(present[node], held, yc[node]))
    columns = [poisson[:, None], species_rows]
    if system.heat is not None:
        heat = system.heat
        theta_rows = heat_rates(system, state, rate, flows, injections)
        for side, node in ((0, 0), (1, n - 1)):
            boundary = heat.ends[side]
            if boundary.holds_temperature:
                end = ThermalEnd(
                    state.theta[node], problem.node_area[node], heat.t0, heat.flux_scale, heat.ramp
                )
                theta_rows = put(theta_rows, node, state.theta[node] - boundary.held_theta(end))
        columns.append(theta_rows[:, None])
    if system.gauge:
        columns[0] = put(columns[0], (0, 0), u[0] - system.u_gauge)
    return jnp.concatenate(columns, axis=1).reshape(-1)


def mass_blocks(system: TransportSystem):
    """The mass matrix M as `(lower, diag)` blocks `[n, B, B]` (upper blocks are zero): 1 on the
    continuity rows of present channels where no boundary holds them and on the temperature
    rows of ends not held at a temperature; the galvanostatic row's
    $C(\\dot u_{N-2} - \\dot u_{N-1})$; 0 elsewhere."""
    problem = system.problem
    n, b = problem.n_nodes, system.block
    mask = differential_mask(system).reshape(n, b)
    diag = np.zeros((n, b, b))
    diag[:, np.arange(1, b), np.arange(1, b)] = mask[:, 1:]
    diag = jnp.asarray(diag)
    lower = jnp.zeros((n, b, b))
    if system.drive.floats_right:
        c_last = problem.conductance[-1]
        lower = lower.at[n - 1, 0, 0].set(c_last)
        diag = diag.at[n - 1, 0, 0].set(-c_last)
    return lower, diag


def differential_mask(system: TransportSystem) -> np.ndarray:
    """Rows with a time derivative (`[n·B]` bool): continuity of present channels where no
    boundary holds the carriers, the temperature where no thermal boundary holds it, and the
    galvanostatic row."""
    problem = system.problem
    ch = system.channels
    n, b = problem.n_nodes, system.block
    k = ch.count
    mask = np.zeros((n, b), bool)
    mask[:, 1 : 1 + k] = (ch.left | ch.right).T
    for side, node in ((0, 0), (1, n - 1)):
        if system.boundaries[side].holds_carriers:
            mask[node, 1 : 1 + k] = False
    if system.heat is not None:
        mask[:, system.theta_slot] = True
        for side, node in ((0, 0), (1, n - 1)):
            if system.heat.ends[side].holds_temperature:
                mask[node, system.theta_slot] = False
    if system.drive.floats_right:
        mask[n - 1, 0] = True
    return mask.reshape(-1)


def terminal_current(system: TransportSystem, t, y, flows=None):
    """Total current (scaled) through the device, uniform in x: with both ends at fixed
    potential $I = [\\sum_e (\\sum_i z_iJ_{ie})/C_e - \\tfrac{d}{dt}(u_N - u_0)]/\\sum_e C_e^{-1}$;
    the applied current when galvanostatic; 0 with an end that holds no potential."""
    problem = system.problem
    z = problem.layout.z
    if system.drive.floats_right:
        return applied_current(system, t)
    if not all(problem.dirichlet):
        return jnp.zeros(())
    if flows is None:
        state = local_state(system, y)
        flows = edge_fluxes(system, *flux_args(state))
    inverse = 1.0 / problem.conductance
    particle = flows @ z
    rate = contact_rate(system, t)
    return (inverse @ particle - (rate[1] - rate[0])) / inverse.sum()


__all__ = ["displacement"]
