"""Kramers–Kronig validation of impedance spectra by the linear (Lin-KK) test.

A causal, linear, stable system has an impedance whose real and imaginary parts are tied by the
Kramers–Kronig relations. Rather than evaluating the KK integrals over a finite band, the Lin-KK
test fits a model that satisfies them by construction, a series resistance plus a chain of
Voigt (R‖C) elements with fixed, log-spaced time constants,

$$
Z(\\omega) \\approx R_0 + \\sum_{k=1}^{M}\\frac{R_k}{1 + i\\omega\\tau_k}
  + \\frac{1}{i\\omega C} + i\\omega L ,
$$

which is linear in $R_0, R_k, 1/C, L$, so one weighted least-squares problem finds them. The
relative residuals $(Z - Z_\\mathrm{fit})/|Z|$ are then the KK residuals: noise-like and small for
valid data, systematic where the spectrum violates causality, linearity or stationarity.

**References:** B. A. Boukamp, *J. Electrochem. Soc.* **142**, 1885 (1995),
doi:10.1149/1.2044210; M. Schönleber, D. Klotz and E. Ivers-Tiffée, *Electrochim. Acta* **131**,
20 (2014), doi:10.1016/j.electacta.2014.01.034.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Complex, Float

from .._custom_types import as_float, concrete

ELEMENTS_PER_DECADE = 7
"""Default Voigt elements per decade of the measured angular-frequency range (Schönleber et al.
found 6–8 per decade separate valid from invalid spectra without over-fitting noise)."""


class KramersKronigCheck(eqx.Module):
    """The result of a Lin-KK test (`kramers_kronig`).

    **Fields:**

    - `residual_real`, `residual_imag` `[f]`: $(Z' - Z'_\\mathrm{fit})/|Z|$ and
      $(Z'' - Z''_\\mathrm{fit})/|Z|$ (dimensionless), the KK residuals.
    - `max_residual`: the largest of their absolute values.
    - `fit` `[f]`: the fitted KK-consistent impedance (units of the input).
    - `resistances` `[M]`: $R_k$ of the Voigt elements (units of the input); may be negative.
    - `time_constants` `[M]`: $\\tau_k$ (s), log-spaced over $[1/\\omega_\\max, 1/\\omega_\\min]$.
    - `series_resistance`: $R_0$.
    - `capacitance`: series $C$ (s per unit of impedance, F for Ω); `inf` (a short) when not
      fitted.
    - `inductance`: series $L$ (impedance unit·s, H for Ω); `0` when not fitted.
    - `mu`: Schönleber's over-fitting measure
      $\\mu = 1 - \\sum_{R_k<0}|R_k| / \\sum_{R_k\\ge 0}|R_k|$; values well below ~0.85 mean the
      chain has so many elements that it starts fitting noise with alternating signs.
    """

    residual_real: Float[Array, " f"]
    residual_imag: Float[Array, " f"]
    max_residual: Float[Array, ""]
    fit: Complex[Array, " f"]
    resistances: Float[Array, " M"]
    time_constants: Float[Array, " M"]
    series_resistance: Float[Array, ""]
    capacitance: Float[Array, ""]
    inductance: Float[Array, ""]
    mu: Float[Array, ""]


def kramers_kronig(
    frequency: Float[ArrayLike, " f"],
    impedance: Complex[ArrayLike, " f"],
    *,
    n_elements: int | None = None,
    capacitance: bool = True,
    inductance: bool = True,
) -> KramersKronigCheck:
    """Linear Kramers–Kronig (Lin-KK) test of an impedance spectrum.

    Fits $Z(\\omega) \\approx R_0 + \\sum_k R_k/(1 + i\\omega\\tau_k) + 1/(i\\omega C)
    + i\\omega L$, $\\omega = 2\\pi f$, with $\\tau_k$ log-spaced over
    $[1/\\omega_\\max, 1/\\omega_\\min]$, by a single linear least-squares problem on the real
    and imaginary parts jointly, each weighted by $1/|Z|$ (Boukamp's modulus weighting):

    $$
    \\min \\sum_j \\frac{(Z'_j - Z'_\\mathrm{fit}(\\omega_j))^2
      + (Z''_j - Z''_\\mathrm{fit}(\\omega_j))^2}{|Z_j|^2} .
    $$

    Every term of the model obeys the Kramers–Kronig relations, so the relative residuals are a
    KK test: for a valid spectrum they stay at the noise level (well below 1e-3 for exact data),
    while a non-causal or drifting spectrum leaves systematic residuals of order its violation.
    Pure JAX (`jnp.linalg.lstsq`): works under `jax.jit` and is differentiable in `impedance`
    and `frequency`.

    **Arguments:**

    - `frequency`: frequencies f (Hz), positive and strictly increasing or decreasing, `[f]`.
    - `impedance`: the complex impedance Z at those frequencies (any unit, e.g. Ω·m²), `[f]`.
    - `n_elements`: number M of Voigt elements (static). Default: 7 per decade of the measured
      range, at least 1 and at most the number of frequencies; needs concrete frequencies (pass
      it explicitly when `frequency` is traced).
    - `capacitance`: also fit a series capacitance (for blocking electrodes, where Z'' → −∞ as
      ω → 0).
    - `inductance`: also fit a series inductance (for leads, where Z'' → +∞ as ω → ∞).

    **Returns:** a `KramersKronigCheck`.

    **References:** B. A. Boukamp, *J. Electrochem. Soc.* **142**, 1885 (1995),
    doi:10.1149/1.2044210; M. Schönleber, D. Klotz and E. Ivers-Tiffée, *Electrochim. Acta*
    **131**, 20 (2014), doi:10.1016/j.electacta.2014.01.034.
    """
    # Concrete copies first: inside jit even a NumPy constant becomes a tracer once converted.
    known_frequency, known_impedance = concrete(frequency), concrete(impedance, np.complex128)
    frequency = as_float(frequency)
    impedance = jnp.asarray(impedance, dtype=jnp.complex128)
    n_elements = _validate(
        frequency, impedance, known_frequency, known_impedance, n_elements, capacitance, inductance
    )

    omega = 2 * jnp.pi * frequency
    log_tau = jnp.linspace(-jnp.log(jnp.max(omega)), -jnp.log(jnp.min(omega)), n_elements)
    tau = jnp.exp(log_tau)
    # Real and imaginary parts of each basis function (strict dtype promotion: no float*complex).
    wt = omega[:, None] * tau[None, :]
    ones, zeros = jnp.ones_like(omega), jnp.zeros_like(omega)
    real_columns = [ones[:, None], 1 / (1 + wt**2)]
    imag_columns = [zeros[:, None], -wt / (1 + wt**2)]
    if capacitance:
        real_columns.append(zeros[:, None])
        imag_columns.append(-1 / omega[:, None])
    if inductance:
        real_columns.append(zeros[:, None])
        imag_columns.append(omega[:, None])
    basis_real = jnp.concatenate(real_columns, axis=1)
    basis_imag = jnp.concatenate(imag_columns, axis=1)

    modulus = jnp.abs(impedance)
    weight = jnp.concatenate([modulus, modulus])
    design = jnp.concatenate([basis_real, basis_imag]) / weight[:, None]
    target = jnp.concatenate([impedance.real, impedance.imag]) / weight
    # Equilibrate the columns: 1/ω and ω span many decades, and the SVD cut-off of lstsq is
    # relative to the largest singular value.
    scale = jnp.linalg.norm(design, axis=0)
    scaled, _, _, _ = jnp.linalg.lstsq(design / scale, target)
    parameters = scaled / scale

    fit = jax.lax.complex(basis_real @ parameters, basis_imag @ parameters)
    residual_real = (impedance.real - fit.real) / modulus
    residual_imag = (impedance.imag - fit.imag) / modulus
    resistances = parameters[1 : 1 + n_elements]
    extra = parameters[1 + n_elements :]
    inverse_capacitance = extra[0] if capacitance else as_float(0.0)
    series_inductance = extra[-1] if inductance else as_float(0.0)
    negative = jnp.sum(jnp.where(resistances < 0, -resistances, 0.0))
    positive = jnp.sum(jnp.where(resistances >= 0, resistances, 0.0))
    return KramersKronigCheck(
        residual_real=residual_real,
        residual_imag=residual_imag,
        max_residual=jnp.maximum(jnp.max(jnp.abs(residual_real)), jnp.max(jnp.abs(residual_imag))),
        fit=fit,
        resistances=resistances,
        time_constants=tau,
        series_resistance=parameters[0],
        capacitance=1 / inverse_capacitance,
        inductance=series_inductance,
        mu=1 - negative / positive,
    )


def _validate(frequency, impedance, f, z, n_elements, capacitance, inductance) -> int:
    if frequency.ndim != 1:
        raise ValueError(
            f"kramers_kronig: frequency must be a 1-D array of frequencies (Hz), got shape "
            f"{frequency.shape}; use jax.vmap for a batch of spectra"
        )
    if impedance.shape != frequency.shape:
        raise ValueError(
            f"kramers_kronig: impedance must have the shape of frequency {frequency.shape}, got "
            f"{impedance.shape}; pass one complex impedance per frequency"
        )
    n_points = frequency.shape[0]
    if n_points < 2:
        raise ValueError(
            f"kramers_kronig: need at least 2 frequencies, got {n_points}; measure a spectrum"
        )
    if f is not None:
        if not np.all(np.isfinite(f) & (f > 0)):
            raise ValueError(
                "kramers_kronig: frequency (Hz) must be positive and finite; drop the f <= 0 "
                "(dc) point and any NaN/inf"
            )
        step = np.diff(f)
        if not (np.all(step > 0) or np.all(step < 0)):
            raise ValueError(
                "kramers_kronig: frequency must be strictly increasing or strictly decreasing; "
                "sort the spectrum and drop repeated frequencies"
            )
    if z is not None and not np.all(np.isfinite(z) & (np.abs(z) > 0)):
        raise ValueError(
            "kramers_kronig: impedance must be finite and nonzero at every frequency (the "
            "residuals are relative to |Z|); drop the offending points"
        )
    if n_elements is None:
        if f is None:
            raise ValueError(
                "kramers_kronig: n_elements=None chooses 7 elements per decade from the "
                "frequencies, which are traced here; pass n_elements explicitly under jit/vmap"
            )
        decades = math.log10(float(f.max() / f.min()))
        n_elements = min(max(1, round(ELEMENTS_PER_DECADE * decades)), n_points)
    if isinstance(n_elements, bool) or not isinstance(n_elements, (int, np.integer)):
        raise TypeError(f"kramers_kronig: n_elements must be an int, got {n_elements!r}")
    n_elements = int(n_elements)
    if n_elements < 1:
        raise ValueError(f"kramers_kronig: n_elements must be >= 1, got {n_elements}")
    n_unknowns = 1 + n_elements + bool(capacitance) + bool(inductance)
    if n_unknowns > 2 * n_points:
        raise ValueError(
            f"kramers_kronig: {n_unknowns} unknowns (R_0, {n_elements} Voigt elements"
            f"{', C' if capacitance else ''}{', L' if inductance else ''}) exceed the "
            f"{2 * n_points} real equations of {n_points} frequencies; lower n_elements"
        )
    return n_elements
