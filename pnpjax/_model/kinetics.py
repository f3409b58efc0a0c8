"""Rate laws of the transport solvers: bulk reactions and interfacial charge transfer.

Every rate law here obeys detailed balance with the equilibrium statistics of the phase it acts
in (activities included): it vanishes exactly when the electrochemical potentials of its species
balance, so a relaxation with reactions still ends on the Poisson–Boltzmann equilibrium.

**References:** W. Shockley and W. T. Read, *Phys. Rev.* 87, 835 (1952); R. N. Hall,
*Phys. Rev.* 87, 387 (1952); A. J. Bard and L. R. Faulkner, *Electrochemical Methods*, 2nd ed.,
Wiley (2001), ch. 3 (Butler–Volmer); J. Maier, *Physical Chemistry of Ionic Materials*, 2nd ed.,
Wiley (2023), ch. 6 (defect kinetics).
"""

import abc

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._custom_types import ScalarLike, as_float
from .._fields import FINITE, NON_NEGATIVE, POSITIVE, UNIT_INTERVAL, check_parameters, parameter
from .._thermo.defect_labels import COMPONENT, parse_label
from .._thermo.reaction import parse_equation


class ButlerVolmer(eqx.Module):
    """Butler–Volmer transfer of one species across an interface or into an electrode.

    The particle flux from side 1 to side 2 (m^-2 s^-1) is

    $$J = \\frac{j_0}{|z|e}\\left[e^{\\alpha\\Delta} - e^{-(1-\\alpha)\\Delta}\\right],\\qquad
      \\Delta = (\\tilde\\mu_1 - \\tilde\\mu_2)/k_BT,$$

    with $\\tilde\\mu$ the species' electrochemical potential on each side (eV; for a Fermi
    level E_F of electrons, −E_F for holes). The overpotential is $\\eta = \\Delta k_BT/(ze)$.
    At an `Interface` side 1 is the left phase; at an `Electrode` side 1 is the electrode's
    reservoir, so a positive J moves the species into the junction.

    **Arguments:**

    - `species`: the species transferred (a carrier name).
    - `exchange_current`: exchange current density j_0 (A/m^2), > 0.
    - `symmetry`: charge-transfer coefficient α (dimensionless, 0 < α < 1).
    - `reservoir`: at an `Electrode`, the species' electrochemical potential in the electrode
      (eV) when the electrode is at zero potential; default (`None`) is the value in equilibrium
      with the junction's state, so no current flows at zero bias. Ignored at an `Interface`.
    """

    species: str = eqx.field(static=True)
    exchange_current: Array = parameter(
        unit="A/m^2", range=POSITIVE, doc="exchange current density j_0"
    )
    symmetry: Array = parameter(unit="1", range=UNIT_INTERVAL, doc="charge-transfer coefficient α")
    reservoir: Array | None = parameter(
        unit="eV", range=FINITE, doc="electrochemical potential in the electrode"
    )

    def __init__(
        self,
        species: str,
        exchange_current: ScalarLike,
        symmetry: ScalarLike = 0.5,
        reservoir: ScalarLike | None = None,
    ):
        if not isinstance(species, str):
            raise TypeError(f"ButlerVolmer: species must be a carrier name, got {species!r}")
        self.species = species
        self.exchange_current = as_float(exchange_current)
        self.symmetry = as_float(symmetry)
        self.reservoir = None if reservoir is None else as_float(reservoir)

    def __check_init__(self):
        hints = {"exchange_current": "; block the species instead of a zero rate"}
        check_parameters(self, f"ButlerVolmer({self.species!r})", hints)

    def flow(self, delta, scale):
        """The particle flow from side 1 to side 2 for $\\Delta = (\\tilde\\mu_1 -
        \\tilde\\mu_2)/k_BT$ (dimensionless): $j_0\\,$`scale`$\\,[e^{\\alpha\\Delta} -
        e^{-(1-\\alpha)\\Delta}]$, with `scale` the flow per unit of j_0 (A/m^2) in the
        caller's units (1/(|z|e) times area and time)."""
        delta = jnp.clip(delta, -EXPONENT_LIMIT, EXPONENT_LIMIT)
        alpha = self.symmetry
        return (
            self.exchange_current * scale * (jnp.exp(alpha * delta) - jnp.exp(-(1 - alpha) * delta))
        )


EXPONENT_LIMIT = 500.0
"""Exponents of rate laws are clipped here (e^500 ≈ 1e217): a wild iterate stays finite."""


