"""Carrier statistics of one phase: ideal (Boltzmann) unless an activity model covers a species.

Works in the solver's scaled units: $\\ln\\hat c = \\ln(c/c_\\text{ref})$ and
$\\xi = (\\tilde\\mu - \\mu^\\circ - ze\\phi)/k_BT$ per species, so that the ideal law is
$\\ln\\hat c = \\ln\\hat N + \\xi$. Models see SI concentrations (m^-3) and eV.
"""

import jax.numpy as jnp
import numpy as np


def _columns(model, species_names) -> np.ndarray:
    return np.array([species_names.index(name) for name in model.species])


def phase_log_concentrations(models, species_names, xi, ln_density, kT, c_ref):
    """ln ĉ `[m, n_species]` at `m` sites of one phase from ξ `[m, n_species]` (k_BT) and the
    scaled log densities `ln_density[n_species]`."""
    log_c = ln_density + xi
    if not models:
        return log_c
    ln_c_ref = jnp.log(c_ref)
    # columns are reassembled by stacking: cheaper than scatters inside the Newton loop
    columns = [log_c[:, s] for s in range(log_c.shape[1])]
    for model in models:
        cols = _columns(model, species_names)
        sub = model.log_concentrations(xi[:, cols], ln_density[cols] + ln_c_ref, kT)
        for k, s in enumerate(cols):
            columns[s] = sub[:, k] - ln_c_ref
    return jnp.stack(columns, axis=1)


def phase_log_gamma(models, species_names, c, ln_density, kT, c_ref):
    """ln γ `[n_species]` (zero for ideal species) at SI concentrations `c[n_species]` (m^-3)."""
    log_gamma = jnp.zeros_like(c)
    ln_c_ref = jnp.log(c_ref)
    for model in models:
        cols = _columns(model, species_names)
        sub = model.log_gamma(c[cols], ln_density[cols] + ln_c_ref, kT)
        log_gamma = log_gamma.at[cols].set(sub)
    return log_gamma
