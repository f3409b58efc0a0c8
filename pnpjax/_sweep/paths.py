"""Model leaves named by path strings, for sweeps and config files.

A path walks from the junction to one number: attributes by name, phases, interfaces and
other tuples by index, by their `name` or by their class name, dicts (carriers, state
concentrations) by key, e.g.

- `temperature`
- `phases[Li3PS4].eps_r` (also `phases.Li3PS4.eps_r`, `phases[1].eps_r`)
- `phases[Li3PS4].carriers[Li_i^•].mu0`
- `interfaces[0].sigma`, `right.potential`, `right.exchange[0].exchange_current`
- `state.concentrations[Li_i^•]`, `phases[B].activity[RegularSolution].interaction`

Brackets take any key (a phase called `Ce0.9Gd0.1O1.95` needs them); a plain segment may not
contain `.`, `[` or `]`.
"""

import re
from collections.abc import Callable, Mapping

import numpy as np


class PathError(KeyError):
    """A parameter path that names nothing in the model (the message lists what exists)."""

    def __str__(self) -> str:
        return str(self.args[0])


_SEGMENT = re.compile(r"\.?([^.\[\]]+)|\[([^\]]+)\]")


def split_path(path: str) -> list[str]:
    """The segments of a path (`"phases[B].eps_r"` → `["phases", "B", "eps_r"]`)."""
    if not isinstance(path, str) or not path.strip():
        raise ValueError(f"parameter path must be a non-empty string, got {path!r}")
    segments, position = [], 0
    while position < len(path):
        match = _SEGMENT.match(path, position)
        if match is None or match.end() == position:
            raise ValueError(
                f"parameter path {path!r}: cannot read it at character {position} "
                f"({path[position:]!r}); write e.g. phases[LiCoO2].carriers[Li_i^•].mu0"
            )
        segments.append((match.group(1) or match.group(2)).strip())
        position = match.end()
    return segments


def _step(node, segment: str, path: str, walked: str):
    """One step down the model: returns (kind, key, child)."""
    if isinstance(node, Mapping):
        if segment in node:
            return "key", segment, node[segment]
        raise PathError(
            f"parameter path {path!r}: {walked or 'the model'} has no entry {segment!r}; "
            f"known: {sorted(node)}"
        )
    if isinstance(node, (tuple, list)):
        if re.fullmatch(r"-?\d+", segment):
            index = int(segment)
            if -len(node) <= index < len(node):
                return "index", index % len(node), node[index]
            raise PathError(
                f"parameter path {path!r}: index {index} out of range for {walked} "
                f"({len(node)} entries)"
            )
        for index, item in enumerate(node):
            if getattr(item, "name", None) == segment or type(item).__name__ == segment:
                return "index", index, item
        names = [getattr(item, "name", type(item).__name__) for item in node]
        raise PathError(
            f"parameter path {path!r}: {walked} has no entry {segment!r}; give an index "
            f"(0…{len(node) - 1}) or one of {names}"
        )
    if segment.startswith("_") or not hasattr(node, segment):
        fields = [f for f in getattr(type(node), "__dataclass_fields__", {}) if f[0] != "_"]
        raise PathError(
            f"parameter path {path!r}: {walked or 'the model'} ({type(node).__name__}) has no "
            f"field {segment!r}; fields: {fields}"
        )
    return "attr", segment, getattr(node, segment)


def resolve(model, path: str) -> Callable:
    """A `where` function (as in `equinox.tree_at`) selecting the leaf `path` names in
    `model`; raises with the known alternatives when a segment does not exist, or when the
    path ends on something that is not a single number."""
    steps, node, walked = [], model, ""
    for segment in split_path(path):
        kind, key, node = _step(node, segment, path, walked)
        steps.append((kind, key))
        walked = (
            f"{walked}[{segment}]"
            if kind != "attr"
            else (f"{walked}.{segment}" if walked else segment)
        )
    try:
        value = None if node is None else np.asarray(node, dtype=np.float64)
    except (TypeError, ValueError):
        value = None
    if value is None or value.shape != ():
        what = "None (unset)" if node is None else type(node).__name__
        raise ValueError(
            f"parameter path {path!r} selects {what}, not a number: a sweep or config can set "
            "only scalar numbers (give the field a value in the model first if it is unset)"
        )

    def where(m):
        for kind, key in steps:
            m = getattr(m, key) if kind == "attr" else m[key]
        return m

    return where


