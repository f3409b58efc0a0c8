"""Transport in time and under bias: relaxation against SciPy's BDF, an IV curve, cost against N.

Issue 4 asks for three measurements of the transport solvers, each against a baseline timed in
this process:

- **relaxation**: a cathode | electrolyte pair (both 100 nm thick, insulating `Symmetry` ends)
  with Li interstitials, Li vacancies and electrons mobile (electrons in the cathode only) relaxes
  from uniform bulk concentrations (`initial="uniform"`) over 15 decades of time (1e-12 s to
  1e3 s) with `pnpjax.solve_transient`, against `scipy.integrate.solve_ivp(method="BDF")` on the
  same discretisation. SciPy has no DAE support, so the baseline integrates the
  displacement-current form of the same equations, exact for this closed system: the state is the
  normalised channel amounts of every node plus the displacement $F_e = C_e(u_e - u_{e+1})$ of
  every cell, with $\\dot F_e = -\\sum_i z_iJ_{ie}$ (the total current is zero between insulating
  ends); φ follows from the $F_e$ up to a constant, which no flux sees. Its right-hand side is
  built from pnpjax's own discrete fluxes (`pnpjax._discretise.fluxes`), jitted with JAX and
  called from SciPy with NumPy arrays; SciPy gets the banded sparsity pattern (`jac_sparsity`)
  and the same rtol and atol. Both must end on the same profile, which must be the equilibrium
  of the closed junction (`pnpjax.Closed` with the initial amounts);
- **IV curve**: a 30-point `pnpjax.iv_curve` of a silicon pn diode (ohmic contacts,
  Shockley–Read–Hall recombination) against 30 `pnpjax.solve_steady_state` calls, each from
  equilibrium, in a Python loop;
- **scaling**: the relaxation on meshes of about 125…2000 nodes; the exponent of a power-law fit
  of time (and time per accepted step) against N should be close to 1 (O(N) block-tridiagonal
  linear algebra).

Compile time is measured apart: the first call integrates only to t = 1e-12 s (the end time is a
traced value, so the same compiled function serves the timed call). The failure of a pnpjax run
(step limit) is recorded, not raised: its result code, steps and time go into the table and JSON.

Run: `python benchmarks/bench_dynamics.py [--quick] [--nodes 500] [--points 30]`.
"""

import argparse
import math
import sys
import time
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
from pnpjax._discretise import transport_residual as residual
from pnpjax._results.transport import make_solution  # noqa: E402
from pnpjax._solvers import transient  # noqa: E402

TARGET_RELAXATION_S = 10.0  # issue 4: relaxation of a 500-node junction in <= 10 s (2-core CPU)
RTOL, ATOL = 1e-6, 1e-10  # solve_transient's defaults, given to SciPy too
QUICK = dict(
    nodes=125,
    decades=4,
    points=10,
    scaling=(125, 250),
    repeats=1,
    max_steps=20000,
    scipy_limit=60.0,
)
DEFAULTS = dict(
    nodes=500,
    decades=15,
    points=30,
    scaling=(125, 250, 500, 1000, 2000),
    repeats=3,
    max_steps=20000,
    scipy_limit=900.0,
)
T_START = 1e-12  # s, the first saved time

# --- cathode | electrolyte ---------------------------------------------------------------------
T_CELL = 300.0  # K
THICKNESS = 100e-9  # m, each phase; assumed (thin-film cell)
SITES = 1e28  # m^-3, Li sites for interstitials and vacancies; assumed
N_C_CATHODE = 1e27  # m^-3, electron reference density of the cathode; assumed
# eV; assumed: chosen so the cathode is electron-rich (Li_i ≈ e' ≈ 1e26 m^-3) and the
# electrolyte a Frenkel-disordered Li conductor, with a built-in potential of about 80 mV
MU0 = {
    "cathode": {"Li_i^•": 0.0, "V_Li'": 0.0, "e'": 0.3},
    "electrolyte": {"Li_i^•": 0.1, "V_Li'": 0.15},
}
EPS = {"cathode": 10.0, "electrolyte": 60.0}  # LLZO-like electrolyte ε_r ≈ 60; assumed
D_ION = {"cathode": 1e-15, "electrolyte": 1e-14}  # m^2/s, Li_i and V_Li; assumed
D_ELECTRON = 1e-8  # m^2/s, electrons in the cathode; assumed (dielectric time ~ ps)
REFERENCE = {"Li_i^•": 1.01e26, "V_Li'": 1e24, "e'": 1e26}  # m^-3, neutral cathode bulk

