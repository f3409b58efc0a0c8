"""A measured data set: an observable, the numbers measured, their noise and nuisance terms.

The residual of point k is $r_k = (a\\,m_k + b - y_k)/\\sigma_k$ with $m_k$ the model's
observable, $y_k$ the measurement and $\\sigma_k$ its standard deviation, so that
$\\tfrac12\\sum r_k^2$ is the negative log-likelihood of Gaussian noise. With `log=True` the
comparison is $\\ln m_k + \\ln a - \\ln y_k$ (errors relative, for data spanning decades).
Complex data (impedance) contribute their real and imaginary parts.

The unknown scale $a$ (detector sensitivity, SIMS counts per m^-3, a cell constant) and offset
$b$ (a potential reference, a series resistance, which shifts only Re Z) enter linearly: for
every model they take their weighted least-squares values in closed form (variable
projection), so they need no initial guess and never slow the optimiser; they are reported
with their standard errors.

**Reference:** G. H. Golub and V. Pereyra, *Inverse Problems* 19, R1 (2003),
doi:10.1088/0266-5611/19/2/201 (separable least squares, variable projection).
"""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .observables import AbstractObservable


class Data(eqx.Module):
    """One measured data set to fit.

    **Arguments:**

    - `observable`: what was measured (`Profile`, `Spectrum`, `CurrentVoltage`,
      `CurrentTransient`, `CapacitanceCurve` or a custom `Observable`).
    - `values`: the measured numbers, one per point of the observable, in its unit (SI;
      complex for `Spectrum`).
    - `sigma`: the standard deviation of each value (a number or an array, same unit), i.e.
      weights $1/\\sigma^2$. With `log=True` it is the standard deviation of ln y (a relative
      error).
    - `relative`: instead, a relative standard deviation: $\\sigma_k$ = `relative` × |y_k|
      (proportional weighting, the usual choice for impedance and for concentrations).
    - Neither: unit weights, and the noise level is estimated from the scatter of the fit
      (the covariance is then scaled by the reduced χ²; every data set of that fit must then
      be given without a noise model).
    - `log`: compare logarithms (values must be > 0).
    - `scale`: fit an unknown positive factor a on the model (reported under `name.scale`).
    - `offset`: fit an unknown additive offset b (`name.offset`; on the real part only for
      complex data). Not with `log=True`.
    - `name`: a label for results (default `data0`, `data1`, ... in the order given to `fit`).
    """

    observable: AbstractObservable
    values: Array
    # σ of every value, from whichever noise model was given (ones without one); an array
    # leaf, like `noise_given`, so that refits with another noise model reuse the compilation
    sigma: Float[Array, " k"]
    noise_given: Array
    log: bool = eqx.field(static=True)
    scale: bool = eqx.field(static=True)
    offset: bool = eqx.field(static=True)
    name: str | None = eqx.field(static=True)

    def __init__(
        self,
        observable,
        values,
        *,
        sigma=None,
        relative=None,
        log=False,
        scale=False,
        offset=False,
        name=None,
    ):
        if not isinstance(observable, AbstractObservable):
            raise TypeError(
                "Data: observable must be a pnpjax observable (Profile, Spectrum, "
                f"CurrentVoltage, CurrentTransient, CapacitanceCurve, Observable), got "
                f"{type(observable).__name__}"
            )
        dtype = np.complex128 if observable.is_complex else np.float64
        try:
            values = np.asarray(values, dtype=dtype)
        except TypeError as error:
            message = f"Data {name or ''}: values must be {dtype.__name__} numbers"
            raise ValueError(message) from error
        if values.shape != (observable.size,):
            raise ValueError(
                f"Data {name or ''}: values must have one entry per measured point "
                f"({observable.size}), got shape {values.shape}"
            )
        if not np.all(np.isfinite(values)):
            raise ValueError(f"Data {name or ''}: values must be finite (remove missing points)")
        if sigma is not None and relative is not None:
            raise ValueError(f"Data {name or ''}: give sigma or relative, not both")
        if sigma is not None:
            sigma = np.broadcast_to(np.asarray(sigma, dtype=np.float64), values.shape).copy()
            if not np.all((sigma > 0) & np.isfinite(sigma)):
                raise ValueError(f"Data {name or ''}: sigma must be > 0 and finite")
        if relative is not None and not (np.isfinite(relative) and relative > 0):
            raise ValueError(f"Data {name or ''}: relative must be > 0, got {relative}")
        if log and observable.is_complex:
            raise ValueError(f"Data {name or ''}: log=True needs real data")
        if log and np.any(values.real <= 0):
            raise ValueError(f"Data {name or ''}: log=True needs values > 0")
        if log and offset:
            raise ValueError(
                f"Data {name or ''}: an offset is not linear in log space; use scale=True "
                "(a factor) or log=False"
            )
        if relative is not None and np.any(np.abs(values) == 0) and not log:
            raise ValueError(
                f"Data {name or ''}: relative errors need nonzero values; give sigma= instead"
            )
        self.observable = observable
        self.values = jnp.asarray(values)
        if sigma is None and relative is not None:
            sigma = np.full(values.shape, float(relative)) if log else relative * np.abs(values)
        self.noise_given = jnp.asarray(sigma is not None)
        self.sigma = jnp.asarray(np.ones(values.shape) if sigma is None else sigma)
        self.log = bool(log)
        self.scale = bool(scale)
        self.offset = bool(offset)
        self.name = name

    def renamed(self, name: str) -> "Data":
        """The same data set under another `name`."""
        return Data(
            self.observable,
            self.values,
            sigma=self.sigma if self.has_noise_model else None,
            log=self.log,
            scale=self.scale,
            offset=self.offset,
            name=name,
        )

    @property
    def has_noise_model(self) -> bool:
        return bool(self.noise_given)

    @property
    def nuisance_names(self) -> tuple[str, ...]:
        return (("scale",) if self.scale else ()) + (("offset",) if self.offset else ())

    def _flat(self, values):
        """Real vector of `values`: [Re, Im] for complex data."""
        if self.observable.is_complex:
            return jnp.concatenate([values.real, values.imag])
        return values

    def standard_deviation(self) -> Array:
        """σ of every real residual component (data unit; ln units with `log`)."""
        sigma = self.sigma
        return jnp.concatenate([sigma, sigma]) if self.observable.is_complex else sigma

    def _basis(self, model_flat):
        """Columns multiplying the nuisance parameters (natural: a, b; log: ln a)."""
        columns = []
        if self.scale:
            columns.append(jnp.ones_like(model_flat) if self.log else model_flat)
        if self.offset:
            n = self.values.shape[0]
            ones = jnp.ones(n)
            columns.append(
                jnp.concatenate([ones, jnp.zeros(n)]) if self.observable.is_complex else ones
            )
        return jnp.stack(columns, axis=1) if columns else jnp.zeros((model_flat.shape[0], 0))

    def _parts(self, prediction):
        """(model part not multiplied by a nuisance, nuisance basis, data, σ), all flat."""
        model = self._flat(prediction)
        data = self._flat(self.values)
        if self.log:
            model, data = jnp.log(model), jnp.log(data.real)
        basis = self._basis(model)
        fixed = jnp.zeros_like(model) if (self.scale and not self.log) else model
        return fixed, basis, data, self.standard_deviation()

    def residuals(self, prediction, nuisance=None):
        """Weighted residuals r_k for a model `prediction`; the nuisance parameters (in their
        fitted coordinates: a or ln a, then b) take their closed-form optimum unless given.
        Returns (residuals, nuisance coordinates)."""
        fixed, basis, data, sigma = self._parts(prediction)
        if nuisance is None:
            nuisance = self._optimal_nuisance(fixed, basis, data, sigma)
        return (fixed + basis @ nuisance - data) / sigma, nuisance

    @staticmethod
    def _optimal_nuisance(fixed, basis, data, sigma):
        if basis.shape[1] == 0:
            return jnp.zeros(0)
        weighted = basis / sigma[:, None]
        target = (data - fixed) / sigma
        normal = weighted.T @ weighted
        return jnp.linalg.solve(normal, weighted.T @ target)

    def nuisance_values(self, coordinates):
        """Reported values of the nuisance parameters: a (not ln a) and b."""
        values = np.asarray(coordinates, dtype=np.float64).copy()
        if self.scale and self.log:
            values[0] = np.exp(values[0])
        return values
