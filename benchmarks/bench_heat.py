"""Coupled heat and mass transport: the cost of solving for T(x) against the isothermal solve.

Issue 8 asks for the cost of the coupled solve relative to the isothermal one, target ≤ 2×.
Each pair runs the same cell on the same mesh in this process, the isothermal member first:

- **relaxation**: the cathode | electrolyte pair of `bench_dynamics.py` (Li interstitials and
  vacancies in both phases, electrons in the cathode; insulating `Symmetry` ends) relaxing from
  uniform bulks over 15 decades of time (1e-12 s to 1e3 s), isothermal against
  (a) *coupled, adiabatic*: both ends `HeatFlux(0)`, the released enthalpy heats the cell, and
  (b) *coupled, gradient*: the cathode end at T0 + 10 K and the electrolyte end at T0, heats of
  transport on the ions and electrons (Soret, Dufour and Peltier terms all active);
- **steady state**: the same pair between an ion-blocking metal electrode (left) and an ohmic
  back contact (right, as in `bench_impedance.py`) at 0.2 V, isothermal against coupled with
  both ends held at T0 (Joule and Peltier heat conducted away) and against coupled with the
  10 K gradient.

The thermal coefficients are typical of oxides and are assumed (not fitted to a material):
κ = 5 W m⁻¹ K⁻¹ and C_v = 3.0e6 J m⁻³ K⁻¹ (LiCoO2-like), κ = 1.5 and C_v = 2.6e6 (LLZO-like);
heats of transport 0.2 eV (Li_i^•), 0.1 eV (V_Li') and 0.05 eV (e'); entropies s° of
1e-4 eV/K on the electrolyte's ions.

Times are medians of `repeats` calls after a compiling call (reported apart), steps are the
accepted time steps or Newton iterations.

Run: `python benchmarks/bench_heat.py [--quick] [--nodes 500] [--repeats 3]`.
"""

import argparse
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, resolve_settings, time_call, warn_if_busy, write_json  # noqa: E402
from bench_dynamics import ATOL, RTOL, T_CELL, cell, cell_mesh, save_times  # noqa: E402

import pnpjax as pj  # noqa: E402

TARGET_RATIO = 2.0  # issue 8: coupled solve ≤ 2× the isothermal one
QUICK = dict(nodes=125, decades=4, repeats=1)
DEFAULTS = dict(nodes=500, decades=15, repeats=3)
THERMAL = {
    "cathode": dict(conductivity=5.0, heat_capacity=3.0e6),
    "electrolyte": dict(conductivity=1.5, heat_capacity=2.6e6),
}
HEATS = {"Li_i^•": 0.2, "V_Li'": 0.1, "e'": 0.05}  # eV, assumed
ENTROPY = 1e-4  # eV/K, the electrolyte's ions; assumed
GRADIENT = 10.0  # K


def coupled(junction: pj.Junction, left, right) -> pj.Junction:
    """`junction` with thermal coefficients on its phases and the given thermal ends."""
    phases = []
    for phase in junction.phases:
        carriers = dict(phase.carriers)
        if phase.name == "electrolyte":
            carriers = {
                name: pj.Carrier(
                    c.mu0, c.density, diffusivity=c.diffusivity, mobile=c.mobile, entropy=ENTROPY
                )
                for name, c in carriers.items()
            }
        thermal = pj.ThermalTransport(
            heat_of_transport={s: HEATS[s] for s in carriers}, **THERMAL[phase.name]
        )
        phases.append(
            pj.Phase(
                phase.name,
                eps_r=phase.eps_r,
                thickness=phase.thickness,
                carriers=carriers,
                thermal=thermal,
            )
        )
    return pj.Junction(
        phases,
        junction.state,
        left=junction.left,
        right=junction.right,
        temperature=junction.temperature,
        thermal_left=left,
        thermal_right=right,
    )


def contacted(junction: pj.Junction) -> pj.Junction:
    """The cell between a blocking electrode (left) and an ohmic back contact (right)."""
    return pj.Junction(
        list(junction.phases),
        junction.state,
        left=pj.Electrode(0.0),
        right=pj.Ohmic(),
        temperature=junction.temperature,
        thermal_left=junction.thermal_left,
        thermal_right=junction.thermal_right,
    )


