"""Waveforms: the applied signal $u(t)$ that drives a time-dependent solve.

A waveform is a scalar function of time t (s). Waveforms are unit-agnostic: the value is a
voltage (V) when the cell is potentiostatic and a current density (A/m^2) when it is
galvanostatic; a rate is then in V/s or A/m^2/s. Times are in s, frequencies in Hz, phases in rad.

Every float parameter is a pytree leaf, so `jax.grad` reaches it, and `u(t)` is a pure JAX
function of a (possibly traced) scalar t. Where the value or its slope jumps, `breakpoints()`
lists the time, so the stepper can land on it exactly (diffrax
`PIDController(jump_ts=jump_ts(waveform))`) instead of stepping across a kink with an
error estimate that does not see it. `jump_ts(waveform)` gives them in the form diffrax
accepts (`None` when there are none). At a breakpoint the value and the derivative are the
right limits (the waveform just after it).

**References:** A. J. Bard and L. R. Faulkner, *Electrochemical Methods*, 2nd ed., Wiley (2001),
ch. 6 (linear sweep and cyclic voltammetry) and ch. 10 (small-signal ac techniques);
M. E. Orazem and B. Tribollet, *Electrochemical Impedance Spectroscopy*, 2nd ed., Wiley (2017).
"""

import abc
import numbers
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._custom_types import Scalar, ScalarLike, as_float, check, traced
from .._fields import FINITE, NON_NEGATIVE, POSITIVE, check_parameters, parameter

_SIGNAL = "V or A/m^2"
_RATE = "V/s or A m^-2 s^-1"


def _value(doc: str):
    return parameter(unit=_SIGNAL, range=FINITE, doc=doc)


def _time(doc: str):
    return parameter(unit="s", range=FINITE, doc=doc)


def _times(*times) -> Float[Array, " n"]:
    if not times:
        return jnp.zeros((0,), dtype=jnp.float64)
    return jnp.stack([as_float(t) for t in times])


def _merge(arrays) -> Float[Array, " n"]:
    """Sorted union of breakpoint arrays; repeats are dropped when the times are concrete."""
    arrays = [jnp.atleast_1d(as_float(a)) for a in arrays]
    merged = jnp.concatenate(arrays) if arrays else jnp.zeros((0,), dtype=jnp.float64)
    if traced(merged):
        return jnp.sort(merged)
    return jnp.asarray(np.unique(np.asarray(merged)))


class AbstractWaveform(eqx.Module):
    """A scalar signal u(t) applied to the cell: a voltage (V, potentiostatic) or a current
    density (A/m^2, galvanostatic); the waveform itself is unit-agnostic. t is in s.

    Subclasses define `__call__` and `breakpoints`; `derivative` follows by forward-mode
    autodiff. Waveforms add: `Constant(0.1) + Sinusoid(0.0, 0.01, 1e3)` is a `Sum`.
    """

    @abc.abstractmethod
    def __call__(self, t: ScalarLike) -> Scalar:
        """The value u(t) (V or A/m^2) at time `t` (s), a float64 scalar."""

    @abc.abstractmethod
    def breakpoints(self) -> Float[Array, " n"]:
        """Sorted times (s) at which u or du/dt jumps, possibly none (shape `(0,)`); see
        `jump_ts` for handing them to diffrax."""

    def derivative(self, t: ScalarLike) -> Scalar:
        """du/dt (V/s or A/m^2/s) at time `t` (s), by `jax.jvp`; the right derivative at a
        breakpoint. A jump in u itself contributes nothing (no delta function)."""
        t = as_float(t)
        return jax.jvp(self.__call__, (t,), (jnp.ones_like(t),))[1]

    def __add__(self, other):
        try:
            other = as_waveform(other)
        except TypeError:
            return NotImplemented
        return Sum(self, other)

    def __radd__(self, other):
        try:
            other = as_waveform(other)
        except TypeError:
            return NotImplemented
        return Sum(other, self)


class Constant(AbstractWaveform):
    """A constant signal, u(t) = `value`.

    **Arguments:**

    - `value`: the held voltage (V) or current density (A/m^2).
    """

    value: Array = _value("held value")

    def __init__(self, value: ScalarLike):
        self.value = as_float(value)

    def __check_init__(self):
        check_parameters(self, "Constant")

    def __call__(self, t: ScalarLike) -> Scalar:
        return self.value + jnp.zeros_like(as_float(t))

    def breakpoints(self) -> Float[Array, " n"]:
        return _times()


