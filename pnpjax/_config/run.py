"""`pnpjax run CONFIG.toml`: read a config file, run its solver (or sweep), write the results.

The schema (every table and key, with units and allowed values) is documented in
`docs/config.md`; `examples/configs/` holds a commented example per solver.
"""

import dataclasses
import json
import pathlib
import time
import tomllib

import numpy as np

from .._fields import parameters
from .._mesh import MAX_NODES, Mesh
from .._model.waveforms import CyclicSweep, LinearSweep, Sinusoid, Step
from .._solvers.newton import Newton
from .._solvers.stepping import TimeStepping
from .._solvers.transport_start import transport_solver
from .._sweep import space as spaces
from .._sweep import tasks
from .._sweep.paths import DRIVES, check_value, resolve
from .model import build_junction
from .schema import ConfigError, Section

SOLVERS = ("equilibrium", "steady_state", "iv_curve", "transient", "impedance")
SPACES = ("grid", "random", "latin_hypercube", "table")
WAVEFORMS = ("step", "linear_sweep", "cyclic_sweep", "sinusoid")


@dataclasses.dataclass
class Config:
    """A parsed config: the junction, mesh options, the task, outputs and an optional sweep."""

    file: str
    junction: object
    mesh_options: dict
    refine: int
    task: tasks.AbstractTask
    folder: pathlib.Path
    plot: bool
    space: spaces.AbstractSpace | None
    sweep_options: dict


def _read(path) -> dict:
    path = pathlib.Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: no such config file")
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def _mesh(config: dict, file: str) -> tuple[dict, int]:
    s = Section(config.get("mesh", {}), "[mesh]", file)
    options = {
        "nodes_per_debye": s.number("nodes_per_debye", 10.0, low=0.0),
        "growth": s.number("growth", 1.1, low=1.0),
        "bulk_debye_lengths": s.number("bulk_debye_lengths", 25.0, low=0.0),
        "min_cells": s.number("min_cells", 8, low=1, low_in=True, integer=True),
        "max_nodes": s.number("max_nodes", MAX_NODES, low=3, low_in=True, integer=True),
    }
    refine = s.number("refine", 0, low=0, low_in=True, high=8, high_in=True, integer=True)
    s.finish()
    return options, refine


def _drive(s: Section, allow_waveform: bool):
    """voltage (V) or current (A/m²): a number, or (transients) a waveform table."""
    values = {}
    for key in ("voltage", "current"):
        raw = s.raw(key, None)
        if raw is None:
            continue
        if isinstance(raw, dict) and allow_waveform:
            values[key] = _waveform(raw, f"{s.where}.{key}", s.file)
        else:
            values[key] = s.described(key, DRIVES[key], None)
    if len(values) > 1:
        raise s.error("give voltage or current, not both")
    return values.get("voltage"), values.get("current")


def _waveform(table, where, file):
    w = Section(table, where, file)
    kind = w.text("type", choices=WAVEFORMS)
    if kind == "step":
        wave = lambda: Step(
            w.number("before", 0.0),
            w.number("after"),  # noqa: E731
            w.number("time", 0.0, low=0.0, low_in=True),
            w.number("rise_time", 0.0, low=0.0, low_in=True),
        )
    elif kind == "linear_sweep":
        wave = lambda: LinearSweep(
            w.number("start", 0.0),
            w.number("rate"),  # noqa: E731
            w.number("t_start", 0.0, low=0.0, low_in=True),
        )
    elif kind == "cyclic_sweep":
        wave = lambda: CyclicSweep(  # noqa: E731
            w.number("start", 0.0),
            w.number("vertex"),
            w.number("rate"),
            w.number("cycles", 1, low=1, low_in=True, integer=True),
            w.number("lower", None),
            w.number("t_start", 0.0, low=0.0, low_in=True),
        )
    else:
        wave = lambda: Sinusoid(  # noqa: E731
            w.number("offset", 0.0),
            w.number("amplitude"),
            w.number("frequency", low=0.0),
            w.number("phase", 0.0),
            w.number("t_start", 0.0, low=0.0, low_in=True),
        )
    try:
        result = wave()
    except ValueError as error:
        if isinstance(error, ConfigError):
            raise
        raise w.error(str(error)) from None
    w.finish()
    return result


