"""`program`: how a solver becomes one compiled program, and what its first call waits for.

Every solver entry point runs one program, `eqx.filter_jit` of its traced body: compiled on the
first call for a junction's structure and mesh size, reused after (and kept on disk by the
persistent cache, `enable_compilation_cache`). A first call is mostly JAX tracing the body into
a jaxpr and XLA compiling it, and tracing allocates hundreds of thousands of short-lived Python
objects, many in reference cycles (tracers and their traces). CPython's cyclic garbage
collector runs every 700 net allocations and rescans everything young each time: 130–350
collections in one first call, 0.1–0.5 s of it (5–12 %, `benchmarks/README.md`, "Compile
time"). `program` pauses the collector for the call; objects without cycles are freed by
reference counting as usual, and the cycles the trace left are collected by the collector's
next scheduled run after it resumes. A later call of the compiled program pays nothing but
two calls of `gc.disable`/`gc.enable`.

The collector is paused only if it was running, and resumed only by the call that paused it,
so nested programs (a solver called inside another's trace) and a caller who disabled it
themselves are left as they were. The switch is the process's: a program running in one
thread while another thread disables the collector turns it back on when it returns.

**Reference:** the `gc` module of the Python standard library (generational collection and its
thresholds); the JAX documentation, "Just-in-time compilation" (tracing and caching).
"""

import contextlib
import functools
import gc

import equinox as eqx


@contextlib.contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector for the `with` block, if it is running."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def program(fn=None, **jit_options):
    """`eqx.filter_jit(fn, **jit_options)` whose calls run with the garbage collector paused
    (see the module docstring). Use as `@program` or `@program(compiler_options=...)`."""
    if fn is None:
        return functools.partial(program, **jit_options)
    jitted = eqx.filter_jit(fn, **jit_options)

    @functools.wraps(fn)
    def call(*args, **kwargs):
        with collector_paused():
            return jitted(*args, **kwargs)

    call.lower = jitted.lower  # ahead-of-time lowering, as on any jitted function
    return call
