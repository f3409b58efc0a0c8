"""What a defect-chemistry label names: a point defect on a sublattice, an electron, a hole, or a
neutral component exchanged with a reservoir."""

import dataclasses
import re

from .._model.species import Species, parse_kroger_vink

DEFECT = "defect"
ELECTRON = "electron"
HOLE = "hole"
COMPONENT = "component"


@dataclasses.dataclass(frozen=True)
class Label:
    """A parsed label.

    - `name`: the label as first written by the user (used as the key of every result).
    - `key`: a spelling-independent identity (`V_O^••`, `V_O^..` and `V_{O}^{••}` share one).
    - `kind`: `"defect"`, `"electron"`, `"hole"` or `"component"`.
    - `charge`: effective charge number (0 for components).
    - `element`, `site`: the chemical symbol and the sublattice of a defect (`V`/`O` for `V_O^••`,
      `Li`/`i` for an interstitial `Li_i^•`); `None` where the label has no subscript.
    """

    name: str
    key: str
    kind: str
    charge: int
    element: str | None = None
    site: str | None = None

    @property
    def regular(self) -> bool:
        """A regular lattice species: a neutral host atom on its own site (`O_O^x`, `Ce_Ce^x`) or a
        vacant interstitial site (`V_i^x`). Its activity is its site fraction, fixed by the site
        balance of its sublattice."""
        if self.kind != DEFECT or self.charge != 0 or self.site is None:
            return False
        return self.element == self.site or (self.element == "V" and self.site.startswith("i"))

    def on(self, site: str) -> "Label":
        """The same defect placed on sublattice `site`."""
        return dataclasses.replace(self, site=site, key=f"{self.element}_{site}|{self.charge}")


def _core(text: str) -> str:
    if "^" in text:
        return text[: text.index("^")]
    return text.rstrip("•·.∙'′’")


def parse_label(text: str) -> Label:
    """Parse one species label. Labels with a Kröger–Vink charge mark are defects, electrons
    (`e'`) or holes (`h^•`, `h•`, `h.`); labels without one (`O2`, `Li`, `H2O`) are components."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"species label must be a non-empty string, got {text!r}")
    name = text.strip()
    charge = parse_kroger_vink(name)
    if charge is None:
        if "_" in name:
            raise ValueError(
                f"{name!r} looks like a defect but has no Kröger–Vink charge mark; add one "
                f"(x for neutral: '{name}^x', • or . for positive, ' for negative)"
            )
        if re.search(r"\s", name):
            raise ValueError(f"component {name!r} must not contain spaces")
        return Label(name, name, COMPONENT, 0)
    kind = Species(name).kind
    if kind == ELECTRON:
        return Label(name, "e|-1", ELECTRON, -1)
    if kind == HOLE:
        return Label(name, "h|1", HOLE, 1)
    core = _core(name).replace("{", "").replace("}", "").strip()
    element, _, site = core.partition("_")
    if not element:
        raise ValueError(f"defect {name!r}: no chemical symbol before the subscript")
    site = site or None
    return Label(name, f"{element}_{site}|{charge}", DEFECT, charge, element, site)