# --- silicon pn diode (as /tmp/dyn/diode.py) -----------------------------------------------------
T_DIODE = 300.0  # K
N_C_SI, N_V_SI, GAP_SI = 2.8e25, 1.04e25, 1.12  # m^-3, m^-3, eV: Si at 300 K, Sze & Ng (2007)
EPS_SI = 11.7  # Sze & Ng (2007)
D_N, D_P = 3.6e-3, 1.2e-3  # m^2/s, electron and hole diffusivities of lightly doped Si
TAU = 1e-8  # s, SRH lifetimes of electrons and holes; assumed
DOPING = 1e22  # m^-3, donors (n side) and acceptors (p side)
SIDE = 30e-6  # m, each side of the diode
V_RANGE = (-0.5, 0.6)  # V, forward bias = p side (right contact) positive


def cell() -> pj.Junction:
    def phase(name, carriers):
        return pj.Phase(name, eps_r=EPS[name], thickness=THICKNESS, carriers=carriers)

    ions = lambda p: {  # noqa: E731
        s: pj.Carrier(MU0[p][s], SITES, diffusivity=D_ION[p]) for s in ("Li_i^•", "V_Li'")
    }
    electron = pj.Carrier(MU0["cathode"]["e'"], N_C_CATHODE, diffusivity=D_ELECTRON)
    cathode = phase("cathode", {**ions("cathode"), "e'": electron})
    electrolyte = phase("electrolyte", ions("electrolyte"))
    return pj.Junction(
        [cathode, electrolyte],
        pj.ReferenceBulk("cathode", REFERENCE),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        temperature=T_CELL,
    )


def diode() -> pj.Junction:
    def phase(name, background):
        carriers = {
            "e'": pj.Carrier(GAP_SI, N_C_SI, diffusivity=D_N),
            "h^•": pj.Carrier(0.0, N_V_SI, diffusivity=D_P),
        }
        return pj.Phase(
            name,
            eps_r=EPS_SI,
            thickness=SIDE,
            carriers=carriers,
            background_charge=background,
            reactions=(pj.ShockleyReadHall(TAU, TAU),),
        )

    return pj.Junction(
        [phase("n", DOPING), phase("p", -DOPING)],
        pj.ReferenceBulk("n", {"e'": DOPING}),
        left=pj.Ohmic(),
        right=pj.Ohmic(),
        temperature=T_DIODE,
    )


def cell_mesh(junction, nodes: int) -> pj.Mesh:
    return mesh_with_nodes(lambda g: pj.Mesh.auto(junction, nodes_per_debye=20.0, growth=g), nodes)


# --- pnpjax relaxation ---------------------------------------------------------------------------


def save_times(decades: int):
    return jnp.logspace(math.log10(T_START), math.log10(T_START) + decades, 4 * decades + 1)


def pnpjax_relaxation(junction, mesh, decades: int, max_steps: int, repeats: int) -> dict:
    """Compile (integrating to the first saved time only), then time the full relaxation."""

    def run(times):
        return pj.solve_transient(
            junction,
            times,
            initial="uniform",
            mesh=mesh,
            stepping=pj.TimeStepping(rtol=RTOL, atol=ATOL, max_steps=max_steps),
            throw=False,
        )

    times = save_times(decades)
    start = time.perf_counter()
    jax.block_until_ready(run(jnp.full_like(times, T_START) * (1 + 1e-9 * jnp.arange(len(times)))))
    compile_s = time.perf_counter() - start
    timing = time_call(run, times, repeats=repeats, warmup=0, first=False)
    sol = timing["value"]
    steps = int(sol.steps)
    return {
        "nodes": mesh.n_nodes,
        "compile_s": compile_s,
        "time_s": timing["median_s"],
        "steps": steps,
        "ms_per_step": 1e3 * timing["median_s"] / max(steps, 1),
        "result": int(sol.result),
        "solution": sol,
    }


