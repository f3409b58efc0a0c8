"""Parameter fitting: a gradient-based fit (`pnpjax.fit`) against a gradient-free optimiser
(SciPy's Nelder–Mead) on the same loss, and the cost of a gradient against a forward solve.

The fitting issue asks for the number of forward solves and the wall time to converge against
a gradient-free optimiser (scipy Nelder–Mead) on the same loss, and a gradient that costs at
most 3× a forward solve.

- **Problem**: the LiCoO2 | β-Li3PS4 interface of `pnpjax.examples.cathode_electrolyte`
  (ideal carriers by default, `--nonideal` for site saturation and Fermi–Dirac electrons),
  both phases semi-infinite, on `Mesh.auto` of the truth. Li⁺ leaves the sulfide for the oxide:
  a sub-nanometre Li_i^• accumulation on the oxide side and a few-nm depletion layer in the
  sulfide. Synthetic data: the Li_i^• concentration at `--points` positions over ±15 nm around
  the interface, blurred by a Gaussian probe of σ = 2 nm (`pj.Profile(..., resolution=2e-9)`,
  a SIMS-like depth profile), times log-normal 1 % noise (seed 2026), fitted as
  `pj.Data(..., relative=0.01, log=True, scale=True)` (unknown detector scale, profiled out in
  closed form). Free: μ°(Li_i^•) in the sulfide (truth 0.30 eV, bounds (−1, 1) eV, start
  0.20 eV), ε_r of LiCoO2 (truth 12, lower bound 1, start 9) and of Li3PS4 (truth 8, lower
  bound 1, start 11).
- **pnpjax**: `pj.fit` with Levenberg–Marquardt (the default: one residual Jacobian with p = 3
  forward-mode tangents per step) and with L-BFGS (one loss-and-gradient per evaluation,
  including line-search evaluations), at their default tolerances. The whole public call is
  timed: its first call (tracing and compilation) and the median of `--repeats` further calls.
  Both also report the step at which the loss first came within 1e-6 (relative) of the
  Levenberg–Marquardt optimum (from `FitResult.history`).
- **Costs**: one forward solve is one call of the jitted `pj.fit_loss` (½χ², an equilibrium
  solve, the blur and the closed-form scale); the gradient is the jitted
  `jax.value_and_grad` of it (an adjoint solve); one Levenberg–Marquardt evaluation is the
  jitted `jax.jacfwd` of the weighted residuals (built from the public `Profile.predict` and
  `Data.residuals`, the same vector `fit` uses). They are timed in interleaved rounds (each once
  per round, medians over `--eval-repeats` rounds, after compilation and warm-up) so that a
  change of machine load hits them alike. A fit's cost in forward-solve equivalents is its
  evaluations × (evaluation time / forward time); its wall time / forward time is reported
  too (it includes the optimisation loop, the rest of `fit`'s work (preconditioning,
  covariance, predictions) and Python).
- **Baseline**: `scipy.optimize.minimize(method="Nelder-Mead")` on exactly the same loss: the
  jitted `fit_loss`, called with NumPy arrays of physical values. Bounds are kept with the
  transforms `fit` uses, written out here in NumPy: Nelder–Mead searches the unconstrained
  z with z = 0 at the start, μ° = −1 + 2 sigmoid(z + logit(0.6)) (logistic, both bounds),
  ε_r = 1 + (ε_start − 1) e^z (log, lower bound). Initial simplex: the start and the start
  plus `--simplex` (0.25) along each z axis (≈ 0.12 eV in μ°, ≈ 28 % in ε_r − 1; SciPy's
  default would be a 0.00025 step at z = 0); full runs also try 0.1, 0.5 and 1. Tolerances:
  xatol = 1e-6 in z and fatol = 1e-7 × the Levenberg–Marquardt optimum, maxfev 5000. Each
  loss evaluation is one forward solve. Reported: evaluations and wall time at its own
  termination (median wall time of max(2, `--repeats` // 3) identical runs), and the
  evaluations at which its best loss first came within 1e-6 of the Levenberg–Marquardt
  optimum (an oracle stop, the least Nelder–Mead could do). While the SciPy optimisers run,
  the OpenBLAS of NumPy and SciPy is limited to one thread (`single_threaded_blas`): with two
  threads competing with XLA's, L-BFGS-B's own small BLAS work cost 3 ms per iteration.
- **Second gradient-based reference**: SciPy's L-BFGS-B (no bounds given) on the same loss in
  the same z, with pnpjax's jitted `value_and_grad` (chain rule through the transforms in
  NumPy), ftol 1e-13, gtol 1e-9: the same gradients driven by another L-BFGS implementation.
- **Gradient cost, impedance** (full runs, `--spectrum`): ½χ² of a 31-frequency spectrum
  (1 Hz … 10 GHz, relative 1 % noise) of a Li⁺ conductor between Butler–Volmer electrodes (as
  `tests/test_fitting_solvers.py`), free D, ε_r and j₀: `value_and_grad` against the loss.

`--quick` skips the L-BFGS fit (its compilation), the simplex sweep and the spectrum, and
times fewer repeats. The table's "conv." is each optimiser's own convergence flag, "same
loss" whether its final loss is within 1e-6 of the Levenberg–Marquardt optimum ("to 1e-6":
the step, or for SciPy the evaluation, at which it first was).

Run: `python benchmarks/bench_fitting.py [--quick] [--nonideal] [--points 61] [--repeats 10]
[--eval-repeats 30] [--simplex 0.25] [--no-lbfgs] [--no-spectrum]`.
"""

