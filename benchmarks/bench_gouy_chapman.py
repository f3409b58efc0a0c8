"""Work–precision of pnpjax against `scipy.integrate.solve_bvp` on the Gouy–Chapman layer.

Problem: a 1:1 electrolyte (both ions mobile, bulk concentration c, ε_r = 10, T = 298.15 K)
in front of an electrode at potential V = u0·k_BT/e. Exact solution, with u = eφ/k_BT and the
Debye length λ = sqrt(ε k_BT / (2 e² c)):

    tanh(u(x)/4) = tanh(u0/4) · exp(−x/λ).

Error measure (the same for both solvers): max over the solver's own nodes of
|u_num − u_exact|, in units of k_BT/e (absolute, not relative to u0).

For each u0 the benchmark finds
- pnpjax, in two ways: the plain second-order solve and `extrapolate=True` (Richardson
  extrapolation from the mesh and its refinement, fourth order; it solves on both, so its cost
  counts both): for each, the mesh with the fewest nodes that reaches the target error,
  searching `Mesh.auto(nodes_per_debye, growth)` families and `.refined(k)`;
- SciPy: the fastest `solve_bvp` run that reaches it, searching initial meshes (uniform or
  graded) and, for each, the loosest `tol`. SciPy solves u'' = sinh(u) in x/λ on [0, 30]
  with u(0) = u0, u(30) = 0, analytic Jacobians and the Debye–Hückel guess u0·exp(−x).
It then times both (median of repeats; pnpjax after a first, compiling call) and reports
t_scipy / t_pnpjax.

Run: `python benchmarks/bench_gouy_chapman.py [--quick] [--target 1e-6] [--u0 4 8 ...]`.
"""

import argparse
import math
import sys
import warnings
from pathlib import Path

import jax
import numpy as np
from scipy.integrate import solve_bvp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, time_call, warn_if_busy, write_json  # noqa: E402

import pnpjax as pj  # noqa: E402

TEMPERATURE = 298.15  # K
EPS_R = 10.0
BULK_CONCENTRATION = 1e24  # m^-3, each ion
SITE_DENSITY = 1e27  # m^-3
THERMAL_VOLTAGE = 8.617333262e-5 * TEMPERATURE  # V
SCIPY_DOMAIN = 30.0  # Debye lengths
SCIPY_TOLS = (1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9)
SCIPY_MESHES = (
    ("uniform", 50),
    ("uniform", 200),
    ("uniform", 1000),
    ("graded", 30),
    ("graded", 60),
    ("graded", 120),
)
PNPJAX_FAMILIES = (
    (1.2, 3.0),
    (1.1, 4.0),
    (1.05, 6.0),
    (1.2, 5.0),
    (1.1, 5.0),
    (1.1, 10.0),
    (1.05, 10.0),
    (1.02, 10.0),
    (1.1, 20.0),
    (1.05, 20.0),
    (1.02, 20.0),
)
MAX_REFINE = 7
TARGET_ERROR = 1e-6
TARGET_SPEEDUP = 10.0

QUICK = dict(
    u0=(4.0, 20.0), target=1e-4, repeats=3, families=((1.05, 10.0),), scipy_meshes=(("graded", 60),)
)


# --- the problem -------------------------------------------------------------------------


def debye_length() -> float:
    """λ = sqrt(ε0 ε_r k_BT / (2 e² c)) (m) of the symmetric 1:1 electrolyte."""
    eps0, e = 8.8541878128e-12, 1.602176634e-19
    return math.sqrt(eps0 * EPS_R * THERMAL_VOLTAGE / (2 * e * BULK_CONCENTRATION))


def exact_u(xi, u0):
    """Gouy–Chapman potential u = eφ/k_BT at x/λ = `xi`."""
    return 4.0 * np.arctanh(np.tanh(u0 / 4.0) * np.exp(-np.asarray(xi)))


