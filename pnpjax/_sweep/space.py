"""Parameter sets a sweep runs over: Cartesian grids, random and Latin-hypercube samples, tables.

Every space is lazy: `values(start, stop)` makes the points `start … stop − 1` on demand, so a
sweep of 10^6 points holds one chunk of inputs at a time. Random draws are counter-based (a
block of `_BLOCK` points per seed), so the same point gets the same values whatever the chunk
size, and a resumed sweep sees exactly the points it started with.

**Reference:** M. D. McKay, R. J. Beckman and W. J. Conover, *Technometrics* 21, 239 (1979),
doi:10.2307/1268522 (Latin-hypercube sampling).
"""

import abc
import csv
import hashlib
import math
import pathlib
from collections.abc import Mapping, Sequence

import numpy as np

_BLOCK = 4096  # points per random block: draws depend on (seed, block), not on the chunking


class Range:
    """A continuous range a random or Latin-hypercube sample draws from.

    **Arguments:**

    - `low`, `high`: the bounds, in the parameter's unit (`low < high`).
    - `log`: sample uniformly in log(value) (for diffusivities, densities, rate constants
      spanning decades; both bounds > 0).
    """

    def __init__(self, low: float, high: float, *, log: bool = False):
        low, high = float(low), float(high)
        if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
            raise ValueError(f"Range: need finite low < high, got low={low}, high={high}")
        if log and low <= 0:
            raise ValueError(f"Range: a log range needs low > 0, got low={low}")
        self.low, self.high, self.log = low, high, bool(log)

    def at(self, u: np.ndarray) -> np.ndarray:
        """The values at uniform fractions u ∈ [0, 1)."""
        if self.log:
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        return self.low + u * (self.high - self.low)

    def describe(self) -> dict:
        return {"low": self.low, "high": self.high, "log": self.log}

    def __repr__(self) -> str:
        return f"Range({self.low!r}, {self.high!r}, log={self.log})"


def _ranges(owner: str, ranges: Mapping) -> dict[str, Range]:
    if not isinstance(ranges, Mapping) or not ranges:
        raise ValueError(f"{owner}: give the ranges as a non-empty dict name -> (low, high)")
    out = {}
    for name, r in ranges.items():
        _check_name(owner, name)
        if isinstance(r, Range):
            out[name] = r
        elif isinstance(r, Sequence) and len(r) == 2:
            out[name] = Range(*r)
        else:
            raise ValueError(
                f"{owner}: the range of {name!r} must be (low, high) or pnpjax.Range(low, high, "
                f"log=...), got {r!r}"
            )
    return out


def _check_name(owner: str, name) -> None:
    if not isinstance(name, str) or not name:
        raise ValueError(f"{owner}: parameter names must be non-empty strings, got {name!r}")


