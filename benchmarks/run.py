"""Run the whole benchmark suite: `python benchmarks/run.py [--quick] [--batch-size N]`.

Each benchmark prints its table and writes `benchmarks/results/<name>.json`. Run them one
after another on an otherwise idle machine: they time wall clock.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_batch  # noqa: E402
import bench_dynamics  # noqa: E402
import bench_fitting  # noqa: E402
import bench_gouy_chapman  # noqa: E402
import bench_heat  # noqa: E402
import bench_impedance  # noqa: E402
import bench_nonideal  # noqa: E402
import bench_sweep  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run of each")
    parser.add_argument("--batch-size", type=int, default=None, help="bench_batch members")
    parser.add_argument(
        "--only",
        choices=(
            "gouy_chapman",
            "batch",
            "nonideal",
            "dynamics",
            "impedance",
            "fitting",
            "sweep",
            "heat",
        ),
        default=None,
    )
    args = parser.parse_args(argv)
    quick = ["--quick"] if args.quick else []
    if args.only in (None, "gouy_chapman"):
        bench_gouy_chapman.main(quick)
        print()
    if args.only in (None, "batch"):
        size = [] if args.batch_size is None else ["--batch-size", str(args.batch_size)]
        bench_batch.main(quick + size)
        print()
    if args.only in (None, "nonideal"):
        bench_nonideal.main(quick)
        print()
    if args.only in (None, "dynamics"):
        bench_dynamics.main(quick)
        print()
    if args.only in (None, "impedance"):
        bench_impedance.main(quick)
        print()
    if args.only in (None, "fitting"):
        bench_fitting.main(quick)
        print()
    if args.only in (None, "sweep"):
        bench_sweep.main(quick)
        print()
    if args.only in (None, "heat"):
        bench_heat.main(quick)


if __name__ == "__main__":
    main()
