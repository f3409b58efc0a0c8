"""A sweep's folder: its manifest, one file per finished chunk, and the assembled results.

```
folder/
  sweep.json        what was swept (space, task, model fingerprint, outputs): a resumed
                    sweep must match it
  chunks/c000017.npz one finished chunk: inputs, outputs, status code and reason per point
  results.csv       the table: point, inputs, scalar outputs, status, code, reason
  results.parquet   the same table (with table="parquet"; needs pyarrow)
  results.nc        the labelled data set (NetCDF-4): inputs, every output with its dims
```

Chunk files are written to a temporary name and renamed, so an interrupted sweep never leaves
a half-written chunk that a resumed one would trust. The table and the data set are written
one chunk at a time, so neither the sweep nor its assembly holds more than a chunk of results.
"""

import csv
import json
import os
import pathlib

import numpy as np

from .tasks import Output

MANIFEST = "sweep.json"
CHUNKS = "chunks"
TABLE_CSV = "results.csv"
TABLE_PARQUET = "results.parquet"
DATASET = "results.nc"
FORMAT_VERSION = 1


def chunk_path(folder: pathlib.Path, chunk: int) -> pathlib.Path:
    return folder / CHUNKS / f"c{chunk:06d}.npz"


def write_manifest(folder: pathlib.Path, manifest: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CHUNKS).mkdir(exist_ok=True)
    temporary = folder / (MANIFEST + ".tmp")
    temporary.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    os.replace(temporary, folder / MANIFEST)


def read_manifest(folder: pathlib.Path) -> dict | None:
    path = folder / MANIFEST
    if not path.exists():
        return None
    return json.loads(path.read_text())


def differences(old: dict, new: dict) -> list[str]:
    """Top-level manifest keys whose values differ (what makes a resume impossible)."""
    keys = sorted(set(old) | set(new))
    return [k for k in keys if k != "created" and old.get(k) != new.get(k)]


def finished_chunks(folder: pathlib.Path, n_chunks: int) -> list[bool]:
    return [chunk_path(folder, c).exists() for c in range(n_chunks)]


def clear_chunks(folder: pathlib.Path) -> None:
    directory = folder / CHUNKS
    if directory.exists():
        for path in directory.glob("c*.npz*"):
            path.unlink()
    for name in (TABLE_CSV, TABLE_PARQUET, DATASET):
        if (folder / name).exists():
            (folder / name).unlink()


def save_chunk(folder: pathlib.Path, chunk: int, arrays: dict[str, np.ndarray]) -> None:
    path = chunk_path(folder, chunk)
    temporary = path.with_name(path.name + ".tmp.npz")
    np.savez(temporary, **arrays)
    os.replace(temporary, path)


def load_chunk(folder: pathlib.Path, chunk: int) -> dict[str, np.ndarray]:
    with np.load(chunk_path(folder, chunk), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


# --- the table ------------------------------------------------------------------------------


def table_columns(names, inputs_units, outputs: list[Output], coordinates) -> list[tuple]:
    """(column name, output name or None, flat index) for every column of the table."""
    columns = [("point", None, None)]
    columns += [
        (f"{n} [{u}]" if u else n, ("input", k), None)
        for k, (n, u) in enumerate(zip(names, inputs_units))
    ]
    for out in outputs:
        if out.profile:
            continue
        labels = [list(map(str, coordinates[d])) for d in out.dims]
        flat = [()]
        for options in labels:
            flat = [(*head, o) for head in flat for o in options]
        for k, combo in enumerate(flat):
            label = f"{out.name}[{','.join(combo)}]" if combo else out.name
            columns.append((f"{label} [{out.unit}]", out.name, k))
    columns += [("status", None, None), ("code", None, None), ("reason", None, None)]
    return columns


def _chunk_rows(data: dict, columns) -> list[list]:
    n = data["point"].shape[0]
    flat = {}
    for _, source, _ in columns:
        if isinstance(source, str) and source not in flat:
            flat[source] = data[f"out:{source}"].reshape(n, -1)
    rows = []
    for i in range(n):
        row = []
        for name, source, k in columns:
            if name == "point":
                row.append(int(data["point"][i]))
            elif isinstance(source, tuple):
                row.append(f"{data['inputs'][i, source[1]]:.17g}")
            elif isinstance(source, str):
                row.append(f"{flat[source][i, k]:.17g}")
            elif name == "status":
                row.append("ok" if data["code"][i] == 0 else "failed")
            elif name == "code":
                row.append(int(data["code"][i]))
            else:
                row.append(str(data["reason"][i]))
        rows.append(row)
    return rows


def write_table_csv(folder: pathlib.Path, n_chunks: int, columns) -> pathlib.Path:
    path = folder / TABLE_CSV
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c[0] for c in columns])
        for chunk in range(n_chunks):
            writer.writerows(_chunk_rows(load_chunk(folder, chunk), columns))
    return path