def gc_junction(potential):
    """The electrolyte against an electrode at `potential` (V; may be traced)."""
    phase = pj.Phase(
        "el",
        eps_r=EPS_R,
        thickness=None,
        carriers={"A^•": pj.Carrier(0.0, SITE_DENSITY), "B'": pj.Carrier(0.0, SITE_DENSITY)},
    )
    state = pj.ReferenceBulk("el", {"A^•": BULK_CONCENTRATION, "B'": BULK_CONCENTRATION})
    return pj.Junction(
        [phase], state, left=pj.Electrode(potential), right=pj.Bulk(), temperature=TEMPERATURE
    )


# --- pnpjax ------------------------------------------------------------------------------


def solve_gc(potential, mesh, extrapolate=False):
    """One Gouy–Chapman solve (junction built from a possibly traced potential)."""
    return pj.solve_equilibrium(gc_junction(potential), mesh=mesh, extrapolate=extrapolate)


# shared by the mesh search (one compilation per mesh size and method)
pnpjax_solve = jax.jit(solve_gc, static_argnames="extrapolate")


def fresh_jit(extrapolate):
    """A new jitted solve with an empty cache, so that its first call includes compilation.

    It returns the profile (x, u) that the error is measured on, as solve_bvp does, plus the
    iteration count. Returning the whole `EquilibriumSolution` (about 30 arrays) adds a fixed
    ~0.14 ms of output dispatch per call on this CPU, whatever the mesh; `TIME_FULL` records
    that variant too."""

    def profile(potential, mesh):
        solution = solve_gc(potential, mesh, extrapolate)
        return {"x": solution.x_nodes, "phi": solution.phi_nodes, "iterations": solution.iterations}

    return jax.jit(profile)


def fresh_jit_full(extrapolate):
    """As `fresh_jit`, returning the whole solution."""
    return jax.jit(lambda potential, mesh: solve_gc(potential, mesh, extrapolate))


def pnpjax_mesh(u0, growth, nodes_per_debye, refine):
    junction = gc_junction(u0 * THERMAL_VOLTAGE)
    return pj.Mesh.auto(junction, nodes_per_debye=nodes_per_debye, growth=growth).refined(refine)


def pnpjax_error(u0, mesh, extrapolate) -> float:
    """Max nodal error (k_BT/e) of the pnpjax solution on `mesh`."""
    sol = pnpjax_solve(u0 * THERMAL_VOLTAGE, mesh, extrapolate=extrapolate)
    if int(sol.result) != 0:
        return math.inf
    lam = debye_length()
    assert abs(float(sol.debye_length[0]) / lam - 1) < 1e-9, "pnpjax Debye length differs"
    u = np.asarray(sol.phi_nodes) / THERMAL_VOLTAGE
    return float(np.max(np.abs(u - exact_u(np.asarray(sol.x_nodes) / lam, u0))))


def cheapest_in_family(u0, growth, nodes_per_debye, target, extrapolate):
    """Smallest refinement k of one mesh family reaching `target`, as a candidate dict.

    The convergence order (error ∝ 4^−k, or 16^−k extrapolated) predicts k from the unrefined
    error; the search then steps up until the target is met and down while it stays met."""
    cache = {}

    def error(k):
        if k not in cache:
            cache[k] = pnpjax_error(u0, pnpjax_mesh(u0, growth, nodes_per_debye, k), extrapolate)
        return cache[k]

    e0 = error(0)
    base = 16 if extrapolate else 4
    k = 0 if e0 <= target else min(MAX_REFINE, math.ceil(math.log(e0 / target, base)))
    while error(k) > target and k < MAX_REFINE:
        k += 1
    if error(k) > target:
        return None
    while k > 0 and error(k - 1) <= target:
        k -= 1
    mesh = pnpjax_mesh(u0, growth, nodes_per_debye, k)
    return dict(
        growth=growth,
        nodes_per_debye=nodes_per_debye,
        refine=k,
        mesh=mesh,
        nodes=mesh.n_nodes,
        error=error(k),
    )


