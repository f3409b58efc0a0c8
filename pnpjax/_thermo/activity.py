"""Activity and statistics models: how a species' concentration follows its electrochemical
potential when it is not an ideal dilute solute.

Every mobile species obeys $\\tilde\\mu_i = \\mu_i^\\circ + k_BT\\ln a_i + z_ie\\phi$ with the
activity $a_i = \\gamma_i c_i/N_i$ ($N_i$ the carrier's `density`). With
$\\xi_i = (\\tilde\\mu_i - \\mu_i^\\circ - z_ie\\phi)/k_BT$ a model answers one question per site:
which concentrations satisfy $\\ln(c_i/N_i) + \\ln\\gamma_i(c) = \\xi_i$? Closed forms are used
where they exist; otherwise a damped Newton solve whose derivatives follow the implicit function
theorem (`local_solve.py`). Because ξ is the same on both sides of an interface for a transparent
species, interfacial partitioning follows the activities, not the concentrations.

The thermodynamic factor $f_{T,i} = \\partial\\ln a_i/\\partial\\ln c_i$ comes from autodiff of
`log_gamma`; it sets the linearised screening length,
$\\kappa^2 = e^2/(\\varepsilon k_BT)\\sum_i z_i^2c_i/f_{T,i}$.

Lattice models (`LatticeSaturation`, `RegularSolution`) take $\\mu^\\circ$ at half filling of
the sublattice ($a = 1$ at $\\theta = 1/2$), the usual lattice-gas convention.

**References:** J. S. Bikerman, *Philos. Mag.* 33, 384 (1942); M. S. Kilic, M. Z. Bazant and
A. Ajdari, *Phys. Rev. E* 75, 021502 (2007); A. A. Kornyshev, *J. Phys. Chem. B* 111, 5545
(2007); M. Z. Bazant, *Acc. Chem. Res.* 46, 1144 (2013) (regular solution in intercalation
materials); J. Maier, *Physical Chemistry of Ionic Materials*, Wiley (2004), ch. 5.
"""

import abc
from collections.abc import Callable
from typing import Any, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._custom_types import ScalarLike, as_float, concrete
from .._fields import FINITE, NON_NEGATIVE, POSITIVE, check_parameters, parameter
from .fermi_dirac import inverse_log_fermi_dirac_half, log_fermi_dirac_half
from .local_solve import solve_local


def _species_tuple(species, what: str) -> tuple[str, ...]:
    if isinstance(species, str):
        species = (species,)
    species = tuple(species)
    if not species or not all(isinstance(s, str) and s for s in species):
        raise ValueError(f"{what}: species must be a non-empty tuple of species names")
    if len(set(species)) != len(species):
        raise ValueError(f"{what}: species {species} lists a name twice")
    return species


def _over_sites(fn, *arrays):
    """Apply a one-site function `fn(a[n], ...)` over the leading axes of the first array."""
    first = arrays[0]
    lead = first.shape[:-1]
    flat = first.reshape((-1, first.shape[-1]))
    out = jax.vmap(lambda row: fn(row, *arrays[1:]))(flat)
    return out.reshape(lead + out.shape[1:])


