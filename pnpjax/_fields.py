"""Parameters described once: the unit, allowed range and meaning of every number in the model.

A model class declares each float parameter with `parameter(unit=..., range=..., doc=...)`;
the declaration lives in the field's metadata, and everything that needs it reads it from
there: the construction checks (`check_parameters`, from `__check_init__`), the config-file
reader (`pnpjax run`), the parameter paths of sweeps (`phases[B].eps_r` → its unit and range)
and the documentation. A number is never described twice.

```python
class Carrier(eqx.Module):
    mu0: Array = parameter(unit="eV", doc="standard chemical potential μ°")
    density: Array = parameter(unit="m^-3", range=POSITIVE, doc="site density N")
```
"""

import dataclasses
import math

import equinox as eqx
import numpy as np

from ._custom_types import concrete


@dataclasses.dataclass(frozen=True)
class Range:
    """The allowed values of a parameter: between `low` and `high`, each end included when its
    `*_closed` flag says so; always finite."""

    low: float = -math.inf
    high: float = math.inf
    low_closed: bool = False
    high_closed: bool = False

    def contains(self, value) -> np.ndarray:
        """Whether each of `value` lies in the range (and is finite)."""
        value = np.asarray(value, dtype=float)
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return np.isfinite(value) & above & below

    def describe(self) -> str:
        """The range in words: "finite", "> 0", ">= 0", "in (0, 1)"."""
        if math.isinf(self.low) and math.isinf(self.high):
            return "finite"
        if math.isinf(self.high):
            return f"{'>=' if self.low_closed else '>'} {self.low:g}"
        if math.isinf(self.low):
            return f"{'<=' if self.high_closed else '<'} {self.high:g}"
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"in {left}{self.low:g}, {self.high:g}{right}"


FINITE = Range()
POSITIVE = Range(low=0.0)
NON_NEGATIVE = Range(low=0.0, low_closed=True)
UNIT_INTERVAL = Range(low=0.0, high=1.0)
FRACTION = Range(low=0.0, high=1.0, low_closed=True)
COUNT = Range(low=1.0, low_closed=True)
"""A number of iterations, steps or stages: >= 1 (with `integer=True`)."""


@dataclasses.dataclass(frozen=True)
class Parameter:
    """What a field's metadata says of it: `unit` (SI, energies in eV; "1" for a number),
    `range`, `doc` (its meaning, in a phrase) and whether it is an `integer` (a count)."""

    unit: str
    range: Range
    doc: str
    integer: bool = False

    def unit_text(self) -> str:
        """The unit as messages show it: " (m^-3)", nothing for a pure number."""
        return "" if self.unit == "1" else f" ({self.unit})"


def parameter(
    *, unit: str, range: Range = FINITE, doc: str = "", integer: bool = False, **field_options
):
    """An `equinox` field carrying its `Parameter` description (see the module docstring)."""
    metadata = {"parameter": Parameter(unit, range, doc, integer)}
    return eqx.field(metadata=metadata, **field_options)


def describe(owner, name: str) -> Parameter | None:
    """The `Parameter` of field `name` of a model class or instance, `None` if undeclared."""
    cls = owner if isinstance(owner, type) else type(owner)
    for field in dataclasses.fields(cls):
        if field.name == name:
            return field.metadata.get("parameter")
    return None


def parameters(owner) -> dict[str, Parameter]:
    """Every declared parameter of a model class or instance, by field name."""
    cls = owner if isinstance(owner, type) else type(owner)
    out = {}
    for field in dataclasses.fields(cls):
        info = field.metadata.get("parameter")
        if info is not None:
            out[field.name] = info
    return out


def check_value(info: Parameter, value, what: str, hint: str = "") -> None:
    """Raise `ValueError` naming `what`, its unit and range when a concrete `value` lies
    outside `info.range`; traced values pass."""
    array = concrete(value)
    if array is None:
        return
    if info.integer and not bool(np.all(np.round(array) == array)):
        raise ValueError(f"{what} must be a whole number, got {array}{hint}")
    if bool(np.all(info.range.contains(array))):
        return
    shown = array.item() if array.ndim == 0 else array
    if info.integer and array.ndim == 0 and float(shown).is_integer():
        shown = int(shown)
    # "must be finite" needs no unit; a bound does
    unit = "" if info.range == FINITE else info.unit_text()
    raise ValueError(f"{what}{unit} must be {info.range.describe()}, got {shown}{hint}")


def check_parameters(
    module, owner: str, hints: dict[str, str] | None = None, skip: tuple[str, ...] = ()
) -> None:
    """Check every declared parameter of `module` against its range (from `__check_init__`):
    the message names `owner`, the field, its unit and range, and the value; a dict field is
    checked entry by entry, a `None` field is skipped. `hints` adds advice per field; `skip`
    names fields the caller checks itself (a range that depends on another field)."""
    hints = hints or {}
    for name, info in parameters(module).items():
        if name in skip:
            continue
        value = getattr(module, name)
        hint = hints.get(name, "")
        if value is None:
            continue
        if isinstance(value, dict):
            for key, entry in value.items():
                check_value(info, entry, f"{owner}: {name}[{key!r}]", hint)
        else:
            check_value(info, value, f"{owner}: {name}", hint)


def settings_dict(module) -> dict:
    """The fields of a settings object (a solver's) as plain JSON values: numbers and strings
    as they are, arrays as lists, functions by name, nested settings as dicts."""
    out = {"type": type(module).__name__}
    for field in dataclasses.fields(module):
        value = getattr(module, field.name)
        if callable(value) and not isinstance(value, eqx.Module):
            value = getattr(value, "__name__", repr(value))
        elif isinstance(value, eqx.Module):
            value = settings_dict(value)
        elif value is not None and not isinstance(value, (bool, int, float, str)):
            array = np.asarray(value)
            value = array.item() if array.ndim == 0 else array.tolist()
        out[field.name] = value
    return out
