"""Shared helpers of the benchmark scripts: timing, machine information, tables and JSON.

Every timing is a wall-clock median of repeated calls, taken after a first (compiling) call
whose time is reported separately. JAX calls are synchronised with `jax.block_until_ready`.
"""

import contextlib
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def baseline_worktree(rev: str):
    """A detached git worktree of `rev` in a temporary folder, removed on exit: the baseline
    checkout that a benchmark compares this one with, side by side."""
    path = Path(tempfile.mkdtemp(prefix="pnpjax-baseline-"))
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--force", str(path), rev],
        check=True,
        capture_output=True,
    )
    try:
        yield path
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)],
            capture_output=True,
        )


def time_call(fn, *args, repeats: int = 10, warmup: int = 2, first: bool = True) -> dict:
    """Time `fn(*args)`. Returns `{"first_s", "median_s", "min_s", "repeats", "value"}`.

    `first_s` is the first call (for a fresh `jax.jit` function: tracing + compilation + one
    run). Then `warmup` untimed calls: the first few runs of a large batched XLA computation
    are up to 2x slower while the allocator acquires memory from the OS. `median_s`/`min_s`
    are over `repeats` further calls. With `first=False` neither the first call nor warm-up is
    separated (for functions that need none, e.g. SciPy).
    """
    import jax

    def once():
        start = time.perf_counter()
        value = jax.block_until_ready(fn(*args))
        return time.perf_counter() - start, value

    first_s, value = once()
    samples = [] if first else [first_s]
    for _ in range(warmup if first else 0):
        once()
    while len(samples) < repeats:
        elapsed, value = once()
        samples.append(elapsed)
    return {
        "first_s": first_s,
        "median_s": statistics.median(samples),
        "min_s": min(samples),
        "repeats": len(samples),
        "value": value,
    }


def resolve_settings(args, defaults: dict, quick: dict) -> dict:
    """Benchmark settings: `defaults`, then `quick` with `--quick`, then any command-line
    option of the same name that was given."""
    settings = dict(defaults)
    if args.quick:
        settings.update(quick)
    for key in settings:
        if getattr(args, key, None) is not None:
            settings[key] = getattr(args, key)
    return settings


def mesh_with_nodes(build, nodes: int, iterations: int = 25):
    """The mesh `build(growth)` closest to `nodes` nodes: bisect log(growth − 1) over
    [1e-4, 0.5] (the node count falls as the growth of `Mesh.auto` rises)."""
    import math

    lo, hi = math.log(1e-4), math.log(0.5)
    best = build(1.0 + math.exp(hi))
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        mesh = build(1.0 + math.exp(mid))
        if abs(mesh.n_nodes - nodes) < abs(best.n_nodes - nodes):
            best = mesh
        lo, hi = (mid, hi) if mesh.n_nodes > nodes else (lo, mid)
        if mesh.n_nodes == nodes:
            break
    return best


def machine_info() -> dict:
    """Platform, CPU count and versions, and the JAX device this process uses."""
    import jax
    import jaxlib

    device = jax.devices()[0]
    info = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "jax_version": jax.__version__,
        "jaxlib_version": jaxlib.__version__,
        "backend": jax.default_backend(),
        "device_kind": device.device_kind,
        "device_count": jax.device_count(),
        "x64": bool(jax.config.read("jax_enable_x64")),
        # includes this suite's own work of the last minute; see warn_if_busy
        "load_average_1min": os.getloadavg()[0],
    }
    try:
        import scipy

        info["scipy_version"] = scipy.__version__
    except ImportError:  # scipy is only needed by the Gouy–Chapman benchmark
        pass
    try:
        import pnpjax

        info["pnpjax_version"] = pnpjax.__version__
    except ImportError:
        pass
    return info


def warn_if_busy() -> None:
    """Print a warning when the machine looks oversubscribed (load above the core count).

    The 1-min load average also counts this suite's own work of the last minute (XLA uses every
    core), so a value near the core count right after another benchmark is expected."""
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load > cores + 0.5:
        print(
            f"WARNING: 1-min load average is {load:.2f} on {cores} cores; if other processes "
            "are running, the timings will be pessimistic"
        )


def write_json(name: str, payload: dict) -> Path:
    """Write `payload` plus machine info to `benchmarks/results/<name>.json`."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    document = {
        "benchmark": name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        **payload,
    }
    path.write_text(json.dumps(document, indent=2, default=_jsonable) + "\n")
    return path


def _jsonable(value):
    """Fallback for numpy scalars and arrays in `json.dumps`."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value)}")


def print_table(rows: list[dict], columns: list[tuple[str, str, str]]) -> None:
    """Print `rows` as an aligned text table. `columns`: `(key, header, format spec)`."""
    cells = [[header for _, header, _ in columns]]
    for row in rows:
        cells.append([_format(row.get(key), spec) for key, _, spec in columns])
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for n, line in enumerate(cells):
        print("  ".join(text.rjust(width) for text, width in zip(line, widths)))
        if n == 0:
            print("  ".join("-" * width for width in widths))


def _format(value, spec: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def verdict(value: float, limit: float, *, at_least: bool = False) -> bool:
    """Whether `value` meets a target: `value <= limit`, or `value >= limit` with `at_least`."""
    return value >= limit if at_least else value <= limit