class AbstractActivity(eqx.Module):
    """An activity (or statistics) model for some species of one phase.

    Subclasses define `log_gamma`; those with a closed-form inverse also override
    `log_concentrations`. All concentrations are in m^-3, energies in eV; arrays have the
    model's species on their last axis, in the order of `species`.
    """

    species: eqx.AbstractVar[tuple[str, ...]]
    separable: ClassVar[bool] = False
    """Whether each species' ln γ depends on its own concentration only."""

    @abc.abstractmethod
    def log_gamma(self, c: Float[Array, "... n"], log_density: Float[Array, " n"], kT):
        """ln γ_i (dimensionless) at concentrations `c` (m^-3); `log_density` is ln N_i
        (N in m^-3) and `kT` the thermal energy (eV)."""

    def validate(self, kT: float) -> None:
        """Raise `ValueError` when the model is not usable at thermal energy `kT` (eV)."""

    def capacity(self, log_density) -> tuple[np.ndarray, float] | None:
        """`(weights, limit)`: the model holds only Σ weights·c < limit (m^-3), or `None`."""
        return None

    def check_concentrations(self, c, log_density) -> None:
        """Raise `ValueError` when concentrations `c` (m^-3, concrete) exceed the model's
        capacity (a reference composition that overfills a sublattice)."""
        bound = self.capacity(log_density)
        if bound is None:
            return
        weights, limit = bound
        load = float(np.dot(weights, c))
        if not load < limit:
            raise ValueError(
                f"{type(self).__name__}{self.species}: the concentrations {list(np.asarray(c))} "
                f"(m^-3) fill {load / limit:.4g} of the available sites ({limit:.4g} m^-3); "
                "they must stay below it"
            )

    def log_activity(self, c, log_density, kT):
        """ln a_i = ln(c_i/N_i) + ln γ_i (dimensionless)."""
        return jnp.log(c) - log_density + self.log_gamma(c, log_density, kT)

    def log_concentrations(self, xi: Float[Array, "... n"], log_density, kT):
        """ln c_i (c in m^-3) solving $\\ln(c_i/N_i) + \\ln\\gamma_i(c) = \\xi_i$.

        Generic: damped Newton in ln c, started below saturation (a lattice gas of the species
        on N sites), with implicit derivatives.
        """

        def residual(y, args):
            model, xi_site, log_n, kT_ = args
            return y - log_n + model.log_gamma(jnp.exp(y), log_n, kT_) - xi_site

        def one_site(xi_site, log_n, kT_):
            # a lattice gas sharing N sites: below any saturation the model may have
            y0 = log_n + jax.nn.log_sigmoid(xi_site) - jnp.log(xi_site.shape[-1] + 1.0)
            return solve_local(y0, (self, xi_site, log_n, kT_), residual=residual)

        return _over_sites(one_site, xi, log_density, as_float(kT))

    def thermodynamic_factor(self, c, log_density, kT):
        """$f_{T,i} = \\partial\\ln a_i/\\partial\\ln c_i$ (dimensionless) by autodiff."""

        def one_site(c_site, log_n, kT_):
            log_a = lambda y: self.log_activity(jnp.exp(y), log_n, kT_)  # noqa: E731
            return jnp.diagonal(jax.jacfwd(log_a)(jnp.log(c_site)))

        return _over_sites(one_site, c, log_density, as_float(kT))


def _site_exclusion_log_c(xi, log_density, log_sites, log_free=0.0):
    """Closed form for species sharing `exp(log_sites)` sites of which a fraction
    `exp(log_free)` is not taken by immobile occupants:
    $c_i = N_ie^{\\xi_i}f/(1 + \\sum_j N_je^{\\xi_j}/N_s)$, evaluated in logs."""
    ideal = log_density + xi - log_sites
    # ln(1 + Σ e^{ideal}) shifted by its largest term: n + 1 exponentials and one log
    top = jax.lax.stop_gradient(jnp.maximum(jnp.max(ideal, axis=-1, keepdims=True), 0.0))
    load = jnp.exp(-top) + jnp.sum(jnp.exp(ideal - top), axis=-1, keepdims=True)
    return ideal + log_sites + log_free - top - jnp.log(load)


def _site_exclusion_log_gamma(c, log_sites, free=1.0):
    filled = jnp.sum(c * jnp.exp(-log_sites), axis=-1, keepdims=True)
    return -jnp.log(jnp.maximum(free - filled, 1e-300)) * jnp.ones_like(c)


