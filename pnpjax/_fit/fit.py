"""`fit`: least-squares estimation of model parameters from measured data, with uncertainties."""

import math
import warnings
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._mesh import Mesh
from .._program import program
from .data import Data
from .optimise import METHODS, Settings, least_squares, minimise
from .parameters import Parameter, current_value, make_transform, set_parameters
from .problem import Problem
from .uncertainty import NonIdentifiableWarning, covariance


class FitResult(eqx.Module):
    """The outcome of `fit` (NumPy arrays; every value in its parameter's unit).

    **Fields:**

    - `names`: fitted quantities: the free parameters, then each data set's nuisance terms
      (`name.scale`, `name.offset`).
    - `values` `[q]`, `standard_errors` `[q]` (1σ, from the Fisher information; `inf` for a
      quantity the data do not determine), `covariance` `[q, q]`, `correlation` `[q, q]`.
    - `loss`: ½χ² at the optimum; `chi_squared`, `degrees_of_freedom` (points − q) and
      `reduced_chi_squared` (≈ 1 for a good model with correct noise levels).
    - `noise_estimated`: True when no data set had a noise model, so the covariance was
      scaled by the reduced χ².
    - `history` `[steps]`: the loss at every step of the best start; `steps`, `evaluations`
      (loss-and-gradient evaluations, each one forward solve and its adjoint per data set),
      `converged`.
    - `start_losses` `[s]`, `start_values` `[s, p]`: final loss and parameters of every start.
    - `identifiable`: False when some parameter combination is not determined by the data;
      `weak_directions` `[w, q]` those combinations (unit vectors in parameters scaled to unit
      Fisher diagonal, largest component positive) and `fisher_eigenvalues` `[q]` (scaled,
      largest = 1).
    - `at_bound`: names of parameters that ended on one of their bounds (warned about: the
      data want them outside the range, and their errors mean little).
    - `model`: the model with the fitted parameters in place.
    - `predictions`: the fitted curve of each data set, nuisance terms applied, in the data's
      unit (complex for spectra); `residuals`: the weighted residuals of each data set.
    """

    names: tuple[str, ...] = eqx.field(static=True)
    values: np.ndarray
    standard_errors: np.ndarray
    covariance: np.ndarray
    correlation: np.ndarray
    loss: float
    chi_squared: float
    degrees_of_freedom: int
    reduced_chi_squared: float
    noise_estimated: bool
    history: np.ndarray
    steps: int
    evaluations: int
    converged: bool
    start_losses: np.ndarray
    start_values: np.ndarray
    identifiable: bool
    at_bound: tuple[str, ...] = eqx.field(static=True)
    weak_directions: np.ndarray
    fisher_eigenvalues: np.ndarray
    model: object
    predictions: tuple
    residuals: tuple

    @property
    def parameters(self) -> dict[str, float]:
        """Fitted values by name."""
        return dict(zip(self.names, self.values.tolist()))

    @property
    def errors(self) -> dict[str, float]:
        """Standard errors (1σ) by name."""
        return dict(zip(self.names, self.standard_errors.tolist()))

    def summary(self) -> str:
        """A table of values ± standard errors, χ² and identifiability."""
        width = max(len(n) for n in self.names)
        lines = [f"{'parameter':<{width}}  {'value':>14}  {'std. error':>11}  {'rel.':>8}"]
        for name, value, error in zip(self.names, self.values, self.standard_errors):
            rel = abs(error / value) if value != 0 else math.inf
            lines.append(f"{name:<{width}}  {value:>14.7g}  {error:>11.3g}  {rel:>8.2%}")
        lines.append(
            f"χ² = {self.chi_squared:.4g} for {self.degrees_of_freedom} degrees of freedom "
            f"(reduced {self.reduced_chi_squared:.3g}); {self.steps} steps, "
            f"{self.evaluations} evaluations, converged: {self.converged}"
        )
        if not self.identifiable:
            lines.append("NOT identifiable: " + "; ".join(self.describe_weak_directions()))
        return "\n".join(lines)

    def describe_weak_directions(self) -> list[str]:
        """Each undetermined combination as text, e.g. '0.71·mu_a − 0.71·mu_b'."""
        out = []
        for vector in self.weak_directions:
            terms = [
                f"{'−' if c < 0 else '+'} {abs(c):.2f}·{n}"
                for c, n in zip(vector, self.names)
                if abs(c) > 0.1
            ]
            out.append(" ".join(terms).lstrip("+ "))
        return out