# --- SciPy baseline: displacement-current ODE on the same discretisation -----------------------


class DisplacementODE:
    """The relaxation as an ODE in (normalised amounts, cell displacements), in the node order
    of pnpjax's state (per node: F of the cell to its right, then its present channels)."""

    def __init__(self, system, y0):
        n, b = system.n_nodes, system.block
        self.system, self.n, self.b = system, n, b
        present = np.asarray((system.channels.left | system.channels.right).T)  # [n, K]
        slot_kind = np.zeros((n, b), int)  # 0: dropped, 1: F, 2: amount
        slot_kind[:-1, 0] = 1
        slot_kind[:, 1:] = np.where(present, 2, 0)
        flat = slot_kind.reshape(-1)
        self.keep = np.nonzero(flat)[0]
        kept_kind = flat[self.keep]
        self.is_f = kept_kind == 1
        self.amount_slots = self.keep[~self.is_f]  # positions in the full state
        self.node_of = self.keep // b
        conductance = system.problem.conductance
        z = system.problem.layout.z[system.channels.species]
        u_gauge = system.u_gauge

        def full_state(state):
            f = state[self.is_f]
            u = u_gauge - jnp.concatenate([jnp.zeros(1), jnp.cumsum(f / conductance)])
            y = jnp.zeros(n * b).at[self.amount_slots].set(state[~self.is_f])
            return y.reshape(n, b).at[:, 0].set(u).reshape(-1)

        def rhs(t, state):
            local = residual.local_state(system, full_state(state))
            rate, flows, _ = residual.channel_rates(system, t, local)
            dy = rate / (system.scale * system.volume[:, None])
            df = -(flows[:, system.channels.species] * system.channels.edges.T) @ z
            out = jnp.zeros((n, b)).at[:-1, 0].set(df).at[:, 1:].set(dy).reshape(-1)
            return out[self.keep]

        self.full_state = jax.jit(full_state)
        self._rhs = jax.jit(rhs)
        u0, _ = residual.split(system, y0)
        f0 = residual.displacement(system, u0)
        state0 = np.asarray(y0)[self.keep].copy()
        state0[self.is_f] = np.asarray(f0)
        self.state0 = state0
        # atol: amounts as pnpjax (normalised); F in charge units: atol of one box's amount
        charge_unit = float(jnp.max(system.scale) * jnp.max(system.volume))
        self.atol = np.where(self.is_f, ATOL * charge_unit, ATOL)

    def rhs(self, t, state):
        return np.asarray(self._rhs(t, state))

    def sparsity(self):
        """Every unknown couples to those of its own and the neighbouring nodes (banded)."""
        from scipy.sparse import csr_matrix

        near = np.abs(self.node_of[:, None] - self.node_of[None, :]) <= 1
        return csr_matrix(near)


def scipy_relaxation(system, y0, decades: int, repeats: int, limit_s: float) -> dict:
    from scipy.integrate import solve_ivp

    ode = DisplacementODE(system, y0)
    t_scale = float(system.time_scale)
    t_eval = np.asarray(save_times(decades)) / t_scale
    ode.rhs(0.0, ode.state0)  # compile the jitted right-hand side

    def run():
        deadline = time.perf_counter() + limit_s

        def rhs(t, state):
            if time.perf_counter() > deadline:
                raise TimeoutError
            return ode.rhs(t, state)

        try:
            return solve_ivp(
                rhs,
                (0.0, t_eval[-1]),
                ode.state0,
                method="BDF",
                t_eval=t_eval,
                rtol=RTOL,
                atol=ode.atol,
                jac_sparsity=ode.sparsity(),
                first_step=T_START / t_scale * 1e-3,
            )
        except TimeoutError:
            return None

    timing = time_call(run, repeats=repeats, warmup=0, first=False)
    out = timing["value"]
    if out is None:
        return {
            "time_s": timing["median_s"],
            "success": False,
            "unknowns": int(len(ode.state0)),
            "message": f"stopped after the {limit_s:g} s limit",
            "final_state": None,
        }
    return {
        "time_s": timing["median_s"],
        "success": bool(out.success),
        "message": out.message,
        "rhs_evaluations": int(out.nfev),
        "jacobians": int(out.njev),
        "lu_factorisations": int(out.nlu),
        "unknowns": int(len(ode.state0)),
        "final_state": np.asarray(ode.full_state(jnp.asarray(out.y[:, -1]))),
        "t_final": float(out.t[-1]) if len(out.t) else float("nan"),
    }