class LatticeSaturation(AbstractActivity):
    """Species that occupy a sublattice of finite site density and exclude each other.

    $\\gamma_i = 1/(1 - \\sum_j c_j/N_s)$, so that
    $$c_i = \\frac{N_i e^{\\xi_i}}{1 + \\sum_j N_j e^{\\xi_j}/N_s}.$$
    One species on its own sites ($N_s = N$, `sites=None`) gives the Fermi–Dirac-like occupancy
    $c = N/(1 + e^{(\\mu^\\circ + ze\\phi - \\tilde\\mu)/k_BT})$; several species competing for one
    sublattice (Li ions and vacancies of other kinds, dopants and oxygen vacancies) need the
    shared site density `sites`. Concentrations never exceed $N_s$. Immobile species on the
    same sublattice (a frozen dopant) take `occupied` sites:
    $\\gamma_i = 1/(1 - n_\\text{occ}/N_s - \\sum_j c_j/N_s)$, which is the site balance of the
    bulk defect chemistry with `site_saturation=True` (`DefectChemistry.activity()`).

    **Arguments:**

    - `species`: names of the mobile species on the sublattice.
    - `sites`: sublattice site density $N_s$ (m^-3); `None` for a single species whose carrier
      `density` is its site density.
    - `occupied`: density of the sublattice's sites held by immobile species (m^-3).

    **Reference:** Kornyshev, *J. Phys. Chem. B* 111, 5545 (2007); VALIDATION.md item 7.
    """

    species: tuple[str, ...] = eqx.field(static=True)
    sites: Array | None = parameter(unit="m^-3", range=POSITIVE, doc="sublattice site density")
    occupied: Array = parameter(
        unit="m^-3", range=NON_NEGATIVE, doc="sites held by immobile species"
    )

    def __init__(self, species, sites: ScalarLike | None = None, occupied: ScalarLike = 0.0):
        self.species = _species_tuple(species, "LatticeSaturation")
        if sites is None and len(self.species) > 1:
            raise ValueError(
                f"LatticeSaturation: {len(self.species)} species share a sublattice; give its "
                "site density sites= (m^-3)"
            )
        self.sites = None if sites is None else as_float(sites)
        self.occupied = as_float(occupied)

    def __check_init__(self):
        check_parameters(self, "LatticeSaturation")
        sites, occupied = concrete(self.sites), concrete(self.occupied)
        if sites is not None and occupied is not None and np.any(occupied >= sites):
            raise ValueError(
                f"LatticeSaturation: occupied sites ({occupied}) fill the sublattice "
                f"(sites = {sites} m^-3); leave room for the mobile species"
            )

    def _log_sites(self, log_density):
        return log_density if self.sites is None else jnp.log(self.sites)

    def _free(self, log_sites):
        return 1.0 - self.occupied * jnp.exp(-log_sites)

    def capacity(self, log_density):
        sites = np.exp(np.asarray(self._log_sites(log_density), dtype=float))
        sites = np.broadcast_to(sites, (len(self.species),))
        return np.ones(len(self.species)), float(sites[0]) - float(self.occupied)

    def log_gamma(self, c, log_density, kT):
        log_sites = self._log_sites(log_density)
        return _site_exclusion_log_gamma(c, log_sites, self._free(log_sites))

    def log_concentrations(self, xi, log_density, kT):
        log_sites = self._log_sites(log_density)
        return _site_exclusion_log_c(xi, log_density, log_sites, jnp.log(self._free(log_sites)))


class Bikerman(AbstractActivity):
    """Finite ion size (Bikerman): every listed ion fills a cube of side `ion_size`, so the
    species exclude each other on a lattice of $N_s = a^{-3}$ sites.

    For a symmetric z:z system with bulk concentration $c_\\infty$ and packing parameter
    $\\nu = 2a^3c_\\infty$ this gives
    $c_\\pm = c_\\infty e^{\\mp u}/(1 + 2\\nu\\sinh^2(u/2))$ and a capacitance that is
    camel-shaped for ν < 1/3 and bell-shaped above.

    **Arguments:**

    - `species`: names of the mobile ions with the common size.
    - `ion_size`: the lattice spacing a (m).

    **Reference:** J. S. Bikerman, *Philos. Mag.* 33, 384 (1942); M. S. Kilic, M. Z. Bazant and
    A. Ajdari, *Phys. Rev. E* 75, 021502 (2007), eqs. (8)–(13).
    """

    species: tuple[str, ...] = eqx.field(static=True)
    ion_size: Array = parameter(unit="m", range=POSITIVE, doc="ion size (lattice spacing) a")

    def __init__(self, species, ion_size: ScalarLike):
        self.species = _species_tuple(species, "Bikerman")
        self.ion_size = as_float(ion_size)

    def __check_init__(self):
        check_parameters(self, "Bikerman")

    def capacity(self, log_density):
        return np.ones(len(self.species)), float(np.asarray(self.ion_size)) ** -3

    def log_gamma(self, c, log_density, kT):
        return _site_exclusion_log_gamma(c, -3 * jnp.log(self.ion_size))

    def log_concentrations(self, xi, log_density, kT):
        return _site_exclusion_log_c(xi, log_density, -3 * jnp.log(self.ion_size))


