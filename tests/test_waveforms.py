"""Waveforms: values, derivatives, breakpoints, transformations and bad input."""

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pnpjax._model.waveforms import (
    AbstractWaveform,
    Constant,
    Custom,
    CyclicSweep,
    LinearSweep,
    Sinusoid,
    Step,
    Sum,
    as_waveform,
    jump_ts,
)


def _central_difference(w, t, h=1e-6):
    return (w(t + h) - w(t - h)) / (2 * h)


def test_constant():
    w = Constant(0.3)
    assert float(w(0.0)) == 0.3
    assert float(w(12.5)) == 0.3
    assert float(w.derivative(1.0)) == 0.0
    assert w.breakpoints().shape == (0,)
    assert w(1.0).dtype == jnp.float64


def test_step_exact_jump():
    w = Step(0.1, 0.5, time=2.0)
    assert float(w(1.999)) == 0.1
    assert float(w(2.0)) == 0.5  # right-continuous
    assert float(w(3.0)) == 0.5
    assert float(w.derivative(1.0)) == 0.0
    assert float(w.derivative(3.0)) == 0.0
    np.testing.assert_array_equal(w.breakpoints(), [2.0])


def test_step_ramp():
    w = Step(-1.0, 3.0, time=1.0, rise_time=0.5)
    np.testing.assert_allclose(
        [w(0.5), w(1.0), w(1.125), w(1.25), w(1.5), w(4.0)], [-1, -1, 0, 1, 3, 3], atol=1e-15
    )
    np.testing.assert_allclose(w.derivative(1.25), 8.0, rtol=1e-14)
    np.testing.assert_allclose(w.derivative(1.0), 8.0, rtol=1e-14)  # right derivative
    assert float(w.derivative(1.5)) == 0.0
    assert float(w.derivative(0.9)) == 0.0
    np.testing.assert_allclose(_central_difference(w, 1.3), 8.0, rtol=1e-8)
    np.testing.assert_array_equal(w.breakpoints(), [1.0, 1.5])


def test_linear_sweep():
    w = LinearSweep(0.2, rate=-0.05, t_start=1.0)
    np.testing.assert_allclose([w(0.0), w(1.0), w(5.0)], [0.2, 0.2, 0.0], atol=1e-15)
    np.testing.assert_allclose(w.derivative(3.0), -0.05, rtol=1e-14)
    assert float(w.derivative(0.5)) == 0.0
    np.testing.assert_array_equal(w.breakpoints(), [1.0])


def test_cyclic_sweep_single_triangle():
    # 0 -> 1 -> 0 at 0.1 V/s: 20 s.
    w = CyclicSweep(0.0, 1.0, rate=0.1)
    np.testing.assert_allclose(w.duration, 20.0)
    times = [-1.0, 0.0, 5.0, 10.0, 15.0, 19.0, 20.0, 30.0]
    np.testing.assert_allclose([w(t) for t in times], [0, 0, 0.5, 1, 0.5, 0.1, 0, 0], atol=1e-13)
    np.testing.assert_allclose([w.derivative(t) for t in (3.0, 12.0, 25.0)], [0.1, -0.1, 0.0])
    np.testing.assert_allclose(w.breakpoints(), [0.0, 10.0, 20.0])


def test_cyclic_sweep_with_lower_vertex_and_cycles():
    # 0.2 -> 1.0 -> -0.6 -> 0.2 at |rate| 0.4 V/s: legs 2 s, 4 s, 2 s; two cycles from t = 1 s.
    w = CyclicSweep(0.2, 1.0, rate=-0.4, cycles=2, lower=-0.6, t_start=1.0)
    np.testing.assert_allclose(w.duration, 16.0)
    times = [0.5, 2.0, 3.0, 5.0, 7.0, 8.0, 9.0, 11.0, 13.5, 17.0, 20.0]
    # 13.5 s: 2.5 s into the second descending leg.
    expected = [0.2, 0.6, 1.0, 0.2, -0.6, -0.2, 0.2, 1.0, 0.0, 0.2, 0.2]
    np.testing.assert_allclose([w(t) for t in times], expected, atol=1e-13)
    np.testing.assert_allclose(
        [w.derivative(t) for t in (2.0, 4.0, 7.5, 10.0, 17.5)], [0.4, -0.4, 0.4, 0.4, 0.0]
    )
    np.testing.assert_allclose(w.derivative(6.2), _central_difference(w, 6.2), rtol=1e-7)
    np.testing.assert_allclose(w.breakpoints(), [1, 3, 7, 9, 11, 15, 17])


def test_cyclic_sweep_downward():
    w = CyclicSweep(0.0, -0.5, rate=0.25)
    np.testing.assert_allclose([w(1.0), w(2.0), w(3.0)], [-0.25, -0.5, -0.25], atol=1e-14)
    np.testing.assert_allclose(w.derivative(1.0), -0.25)


