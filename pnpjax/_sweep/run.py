"""`sweep`: one solver over a parameter set, chunked, vmapped, sharded over every device.

Every chunk is one call of a single compiled program, `jit(vmap(solve))`, whose point axis is
sharded over the devices (`jax.sharding.NamedSharding` on a one-axis device mesh): the points
of a chunk are independent, so XLA partitions the batch without communication, and a chunk
of c points runs as c/d points per device. Under `jax.distributed` (several processes, e.g.
one per node of a SLURM job) `jax.devices()` spans every host; each process supplies its own
devices' share of a chunk and process 0 writes the results.

The mesh of the discretisation is fixed for the whole sweep (built once by `Mesh.auto` from
points spread over the space), so every chunk reuses one compilation; the last chunk is
padded with copies of its last point.

**Reference:** JAX documentation, "Distributed arrays and automatic parallelization" and
"Multi-host and multi-process environments" (jax.readthedocs.io).
"""

import datetime
import hashlib
import json
import math
import pathlib
import re
import tempfile
import time
from collections.abc import Callable, Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._linalg.tridiagonal import cyclic_reduction_on_cpu
from .._mesh import Mesh
from .._model.junction import Junction
from .._program import collector_paused
from .._sweep import storage
from .paths import check_value, resolve, unit_of
from .result import SweepResult
from .space import AbstractSpace
from .tasks import AbstractTask, Equilibrium

TABLE_FORMATS = ("csv", "parquet", "both")
_MESH_SAMPLE = 33  # points spread over the space that the default mesh must serve
_DIAGNOSTICS = ("iterations", "residual", "steps")


def _where_functions(model: Junction, names, where) -> dict[str, tuple[Callable, ...]]:
    """Each model parameter's leaves: `where[name]` (a function, a path, or a tuple of them
    to tie several leaves) or the name itself read as a path."""
    where = {} if where is None else dict(where)
    unknown = set(where) - set(names)
    if unknown:
        raise ValueError(f"sweep: where names {sorted(unknown)} are not parameters of the space")
    out = {}
    for name in names:
        targets = where.get(name, name)
        targets = targets if isinstance(targets, (tuple, list)) else (targets,)
        functions = []
        for target in targets:
            if isinstance(target, str):
                functions.append(resolve(model, target))
            elif callable(target):
                functions.append(target)
            else:
                raise TypeError(
                    f"sweep: where[{name!r}] must be a path string, a function from the junction "
                    f"to a leaf, or a tuple of them; got {type(target).__name__}"
                )
        out[name] = tuple(functions)
    return out


def _builder(model, names, where):
    """`build(values: dict, base) -> Junction` (traceable; `base` is the junction whose
    leaves the values replace, default `model`) and the paths used to check values."""
    if isinstance(model, Junction):
        functions = _where_functions(model, names, where)

        def build(values, base=model):
            junction = base
            for name, fns in functions.items():
                value = jnp.asarray(values[name], dtype=jnp.float64)
                for fn in fns:
                    junction = eqx.tree_at(fn, junction, value)
            return junction

        checked = {n: (where or {}).get(n, n) for n in names}
        checked = {n: p for n, p in checked.items() if isinstance(p, str)}
        return build, checked
    if callable(model):
        if where is not None:
            raise ValueError("sweep: where= applies to a Junction model, not to a builder function")

        def build(values, base=None):
            junction = model(dict(values))
            if not isinstance(junction, Junction):
                raise TypeError(
                    f"sweep: the model function must return a pnpjax.Junction, got "
                    f"{type(junction).__name__}"
                )
            return junction

        return build, {}
    raise TypeError(
        "sweep: model must be a pnpjax.Junction (parameters named by path or where=) or a "
        f"function values -> Junction, got {type(model).__name__}"
    )


def _fingerprint(model) -> str:
    """A hash of the model's numbers and structure (a resumed sweep must use the same model)."""
    digest = hashlib.sha256()
    if isinstance(model, Junction):
        leaves, treedef = jax.tree_util.tree_flatten(model)
        digest.update(str(treedef).encode())
        for leaf in leaves:
            digest.update(np.asarray(leaf).tobytes())
    else:
        digest.update(
            f"{getattr(model, '__module__', '')}.{getattr(model, '__qualname__', '')}".encode()
        )
    return digest.hexdigest()


def _mesh_fingerprint(mesh: Mesh) -> str:
    digest = hashlib.sha256()
    for leaf in jax.tree_util.tree_leaves(mesh):
        digest.update(np.asarray(leaf).tobytes())
    return digest.hexdigest()


