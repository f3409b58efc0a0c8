"""Batched throughput and gradient cost of pnpjax on a two-phase, four-species junction.

Junction: phase A (ε_r = 10) | phase B (ε_r = 30), both semi-infinite, each hosting Li
interstitials, Li vacancies, electrons and holes, in contact with a Li reservoir and a fixed
Fermi level. The batch parameter is Δμ, the standard chemical potential of Li_i in B (eV;
V_Li follows with −Δμ/2), swept over [0.1, 0.3] eV: the built-in potential then spans
about −0.075 to −0.225 V.

All members share one graded mesh of about `--nodes` nodes (built once from the whole batch,
outside jit). Measured, all in this process:
- one unbatched solve (jitted): compile time and run time — the baseline;
- the whole batch, `jit(vmap(solve))`: compile time, run time, per-solve time, and the
  speed-up over a Python loop of unbatched solves (also timed here);
- `jax.grad` of the space-charge potential φ(interface) − φ_bulk(A) w.r.t. Δμ (implicit
  differentiation), single and vmapped over the batch, relative to the same forward solve.
The batched results are asserted equal to the loop's, and the gradient to a central
finite difference.

Run: `python benchmarks/bench_batch.py [--quick] [--batch-size 1024] [--nodes 2000]`.
"""

import argparse
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    mesh_with_nodes,
    print_table,
    resolve_settings,
    time_call,
    warn_if_busy,
    write_json,
)

import pnpjax as pj  # noqa: E402

DMU_RANGE = (0.1, 0.3)  # eV
TARGETS = {"single_ms": 5.0, "batch_s": 5.0, "grad_ratio": 3.0}
WARMUP = 4  # untimed batched calls after compilation (allocator warm-up, see _common)
QUICK = dict(batch_size=32, nodes=500, repeats=3)


def make_junction(dmu):
    """Two-phase, four-species junction; `dmu` (eV) may be a traced scalar."""
    a = pj.Phase(
        "A",
        eps_r=10.0,
        thickness=None,
        carriers={
            "Li_i^•": pj.Carrier(0.0, 1e28),
            "V_Li'": pj.Carrier(0.0, 1e28),
            "e'": pj.Carrier(1.0, 1e25),
            "h^•": pj.Carrier(-1.0, 1e25),
        },
    )
    b = pj.Phase(
        "B",
        eps_r=30.0,
        thickness=None,
        carriers={
            "Li_i^•": pj.Carrier(dmu, 1e28),
            "V_Li'": pj.Carrier(-dmu / 2, 1e28),
            "e'": pj.Carrier(1.2, 1e25),
            "h^•": pj.Carrier(-0.8, 1e25),
        },
    )
    return pj.Junction([a, b], pj.Reservoir({"Li_i^•": -0.2, "V_Li'": -0.2}, fermi_level=0.0))


def mesh_for_batch(dmus, nodes: int) -> pj.Mesh:
    """A mesh serving every member with about `nodes` nodes: bisect the growth factor of
    `Mesh.auto` (the node count falls as the growth rises)."""
    batch = jax.vmap(make_junction)(dmus)
    build = lambda growth: pj.Mesh.auto(batch, nodes_per_debye=10.0, growth=growth)  # noqa: E731
    return mesh_with_nodes(build, nodes, iterations=20)


# --- the measured functions -----------------------------------------------------------------


def forward(dmu, mesh):
    """Solve and return what depends on the Newton solution. (`built_in_potential` alone
    would not: it follows from bulk neutrality, and XLA would drop the Newton solve.)"""
    sol = pj.solve_equilibrium(make_junction(dmu), mesh=mesh)
    return {
        "space_charge_potential": sol.space_charge_potential[0],
        "phi": sol.phi_nodes,
        "iterations": sol.iterations,
        "result": sol.result,
    }


def scalar(dmu, mesh):
    """φ(interface) − φ_bulk(A) (V): the differentiated quantity."""
    return pj.solve_equilibrium(make_junction(dmu), mesh=mesh).space_charge_potential[0, 0]