class RegularSolution(AbstractActivity):
    """One species on its sublattice with a nearest-neighbour interaction (regular solution,
    Frumkin isotherm):
    $$\\mu = \\mu^\\circ + k_BT\\ln\\frac{\\theta}{1-\\theta} + \\Omega(1 - 2\\theta),
    \\qquad \\theta = c/N,$$
    with N the carrier's `density`. Ω > 0 is attractive (Frumkin's g = 2Ω/k_BT): the species
    clusters, and above Ω = 2k_BT the homogeneous solution is unstable (phase separation, which a
    local model cannot describe; rejected at construction of the junction). Ω < 0 is repulsive.
    The thermodynamic factor is $f_T = 1/(1-\\theta) - 2\\Omega\\theta/k_BT$.

    No closed form exists; θ follows from a bracketed Newton solve in
    $t = \\ln(\\theta/(1-\\theta))$ on $t + (\\Omega/k_BT)(1 - 2\\theta) = \\xi$, whose root
    lies in $\\xi \\pm |\\Omega|/k_BT$.

    **Arguments:**

    - `species`: the name of the species.
    - `interaction`: Ω (eV).

    **Reference:** A. N. Frumkin, *Z. Phys. Chem.* 116, 466 (1925); M. Z. Bazant,
    *Acc. Chem. Res.* 46, 1144 (2013).
    """

    species: tuple[str, ...] = eqx.field(static=True)
    interaction: Array = parameter(unit="eV", range=FINITE, doc="interaction energy Ω")

    def __init__(self, species, interaction: ScalarLike):
        self.species = _species_tuple(species, "RegularSolution")
        if len(self.species) != 1:
            raise ValueError(
                f"RegularSolution: one species per model, got {self.species}; use one "
                "RegularSolution per species"
            )
        self.interaction = as_float(interaction)

    def __check_init__(self):
        check_parameters(self, "RegularSolution")

    def validate(self, kT: float) -> None:
        omega = concrete(self.interaction)
        if omega is not None and omega >= 2 * kT:
            raise ValueError(
                f"RegularSolution({self.species[0]!r}): interaction {float(omega):.4g} eV is at "
                f"or above 2 k_BT = {2 * kT:.4g} eV, where the solution separates into two "
                "phases; a local activity model cannot represent that. Use a smaller "
                "interaction or a higher temperature"
            )

    def capacity(self, log_density):
        return np.ones(1), float(np.exp(np.asarray(log_density, dtype=float))[0])

    def log_gamma(self, c, log_density, kT):
        theta = c / jnp.exp(log_density)
        return -jnp.log1p(-jnp.minimum(theta, 1.0 - 1e-16)) + self.interaction / kT * (
            1.0 - 2.0 * theta
        )

    def log_concentrations(self, xi, log_density, kT):
        kT = as_float(kT)

        def residual(t, args):
            model, xi_site, kT_ = args
            w = model.interaction / kT_
            return t + w * (1.0 - 2.0 * jax.nn.sigmoid(t)) - xi_site

        def bounds(args):
            model, xi_site, kT_ = args
            w = jnp.abs(model.interaction / kT_)
            return xi_site - w - 1e-12, xi_site + w + 1e-12

        def one_site(xi_site, kT_):
            args = (self, xi_site, kT_)
            # one fixed-point step from the ideal lattice gas: exact for Ω → 0
            t0 = xi_site - self.interaction / kT_ * (1.0 - 2.0 * jax.nn.sigmoid(xi_site))
            return solve_local(t0, args, residual=residual, bounds=bounds)

        t = _over_sites(one_site, xi, kT)
        return log_density + jax.nn.log_sigmoid(t)