class Step(AbstractWaveform):
    """A potential or current step from `before` to `after` at t = `time`, optionally ramped.

    $$u(t) = u_b + (u_a - u_b)\\,\\mathrm{clip}\\big((t - t_s)/t_r,\\ 0,\\ 1\\big)$$

    With `rise_time` $t_r = 0$ the jump is exact: `before` for t < `time`, `after` for
    t >= `time` (chronoamperometry, chronopotentiometry; Bard & Faulkner (2001) ch. 5, 8).

    **Arguments:**

    - `before`: value before the step (V or A/m^2).
    - `after`: value after the step (V or A/m^2).
    - `time`: start of the step t_s (s).
    - `rise_time`: duration t_r (s) of a linear ramp from `before` to `after`; 0 for a jump.

    Breakpoints: `time`, and `time + rise_time` when the ramp has a duration.
    """

    before: Array = _value("value before the step")
    after: Array = _value("value after the step")
    time: Array = _time("time of the step")
    rise_time: Array = parameter(unit="s", range=NON_NEGATIVE, doc="duration of the ramp")

    def __init__(
        self,
        before: ScalarLike,
        after: ScalarLike,
        time: ScalarLike,
        rise_time: ScalarLike = 0.0,
    ):
        self.before = as_float(before)
        self.after = as_float(after)
        self.time = as_float(time)
        self.rise_time = as_float(rise_time)

    def __check_init__(self):
        check_parameters(self, "Step", {"rise_time": " (0 for an exact jump)"})

    def __call__(self, t: ScalarLike) -> Scalar:
        t = as_float(t)
        ramped = self.rise_time > 0
        x = (t - self.time) / jnp.where(ramped, self.rise_time, 1.0)
        # `where` rather than `clip`, so that the slope at either end of the ramp is the right one.
        ramp = jnp.where(x < 0, 0.0, jnp.where(x >= 1, 1.0, x))
        jump = jnp.where(t >= self.time, 1.0, 0.0)
        fraction = jnp.where(ramped, ramp, jump)
        return self.before + (self.after - self.before) * fraction

    def breakpoints(self) -> Float[Array, " n"]:
        return _merge([_times(self.time, self.time + self.rise_time)])


class LinearSweep(AbstractWaveform):
    """A linear sweep (linear sweep voltammetry or a current ramp) starting at `t_start`.

    $$u(t) = u_0 + r\\,(t - t_0) \\quad (t \\ge t_0), \\qquad u(t) = u_0 \\quad (t < t_0)$$

    (Bard & Faulkner (2001) §6.1.)

    **Arguments:**

    - `start`: value u_0 (V or A/m^2) held until `t_start`.
    - `rate`: sweep rate r (V/s or A/m^2/s), any sign.
    - `t_start`: time t_0 (s) at which the sweep begins.

    Breakpoint: `t_start`.
    """

    start: Array = _value("initial value")
    rate: Array = parameter(unit=_RATE, range=FINITE, doc="sweep rate")
    t_start: Array = _time("start of the sweep")

    def __init__(self, start: ScalarLike, rate: ScalarLike, t_start: ScalarLike = 0.0):
        self.start = as_float(start)
        self.rate = as_float(rate)
        self.t_start = as_float(t_start)

    def __check_init__(self):
        check_parameters(self, "LinearSweep")

    def __call__(self, t: ScalarLike) -> Scalar:
        t = as_float(t)
        return jnp.where(t >= self.t_start, self.start + self.rate * (t - self.t_start), self.start)

    def breakpoints(self) -> Float[Array, " n"]:
        return _times(self.t_start)