def cheapest_pnpjax(u0, target, families, extrapolate):
    candidates = []
    for growth, nodes_per_debye in families:
        candidate = cheapest_in_family(u0, growth, nodes_per_debye, target, extrapolate)
        if candidate:
            candidates.append(candidate)
        # every mesh size compiles anew; dropping the executables keeps the process small
        # (hundreds of them exhausted LLVM's memory mappings)
        jax.clear_caches()
    return min(candidates, key=lambda c: c["nodes"]) if candidates else None


# --- SciPy -------------------------------------------------------------------------------


def scipy_initial_mesh(kind, n, u0):
    """Uniform, or geometric from the local screening length λ·exp(−u0/2)/10 at x = 0."""
    if kind == "uniform":
        return np.linspace(0.0, SCIPY_DOMAIN, n)
    first = 0.1 * math.exp(-u0 / 2)
    return np.concatenate([[0.0], np.geomspace(first, SCIPY_DOMAIN, n - 1)])


def scipy_solve(u0, x0, tol):
    """`solve_bvp` of u'' = sinh(u), u(0) = u0, u(L) = 0 with analytic Jacobians."""

    def fun(_, y):
        return np.vstack([y[1], np.sinh(y[0])])

    def fun_jac(x, y):
        jac = np.zeros((2, 2, x.size))
        jac[0, 1] = 1.0
        jac[1, 0] = np.cosh(y[0])
        return jac

    def bc(ya, yb):
        return np.array([ya[0] - u0, yb[0]])

    def bc_jac(_, __):
        return np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[0.0, 0.0], [1.0, 0.0]])

    guess = np.vstack([u0 * np.exp(-x0), -u0 * np.exp(-x0)])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return solve_bvp(
            fun, bc, x0, guess, fun_jac=fun_jac, bc_jac=bc_jac, tol=tol, max_nodes=200_000
        )


def scipy_error(sol, u0) -> float:
    if sol.status != 0:
        return math.inf
    return float(np.max(np.abs(sol.y[0] - exact_u(sol.x, u0))))


def cheapest_scipy(u0, target, meshes, repeats):
    """Fastest (median time) initial mesh, each with its loosest `tol` reaching `target`."""
    best = None
    for kind, n in meshes:
        x0 = scipy_initial_mesh(kind, n, u0)
        for tol in SCIPY_TOLS:
            sol = scipy_solve(u0, x0, tol)
            error = scipy_error(sol, u0)
            if error <= target:
                timing = time_call(scipy_solve, u0, x0, tol, repeats=repeats, first=False)
                run = dict(
                    initial_mesh=f"{kind} {n}",
                    tol=tol,
                    nodes=int(sol.x.size),
                    error=error,
                    time_s=timing["median_s"],
                )
                if best is None or run["time_s"] < best["time_s"]:
                    best = run
                break
    return best


# --- driver ------------------------------------------------------------------------------


def benchmark_u0(u0, target, repeats, families, scipy_meshes) -> dict:
    row = {"u0": u0}
    for prefix, extrapolate in (("pnpjax", True), ("plain", False)):
        pnp = cheapest_pnpjax(u0, target, families, extrapolate)
        if pnp is None:
            continue
        timing = time_call(
            fresh_jit(extrapolate), u0 * THERMAL_VOLTAGE, pnp["mesh"], repeats=repeats
        )
        full = time_call(
            fresh_jit_full(extrapolate), u0 * THERMAL_VOLTAGE, pnp["mesh"], repeats=repeats
        )
        row[f"{prefix}_full_time_s"] = full["median_s"]
        # an extrapolated solve also solves on the refined mesh (2n − 1 nodes)
        solved_nodes = pnp["nodes"] + (2 * pnp["nodes"] - 1 if extrapolate else 0)
        row.update(
            {
                f"{prefix}_nodes": solved_nodes,
                f"{prefix}_error": pnp["error"],
                f"{prefix}_mesh": f"g={pnp['growth']} npd={pnp['nodes_per_debye']:g} "
                f"ref={pnp['refine']}",
                f"{prefix}_first_s": timing["first_s"],
                f"{prefix}_time_s": timing["median_s"],
                f"{prefix}_iterations": int(timing["value"]["iterations"]),
            }
        )
    sci = cheapest_scipy(u0, target, scipy_meshes, repeats)
    if sci is not None:
        row.update(
            scipy_nodes=sci["nodes"],
            scipy_error=sci["error"],
            scipy_setting=f"{sci['initial_mesh']} tol={sci['tol']:.0e}",
            scipy_time_s=sci["time_s"],
        )
        for prefix in ("pnpjax", "plain"):
            if f"{prefix}_time_s" in row:
                row[f"{prefix}_speedup"] = row["scipy_time_s"] / row[f"{prefix}_time_s"]
        if "pnpjax_speedup" in row:
            row["meets_target"] = row["pnpjax_speedup"] >= TARGET_SPEEDUP
    for key in (
        "pnpjax_time_s",
        "plain_time_s",
        "scipy_time_s",
        "pnpjax_first_s",
        "pnpjax_full_time_s",
    ):
        if key in row:
            row[key.replace("_s", "_ms")] = 1e3 * row[key]
    return row


