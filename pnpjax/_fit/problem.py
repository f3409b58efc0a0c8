"""The least-squares problem: a model, its free parameters, the data sets and their residuals."""

import equinox as eqx
import jax
import jax.numpy as jnp

from .data import Data
from .parameters import Parameter, Transform, set_parameters


class Problem(eqx.Module):
    """Everything a loss evaluation needs. The model, the data and the parameters' guesses
    and bounds are pytree leaves, so new data of the same shapes or new starting values reuse
    the compiled program; only where the parameters sit and what is observed is static."""

    model: object
    data: tuple[Data, ...]
    mesh: object
    unit: jax.Array  # optimiser coordinate u = z / unit: unit Gauss–Newton curvature at the start
    parameters: tuple[Parameter, ...] = eqx.field(static=True)
    transforms: tuple[Transform, ...]

    @property
    def jacobian_mode(self) -> str:
        """ "fwd" (p tangents) unless an observable supports reverse mode only ("bwd")."""
        return "fwd" if all(d.observable.forward_mode for d in self.data) else "bwd"

    def jacobian(self, fn):
        return jax.jacfwd(fn) if self.jacobian_mode == "fwd" else jax.jacrev(fn)

    def values(self, u):
        """Physical parameter values θ (each in its leaf's unit) at optimiser coordinates u."""
        z = u * self.unit
        return jnp.stack([t.value(z[i]) for i, t in enumerate(self.transforms)])

    def model_at(self, theta):
        return set_parameters(self.model, self.parameters, theta)

    def predictions(self, theta):
        model = self.model_at(theta)
        return tuple(d.observable.predict(model, self.mesh) for d in self.data)

    def residuals(self, theta, nuisance=None):
        """All weighted residuals (one vector) and each data set's nuisance coordinates, at
        their closed-form optimum unless `nuisance` (a tuple, one array per data set) is
        given."""
        parts, fitted = [], []
        for i, (data, prediction) in enumerate(zip(self.data, self.predictions(theta))):
            r, a = data.residuals(prediction, None if nuisance is None else nuisance[i])
            parts.append(r)
            fitted.append(a)
        return jnp.concatenate(parts), tuple(fitted)

    def weighted_residuals(self, u):
        """The residual vector at optimiser coordinates u (nuisance terms at their optimum)."""
        return self.residuals(self.values(u))[0]

    def loss(self, u):
        """½ Σ r² (the Gaussian negative log-likelihood up to a constant); +inf when a solve
        fails, which the line search treats as outside the domain."""
        r, _ = self.residuals(self.values(u))
        value = 0.5 * jnp.sum(r**2)
        return jnp.where(jnp.isfinite(value), value, jnp.inf)