class CyclicSweep(AbstractWaveform):
    """A triangular (cyclic voltammetry) sweep: `start` → `vertex` → `lower` → `start` at
    constant speed |`rate`|, repeated `cycles` times from `t_start`, then held at `start`.

    One cycle is the path through the vertices $u_0 \\to u_v \\to u_l \\to u_0$ of length
    $P = |u_v - u_0| + |u_v - u_l| + |u_0 - u_l|$ and lasts $P/|r|$; the whole sweep lasts
    `duration` $= n P/|r|$. Before `t_start` and after the last cycle the value is `start`
    (Bard & Faulkner (2001) §6.5).

    **Arguments:**

    - `start`: initial and final value u_0 (V or A/m^2).
    - `vertex`: first turning point u_v (V or A/m^2); sets the initial direction.
    - `rate`: sweep rate (V/s or A/m^2/s); only |rate| matters, the direction follows `vertex`.
    - `cycles`: number of full cycles n (a Python int >= 1).
    - `lower`: second turning point u_l (V or A/m^2), on the other side of `start` from
      `vertex` or equal to it; default `start` (a single triangle u_0 → u_v → u_0).
    - `t_start`: time (s) at which the first cycle begins.

    Breakpoints: the start, every turning point and the end of the sweep.
    """

    start: Array = _value("initial and final value u_0")
    vertex: Array = _value("first turning point u_v")
    lower: Array = _value("second turning point u_l")
    rate: Array = parameter(unit=_RATE, range=FINITE, doc="sweep rate (its magnitude)")
    t_start: Array = _time("start of the first cycle")
    cycles: int = eqx.field(static=True)

    def __init__(
        self,
        start: ScalarLike,
        vertex: ScalarLike,
        rate: ScalarLike,
        cycles: int = 1,
        lower: ScalarLike | None = None,
        t_start: ScalarLike = 0.0,
    ):
        if isinstance(cycles, bool) or not isinstance(cycles, numbers.Integral) or int(cycles) < 1:
            raise ValueError(f"CyclicSweep: cycles must be an integer >= 1, got {cycles!r}")
        self.start = as_float(start)
        self.vertex = as_float(vertex)
        self.lower = self.start if lower is None else as_float(lower)
        self.rate = as_float(rate)
        self.t_start = as_float(t_start)
        self.cycles = int(cycles)

    def __check_init__(self):
        check_parameters(self, "CyclicSweep")
        check(
            lambda r: r != 0,
            self.rate,
            "CyclicSweep: rate (V/s or A/m^2/s) must be nonzero; use Constant for a held value",
        )
        if not traced((self.start, self.vertex)):
            if np.any(np.asarray(self.vertex) == np.asarray(self.start)):
                raise ValueError(
                    f"CyclicSweep: vertex must differ from start, both are {self.start}; "
                    "use Constant for a held value"
                )
        if not traced((self.start, self.vertex, self.lower)):
            start, vertex, lower = (np.asarray(v) for v in (self.start, self.vertex, self.lower))
            if np.any((vertex - start) * (lower - start) > 0):
                raise ValueError(
                    f"CyclicSweep: lower ({lower}) must lie on the other side of start ({start}) "
                    f"from vertex ({vertex}), or equal start"
                )

    def _legs(self):
        first = jnp.abs(self.vertex - self.start)
        second = jnp.abs(self.vertex - self.lower)
        third = jnp.abs(self.start - self.lower)
        return first, second, third

    @property
    def duration(self) -> Scalar:
        """Length (s) of all `cycles` cycles together."""
        return self.cycles * sum(self._legs()) / jnp.abs(self.rate)

    def __call__(self, t: ScalarLike) -> Scalar:
        t = as_float(t)
        first, second, third = self._legs()
        path = first + second + third
        elapsed = t - self.t_start
        running = (elapsed >= 0) & (elapsed < self.duration)
        # Distance travelled along the path within the current cycle.
        travelled = jnp.abs(self.rate) * jnp.where(running, elapsed, 0.0)
        u = travelled - path * jnp.floor(travelled / path)
        up = jnp.sign(self.vertex - self.start)
        value = jnp.where(
            u < first,
            self.start + up * u,
            jnp.where(
                u < first + second,
                self.vertex - up * (u - first),
                self.lower + up * (u - first - second),
            ),
        )
        return jnp.where(running, value, self.start)

    def breakpoints(self) -> Float[Array, " n"]:
        first, second, third = self._legs()
        speed = jnp.abs(self.rate)
        period = (first + second + third) / speed
        within = jnp.stack([jnp.zeros_like(period), first / speed, (first + second) / speed])
        starts = self.t_start + period * jnp.arange(self.cycles, dtype=jnp.float64)
        turning = (starts[:, None] + within[None, :]).reshape(-1)
        return _merge([turning, self.t_start + self.duration])


class Sinusoid(AbstractWaveform):
    """A sinusoidal signal on a bias, switched on at `t_start` (time-domain impedance).

    $$u(t) = u_0 + A\\sin\\big(2\\pi f\\,(t - t_0) + \\varphi\\big) \\quad (t \\ge t_0)$$

    and held at its switch-on value $u_0 + A\\sin\\varphi$ before $t_0$, so u is continuous
    (Orazem & Tribollet (2017) ch. 8).

    **Arguments:**

    - `offset`: bias u_0 (V or A/m^2).
    - `amplitude`: amplitude A (V or A/m^2).
    - `frequency`: frequency f (Hz), > 0.
    - `phase`: phase φ (rad) at `t_start`.
    - `t_start`: switch-on time t_0 (s).

    Breakpoint: `t_start` (the slope jumps there).
    """

    offset: Array = _value("offset u_0")
    amplitude: Array = _value("amplitude")
    frequency: Array = parameter(unit="Hz", range=POSITIVE, doc="frequency f")
    phase: Array = parameter(unit="rad", range=FINITE, doc="phase at t_start")
    t_start: Array = _time("switch-on time")

    def __init__(
        self,
        offset: ScalarLike,
        amplitude: ScalarLike,
        frequency: ScalarLike,
        phase: ScalarLike = 0.0,
        t_start: ScalarLike = 0.0,
    ):
        self.offset = as_float(offset)
        self.amplitude = as_float(amplitude)
        self.frequency = as_float(frequency)
        self.phase = as_float(phase)
        self.t_start = as_float(t_start)

    def __check_init__(self):
        check_parameters(self, "Sinusoid", {"frequency": "; use Constant for a DC signal"})

    def __call__(self, t: ScalarLike) -> Scalar:
        t = as_float(t)
        elapsed = jnp.where(t >= self.t_start, t - self.t_start, 0.0)
        return self.offset + self.amplitude * jnp.sin(
            2 * jnp.pi * self.frequency * elapsed + self.phase
        )

    def breakpoints(self) -> Float[Array, " n"]:
        return _times(self.t_start)