import argparse
import contextlib
import math
import statistics
import sys
import time
import warnings
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, resolve_settings, time_call, warn_if_busy, write_json  # noqa: E402

import pnpjax as pj  # noqa: E402
from pnpjax.examples import cathode_electrolyte  # noqa: E402

TARGET_GRADIENT = 3.0  # the issue: a gradient costs at most 3x a forward solve
SAME_LOSS = 1e-6  # "converged": loss within this relative margin of the LM optimum
SEED = 2026
NOISE = 0.01  # relative (log-normal) noise of the synthetic profile
RESOLUTION = 2e-9  # m, standard deviation of the Gaussian probe
WINDOW = 15e-9  # m, measured positions: interface ± WINDOW
SPECIES = "Li_i^•"
TRUTH = {"mu0_Li_electrolyte": 0.30, "eps_LiCoO2": 12.0, "eps_Li3PS4": 8.0}
START = {"mu0_Li_electrolyte": 0.20, "eps_LiCoO2": 9.0, "eps_Li3PS4": 11.0}
BOUNDS = {"mu0_Li_electrolyte": (-1.0, 1.0), "eps_LiCoO2": (1.0, None), "eps_Li3PS4": (1.0, None)}
SIMPLEX_SIZES = (0.1, 0.5, 1.0)  # the other initial simplex sizes tried in full runs
NM_MAXFEV = 5000
QUICK = dict(
    points=61,
    repeats=3,
    eval_repeats=10,
    simplex=0.25,
    nonideal=False,
    lbfgs=False,
    spectrum=False,
)
DEFAULTS = dict(
    points=61,
    repeats=10,
    eval_repeats=30,
    simplex=0.25,
    nonideal=False,
    lbfgs=True,
    spectrum=True,
)


# --- the problem -------------------------------------------------------------------------------


def _mu0_li_electrolyte(j):
    return j.phases[1].carriers[SPECIES].mu0


def _eps_cathode(j):
    return j.phases[0].eps_r


def _eps_electrolyte(j):
    return j.phases[1].eps_r


WHERE = {
    "mu0_Li_electrolyte": _mu0_li_electrolyte,
    "eps_LiCoO2": _eps_cathode,
    "eps_Li3PS4": _eps_electrolyte,
}


