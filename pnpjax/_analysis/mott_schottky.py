"""Mott–Schottky analysis: doping and flat-band potential from a capacitance–voltage curve.

When an electrode depletes a semiconductor of its majority carriers (density N, the ionised
dopant density), the space charge is the bare dopant charge and the differential capacitance
per area follows from the first integral of Poisson–Boltzmann with the Boltzmann tail dropped:

$$
\\frac{1}{C^2} = \\frac{2}{e\\varepsilon_r\\varepsilon_0 N}
  \\left(\\mp(V - V_\\mathrm{fb}) - \\frac{k_BT}{e}\\right),
$$

upper sign for n-type (donors, depletion at $V < V_\\mathrm{fb}$), lower sign for p-type
(acceptors, depletion at $V > V_\\mathrm{fb}$), with V the electrode potential relative to the
semiconductor bulk (the solid-state convention of a metal or electrolyte contact). In the
electrochemical convention, the semiconductor electrode's potential against the electrolyte,
the sign of V is reversed and n-type slopes are positive: pass −V. A straight line through
$1/C^2$ against V gives N from its slope and $V_\\mathrm{fb}$ from its intercept.

**References:** A. J. Bard and L. R. Faulkner, *Electrochemical Methods*, 2nd ed., Wiley
(2001), §18.2; S. M. Sze and K. K. Ng, *Physics of Semiconductor Devices*, 3rd ed., Wiley
(2007), ch. 3 (metal–semiconductor contacts, C–V).
"""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .._constants import BOLTZMANN, ELEMENTARY_CHARGE, VACUUM_PERMITTIVITY
from .._custom_types import ScalarLike, as_float, check, concrete


class MottSchottkyFit(eqx.Module):
    """The result of `mott_schottky`: a straight line through $1/C^2$ against V and what it means.

    **Fields:**

    - `doping`: majority dopant density $N = 2/(e\\varepsilon_r\\varepsilon_0|\\mathrm{slope}|)$
      (m^-3).
    - `flat_band_potential`: $V_\\mathrm{fb}$ (V), the voltage where $1/C^2$ extrapolates to zero,
      shifted by $k_BT/e$ (up for n-type, down for p-type).
    - `slope` (m^4 F^-2 V^-1) and `intercept` (m^4 F^-2) of $1/C^2 = \\mathrm{slope}\\,V +
      \\mathrm{intercept}$.
    - `carrier_type`: +1 for p-type (acceptors, slope > 0), −1 for n-type (donors, slope < 0),
      as a float array so the fit stays a pytree of arrays under `jit`/`vmap`/`grad`.
    - `residual`: relative rms misfit of the line over the fitted points,
      $\\sqrt{\\langle(y - \\hat y)^2\\rangle / \\langle y^2\\rangle}$ with $y = 1/C^2$: about
      1e-6 for an exact depletion curve more than ~10 $k_BT/e$ past flat band, 1e-3 when the
      window reaches to within a few $k_BT/e$ of it, 0.1 with accumulation included.
    """

    doping: Float[Array, ""]
    flat_band_potential: Float[Array, ""]
    slope: Float[Array, ""]
    intercept: Float[Array, ""]
    carrier_type: Float[Array, ""]
    residual: Float[Array, ""]


