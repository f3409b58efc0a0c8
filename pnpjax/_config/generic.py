"""Model classes read from config tables by what their fields declare.

A boundary, rate law, activity model or thermal boundary needs no reader of its own: its
config `type` is its class name in snake case (`SchottkyContact` → `schottky_contact`), and
each argument of its constructor is read from the table by kind: a field declared with
`pnpjax._fields.parameter` as a number with that unit and range, a `bool` default as a flag, a
`str` default as text. Structured arguments (species lists, kinetics tables) are read by the
caller and passed in. Adding such a class to pnpjax adds it to config files.
"""

import inspect
import re

from .._fields import describe
from .schema import Section


def snake_case(name: str) -> str:
    """`SchottkyContact` → `schottky_contact`."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def registry(base: type, exclude: tuple[type, ...] = ()) -> dict[str, type]:
    """`{config type name: class}` for every concrete subclass of `base` (abstract classes and
    private ones, whose names start with `Abstract` or `_`, excluded)."""
    found, pending = {}, list(base.__subclasses__())
    while pending:
        cls = pending.pop(0)
        pending.extend(cls.__subclasses__())
        if cls in exclude or cls.__name__.startswith(("Abstract", "_")):
            continue
        found.setdefault(snake_case(cls.__name__), cls)
    return found


def arguments(cls: type) -> dict[str, inspect.Parameter]:
    """The keyword-capable constructor arguments of `cls`."""
    return {
        name: p
        for name, p in inspect.signature(cls).parameters.items()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    }


def construct(section: Section, cls: type, **given):
    """`cls(**arguments)`, every argument not in `given` read from `section` by its kind (see
    the module docstring); unknown keys in the table are rejected, and the class's own
    construction errors are reported against the table."""
    kwargs = dict(given)
    for name, argument in arguments(cls).items():
        if name in kwargs:
            continue
        default = Section.REQUIRED if argument.default is argument.empty else argument.default
        info = describe(cls, name)
        if info is not None:
            kwargs[name] = section.described(name, info, default)
        elif isinstance(default, bool):
            kwargs[name] = section.flag(name, default)
        elif isinstance(default, str):
            kwargs[name] = section.text(name, default)
        elif default is Section.REQUIRED:
            raise TypeError(f"config: {cls.__name__} argument {name!r} has no config reader")
    section.finish()
    try:
        return cls(**kwargs)
    except (ValueError, TypeError, KeyError) as error:
        raise section.error(f"{cls.__name__}: {error}") from None