def parameters() -> list:
    return [
        pj.Parameter(name, WHERE[name], initial=START[name], lower=lo, upper=hi)
        for name, (lo, hi) in BOUNDS.items()
    ]


def model_at(model, theta):
    """`model` with the free parameters set to `theta` (traceable; the same as `fit` does)."""
    for i, where in enumerate(WHERE.values()):
        model = eqx.tree_at(where, model, jnp.asarray(theta[i], dtype=jnp.float64))
    return model


def profile_problem(nonideal: bool, points: int) -> dict:
    """The truth, its mesh, the observable and the noisy synthetic data set."""
    truth = cathode_electrolyte(nonideal=nonideal)
    for name, value in TRUTH.items():  # the example's defaults; kept explicit here
        assert abs(float(WHERE[name](truth)) - value) < 1e-12, name
    mesh = pj.Mesh.auto(truth)
    interface = float(mesh.lengths[0])  # both phases semi-infinite: the mesh sets the lengths
    x = interface + np.linspace(-WINDOW, WINDOW, points)
    observable = pj.Profile(x, "concentration", SPECIES, resolution=RESOLUTION)
    clean = np.asarray(observable.predict(truth, mesh))
    assert np.all(np.isfinite(clean)), "the truth did not solve"
    noisy = clean * np.exp(NOISE * np.random.default_rng(SEED).standard_normal(points))
    data = pj.Data(observable, noisy, relative=NOISE, log=True, scale=True, name="profile")
    return dict(
        truth=truth,
        mesh=mesh,
        interface=interface,
        observable=observable,
        data=data,
        clean=clean,
    )


# --- cost of one evaluation ---------------------------------------------------------------------


def interleaved(functions: dict, argument, rounds: int) -> dict:
    """Median time of each (already compiled and warm) function, timed once per round."""
    samples = {name: [] for name in functions}
    for _ in range(rounds):
        for name, fn in functions.items():
            start = time.perf_counter()
            jax.block_until_ready(fn(argument))
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(s) for name, s in samples.items()}


def evaluation_costs(p: dict, rounds: int) -> dict:
    """Forward loss, loss + gradient and residual Jacobian at the start: compile, then time."""
    params = parameters()
    loss = pj.fit_loss(p["truth"], params, p["data"], mesh=p["mesh"])
    data, observable, truth, mesh = p["data"], p["observable"], p["truth"], p["mesh"]

    def residuals(theta):
        return data.residuals(observable.predict(model_at(truth, theta), mesh))[0]

    functions = {
        "loss": jax.jit(loss),
        "value_and_grad": jax.jit(jax.value_and_grad(loss)),
        "jacobian": jax.jit(jax.jacfwd(residuals)),
        "residuals": jax.jit(residuals),
    }
    theta = jnp.asarray(list(START.values()))
    first = {}
    for name, fn in functions.items():
        first[name] = time_call(fn, theta, repeats=3, warmup=2)["first_s"]
    # the residuals `fit` minimises are the ones differentiated here
    r = np.asarray(functions["residuals"](theta))
    value = float(functions["loss"](theta))
    assert abs(0.5 * r @ r / value - 1) < 1e-10, (0.5 * r @ r, value)
    median = interleaved(functions, theta, rounds)
    return {
        "first_call_s": first,
        "time_s": median,
        "gradient_ratio": median["value_and_grad"] / median["loss"],
        "jacobian_ratio": median["jacobian"] / median["loss"],
        "loss_function": functions["loss"],
        "value_and_grad_function": functions["value_and_grad"],
    }


# --- pnpjax fits --------------------------------------------------------------------------------


def steps_to_reach(history: np.ndarray, target: float):
    """1-based step at which the loss history first reaches `target` (None if never)."""
    hit = np.nonzero(np.asarray(history) <= target)[0]
    return int(hit[0]) + 1 if hit.size else None