# the settings a [solver] table may give, by the fields of the settings object its solver takes
NEWTON_KEYS = ("max_steps", "continuation_steps", "atol", "rtol", "residual_tol")
STEPPING_KEYS = ("rtol", "atol", "max_steps", "steady_tolerance")


def _settings(s: Section, default, keys):
    """`default` (a `Newton` or `TimeStepping`) with the fields named in `keys` that the table
    gives, each read with the unit and range its field declares."""
    values = {}
    for key, info in parameters(default).items():
        if key in keys:
            values[key] = s.described(key, info, getattr(default, key))
    return dataclasses.replace(default, **values)


def _task(config: dict, file: str) -> tasks.AbstractTask:
    s = Section(config.get("solver", {"type": "equilibrium"}), "[solver]", file)
    kind = s.text("type", choices=SOLVERS)
    profiles = s.flag("profiles", True)
    if s.has("substeps"):
        raise s.error(
            "unknown key 'substeps' (now continuation_steps: stages per voltage interval)"
        )
    try:
        if kind == "equilibrium":
            task = tasks.Equilibrium(
                solver=_settings(s, Newton(), NEWTON_KEYS),
                extrapolate=s.flag("extrapolate", False),
                profiles=profiles,
            )
        elif kind == "steady_state":
            voltage, current = _drive(s, False)
            task = tasks.SteadyState(
                voltage=voltage,
                current=current,
                solver=_settings(s, transport_solver(None, "steady_state"), NEWTON_KEYS),
                profiles=profiles,
            )
        elif kind == "iv_curve":
            task = tasks.IVCurve(
                s.numbers("voltages"),
                solver=_settings(s, transport_solver(None, "iv_curve"), NEWTON_KEYS),
            )
        elif kind == "transient":
            voltage, current = _drive(s, True)
            task = tasks.Transient(
                s.numbers("times", positive=True),
                voltage=voltage,
                current=current,
                initial=s.text("initial", "equilibrium", choices=("equilibrium", "uniform")),
                stepping=_settings(s, TimeStepping(), STEPPING_KEYS),
                profiles=profiles,
            )
        else:
            voltage, current = _drive(s, False)
            task = tasks.Impedance(
                s.numbers("frequencies", positive=True),
                voltage=voltage,
                current=current,
                solver=_settings(s, transport_solver(None, "impedance"), NEWTON_KEYS),
                extrapolate=s.flag("extrapolate", False),
            )
    except ValueError as error:
        if isinstance(error, ConfigError):
            raise
        raise s.error(str(error)) from None
    s.finish()
    return task


