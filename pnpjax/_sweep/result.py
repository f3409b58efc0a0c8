"""`SweepResult`: where a sweep's results are and how to read them."""

import dataclasses
import pathlib

from .._sweep import storage
from .tasks import Output


@dataclasses.dataclass(frozen=True)
class SweepResult:
    """The outcome of `sweep`: files in `folder` and counts (times in s).

    **Fields:** `folder`; `names` (the swept parameters); `outputs` (`Output` specs: name,
    unit, dims, profile); `points`, `chunks`, `chunk_size`, `devices`; `computed_points`
    (this call; fewer than `points` after a resume), `resumed_chunks`; `compile_seconds`,
    `run_seconds` (the chunk loop), `files` (the table(s) and the data set written), `mesh`
    (the `Mesh` every point was solved on).

    **Methods:** `table()` (pandas DataFrame: point, inputs, scalar outputs with units in the
    column names, status, code, reason), `failures()` (the failed rows), `dataset()` (the
    labelled xarray Dataset: every output with its dims, profiles included; opened lazily),
    `points_per_second`, `summary()`.
    """

    folder: pathlib.Path
    names: tuple[str, ...]
    outputs: tuple[Output, ...]
    points: int
    chunks: int
    chunk_size: int
    devices: int
    computed_points: int
    resumed_chunks: int
    compile_seconds: float
    run_seconds: float
    files: tuple[pathlib.Path, ...]
    mesh: object = None
    table_format: str = "csv"

    @property
    def points_per_second(self) -> float:
        """Throughput of the chunk loop (points computed in this call per second)."""
        return self.computed_points / self.run_seconds if self.run_seconds > 0 else float("nan")

    def table(self):
        """The scalar outputs and inputs as a pandas DataFrame, one row per point."""
        import pandas as pd

        if self.table_format == "parquet":
            return pd.read_parquet(self.folder / storage.TABLE_PARQUET)
        return pd.read_csv(
            self.folder / storage.TABLE_CSV, keep_default_na=False, na_values=["nan", "NaN"]
        )

    def failures(self):
        """The rows of points that failed, with their reasons."""
        table = self.table()
        return table[table["status"] != "ok"]

    def dataset(self):
        """The labelled data set (xarray.Dataset, NetCDF-4 opened lazily: profiles are read
        when used)."""
        import xarray as xr

        path = self.folder / storage.DATASET
        if not path.exists():
            raise FileNotFoundError(f"{path} was not written (sweep(..., dataset=False))")
        return xr.open_dataset(path, engine="h5netcdf")

    def summary(self) -> str:
        table = self.table()
        failed = int((table["status"] != "ok").sum())
        return (
            f"{self.points} points in {self.chunks} chunks of {self.chunk_size} on "
            f"{self.devices} device(s): {failed} failed; {self.computed_points} computed in "
            f"{self.run_seconds:.3g} s ({self.points_per_second:.3g} points/s, compile "
            f"{self.compile_seconds:.3g} s), {self.resumed_chunks} chunks resumed; results in "
            f"{self.folder}"
        )