def pnpjax_fit(p: dict, method: str, repeats: int) -> dict:
    params = parameters()

    def run():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return pj.fit(p["truth"], params, p["data"], mesh=p["mesh"], method=method)

    timing = time_call(run, repeats=repeats, warmup=1)
    result = timing["value"]
    return {
        "method": method,
        "first_call_s": timing["first_s"],
        "time_s": timing["median_s"],
        "min_s": timing["min_s"],
        "steps": result.steps,
        "evaluations": result.evaluations,
        "converged": result.converged,
        "loss": result.loss,
        "reduced_chi_squared": result.reduced_chi_squared,
        "parameters": result.parameters,
        "errors": result.errors,
        "history": result.history,
    }


@contextlib.contextmanager
def single_threaded_blas():
    """Limit the OpenBLAS bundled with NumPy and SciPy to one thread (what threadpoolctl
    does; best effort), restoring the thread counts on exit. Yields the libraries limited.
    With two threads competing with XLA's on two cores, SciPy's L-BFGS-B routine (`setulb`,
    small BLAS calls) took 3 ms per call instead of 0.05 ms once JAX had run; Nelder–Mead is
    unaffected."""
    import ctypes
    import glob
    import importlib.util

    restore, limited = [], []
    for package in ("numpy", "scipy"):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        libs = Path(list(spec.submodule_search_locations)[0]).parent / f"{package}.libs"
        for path in glob.glob(str(libs / "*openblas*.so*")):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for suffix in ("64_", ""):
                setter = getattr(lib, f"scipy_openblas_set_num_threads{suffix}", None)
                getter = getattr(lib, f"scipy_openblas_get_num_threads{suffix}", None)
                if setter is not None and getter is not None:
                    restore.append((setter, getter()))
                    setter(1)
                    limited.append(Path(path).name)
                    break
    try:
        yield limited
    finally:
        for setter, threads in restore:
            setter(threads)


# --- Nelder–Mead baseline ------------------------------------------------------------------------


def physical(z: np.ndarray) -> np.ndarray:
    """θ(z) with the transforms `fit` uses, anchored at START (z = 0); an overflowing z gives
    inf (a non-finite loss, which the optimisers reject)."""

    def exp(x):
        return math.exp(x) if x < 700.0 else math.inf

    theta = []
    for zi, (name, (lo, hi)) in zip(z, BOUNDS.items()):
        origin = START[name]
        if hi is None:  # lower bound only: log transform
            theta.append(lo + (origin - lo) * exp(zi))
        else:  # both bounds: logistic
            shift = math.log((origin - lo) / (hi - origin))
            theta.append(lo + (hi - lo) / (1.0 + exp(-(zi + shift))))
    return np.array(theta)


def slopes(theta: np.ndarray) -> np.ndarray:
    """dθ/dz of `physical` at θ."""
    out = []
    for t, (lo, hi) in zip(theta, BOUNDS.values()):
        out.append(t - lo if hi is None else (t - lo) * (hi - t) / (hi - lo))
    return np.array(out)


def nelder_mead(loss, simplex: float, reference: float) -> dict:
    """SciPy's Nelder–Mead on the jitted loss (already compiled), from z = 0."""
    values, stamps = [], []
    start = time.perf_counter()

    def objective(z):
        value = float(loss(physical(z)))
        values.append(value)
        stamps.append(time.perf_counter() - start)
        return value if math.isfinite(value) else math.inf

    z0 = np.zeros(len(BOUNDS))
    outcome = scipy.optimize.minimize(
        objective,
        z0,
        method="Nelder-Mead",
        options=dict(
            initial_simplex=np.vstack([z0, simplex * np.eye(len(z0))]),
            xatol=1e-6,
            fatol=1e-7 * reference,
            maxfev=NM_MAXFEV,
        ),
    )
    wall = time.perf_counter() - start
    best = np.minimum.accumulate(values)
    reach = steps_to_reach(best, reference * (1 + SAME_LOSS))
    theta = physical(outcome.x)
    return {
        "simplex": simplex,
        "time_s": wall,
        "evaluations": int(outcome.nfev),
        "iterations": int(outcome.nit),
        "success": bool(outcome.success),
        "message": str(outcome.message),
        "loss": float(outcome.fun),
        "relative_loss_excess": float(outcome.fun) / reference - 1,
        "reached_same_loss": bool(outcome.fun <= reference * (1 + SAME_LOSS)),
        "evaluations_to_same_loss": reach,
        "time_to_same_loss_s": stamps[reach - 1] if reach else None,
        "parameters": dict(zip(BOUNDS, theta.tolist())),
        "non_finite_evaluations": int(np.sum(~np.isfinite(values))),
    }


