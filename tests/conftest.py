"""Test-suite configuration: float64 and strict dtype promotion everywhere."""

import gc

import jax
import pytest

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")

import matplotlib  # noqa: E402

matplotlib.use("Agg")


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    """Drop each module's compiled programs when it ends. Every XLA executable keeps memory
    maps; a worker that runs half the suite would otherwise pass the kernel's limit of 65530
    maps per process (measured: 33 000 after two modules) and crash inside the compiler."""
    yield
    jax.clear_caches()
    gc.collect()