def closed_equilibrium(junction, mesh, amounts: dict):
    """The equilibrium of the closed junction holding `amounts` (m^-2) of every channel."""
    keys = {"e'": "E_F"}
    state = pj.Closed({keys.get(k, k): v for k, v in amounts.items()})
    closed = pj.Junction(
        junction.phases,
        state,
        left=junction.left,
        right=junction.right,
        temperature=junction.temperature,
    )
    return pj.solve_equilibrium(closed, mesh=mesh)


def max_relative(a, b, floor: float = 1e-6) -> float:
    """max |a/b − 1| over entries where b exceeds `floor` times its species' largest value."""
    a, b = np.asarray(a), np.asarray(b)
    big = b > floor * b.max(axis=-1, keepdims=True)
    return float(np.max(np.abs(a[big] / b[big] - 1)))


def measure_relaxation(
    nodes: int, decades: int, max_steps: int, repeats: int, limit_s: float
) -> dict:
    junction = cell()
    mesh = cell_mesh(junction, nodes)
    ours = pnpjax_relaxation(junction, mesh, decades, max_steps, repeats)
    system, y0, reference = transient.prepare(junction, mesh, initial="uniform")
    theirs = scipy_relaxation(system, y0, decades, repeats if ours["result"] == 0 else 1, limit_s)
    sol = ours.pop("solution")
    c_scipy = None
    if theirs["success"]:
        final = make_solution(
            system,
            jnp.array([theirs["t_final"]]),
            jnp.asarray(theirs["final_state"])[None],
            reference,
            0,
            0,
        )
        c_scipy = np.asarray(final.concentration[0])
    row = {
        **ours,
        "t_end_s": float(save_times(decades)[-1]),
        "scipy_time_s": theirs["time_s"],
        "scipy_success": theirs["success"],
        "scipy_message": theirs["message"],
        "scipy_unknowns": theirs["unknowns"],
        "scipy_rhs_evaluations": theirs.get("rhs_evaluations"),
        "scipy_jacobians": theirs.get("jacobians"),
        "scipy_lu_factorisations": theirs.get("lu_factorisations"),
        # a lower bound when SciPy hit its time limit
        "speedup_vs_scipy": theirs["time_s"] / ours["time_s"],
        "meets_time_target": ours["result"] == 0 and ours["time_s"] <= TARGET_RELAXATION_S,
    }
    amounts = {k: float(v) for k, v in zip(sol.channels, np.asarray(sol.amounts[0]))}
    row["initial_amounts_m^-2"] = amounts
    if ours["result"] == 0:
        c_ours = np.asarray(sol.concentration[-1])
        if c_scipy is not None:
            row["max_rel_diff_vs_scipy"] = max_relative(c_ours, c_scipy)
        row["amount_drift"] = float(
            np.max(np.abs(np.asarray(sol.amounts[-1]) / np.asarray(sol.amounts[0]) - 1))
        )
        try:
            eq = closed_equilibrium(junction, mesh, amounts)
            row["max_rel_diff_vs_closed_equilibrium"] = max_relative(c_ours, eq.concentration)
            if c_scipy is not None:
                row["scipy_max_rel_diff_vs_closed_equilibrium"] = max_relative(
                    c_scipy, eq.concentration
                )
        except Exception as error:  # noqa: BLE001 - recorded, not fatal
            row["closed_equilibrium_error"] = repr(error)[:300]
    return row