def scipy_lbfgsb(value_and_grad, reference: float) -> dict:
    """A second gradient-based reference: SciPy's L-BFGS-B (unbounded) on the same loss in the
    same z, with pnpjax's gradient (chain rule through the transforms in NumPy)."""
    values, stamps = [], []
    start = time.perf_counter()

    def objective(z):
        theta = physical(z)
        value, grad = value_and_grad(theta)
        values.append(float(value))
        stamps.append(time.perf_counter() - start)
        if not math.isfinite(values[-1]):
            return math.inf, np.zeros_like(z)
        return values[-1], np.asarray(grad) * slopes(theta)

    outcome = scipy.optimize.minimize(
        objective,
        np.zeros(len(BOUNDS)),
        jac=True,
        method="L-BFGS-B",
        options=dict(ftol=1e-7 * SAME_LOSS, gtol=1e-9, maxiter=1000),
    )
    wall = time.perf_counter() - start
    reach = steps_to_reach(np.minimum.accumulate(values), reference * (1 + SAME_LOSS))
    return {
        "time_s": wall,
        "evaluations": int(outcome.nfev),
        "iterations": int(outcome.nit),
        "success": bool(outcome.success),
        "message": str(outcome.message),
        "loss": float(outcome.fun),
        "relative_loss_excess": float(outcome.fun) / reference - 1,
        "reached_same_loss": bool(outcome.fun <= reference * (1 + SAME_LOSS)),
        "evaluations_to_same_loss": reach,
        "time_to_same_loss_s": stamps[reach - 1] if reach else None,
        "parameters": dict(zip(BOUNDS, physical(outcome.x).tolist())),
    }


# --- impedance spectrum gradient -----------------------------------------------------------------


def single_ion_cell(j0_left=20.0, j0_right=20.0, length=50e-9):
    """A Li⁺ conductor (frozen anion background) between two Li electrodes with Butler–Volmer
    exchange, as `tests/helpers.py`."""
    carriers = {SPECIES: pj.Carrier(0.0, 1e28, diffusivity=1e-12)}
    layer = pj.Phase("a", eps_r=20.0, carriers=carriers, thickness=length, background_charge=-1e26)
    return pj.Junction(
        [layer],
        pj.ReferenceBulk("a", {SPECIES: 1e26}),
        left=pj.Electrode(0.0, exchange=(pj.ButlerVolmer(SPECIES, j0_left),)),
        right=pj.Electrode(0.0, exchange=(pj.ButlerVolmer(SPECIES, j0_right, 0.3),)),
        temperature=298.15,
    )