def _sample(space: AbstractSpace) -> dict[str, np.ndarray]:
    """Points spread through the space, and each parameter at both of its bounds."""
    n = len(space)
    index = np.unique(np.linspace(0, n - 1, min(n, _MESH_SAMPLE)).round().astype(int))
    rows = [space.values(int(i), int(i) + 1) for i in index]
    base = space.values(0, 1)
    for name in space.names:
        for bound in space.bounds(name):
            rows.append({**base, name: np.array([bound])})
    return {name: np.concatenate([r[name] for r in rows]) for name in space.names}


def _check_bounds(space, model, checked, build, model_names, task_names):
    """Each parameter at its lowest and highest value must give a valid model; raises naming
    the parameter, the value and the allowed range."""
    base = {n: float(v[0]) for n, v in space.values(0, 1).items()}
    for name in space.names:
        low, high = space.bounds(name)
        path = checked.get(name, name if name in task_names else None)
        for value in (low, high):
            if path is not None:
                check_value(model, path, value, f"sweep parameter {name!r}")
            if name in model_names:
                try:
                    build({n: (value if n == name else base[n]) for n in model_names})
                except (ValueError, TypeError) as error:
                    raise ValueError(
                        f"sweep parameter {name!r} = {value:g} gives an invalid model: {error}"
                    ) from None


class _Program:
    """The compiled chunk program and how inputs reach the devices."""

    def __init__(self, point_fn, chunk: int, n_names: int, devices, constants):
        self.devices = list(devices)
        self.chunk = chunk
        device_mesh = jax.sharding.Mesh(np.array(self.devices), ("points",))
        points = jax.sharding.PartitionSpec("points")
        everywhere = jax.sharding.PartitionSpec()
        self.sharding = jax.sharding.NamedSharding(device_mesh, points)
        replicated = jax.sharding.NamedSharding(device_mesh, everywhere)
        # the model's and mesh's arrays are arguments, not constants folded into the program
        self.constants = jax.tree_util.tree_map(
            lambda a: jax.make_array_from_callback(
                np.shape(a), replicated, lambda index: np.asarray(a)[index]
            ),
            constants,
        )
        # shard_map, not a sharded jit: every device runs its own vmapped solve on its own
        # points, with no communication. Under a sharded jit XLA turns the batched Newton
        # loop's "is any point still iterating?" into a cross-device all-reduce at every
        # iteration: a rendezvous per step, which deadlocked forced host devices sharing two
        # cores (chunks of 512 points).
        local = jax.shard_map(
            jax.vmap(point_fn, in_axes=(0, None)),
            mesh=device_mesh,
            in_specs=(points, everywhere),
            out_specs=points,
            check_vma=False,
        )
        self.batched = jax.jit(
            local, in_shardings=(self.sharding, replicated), out_shardings=self.sharding
        )
        # a failing chunk is re-run point by point
        self.single = jax.jit(jax.vmap(point_fn, in_axes=(0, None)))
        self.n_names = n_names
        # several CPU devices in this process run their shards concurrently on one thread
        # pool: trace without LAPACK's blocking batch split (see _linalg.tridiagonal)
        local = [d for d in self.devices if d.process_index == jax.process_index()]
        self.concurrent_cpu = len(local) > 1 and all(d.platform == "cpu" for d in local)

    def place(self, values: np.ndarray):
        return jax.make_array_from_callback(
            values.shape, self.sharding, lambda index: values[index]
        )

    def gather(self, out):
        if jax.process_count() > 1:
            from jax.experimental import multihost_utils

            return multihost_utils.process_allgather(out, tiled=True)
        return jax.device_get(out)

    def compile(self):
        example = jax.ShapeDtypeStruct(
            (self.chunk, self.n_names), jnp.float64, sharding=self.sharding
        )
        with cyclic_reduction_on_cpu(self.concurrent_cpu), collector_paused():
            self.batched = self.batched.lower(example, self.constants).compile()
        outputs, _ = self.batched.out_info
        self.point_shapes = {k: v.shape[1:] for k, v in outputs.items()}

    def run(self, values: np.ndarray):
        return self.gather(self.batched(self.place(values), self.constants))


