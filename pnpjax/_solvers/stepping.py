"""`TimeStepping`: the settings of the adaptive time integration of `solve_transient`."""

import equinox as eqx
import numpy as np

from .._fields import COUNT, POSITIVE, UNIT_INTERVAL, check_parameters, parameter


def _tolerance(value):
    # a float64 array, not a Python float: a leaf that the compiled integration takes as an
    # input, so another tolerance reuses the program (a Python float would be static)
    return np.asarray(value, dtype=np.float64)


def _optional_tolerance(value):
    return None if value is None else _tolerance(value)


class TimeStepping(eqx.Module):
    """Settings of the adaptive time stepping of `solve_transient`: the error control of its
    ESDIRK 5(4) steps (a `diffrax.PIDController` with these tolerances), the step limit and an
    optional steady-state stop. Passed as `solve_transient(..., stepping=TimeStepping(...))`,
    as `diffrax.diffeqsolve` takes a step-size controller.

    **Arguments:**

    - `rtol`: relative error tolerance of every step, in (0, 1) (dimensionless).
    - `atol`: absolute error tolerance, > 0 (dimensionless: relative to each carrier's largest
      bulk concentration).
    - `max_steps`: the limit on the number of steps (accepted and rejected), >= 1.
    - `steady_tolerance`: if given (> 0, dimensionless), stop as soon as, at or after the first
      save time, every relative rate $|\\dot y|\\,t/|y|$ falls below it (a steady-state event);
      the remaining saved times repeat the final state. `None` (default): integrate to the
      last save time.

    The tolerances are inputs of the compiled integration (arrays: another value reuses the
    program; `jax.vmap` over them works); `max_steps`, and whether `steady_tolerance` is set,
    are part of its structure.
    """

    rtol: float = parameter(
        unit="1",
        range=UNIT_INTERVAL,
        doc="relative error tolerance of a step",
        default=1e-6,
        converter=_tolerance,
    )
    atol: float = parameter(
        unit="1",
        range=POSITIVE,
        doc="absolute error tolerance, relative to each carrier's largest bulk concentration",
        default=1e-10,
        converter=_tolerance,
    )
    max_steps: int = parameter(
        unit="1",
        range=COUNT,
        integer=True,
        doc="step limit",
        static=True,
        default=20000,
    )
    steady_tolerance: float | None = parameter(
        unit="1",
        range=POSITIVE,
        doc="stop when every relative rate |dy/dt| t/|y| is below it (None: never)",
        default=None,
        converter=_optional_tolerance,
    )

    def __check_init__(self):
        check_parameters(self, "TimeStepping")