class Custom(AbstractWaveform):
    """Any signal written in JAX: u(t) = `fn(t)`, or `fn(t, params)` when `params` is given.

    **Arguments:**

    - `fn`: a JAX-traceable function of the time t (s), a float64 scalar, returning the value
      (V or A/m^2) as a scalar. It is a static part of the waveform: define it once (a new
      function object recompiles a solve).
    - `params`: a pytree of parameters passed as the second argument; its leaves become
      float64 arrays, so `jax.grad` reaches them.
    - `breakpoints`: times (s) where u or du/dt jumps, if any.
    """

    fn: Callable = eqx.field(static=True)
    params: Any
    jump_times: Float[Array, " n"]

    def __init__(self, fn: Callable, params: Any = None, breakpoints=()):
        if not callable(fn):
            raise TypeError(f"Custom: fn must be a function t -> u or (t, params) -> u, got {fn!r}")
        self.fn = fn
        self.params = None if params is None else jax.tree_util.tree_map(as_float, params)
        jump_times = jnp.atleast_1d(as_float(breakpoints))
        if jump_times.ndim != 1:
            raise ValueError(
                f"Custom: breakpoints must be a 1D sequence of times (s), got shape "
                f"{jump_times.shape}"
            )
        self.jump_times = _merge([jump_times])

    def __check_init__(self):
        check(np.isfinite, self.jump_times, "Custom: breakpoints (s) must be finite")

    def __call__(self, t: ScalarLike) -> Scalar:
        t = as_float(t)
        value = self.fn(t) if self.params is None else self.fn(t, self.params)
        value = as_float(value)
        if value.shape != t.shape:
            raise ValueError(
                f"Custom: fn must return a scalar for a scalar t, got shape {value.shape}"
            )
        return value

    def breakpoints(self) -> Float[Array, " n"]:
        return self.jump_times


class Sum(AbstractWaveform):
    """The sum of several waveforms, u(t) = Σ_k u_k(t), e.g. a DC bias plus a small sinusoid.
    All terms must share a unit (V, or A/m^2). Also written `u_1 + u_2`.

    **Arguments:**

    - `*terms`: the waveforms (anything `as_waveform` accepts); nested sums are flattened.

    Breakpoints: the union of the terms' breakpoints.
    """

    terms: tuple[AbstractWaveform, ...]

    def __init__(self, *terms):
        if not terms:
            raise ValueError("Sum: give at least one waveform")
        flat = []
        for term in terms:
            term = as_waveform(term)
            flat.extend(term.terms if isinstance(term, Sum) else (term,))
        self.terms = tuple(flat)

    def __call__(self, t: ScalarLike) -> Scalar:
        t = as_float(t)
        total = self.terms[0](t)
        for term in self.terms[1:]:
            total = total + term(t)
        return total

    def breakpoints(self) -> Float[Array, " n"]:
        return _merge([term.breakpoints() for term in self.terms])


def jump_ts(waveform: AbstractWaveform) -> Float[Array, " n"] | None:
    """The breakpoints (s) of `waveform` as diffrax `PIDController(jump_ts=...)` takes them:
    `None` when there are none (diffrax cannot step with an empty `jump_ts` array)."""
    times = waveform.breakpoints()
    return None if times.shape[0] == 0 else times


def as_waveform(x) -> AbstractWaveform:
    """A waveform from `x`: a waveform is returned as is, a number or scalar array (V or
    A/m^2) becomes `Constant`, and a function `t -> u` becomes `Custom`.

    **Raises:** `TypeError` for anything else.
    """
    if isinstance(x, AbstractWaveform):
        return x
    if isinstance(x, (numbers.Real, np.ndarray, np.generic, jax.Array)) and not isinstance(x, bool):
        return Constant(x)
    if callable(x):
        return Custom(x)
    raise TypeError(
        "expected a waveform (pnpjax Constant, Step, LinearSweep, CyclicSweep, Sinusoid, "
        f"Custom, Sum), a real number or scalar array, or a function t -> u; got {type(x).__name__}"
    )