def _chunk_values(space, names, start, stop, chunk):
    values = space.values(start, stop)
    table = np.stack([values[n] for n in names], axis=1).astype(np.float64)
    if table.shape[0] < chunk:  # pad the last chunk: one compiled shape for every chunk
        table = np.concatenate([table, np.repeat(table[-1:], chunk - table.shape[0], axis=0)])
    return table


def _finish(task, outputs_spec, out, status, n):
    """Host arrays of a chunk: outputs, result codes (non-finite outputs of a 'successful'
    point count as failures) and the reason of every failed point."""
    arrays = {f"out:{o.name}": np.array(out[o.name], dtype=np.float64)[:n] for o in outputs_spec}
    code = np.asarray(status["code"]).astype(np.int64)[:n]
    finite = np.ones(n, dtype=bool)
    bad_names = [[] for _ in range(n)]
    for o in outputs_spec:
        ok = np.isfinite(arrays[f"out:{o.name}"].reshape(n, -1)).all(axis=1)
        for i in np.flatnonzero(~ok):
            bad_names[i].append(o.name)
        finite &= ok
    failed = code != 0
    for o in outputs_spec:  # a failed point's values are not a solution: keep only diagnostics
        if o.name not in _DIAGNOSTICS:
            arrays[f"out:{o.name}"][failed] = np.nan
    reasons = []
    for i in range(n):
        if code[i] != 0:
            reasons.append(task.reason({k: np.asarray(v)[i] for k, v in status.items()}))
        elif not finite[i]:
            code[i] = -1
            reasons.append("non-finite output (" + ", ".join(bad_names[i]) + ")")
        else:
            reasons.append("")
    return arrays, code, np.array(reasons, dtype=str)