def _space(config: dict, junction, task, file: str):
    if "sweep" not in config:
        return None, {}
    s = Section(config["sweep"], "[sweep]", file)
    kind = s.text("type", choices=SPACES)
    options = {
        "chunk_size": s.number("chunk_size", 256, low=1, low_in=True, integer=True),
        "table": s.text("table", "csv", choices=("csv", "parquet", "both")),
        "resume": s.flag("resume", True),
    }
    if kind == "table":
        path = pathlib.Path(s.text("file"))
        if not path.is_absolute():
            path = pathlib.Path(file).parent / path
        s.raw("parameters", None)
        s.finish()
        try:
            space = spaces.Table.from_csv(path)
        except (OSError, ValueError) as error:
            raise s.error(f"file = {str(path)!r}: {error}") from None
    else:
        raw = s.raw("parameters")
        if not isinstance(raw, dict) or not raw:
            raise s.error("parameters must be a table of parameter path → values or range")
        n = seed = None
        if kind != "grid":
            n = s.number("n", low=1, low_in=True, integer=True)
            seed = s.number("seed", 0, low=0, low_in=True, integer=True)
        s.finish()
        entries = {}
        for name, spec in raw.items():
            p = Section(
                spec if isinstance(spec, dict) else {"values": spec},
                f"[sweep.parameters].{name!r}",
                file,
            )
            if kind == "grid":
                entries[name] = p.numbers("values") if p.has("values") else _linspace(p)
            else:
                low, high = p.number("low"), p.number("high")
                log = p.flag("log", False)
                if not low < high or (log and low <= 0):
                    raise p.error(f"need low < high (and low > 0 for log), got {low}, {high}")
                entries[name] = spaces.Range(low, high, log=log)
            p.finish()
        space = (
            spaces.Grid(entries)
            if kind == "grid"
            else spaces.RandomSamples(entries, n, seed=seed)
            if kind == "random"
            else spaces.LatinHypercube(entries, n, seed=seed)
        )
    for name in space.names:
        if name in task.inputs:
            continue
        try:
            resolve(junction, name)
        except (KeyError, ValueError) as error:
            raise ConfigError(f"{file}: [sweep.parameters]: {error}") from None
        for bound in space.bounds(name):
            try:
                check_value(junction, name, bound, "[sweep.parameters]")
            except ValueError as error:
                raise ConfigError(f"{file}: {error}") from None
    return space, options


def _linspace(p: Section):
    start, stop = p.number("start"), p.number("stop")
    points = p.number("points", low=1, low_in=True, integer=True)
    spacing = p.text("spacing", "linear", choices=("linear", "log"))
    if spacing == "log":
        if start <= 0 or stop <= 0:
            raise p.error("a log spacing needs start > 0 and stop > 0")
        return list(np.geomspace(start, stop, points))
    return list(np.linspace(start, stop, points))


def load(path, output=None) -> Config:
    """Parse and check a config file (raises `ConfigError` naming the key and the value)."""
    file = str(path)
    config = _read(path)
    known = {
        "junction",
        "phases",
        "interfaces",
        "state",
        "species",
        "segregation",
        "mesh",
        "solver",
        "output",
        "sweep",
    }
    top = Section(config, "top level", file)
    for key in known:
        top.raw(key, None)
    top.finish()
    junction = build_junction(config, file)
    mesh_options, refine = _mesh(config, file)
    task = _task(config, file)
    o = Section(config.get("output", {}), "[output]", file)
    folder = pathlib.Path(o.text("folder", "pnpjax-output"))
    plot = o.flag("plot", True)
    o.finish()
    if output is not None:
        folder = pathlib.Path(output)
    elif not folder.is_absolute():
        folder = pathlib.Path(file).parent / folder
    space, sweep_options = _space(config, junction, task, file)
    return Config(file, junction, mesh_options, refine, task, folder, plot, space, sweep_options)


def run(path, output=None, *, progress: bool = True) -> dict:
    """Run the config at `path`; write CSV/JSON/PNG (and a sweep's table and data set) into
    its output folder (or `output`). Returns the summary written to `summary.json`."""
    from .writers import write_single, write_sweep

    started = time.perf_counter()
    config = load(path, output)
    config.folder.mkdir(parents=True, exist_ok=True)
    if config.space is None:
        mesh = Mesh.auto(config.junction, **config.mesh_options)
        if config.refine:
            budget = config.mesh_options["max_nodes"]
            nodes = 1 + (mesh.n_nodes - 1) * 2**config.refine
            if nodes > budget:
                raise ValueError(
                    f"[mesh]: refine = {config.refine} makes {nodes} nodes of the automatic "
                    f"mesh's {mesh.n_nodes}, more than max_nodes = {budget}; lower refine or "
                    "raise max_nodes"
                )
            mesh = mesh.refined(config.refine)
        summary = write_single(config, mesh)
    else:
        summary = write_sweep(config, progress)
    summary["config"] = str(path)
    summary["seconds"] = time.perf_counter() - started
    (config.folder / "summary.json").write_text(json.dumps(summary, indent=2, default=float))
    return summary