def mott_schottky(
    voltage: Float[ArrayLike, " n"],
    capacitance: Float[ArrayLike, " n"],
    *,
    eps_r: ScalarLike,
    temperature: ScalarLike = 298.15,
    window: tuple[ScalarLike, ScalarLike] | None = None,
) -> MottSchottkyFit:
    """Fit the Mott–Schottky line $1/C^2 = \\mathrm{slope}\\,V + \\mathrm{intercept}$ to C(V).

    For depletion of majority carriers of density N,

    $$
    \\text{n-type:}\\quad \\frac{1}{C^2} = \\frac{2}{e\\varepsilon N}
      \\left(V_\\mathrm{fb} - V - \\frac{k_BT}{e}\\right), \\qquad
    \\text{p-type:}\\quad \\frac{1}{C^2} = \\frac{2}{e\\varepsilon N}
      \\left(V - V_\\mathrm{fb} - \\frac{k_BT}{e}\\right),
    $$

    $\\varepsilon = \\varepsilon_r\\varepsilon_0$, so $N = 2/(e\\varepsilon|\\mathrm{slope}|)$ and
    $V_\\mathrm{fb} = -\\mathrm{intercept}/\\mathrm{slope} \\pm k_BT/e$ (+ for n-type). The sign
    of the slope gives the carrier type. Ordinary least squares on the points inside `window`;
    pure JAX, so it works under `jax.jit`, `jax.vmap` and `jax.grad`.

    Only depletion obeys the law: choose `window` to exclude accumulation (V beyond flat band
    towards the majority carriers) and the first few $k_BT/e$ past flat band, where the
    neglected Boltzmann tail $\\propto e^{-e|V - V_\\mathrm{fb}|/k_BT}$ still bends the line, and,
    for a semiconductor with minority carriers, inversion.

    **Arguments:**

    - `voltage`: electrode potential V relative to the semiconductor bulk (V), `[n]`.
    - `capacitance`: differential capacitance per area C (F/m^2) at those potentials, `[n]`.
    - `eps_r`: relative permittivity of the semiconductor (> 0).
    - `temperature`: T (K, > 0), for the $k_BT/e$ term.
    - `window`: `(v_min, v_max)` (V); only points with v_min ≤ V ≤ v_max are fitted (at least
      two distinct voltages). `None` fits all points.

    **Returns:** a `MottSchottkyFit`.

    **References:** A. J. Bard and L. R. Faulkner, *Electrochemical Methods*, 2nd ed., Wiley
    (2001), §18.2; S. M. Sze and K. K. Ng, *Physics of Semiconductor Devices*, 3rd ed., Wiley
    (2007), ch. 3 (metal–semiconductor contacts, C–V).
    """
    known_voltage, known_capacitance = concrete(voltage), concrete(capacitance)
    voltage, capacitance = as_float(voltage), as_float(capacitance)
    eps_r, temperature = as_float(eps_r), as_float(temperature)
    _validate(voltage, capacitance, known_voltage, known_capacitance, eps_r, temperature, window)

    y = 1 / capacitance**2
    if window is None:
        weight = jnp.ones_like(voltage)
    else:
        v_min, v_max = as_float(window[0]), as_float(window[1])
        weight = jnp.where((voltage >= v_min) & (voltage <= v_max), 1.0, 0.0)
    count = jnp.sum(weight)
    v_mean = jnp.sum(weight * voltage) / count
    y_mean = jnp.sum(weight * y) / count
    dv = voltage - v_mean
    slope = jnp.sum(weight * dv * (y - y_mean)) / jnp.sum(weight * dv**2)
    intercept = y_mean - slope * v_mean
    misfit = jnp.sum(weight * (y - slope * voltage - intercept) ** 2)
    residual = jnp.sqrt(misfit / jnp.sum(weight * y**2))

    carrier_type = jnp.sign(slope)
    thermal_voltage = BOLTZMANN * temperature / ELEMENTARY_CHARGE
    return MottSchottkyFit(
        doping=2 / (ELEMENTARY_CHARGE * eps_r * VACUUM_PERMITTIVITY * jnp.abs(slope)),
        flat_band_potential=-intercept / slope - carrier_type * thermal_voltage,
        slope=slope,
        intercept=intercept,
        carrier_type=carrier_type,
        residual=residual,
    )


def _validate(voltage, capacitance, v, c, eps_r, temperature, window) -> None:
    if voltage.ndim != 1:
        raise ValueError(
            f"mott_schottky: voltage must be a 1-D array of electrode potentials (V), got shape "
            f"{voltage.shape}; use jax.vmap for a batch of C–V curves"
        )
    if capacitance.shape != voltage.shape:
        raise ValueError(
            f"mott_schottky: capacitance must have the shape of voltage {voltage.shape}, got "
            f"{capacitance.shape}; pass one capacitance (F/m^2) per voltage"
        )
    if v is not None and not np.all(np.isfinite(v)):
        raise ValueError("mott_schottky: voltage (V) must be finite; drop the NaN/inf points")
    if c is not None and not np.all(np.isfinite(c) & (c > 0)):
        raise ValueError(
            "mott_schottky: capacitance (F/m^2) must be positive and finite at every voltage; "
            "pass the differential capacitance per area dσ/dV and drop failed points"
        )
    check(
        lambda e: np.isfinite(e) & (e > 0),
        eps_r,
        f"mott_schottky: eps_r (the semiconductor's relative permittivity) must be > 0, "
        f"got {eps_r}",
    )
    check(
        lambda t: np.isfinite(t) & (t > 0),
        temperature,
        f"mott_schottky: temperature (K) must be > 0, got {temperature}",
    )
    if window is None:
        inside = v
    else:
        if not isinstance(window, (tuple, list)) or len(window) != 2:
            raise ValueError(
                f"mott_schottky: window must be a pair (v_min, v_max) in V or None, got {window!r}"
            )
        bounds = concrete(window[0]), concrete(window[1])
        if bounds[0] is None or bounds[1] is None:
            return
        v_min, v_max = float(bounds[0]), float(bounds[1])
        if not v_min < v_max:
            raise ValueError(
                f"mott_schottky: window (v_min, v_max) needs v_min < v_max, got {window!r}"
            )
        inside = None if v is None else v[(v >= v_min) & (v <= v_max)]
    if inside is not None and np.unique(inside).size < 2:
        where = "" if window is None else f" inside window {window!r}"
        raise ValueError(
            f"mott_schottky: need at least 2 distinct voltages{where} to fit a line, got "
            f"{np.unique(inside).size}; widen the window or measure more points in depletion"
        )