def measure_scaling(node_counts, decades: int, max_steps: int) -> list[dict]:
    junction = cell()
    rows = []
    for nodes in node_counts:
        mesh = cell_mesh(junction, nodes)
        row = pnpjax_relaxation(junction, mesh, decades, max_steps, repeats=1)
        row.pop("solution")
        row["target_nodes"] = nodes
        rows.append(row)
        print(
            f"  scaling: {row['nodes']} nodes, {row['time_s']:.2f} s, {row['steps']} steps, "
            f"result {row['result']}",
            flush=True,
        )
        if row["result"] != 0:
            print("  (stopped: the integration failed; larger meshes skipped)")
            break
    return rows


def fitted_exponent(rows, key: str) -> float | None:
    good = [r for r in rows if r["result"] == 0]
    if len(good) < 2:
        return None
    n = np.log([r["nodes"] for r in good])
    t = np.log([r[key] for r in good])
    return float(np.polyfit(n, t, 1)[0])


# --- IV curve ----------------------------------------------------------------------------------


def measure_iv(points: int, repeats: int) -> dict:
    junction = diode()
    mesh = pj.Mesh.auto(junction)
    voltages = jnp.linspace(*V_RANGE, points)
    curve = time_call(
        lambda v: pj.iv_curve(junction, v, mesh=mesh), voltages, repeats=repeats, warmup=1
    )

    def loop(vs):
        return [pj.solve_steady_state(junction, voltage=v, mesh=mesh) for v in vs]

    singles = list(voltages)
    start = time.perf_counter()
    jax.block_until_ready(loop(singles))  # compiles one function per continuation-stage count
    loop_first = time.perf_counter() - start
    looped = time_call(loop, singles, repeats=repeats, warmup=0, first=False)
    iv = curve["value"]
    i_curve = np.asarray(iv.current)
    i_loop = np.array([float(s.current[0]) for s in looped["value"]])
    big = np.abs(i_loop) > 1e-9 * np.abs(i_loop).max()
    return {
        "nodes": mesh.n_nodes,
        "points": points,
        "voltage_range_V": V_RANGE,
        "iv_first_call_s": curve["first_s"],
        "iv_s": curve["median_s"],
        "iv_ms_per_point": 1e3 * curve["median_s"] / points,
        "iv_result": int(iv.result),
        "iv_newton_iterations": int(iv.steps),
        "loop_first_pass_s": loop_first,
        "loop_s": looped["median_s"],
        "loop_ms_per_point": 1e3 * looped["median_s"] / points,
        "loop_over_iv": looped["median_s"] / curve["median_s"],
        "loop_all_converged": all(int(s.result) == 0 for s in looped["value"]),
        "max_rel_diff_current_iv_vs_loop": float(np.max(np.abs(i_curve[big] / i_loop[big] - 1))),
        "current_A_per_m2": i_curve,
        "voltage_V": np.asarray(iv.voltage),
    }


# --- report ------------------------------------------------------------------------------------

RELAX_COLUMNS = [
    ("nodes", "nodes", "d"),
    ("compile_s", "compile s", ".2f"),
    ("time_s", "pnpjax s", ".3f"),
    ("steps", "steps", "d"),
    ("ms_per_step", "ms/step", ".3f"),
    ("result", "result", "d"),
    ("scipy_time_s", "SciPy BDF s", ".3f"),
    ("scipy_success", "SciPy ok", ""),
    ("speedup_vs_scipy", "SciPy/pnpjax", ".2f"),
    ("max_rel_diff_vs_scipy", "max rel Δc vs SciPy", ".1e"),
    ("max_rel_diff_vs_closed_equilibrium", "vs Closed eq.", ".1e"),
    ("meets_time_target", "≤10 s", ""),
]

SCALING_COLUMNS = [
    ("target_nodes", "N (target)", "d"),
    ("nodes", "nodes", "d"),
    ("compile_s", "compile s", ".2f"),
    ("time_s", "time s", ".3f"),
    ("steps", "steps", "d"),
    ("ms_per_step", "ms/step", ".3f"),
    ("result", "result", "d"),
]


