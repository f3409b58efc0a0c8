"""Sweep throughput against device count and against a Python loop; memory per chunk.

Problem: the LiCoO2 | β-Li3PS4 equilibrium (`examples.cathode_electrolyte(nonideal=False)`,
about 200 nodes) over a Latin-hypercube sample of μ°(Li_i^•, sulfide) ∈ [0.1, 0.4] eV and
ε_r(sulfide) ∈ [4, 30] (log).

Measured, each device count in its own process (XLA fixes the device count at start-up):

- `pj.sweep` with `--points` points in chunks of `--chunk`, sharded over d forced host
  devices (`XLA_FLAGS=--xla_force_host_platform_device_count=d`), or over the GPUs where one
  is present: compile time, chunk-loop time, points per second (chunk loop only; the table
  and data set are assembled after it and timed separately).
- The baseline, in the one-device process: a Python loop of single jitted `solve_equilibrium`
  calls on the same mesh (the first call excluded), over `--loop-points` points.
- Memory: peak resident memory of a process that sweeps `--memory-points` points with
  profiles on (x, φ, E, ρ and every concentration per point), at three chunk sizes, and a
  sweep 16× smaller: bounded by the chunk, not by the number of points, against the size all
  results would have if held at once. Also the bytes of one chunk's results.
- Agreement: every device count gives the same table as one device (max relative difference).

Run: `python benchmarks/bench_sweep.py [--quick] [--points 4096] [--chunk 512]
[--devices 1 2 4] [--memory-points 32768]`.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, resolve_settings, warn_if_busy, write_json  # noqa: E402

DEFAULTS = dict(points=4096, chunk=512, loop_points=256, devices=[1, 2, 4], memory_points=32768)
QUICK = dict(points=512, chunk=128, loop_points=64, devices=[1, 2], memory_points=2048)

WORKER = textwrap.dedent(
    """
    import json, resource, sys, tempfile, time
    import jax
    import numpy as np
    import pnpjax as pj
    from pnpjax import examples, sweeps

    points, chunk, loop_points, profiles, mode = sys.argv[1:6]
    points, chunk, loop_points = int(points), int(chunk), int(loop_points)
    profiles = profiles == "1"
    junction = examples.cathode_electrolyte(nonideal=False)
    mu0, eps = "phases[Li3PS4].carriers[Li_i^•].mu0", "phases[Li3PS4].eps_r"
    space = sweeps.LatinHypercube({mu0: (0.1, 0.4), eps: sweeps.Range(4.0, 30.0, log=True)},
                                  points, seed=7)
    mesh = pj.Mesh.auto(junction)
    folder = tempfile.mkdtemp(prefix="bench-sweep-")
    start = time.perf_counter()
    result = pj.sweep(junction, space, sweeps.Equilibrium(profiles=profiles), mesh=mesh,
                      chunk_size=chunk, folder=folder, progress=False,
                      dataset=profiles or mode == "throughput")
    total = time.perf_counter() - start
    table = result.table()
    out = {
        "devices": result.devices,
        "device_kind": jax.devices()[0].device_kind,
        "backend": jax.default_backend(),
        "nodes": int(mesh.n_nodes),
        "chunk_size": result.chunk_size,
        "points": points,
        "failed": int((table["status"] != "ok").sum()),
        "compile_s": result.compile_seconds,
        "run_s": result.run_seconds,
        "points_per_s": result.points_per_second,
        "assembly_s": total - result.compile_seconds - result.run_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "table": table.select_dtypes("number").to_numpy().tolist() if mode == "throughput"
        else None,
        "columns": list(table.select_dtypes("number").columns),
    }
    chunk_file = next((result.folder / "chunks").glob("c*.npz"))
    with np.load(chunk_file) as data:
        out["chunk_result_bytes"] = int(sum(data[k].nbytes for k in data.files))
    if loop_points and mode == "throughput" and result.devices == 1:
        solve = jax.jit(lambda j: pj.solve_equilibrium(j, mesh=mesh).built_in_potential)
        import equinox as eqx
        values = space.values(0, loop_points)

        def at(i):
            j = eqx.tree_at(lambda j: j.phases[1].carriers["Li_i^•"].mu0, junction,
                            jax.numpy.asarray(values[mu0][i]))
            return eqx.tree_at(lambda j: j.phases[1].eps_r, j, jax.numpy.asarray(values[eps][i]))

        jax.block_until_ready(solve(at(0)))
        start = time.perf_counter()
        for i in range(loop_points):
            jax.block_until_ready(solve(at(i)))
        loop = time.perf_counter() - start
        out["loop_points_per_s"] = loop_points / loop
    print("RESULT " + json.dumps(out))
    """
)


def _worker(devices: int, points: int, chunk: int, loop_points: int, profiles: bool, mode: str):
    env = dict(os.environ)
    if devices > 1 or "XLA_FLAGS" not in env:
        flag = f"--xla_force_host_platform_device_count={devices}"
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " " + flag).strip()
    args = [str(points), str(chunk), str(loop_points), "1" if profiles else "0", mode]
    done = subprocess.run(
        [sys.executable, "-c", WORKER, *args], capture_output=True, text=True, env=env, timeout=3600
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker failed ({devices} devices):\n{done.stderr[-4000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def run(points: int, chunk: int, loop_points: int, devices: list[int], memory_points: int) -> dict:
    import numpy as np

    throughput = []
    for d in devices:
        throughput.append(_worker(d, points, chunk, loop_points, False, "throughput"))
        print(f"  {d} device(s): {throughput[-1]['points_per_s']:.4g} points/s", flush=True)
    # physical outputs only: the Newton iteration count and residual of a point may differ by
    # a step between the devices' cyclic reduction and one device's LAPACK solves
    columns = throughput[0]["columns"]
    diagnostic = np.array(
        [c.split(" ")[0] in ("point", "code", "iterations", "residual") for c in columns]
    )
    reference = np.asarray(throughput[0]["table"])
    iterations = columns.index("iterations [1]")
    for row in throughput:
        table = np.asarray(row.pop("table"))
        row.pop("columns")
        # on the scale of each unit: a column that vanishes (the reference phase's bulk
        # potential) is round-off on both sides
        units = [c.rsplit("[", 1)[-1] for c in columns]
        by_unit = {
            u: np.abs(reference[:, [k for k, v in enumerate(units) if v == u]]).max()
            for u in set(units)
        }
        scale = np.maximum(np.array([by_unit[u] for u in units]), 1e-300)
        relative = np.abs(table - reference) / scale
        row["max_difference_vs_one_device"] = float(np.max(relative[:, ~diagnostic]))
        row["max_iteration_difference"] = int(
            np.max(np.abs(table[:, iterations] - reference[:, iterations]))
        )
    base = throughput[0]["points_per_s"]
    for row in throughput:
        row["speedup_vs_one_device"] = row["points_per_s"] / base
    loop = throughput[0].get("loop_points_per_s")
    memory = []
    runs = [
        (memory_points // 16, chunk),
        (memory_points, chunk),
        (memory_points, chunk // 4),
        (memory_points, chunk * 2),
    ]
    for n, c in runs:
        row = _worker(1, max(n, c), c, 0, True, "memory")
        row.pop("table", None)
        row.pop("columns", None)
        row["all_results_mb"] = (
            row["chunk_result_bytes"] / row["chunk_size"] * row["points"] / 2**20
        )
        memory.append(row)
        print(
            f"  memory: {row['points']} points, chunk {row['chunk_size']}: "
            f"{row['peak_rss_mb']:.0f} MB",
            flush=True,
        )
    return {
        "throughput": throughput,
        "loop_points_per_s": loop,
        "batch_speedup_vs_loop": base / loop if loop else None,
        "memory": memory,
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--points", type=int, default=None)
    parser.add_argument("--chunk", type=int, default=None)
    parser.add_argument("--loop-points", dest="loop_points", type=int, default=None)
    parser.add_argument("--devices", type=int, nargs="+", default=None)
    parser.add_argument("--memory-points", dest="memory_points", type=int, default=None)
    args = parser.parse_args(argv)
    settings = resolve_settings(args, DEFAULTS, QUICK)
    warn_if_busy()
    print(f"bench_sweep: {settings}")
    with tempfile.TemporaryDirectory():
        results = run(**settings)
    print("\nthroughput (chunk loop; the table and data set are written after it)")
    print_table(
        results["throughput"],
        [
            ("devices", "devices", "d"),
            ("chunk_size", "chunk", "d"),
            ("nodes", "nodes", "d"),
            ("compile_s", "compile (s)", ".2f"),
            ("run_s", "run (s)", ".3f"),
            ("points_per_s", "points/s", ".4g"),
            ("speedup_vs_one_device", "× 1 device", ".2f"),
            ("assembly_s", "assembly (s)", ".2f"),
            ("failed", "failed", "d"),
            ("max_difference_vs_one_device", "max rel. diff", ".1e"),
            ("max_iteration_difference", "Δ Newton steps", "d"),
        ],
    )
    if results["loop_points_per_s"]:
        print(
            f"\nPython loop of single jitted solves: {results['loop_points_per_s']:.4g} points/s;"
            f" one-device sweep {results['batch_speedup_vs_loop']:.2f}× faster"
        )
    print("\nmemory (profiles on; peak resident set of the whole process)")
    print_table(
        results["memory"],
        [
            ("points", "points", "d"),
            ("chunk_size", "chunk", "d"),
            ("chunk_result_bytes", "chunk results (B)", ",d"),
            ("all_results_mb", "all results (MB)", ".0f"),
            ("peak_rss_mb", "peak RSS (MB)", ".0f"),
        ],
    )
    name = "sweep_quick" if args.quick else "sweep"
    path = write_json(name, {"settings": settings, **results})
    print(f"\nwrote {path}")
    return results


if __name__ == "__main__":
    main()