def test_sinusoid():
    w = Sinusoid(0.1, 0.01, frequency=50.0, phase=0.3, t_start=0.2)
    t = 0.2137
    arg = 2 * np.pi * 50.0 * (t - 0.2) + 0.3
    np.testing.assert_allclose(w(t), 0.1 + 0.01 * np.sin(arg), rtol=1e-14)
    np.testing.assert_allclose(w.derivative(t), 0.01 * 2 * np.pi * 50 * np.cos(arg), rtol=1e-12)
    np.testing.assert_allclose(w.derivative(t), _central_difference(w, t, h=1e-8), rtol=1e-6)
    # Held at the switch-on value before t_start.
    np.testing.assert_allclose(w(0.0), 0.1 + 0.01 * np.sin(0.3), rtol=1e-14)
    assert float(w.derivative(0.1)) == 0.0
    np.testing.assert_array_equal(w.breakpoints(), [0.2])


def test_custom_with_and_without_params():
    w = Custom(lambda t: t**2, breakpoints=[3.0, 1.0])
    np.testing.assert_allclose(w(3.0), 9.0)
    np.testing.assert_allclose(w.derivative(3.0), 6.0)
    np.testing.assert_array_equal(w.breakpoints(), [1.0, 3.0])
    w = Custom(lambda t, p: p["a"] * jnp.exp(-t / p["tau"]), {"a": 2.0, "tau": 0.5})
    np.testing.assert_allclose(w(0.5), 2.0 * np.exp(-1.0), rtol=1e-14)
    np.testing.assert_allclose(w.derivative(0.5), -4.0 * np.exp(-1.0), rtol=1e-14)
    assert w.breakpoints().shape == (0,)
    grad = jax.grad(lambda w: w(0.5))(w)
    np.testing.assert_allclose(grad.params["a"], np.exp(-1.0), rtol=1e-14)


def test_sum_and_addition():
    bias_plus_ac = Constant(0.5) + Sinusoid(0.0, 0.01, 1e3, t_start=1e-3)
    assert isinstance(bias_plus_ac, Sum)
    t = 1.2e-3
    np.testing.assert_allclose(bias_plus_ac(t), 0.5 + 0.01 * np.sin(2 * np.pi * 0.2), rtol=1e-14)
    total = 0.1 + Step(0.0, 1.0, 2.0) + LinearSweep(0.0, 1.0, t_start=1.0) + (lambda t: 2 * t)
    assert isinstance(total, Sum) and len(total.terms) == 4  # flattened
    np.testing.assert_allclose(total(3.0), 0.1 + 1.0 + 2.0 + 6.0)
    np.testing.assert_allclose(total.derivative(3.0), 3.0)
    np.testing.assert_array_equal(total.breakpoints(), [1.0, 2.0])
    assert len(sum([Constant(1.0), Constant(2.0)]).terms) == 3
    np.testing.assert_allclose(sum([Constant(1.0), Constant(2.0)])(0.0), 3.0)


def test_jit_and_vmap_over_time():
    waves = [
        Step(0.0, 1.0, 0.5, rise_time=0.25),
        LinearSweep(0.0, 2.0),
        CyclicSweep(0.0, 1.0, 1.0, cycles=2, lower=-1.0),
        Sinusoid(0.0, 1.0, 2.0),
        Constant(1.0) + Sinusoid(0.0, 0.1, 3.0),
    ]
    ts = jnp.linspace(-0.5, 9.0, 37)
    for w in waves:
        batched = jax.jit(jax.vmap(w))(ts)
        direct = np.array([float(w(t)) for t in ts])
        np.testing.assert_allclose(batched, direct, rtol=1e-14, atol=1e-14)
        slopes = jax.jit(jax.vmap(w.derivative))(ts)
        np.testing.assert_allclose(slopes, [float(w.derivative(t)) for t in ts], atol=1e-13)