class FermiDirac(AbstractActivity):
    """Fermi–Dirac statistics for electrons or holes in a parabolic band:
    $$n = N_C F_{1/2}\\!\\left(\\frac{E_F - E_C}{k_BT}\\right),\\qquad
    p = N_V F_{1/2}\\!\\left(\\frac{E_V - E_F}{k_BT}\\right),$$
    with $F_{1/2}$ the normalised complete Fermi–Dirac integral (an accurate rational
    approximation, `fermi_dirac.py`) and $N_C, N_V$ the carriers' `density` (see
    `effective_density_of_states` for them from band masses). Valid from the Boltzmann limit
    ($F_{1/2} \\to e^\\eta$) into the degenerate one ($F_{1/2} \\to 4\\eta^{3/2}/(3\\sqrt\\pi)$);
    $np = n_i^2$ holds only in the non-degenerate case.

    **Arguments:**

    - `species`: the electron and/or hole species names (e.g. `("e'", "h•")`).

    **Reference:** S. M. Sze and K. K. Ng, *Physics of Semiconductor Devices*, 3rd ed., Wiley
    (2007), §1.4.
    """

    species: tuple[str, ...] = eqx.field(static=True)
    separable: ClassVar[bool] = True

    def __init__(self, species=("e'",)):
        self.species = _species_tuple(species, "FermiDirac")

    def log_gamma(self, c, log_density, kT):
        log_occupancy = jnp.log(c) - log_density
        return inverse_log_fermi_dirac_half(log_occupancy) - log_occupancy

    def log_concentrations(self, xi, log_density, kT):
        return log_density + log_fermi_dirac_half(xi)


class CustomActivity(AbstractActivity):
    """Any activity model written in JAX: `log_gamma(c, params)` maps the concentrations
    `c` (`[n]`, m^-3, in the order of `species`) at one site to ln γ (`[n]`).

    Concentrations follow from a damped Newton solve of
    $\\ln(c_i/N_i) + \\ln\\gamma_i(c) = \\xi_i$ per node, with implicit derivatives, so gradients
    reach every leaf of `params`. The model must make the activity increase with each
    concentration (a positive-definite ∂ln a/∂ln c) for the root to be unique.

    **Arguments:**

    - `species`: names of the species the function covers.
    - `log_gamma`: a function `(c, params) -> ln γ` (JAX-traceable, smooth). Outside its
      domain (past a saturation) it must return inf or NaN, not a capped finite value: the
      inner solve backs off from non-finite values. It is a static
      part of the model: define it once (a new function object recompiles the solve). Put the
      temperature into `params` if the model needs it.
    - `params`: a pytree of parameters (differentiable leaves), passed to `log_gamma`.

    Concentrations within about 1e-12 of a saturation limit cannot be resolved from a
    `log_gamma` written in terms of c (1 − c/N loses its digits); the built-in closed forms
    (`LatticeSaturation`, `Bikerman`, `RegularSolution`) have no such limit. A site where the
    inner solve fails makes the whole solve report a non-finite result.
    """

    species: tuple[str, ...] = eqx.field(static=True)
    function: Callable = eqx.field(static=True)
    params: Any

    def __init__(self, species, log_gamma: Callable, params: Any = None):
        self.species = _species_tuple(species, "CustomActivity")
        if not callable(log_gamma):
            raise TypeError("CustomActivity: log_gamma must be a function (c, params) -> ln γ")
        self.function = log_gamma
        self.params = jax.tree_util.tree_map(as_float, params)

    def log_gamma(self, c, log_density, kT):
        return _over_sites(lambda c_site: jnp.asarray(self.function(c_site, self.params)), c)
