"""Face areas and control volumes of a 1D vertex-centred (box) discretisation.

Planar: area 1 (per unit cross-section). Cylindrical: 2πr (per unit length). Spherical: 4πr².
Control volumes are integrated exactly, so amounts are conserved to round-off in every geometry.
"""

import jax.numpy as jnp

_DIM = {"planar": 1, "cylindrical": 2, "spherical": 3}


def dimension(geometry: str) -> int:
    """Power of length in a volume of the geometry's measure (planar: per area → 1)."""
    return _DIM[geometry]


def area(r, geometry: str):
    """Face area at radius `r` (same length unit as `r`)."""
    if geometry == "planar":
        return jnp.ones_like(r)
    if geometry == "cylindrical":
        return 2 * jnp.pi * r
    return 4 * jnp.pi * r**2


def volume_between(a, b, geometry: str):
    """Volume of the shell between radii `a` < `b`."""
    if geometry == "planar":
        return b - a
    if geometry == "cylindrical":
        return jnp.pi * (b**2 - a**2)
    return 4 * jnp.pi / 3 * (b**3 - a**3)


def box_geometry(x, geometry: str):
    """Edge areas over lengths, and the two half control volumes of each node.

    **Returns:** `(area_over_length[n-1], vol_left[n], vol_right[n], node_area[n])` where
    `vol_left[j]` is the part of node j's box in the cell to its left (0 at the first node).
    """
    h = x[1:] - x[:-1]
    mid = 0.5 * (x[1:] + x[:-1])
    area_over_length = area(mid, geometry) / h
    right_half = volume_between(x[:-1], mid, geometry)
    left_half = volume_between(mid, x[1:], geometry)
    zero = jnp.zeros((1,), x.dtype)
    vol_right = jnp.concatenate([right_half, zero])
    vol_left = jnp.concatenate([zero, left_half])
    return area_over_length, vol_left, vol_right, area(x, geometry)
