"""XLA settings for pnpjax's programs on the CPU: faster compilation at the same run time.

pnpjax's first calls are dominated by XLA compiling the solvers' programs, which are many small
loops (Newton iterations, block LU scans, time steps) over modest arrays. Two CPU settings halve
that compile time (`benchmarks/bench_compile.py`) while run times stay within a few per cent,
in both directions (`benchmarks/README.md`, "Compile time"):

- `--xla_cpu_use_fusion_emitters=false`: the classic loop emitters instead of the newer
  MLIR fusion emitters, which spend longer per fusion;
- `--xla_backend_optimization_level=1`: LLVM's -O1 instead of -O2 for the generated code.

They are added to `XLA_FLAGS` when pnpjax is imported, and only then: when JAX has not yet
started its backend, when no accelerator plugin (CUDA, ROCm, TPU) is installed, and for each
flag only when `XLA_FLAGS` does not set it already. `PNPJAX_XLA_FLAGS=off` leaves `XLA_FLAGS`
alone. None of them changes numerical semantics: XLA's CPU backend keeps IEEE arithmetic at
every optimisation level (no fast math).

**Reference:** the XLA CPU flags in `xla/debug_options_flags.cc` (OpenXLA).
"""

import importlib.metadata
import os
import pkgutil

CPU_FLAGS = ("--xla_cpu_use_fusion_emitters=false", "--xla_backend_optimization_level=1")
"""The flags added on CPU-only installations (see the module docstring)."""
ENVIRONMENT = "PNPJAX_XLA_FLAGS"
_ACCELERATOR_PREFIXES = ("jax_cuda", "jax_rocm", "libtpu")


def _accelerator_installed() -> bool:
    """Whether a JAX accelerator plugin is installed (the flags then stay XLA's defaults)."""
    if any(ep.name for ep in importlib.metadata.entry_points(group="jax_plugins")):
        return True
    return any(m.name.startswith(_ACCELERATOR_PREFIXES) for m in pkgutil.iter_modules())


def _backend_started() -> bool:
    try:
        from jax._src import xla_bridge

        return bool(xla_bridge.backends_are_initialized())
    except (ImportError, AttributeError):  # a JAX without the query: assume it has started
        return True


def tune_cpu_compilation() -> tuple[str, ...]:
    """Add `CPU_FLAGS` to `XLA_FLAGS` where that is safe (see the module docstring); returns the
    flags added."""
    if os.environ.get(ENVIRONMENT, "").strip().lower() in ("off", "0", "false", "no"):
        return ()
    if _backend_started() or _accelerator_installed():
        return ()
    existing = os.environ.get("XLA_FLAGS", "")
    added = tuple(flag for flag in CPU_FLAGS if flag.split("=")[0] not in existing)
    if added:
        os.environ["XLA_FLAGS"] = " ".join([existing, *added]).strip()
    return added


SETUP_OPTIONS = {"xla_backend_optimization_level": 0, "xla_llvm_disable_expensive_passes": True}
"""Compiler options of programs that run once per call and cost microseconds (the scales an
automatic mesh is built from): the least compile time, at a run time that does not matter.
Passed per program (`program(compiler_options=SETUP_OPTIONS)`, `_program.py`); the solvers' own
programs keep the process-wide settings."""
