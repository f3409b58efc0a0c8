"""Test-suite configuration: float64 and strict dtype promotion everywhere."""

import gc
import os
import tempfile

# Compile at LLVM's lowest optimisation level: the suite's time is mostly XLA compiling
# hundreds of distinct small programs, each run a few times (measured: 19 min 58 s → 17 min
# 16 s for the whole suite on 2 cores). The HLO, and so every algorithm, is unchanged; XLA's
# CPU backend keeps IEEE semantics at every level (no fast math). Benchmarks and users compile
# at the default level. Set before JAX creates its CPU client; the notebook kernels and the
# subprocesses of the tests inherit it.
_FAST_COMPILE = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_FAST_COMPILE}".strip()

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")

# One on-disk compilation cache per test session, shared by the xdist workers (they inherit the
# environment of the controller, which configures first): a program that another worker or an
# earlier module already compiled (the same solver on the same structure) is loaded instead of
# compiled again. Compilation dominates the suite's time.
if "PNPJAX_TEST_COMPILATION_CACHE" not in os.environ:
    os.environ["PNPJAX_TEST_COMPILATION_CACHE"] = tempfile.mkdtemp(prefix="pnpjax-jax-cache-")
jax.config.update("jax_compilation_cache_dir", os.environ["PNPJAX_TEST_COMPILATION_CACHE"])
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
# `pnpjax run` in a subprocess caches there too, not in the user's folder
os.environ.setdefault("PNPJAX_COMPILATION_CACHE", os.environ["PNPJAX_TEST_COMPILATION_CACHE"])

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
