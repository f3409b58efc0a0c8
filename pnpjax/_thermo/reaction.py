"""Defect reactions in Kröger–Vink notation and their free energies."""

import re
from collections.abc import Callable
from fractions import Fraction

import equinox as eqx
from jaxtyping import Array

from .._constants import BOLTZMANN_EV
from .._custom_types import ScalarLike, as_float
from .._fields import FINITE, check_parameters, parameter
from .defect_labels import COMPONENT, Label, parse_label

_ARROW = re.compile(r"<=>|<->|⇌|⇄|↔|->|→|=")
_TERM = re.compile(r"^(\d+/\d+|\d+\.\d*|\.\d+|\d+)?\s*(.*)$")
_PERFECT_CRYSTAL = ("0", "nil", "null", "∅", "Ø")


def _coefficient(text: str, equation: str) -> Fraction:
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ValueError(f"Reaction {equation!r}: bad coefficient {text!r}") from None


def _side(text: str, equation: str) -> list[tuple[Label, Fraction]]:
    terms = []
    for raw in text.split("+"):
        term = raw.strip()
        if not term:
            raise ValueError(
                f"Reaction {equation!r}: empty term; write the perfect crystal as 0, nil or ∅"
            )
        if term in _PERFECT_CRYSTAL:
            continue
        match = _TERM.match(term)
        number, label = match.group(1), match.group(2).strip()
        if not label:
            raise ValueError(f"Reaction {equation!r}: term {term!r} has no species")
        coefficient = Fraction(1) if number is None else _coefficient(number, equation)
        if coefficient <= 0:
            raise ValueError(f"Reaction {equation!r}: coefficient of {label!r} must be > 0")
        try:
            parsed = parse_label(label)
        except ValueError as error:
            raise ValueError(f"Reaction {equation!r}: {error}") from None
        terms.append((parsed, coefficient))
    return terms


def signed(value: Fraction) -> str:
    """`+1`, `-1/2`: a stoichiometric number with its sign."""
    return f"+{value}" if value > 0 else str(value)


def parse_equation(equation: str) -> tuple[tuple[Label, Fraction], ...]:
    """Stoichiometry of a reaction equation, products positive and reactants negative, with
    species written on both sides combined. The charge balance $\\sum_j \\nu_j z_j = 0$ is checked.

    Sides are separated by `=`, `⇌`, `<=>` or `->`; coefficients are integers, fractions (`1/2`)
    or decimals; `0`, `nil` or `∅` is the perfect crystal.
    """
    if not isinstance(equation, str):
        raise TypeError(f"Reaction: equation must be a string, got {type(equation)}")
    sides = _ARROW.split(equation)
    if len(sides) != 2:
        raise ValueError(
            f"Reaction {equation!r}: needs exactly one of =, ⇌, <=>, -> between the two sides"
        )
    net: dict[str, list] = {}
    for sign, side in ((-1, sides[0]), (1, sides[1])):
        for label, coefficient in _side(side, equation):
            entry = net.setdefault(label.key, [label, Fraction(0)])
            entry[1] += sign * coefficient
    terms = tuple((label, nu) for label, nu in net.values() if nu != 0)
    if not terms:
        raise ValueError(f"Reaction {equation!r}: no species left once both sides are combined")
    charge = sum(nu * label.charge for label, nu in terms)
    if charge != 0:
        raise ValueError(
            f"Reaction {equation!r} is not charge balanced: products minus reactants carry net "
            f"charge {signed(charge)} (in units of e); it must be 0"
        )
    return terms


class Reaction(eqx.Module):
    """A defect reaction with its mass-action law.

    $$\\sum_j \\nu_j \\ln a_j = -\\frac{\\Delta G(T)}{k_BT}, \\qquad
    \\Delta G = \\Delta H - T\\Delta S,$$

    with $\\nu_j > 0$ for products. The activities are the standard states of the defect
    chemistry: the site fraction $c/N$ of a defect on a sublattice of $N$ sites (m^-3),
    $n/N_C$ for electrons and $p/N_V$ for holes, and the given activity of a component
    (p/p° for a gas). A regular lattice species (`O_O^x`, `V_i^x`) has activity equal to its site
    fraction, $1 - \\sum_\\text{defects on the sublattice} c/N$.

    Example: the reduction of ceria, `Reaction("O_O^x = V_O^•• + 2e' + 1/2 O2", dH=4.7)`.

    **Arguments:**

    - `equation`: the reaction; sides separated by `=`, `⇌`, `<=>` or `->`; coefficients as
      integers, fractions (`1/2`) or decimals; `0`, `nil` or `∅` for the perfect crystal.
      Labels with a Kröger–Vink charge mark are defects, electrons (`e'`) or holes (`h^•`,
      `h.`); labels without one (`O2`, `Li`, `H2O`) are components exchanged with a reservoir.
    - `dH`: reaction enthalpy ΔH (eV).
    - `dS`: reaction entropy ΔS (eV/K).
    - `dG`: instead of `dH` and `dS`, a callable T (K) → ΔG (eV).

    **Reference:** F. A. Kröger, *The Chemistry of Imperfect Crystals*, North-Holland (1964);
    J. Maier, *Physical Chemistry of Ionic Materials*, 2nd ed., Wiley (2023), ch. 5.
    """

    equation: str = eqx.field(static=True)
    terms: tuple[tuple[Label, float], ...] = eqx.field(static=True)
    dH: Array = parameter(unit="eV", range=FINITE, doc="reaction enthalpy ΔH")
    dS: Array = parameter(unit="eV/K", range=FINITE, doc="reaction entropy ΔS")
    dG: Callable | None

    def __init__(
        self,
        equation: str,
        *,
        dH: ScalarLike | None = None,
        dS: ScalarLike = 0.0,
        dG: Callable | None = None,
    ):
        terms = parse_equation(equation)
        if dG is None and dH is None:
            raise ValueError(
                f"Reaction {equation!r}: give the enthalpy dH (eV), with the entropy dS (eV/K), "
                "or dG, a function T (K) -> ΔG (eV)"
            )
        if dG is not None and dH is not None:
            raise ValueError(f"Reaction {equation!r}: give dH (and dS) or dG, not both")
        if dG is not None and not callable(dG):
            raise TypeError(f"Reaction {equation!r}: dG must be a function T (K) -> ΔG (eV)")
        self.equation = equation
        self.terms = tuple((label, float(nu)) for label, nu in terms)
        self.dH = as_float(0.0 if dH is None else dH)
        self.dS = as_float(dS)
        self.dG = dG

    def __check_init__(self):
        check_parameters(self, f"Reaction {self.equation!r}")

    @property
    def components(self) -> tuple[str, ...]:
        """Names of the components (species without a charge mark) in the reaction."""
        return tuple(label.name for label, _ in self.terms if label.kind == COMPONENT)

    def free_energy(self, temperature) -> Array:
        """ΔG(T) (eV)."""
        if self.dG is not None:
            return as_float(self.dG(temperature))
        return self.dH - temperature * self.dS

    def log_constant(self, temperature) -> Array:
        """$\\ln K = -\\Delta G/k_BT$ (dimensionless)."""
        return -self.free_energy(temperature) / (BOLTZMANN_EV * temperature)