def spectrum_gradient(rounds: int) -> dict:
    truth = single_ion_cell()
    mesh = pj.Mesh.auto(truth)
    spectrum = pj.Spectrum(np.logspace(0, 10, 31), area=1e-6)
    measured = np.asarray(spectrum.predict(truth, mesh))
    measured = measured * np.exp(NOISE * np.random.default_rng(SEED).standard_normal(31))

    def exchange(j):
        return (j.left.exchange[0].exchange_current, j.right.exchange[0].exchange_current)

    params = [
        pj.Parameter(
            "D", lambda j: j.phases[0].carriers[SPECIES].diffusivity, initial=3e-12, lower=0.0
        ),
        pj.Parameter("eps_r", lambda j: j.phases[0].eps_r, initial=14.0, lower=1.0),
        pj.Parameter("j0", exchange, initial=8.0, lower=0.0),
    ]
    data = pj.Data(spectrum, measured, relative=NOISE)
    loss = pj.fit_loss(truth, params, data, mesh=mesh)
    functions = {"loss": jax.jit(loss), "value_and_grad": jax.jit(jax.value_and_grad(loss))}
    theta = jnp.array([3e-12, 14.0, 8.0])
    first = {name: time_call(fn, theta, repeats=3)["first_s"] for name, fn in functions.items()}
    median = interleaved(functions, theta, rounds)
    return {
        "nodes": mesh.n_nodes,
        "frequencies": 31,
        "first_call_s": first,
        "time_s": median,
        "gradient_ratio": median["value_and_grad"] / median["loss"],
    }


# --- report --------------------------------------------------------------------------------------


def repeated(run, runs: int) -> dict:
    """The first outcome of `runs` identical (deterministic) SciPy runs, with the median wall
    time of all of them."""
    outcomes = [run() for _ in range(runs)]
    assert len({o["evaluations"] for o in outcomes}) == 1, "a SciPy run was not reproducible"
    first = outcomes[0]
    first["time_s"] = statistics.median(o["time_s"] for o in outcomes)
    first["runs"] = runs
    return first


