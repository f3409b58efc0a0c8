"""Scharfetter–Gummel fluxes of the transport rows, with activities, segregation, heats of
transport and cross diffusivities.

The flux of each species through a cell is

$$J = \\frac{D A}{h}\\left[B(\\Delta)c_j - B(-\\Delta)c_{j+1}\\right],\\qquad
  \\Delta = z(u_{j+1} - u_j) + \\ln\\gamma_{j+1} - \\ln\\gamma_j + \\Delta G_{j+1} - \\Delta G_j,$$

with the Bernoulli function $B(x) = x/(e^x - 1)$: the excess chemical potential $\\ln\\gamma$ and
segregation energies ride with the drift, so the flux vanishes exactly at equilibrium for any
potential drop per cell.

**References:** D. L. Scharfetter and H. K. Gummel, *IEEE Trans. Electron Devices* 16, 64
(1969); M. Bessemoulin-Chatard, *Numer. Math.* 121, 637 (2012) (SG for nonlinear diffusion).
"""

import jax.numpy as jnp
import numpy as np

from .transport import TransportSystem
from .transport_state import TINY


def bernoulli(x):
    """$B(x) = x/(e^x - 1)$ without cancellation or NaN: a Taylor series near 0, `x/expm1(x)`
    elsewhere (B(x) → −x for x → −∞, x e^{−x} → 0 for x → +∞). Safe for gradients."""
    small = jnp.abs(x) < 1e-3
    x_safe = jnp.where(small, 1.0, x)
    series = 1.0 - x / 2.0 + x**2 / 12.0 - x**4 / 720.0
    return jnp.where(small, series, x_safe / jnp.expm1(x_safe))


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
    delta = drift(system, u, g_left, g_right, theta)
    d = system.diffusivity[problem.edge_phase]
    if theta is not None:
        d = d * arrhenius(system, theta)
    flows = d * system.face[:, None] * (bernoulli(delta) * a - bernoulli(-delta) * b)
    if system.cross is not None:
        flows = flows + cross_flows(system, a, b, delta, theta)
    return flows


def drift(system: TransportSystem, u, g_left, g_right, theta):
    """Δ `[n−1, S]` of the Scharfetter–Gummel flux (see `edge_fluxes`)."""
    problem = system.problem
    z = problem.layout.z
    electric = z * (u[1:] - u[:-1])[:, None] + (problem.shift_left[1:] - problem.shift_right[:-1])
    excess = g_left[1:] - g_right[:-1]
    if theta is None:
        return electric + excess
    q = system.heat_of_transport[problem.edge_phase]
    return (
        electric / edge_theta(theta)[:, None]
        + excess
        + q * (1.0 / theta[:-1] - 1.0 / theta[1:])[:, None]
    )


def edge_theta(theta):
    return 0.5 * (theta[1:] + theta[:-1])


def arrhenius(system: TransportSystem, theta):
    """D(T)/D(T_0) `[n−1, S]` of every cell."""
    activation = system.heat.activation[system.problem.edge_phase]
    return jnp.exp(-activation * (1.0 / edge_theta(theta) - 1.0)[:, None])


def edge_present(system: TransportSystem) -> np.ndarray:
    """`[n−1, S]`: species mobile in each cell's phase."""
    return system.problem.layout.mobile[system.problem.edge_phase]


def driving_force(system: TransportSystem, a, b, drift):
    """$-(\\Delta\\ln c + \\Delta)$ `[n−1, S]`: each species' scaled driving force over a cell,
    $-\\Delta_T\\tilde\\mu/k_BT_e$ plus its Soret part (0 where the species is absent)."""
    present = edge_present(system)
    log_a = jnp.log(jnp.maximum(a, TINY))
    log_b = jnp.log(jnp.maximum(b, TINY))
    return jnp.where(present, -(log_b - log_a + drift), 0.0)


def cross_flows(system: TransportSystem, a, b, drift, theta):
    """Flows `[n−1, S]` driven by the other species' forces (`OnsagerMatrix` cross terms)."""
    problem = system.problem
    present = edge_present(system)
    force = driving_force(system, a, b, drift)
    log_c = 0.5 * (
        jnp.log(jnp.maximum(jnp.where(present, a, 1.0), TINY))
        + jnp.log(jnp.maximum(jnp.where(present, b, 1.0), TINY))
    )
    weight = jnp.where(present, jnp.exp(0.5 * log_c), 0.0)  # √c per species, geometric mean
    cross = system.cross[problem.edge_phase]
    if theta is not None:
        half = jnp.sqrt(arrhenius(system, theta))
        cross = cross * half[:, :, None] * half[:, None, :]
    return system.face[:, None] * weight * jnp.einsum("ekm,em->ek", cross, weight * force)