COLUMNS = [
    ("u0", "u0", "g"),
    ("plain_nodes", "2nd-ord nodes", "d"),
    ("plain_time_ms", "2nd-ord [ms]", ".3f"),
    ("plain_speedup", "t_scipy/t_2nd", ".2f"),
    ("pnpjax_nodes", "extrap nodes", "d"),
    ("pnpjax_mesh", "extrap mesh", "s"),
    ("pnpjax_error", "extrap err", ".1e"),
    ("pnpjax_first_ms", "extrap 1st [ms]", ".0f"),
    ("pnpjax_time_ms", "extrap [ms]", ".3f"),
    ("pnpjax_full_time_ms", "extrap full [ms]", ".3f"),
    ("scipy_nodes", "scipy nodes", "d"),
    ("scipy_setting", "scipy setting", "s"),
    ("scipy_error", "scipy err", ".1e"),
    ("scipy_time_ms", "scipy [ms]", ".3f"),
    ("pnpjax_speedup", "t_scipy/t_extrap", ".2f"),
    ("meets_target", f">={TARGET_SPEEDUP:g}x", ""),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument(
        "--target",
        type=float,
        default=None,
        help=f"max nodal error in k_BT/e (default {TARGET_ERROR:g})",
    )
    parser.add_argument(
        "--u0",
        type=float,
        nargs="+",
        default=None,
        help="electrode potentials in k_BT/e (default 4 8 12 16 20)",
    )
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats (default 20)")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    warn_if_busy()
    settings = dict(
        u0=(4.0, 8.0, 12.0, 16.0, 20.0),
        target=TARGET_ERROR,
        repeats=20,
        families=PNPJAX_FAMILIES,
        scipy_meshes=SCIPY_MESHES,
    )
    if args.quick:
        settings.update(QUICK)
    for key in ("target", "u0", "repeats"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    print(
        f"Gouy–Chapman work–precision: error = max |u_num − u_exact| over the solver's "
        f"nodes, in k_BT/e; target {settings['target']:g}"
    )
    rows = [
        benchmark_u0(
            u0,
            settings["target"],
            settings["repeats"],
            settings["families"],
            settings["scipy_meshes"],
        )
        for u0 in settings["u0"]
    ]
    print_table(rows, COLUMNS)
    path = write_json(
        "gouy_chapman_quick" if args.quick else "gouy_chapman",
        {
            "quick": args.quick,
            "error_definition": "max over the solver's nodes of |u_num - u_exact|, "
            "u in units of k_BT/e (absolute)",
            "target_error": settings["target"],
            "target_speedup": TARGET_SPEEDUP,
            "repeats": settings["repeats"],
            "scipy_domain_debye_lengths": SCIPY_DOMAIN,
            "rows": rows,
        },
    )
    print(f"wrote {path}")
    return {"rows": rows}


if __name__ == "__main__":
    main()