def measured_functions():
    """Fresh jitted functions (empty caches, so first calls include compilation)."""
    over_batch = dict(in_axes=(0, None))
    return {
        "single": jax.jit(forward),
        "batch": jax.jit(jax.vmap(forward, **over_batch)),
        "scalar": jax.jit(scalar),
        "grad": jax.jit(jax.grad(scalar)),
        "batch_scalar": jax.jit(jax.vmap(scalar, **over_batch)),
        "batch_grad": jax.jit(jax.vmap(jax.grad(scalar), **over_batch)),
    }


def python_loop(fn, dmus, mesh):
    """Unbatched solves of every member, one after another (the baseline of batching)."""
    outs = [fn(d, mesh) for d in dmus]
    return jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *outs)


# --- checks ---------------------------------------------------------------------------------


def check_batch_matches_loop(batch_out, loop_out, n_checked):
    """Assert the vmapped solve equals the loop over members (to round-off)."""
    assert np.all(np.asarray(batch_out["result"]) == 0), "a batched solve failed"
    assert np.all(np.asarray(loop_out["result"]) == 0), "an unbatched solve failed"
    for key in ("space_charge_potential", "phi"):
        b = np.asarray(batch_out[key])[:n_checked]
        s = np.asarray(loop_out[key])
        np.testing.assert_allclose(b, s, rtol=1e-9, atol=1e-12, err_msg=key)
    return float(
        np.max(np.abs(np.asarray(batch_out["phi"])[:n_checked] - np.asarray(loop_out["phi"])))
    )


def check_gradient(grad_fn, mesh, dmu=0.2, step=1e-5):
    """Assert jax.grad agrees with a central finite difference; returns both."""
    fd = (float(scalar(dmu + step, mesh)) - float(scalar(dmu - step, mesh))) / (2 * step)
    ad = float(grad_fn(dmu, mesh))
    assert abs(ad - fd) <= 1e-5 * abs(fd) + 1e-9, f"grad {ad} vs finite difference {fd}"
    return ad, fd


# --- driver ---------------------------------------------------------------------------------


def run(batch_size: int, nodes: int, repeats: int, loop_members: int | None) -> dict:
    dmus = jnp.linspace(*DMU_RANGE, batch_size)
    mesh = mesh_for_batch(dmus, nodes)
    f = measured_functions()
    mid = jnp.asarray(0.5 * sum(DMU_RANGE))
    t = {
        "single": time_call(f["single"], mid, mesh, repeats=10 * repeats),
        "scalar": time_call(f["scalar"], mid, mesh, repeats=10 * repeats),
        "grad": time_call(f["grad"], mid, mesh, repeats=10 * repeats),
        "batch": time_call(f["batch"], dmus, mesh, repeats=repeats, warmup=WARMUP),
        "batch_scalar": time_call(f["batch_scalar"], dmus, mesh, repeats=repeats, warmup=WARMUP),
        "batch_grad": time_call(f["batch_grad"], dmus, mesh, repeats=repeats, warmup=WARMUP),
    }
    n_loop = batch_size if loop_members is None else min(loop_members, batch_size)
    loop = time_call(python_loop, f["single"], dmus[:n_loop], mesh, repeats=repeats, warmup=1)
    max_diff = check_batch_matches_loop(t["batch"]["value"], loop["value"], n_loop)
    ad, fd = check_gradient(f["grad"], mesh)
    iterations = np.asarray(t["batch"]["value"]["iterations"])
    loop_full_s = loop["median_s"] * batch_size / n_loop
    return {
        "batch_size": batch_size,
        "nodes": mesh.n_nodes,
        "unknowns_per_solve": mesh.n_nodes,
        "newton_iterations_mean": float(iterations.mean()),
        "newton_iterations_max": int(iterations.max()),
        "single_first_call_s": t["single"]["first_s"],
        "single_ms": 1e3 * t["single"]["median_s"],
        "batch_first_call_s": t["batch"]["first_s"],
        "batch_s": t["batch"]["median_s"],
        "batch_per_solve_ms": 1e3 * t["batch"]["median_s"] / batch_size,
        "loop_members_timed": n_loop,
        "loop_s": loop_full_s,
        "batch_speedup_vs_loop": loop_full_s / t["batch"]["median_s"],
        "scalar_ms": 1e3 * t["scalar"]["median_s"],
        "grad_ms": 1e3 * t["grad"]["median_s"],
        "grad_ratio": t["grad"]["median_s"] / t["scalar"]["median_s"],
        "grad_first_call_s": t["grad"]["first_s"],
        "batch_scalar_s": t["batch_scalar"]["median_s"],
        "batch_grad_s": t["batch_grad"]["median_s"],
        "batch_grad_ratio": t["batch_grad"]["median_s"] / t["batch_scalar"]["median_s"],
        "batch_grad_first_call_s": t["batch_grad"]["first_s"],
        "grad_value": ad,
        "grad_finite_difference": fd,
        "batch_vs_loop_max_abs_diff_V": max_diff,
        "repeats_single": 10 * repeats,
        "repeats_batch": repeats,
    }