def iv_rows(r: dict) -> list[dict]:
    def row(name, value, unit, ratio=None):
        return dict(quantity=name, value=value, unit=unit, ratio=ratio)

    return [
        row(
            f"nodes / points ({r['voltage_range_V'][0]:g} … {r['voltage_range_V'][1]:g} V)",
            f"{r['nodes']} / {r['points']}",
            "",
        ),
        row("iv_curve first call (compile + run)", r["iv_first_call_s"], "s"),
        row("iv_curve", r["iv_s"], "s"),
        row("  per point", r["iv_ms_per_point"], "ms"),
        row("loop of solve_steady_state, first pass (compiles)", r["loop_first_pass_s"], "s"),
        row("loop of solve_steady_state", r["loop_s"], "s", r["loop_over_iv"]),
        row("  per point", r["loop_ms_per_point"], "ms"),
        row(
            "iv_curve result / Newton iterations",
            f"{r['iv_result']} / {r['iv_newton_iterations']}",
            "",
        ),
        row("loop all converged", r["loop_all_converged"], ""),
        row("max |I_iv/I_loop − 1|", r["max_rel_diff_current_iv_vs_loop"], ""),
    ]


IV_COLUMNS = [
    ("quantity", "quantity", "s"),
    ("value", "value", ".4g"),
    ("unit", "unit", "s"),
    ("ratio", "loop/iv", ".2f"),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--nodes", type=int, default=None, help="relaxation mesh (default 500)")
    parser.add_argument("--decades", type=int, default=None, help="decades of time (default 15)")
    parser.add_argument("--points", type=int, default=None, help="IV points (default 30)")
    parser.add_argument("--scaling", type=int, nargs="+", default=None, help="node counts")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats (default 3)")
    parser.add_argument("--max-steps", dest="max_steps", type=int, default=None)
    parser.add_argument(
        "--scipy-limit",
        dest="scipy_limit",
        type=float,
        default=None,
        help="wall-clock limit (s) of one SciPy run (default 900)",
    )
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    warn_if_busy()
    s = resolve_settings(args, DEFAULTS, QUICK)
    print(
        f"Relaxation of cathode | electrolyte from uniform concentrations, "
        f"1e-12 s … 1e{-12 + s['decades']} s (rtol {RTOL:g}, atol {ATOL:g})",
        flush=True,
    )
    relaxation = measure_relaxation(
        s["nodes"], s["decades"], s["max_steps"], s["repeats"], s["scipy_limit"]
    )
    print_table([relaxation], RELAX_COLUMNS)
    print(
        "(Δc vs the Closed equilibrium is small only if the run reaches equilibrium, which takes "
        "the full 15 decades)"
    )
    if relaxation["result"] != 0:
        print(f"pnpjax FAILED (result {relaxation['result']}, {relaxation['steps']} steps)")
    print("\nCost against N (one timed relaxation each)", flush=True)
    scaling = measure_scaling(s["scaling"], s["decades"], s["max_steps"])
    print_table(scaling, SCALING_COLUMNS)
    exponents = {
        "time_vs_N": fitted_exponent(scaling, "time_s"),
        "time_per_step_vs_N": fitted_exponent(scaling, "ms_per_step"),
    }
    print(f"fitted exponents (time ∝ N^a): {exponents}")
    print(f"\nIV curve of a Si pn diode ({s['points']} points)", flush=True)
    iv = measure_iv(s["points"], s["repeats"])
    print_table(iv_rows(iv), IV_COLUMNS)
    name = "dynamics_quick" if args.quick else "dynamics"
    result = {
        "relaxation": relaxation,
        "scaling": scaling,
        "scaling_exponents": exponents,
        "iv_curve": iv,
    }
    path = write_json(
        name,
        {
            "quick": args.quick,
            "settings": s,
            "rtol": RTOL,
            "atol": ATOL,
            "target_relaxation_s": TARGET_RELAXATION_S,
            **result,
        },
    )
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
