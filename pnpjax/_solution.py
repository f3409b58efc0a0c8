"""The one result enumeration of every pnpjax solver.

`RESULTS` extends diffrax's enumeration (itself optimistix's and lineax's), so a transient
reports diffrax's reasons (step limit, minimum step size), a Newton solve optimistix's (step
limit, divergence, non-finite iterate) and a linear solve lineax's, all in one type with a
readable message. pnpjax adds the reasons only it can detect: a Newton iteration whose steps
converged to a point that is not a root, outputs that are not finite, an initial state without
a consistent potential, a continuation stage that failed.

Every solution carries `result` (a `RESULTS` item), `converged` (`result == successful`) and
`message`; every solver takes `throw=`: `True` raises at run time with the message when the
result is not `successful` (an `equinox.EquinoxRuntimeError`), `False` returns the solution for
inspection. The check runs on the host after the solver's compiled program when the solver is
called directly, so that program holds no host callback and JAX's persistent compilation cache
can keep it (JAX does not store programs with callbacks); inside a caller's `jit`, `vmap` or
`grad` it is an `equinox.error_if` in the caller's program.

```python
solution = pj.solve_equilibrium(junction, throw=False)
if solution.result != pj.RESULTS.successful:
    print(solution.message)
```

**Reference:** the enumerations of optimistix (`optimistix/_solution.py`) and diffrax
(`diffrax/_solution.py`), which this one extends.
"""

import functools
import warnings

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Int

with warnings.catch_warnings():
    # three of optimistix's and diffrax's messages are restated for pnpjax's solvers (equinox
    # warns when a subclass rewords an item)
    warnings.simplefilter("ignore")

    class RESULTS(diffrax.RESULTS):  # pyright: ignore[reportGeneralTypeIssues]
        nonlinear_max_steps_reached = (
            "Newton did not converge within max_steps. Raise the step limit or the continuation "
            "steps (solver=Newton(max_steps=..., continuation_steps=...)), or check the inputs "
            "(potentials many eV apart, concentrations beyond float range)."
        )
        nonlinear_divergence = (
            "Newton's iteration diverged (its steps stopped shrinking): the state is far from a "
            "solution (check the inputs and the drive; raise the continuation steps)."
        )
        max_steps_reached = (
            "The integration reached its step limit max_steps before the last save time. Raise "
            "it or loosen rtol (stepping=TimeStepping(max_steps=..., rtol=...)), or check the "
            "drive (a voltage jump of many volts at once is hard; give the Step a rise_time)."
        )
        residual_too_large = (
            "Newton's steps converged, but the residual of the discrete equations stays above the "
            "solver's residual_tol: the iteration stalled at a point that is not a solution. Check "
            "the inputs (potentials many eV apart, concentrations beyond float range)."
        )
        nonfinite_output = (
            "The solve finished, but some of its outputs are not finite (NaN or inf): the inputs "
            "lie outside what the model can represent (energies of tens of eV, densities of 0)."
        )
        inconsistent_initial_state = (
            "The initial state has no consistent potential: Poisson's equation and the contact "
            "conditions cannot be met with the given concentrations at t = 0 (a voltage step of "
            "many volts at once, or concentrations far from any neutral state). Give the drive a "
            "rise time, or start from the equilibrium."
        )
        continuation_failed = (
            "A continuation stage did not converge: the drive or the boundary values change too "
            "much between two stages. Raise the continuation steps or the Newton step limit, or "
            "check the bias (many volts across a blocking contact) and the rates."
        )


def worst(first: RESULTS, second: RESULTS) -> RESULTS:
    """The first failure of the two: `successful` only if both are."""
    return RESULTS.where(first == RESULTS.successful, second, first)


def check_outputs(result: RESULTS, *outputs) -> RESULTS:
    """`result`, or `nonfinite_output` when it is `successful` but an output is not finite: a
    solve whose outputs are NaN is never reported as a success."""
    finite = jnp.array(True)
    for leaf in outputs:
        finite = finite & jnp.all(jnp.isfinite(leaf))
    return RESULTS.where((result == RESULTS.successful) & ~finite, RESULTS.nonfinite_output, result)


@functools.cache
def _failure_texts() -> tuple[str, ...]:
    """The error text of every result code: the code, its name and reason, and what to do."""
    names = {int(np.asarray(item._value)): key for key, item in RESULTS._name_to_item.items()}
    return tuple(
        f"pnpjax: the solve failed (result {index}, RESULTS.{names.get(index, '?')}): {text} "
        "Pass throw=False to inspect the returned solution (result, message, residual, "
        "iterations)."
        for index, text in enumerate(RESULTS._index_to_message)
    )


def raise_if_failed(token, result: RESULTS, throw: bool):
    """With `throw`, raise when `result` is not `successful`, with its code, name and reason;
    `token` comes back unchanged. Call it on a solver program's outputs, outside that program:
    a concrete result is checked here, on the host (the program then has no host callback and
    stays cacheable on disk); a traced one (the solver inside the caller's `jit`, `vmap` or
    `grad`) becomes an `equinox.branched_error_if` of the caller's program. Either way the
    error is an `equinox.EquinoxRuntimeError` with the same text."""
    if not throw:
        return token
    return raise_where(token, result._value, _failure_texts())


def raise_where(token, index, texts):
    """`token`, or an `equinox.EquinoxRuntimeError` with `texts[index]` where `index` (an
    integer array; 0: no error) is nonzero: raised here when `index` is concrete, an
    `equinox.branched_error_if` of the program being traced when it is traced (a program that
    holds no host callback stays in JAX's persistent cache)."""
    if isinstance(index, jax.core.Tracer):
        return eqx.branched_error_if(token, index != 0, index, texts)
    codes = np.asarray(index).reshape(-1)
    failed = np.flatnonzero(codes != 0)
    if failed.size:
        raise eqx.EquinoxRuntimeError(texts[int(codes[failed[0]])])
    return token


def succeeded(result: RESULTS) -> Bool[Array, "..."]:
    """True where `result` is `successful` (an array for batched results)."""
    return jnp.asarray(result._value) == 0


def code(result: RESULTS) -> Int[Array, "..."]:
    """The integer code of a result (0 = successful) as a JAX array (traced inside `jit`)."""
    return jnp.asarray(result._value)


def result_code(result: RESULTS) -> int | np.ndarray:
    """The integer code of a concrete result (0 = successful), as sweep tables and summaries
    store it: `pnpjax.result_code(pnpjax.RESULTS.nonlinear_max_steps_reached)` (an array for
    a batch)."""
    value = np.asarray(result._value)
    return int(value) if value.ndim == 0 else value.astype(np.int64)


def message(result: RESULTS) -> str:
    """The readable reason of a result (`"success"` when successful); batched results give
    the distinct reasons joined by "; "."""
    values = np.unique(np.asarray(result._value))
    texts = ["success" if v == 0 else RESULTS._index_to_message[int(v)] for v in values]
    return "; ".join(texts)


def name(result: RESULTS) -> str:
    """The item name of an unbatched result: `"successful"`, `"nonlinear_max_steps_reached"`."""
    index = int(np.asarray(result._value))
    for key, item in RESULTS._name_to_item.items():
        if int(np.asarray(item._value)) == index:
            return key
    raise ValueError(f"unknown result index {index}")


def result_message(index: int) -> str:
    """The readable reason of the result with integer code `index` (as a sweep table stores
    it): `pnpjax.result_message(7)`."""
    return "success" if int(index) == 0 else RESULTS._index_to_message[int(index)]
