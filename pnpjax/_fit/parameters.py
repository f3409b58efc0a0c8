"""Free parameters of a fit: where they live in the model and how their bounds are kept.

An optimiser works best on unconstrained coordinates of order one. Each `Parameter` maps an
unconstrained $z$ to its physical value $\\theta$:

- no bounds: $\\theta = \\theta_0 + s z$, with $s$ the parameter's `scale`;
- a lower bound $a$: $\\theta = a + (\\theta_0 - a)e^{z}$ (a log transform: relative steps);
- an upper bound $b$: $\\theta = b - (b - \\theta_0)e^{z}$;
- both: $\\theta = a + (b - a)\\,\\mathrm{sigmoid}(z + \\mathrm{logit}((\\theta_0-a)/(b-a)))$,

so that $z = 0$ is the initial guess and every $z$ is admissible.

**Reference:** the transforms of bounded least squares in, e.g., MINUIT (F. James and M. Roos,
*Comput. Phys. Commun.* 10, 343 (1975), doi:10.1016/0010-4655(75)90039-9).
"""

import math
from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


class Parameter(eqx.Module):
    """A model parameter to fit; everything not marked free stays as in the model.

    **Arguments:**

    - `name`: the name results are reported under.
    - `where`: a function from the model (usually a `Junction`) to the leaf to fit, as in
      `equinox.tree_at`, e.g. `lambda j: j.phases[1].carriers["Li_i^•"].mu0`. Return a tuple of
      leaves to tie them to one value (e.g. both permittivities of a symmetric cell).
    - `initial`: the initial guess, in the leaf's unit (eV for μ°, 1 for ε_r, ...); default:
      the model's current value.
    - `lower`, `upper`: optional bounds in the same unit (exclusive: the transform never
      reaches them). A positive quantity wants `lower=0`, which fits its logarithm.
    - `scale`: the size of a typical change for an unbounded parameter (default |initial|, or
      1 when the initial value is 0), so that the optimiser sees steps of order one.
    """

    name: str = eqx.field(static=True)
    where: Callable = eqx.field(static=True)
    initial: float | None = eqx.field(static=True, default=None)
    lower: float | None = eqx.field(static=True, default=None)
    upper: float | None = eqx.field(static=True, default=None)
    scale: float | None = eqx.field(static=True, default=None)

    def __check_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Parameter: name must be a non-empty string, got {self.name!r}")
        if not callable(self.where):
            raise TypeError(
                f"Parameter {self.name!r}: where must be a function from the model to the leaf "
                f"to fit (e.g. lambda j: j.phases[0].eps_r), got {type(self.where).__name__}"
            )
        for label in ("initial", "lower", "upper", "scale"):
            value = getattr(self, label)
            if value is not None and not math.isfinite(float(value)):
                raise ValueError(
                    f"Parameter {self.name!r}: {label} must be a finite number, got {value}"
                )
        if self.lower is not None and self.upper is not None and self.lower >= self.upper:
            raise ValueError(
                f"Parameter {self.name!r}: lower ({self.lower}) must be below upper ({self.upper})"
            )
        if self.scale is not None and self.scale <= 0:
            raise ValueError(f"Parameter {self.name!r}: scale must be > 0, got {self.scale}")

    def located(self) -> "Parameter":
        """This parameter without its guess and bounds: what a compiled fit depends on."""
        return Parameter(self.name, self.where)

    def leaves(self, model) -> tuple:
        """The model leaves this parameter sets (a tuple, one or more)."""
        found = self.where(model)
        return tuple(found) if isinstance(found, (tuple, list)) else (found,)