def _starting_points(problem: Problem, starts, seed: int):
    transforms, names = problem.transforms, [p.name for p in problem.parameters]
    if starts is None:
        return np.zeros((1, len(transforms)))
    if isinstance(starts, int):
        if starts < 1:
            raise ValueError(f"fit: starts must be ≥ 1, got {starts}")
        rng = np.random.default_rng(seed)
        z = rng.uniform(-1.0, 1.0, size=(starts, len(transforms)))
        for j, t in enumerate(transforms):
            if t.kind == "interval":
                theta = rng.uniform(t.a, t.b, size=starts)
                z[:, j] = t.coordinate(np.clip(theta, *np.nextafter([t.a, t.b], [t.b, t.a])))
        z[0] = 0.0
        return z
    theta = np.asarray(starts, dtype=np.float64)
    if theta.ndim != 2 or theta.shape[1] != len(transforms):
        raise ValueError(
            f"fit: starts must be an int or an array [n_starts, {len(transforms)}] of values "
            f"for {names}, got shape {theta.shape}"
        )
    for j, t in enumerate(transforms):
        for value in theta[:, j]:
            if not t.inside(value):
                raise ValueError(
                    f"fit: starting value {value} of {names[j]!r} lies outside its bounds"
                )
    return np.stack([t.coordinate(theta[:, j]) for j, t in enumerate(transforms)], axis=1)


class _Linearisation(eqx.Module):
    predictions: tuple
    nuisance: tuple
    residuals: jax.Array
    jacobian: jax.Array  # [points, parameters + nuisance coordinates]
    slopes: jax.Array  # dθ/dz of every parameter


def _linearisation(problem: Problem, u) -> _Linearisation:
    """Everything at one point: the predictions, the nuisance terms at their optimum and the
    Jacobian of the residuals in [θ, nuisance coordinates]."""
    theta = problem.values(u)
    predictions = problem.predictions(theta)
    nuisance = tuple(d.residuals(m)[1] for d, m in zip(problem.data, predictions))
    sizes = [a.shape[0] for a in nuisance]

    def residuals(flat):
        parts = jnp.split(flat[theta.shape[0] :], np.cumsum(sizes)[:-1]) if sizes else []
        return problem.residuals(flat[: theta.shape[0]], tuple(parts))[0]

    flat = jnp.concatenate([theta, *nuisance])
    slopes = jnp.diag(jax.jacfwd(problem.values)(u)) / problem.unit
    parts = zip(problem.data, predictions, nuisance)
    r = jnp.concatenate([d.residuals(m, a)[0] for d, m, a in parts])
    return _Linearisation(predictions, nuisance, r, problem.jacobian(residuals)(flat), slopes)


_linearise = program(_linearisation)


@program
def _run(problem: Problem, z0, settings: Settings):
    """Every start optimised (vmapped) and linearised where it ends, in one program: the
    solvers' Jacobian code is compiled once for both."""

    def one(z):
        if settings.method == "levenberg-marquardt":
            mode = problem.jacobian_mode
            outcome = least_squares(problem.weighted_residuals, z, settings, mode)
        else:
            outcome = minimise(problem.loss, z, settings)
        return outcome, _linearisation(problem, outcome.z)

    if z0.shape[0] == 1:  # a batch of one without vmap's batching overhead
        return jax.tree_util.tree_map(lambda leaf: leaf[None], one(z0[0]))
    return jax.vmap(one)(z0)