# The unit and allowed range of each numeric field a path can end on, by the field's name (or,
# for dict entries, the dict's name): (unit, low, low included, high, high included).
_INF = float("inf")
FIELDS = {
    "temperature": ("K", 0.0, False, _INF, False),
    "origin": ("m", 0.0, True, _INF, False),
    "eps_r": ("1", 0.0, False, _INF, False),
    "thickness": ("m", 0.0, False, _INF, False),
    "background_charge": ("e m^-3", -_INF, False, _INF, False),
    "mu0": ("eV", -_INF, False, _INF, False),
    "density": ("m^-3", 0.0, False, _INF, False),
    "diffusivity": ("m^2/s", 0.0, True, _INF, False),
    "sigma": ("C/m^2", -_INF, False, _INF, False),
    "potential": ("V", -_INF, False, _INF, False),
    "potentials": ("eV", -_INF, False, _INF, False),
    "concentrations": ("m^-3", 0.0, False, _INF, False),
    "amounts": ("m^-2", 0.0, False, _INF, False),
    "exchange_current": ("A/m^2", 0.0, False, _INF, False),
    "symmetry": ("1", 0.0, False, 1.0, False),
    "reservoir": ("eV", -_INF, False, _INF, False),
    "rate_constant": ("SI", 0.0, True, _INF, False),
    "tau_n": ("s", 0.0, False, _INF, False),
    "tau_p": ("s", 0.0, False, _INF, False),
    "trap_level": ("eV", -_INF, False, _INF, False),
    "coefficient": ("m^3/s", 0.0, True, _INF, False),
    "sites": ("m^-3", 0.0, False, _INF, False),
    "occupied": ("1", 0.0, True, 1.0, False),
    "ion_size": ("m", 0.0, False, _INF, False),
    "interaction": ("eV", -_INF, False, _INF, False),
    "entropy": ("eV/K", -_INF, False, _INF, False),
    "activation_energy": ("eV", 0.0, True, _INF, False),
    "conductivity": ("W m^-1 K^-1", 0.0, True, _INF, False),
    "heat_capacity": ("J m^-3 K^-1", 0.0, False, _INF, False),
    "heat_of_transport": ("eV", -_INF, False, _INF, False),
    "soret": ("1/K", -_INF, False, _INF, False),
    "flux": ("W/m^2", -_INF, False, _INF, False),
    "transfer_coefficient": ("W m^-2 K^-1", 0.0, False, _INF, False),
    "ambient": ("K", 0.0, False, _INF, False),
}
# names a sweep passes to the solver instead of the model
DRIVES = {
    "voltage": ("V", -_INF, False, _INF, False),
    "current": ("A/m^2", -_INF, False, _INF, False),
}


def field_rule(path: str):
    """(unit, low, low included, high, high included) of the field `path` ends on, or None."""
    segments = split_path(path)
    if len(segments) == 1 and segments[0] in DRIVES:
        return DRIVES[segments[0]]
    for segment in reversed(segments):
        if segment in FIELDS:
            return FIELDS[segment]
    return None


def unit_of(path: str) -> str:
    """The SI unit of the field `path` ends on ("" when unknown)."""
    rule = field_rule(path)
    return rule[0] if rule else ""


def check_value(path: str, value: float, context: str) -> None:
    """Raise a ValueError naming the path, the value and the allowed range when `value` lies
    outside the range of its field."""
    rule = field_rule(path)
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{context}: {path} = {value} must be finite")
    if rule is None:
        return
    unit, low, low_in, high, high_in = rule
    ok = (value >= low if low_in else value > low) and (value <= high if high_in else value < high)
    if not ok:
        lo = f"{'[' if low_in else '('}{low:g}"
        hi = f"{high:g}{']' if high_in else ')'}"
        raise ValueError(
            f"{context}: {path} = {value:g} is outside its allowed range {lo}, {hi} ({unit})"
        )
