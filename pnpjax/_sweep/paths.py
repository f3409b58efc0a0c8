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

from .._fields import FINITE, Parameter, describe


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


# names a sweep passes to the solver instead of the model
DRIVES = {
    "voltage": Parameter("V", FINITE, "voltage applied to the right contact"),
    "current": Parameter("A/m^2", FINITE, "current density through the device"),
}


def describe_path(model, path: str) -> Parameter | None:
    """The `Parameter` (unit, range, meaning) of the number `path` names in `model`, read from
    the metadata of the field the path ends on (a dict entry, e.g. `carriers[X]` or
    `concentrations[X]`, takes its dict field's); a drive name (`voltage`, `current`) its own.
    `None` for a field without metadata."""
    segments = split_path(path)
    if len(segments) == 1 and segments[0] in DRIVES:
        return DRIVES[segments[0]]
    node, field, walked = model, None, ""
    for segment in segments:
        kind, key, child = _step(node, segment, path, walked)
        if kind == "attr":
            field = (node, key)
        walked = f"{walked}.{segment}" if walked else segment
        node = child
    return None if field is None else describe(*field)


def unit_of(model, path: str) -> str:
    """The SI unit of the number `path` names in `model` ("" when undeclared)."""
    info = describe_path(model, path)
    return info.unit if info else ""


def check_value(model, path: str, value: float, context: str) -> None:
    """Raise a ValueError naming the path, the value and the allowed range when `value` lies
    outside the range its field declares."""
    info = describe_path(model, path)
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{context}: {path} = {value} must be finite")
    if info is None or bool(info.range.contains(value)):
        return
    r = info.range
    lo = f"{'[' if r.low_closed else '('}{r.low:g}"
    hi = f"{r.high:g}{']' if r.high_closed else ')'}"
    raise ValueError(
        f"{context}: {path} = {value:g} is outside its allowed range {lo}, {hi} ({info.unit})"
    )
