"""Shared type aliases and leaf helpers."""

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

Scalar = Float[Array, ""]
ScalarLike = float | Float[ArrayLike, ""]


def as_float(value) -> Array:
    """A float64 JAX array from a Python number, NumPy or JAX array (tracers pass through)."""
    return jnp.asarray(value, dtype=jnp.float64)


def traced(tree) -> bool:
    """True when any leaf of `tree` is a JAX tracer (inside jit, vmap or grad)."""
    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(tree))


def concrete(value, dtype=np.float64):
    """`value` as a NumPy array of `dtype` when it is concrete, `None` under a JAX trace."""
    if isinstance(value, jax.core.Tracer):
        return None
    try:
        return np.asarray(value, dtype=dtype)
    except (TypeError, jax.errors.ConcretizationTypeError):
        return None


def check(condition_fn, value, message: str):
    """Raise `ValueError(message)` when `value` is concrete and fails `condition_fn`."""
    arr = concrete(value)
    if arr is not None and not bool(np.all(condition_fn(arr))):
        raise ValueError(message)