def _problem(model, parameters, data, mesh) -> Problem:
    """Check the inputs of `fit`/`fit_loss` and assemble the least-squares problem."""
    parameters = tuple(parameters)
    data = (data,) if isinstance(data, Data) else tuple(data)
    if not parameters:
        raise ValueError("fit: give at least one free Parameter")
    if not all(isinstance(p, Parameter) for p in parameters):
        raise TypeError("fit: parameters must be pnpjax.Parameter objects")
    if not data or not all(isinstance(d, Data) for d in data):
        raise TypeError("fit: data must be one or more pnpjax.Data sets")
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        raise ValueError(f"fit: parameter names must be unique, got {names}")
    noise = {d.has_noise_model for d in data}
    if len(noise) > 1:
        raise ValueError(
            "fit: give every data set a noise model (sigma= or relative=) or none of them; "
            "combining data sets needs their relative weights"
        )
    data = tuple(d if d.name is not None else d.renamed(f"data{i}") for i, d in enumerate(data))
    data_names = [d.name for d in data]
    if len(set(data_names)) != len(data_names):
        raise ValueError(f"fit: data set names must be unique, got {data_names}")
    for p in parameters:
        current_value(p, model)  # the leaves exist and are scalars
    transforms = tuple(make_transform(p, model) for p in parameters)
    if mesh is None:
        mesh = Mesh.auto(set_parameters(model, parameters, [float(t.origin) for t in transforms]))
    located = tuple(p.located() for p in parameters)
    return Problem(model, data, mesh, jnp.ones(len(parameters)), located, transforms)


def fit_loss(
    model,
    parameters: Sequence[Parameter],
    data: Sequence[Data] | Data,
    *,
    mesh: Mesh | None = None,
):
    """The loss `fit` minimises, as a JAX function of the parameter values: for your own
    optimiser, a sampler (the log-likelihood is −loss) or a training loop.

    **Arguments:** as in `fit`.

    **Returns:** `loss(theta)`, theta a 1D array of the free parameters' values in their
    units (in the order given), returning ½χ² with each data set's scale and offset at their
    optimum (NaN where a solve fails). Differentiable (`jax.grad`, `jax.hessian`), `jit`- and
    `vmap`-able; no bounds are applied (the values are used as given).
    """
    problem = _problem(model, parameters, data, mesh)

    def loss(theta):
        r, _ = problem.residuals(jnp.asarray(theta, dtype=jnp.float64))
        return 0.5 * jnp.sum(r**2)

    return loss