def sweep(
    model,
    space: AbstractSpace,
    solver: AbstractTask | None = None,
    *,
    where: Mapping | None = None,
    mesh: Mesh | None = None,
    chunk_size: int = 256,
    folder=None,
    resume: bool = True,
    progress: bool = True,
    table: str = "csv",
    dataset: bool = True,
    devices=None,
) -> SweepResult:
    """Run one solver at every point of a parameter set.

    The points are processed in chunks of `chunk_size`: each chunk is one call of a compiled,
    vmapped solve whose point axis is sharded over `devices` (default: every device JAX sees,
    across hosts under `jax.distributed`); each finished chunk is written to `folder` at once.
    A point whose solve fails is recorded with its reason (result code, residual, iterations)
    and the sweep goes on; a sweep started again on the same folder resumes after the
    finished chunks. At the end the chunks are assembled, one at a time, into a table of the
    scalar outputs (CSV and/or Parquet) and a labelled NetCDF data set of every output,
    profiles included, with the inputs alongside.

    **Arguments:**

    - `model`: a `Junction`, whose leaves the parameters set (see `where`), or a function
      `values -> Junction` taking a dict name → value (traced scalars: build the junction
      from them with the usual constructors).
    - `space`: a `Grid`, `RandomSamples`, `LatinHypercube` or `Table` of parameter values.
      Names the solver takes itself (`"voltage"`, `"current"` for `SteadyState`, `Transient`,
      `Impedance`) go to the solver; every other name is a model parameter.
    - `solver`: the task: `Equilibrium()` (default), `SteadyState(...)`, `IVCurve(...)`,
      `Transient(...)` or `Impedance(...)` (in `pnpjax.sweeps`).
    - `where`: for a `Junction` model, dict name → path string, `where` function (as in
      `equinox.tree_at`) or a tuple of them (one value tied to several leaves). A name not in
      `where` is read as a path, e.g. `"phases[B].carriers[Li_i^•].mu0"`, `"temperature"`.
    - `mesh`: the `Mesh` of every solve; default `Mesh.auto` of the model at points spread
      over the space and at every parameter's bounds (fine enough for all of them); a dict
      passes options to that `Mesh.auto` (`nodes_per_debye`, `growth`, ...).
    - `chunk_size`: points per chunk (rounded up to a multiple of the device count): what
      bounds the memory; larger chunks amortise the per-call overhead.
    - `folder`: where chunks and results go (default: a new temporary folder).
    - `resume`: continue a sweep whose chunks are in `folder` (it must be the same sweep:
      same model, space, solver, mesh and chunk size); `False` starts over.
    - `progress`: show a progress bar (chunks, points per second, time left) on stderr.
    - `table`: `"csv"` (default), `"parquet"` (needs pyarrow) or `"both"`.
    - `dataset`: write the NetCDF data set `results.nc` (default True).
    - `devices`: the devices to shard over (default `jax.devices()`).

    **Returns:** a `SweepResult` (the folder, counts and timings; `.table()`, `.dataset()`,
    `.failures()`).

    **Raises:** `ValueError` at once for an invalid set-up: a path that names no leaf, a
    parameter value outside its field's range (checked at every parameter's bounds), a
    folder holding a different sweep.
    """
    if not isinstance(space, AbstractSpace):
        raise TypeError(
            "sweep: space must be pnpjax.Grid, RandomSamples, LatinHypercube or Table, got "
            f"{type(space).__name__}"
        )
    solver = Equilibrium() if solver is None else solver
    if not isinstance(solver, AbstractTask):
        raise TypeError(
            "sweep: solver must be a pnpjax.sweeps task (Equilibrium, SteadyState, IVCurve, "
            f"Transient, Impedance), got {type(solver).__name__}"
        )
    if (
        isinstance(chunk_size, bool)
        or not isinstance(chunk_size, (int, np.integer))
        or chunk_size < 1
    ):
        raise ValueError(f"sweep: chunk_size must be an integer ≥ 1, got {chunk_size!r}")
    if table not in TABLE_FORMATS:
        raise ValueError(f"sweep: table must be one of {TABLE_FORMATS}, got {table!r}")
    mesh_options = {}
    if isinstance(mesh, Mapping):
        mesh_options, mesh = dict(mesh), None
    if mesh is not None and not isinstance(mesh, Mesh):
        raise TypeError(
            f"sweep: mesh must be a pnpjax.Mesh or a dict of Mesh.auto options, got "
            f"{type(mesh).__name__}"
        )

    names = space.names
    task_names = tuple(n for n in names if n in solver.inputs)
    model_names = tuple(n for n in names if n not in task_names)
    build, checked = _builder(model, model_names, where)
    reference = build({n: float(space.values(0, 1)[n][0]) for n in model_names})
    _check_bounds(space, reference, checked, build, model_names, task_names)
    solver.prepare(reference, {n: space.bounds(n) for n in names})

    if mesh is None:
        sample = _sample(space)
        batch = (
            jax.vmap(build)({n: jnp.asarray(sample[n]) for n in model_names})
            if model_names
            else reference
        )
        mesh = solver.mesh(batch, **mesh_options)
    outputs = solver.outputs(reference)
    coordinates = solver.coordinates(reference, mesh)
    output_names = {o.name for o in outputs} | set(coordinates)
    input_units = [
        unit_of(reference, checked.get(n, n)) if (n in checked or n in task_names) else ""
        for n in names
    ]
    labels = [f"input_{n}" if n in output_names else n for n in names]

    devices = list(jax.devices() if devices is None else devices)
    chunk = math.ceil(chunk_size / len(devices)) * len(devices)
    n_points = len(space)
    n_chunks = math.ceil(n_points / chunk)

    manifest = {
        "format": storage.FORMAT_VERSION,
        "names": list(names),
        "space": space.describe(),
        "solver": solver.describe(),
        "model": _fingerprint(model),
        "mesh": _mesh_fingerprint(mesh),
        "nodes": int(mesh.n_nodes),
        "chunk_size": chunk,
        "points": n_points,
        "chunks": n_chunks,
        "outputs": [[o.name, o.unit, list(o.dims), o.profile] for o in outputs],
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    folder = pathlib.Path(tempfile.mkdtemp(prefix="pnpjax-sweep-") if folder is None else folder)
    writer = jax.process_index() == 0
    old = storage.read_manifest(folder)
    if old is not None and resume:
        changed = storage.differences(old, manifest)
        if changed:
            raise ValueError(
                f"sweep: {folder} holds a different sweep (differs in {changed}); use another "
                "folder, or resume=False to discard it and start over"
            )
        manifest["created"] = old["created"]
    if writer:
        if old is not None and not resume:
            storage.clear_chunks(folder)
        storage.write_manifest(folder, manifest)
    done = storage.finished_chunks(folder, n_chunks) if resume else [False] * n_chunks
    if jax.process_count() > 1:  # every process must run the same chunks
        from jax.experimental import multihost_utils

        done = list(multihost_utils.broadcast_one_to_all(np.array(done, dtype=bool)))

    base = model if isinstance(model, Junction) else None
    constants, structure = eqx.partition((base, mesh), eqx.is_array)

    def point(row, constants):
        base, mesh = eqx.combine(constants, structure)
        values = {n: row[k] for k, n in enumerate(names)}
        junction = build({n: values[n] for n in model_names}, base)
        out, status = solver.evaluate(junction, mesh, {n: values[n] for n in task_names})
        return {o.name: out[o.name] for o in outputs}, status

    program = _Program(point, chunk, len(names), devices, constants)
    start_time = time.perf_counter()
    computed, failed_points = 0, 0
    pending = [c for c in range(n_chunks) if not done[c]]
    if pending:
        program.compile()  # set-up errors surface here, before any chunk is written
    compile_s = time.perf_counter() - start_time
    bar = _progress_bar(n_chunks, n_chunks - len(pending), progress and writer)
    run_start = time.perf_counter()
    try:
        for c in pending:
            lo, hi = c * chunk, min((c + 1) * chunk, n_points)
            values = _chunk_values(space, names, lo, hi, chunk)
            try:
                out, status = program.run(values)
            except Exception:  # a runtime error of one point (eqx.error_if, a callback)
                arrays, code, reasons = _point_by_point(
                    program, solver, outputs, program.point_shapes, values, hi - lo
                )
            else:
                arrays, code, reasons = _finish(solver, outputs, out, status, hi - lo)
            if writer:
                storage.save_chunk(
                    folder,
                    c,
                    {
                        "point": np.arange(lo, hi),
                        "inputs": values[: hi - lo],
                        **arrays,
                        "code": code,
                        "reason": reasons,
                    },
                )
            computed += hi - lo
            failed_points += int(np.sum(code != 0))
            if bar is not None:
                rate = computed / max(time.perf_counter() - run_start, 1e-9)
                bar.set_postfix_str(f"{rate:.3g} points/s, {failed_points} failed")
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    run_s = time.perf_counter() - run_start

    columns = storage.table_columns(labels, input_units, outputs, coordinates)
    written = []
    if writer:
        if table in ("csv", "both"):
            written.append(storage.write_table_csv(folder, n_chunks, columns))
        if table in ("parquet", "both"):
            written.append(storage.write_table_parquet(folder, n_chunks, columns))
        if dataset:
            attributes = {
                "title": f"pnpjax sweep ({solver.kind})",
                "solver": json.dumps(solver.describe()),
                "space": json.dumps(space.describe())[:10000],
                "nodes": int(mesh.n_nodes),
            }
            written.append(
                storage.write_dataset(
                    folder,
                    n_points,
                    n_chunks,
                    labels,
                    input_units,
                    outputs,
                    coordinates,
                    attributes,
                )
            )
    return SweepResult(
        folder=folder,
        names=tuple(names),
        outputs=tuple(outputs),
        points=n_points,
        chunks=n_chunks,
        chunk_size=chunk,
        devices=len(devices),
        computed_points=computed,
        resumed_chunks=n_chunks - len(pending),
        compile_seconds=compile_s,
        run_seconds=run_s,
        files=tuple(written),
        mesh=mesh,
        table_format=table,
    )


def _point_by_point(program: _Program, task, outputs, shapes, values, n):
    """A chunk whose program raised at run time: every point alone, so that one bad point
    is isolated (its exception becomes its reason, its outputs NaN) and the others are kept."""
    arrays = {f"out:{o.name}": np.full((n, *shapes[o.name]), np.nan) for o in outputs}
    codes, reasons = np.zeros(n, dtype=np.int64), []
    for i in range(n):
        try:
            with collector_paused():
                out, status = jax.device_get(program.single(values[i : i + 1], program.constants))
        except Exception as error:  # noqa: BLE001 (whatever one point raised is its reason)
            codes[i] = -2
            reasons.append(f"error: {_error_text(error)}")
            continue
        one, code, reason = _finish(task, outputs, out, status, 1)
        for key, value in one.items():
            arrays[key][i] = value[0]
        codes[i] = code[0]
        reasons.append(str(reason[0]))
    return arrays, codes, np.array(reasons, dtype=str)


def _error_text(error: Exception) -> str:
    """The message of a run-time error: an `eqx.error_if` message where there is one (XLA
    wraps it in a callback traceback), else the first line."""
    text = str(error)
    match = re.search(r"EquinoxRuntimeError: ([^\n]+)", text)
    if match:
        return match.group(1).strip()
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def _progress_bar(total, initial, enabled):
    if not enabled:
        return None
    from tqdm import tqdm  # plain text: no notebook widgets needed

    return tqdm(total=total, initial=initial, unit="chunk", desc="sweep", dynamic_ncols=True)
