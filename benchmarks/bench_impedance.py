"""Impedance spectroscopy: a 100-frequency spectrum in the frequency domain against one sinusoidal
transient per frequency.

The impedance issue asks for a 100-frequency spectrum of a realistic interface on about 500 nodes
in at most 1 s on a 2-core CPU, at least 100× faster than the time-domain approach of peer codes
(IonMonger, Driftfusion: one simulated sinusoid per frequency) on the same model, and agreeing
with it within 1 %.

- **Cell**: the electrolyte | cathode pair of `bench_dynamics.py` (both 100 nm; Li interstitials
  and Li vacancies mobile in both phases, electrons in the cathode only), with an ion-blocking
  metal `Electrode` on the electrolyte (left) and an `Ohmic` back contact on the cathode (right),
  at 0 V bias. From 1 mHz to 100 kHz the spectrum runs from the blocking double layer
  (−90°) through an arc near 1 Hz to the geometric capacitance (−90°). One mesh of about 500
  nodes (`Mesh.auto`, 20 nodes per Debye length, growth bisected to the node count) serves both
  methods.
- **Frequency domain**: `pnpjax.impedance(cell, frequencies, mesh=mesh)`, the public call as a
  user makes it, at 100 frequencies from 1 mHz to 100 kHz (and at one frequency, which leaves
  the steady state and a single linear solve).
- **Time domain**: for each frequency, `pnpjax.solve_transient` from the equilibrium with
  V(t) = A sin 2πft (A = 1 mV) on the right contact, rtol 1e-6 and atol 1e-10 (its defaults),
  for `periods` periods, saving the last period at 32 (+1) points. The frequency is a traced
  value of `Sinusoid`, so one compiled function serves every frequency. Z comes from the first
  Fourier coefficient over the last period, read two ways:

  * from the left electrode's charge Q (blocking, so the current is dQ/dt):
    Z = A/(ωQ̂), after removing the linear drift of Q over the period (the end-matching ramp
    q_N − q_0), which is what is left of modes much slower than the period. This is the
    reported agreement;
  * from the terminal current, as `tests/test_impedance.py` does: Z = −iA/Î_in with
    I_in = −`current` entering at the right contact and V(t) = Re(−iA e^{iωt}). The current is
    an average of drift and diffusion fluxes that nearly cancel, so the integrator's tolerance
    on the state shows in it (a few 1e-3).

  Waiting several of the slowest relaxation times (seconds: Li diffusion through the cathode,
  L²/D = 10 s) at every frequency would take millions of periods at 100 kHz; time-domain codes
  run a few periods instead, and the agreement check shows that `periods` = 5 with drift
  removal is enough here. With `--time-domain N` only N frequencies spread over the band are
  simulated and the time of all of them is extrapolated from their mean (flagged in the table
  and JSON).

Run: `python benchmarks/bench_impedance.py [--quick] [--nodes 500] [--frequencies 100]
[--time-domain N] [--periods 5] [--repeats 20]`.
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
from bench_dynamics import cell, cell_mesh  # noqa: E402

import pnpjax as pj  # noqa: E402

TARGET_TIME_S = 1.0  # the issue: a 100-frequency spectrum on ~500 nodes in <= 1 s (2-core CPU)
TARGET_RATIO = 100.0  # ... at least 100x faster than one transient per frequency
TARGET_AGREEMENT = 0.01  # ... agreeing with it within 1 %
DECADES = (-3.0, 5.0)  # log10 of the lowest and highest frequency (Hz)
AMPLITUDE = 1e-3  # V, the sinusoid's amplitude: linear response to ~(A e/k_BT)^2 ≈ 1e-3
SAMPLES = 32  # per period, over the last period
RTOL, ATOL = 1e-6, 1e-10  # solve_transient's defaults
QUICK = dict(nodes=125, frequencies=10, time_domain=None, periods=5, repeats=5)
DEFAULTS = dict(nodes=500, frequencies=100, time_domain=None, periods=5, repeats=20)


def blocking_cell() -> pj.Junction:
    """electrolyte | cathode of `bench_dynamics.cell`, between a blocking electrode on the
    electrolyte and an ohmic contact on the cathode."""
    base = cell()
    return pj.Junction(
        base.phases[::-1],
        base.state,
        left=pj.Electrode(0.0),
        right=pj.Ohmic(),
        temperature=base.temperature,
    )


# --- frequency domain --------------------------------------------------------------------------


def frequency_domain(junction, mesh, frequencies, repeats: int) -> dict:
    def spectrum(f):
        return pj.impedance(junction, f, mesh=mesh)

    full = time_call(spectrum, frequencies, repeats=repeats)
    single = time_call(spectrum, frequencies[:1], repeats=repeats)
    n = len(frequencies)
    out = full["value"]
    return {
        "first_call_s": full["first_s"],
        "time_s": full["median_s"],
        "min_s": full["min_s"],
        "single_first_call_s": single["first_s"],
        "single_time_s": single["median_s"],
        # the cost of one more frequency: one complex block-tridiagonal solve
        "per_extra_frequency_ms": 1e3 * (full["median_s"] - single["median_s"]) / max(n - 1, 1),
        "result": int(out.result),
        "steady_state_iterations": int(out.iterations),
        "impedance": np.asarray(out.impedance),
    }


# --- time domain -------------------------------------------------------------------------------


def sample_times(frequency: float, periods: int) -> np.ndarray:
    """The last full period of `periods`, at SAMPLES + 1 points (both ends)."""
    period = 1.0 / frequency
    return period * (periods - 1 + np.arange(SAMPLES + 1) / SAMPLES)


def fourier(values: np.ndarray, times: np.ndarray, frequency: float) -> complex:
    """First Fourier coefficient of `values` over one period (the first SAMPLES samples)."""
    phase = np.exp(-2j * np.pi * frequency * times[:SAMPLES])
    return complex(2.0 / SAMPLES * np.sum(values[:SAMPLES] * phase))


def impedance_from_charge(charge, times, frequency) -> complex:
    """Z = A/(ωQ̂) from the blocking electrode's charge, I_in = −dQ/dt, less its linear drift."""
    drift = (charge[-1] - charge[0]) * np.arange(SAMPLES + 1) / SAMPLES
    return AMPLITUDE / (2 * np.pi * frequency * fourier(charge - drift, times, frequency))