class Transform(eqx.Module):
    """The map between the unconstrained z and a parameter's value, fixed at the start of a fit.

    `kind` is "linear", "lower", "upper" or "interval"; `a`, `b` the bounds, `origin` the
    initial value and `scale` the linear step. The numbers are array leaves, so a new initial
    guess or new bounds reuse the compiled fit.
    """

    kind: str = eqx.field(static=True)
    origin: jax.Array
    a: jax.Array
    b: jax.Array
    scale: jax.Array

    def value(self, z):
        """Physical value θ(z) (the parameter's unit)."""
        if self.kind == "linear":
            return self.origin + self.scale * z
        if self.kind == "lower":
            return self.a + (self.origin - self.a) * jnp.exp(z)
        if self.kind == "upper":
            return self.b - (self.b - self.origin) * jnp.exp(z)
        shift = jnp.log((self.origin - self.a) / (self.b - self.origin))
        return self.a + (self.b - self.a) * jax.nn.sigmoid(z + shift)

    def coordinate(self, theta):
        """The unconstrained z of a value θ inside the bounds (NumPy, for initial guesses)."""
        theta = np.asarray(theta, dtype=np.float64)
        origin, a, b = float(self.origin), float(self.a), float(self.b)
        if self.kind == "linear":
            return (theta - origin) / float(self.scale)
        if self.kind == "lower":
            return np.log((theta - a) / (origin - a))
        if self.kind == "upper":
            return np.log((b - theta) / (b - origin))
        return np.log((theta - a) / (b - theta)) - math.log((origin - a) / (b - origin))

    def inside(self, theta) -> bool:
        theta, a, b = float(theta), float(self.a), float(self.b)
        return (a < theta if self.kind in ("lower", "interval") else True) and (
            theta < b if self.kind in ("upper", "interval") else True
        )

    def at_bound(self, theta, tolerance: float = 1e-6) -> bool:
        """Whether θ sits on a bound (within `tolerance` of the initial distance to it): the
        data push the parameter out of its range and its error bar means little."""
        theta, origin, a, b = float(theta), float(self.origin), float(self.a), float(self.b)
        near_a = self.kind in ("lower", "interval") and theta - a <= tolerance * (origin - a)
        near_b = self.kind in ("upper", "interval") and b - theta <= tolerance * (b - origin)
        return bool(near_a or near_b)


def current_value(parameter: Parameter, model) -> float:
    """The model's present value of `parameter` (tied leaves must agree)."""
    values = []
    for leaf in parameter.leaves(model):
        try:
            arr = np.asarray(leaf, dtype=np.float64)
        except (TypeError, ValueError):
            arr = np.zeros((0,))
        if arr.shape != ():
            raise ValueError(
                f"Parameter {parameter.name!r}: where must select scalar leaves (numbers), got "
                f"a {type(leaf).__name__}; select one number, e.g. lambda j: j.phases[0].eps_r"
            )
        values.append(float(arr))
    if max(values) - min(values) > 1e-12 * max(1.0, max(abs(v) for v in values)):
        raise ValueError(
            f"Parameter {parameter.name!r}: the tied leaves differ in the model ({values}); "
            "give initial= or make them equal"
        )
    return values[0]


def make_transform(parameter: Parameter, model) -> Transform:
    """The transform of `parameter`, anchored at its initial value."""
    initial = parameter.initial
    if initial is None:
        initial = current_value(parameter, model)
    lower, upper = parameter.lower, parameter.upper
    kind = {
        (False, False): "linear",
        (True, False): "lower",
        (False, True): "upper",
        (True, True): "interval",
    }[(lower is not None, upper is not None)]
    scale = parameter.scale or (abs(initial) if initial != 0 else 1.0)
    transform = Transform(
        kind,
        jnp.asarray(float(initial)),
        jnp.asarray(float(lower) if lower is not None else -math.inf),
        jnp.asarray(float(upper) if upper is not None else math.inf),
        jnp.asarray(float(scale)),
    )
    if not transform.inside(initial):
        raise ValueError(
            f"Parameter {parameter.name!r}: the initial value {initial} must lie strictly "
            f"inside the bounds ({lower}, {upper})"
        )
    return transform


def set_parameters(model, parameters: Sequence[Parameter], values):
    """`model` with each parameter's leaves replaced by its entry of `values` (traceable)."""
    for i, parameter in enumerate(parameters):
        count = len(parameter.leaves(model))
        value = jnp.asarray(values[i], dtype=jnp.float64)

        def where(m, p=parameter):
            return p.leaves(m)

        model = eqx.tree_at(where, model, replace=(value,) * count)
    return model