class RateContext(eqx.Module):
    """What a bulk rate law sees at `m` sites (non-dimensional: concentrations in c_ref, times
    in t₀, energies in k_BT at the site).

    - `concentration`, `log_gamma`, `log_weight` `[m, S]`: c, ln γ, and
      $\\ln(Ne^{-\\mu^\\circ/k_BT})$ of every species (its ideal concentration at zero
      electrochemical potential, including the hole sign convention and segregation energies).
    - `kT` `[m]`: k_BT (eV) at each site; `time`, `density`: t₀ (s) and c_ref (m^-3).
    - `stoichiometry`: `((species column, ν), ...)`; `electron`, `hole`: columns (−1 if none).
    """

    concentration: Float[Array, "m s"]
    log_gamma: Float[Array, "m s"]
    log_weight: Float[Array, "m s"]
    kT: Float[Array, " m"]
    time: Array
    density: Array
    stoichiometry: tuple[tuple[int, float], ...] = eqx.field(static=True)
    electron: int = eqx.field(static=True)
    hole: int = eqx.field(static=True)

    def electron_hole_excess(self):
        """$(n, p, np - n_i^2e^{-(\\ln\\gamma_n + \\ln\\gamma_p)}, n_i^2)$: the departure
        from equilibrium that every band-to-band rate shares."""
        e, h = self.electron, self.hole
        n, p = self.concentration[:, e], self.concentration[:, h]
        ni2 = jnp.exp(self.log_weight[:, e] + self.log_weight[:, h])
        excess = n * p - ni2 * jnp.exp(-(self.log_gamma[:, e] + self.log_gamma[:, h]))
        return n, p, excess, ni2


class AbstractRate(eqx.Module):
    """A bulk reaction rate law (m^-3 s^-1), attached to a phase with `Phase(reactions=...)`.

    `stoichiometry` maps species names to their stoichiometric numbers (products > 0).
    """

    @property
    @abc.abstractmethod
    def stoichiometry(self) -> dict[str, float]:
        """`{species name: stoichiometric number}`, products positive."""

    @abc.abstractmethod
    def rate(self, context: RateContext) -> Float[Array, " m"]:
        """The net rate r (reactants → products) at every site, per scaled volume and time."""


class MassAction(AbstractRate):
    """A general reaction between mobile species with a mass-action rate (m^-3 s^-1),

    $$r = k_f\\left[\\prod_{\\nu_j<0} a_j^{|\\nu_j|}
          - \\frac{1}{K}\\prod_{\\nu_j>0} a_j^{\\nu_j}\\right],$$

    in the direction reactants → products, with activities $a = \\gamma c$ (m^-3; $a = c$ for
    ideal species). The equilibrium constant K is not an input: it follows from the phase's
    standard chemical potentials and densities,
    $K = \\prod_j (N_j e^{-\\mu_j^\\circ/k_BT})^{\\nu_j}$, so the rate vanishes exactly at the
    Poisson–Boltzmann equilibrium. Examples: Frenkel pairs `"0 = Li_i^• + V_Li'"`, trapping
    `"V_O^•• + e' = V_O^•"`, band-to-band `"0 = e' + h^•"`.

    **Arguments:**

    - `equation`: the reaction in Kröger–Vink notation (sides separated by `=`, `⇌` or `->`;
      `0` for the perfect crystal); it must be charge balanced.
    - `rate_constant`: forward rate constant k_f (m^{3(n−1)} s^-1 for n reactant particles;
      m^-3 s^-1 for a generation from the perfect crystal), ≥ 0.
    """

    equation: str = eqx.field(static=True)
    terms: tuple[tuple[str, float], ...] = eqx.field(static=True)
    rate_constant: Array = parameter(
        unit="m^(3(n-1)) s^-1", range=NON_NEGATIVE, doc="forward rate constant k_f"
    )

    def __init__(self, equation: str, rate_constant: ScalarLike):
        parsed = parse_equation(equation)
        for label, _ in parsed:
            if label.kind == COMPONENT:
                raise ValueError(
                    f"MassAction {equation!r}: {label.name!r} has no Kröger–Vink charge mark; "
                    "bulk rates act between carriers of the junction (write the perfect crystal "
                    "as 0)"
                )
        self.equation = equation
        self.terms = tuple((label.name, float(nu)) for label, nu in parsed)
        self.rate_constant = as_float(rate_constant)

    def __check_init__(self):
        check_parameters(self, f"MassAction {self.equation!r}")

    @property
    def stoichiometry(self) -> dict[str, float]:
        return dict(self.terms)

    def rate(self, context: RateContext):
        activity = jnp.maximum(context.concentration, 0.0) * jnp.exp(context.log_gamma)
        m = activity.shape[0]
        forward, backward, log_k = jnp.ones(m), jnp.ones(m), jnp.zeros(m)
        reactants = 0.0
        for s, nu in context.stoichiometry:
            log_k = log_k + nu * context.log_weight[:, s]
            if nu < 0:
                forward = forward * activity[:, s] ** (-nu)
                reactants -= nu
            else:
                backward = backward * activity[:, s] ** nu
        k_f = self.rate_constant * context.time * context.density ** (reactants - 1)
        log_k = jnp.clip(log_k, -EXPONENT_LIMIT, EXPONENT_LIMIT)
        return k_f * (forward - backward * jnp.exp(-log_k))