def relaxation(junction, mesh, times, repeats) -> dict:
    def run(times):
        stepping = pj.TimeStepping(rtol=RTOL, atol=ATOL)
        return pj.solve_transient(
            junction, times, initial="uniform", mesh=mesh, stepping=stepping, throw=False
        )

    timing = time_call(run, times, repeats=repeats, warmup=0)
    sol = timing["value"]
    return {
        "compile_s": timing["first_s"],
        "time_s": timing["median_s"],
        "steps": int(sol.steps),
        "result": int(sol.result),
        "temperature_K": (float(np.min(sol.temperature[-1])), float(np.max(sol.temperature[-1]))),
    }


def steady(junction, mesh, repeats) -> dict:
    # the default transport Newton, in 8 bias stages
    solver = pj.Newton(max_steps=100, atol=1e-9, rtol=0.0, residual_tol=None, continuation_steps=8)

    def run(voltage):
        return pj.solve_steady_state(
            junction, voltage=voltage, mesh=mesh, solver=solver, throw=False
        )

    timing = time_call(run, jnp.asarray(0.2), repeats=repeats, warmup=0)
    sol = timing["value"]
    return {
        "compile_s": timing["first_s"],
        "time_s": timing["median_s"],
        "steps": int(sol.steps),
        "result": int(sol.result),
        "current_A_m2": float(sol.current[0]),
        "temperature_K": (float(np.min(sol.temperature[0])), float(np.max(sol.temperature[0]))),
    }


COLUMNS = [
    ("case", "case", ""),
    ("variant", "variant", ""),
    ("nodes", "nodes", "d"),
    ("compile_s", "compile (s)", ".1f"),
    ("time_s", "time (s)", ".3f"),
    ("steps", "steps", "d"),
    ("ratio", "× isothermal", ".2f"),
    ("result", "result", "d"),
    ("t_range", "T range (K)", ""),
]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--nodes", type=int, default=None, help="mesh nodes (default 500)")
    parser.add_argument("--decades", type=int, default=None, help="decades of time (default 15)")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats (default 3)")
    args = parser.parse_args(argv)
    warn_if_busy()
    s = resolve_settings(args, DEFAULTS, QUICK)
    base = cell()
    mesh = cell_mesh(base, s["nodes"])
    times = save_times(s["decades"])
    adiabatic = coupled(base, pj.HeatFlux(0.0), pj.HeatFlux(0.0))
    gradient = coupled(base, pj.FixedTemperature(T_CELL + GRADIENT), pj.FixedTemperature(T_CELL))
    held = coupled(base, pj.FixedTemperature(T_CELL), pj.FixedTemperature(T_CELL))
    print(
        f"Relaxation from uniform bulks, 1e-12 s … 1e{-12 + s['decades']} s, {mesh.n_nodes} "
        f"nodes, and a steady state at 0.2 V (rtol {RTOL:g})",
        flush=True,
    )
    rows = []
    cases = [
        ("relaxation", "isothermal", lambda: relaxation(base, mesh, times, s["repeats"])),
        ("relaxation", "adiabatic", lambda: relaxation(adiabatic, mesh, times, s["repeats"])),
        ("relaxation", "10 K gradient", lambda: relaxation(gradient, mesh, times, s["repeats"])),
        ("steady state", "isothermal", lambda: steady(contacted(base), mesh, s["repeats"])),
        ("steady state", "ends at T0", lambda: steady(contacted(held), mesh, s["repeats"])),
        ("steady state", "10 K gradient", lambda: steady(contacted(gradient), mesh, s["repeats"])),
    ]
    reference = {}
    for case, variant, measure in cases:
        start = time.perf_counter()
        row = {"case": case, "variant": variant, "nodes": mesh.n_nodes, **measure()}
        if variant == "isothermal":
            reference[case] = row["time_s"]
        row["ratio"] = row["time_s"] / reference[case]
        row["t_range"] = "{:.4f}–{:.4f}".format(*row["temperature_K"])
        rows.append(row)
        print(f"  {case}, {variant}: {time.perf_counter() - start:.1f} s", flush=True)
    print_table(rows, COLUMNS)
    worst = max(r["ratio"] for r in rows)
    print(
        f"largest ratio {worst:.2f} (target ≤ {TARGET_RATIO}): {'met' if worst <= 2 else 'missed'}"
    )
    payload = {
        "quick": args.quick,
        "settings": s,
        "rtol": RTOL,
        "atol": ATOL,
        "target_ratio": TARGET_RATIO,
        "rows": rows,
        "largest_ratio": worst,
        "device": str(jax.devices()[0]),
    }
    path = write_json("heat_quick" if args.quick else "heat", payload)
    print(f"wrote {path}")
    return payload


if __name__ == "__main__":
    main()