def fit(
    model,
    parameters: Sequence[Parameter],
    data: Sequence[Data] | Data,
    *,
    mesh: Mesh | None = None,
    method: str = "levenberg-marquardt",
    starts=None,
    seed: int = 0,
    max_steps: int = 200,
    gtol: float = 1e-9,
    ftol: float = 1e-14,
    xtol: float = 1e-10,
    learning_rate: float = 1e-2,
    memory: int = 10,
    rcond: float = 1e-10,
) -> FitResult:
    """Fit the free `parameters` of `model` to measured `data` by weighted least squares.

    Minimises $\\tfrac12\\sum_d\\sum_k r_{dk}^2$, $r = (a\\,m_k(\\theta) + b - y_k)/\\sigma_k$
    (see `Data`), over the free parameters θ (through bound-keeping transforms, see
    `Parameter`) with Levenberg–Marquardt (optimistix), L-BFGS or Adam (optax), compiled as
    one program; every derivative runs the solvers' implicit (tangent or adjoint)
    derivatives, not unrolled iterations. Several starting
    points run at once under `jax.vmap` and the best is kept. The covariance of the estimates
    is the inverse Fisher (Gauss–Newton) matrix at the optimum; parameter combinations the data
    do not determine are reported (and warned about, `NonIdentifiableWarning`).

    **Arguments:**

    - `model`: a `Junction` (or any pytree the observables accept) holding the fixed values
      and the initial guesses.
    - `parameters`: the free `Parameter`s.
    - `data`: one or more `Data` sets (fitted jointly).
    - `mesh`: the `Mesh` every solve uses (default `Mesh.auto` of the model at the initial
      guess;
      pass a finer one if the fitted parameters shrink the Debye length a lot).
    - `method`: `"levenberg-marquardt"` (default; optimistix: Gauss–Newton in a trust region,
      one Jacobian per step, robust from poor guesses), `"lbfgs"` (optax, one gradient per
      evaluation: for many parameters) or `"adam"` (optax, fixed `learning_rate` in the
      unconstrained coordinates; for networks and noisy losses).
    - `starts`: `None` (the initial guess), an int n (the initial guess and n − 1 random
      points: uniform within both bounds where given, else z uniform in [−1, 1], i.e. within
      a factor e for a positive parameter or ±`scale` for an unbounded one; `seed` fixes them),
      or an array `[n, p]` of starting values in the parameters' units.
    - `max_steps`: iteration limit per start.
    - `xtol`: Levenberg–Marquardt stops when a step changes the unconstrained coordinates
      (a relative change for a log-transformed parameter) and the residuals by less than
      `xtol` (relative and absolute). L-BFGS stops on the same step size, or when a step
      lowers the loss by less than `ftol` relative, or when every gradient component is below
      `gtol` × (1 + loss); Adam on the gradient only.
    - `memory`: L-BFGS history length.
    - `rcond`: scaled Fisher eigenvalues below `rcond` × the largest mark a non-identifiable
      combination.

    **Returns:** a `FitResult`.

    **Raises:** `ValueError` for inconsistent inputs; `RuntimeError` when the loss is not finite
    at every starting point (a solve failed there: the result names the start).
    """
    if method not in METHODS:
        raise ValueError(f"fit: method must be one of {METHODS}, got {method!r}")
    problem = _problem(model, parameters, data, mesh)
    parameters, data, transforms = problem.parameters, problem.data, problem.transforms
    names = [p.name for p in parameters]
    z0 = _starting_points(problem, starts, seed)
    n_theta = len(parameters)
    unit = np.ones(n_theta)
    if method == "lbfgs":
        # Jacobi preconditioning: L-BFGS works in coordinates scaled to unit Gauss–Newton
        # curvature at the initial guess, so that μ° in eV and ε_r of order ten look alike to
        # it (Levenberg–Marquardt is invariant to it; Adam's learning rate is a step in z)
        start = _linearise(problem, jnp.zeros(n_theta))
        jacobian = np.asarray(start.jacobian[:, :n_theta]) * np.asarray(start.slopes)
        curvature = np.sum(jacobian**2, axis=0)
        usable = np.isfinite(curvature) & (curvature > 0)
        unit = np.where(usable, 1.0 / np.sqrt(np.where(usable, curvature, 1.0)), 1.0)
    problem = eqx.tree_at(lambda p: p.unit, problem, jnp.asarray(unit))
    z0 = jnp.asarray(z0 / unit)
    settings = Settings(method, int(max_steps), gtol, ftol, xtol, learning_rate, int(memory))
    outcome, ends = _run(problem, z0, settings)
    losses = np.asarray(outcome.loss)
    if not np.any(np.isfinite(losses)):
        guess = {p.name: float(t.origin) for p, t in zip(parameters, transforms)}
        raise RuntimeError(
            "fit: the loss is not finite at any starting point: a solve failed there (initial "
            f"guess {guess}). Solve the model at the starting values directly to see why, or "
            "start elsewhere."
        )
    best = int(np.nanargmin(np.where(np.isfinite(losses), losses, np.nan)))
    optimum = jax.tree_util.tree_map(lambda leaf: leaf[best], ends)
    theta, nuisance = problem.values(outcome.z[best]), optimum.nuisance
    r, jacobian = np.asarray(optimum.residuals), np.asarray(optimum.jacobian)
    chi2 = float(r @ r)
    n_points, n_fitted = r.shape[0], jacobian.shape[1]
    dof = n_points - n_fitted
    noise_estimated = not data[0].has_noise_model
    scale = chi2 / dof if (noise_estimated and dof > 0) else 1.0
    cov, errors, correlation, eigenvalues, weak = covariance(jacobian, scale, rcond)
    largest = np.argmax(np.abs(weak), axis=1) if weak.size else np.zeros(0, int)
    weak = weak * np.sign(weak[np.arange(weak.shape[0]), largest])[:, None]

    values = [np.asarray(theta)]
    fitted_names = list(names)
    offset = len(names)
    for d, a in zip(data, nuisance):
        values.append(d.nuisance_values(a))
        fitted_names += [f"{d.name}.{n}" for n in d.nuisance_names]
        if d.scale and d.log:  # reported a = exp(ln a): delta method
            a_value = float(np.exp(np.asarray(a)[0]))
            errors[offset] *= a_value
            cov[offset, :] *= a_value
            cov[:, offset] *= a_value
        offset += len(d.nuisance_names)
    values = np.concatenate(values)

    steps = int(outcome.steps[best])
    fitted_model = problem.model_at(theta)
    predictions, residual_parts = [], []
    for d, prediction, a in zip(data, optimum.predictions, nuisance):
        part_r, _ = d.residuals(prediction, a)
        residual_parts.append(np.asarray(part_r))
        fixed, basis, _, _ = d._parts(prediction)
        curve = np.asarray(fixed + basis @ a)
        if d.log:
            curve = np.exp(curve)
        if d.observable.is_complex:
            half = curve.shape[0] // 2
            curve = curve[:half] + 1j * curve[half:]
        predictions.append(curve)

    result = FitResult(
        names=tuple(fitted_names),
        values=values,
        standard_errors=errors,
        covariance=cov,
        correlation=correlation,
        loss=0.5 * chi2,
        chi_squared=chi2,
        degrees_of_freedom=dof,
        reduced_chi_squared=chi2 / dof if dof > 0 else math.nan,
        noise_estimated=noise_estimated,
        history=np.asarray(outcome.history[best][:steps]),
        steps=steps,
        evaluations=int(outcome.evaluations[best]),
        converged=bool(outcome.converged[best]),
        start_losses=losses,
        start_values=np.asarray(jax.vmap(problem.values)(outcome.z)),
        identifiable=weak.shape[0] == 0,
        at_bound=tuple(n for n, t, v in zip(names, transforms, np.asarray(theta)) if t.at_bound(v)),
        weak_directions=weak,
        fisher_eigenvalues=eigenvalues,
        model=fitted_model,
        predictions=tuple(predictions),
        residuals=tuple(residual_parts),
    )
    if not result.identifiable:
        warnings.warn(
            "fit: the data do not determine "
            + "; ".join(result.describe_weak_directions())
            + " (their standard errors are reported as inf). Fix one of them, add data that "
            "separates them, or fit their combination.",
            NonIdentifiableWarning,
            stacklevel=2,
        )
    if result.at_bound:
        warnings.warn(
            f"fit: {', '.join(result.at_bound)} ended on a bound: the data push it out of its "
            "range (a wrong minimum from a poor start, or a bound that excludes the truth). "
            "Try other starts (starts=) or wider bounds; its standard error means little.",
            RuntimeWarning,
            stacklevel=2,
        )
    if not result.converged:
        warnings.warn(
            f"fit: stopped after {steps} steps without meeting the tolerance (loss "
            f"{result.loss:.6g}); raise max_steps or check the history",
            RuntimeWarning,
            stacklevel=2,
        )
    return result