class ShockleyReadHall(AbstractRate):
    """Shockley–Read–Hall recombination of electrons and holes through a trap level
    (m^-3 s^-1),

    $$R = \\frac{np - n_i^2}{\\tau_p(n + n_1) + \\tau_n(p + p_1)},\\qquad
      n_1 = n_i e^{E_t/k_BT},\\; p_1 = n_i e^{-E_t/k_BT},$$

    with $n_i^2 = N_CN_V e^{-(E_C - E_V)/k_BT}$ of the phase. With Fermi–Dirac statistics
    $np - n_i^2$ becomes $np(1 - e^{-(E_{Fn} - E_{Fp})/k_BT})$, which vanishes at equilibrium.

    **Arguments:**

    - `tau_n`, `tau_p`: electron and hole lifetimes (s), > 0.
    - `trap_level`: E_t − E_i (eV), the trap energy relative to the intrinsic level
      (0: mid-gap, the most effective centre).
    """

    tau_n: Array = parameter(unit="s", range=POSITIVE, doc="electron lifetime")
    tau_p: Array = parameter(unit="s", range=POSITIVE, doc="hole lifetime")
    trap_level: Array = parameter(unit="eV", range=FINITE, doc="trap level E_t - E_i")

    def __init__(self, tau_n: ScalarLike, tau_p: ScalarLike, trap_level: ScalarLike = 0.0):
        self.tau_n = as_float(tau_n)
        self.tau_p = as_float(tau_p)
        self.trap_level = as_float(trap_level)

    def __check_init__(self):
        check_parameters(self, "ShockleyReadHall")

    @property
    def stoichiometry(self) -> dict[str, float]:
        return {"e'": -1.0, "h^•": -1.0}

    def rate(self, context: RateContext):
        n, p, excess, ni2 = context.electron_hole_excess()
        ni = jnp.sqrt(ni2)
        level = self.trap_level / context.kT
        n1, p1 = ni * jnp.exp(level), ni * jnp.exp(-level)
        tau_n, tau_p = self.tau_n / context.time, self.tau_p / context.time
        return excess / (tau_p * (n + n1) + tau_n * (p + p1))


class Radiative(AbstractRate):
    """Direct (band-to-band, radiative) recombination $R = B(np - n_i^2)$ (m^-3 s^-1); with
    Fermi–Dirac statistics $np(1 - e^{-(E_{Fn}-E_{Fp})/k_BT})$.

    **Arguments:**

    - `coefficient`: B (m^3/s), ≥ 0.
    """

    coefficient: Array = parameter(unit="m^3/s", range=NON_NEGATIVE, doc="radiative coefficient B")

    def __init__(self, coefficient: ScalarLike):
        self.coefficient = as_float(coefficient)

    def __check_init__(self):
        check_parameters(self, "Radiative")

    @property
    def stoichiometry(self) -> dict[str, float]:
        return {"e'": -1.0, "h^•": -1.0}

    def rate(self, context: RateContext):
        _, _, excess, _ = context.electron_hole_excess()
        return self.coefficient * context.density * context.time * excess


def resolve_species(rate: AbstractRate, species_names, kinds) -> dict[int, float]:
    """`{species index: stoichiometric number}` of a rate law in a junction's species list.

    Labels are matched by identity (`V_O^••` and `V_O^..` are one species); electrons and holes
    by kind. Raises `ValueError` naming the reaction and the known species.
    """
    keys = {}
    for index, name in enumerate(species_names):
        if kinds[index] == "electron":
            keys["e|-1"] = index
        elif kinds[index] == "hole":
            keys["h|1"] = index
        else:
            keys[parse_label(name).key] = index
    out = {}
    for name, nu in rate.stoichiometry.items():
        key = parse_label(name).key
        if key not in keys:
            what = getattr(rate, "equation", type(rate).__name__)
            raise ValueError(
                f"{type(rate).__name__} {what!r}: species {name!r} is not a species of the "
                f"junction; species are {list(species_names)}"
            )
        out[keys[key]] = out.get(keys[key], 0.0) + nu
    return out