def summary_rows(r: dict) -> list[dict]:
    """The table: quantity, value, unit, baseline/ratio and target verdict."""

    def row(name, value, unit, target=None, ratio=None):
        met = None if target is None else value <= target
        return dict(quantity=name, value=value, unit=unit, ratio=ratio, target=target, met=met)

    return [
        row("nodes per solve", r["nodes"], ""),
        row(
            "Newton iterations (batch mean / max)",
            f"{r['newton_iterations_mean']:.2f} / {r['newton_iterations_max']}",
            "",
        ),
        row("first call (compile+run), one solve", r["single_first_call_s"], "s"),
        row("one unbatched solve", r["single_ms"], "ms", TARGETS["single_ms"]),
        row("first call (compile+run), batch", r["batch_first_call_s"], "s"),
        row(f"batch of {r['batch_size']} (vmap)", r["batch_s"], "s", TARGETS["batch_s"]),
        row(
            "  per solve in batch",
            r["batch_per_solve_ms"],
            "ms",
            ratio=r["batch_per_solve_ms"] / r["single_ms"],
        ),
        row(
            f"Python loop of {r['batch_size']} (baseline)",
            r["loop_s"],
            "s",
            ratio=r["batch_speedup_vs_loop"],
        ),
        row("forward, scalar output", r["scalar_ms"], "ms"),
        row(
            "jax.grad of it",
            r["grad_ms"],
            "ms",
            TARGETS["grad_ratio"] * r["scalar_ms"],
            ratio=r["grad_ratio"],
        ),
        row("batched forward, scalar", r["batch_scalar_s"], "s"),
        row(
            "vmap(jax.grad)",
            r["batch_grad_s"],
            "s",
            TARGETS["grad_ratio"] * r["batch_scalar_s"],
            ratio=r["batch_grad_ratio"],
        ),
    ]


COLUMNS = [
    ("quantity", "quantity", "s"),
    ("value", "value", ".4g"),
    ("unit", "unit", "s"),
    ("ratio", "ratio", ".3f"),
    ("target", "target", ".4g"),
    ("met", "met", ""),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--batch-size", type=int, default=None, help="members (default 1024)")
    parser.add_argument("--nodes", type=int, default=None, help="mesh nodes (default 2000)")
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed repeats of batched calls (default 5; unbatched: 10x)",
    )
    parser.add_argument(
        "--loop-members",
        type=int,
        default=None,
        help="members in the timed Python loop (default: the whole batch)",
    )
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    warn_if_busy()
    settings = resolve_settings(args, dict(batch_size=1024, nodes=2000, repeats=5), QUICK)
    result = run(**settings, loop_members=args.loop_members)
    rows = summary_rows(result)
    print(
        f"Batched two-phase, four-species junctions on {jax.devices()[0].device_kind}: "
        f"ratio column = per-solve batch/unbatched, loop/batch speed-up, grad/forward"
    )
    print_table(rows, COLUMNS)
    print(
        f"batched == loop over {result['loop_members_timed']} members (max |Δφ| = "
        f"{result['batch_vs_loop_max_abs_diff_V']:.1e} V); d(φ_sc)/d(Δμ) = "
        f"{result['grad_value']:.6f} (finite difference {result['grad_finite_difference']:.6f})"
    )
    name = "batch_quick" if args.quick else "batch"
    path = write_json(
        name, {"quick": args.quick, "targets": TARGETS, "result": result, "table": rows}
    )
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