def impedance_from_current(current, times, frequency) -> complex:
    """Z = −iA/Î_in with I_in = −current, as `tests/test_impedance.py` reads it."""
    return -1j * AMPLITUDE / fourier(-current, times, frequency)


def sinusoid_run(junction, mesh):
    @jax.jit
    def run(times, frequency):
        wave = pj.Sinusoid(0.0, AMPLITUDE, frequency)
        stepping = pj.TimeStepping(rtol=RTOL, atol=ATOL)
        sol = pj.solve_transient(
            junction, times, voltage=wave, mesh=mesh, stepping=stepping, throw=False
        )
        return sol.current, sol.electrode_charge[:, 0], sol.result, sol.steps

    return run


def time_domain(junction, mesh, frequencies, periods: int) -> dict:
    run = sinusoid_run(junction, mesh)

    def one(f):
        times = sample_times(f, periods)
        current, charge, result, steps = jax.block_until_ready(
            run(jnp.asarray(times), jnp.asarray(f))
        )
        current, charge = np.asarray(current), np.asarray(charge)
        return (
            impedance_from_charge(charge, times, f),
            impedance_from_current(current, times, f),
            int(result),
            int(steps),
        )

    start = time.perf_counter()
    one(frequencies[0])
    first = time.perf_counter() - start
    rows, seconds = [], []
    for f in frequencies:
        start = time.perf_counter()
        rows.append(one(f))
        seconds.append(time.perf_counter() - start)
    z_charge, z_current, results, steps = (np.array(column) for column in zip(*rows))
    return {
        "first_call_s": first,
        "time_s": float(np.sum(seconds)),
        "seconds": np.array(seconds),
        "steps": steps,
        "results": results,
        "z_charge": z_charge,
        "z_current": z_current,
    }


# --- report ------------------------------------------------------------------------------------


