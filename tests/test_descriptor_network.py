"""The documented example examples/descriptor_network.py: a network trained through the solver."""

import importlib.util
import pathlib

import jax
import numpy as np

PATH = pathlib.Path(__file__).parents[1] / "examples" / "descriptor_network.py"


def test_network_trained_through_the_solver_learns():
    spec = importlib.util.spec_from_file_location("descriptor_network", PATH)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    # optax's step counters mix int32 and floats: standard promotion (the suite runs strict)
    with jax.numpy_dtype_promotion("standard"):
        result = example.train(steps=40, batch=8)
    assert np.all(np.isfinite(result.gradient_norms)) and np.all(result.gradient_norms > 0)
    assert np.all(np.isfinite(result.losses))
    # measured: 40 steps take the loss from 819 to 5.6 and the held-out Δμ° error 91 → 31 meV
    assert result.losses[-1] < 0.1 * result.losses[0]
    assert result.test_error_after < 0.7 * result.test_error_before
