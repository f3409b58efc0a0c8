"""Reading a config table with errors that name the file, the key, the value and what is allowed."""

import difflib
import math

from .._fields import Parameter, describe


class ConfigError(ValueError):
    """A config file that cannot be run; the message names the key, the value and the fix."""


_REQUIRED = object()


def _range_text(low, low_in, high, high_in) -> str:
    return f"{'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}"


class Section:
    """One TOML table being read: `take` each key (checked), then `finish` rejects the rest.

    `where` names the table in messages, e.g. `[[phases]] #2 (Li3PS4)`.
    """

    REQUIRED = _REQUIRED  # the default of a key that must be given

    def __init__(self, data, where: str, file: str):
        if not isinstance(data, dict):
            raise ConfigError(
                f"{file}: {where} must be a table, got {type(data).__name__} {data!r}"
            )
        self.data, self.where, self.file = data, where, file
        self.used: set[str] = set()

    def error(self, message: str) -> ConfigError:
        return ConfigError(f"{self.file}: {self.where}: {message}")

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default=_REQUIRED):
        self.used.add(key)
        if key not in self.data:
            if default is _REQUIRED:
                raise self.missing(key)
            return default
        return self.data[key]

    def missing(self, key: str, what: str = "") -> ConfigError:
        """The error for a missing key, pointing at a misspelt one if there is one."""
        others = [k for k in self.data if k not in self.used]
        hint = difflib.get_close_matches(key, others, n=1)
        return self.error(
            f"missing required key {key!r}"
            + (f" ({what})" if what else "")
            + (f"; found {hint[0]!r}: did you mean {key!r}?" if hint else "")
        )

    def number(
        self,
        key,
        default=_REQUIRED,
        *,
        low=-math.inf,
        high=math.inf,
        low_in=False,
        high_in=False,
        integer=False,
        unit="",
    ):
        """A number within `low`…`high` (open ends unless `low_in`/`high_in`)."""
        value = self.raw(key, default)
        if value is None or (value is default and default is not _REQUIRED):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(f"{key} = {value!r} must be a number{f' ({unit})' if unit else ''}")
        if integer and int(value) != value:
            raise self.error(f"{key} = {value!r} must be a whole number")
        ok = (
            math.isfinite(value)
            and (value >= low if low_in else value > low)
            and (value <= high if high_in else value < high)
        )
        if not ok:
            raise self.error(
                f"{key} = {value!r} is outside its allowed range "
                f"{_range_text(low, low_in, high, high_in)}{f' ({unit})' if unit else ''}"
            )
        return int(value) if integer else float(value)

    def parameter(self, key, owner, default=_REQUIRED, *, name=None):
        """The value of model field `name` (default `key`) of class `owner`, checked against
        the unit and range its metadata declares (`pnpjax._fields.parameter`)."""
        info = describe(owner, name or key)
        if info is None:
            raise TypeError(f"{owner.__name__}.{name or key} declares no parameter metadata")
        return self.described(key, info, default)

    def described(self, key, info: Parameter, default=_REQUIRED):
        """A number with the unit and range of `info`."""
        r = info.range
        return self.number(
            key,
            default,
            low=r.low,
            high=r.high,
            low_in=r.low_closed,
            high_in=r.high_closed,
            integer=info.integer,
            unit=info.unit,
        )

    def text(self, key, default=_REQUIRED, *, choices=None):
        value = self.raw(key, default)
        if value is default and default is not _REQUIRED:
            return value
        if not isinstance(value, str):
            raise self.error(f"{key} = {value!r} must be a string")
        if choices is not None and value not in choices:
            hint = difflib.get_close_matches(value, choices, n=1)
            raise self.error(
                f"{key} = {value!r} is not one of {list(choices)}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
            )
        return value

    def flag(self, key, default=_REQUIRED) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.error(f"{key} = {value!r} must be true or false")
        return value

    def strings(self, key, default=_REQUIRED) -> tuple[str, ...]:
        """A string or a list of strings."""
        value = self.raw(key, default)
        if value is default and default is not _REQUIRED:
            return value
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(f"{key} = {value!r} must be a string or a list of strings")
        return tuple(value)

    def numbers(self, key, default=_REQUIRED, *, positive=False) -> list[float] | None:
        """A list of numbers, or a table {start, stop, points, spacing = "linear" | "log"}."""
        value = self.raw(key, default)
        if value is default and default is not _REQUIRED:
            return value
        if isinstance(value, dict):
            spec = Section(value, f"{self.where}.{key}", self.file)
            spacing = spec.text("spacing", "linear", choices=("linear", "log"))
            points = spec.number("points", low=1, low_in=True, integer=True)
            start, stop = spec.number("start"), spec.number("stop")
            spec.finish()
            if spacing == "log":
                if start <= 0 or stop <= 0:
                    raise self.error(f"{key}: a log spacing needs start > 0 and stop > 0")
                values = [start * (stop / start) ** (k / max(points - 1, 1)) for k in range(points)]
            else:
                values = [start + (stop - start) * k / max(points - 1, 1) for k in range(points)]
        elif (
            isinstance(value, list)
            and value
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        ):
            values = [float(v) for v in value]
        else:
            raise self.error(
                f"{key} = {value!r} must be a non-empty list of numbers or a table "
                '{start = ..., stop = ..., points = ..., spacing = "linear" | "log"}'
            )
        if not all(math.isfinite(v) for v in values):
            raise self.error(f"{key}: every value must be finite, got {values}")
        if positive and any(v <= 0 for v in values):
            raise self.error(f"{key}: every value must be > 0, got {values}")
        return values

    def tables(self, key, default=_REQUIRED) -> list[dict]:
        """An array of tables (or one table)."""
        value = self.raw(key, default)
        if value is default and default is not _REQUIRED:
            return value
        if isinstance(value, dict):
            return [value]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(f"{key} must be a table or a list of tables, got {value!r}")
        return value

    def finish(self) -> None:
        unknown = [k for k in self.data if k not in self.used]
        if unknown:
            key = unknown[0]
            hint = difflib.get_close_matches(key, sorted(self.used), n=1)
            raise self.error(
                f"unknown key {key!r}"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + f"; allowed here: {sorted(self.used)}"
            )