def _check_count(owner: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{owner}: n (the number of points) must be an integer ≥ 1, got {n!r}")
    return int(n)


def _check_seed(owner: str, seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{owner}: seed must be an integer ≥ 0, got {seed!r}")
    return int(seed)


class AbstractSpace(abc.ABC):
    """A finite, ordered set of parameter points (the rows of a sweep)."""

    names: tuple[str, ...]

    @abc.abstractmethod
    def __len__(self) -> int:
        """The number of points."""

    @abc.abstractmethod
    def values(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """The points `start … stop − 1`, one float64 array per parameter."""

    @abc.abstractmethod
    def bounds(self, name: str) -> tuple[float, float]:
        """The smallest and largest value `name` takes over the whole space."""

    @abc.abstractmethod
    def describe(self) -> dict:
        """A JSON description (what a resumed sweep checks it is the same space)."""

    def _check_range(self, start: int, stop: int) -> None:
        if not 0 <= start <= stop <= len(self):
            raise IndexError(f"points {start}…{stop} outside a space of {len(self)} points")


class Grid(AbstractSpace):
    """The Cartesian product of value lists, the last parameter varying fastest.

    **Arguments:**

    - `axes`: dict name → 1D values (each in its parameter's unit), e.g.
      `{"phases[B].eps_r": [5, 10, 20], "temperature": np.linspace(300, 600, 7)}`.
    """

    def __init__(self, axes: Mapping):
        if not isinstance(axes, Mapping) or not axes:
            raise ValueError("Grid: give the axes as a non-empty dict name -> list of values")
        self.axes = {}
        for name, values in axes.items():
            _check_name("Grid", name)
            v = np.asarray(values, dtype=np.float64).reshape(-1)
            if v.size == 0 or not np.all(np.isfinite(v)):
                raise ValueError(
                    f"Grid: axis {name!r} needs one or more finite values, got {values}"
                )
            self.axes[name] = v
        self.names = tuple(self.axes)
        self.shape = tuple(v.size for v in self.axes.values())

    def __len__(self) -> int:
        return math.prod(self.shape)

    def values(self, start: int, stop: int) -> dict[str, np.ndarray]:
        self._check_range(start, stop)
        index = np.unravel_index(np.arange(start, stop), self.shape)
        return {name: v[i] for (name, v), i in zip(self.axes.items(), index)}

    def bounds(self, name: str) -> tuple[float, float]:
        return float(self.axes[name].min()), float(self.axes[name].max())

    def describe(self) -> dict:
        return {"type": "grid", "axes": {k: v.tolist() for k, v in self.axes.items()}}


class RandomSamples(AbstractSpace):
    """Independent uniform (or log-uniform) random points.

    **Arguments:**

    - `ranges`: dict name → `(low, high)` or `Range(low, high, log=True)`.
    - `n`: number of points.
    - `seed`: the random seed (the same seed gives the same points).
    """

    def __init__(self, ranges: Mapping, n: int, *, seed: int = 0):
        self.ranges = _ranges("RandomSamples", ranges)
        self.n = _check_count("RandomSamples", n)
        self.seed = _check_seed("RandomSamples", seed)
        self.names = tuple(self.ranges)

    def __len__(self) -> int:
        return self.n

    def _uniform(self, start: int, stop: int, stream: int) -> np.ndarray:
        """Uniform fractions [stop − start, dims], counter-based in blocks of `_BLOCK`."""
        parts = []
        for block in range(start // _BLOCK, (stop - 1) // _BLOCK + 1):
            rng = np.random.default_rng([self.seed, stream, block])
            u = rng.random((_BLOCK, len(self.names)))
            lo, hi = max(start - block * _BLOCK, 0), min(stop - block * _BLOCK, _BLOCK)
            parts.append(u[lo:hi])
        return np.concatenate(parts) if parts else np.zeros((0, len(self.names)))

    def values(self, start: int, stop: int) -> dict[str, np.ndarray]:
        self._check_range(start, stop)
        u = self._uniform(start, stop, stream=0)
        return {name: r.at(u[:, k]) for k, (name, r) in enumerate(self.ranges.items())}

    def bounds(self, name: str) -> tuple[float, float]:
        return self.ranges[name].low, self.ranges[name].high

    def describe(self) -> dict:
        return {
            "type": "random",
            "n": self.n,
            "seed": self.seed,
            "ranges": {k: r.describe() for k, r in self.ranges.items()},
        }


class LatinHypercube(RandomSamples):
    """A Latin-hypercube sample: each parameter's range is cut into `n` equal strata (equal in
    log for a log range) and every stratum holds exactly one point, the strata of different
    parameters paired at random (McKay, Beckman and Conover 1979). Covers each range evenly
    with far fewer points than a grid.

    **Arguments:** as `RandomSamples`.

    The stratum permutations (n integers per parameter, 8 MB per parameter at 10^6 points) are
    drawn once; the position within each stratum is drawn per block like `RandomSamples`.
    """

    def __init__(self, ranges: Mapping, n: int, *, seed: int = 0):
        super().__init__(ranges, n, seed=seed)
        self._strata = None

    def strata(self) -> np.ndarray:
        """[n, dims]: the stratum of every point along every parameter."""
        if self._strata is None:
            rng = np.random.default_rng([self.seed, 1])
            self._strata = np.stack([rng.permutation(self.n) for _ in self.names], axis=1)
        return self._strata

    def values(self, start: int, stop: int) -> dict[str, np.ndarray]:
        self._check_range(start, stop)
        u = (self.strata()[start:stop] + self._uniform(start, stop, stream=2)) / self.n
        return {name: r.at(u[:, k]) for k, (name, r) in enumerate(self.ranges.items())}

    def describe(self) -> dict:
        return {**super().describe(), "type": "latin_hypercube"}


class Table(AbstractSpace):
    """Explicit points: one column of values per parameter (e.g. a list of materials).

    **Arguments:**

    - `columns`: dict name → 1D values, all of one length.

    `Table.from_csv(path)` reads a CSV file with a header row of parameter names.
    """

    def __init__(self, columns: Mapping):
        if not isinstance(columns, Mapping) or not columns:
            raise ValueError("Table: give the columns as a non-empty dict name -> values")
        self.columns = {}
        for name, values in columns.items():
            _check_name("Table", name)
            v = np.asarray(values, dtype=np.float64).reshape(-1)
            if not np.all(np.isfinite(v)):
                raise ValueError(f"Table: column {name!r} holds a non-finite value")
            self.columns[name] = v
        lengths = {k: v.size for k, v in self.columns.items()}
        if len(set(lengths.values())) != 1 or 0 in lengths.values():
            raise ValueError(f"Table: columns need one common, non-zero length, got {lengths}")
        self.names = tuple(self.columns)

    @classmethod
    def from_csv(cls, path) -> "Table":
        """Columns from a CSV file whose first row names the parameters."""
        path = pathlib.Path(path)
        with open(path, newline="") as handle:
            rows = list(csv.reader(handle))
        if len(rows) < 2:
            raise ValueError(f"Table.from_csv: {path} needs a header row and at least one row")
        header, body = rows[0], [r for r in rows[1:] if r]
        for k, row in enumerate(body, start=2):
            if len(row) != len(header):
                raise ValueError(
                    f"Table.from_csv: {path} line {k} has {len(row)} values, the header "
                    f"{len(header)}"
                )
        try:
            columns = {h.strip(): [float(r[j]) for r in body] for j, h in enumerate(header)}
        except ValueError as error:
            raise ValueError(f"Table.from_csv: {path}: {error}") from None
        return cls(columns)

    def __len__(self) -> int:
        return next(iter(self.columns.values())).size

    def values(self, start: int, stop: int) -> dict[str, np.ndarray]:
        self._check_range(start, stop)
        return {k: v[start:stop] for k, v in self.columns.items()}

    def bounds(self, name: str) -> tuple[float, float]:
        return float(self.columns[name].min()), float(self.columns[name].max())

    def describe(self) -> dict:
        digest = hashlib.sha256()
        for name, v in self.columns.items():
            digest.update(name.encode())
            digest.update(v.tobytes())
        return {
            "type": "table",
            "n": len(self),
            "names": list(self.names),
            "sha256": digest.hexdigest(),
        }
