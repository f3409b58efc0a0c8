"""Gauss's law on the boxes of the mesh: the one implementation both discretisations use.

On the box of node j, $\\oint D\\cdot dA = Q_\\text{box}$ reads, non-dimensionally,

$$R_j = F_{j+1/2} - F_{j-1/2} - Q_j, \\qquad F_{j+1/2} = G_{j+1/2}(u_j - u_{j+1}),$$

with the edge conductances $G = \\varepsilon_rA/h$ and $F$ the displacement flow through each
cell. An interface is a node: φ is continuous there and its surface charge σ_f is part of the
box charge, so the displacement jumps by σ_f. The Jacobian of $R$ in u is tridiagonal; a box
charge that depends on $u_j$ only (equilibrium) adds to its diagonal. A boundary that holds the
potential replaces its end's row by $u - u_\\text{held}$.

**Reference:** S. Selberherr, *Analysis and Simulation of Semiconductor Devices*, Springer
(1984), ch. 6 (box discretisation).
"""

import jax.numpy as jnp

from .._misc import put


def displacement(conductance, u):
    """$F = G(u_j - u_{j+1})$ `[n−1]`, the scaled displacement flow through each cell (+x)."""
    return conductance * (u[:-1] - u[1:])


def gauss_rows(conductance, u, charge):
    """$R_j = F_{j+1/2} - F_{j-1/2} - Q_j$ `[n]` for box charges `charge` `[n]`."""
    flux = displacement(conductance, u)
    zero = jnp.zeros((1,), flux.dtype)
    return jnp.concatenate([flux, zero]) - jnp.concatenate([zero, flux]) - charge


def gauss_bands(conductance):
    """`(lower, diag, upper)` `[n]` of $\\partial R/\\partial u$ for a fixed charge (LAPACK
    convention: `lower[0]` and `upper[-1]` unused)."""
    zero = jnp.zeros((1,), conductance.dtype)
    right = jnp.concatenate([conductance, zero])
    left = jnp.concatenate([zero, conductance])
    return -left, right + left, -right


def hold_potentials(rows, u, held, holds: tuple[bool, bool]):
    """`rows` with the row of each end that holds its potential replaced by $u - u_\\text{held}$
    (`held` `[2]`, k_BT/e)."""
    for side, node in ((0, 0), (1, -1)):
        if holds[side]:
            rows = put(rows, node % rows.shape[0], u[node] - held[side])
    return rows
