"""Tables of results as CSV files."""

import csv

import numpy as np


def write_csv(path, table: dict[str, np.ndarray]) -> None:
    """Columns of equal length, keyed by name with unit, to a CSV file (10 significant
    digits)."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(table))
        for row in zip(*table.values()):
            writer.writerow([f"{v:.10g}" for v in row])
