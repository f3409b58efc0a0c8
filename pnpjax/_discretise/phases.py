"""The phases of a junction as scaled arrays, their carrier statistics and their neutral bulk.

Scales (see e.g. Markowich, *The Stationary Semiconductor Device Equations*, Springer 1986):
potential in units of the thermal voltage $k_BT/e$, energies in $k_BT$, length in $L_0$ (the
smallest Debye length the mesh found) and concentrations in
$c_\\text{ref} = \\varepsilon_0 k_BT/(e^2L_0^2)$, so that Poisson reads
$\\nabla\\cdot(\\varepsilon_r\\nabla u) = -\\hat\\rho$ with no other constant.

Every mobile carrier obeys $\\hat c = \\exp(\\ln\\hat N - \\hat E_0 - zu + \\text{sign}\\cdot g_k)$
when ideal, with $\\hat E_0 = \\text{sign}\\cdot\\mu^\\circ/k_BT$ and $g_k$ the electrochemical
potential (in $k_BT$) it follows; sign is −1 for holes only, whose electrochemical potential is
−E_F. Activity models replace the ideal law through `Statistics`.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._model.layout import Layout
from .statistics import Statistics

EXPONENT_CLIP = 500.0
"""Exponents are clipped here (e^500 ≈ 1e217) so a wild Newton iterate stays finite."""


class PhaseTable(eqx.Module):
    """Per phase and species, non-dimensional: `ln_density` ln(N/c_ref), `energy` ±μ°/k_BT,
    `frozen` c/c_ref of frozen carriers, `background` ρ_bg/(e c_ref), `eps_r`, and the
    `statistics` (activity models); `kT` (eV) and `c_ref` (m^-3)."""

    layout: Layout = eqx.field(static=True)
    kT: Array
    c_ref: Array
    ln_density: Array
    energy: Array
    frozen: Array
    background: Array
    eps_r: Array
    statistics: Statistics

    @property
    def n_phases(self) -> int:
        return self.ln_density.shape[0]

    def fixed_density(self, phases: np.ndarray):
        """Scaled fixed charge density (frozen carriers and background) of `phases` (0 where
        the index is −1, beyond an end)."""
        p = np.maximum(phases, 0)
        fixed = self.frozen[p] @ self.layout.z + self.background[p]
        return jnp.where(phases >= 0, fixed, 0.0)


def gather_potentials(table: PhaseTable, phases: np.ndarray, g):
    """The electrochemical potential (k_BT) each mobile species of `phases` follows `[m, S]`
    (0 where none)."""
    layout = table.layout
    index = layout.potential_index[np.maximum(phases, 0)]
    if layout.n_potentials == 0:
        return jnp.zeros(index.shape)
    return jnp.where(index >= 0, g[np.maximum(index, 0)], 0.0)


def log_concentrations(table: PhaseTable, phases: np.ndarray, u, g, shift=None, clip=True):
    """Scaled log concentrations `[m, S]` of the mobile carriers at `m` sites of the phases
    `phases` (static) at potentials `u` `[m]` (k_BT/e); −inf where a species is absent or frozen.

    $\\xi = -\\hat E_0 - zu + \\text{sign}\\,g - \\Delta\\hat G$ (the segregation `shift`) enters
    the statistics: $\\ln\\hat c = \\ln\\hat N + \\xi$ when ideal, else the activity models.
    """
    layout = table.layout
    rows = np.maximum(phases, 0)
    xi = (
        -table.energy[rows]
        - layout.z * u[:, None]
        + layout.sign * gather_potentials(table, phases, g)
    )
    if shift is not None:
        xi = xi - shift
    log_c = table.statistics.log_concentrations(
        rows, xi, table.ln_density[rows], table.kT, jnp.log(table.c_ref)
    )
    if clip:
        log_c = jnp.minimum(log_c, EXPONENT_CLIP)
    return jnp.where(layout.mobile[rows], log_c, -jnp.inf)


def concentrations(table: PhaseTable, phases: np.ndarray, u, g, shift=None):
    """Scaled concentrations `[m, S]`: mobile ones from `log_concentrations`, frozen ones
    constant."""
    frozen = table.frozen[np.maximum(phases, 0)]
    return jnp.exp(log_concentrations(table, phases, u, g, shift)) + frozen


def charge_density(table: PhaseTable, phases: np.ndarray, c):
    """Scaled charge density $\\hat\\rho = \\sum_i z_i\\hat c_i + \\hat\\rho_\\text{bg}$."""
    return c @ table.layout.z + table.background[np.maximum(phases, 0)]


def neutrality_log_balance(table: PhaseTable, phases: np.ndarray, u, g, shift=None):
    """log(positive charge) − log(negative charge) of the bulk of each phase at potential u:
    finite, smooth and strictly decreasing in u wherever both signs are present."""
    log_c = log_concentrations(table, phases, u, g, shift, clip=False)
    return _log_charges(table, phases, log_c)


def _log_charges(table: PhaseTable, phases: np.ndarray, log_c):
    """log(positive charge), log(negative charge) `[m]` of rows `phases` with mobile log
    concentrations `log_c` `[m, S]` (unclipped), frozen carriers and background included."""
    layout = table.layout
    rows = np.maximum(phases, 0)
    mobile = layout.mobile[rows]
    z = layout.z
    fixed = table.frozen[rows] @ z + table.background[rows]
    log_abs_z = jnp.log(jnp.maximum(jnp.abs(z), 1.0))
    positive = jnp.where(mobile & (z > 0), log_c + log_abs_z, -jnp.inf)
    negative = jnp.where(mobile & (z < 0), log_c + log_abs_z, -jnp.inf)
    log_fixed_pos = jnp.where(fixed > 0, jnp.log(jnp.where(fixed > 0, fixed, 1.0)), -jnp.inf)
    log_fixed_neg = jnp.where(fixed < 0, jnp.log(jnp.where(fixed < 0, -fixed, 1.0)), -jnp.inf)
    log_pos = jax.nn.logsumexp(jnp.concatenate([positive, log_fixed_pos[:, None]], 1), axis=1)
    log_neg = jax.nn.logsumexp(jnp.concatenate([negative, log_fixed_neg[:, None]], 1), axis=1)
    return log_pos, log_neg


def bisect_neutral(table: PhaseTable, g, bracket: float = 2000.0, iterations: int = 120):
    """Potential u (k_BT/e) at which each phase's bulk is neutral, to the last bit, and
    whether one exists: bisection on the log charge balance in `[-bracket, bracket]`, robust
    over any number of decades. Not differentiable (`bulk_state` adds the implicit step).

    A neutral point exists where the balance is finite there and it lies inside the bracket
    (less 1 k_BT/e); without one the bisection runs into an end. The statistics appear once in
    the program (the loop body): each appearance of the activity models compiles anew.
    """
    phases = np.arange(table.n_phases)

    def step(_, carry):
        lo, hi, _, _ = carry
        mid = 0.5 * (lo + hi)
        log_pos, log_neg = neutrality_log_balance(table, phases, mid, g)
        balance = log_pos - log_neg
        positive = balance > 0
        return jnp.where(positive, mid, lo), jnp.where(positive, hi, mid), mid, balance

    start = jnp.full(phases.shape, float(bracket))
    _, _, mid, balance = jax.lax.fori_loop(
        0, iterations, step, (-start, start, jnp.zeros_like(start), jnp.zeros_like(start))
    )
    exists = jnp.isfinite(balance) & (jnp.abs(mid) < bracket - 1.0)
    u = jax.lax.stop_gradient(jnp.where(exists, mid, 0.0))
    return u, jax.lax.stop_gradient(exists)


class Bulk(eqx.Module):
    """Each phase's neutral bulk: potential `u` (k_BT/e), whether it `exists`, the scaled
    `concentration` `[P, S]` there and the linearised `screening` $-\\partial\\hat\\rho/
    \\partial u$ (its inverse square root times √ε_r is the Debye length)."""

    u: Array
    exists: Array
    concentration: Array
    screening: Array

    def debye_lengths(self, table: PhaseTable):
        """Scaled linearised screening (Debye) length per phase from the exact small-signal
        response, $\\lambda = \\sqrt{\\varepsilon_r/(-\\partial\\hat\\rho/\\partial u)}$. When each
        species' activity depends on its own concentration only this is
        $\\sqrt{\\varepsilon k_BT / (e^2 \\sum_i z_i^2 c_i/f_{T,i})}$ (VALIDATION.md item 8);
        models that couple species (site exclusion) add their cross terms. inf without mobile
        charge."""
        strength = self.screening
        safe = jnp.where(strength > 0, strength, 1.0)
        return jnp.where(strength > 0, jnp.sqrt(table.eps_r / safe), jnp.inf)


def bulk_state(table: PhaseTable, g) -> Bulk:
    """The neutral bulk of every phase at the electrochemical potentials `g` (k_BT).

    The bisected potential u₀ is exact to rounding; one Newton step u_b = u₀ − f/f′ on the log
    charge balance f makes u_b follow the implicit function theorem in g and every parameter
    (∂u_b/∂θ = −∂_θf/f′). Balance, concentrations and their linear response in u all come from
    one forward-mode evaluation of the statistics at u₀; the concentrations at u_b are its
    first-order continuation (u_b − u₀ is a rounding error, so this only carries derivatives).
    """
    u0, exists = bisect_neutral(table, g)
    phases = np.arange(table.n_phases)
    layout = table.layout

    def log_c_of(u):
        return log_concentrations(table, phases, u, g, clip=False)

    log_c, slope = jax.jvp(log_c_of, (u0,), (jnp.ones_like(u0),))
    f, df = jax.jvp(lambda lc: jnp.subtract(*_log_charges(table, phases, lc)), (log_c,), (slope,))
    safe_df = jnp.where(exists & (df != 0), df, -1.0)
    u_b = jnp.where(exists, u0 - jnp.where(exists, f, 0.0) / safe_df, 0.0)
    mobile = jnp.asarray(layout.mobile)
    log_c = log_c + jax.lax.stop_gradient(jnp.where(mobile, slope, 0.0)) * (u_b - u0)[:, None]
    clipped = log_c > EXPONENT_CLIP
    c_mobile = jnp.exp(jnp.minimum(log_c, EXPONENT_CLIP))
    c = c_mobile + table.frozen
    dc = jnp.where(mobile & ~clipped, c_mobile * slope, 0.0)
    screening = -(dc @ layout.z)
    return Bulk(u_b, exists, c, screening)