def measure(nodes: int, n_frequencies: int, n_time_domain, periods: int, repeats: int) -> dict:
    junction = blocking_cell()
    mesh = cell_mesh(junction, nodes)
    frequencies = np.logspace(*DECADES, n_frequencies)
    print(
        f"electrolyte | cathode, blocking electrode | ohmic contact, {mesh.n_nodes} nodes, "
        f"{n_frequencies} frequencies {frequencies[0]:g} … {frequencies[-1]:g} Hz",
        flush=True,
    )
    fd = frequency_domain(junction, mesh, frequencies, repeats)
    print(f"  frequency domain: {1e3 * fd['time_s']:.1f} ms", flush=True)
    simulated = n_frequencies if n_time_domain is None else min(n_time_domain, n_frequencies)
    chosen = np.unique(np.round(np.linspace(0, n_frequencies - 1, simulated)).astype(int))
    td = time_domain(junction, mesh, frequencies[chosen], periods)
    extrapolated = len(chosen) < n_frequencies
    td_all_s = td["time_s"] * n_frequencies / len(chosen)
    print(f"  time domain: {td_all_s:.1f} s ({len(chosen)} simulated)", flush=True)
    z_fd = fd.pop("impedance")[chosen]
    error_charge = np.abs(td["z_charge"] / z_fd - 1)
    error_current = np.abs(td["z_current"] / z_fd - 1)
    speedup = td_all_s / fd["time_s"]
    agreement = float(error_charge.max())
    return {
        "nodes": mesh.n_nodes,
        "frequencies_Hz": frequencies,
        "n_frequencies": n_frequencies,
        "frequency_domain": fd,
        "time_domain": {
            "periods": periods,
            "samples_per_period": SAMPLES,
            "amplitude_V": AMPLITUDE,
            "rtol": RTOL,
            "atol": ATOL,
            "simulated_indices": chosen,
            "simulated_frequencies_Hz": frequencies[chosen],
            "extrapolated": extrapolated,
            "first_call_s": td["first_call_s"],
            "simulated_time_s": td["time_s"],
            "time_s": td_all_s,
            "mean_per_frequency_s": td["time_s"] / len(chosen),
            "seconds_per_frequency": td["seconds"],
            "steps": td["steps"],
            "steps_total": int(td["steps"].sum()),
            "all_converged": bool(np.all(td["results"] == 0)),
            "max_rel_diff_charge_readout": agreement,
            "max_rel_diff_current_readout": float(error_current.max()),
            "rel_diff_charge_readout": error_charge,
            "rel_diff_current_readout": error_current,
        },
        "impedance_Ohm_m2": {
            "frequency_domain_real": np.real(z_fd),
            "frequency_domain_imag": np.imag(z_fd),
            "time_domain_real": np.real(td["z_charge"]),
            "time_domain_imag": np.imag(td["z_charge"]),
        },
        "speedup": speedup,
        "speedup_with_compilation": (td["first_call_s"] + td_all_s) / fd["first_call_s"],
        "meets_time_target": fd["result"] == 0 and fd["time_s"] <= TARGET_TIME_S,
        "meets_speedup_target": speedup >= TARGET_RATIO,
        "meets_agreement_target": agreement <= TARGET_AGREEMENT,
    }


def rows(r: dict) -> list[dict]:
    fd, td = r["frequency_domain"], r["time_domain"]
    n, sims = r["n_frequencies"], len(td["simulated_indices"])

    def row(name, value, unit="", ratio=None):
        return dict(quantity=name, value=value, unit=unit, ratio=ratio)

    label = f"{n} sinusoids" + (f" (extrapolated from {sims})" if td["extrapolated"] else "")
    return [
        row("nodes / frequencies", f"{r['nodes']} / {n}"),
        row("frequency domain: first call (compile + run)", fd["first_call_s"], "s"),
        row(f"frequency domain: {n} frequencies", fd["time_s"], "s", 1.0),
        row("  one frequency (steady state + 1 solve)", fd["single_time_s"], "s"),
        row("  each further frequency", fd["per_extra_frequency_ms"], "ms"),
        row("time domain: first call (compile + run)", td["first_call_s"], "s"),
        row(f"time domain: {label}", td["time_s"], "s", r["speedup"]),
        row("  per frequency", td["mean_per_frequency_s"], "s"),
        row(
            "  accepted steps (total / per run)",
            f"{td['steps_total']} / {td['steps_total'] / sims:.0f}",
        ),
        row("  all converged", td["all_converged"]),
        row("max |Z_td/Z_fd − 1|, charge readout", td["max_rel_diff_charge_readout"]),
        row("max |Z_td/Z_fd − 1|, current readout", td["max_rel_diff_current_readout"]),
        row(
            f"targets met: ≤ {TARGET_TIME_S:g} s / ≥ {TARGET_RATIO:g}× / ≤ {TARGET_AGREEMENT:.0%}",
            " / ".join(
                "yes" if r[k] else "no"
                for k in ("meets_time_target", "meets_speedup_target", "meets_agreement_target")
            ),
        ),
    ]


COLUMNS = [
    ("quantity", "quantity", "s"),
    ("value", "value", ".4g"),
    ("unit", "unit", "s"),
    ("ratio", "time / frequency domain", ".1f"),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--nodes", type=int, default=None, help="mesh nodes (default 500)")
    parser.add_argument("--frequencies", type=int, default=None, help="default 100")
    parser.add_argument(
        "--time-domain",
        dest="time_domain",
        type=int,
        default=None,
        help="simulate only this many frequencies and extrapolate (default: all)",
    )
    parser.add_argument("--periods", type=int, default=None, help="periods per run (default 5)")
    parser.add_argument("--repeats", type=int, default=None, help="frequency-domain repeats")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    warn_if_busy()
    s = resolve_settings(args, DEFAULTS, QUICK)
    result = measure(s["nodes"], s["frequencies"], s["time_domain"], s["periods"], s["repeats"])
    print_table(rows(result), COLUMNS)
    name = "impedance_quick" if args.quick else "impedance"
    path = write_json(
        name,
        {
            "quick": args.quick,
            "settings": s,
            "targets": {
                "time_s": TARGET_TIME_S,
                "speedup": TARGET_RATIO,
                "agreement": TARGET_AGREEMENT,
            },
            **result,
        },
    )
    print(f"wrote {path}")
    return result


if __name__ == "__main__":
    main()
