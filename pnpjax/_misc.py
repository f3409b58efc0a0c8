"""Small array helpers shared across the package."""

import jax.numpy as jnp
import numpy as np


def put(array, index, value):
    """`array` with `value` written at the static position `index` (an int or a tuple of
    ints, one per leading axis it addresses): `array.at[index].set(value)` as a select with a
    constant mask, which XLA fuses with its neighbours where a scatter would be a kernel of
    its own (compile time)."""
    index = index if isinstance(index, tuple) else (index,)
    mask = np.zeros(array.shape[: len(index)], bool)
    mask[index] = True
    mask = mask.reshape(mask.shape + (1,) * (array.ndim - len(index)))
    return jnp.where(mask, value, array)


def add_at(array, index, value):
    """`array.at[index].add(value)` for a static `index`, as an addition of a masked term."""
    index = index if isinstance(index, tuple) else (index,)
    mask = np.zeros(array.shape[: len(index)], bool)
    mask[index] = True
    mask = mask.reshape(mask.shape + (1,) * (array.ndim - len(index)))
    return array + jnp.where(mask, value, 0.0)
