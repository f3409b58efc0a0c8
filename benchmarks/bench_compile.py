"""First-call latency (trace + compile + run) of every solver entry point, against a baseline.

A user's first call of a solver waits for JAX to trace the program and XLA to compile it; for
the small problems of daily work that wait is far longer than the solve. This benchmark times,
in a **fresh Python process per measurement** (no in-memory or on-disk compilation cache), the
first call of

- `solve_equilibrium` on the demo interface (`examples.cathode_electrolyte()`: two phases,
  three species, site saturation and Fermi–Dirac electrons, default mesh);
- `solve_steady_state` of a silicon pn diode (ohmic contacts, Shockley–Read–Hall) at 0.3 V;
- `iv_curve` of a Li-ion conductor film between Li electrodes with Butler–Volmer exchange
  (the example config's cell), 9 voltages;
- `solve_transient` of a cathode | electrolyte pair (three species, insulating ends) relaxing
  from uniform bulk concentrations over six decades of time;
- `impedance` of a binary electrolyte between blocking electrodes, 41 frequencies;
- a sweep chunk: `pnpjax.sweep` of steady states of the film over 8 electrolyte thicknesses in
  one chunk;

each with the same junction, arguments and default mesh, once with the code in this checkout
and once with a baseline checkout (by default the commit before the one-solver-core work,
checked out into a temporary git worktree), interleaved, `--repeats` times each; the minimum
over repeats is reported (compile times on a shared machine only ever get slower). Then, in the
same worker, the median of three further calls gives the run time after compilation, so run
time is compared side by side too.

The run-time section (`--runtime`) times, in the same interleaved fresh processes, the
workloads of `bench_batch.py`, `bench_dynamics.py` and `bench_impedance.py` after compilation
(the minimum of several calls of one jitted program): a batch of 256 two-phase equilibria on
2000 nodes (`batch`), the 15-decade relaxation of the cathode | electrolyte pair on 500 nodes
(`relaxation`), a 30-point IV curve of the pn diode (`iv_30`) and a 100-frequency spectrum of
the blocking cell on 500 nodes (`impedance_100`).

The cache section (`--cache`) runs `pnpjax run CONFIG` on every example config twice in fresh
processes sharing a new persistent-cache folder, and reports the speed-up of the second run,
with the import floor (a fresh process importing pnpjax and pyplot) that bounds any cache's
speed-up: a cache skips XLA, not Python's imports, JAX's tracing or the plotting.

Run: `python benchmarks/bench_compile.py [--baseline REV] [--repeats 2] [--only CASE ...]
[--runtime] [--cache] [--quick]`; writes `benchmarks/results/compile.json`.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from _common import baseline_worktree, print_table, write_json  # noqa: E402

BASELINE = "19e7bd7"  # main before the one-solver-core work (issue 17)
CASES = ("equilibrium", "steady_state", "iv_curve", "transient", "impedance", "sweep_chunk")
TARGET_RATIO = 0.5  # issue 17: every first call at most half the baseline's
RUN_TIME_LIMIT = 1.1  # issue 17: run time after compilation within 1.1x
CACHE_TARGET = 5.0  # issue 17: a second `pnpjax run` at least 5x faster than the first
RUNTIME_CASES = ("batch", "relaxation", "iv_30", "impedance_100")


# --- the junctions (public API only: the same code runs against the baseline) ----------------


def pn_diode():
    import pnpjax as pj

    def side(name, background):
        carriers = {
            "e'": pj.Carrier(1.12, 2.8e25, diffusivity=3.6e-3),  # Si, Sze & Ng (2007)
            "h^•": pj.Carrier(0.0, 1.04e25, diffusivity=1.2e-3),
        }
        return pj.Phase(
            name,
            eps_r=11.7,
            thickness=2e-6,
            carriers=carriers,
            background_charge=background,
            reactions=(pj.ShockleyReadHall(1e-8, 1e-8),),
        )

    return pj.Junction(
        [side("n", 1e23), side("p", -1e23)],
        pj.ReferenceBulk("n", {"e'": 1e23}),
        left=pj.Ohmic(),
        right=pj.Ohmic(),
        temperature=300.0,
    )


def li_film(thickness=50e-9):
    import pnpjax as pj

    exchange = lambda: (pj.ButlerVolmer("Li_i^•", 20.0),)  # noqa: E731
    phase = pj.Phase(
        "electrolyte",
        eps_r=20.0,
        thickness=thickness,
        background_charge=-1e26,
        carriers={"Li_i^•": pj.Carrier(0.0, 1e28, diffusivity=1e-12)},
    )
    return pj.Junction(
        [phase],
        pj.ReferenceBulk("electrolyte", {"Li_i^•": 1e26}),
        left=pj.Electrode(0.0, exchange=exchange()),
        right=pj.Electrode(0.0, exchange=exchange()),
    )


def cathode_cell():
    import pnpjax as pj

    def ions(mu0, d):
        return {s: pj.Carrier(mu0[s], 1e28, diffusivity=d) for s in ("Li_i^•", "V_Li'")}

    cathode = pj.Phase(
        "cathode",
        eps_r=10.0,
        thickness=100e-9,
        carriers={
            **ions({"Li_i^•": 0.0, "V_Li'": 0.0}, 1e-15),
            "e'": pj.Carrier(0.3, 1e27, diffusivity=1e-8),
        },
    )
    electrolyte = pj.Phase(
        "electrolyte",
        eps_r=60.0,
        thickness=100e-9,
        carriers=ions({"Li_i^•": 0.1, "V_Li'": 0.15}, 1e-14),
    )
    return pj.Junction(
        [cathode, electrolyte],
        pj.ReferenceBulk("cathode", {"Li_i^•": 1.01e26, "V_Li'": 1e24, "e'": 1e26}),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        temperature=300.0,
    )


def blocking_cell():
    import pnpjax as pj

    carriers = {
        "A+": pj.Carrier(0.0, 1e28, diffusivity=1e-12),
        "B-": pj.Carrier(0.0, 1e28, diffusivity=2e-12),
    }
    phase = pj.Phase("el", eps_r=10.0, thickness=200e-9, carriers=carriers)
    return pj.Junction(
        [phase],
        pj.ReferenceBulk("el", {"A+": 1e24, "B-": 1e24}),
        left=pj.Electrode(0.0),
        right=pj.Electrode(0.0),
        species=[pj.Species("A+", charge=1), pj.Species("B-", charge=-1)],
    )


def case_call(case: str):
    """`(setup seconds, call)`: the junction built (timed apart), and the first call."""
    import jax.numpy as jnp
    import numpy as np

    import pnpjax as pj

    start = time.perf_counter()
    if case == "equilibrium":
        import pnpjax.examples

        junction = pnpjax.examples.cathode_electrolyte()

        def call():
            return pj.solve_equilibrium(junction).phi

    elif case == "steady_state":
        junction = pn_diode()

        def call():
            return pj.solve_steady_state(junction, voltage=0.3).current

    elif case == "iv_curve":
        junction = li_film()
        voltages = jnp.linspace(-0.2, 0.2, 9)

        def call():
            return pj.iv_curve(junction, voltages).current

    elif case == "transient":
        junction = cathode_cell()
        times = jnp.logspace(-12, -6, 7)

        def call():
            return pj.solve_transient(junction, times, initial="uniform").phi

    elif case == "impedance":
        junction = blocking_cell()
        frequencies = jnp.logspace(0, 10, 41)

        def call():
            return pj.impedance(junction, frequencies).impedance

    elif case == "sweep_chunk":
        from pnpjax import sweeps

        junction = li_film()
        space = sweeps.Grid({"phases[electrolyte].thickness": np.linspace(40e-9, 60e-9, 8)})
        folder = tempfile.mkdtemp(prefix="pnpjax-bench-sweep-")

        def call():
            shutil.rmtree(folder, ignore_errors=True)
            result = pj.sweep(
                junction,
                space,
                sweeps.SteadyState(voltage=0.05),
                chunk_size=8,
                folder=folder,
                progress=False,
                dataset=False,
            )
            return np.asarray(result.table()["current [A/m^2]"])

    else:
        raise ValueError(f"unknown case {case!r}")
    return time.perf_counter() - start, call


def worker(case: str, run_repeats: int) -> dict:
    """One fresh process: import, build the junction, time the first call and later calls."""
    start = time.perf_counter()
    import jax

    import pnpjax  # noqa: F401

    import_s = time.perf_counter() - start
    setup_s, call = case_call(case)
    start = time.perf_counter()
    jax.block_until_ready(call())
    first_s = time.perf_counter() - start
    runs = []
    for _ in range(run_repeats):
        start = time.perf_counter()
        jax.block_until_ready(call())
        runs.append(time.perf_counter() - start)
    return {
        "import_s": import_s,
        "setup_s": setup_s,
        "first_s": first_s,
        "run_s": statistics.median(runs),
    }


def runtime_worker(case: str) -> dict:
    """One fresh process: compile one jitted workload, then the minimum of several calls."""
    import jax
    import jax.numpy as jnp

    import pnpjax as pj

    jax.config.update("jax_enable_x64", True)
    from _common import mesh_with_nodes

    if case == "batch":
        import bench_batch

        dmus = jnp.linspace(0.1, 0.3, 256)
        mesh = bench_batch.mesh_for_batch(dmus, 2000)

        def solve(d):
            return pj.solve_equilibrium(bench_batch.make_junction(d), mesh=mesh).phi

        program, argument, calls = jax.jit(jax.vmap(solve)), dmus, 5
    elif case == "relaxation":
        cell = cathode_cell()
        mesh = mesh_with_nodes(lambda g: pj.Mesh.auto(cell, nodes_per_debye=20.0, growth=g), 500)

        def relax(times):
            return pj.solve_transient(cell, times, initial="uniform", mesh=mesh, throw=False).phi

        program, argument, calls = jax.jit(relax), jnp.logspace(-12, 3, 61), 3
    elif case == "iv_30":
        diode = pn_diode()
        mesh = pj.Mesh.auto(diode)
        program = jax.jit(lambda v: pj.iv_curve(diode, v, mesh=mesh).current)
        argument, calls = jnp.linspace(-0.3, 0.5, 30), 5
    elif case == "impedance_100":
        cell = blocking_cell()
        mesh = mesh_with_nodes(lambda g: pj.Mesh.auto(cell, nodes_per_debye=20.0, growth=g), 500)
        program = jax.jit(lambda f: pj.impedance(cell, f, mesh=mesh).impedance)
        argument, calls = jnp.logspace(-2, 10, 100), 10
    else:
        raise ValueError(f"unknown run-time case {case!r}")
    jax.block_until_ready(program(argument))
    runs = []
    for _ in range(calls):
        start = time.perf_counter()
        jax.block_until_ready(program(argument))
        runs.append(time.perf_counter() - start)
    return {"run_s": min(runs), "nodes": int(mesh.n_nodes)}


# --- the orchestrator -------------------------------------------------------------------------


def _environment(tree: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree)
    # no on-disk compilation cache: every worker compiles from scratch
    env["PNPJAX_COMPILATION_CACHE"] = "off"
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    env.pop("XLA_FLAGS", None)
    return env


def run_worker(tree: Path, case: str, run_repeats: int, flag: str = "--worker") -> dict:
    out = subprocess.run(
        [sys.executable, __file__, flag, case, "--run-repeats", str(run_repeats)],
        env=_environment(tree),
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    if out.returncode != 0:
        raise RuntimeError(f"worker {case} in {tree} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def interleaved(rev: str, cases, repeats: int, flag: str, run_repeats: int = 0) -> dict:
    """`{(case, "baseline" | "current"): [worker results]}`: every case in fresh processes,
    alternating the baseline worktree of `rev` and this checkout, `repeats` times."""
    samples = {(case, tree): [] for case in cases for tree in ("baseline", "current")}
    with baseline_worktree(rev) as base:
        for _ in range(repeats):
            for case in cases:
                for name, tree in (("baseline", base), ("current", ROOT)):
                    samples[(case, name)].append(run_worker(tree, case, run_repeats, flag))
    return samples


def import_floor(repeats: int) -> float:
    """Seconds a fresh process takes to import pnpjax and matplotlib's pyplot and exit: what
    every `pnpjax run` pays before it reads its config, cache or no cache."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    code = "import pnpjax, matplotlib.pyplot"
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def measure_cache(repeats: int) -> list[dict]:
    """`pnpjax run CONFIG` twice per example config, in fresh processes sharing one new
    persistent-cache folder (the current checkout only), with the import floor: the best
    speed-up any cache could give is first run / floor."""
    rows = []
    floor = import_floor(max(repeats, 3))
    pnpjax_cli = Path(sys.executable).parent / "pnpjax"
    for config in sorted((ROOT / "examples" / "configs").glob("*.toml")):
        first, second = [], []
        for _ in range(repeats):
            cache = tempfile.mkdtemp(prefix="pnpjax-bench-cache-")
            out = tempfile.mkdtemp(prefix="pnpjax-bench-out-")
            env = dict(os.environ, PNPJAX_COMPILATION_CACHE=cache, PYTHONPATH=str(ROOT))
            env.pop("XLA_FLAGS", None)
            times = []
            for run in range(2):
                start = time.perf_counter()
                subprocess.run(
                    [str(pnpjax_cli), "run", str(config), "--output", f"{out}/run{run}"],
                    env=env,
                    check=True,
                    capture_output=True,
                )
                times.append(time.perf_counter() - start)
            first.append(times[0])
            second.append(times[1])
            shutil.rmtree(cache, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
        rows.append(
            {
                "config": config.name,
                "first_s": min(first),
                "second_s": min(second),
                "speedup": min(first) / min(second),
                "import_floor_s": floor,
                "best_possible": min(first) / floor,
            }
        )
    return rows


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--runtime-worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--runtime", action="store_true", help="also run times (bench_batch, ...)")
    parser.add_argument("--run-repeats", type=int, default=3)
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with")
    parser.add_argument("--repeats", type=int, default=2, help="fresh processes per case")
    parser.add_argument("--only", nargs="*", choices=CASES, default=None)
    parser.add_argument("--cache", action="store_true", help="also the `pnpjax run` cache")
    parser.add_argument("--cache-only", action="store_true", help="only the cache section")
    parser.add_argument("--quick", action="store_true", help="one repeat")
    args = parser.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.run_repeats)))
        return {}
    if args.runtime_worker is not None:
        print(json.dumps(runtime_worker(args.runtime_worker)))
        return {}
    repeats = 1 if args.quick else args.repeats
    cases = list(args.only or CASES)
    payload = {"baseline": args.baseline, "repeats": repeats}
    if not args.cache_only:
        samples = interleaved(args.baseline, cases, repeats, "--worker", args.run_repeats)
        rows = []
        for case in cases:
            b = samples[(case, "baseline")]
            c = samples[(case, "current")]
            row = {
                "case": case,
                "baseline_first_s": min(s["first_s"] for s in b),
                "current_first_s": min(s["first_s"] for s in c),
                "baseline_run_s": min(s["run_s"] for s in b),
                "current_run_s": min(s["run_s"] for s in c),
                "baseline_import_s": min(s["import_s"] for s in b),
                "current_import_s": min(s["import_s"] for s in c),
            }
            row["first_ratio"] = row["current_first_s"] / row["baseline_first_s"]
            row["run_ratio"] = row["current_run_s"] / row["baseline_run_s"]
            row["first_met"] = row["first_ratio"] <= TARGET_RATIO
            rows.append(row)
        print_table(
            rows,
            [
                ("case", "case", ""),
                ("baseline_first_s", "baseline first (s)", ".2f"),
                ("current_first_s", "first (s)", ".2f"),
                ("first_ratio", "ratio", ".2f"),
                ("first_met", f"<= {TARGET_RATIO}", ""),
                ("baseline_run_s", "baseline run (s)", ".4f"),
                ("current_run_s", "run (s)", ".4f"),
                ("run_ratio", "run ratio", ".2f"),
            ],
        )
        payload["cases"] = rows
        payload["samples"] = {f"{c}/{t}": v for (c, t), v in samples.items()}
    if args.runtime and not args.cache_only:
        print()
        runs = interleaved(args.baseline, RUNTIME_CASES, repeats, "--runtime-worker")
        runtime_rows = []
        for case in RUNTIME_CASES:
            row = {
                "case": case,
                "nodes": runs[(case, "current")][0]["nodes"],
                "baseline_run_s": min(r["run_s"] for r in runs[(case, "baseline")]),
                "current_run_s": min(r["run_s"] for r in runs[(case, "current")]),
            }
            row["run_ratio"] = row["current_run_s"] / row["baseline_run_s"]
            row["run_met"] = row["run_ratio"] <= RUN_TIME_LIMIT
            runtime_rows.append(row)
        print_table(
            runtime_rows,
            [
                ("case", "workload", ""),
                ("nodes", "nodes", ""),
                ("baseline_run_s", "baseline run (s)", ".4f"),
                ("current_run_s", "run (s)", ".4f"),
                ("run_ratio", "ratio", ".2f"),
                ("run_met", f"<= {RUN_TIME_LIMIT}", ""),
            ],
        )
        payload["runtime"] = runtime_rows
    if args.cache or args.cache_only:
        print()
        cache_rows = measure_cache(1 if args.quick else repeats)
        print_table(
            cache_rows,
            [
                ("config", "config", ""),
                ("first_s", "first run (s)", ".2f"),
                ("second_s", "second run (s)", ".2f"),
                ("speedup", "speed-up", ".1f"),
                ("import_floor_s", "import floor (s)", ".2f"),
                ("best_possible", "first / floor", ".1f"),
            ],
        )
        payload["cache"] = cache_rows
    name = "compile_quick" if args.quick else "compile"
    print(f"\nwrote {write_json(name, payload)}")
    return payload


if __name__ == "__main__":
    main()