def test_grad_with_respect_to_parameters():
    t = 0.37
    w = Sinusoid(0.1, 0.02, frequency=4.0, phase=0.5)
    arg = 2 * np.pi * 4.0 * t + 0.5
    grads = jax.grad(lambda w: w(t))(w)
    np.testing.assert_allclose(grads.amplitude, np.sin(arg), rtol=1e-13)
    np.testing.assert_allclose(grads.offset, 1.0)
    np.testing.assert_allclose(grads.frequency, 0.02 * np.cos(arg) * 2 * np.pi * t, rtol=1e-13)
    # Gradient of the amplitude through construction under jit, and vmap over the amplitude.
    d_amp = jax.jit(jax.grad(lambda a: Sinusoid(0.1, a, 4.0, 0.5)(t)))(0.02)
    np.testing.assert_allclose(d_amp, np.sin(arg), rtol=1e-13)
    amps = jnp.array([0.0, 0.01, 0.02])
    values = jax.vmap(lambda a: Sinusoid(0.1, a, 4.0, 0.5)(t))(amps)
    np.testing.assert_allclose(values, 0.1 + amps * np.sin(arg), rtol=1e-14)

    step = jax.grad(lambda w: w(1.1))(Step(0.0, 2.0, 1.0, rise_time=0.5))
    np.testing.assert_allclose([step.before, step.after], [0.8, 0.2], rtol=1e-13)
    np.testing.assert_allclose(step.time, -4.0, rtol=1e-13)  # -(after - before)/rise_time
    np.testing.assert_allclose(step.rise_time, -0.8, rtol=1e-13)  # -(Δu)(t - t_s)/t_r^2
    sweep = jax.grad(lambda w: w(3.0))(LinearSweep(0.0, 0.5, t_start=1.0))
    np.testing.assert_allclose([sweep.rate, sweep.t_start], [2.0, -0.5])
    # CV: u = start + |rate| t on the first leg; the vertex moves the descending leg.
    cv = jax.grad(lambda w: w(12.0))(CyclicSweep(0.0, 1.0, rate=0.1))
    np.testing.assert_allclose([cv.rate, cv.vertex], [-12.0, 2.0], rtol=1e-12)


def test_breakpoints_under_trace():
    def last_break(time):
        return Step(0.0, 1.0, time, rise_time=0.5).breakpoints()[-1]

    np.testing.assert_allclose(jax.jit(last_break)(2.0), 2.5)
    np.testing.assert_allclose(jax.grad(last_break)(2.0), 1.0)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Constant(float("nan")), "Constant: value must be finite"),
        (lambda: Step(0.0, 1.0, 1.0, rise_time=-0.1), r"rise_time \(s\) must be >= 0"),
        (lambda: Step(0.0, float("inf"), 1.0), "Step: after must be finite"),
        (lambda: LinearSweep(0.0, float("nan")), "LinearSweep: rate must be finite"),
        (lambda: Sinusoid(0.0, 0.01, 0.0), r"frequency \(Hz\) must be > 0, got 0"),
        (lambda: Sinusoid(0.0, 0.01, -5.0), r"frequency \(Hz\) must be > 0"),
        (lambda: CyclicSweep(0.0, 1.0, 0.0), "rate .* must be nonzero"),
        (lambda: CyclicSweep(0.0, 1.0, 0.1, cycles=0), "cycles must be an integer >= 1"),
        (lambda: CyclicSweep(0.0, 1.0, 0.1, cycles=1.5), "cycles must be an integer >= 1"),
        (lambda: CyclicSweep(0.3, 0.3, 0.1), "vertex must differ from start"),
        (lambda: CyclicSweep(0.0, 1.0, 0.1, lower=0.5), "other side of start"),
        (lambda: Custom(lambda t: t, breakpoints=[float("nan")]), "breakpoints"),
        (lambda: Sum(), "at least one waveform"),
    ],
)
def test_bad_input_raises(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_validation_skipped_when_traced():
    # A traced frequency cannot be checked; construction must not fail.
    value = jax.jit(lambda f: Sinusoid(0.0, 1.0, f)(0.125))(2.0)
    np.testing.assert_allclose(value, 1.0, atol=1e-15)


def test_custom_must_return_scalar():
    with pytest.raises(ValueError, match="must return a scalar"):
        Custom(lambda t: jnp.stack([t, t]))(1.0)
    with pytest.raises(TypeError, match="fn must be a function"):
        Custom(3.0)


def test_as_waveform():
    w = Step(0.0, 1.0, 1.0)
    assert as_waveform(w) is w
    for x in (0.5, 1, np.float64(0.5), jnp.asarray(0.5), np.asarray(0.5)):
        c = as_waveform(x)
        assert isinstance(c, Constant)
        np.testing.assert_allclose(c(3.0), float(x))
    f = as_waveform(lambda t: 3 * t)
    assert isinstance(f, Custom) and isinstance(f, AbstractWaveform)
    np.testing.assert_allclose(f(2.0), 6.0)
    for bad in ("1 V", None, [0.1, 0.2], True):
        with pytest.raises(TypeError, match="expected a waveform"):
            as_waveform(bad)


def test_jump_ts_drives_diffrax():
    assert jump_ts(Constant(1.0)) is None
    # du/dt = w(t) integrates a step exactly when the stepper lands on the jump.
    w = Step(0.0, 1.0, time=0.3)
    controller = diffrax.PIDController(rtol=1e-8, atol=1e-10, jump_ts=jump_ts(w))
    solution = diffrax.diffeqsolve(
        diffrax.ODETerm(lambda t, y, args: w(t)),
        diffrax.Tsit5(),
        0.0,
        1.0,
        0.01,
        jnp.asarray(0.0),
        stepsize_controller=controller,
    )
    np.testing.assert_allclose(solution.ys[-1], 0.7, rtol=1e-12)