def measure(s: dict) -> dict:
    p = profile_problem(s["nonideal"], s["points"])
    label = "non-ideal" if s["nonideal"] else "ideal"
    print(
        f"LiCoO2 | Li3PS4 ({label}), {p['mesh'].n_nodes} nodes, {s['points']} profile points "
        f"over ±{WINDOW * 1e9:g} nm, 3 free parameters",
        flush=True,
    )
    costs = evaluation_costs(p, s["eval_repeats"])
    loss, value_and_grad = costs.pop("loss_function"), costs.pop("value_and_grad_function")
    t = costs["time_s"]
    print(
        f"  loss {1e3 * t['loss']:.3f} ms, value_and_grad {1e3 * t['value_and_grad']:.3f} ms "
        f"({costs['gradient_ratio']:.2f}×), jacobian {1e3 * t['jacobian']:.3f} ms",
        flush=True,
    )
    lm = pnpjax_fit(p, "levenberg-marquardt", s["repeats"])
    print(f"  LM: {1e3 * lm['time_s']:.1f} ms, {lm['steps']} steps", flush=True)
    lbfgs = pnpjax_fit(p, "lbfgs", s["repeats"]) if s["lbfgs"] else None
    if lbfgs:
        print(f"  L-BFGS: {1e3 * lbfgs['time_s']:.1f} ms, {lbfgs['evaluations']} evals", flush=True)
    reference = lm["loss"]
    for fit_, per_evaluation in ((lm, t["jacobian"]), (lbfgs, t["value_and_grad"])):
        if fit_ is None:
            continue
        fit_["steps_to_same_loss"] = steps_to_reach(fit_["history"], reference * (1 + SAME_LOSS))
        fit_["evaluation_s"] = per_evaluation
        fit_["forward_equivalents"] = fit_["evaluations"] * per_evaluation / t["loss"]
        fit_["wall_in_forward_solves"] = fit_["time_s"] / t["loss"]
        fit_["relative_loss_excess"] = fit_["loss"] / reference - 1
        fit_["reached_same_loss"] = bool(fit_["loss"] <= reference * (1 + SAME_LOSS))
    runs = max(2, s["repeats"] // 3)
    with single_threaded_blas() as blas:
        nm = repeated(lambda: nelder_mead(loss, s["simplex"], reference), runs)
        print(f"  Nelder–Mead: {nm['time_s']:.2f} s, {nm['evaluations']} evaluations", flush=True)
        sensitivity = []
        if not s["quick"]:
            sensitivity = [nelder_mead(loss, size, reference) for size in SIMPLEX_SIZES]
        lbfgsb = repeated(lambda: scipy_lbfgsb(value_and_grad, reference), runs)
        lbfgsb["forward_equivalents"] = lbfgsb["evaluations"] * costs["gradient_ratio"]
    spectrum = spectrum_gradient(s["eval_repeats"]) if s["spectrum"] else None
    ratios = {
        "nm_over_lm_time": nm["time_s"] / lm["time_s"],
        "nm_evaluations_over_lm_forward_equivalents": nm["evaluations"] / lm["forward_equivalents"],
    }
    if nm["evaluations_to_same_loss"] and lm["steps_to_same_loss"]:
        ratios["nm_over_lm_forward_solves_to_same_loss"] = nm["evaluations_to_same_loss"] / (
            lm["steps_to_same_loss"] * costs["jacobian_ratio"]
        )
    if lbfgs:
        ratios["nm_over_lbfgs_time"] = nm["time_s"] / lbfgs["time_s"]
        ratios["nm_evaluations_over_lbfgs_forward_equivalents"] = (
            nm["evaluations"] / lbfgs["forward_equivalents"]
        )
    return {
        "problem": {
            "model": f"pnpjax.examples.cathode_electrolyte(nonideal={s['nonideal']})",
            "nodes": p["mesh"].n_nodes,
            "interface_m": p["interface"],
            "positions_m": np.asarray(p["observable"].x),
            "resolution_m": RESOLUTION,
            "noise": NOISE,
            "seed": SEED,
            "truth": TRUTH,
            "start": START,
            "bounds": BOUNDS,
            "data": np.asarray(p["data"].values),
        },
        "costs": costs,
        "levenberg_marquardt": lm,
        "lbfgs": lbfgs,
        "nelder_mead": nm,
        "nelder_mead_simplex_sizes": sensitivity,
        "scipy_lbfgsb_with_pnpjax_gradient": lbfgsb,
        "scipy_blas_limited_to_one_thread": blas,
        "spectrum_gradient": spectrum,
        "ratios": ratios,
        "meets_gradient_target": costs["gradient_ratio"] <= TARGET_GRADIENT,
    }


def rows(r: dict) -> list[dict]:
    lm, lb, nm, c = r["levenberg_marquardt"], r["lbfgs"], r["nelder_mead"], r["costs"]
    t = c["time_s"]

    def params(values):
        return " / ".join(f"{values[k]:.4g}" for k in TRUTH)

    out = [
        dict(what="forward solve (jit fit_loss)", time=1e3 * t["loss"], cost=1.0),
        dict(
            what="loss + gradient (value_and_grad)",
            time=1e3 * t["value_and_grad"],
            cost=c["gradient_ratio"],
        ),
        dict(
            what="residual Jacobian (jacfwd, 3 tangents)",
            time=1e3 * t["jacobian"],
            cost=c["jacobian_ratio"],
        ),
    ]
    if r["spectrum_gradient"]:
        sp = r["spectrum_gradient"]
        out += [
            dict(what=f"spectrum ({sp['frequencies']} f): loss", time=1e3 * sp["time_s"]["loss"]),
            dict(
                what="spectrum: loss + gradient",
                time=1e3 * sp["time_s"]["value_and_grad"],
                cost=sp["gradient_ratio"],
            ),
        ]

    def fit_row(label, f, steps, evaluations, reach):
        return dict(
            what=label,
            time=1e3 * f["time_s"],
            steps=f"{steps} / {evaluations}",
            reach=reach,
            cost=f["forward_equivalents"],
            wall=f["time_s"] / t["loss"],
            loss=f["loss"],
            converged=f.get("converged", f.get("success")),
            same=f["reached_same_loss"],
            values=params(f["parameters"]),
        )

    for name, f in (("pnpjax LM", lm), ("pnpjax L-BFGS", lb)):
        if f is not None:
            label = f"{name} (first call {f['first_call_s']:.1f} s)"
            out.append(fit_row(label, f, f["steps"], f["evaluations"], f["steps_to_same_loss"]))
    for extra in [nm] + r["nelder_mead_simplex_sizes"]:
        extra = dict(extra, forward_equivalents=float(extra["evaluations"]))
        label = f"SciPy Nelder–Mead, simplex {extra['simplex']:g}"
        reach = extra["evaluations_to_same_loss"]
        out.append(fit_row(label, extra, extra["iterations"], extra["evaluations"], reach))
    sb = r["scipy_lbfgsb_with_pnpjax_gradient"]
    label = "SciPy L-BFGS-B + pnpjax gradient"
    out.append(
        fit_row(label, sb, sb["iterations"], sb["evaluations"], sb["evaluations_to_same_loss"])
    )
    out.append(dict(what="truth", values=params(TRUTH)))
    return out


COLUMNS = [
    ("what", "", "s"),
    ("time", "time (ms)", ".3f"),
    ("steps", "steps / evals", "s"),
    ("reach", "to 1e-6", "d"),
    ("cost", "forward-solve equiv.", ".1f"),
    ("wall", "wall / forward", ".0f"),
    ("loss", "loss (½χ²)", ".10g"),
    ("converged", "conv.", ""),
    ("same", "same loss", ""),
    ("values", "μ° / ε_LCO / ε_LPS", "s"),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run (no simplex sweep)")
    parser.add_argument(
        "--nonideal",
        action="store_true",
        default=None,
        help="site saturation and Fermi–Dirac statistics (default: ideal carriers)",
    )
    parser.add_argument("--points", type=int, default=None, help="profile points (default 61)")
    parser.add_argument("--repeats", type=int, default=None, help="timed fits (default 10)")
    parser.add_argument(
        "--eval-repeats",
        dest="eval_repeats",
        type=int,
        default=None,
        help="rounds timing loss / gradient / Jacobian (default 30)",
    )
    parser.add_argument(
        "--simplex", type=float, default=None, help="Nelder–Mead initial step in z (0.25)"
    )
    parser.add_argument(
        "--lbfgs",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also fit with L-BFGS (full runs: yes; it compiles for ~20 s)",
    )
    parser.add_argument(
        "--spectrum",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also time the gradient of an impedance-spectrum loss (full runs: yes)",
    )
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    warn_if_busy()
    s = resolve_settings(args, DEFAULTS, QUICK)
    s["quick"] = args.quick
    result = measure(s)
    print_table(rows(result), COLUMNS)
    ratios, nm = result["ratios"], result["nelder_mead"]
    print(
        f"Nelder–Mead / LM: {ratios['nm_over_lm_time']:.1f}× the wall time, "
        f"{ratios['nm_evaluations_over_lm_forward_equivalents']:.1f}× the forward solves"
    )
    if "nm_over_lbfgs_time" in ratios:
        print(
            f"Nelder–Mead / L-BFGS: {ratios['nm_over_lbfgs_time']:.1f}× the wall time, "
            f"{ratios['nm_evaluations_over_lbfgs_forward_equivalents']:.1f}× the forward solves"
        )
    print(
        f"Nelder–Mead reached the LM loss within {SAME_LOSS:g}: "
        f"{'yes' if nm['reached_same_loss'] else 'NO'} (final excess "
        f"{nm['relative_loss_excess']:.1e}); gradient {result['costs']['gradient_ratio']:.2f}× "
        f"a forward solve (target ≤ {TARGET_GRADIENT:g}×: "
        f"{'met' if result['meets_gradient_target'] else 'NOT met'})"
    )
    name = "fitting_quick" if args.quick else "fitting"
    if s["nonideal"]:
        name = name.replace("fitting", "fitting_nonideal")
    path = write_json(
        name,
        {
            "quick": args.quick,
            "settings": s,
            "targets": {"gradient_ratio": TARGET_GRADIENT, "same_loss_relative": SAME_LOSS},
            **result,
        },
    )
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