def write_table_parquet(folder: pathlib.Path, n_chunks: int, columns) -> pathlib.Path:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(
            "sweep: table='parquet' needs pyarrow (pip install 'pnpjax[parquet]' or pip "
            "install pyarrow); table='csv' needs nothing"
        ) from None
    path = folder / TABLE_PARQUET
    writer = None
    try:
        for chunk in range(n_chunks):
            data = load_chunk(folder, chunk)
            n = data["point"].shape[0]
            arrays = {}
            for name, source, k in columns:
                if name == "point":
                    arrays[name] = data["point"].astype(np.int64)
                elif isinstance(source, tuple):
                    arrays[name] = data["inputs"][:, source[1]]
                elif isinstance(source, str):
                    arrays[name] = data[f"out:{source}"].reshape(n, -1)[:, k]
                elif name == "status":
                    arrays[name] = np.where(data["code"] == 0, "ok", "failed")
                elif name == "code":
                    arrays[name] = data["code"].astype(np.int64)
                else:
                    arrays[name] = data["reason"].astype(str)
            table = pa.table(arrays)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    return path


# --- the labelled data set ------------------------------------------------------------------


def write_dataset(
    folder: pathlib.Path,
    n_points: int,
    n_chunks: int,
    names,
    inputs_units,
    outputs: list[Output],
    coordinates: dict,
    attributes: dict,
) -> pathlib.Path:
    """The NetCDF-4 data set, filled chunk by chunk (h5netcdf, readable by xarray/netCDF4)."""
    import h5netcdf
    import h5py

    text = h5py.string_dtype()  # variable-length UTF-8, decoded by xarray as str
    path = folder / DATASET
    temporary = folder / (DATASET + ".tmp")
    used = {d for out in outputs for d in out.dims}
    with h5netcdf.File(temporary, "w") as f:
        f.dimensions["point"] = n_points
        point = f.create_variable("point", ("point",), dtype=np.int64)
        point[:] = np.arange(n_points)
        for dim in sorted(used):
            values = np.asarray(coordinates[dim])
            f.dimensions[dim] = values.shape[0]
            if values.dtype.kind in "US":
                variable = f.create_variable(dim, (dim,), dtype=text)
                variable[:] = values.astype(object)
            else:
                variable = f.create_variable(dim, (dim,), dtype=values.dtype)
                variable[:] = values
        inputs = []
        for k, (name, unit) in enumerate(zip(names, inputs_units)):
            v = f.create_variable(_variable_name(name), ("point",), dtype=np.float64)
            v.attrs["long_name"] = name
            v.attrs["role"] = "input"
            if unit:
                v.attrs["units"] = unit
            inputs.append((k, v))
        variables = {}
        for out in outputs:
            v = f.create_variable(
                out.name,
                ("point", *out.dims),
                dtype=np.float64,
                chunks=None,
                fillvalue=np.nan,
            )
            v.attrs["units"] = out.unit
            if out.description:
                v.attrs["long_name"] = out.description
            variables[out.name] = v
        code = f.create_variable("code", ("point",), dtype=np.int64)
        code.attrs["long_name"] = "result code of the solve (0 = success)"
        reason = f.create_variable("reason", ("point",), dtype=text)
        reason.attrs["long_name"] = "why the point failed (empty when it succeeded)"
        for key, value in attributes.items():
            f.attrs[key] = value
        for chunk in range(n_chunks):
            data = load_chunk(folder, chunk)
            index = data["point"]
            lo, hi = int(index[0]), int(index[-1]) + 1
            for k, v in inputs:
                v[lo:hi] = data["inputs"][:, k]
            for name, v in variables.items():
                v[lo:hi, ...] = data[f"out:{name}"]
            code[lo:hi] = data["code"]
            reason[lo:hi] = data["reason"].astype(object)
    os.replace(temporary, path)
    return path


def _variable_name(name: str) -> str:
    """NetCDF variable names may not contain '/'."""
    return name.replace("/", "_")
