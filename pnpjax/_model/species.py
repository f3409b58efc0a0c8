"""Charged species and Kröger–Vink labels."""

import re

import equinox as eqx

_POSITIVE = "•·.∙"
_NEGATIVE = "'′’"
_NEUTRAL = ("x", "X", "×")
_KINDS = ("ion", "electron", "hole")


def parse_kroger_vink(label: str) -> int | None:
    """Effective charge number of a Kröger–Vink label, or `None` if `label` carries no charge mark.

    Dots (`•`, or ASCII `.`) count +1 each, primes (`'`) −1 each and `x` marks a neutral defect,
    with or without a caret and braces: `Li_i^•`, `Li_i^.`, `V_O^••`, `V_O^{..}`, `V_Li'`, `O_O^x`,
    `e'`, `h^•`, `h.`.

    **Reference:** F. A. Kröger and H. J. Vink, *Solid State Phys.* 3, 307 (1956).
    """
    text = label.strip()
    braced = re.fullmatch(r"(.+?)\^\{(.*)\}", text)
    if braced:
        core, marks = braced.group(1), braced.group(2)
    else:
        stripped = text.rstrip(_POSITIVE + _NEGATIVE)
        marks = text[len(stripped) :]
        core = stripped
        if not marks:
            for neutral in _NEUTRAL:
                if text.endswith("^" + neutral):
                    return 0
            return None
        core = core.removesuffix("^")
    if not core:
        raise ValueError(f"Kröger–Vink label {label!r} has a charge mark but no defect name")
    if not marks:
        raise ValueError(f"Kröger–Vink label {label!r}: empty charge mark; use x for neutral")
    if marks in _NEUTRAL:
        return 0
    n_pos = sum(marks.count(ch) for ch in _POSITIVE)
    n_neg = sum(marks.count(ch) for ch in _NEGATIVE)
    if n_pos + n_neg != len(marks) or (n_pos and n_neg):
        raise ValueError(
            f"Kröger–Vink label {label!r}: charge marks {marks!r} must be all dots (•, .) or all "
            "primes ('), or a single x"
        )
    return n_pos - n_neg


def _core(label: str) -> str:
    return label.strip().split("^")[0].rstrip(_POSITIVE + _NEGATIVE)


class Species(eqx.Module):
    """A charged (or neutral) species: an ion, a point defect, an electron or a hole.

    The charge number `z` is parsed from a Kröger–Vink label (`"V_O^••"` → +2, `"V_Li'"` → −1,
    `"e'"` → an electron, `"h^•"` → a hole) unless given explicitly, which plain names need
    (`Species("Li+", charge=1)`).

    Electrons and holes are special: they share one electrochemical potential, the Fermi level
    $E_F$ (eV), and the standard chemical potential a phase gives them is the band edge
    ($E_C$ for electrons, $E_V$ for holes, eV), so that
    $n = N_C \\exp((E_F - E_C + e\\phi)/k_BT)$ and $p = N_V \\exp((E_V - e\\phi - E_F)/k_BT)$.

    **Arguments:**

    - `name`: label used everywhere else (phases, interfaces, results).
    - `charge`: charge number z (dimensionless); parsed from `name` when omitted.
    - `kind`: `"ion"` (any ionic species or defect), `"electron"` or `"hole"`; inferred for `e'`
      and `h^•`.
    """

    name: str = eqx.field(static=True)
    charge: int = eqx.field(static=True)
    kind: str = eqx.field(static=True)

    def __init__(self, name: str, charge: int | None = None, kind: str | None = None):
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"Species name must be a non-empty string, got {name!r}")
        parsed = parse_kroger_vink(name)
        if charge is None:
            if parsed is None:
                raise ValueError(
                    f"Species {name!r}: cannot infer a charge. Use a Kröger–Vink label "
                    "(e.g. 'Li_i^•', \"V_Li'\") or pass charge=..., e.g. Species('Li+', charge=1)"
                )
            charge = parsed
        elif parsed is not None and parsed != charge:
            raise ValueError(
                f"Species {name!r}: the label says charge {parsed} but charge={charge} was given"
            )
        if int(charge) != charge:
            raise ValueError(f"Species {name!r}: charge must be an integer, got {charge}")
        if kind is None:
            core = _core(name)
            kind = {"e": "electron", "h": "hole"}.get(core, "ion")
        if kind not in _KINDS:
            raise ValueError(f"Species {name!r}: kind must be one of {_KINDS}, got {kind!r}")
        if kind == "electron" and charge != -1:
            raise ValueError(f"Species {name!r}: an electron has charge -1, got {charge}")
        if kind == "hole" and charge != 1:
            raise ValueError(f"Species {name!r}: a hole has charge +1, got {charge}")
        self.name = name
        self.charge = int(charge)
        self.kind = kind
