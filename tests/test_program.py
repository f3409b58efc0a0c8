"""`pnpjax._program`: every solver's program runs with Python's cyclic garbage collector paused
(its first call traces and compiles faster) and leaves the collector as it found it."""

import gc
import pathlib

import jax.numpy as jnp
import pytest

from pnpjax._program import collector_paused, program

ROOT = pathlib.Path(__file__).parents[1] / "pnpjax"


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    (gc.enable if was else gc.disable)()


def test_collector_paused_while_tracing_and_resumed_after(collector_on):
    seen, traces = [], []

    @program
    def square(x):
        traces.append(1)
        seen.append(gc.isenabled())
        return x**2

    assert float(square(jnp.asarray(3.0))) == 9.0
    assert float(square(jnp.asarray(4.0))) == 16.0  # the compiled program, not a new trace
    assert seen == [False] and len(traces) == 1
    assert gc.isenabled()


def test_collector_left_off_when_the_caller_disabled_it(collector_on):
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_nested_programs_resume_only_at_the_outermost(collector_on):
    inner_seen, after_inner = [], []

    @program
    def inner(x):
        inner_seen.append(gc.isenabled())
        return 2 * x

    @program
    def outer(x):
        y = inner(x)
        after_inner.append(gc.isenabled())
        return y + 1

    assert float(outer(jnp.asarray(1.0))) == 3.0
    assert inner_seen == [False] and after_inner == [False]
    assert gc.isenabled()


def test_collector_resumed_when_the_trace_raises(collector_on):
    @program
    def fails(x):
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        fails(jnp.asarray(1.0))
    assert gc.isenabled()


def test_program_options_reach_the_jit(collector_on):
    @program(compiler_options={"xla_backend_optimization_level": 0})
    def add(x, y):
        return x + y

    assert float(add(jnp.asarray(1.0), jnp.asarray(2.0))) == 3.0
    assert add.lower(jnp.asarray(1.0), jnp.asarray(2.0)).compile() is not None

    @program(compiler_options={"not_an_xla_option": 1})
    def refused(x):
        return x + 1

    with pytest.raises(Exception, match="not_an_xla_option"):
        refused(jnp.asarray(1.0))
    assert gc.isenabled()


def test_solvers_compile_through_program():
    """One home for how a solver becomes a program: no other module jits with equinox."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if path.name != "_program.py" and "filter_jit" in path.read_text(encoding="utf-8")
    ]
    assert not offenders, offenders
