"""Accuracy of the default call: the error a user gets without options, against closed forms.

A user who calls a solver without a mesh or options gets the automatic mesh and no
extrapolation. This benchmark measures, for the closed forms of `VALIDATION.md` items 1–8 and 13
and the potential of an asymmetric silicon pn junction, the error of that **default call**
(`pj.solve_equilibrium(junction)`, `pj.differential_capacitance(junction)`,
`pj.impedance(junction, f)`, nothing else), with parameters of its own (not the unit tests'):

- `debye_hueckel`: 1:1 electrolyte (1e24 m^-3, ε_r 10), C = ε/λ at 0 V;
- `gouy_chapman`: 2:2 electrolyte (1e24 m^-3) at u0 = zeφ0/kT = 13.7: the profile
  tanh(u/4) = tanh(u0/4)e^{−x/λ} (max abs / φ0), Grahame's σ and C = (ε/λ)cosh(u0/2);
- `stern`: a 0.5 nm, ε_r 5 Stern layer before a 1:1 electrolyte at 0.1 V: 1/C = 1/C_H + 1/C_GC;
- `two_phase`: two electrolytes in contact, √(ε1c1)sinh(u1/2) = √(ε2c2)sinh(u2/2);
- `built_in`: a shared ion's built-in potential and a pn junction's V_bi;
- `mott_schottky`: a depleted mobile ion against a frozen background at 1 V: σ and C;
- `pn_profile`: Si pn junction, N_A 1e17 and N_D 1e16 cm^-3: max |φ − φ_converged| (V), the
  converged φ from a 40-nodes-per-Debye mesh refined once and extrapolated;
- `lattice`: Bikerman (ν = 0.5, 0.3 V) σ and C; one species on a lattice, σ at −0.5 V;
- `nonideal`: regular solution (Ω = −0.05 eV): C = εκ with thermodynamic factors;
- `impedance`: blocking cell (200 nm, 1:1, D 1e-12 m²/s) against Macdonald's exact Z(ω),
  1e-2…1e10 Hz, 41 frequencies.

Each case runs in a **fresh process** once with this checkout and once with a baseline
checkout (by default the commit before the accuracy work, in a temporary git worktree), and
reports the errors and the default call's time: the first call (trace, compile, run) and the
median of three later calls.

Run: `python benchmarks/bench_accuracy.py [--baseline REV] [--only CASE ...]`; writes
`benchmarks/results/accuracy.json`.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import validation  # noqa: E402
from _common import baseline_worktree, print_table, write_json  # noqa: E402
from validation import C0, EPS0, EPS_R, KB, KT, E, T  # noqa: E402

BASELINE = "cdc9eb2"  # main before the accuracy work (issue 18)
TOLERANCE = 1e-4  # issue 18: what the default call should meet


def _lam(eps_r, strength):
    """Debye length (m) for Σz²c = `strength` (m^-3)."""
    return np.sqrt(eps_r * EPS0 * KB * T / (E**2 * strength))


def _electrolyte(v, z=1, c=C0, left_layers=()):
    import pnpjax as pj

    plus, minus = ("A^•", "B'") if z == 1 else ("A^••", "B''")
    carriers = {plus: pj.Carrier(0.0, 1e28), minus: pj.Carrier(0.0, 1e28)}
    el = pj.Phase("el", eps_r=EPS_R, carriers=carriers)
    return pj.Junction(
        [*left_layers, el],
        pj.ReferenceBulk("el", {plus: c, minus: c}),
        left=pj.Electrode(v),
        right=pj.Bulk(),
        temperature=T,
    )


def case(name: str):
    """`(call, errors)`: the default call(s) of case `name`, and a function of their outputs
    giving {quantity: relative or stated error}."""
    import pnpjax as pj

    if name == "debye_hueckel":
        j = _electrolyte(0.0)

        def call():
            return pj.differential_capacitance(j)

        def errors(out):
            cap = out[0]
            return {"C = ε/λ (rel)": abs(float(cap) / (EPS_R * EPS0 / _lam(EPS_R, 2 * C0)) - 1)}

    elif name == "gouy_chapman":
        u0 = 13.7
        v = u0 * KT / 2
        j = _electrolyte(v, z=2)
        lam = _lam(EPS_R, 8 * C0)

        def call():
            return pj.differential_capacitance(j)

        def errors(out):
            cap, s = out
            x = np.asarray(s.x)
            exact = 4 * np.arctanh(np.tanh(u0 / 4) * np.exp(-x / lam)) * KT / 2
            sigma = np.sqrt(8 * EPS_R * EPS0 * KB * T * C0) * np.sinh(u0 / 2)
            return {
                "profile (max abs / φ0)": float(np.max(np.abs(np.asarray(s.phi) - exact)) / v),
                "Grahame σ (rel)": abs(float(s.boundary_charge[0]) / sigma - 1),
                "C = (ε/λ)cosh(u0/2) (rel)": abs(
                    float(cap) / (EPS_R * EPS0 / lam * np.cosh(u0 / 2)) - 1
                ),
            }

    elif name == "stern":
        d, eps_h, v = 0.5e-9, 5.0, 0.1
        stern = pj.Phase("stern", eps_r=eps_h, carriers={}, thickness=d)
        j = _electrolyte(v, left_layers=(stern,))

        def call():
            return pj.differential_capacitance(j)

        def errors(out):
            cap, s = out
            u = float(s.interface_potential[0]) / KT
            c_gc = EPS_R * EPS0 / _lam(EPS_R, 2 * C0) * np.cosh(u / 2)
            c_h = eps_h * EPS0 / d
            return {"1/C = 1/C_H + 1/C_GC (rel)": abs(float(cap) * (1 / c_h + 1 / c_gc) - 1)}

    elif name == "two_phase":

        def phase(n, eps, mu_c, mu_a):
            carriers = {"A^•": pj.Carrier(mu_c, 1e28), "B'": pj.Carrier(mu_a, 1e28)}
            return pj.Phase(n, eps_r=eps, carriers=carriers)

        j = pj.Junction(
            [phase("L", 8.0, 0.0, 0.0), phase("R", 25.0, 0.12, -0.08)],
            pj.Reservoir({"A^•": -0.3, "B'": -0.3}),
            temperature=T,
        )

        def call():
            return pj.solve_equilibrium(j)

        def errors(s):
            c1, c2 = np.asarray(s.bulk_concentration[:, 0])
            u1 = float(s.space_charge_potential[0, 0]) / KT
            u2 = -float(s.space_charge_potential[0, 1]) / KT
            left, right = np.sqrt(8 * c1) * np.sinh(u1 / 2), np.sqrt(25 * c2) * np.sinh(u2 / 2)
            return {"√(ε1c1)sinh(u1/2) = √(ε2c2)sinh(u2/2) (rel)": abs(left / right - 1)}

    elif name == "built_in":
        a = pj.Phase(
            "A", eps_r=12.0, carriers={"Li_i^•": pj.Carrier(0.0, 1e28)}, background_charge=-2e24
        )
        b = pj.Phase(
            "B", eps_r=25.0, carriers={"Li_i^•": pj.Carrier(0.2, 1e28)}, background_charge=-5e25
        )
        shared = pj.Junction([a, b], pj.ReferenceBulk("A", {"Li_i^•": 2e24}), temperature=T)
        n_a, n_d = 3e23, 2e22
        pn = pj.Junction(
            [validation.silicon("p", -n_a), validation.silicon("n", n_d)],
            pj.Reservoir(fermi_level=0.0),
            temperature=T,
        )

        def call():
            return pj.solve_equilibrium(shared), pj.solve_equilibrium(pn)

        def errors(out):
            s1, s2 = out
            ni2 = validation.NC * validation.NV * np.exp(-validation.EG / KT)
            return {
                "shared ion Δφ (rel)": abs(
                    float(s1.built_in_potential[0]) / (-0.2 + KT * np.log(2e24 / 5e25)) - 1
                ),
                "pn V_bi (rel)": abs(
                    float(s2.built_in_potential[0]) / (KT * np.log(n_a * n_d / ni2)) - 1
                ),
            }

    elif name == "mott_schottky":
        n, v = 5e23, 0.8
        ph = pj.Phase(
            "s",
            eps_r=EPS_R,
            carriers={"Li_i^•": pj.Carrier(0.0, 1e28), "A'": pj.Carrier(density=n, mobile=False)},
        )
        j = pj.Junction(
            [ph],
            pj.ReferenceBulk("s", {"Li_i^•": n}),
            left=pj.Electrode(v),
            right=pj.Bulk(),
            temperature=T,
        )

        def call():
            return pj.differential_capacitance(j)

        def errors(out):
            cap, s = out
            u0 = v / KT
            sigma = np.sqrt(2 * EPS_R * EPS0 * KB * T * n * (np.exp(-u0) + u0 - 1))
            exact_cap = (
                EPS_R
                * EPS0
                / _lam(EPS_R, n)
                * (1 - np.exp(-u0))
                / np.sqrt(2 * (np.exp(-u0) + u0 - 1))
            )
            return {
                "σ = √(2εkTN(e^-u0+u0-1)) (rel)": abs(float(s.boundary_charge[0]) / sigma - 1),
                "C = dσ/dφ0, exact first integral (rel)": abs(float(cap) / exact_cap - 1),
            }

    elif name == "pn_profile":
        j = pj.Junction(
            [validation.silicon("p", -1e23), validation.silicon("n", 1e22)],
            pj.Reservoir(fermi_level=0.0),
            temperature=T,
        )
        fine = pj.Mesh.auto(j, nodes_per_debye=40.0, growth=1.02).refined(1)
        converged = pj.solve_equilibrium(j, mesh=fine, extrapolate=True)

        def call():
            return pj.solve_equilibrium(j)

        def errors(s):
            # the converged φ at the default mesh's nodes, interpolated within each phase
            xf, pf, x = np.asarray(converged.x), np.asarray(converged.phi), np.asarray(s.x)
            cut_f, cut = int(np.argmax(np.diff(xf) == 0)), int(np.argmax(np.diff(x) == 0))
            ref = np.concatenate(
                [
                    np.interp(x[: cut + 1], xf[: cut_f + 1], pf[: cut_f + 1]),
                    np.interp(x[cut + 1 :], xf[cut_f + 1 :], pf[cut_f + 1 :]),
                ]
            )
            return {"max |φ − φ_converged| (V)": float(np.max(np.abs(np.asarray(s.phi) - ref)))}

    elif name == "lattice":
        nu, v = 0.5, 0.3
        bik, gas = validation.bikerman_cell(v, nu), validation.lattice_gas_cell()

        def call():
            return pj.differential_capacitance(bik), pj.solve_equilibrium(gas)

        def errors(out):
            (cap, s), g = out
            sigma, exact_cap = validation.bikerman_exact(v, nu)
            return {
                "Bikerman σ (rel)": abs(float(s.boundary_charge[0]) / sigma - 1),
                "Bikerman C (rel)": abs(float(cap) / exact_cap - 1),
                "lattice gas σ (rel)": abs(
                    float(g.boundary_charge[0]) / validation.lattice_gas_sigma() - 1
                ),
            }

    elif name == "nonideal":
        omega, c, sites = -0.05, 3e25, 1e26
        solid = pj.Phase(
            "s",
            eps_r=EPS_R,
            carriers={"A^•": pj.Carrier(0.0, sites), "B'": pj.Carrier(0.0, 1e28)},
            activity=pj.RegularSolution("A^•", omega),
        )
        j = pj.Junction(
            [solid],
            pj.ReferenceBulk("s", {"A^•": c, "B'": c}),
            left=pj.Electrode(0.0),
            right=pj.Bulk(),
            temperature=T,
        )

        def call():
            return pj.differential_capacitance(j)

        def errors(out):
            cap = out[0]
            theta = c / sites
            f_t = 1 / (1 - theta) - 2 * omega * theta / KT
            kappa = np.sqrt(E**2 / (EPS_R * EPS0 * KB * T) * (c / f_t + c))
            return {"C = εκ with f_T (rel)": abs(float(cap) / (EPS_R * EPS0 * kappa) - 1)}

    elif name == "impedance":
        length, d = 200e-9, 1e-12
        carriers = {
            "A+": pj.Carrier(0.0, 1e28, diffusivity=d),
            "B-": pj.Carrier(0.0, 1e28, diffusivity=d),
        }
        j = pj.Junction(
            [pj.Phase("el", eps_r=EPS_R, carriers=carriers, thickness=length)],
            pj.ReferenceBulk("el", {"A+": C0, "B-": C0}),
            left=pj.Electrode(0.0),
            right=pj.Electrode(0.0),
            species=[pj.Species("A+", charge=1), pj.Species("B-", charge=-1)],
            temperature=T,
        )
        f = np.logspace(-2, 10, 41)

        def call():
            return pj.impedance(j, f)

        def errors(spectrum):
            lam = _lam(EPS_R, 2 * C0)
            r_bulk = length * KT / (E * 2 * C0 * d)
            omega = 2 * np.pi * f * lam**2 / d
            m, q = length / (2 * lam), np.sqrt(1 + 1j * omega)
            exact = r_bulk / (1 + 1j * omega) * (1 + np.tanh(m * q) / (1j * omega * m * q))
            z = np.asarray(spectrum.impedance)
            return {"Z(ω) vs Macdonald (max rel)": float(np.max(np.abs(z / exact - 1)))}

    else:
        raise ValueError(f"unknown case {name!r}")
    return call, errors


CASES = (
    "debye_hueckel",
    "gouy_chapman",
    "stern",
    "two_phase",
    "built_in",
    "mott_schottky",
    "pn_profile",
    "lattice",
    "nonideal",
    "impedance",
)


def worker(name: str) -> dict:
    """One fresh process: the default call's errors, first-call and run times."""
    import jax

    import pnpjax  # noqa: F401

    call, errors = case(name)
    start = time.perf_counter()
    out = jax.block_until_ready(call())
    first = time.perf_counter() - start
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        jax.block_until_ready(call())
        runs.append(time.perf_counter() - start)
    return {"errors": errors(out), "first_s": first, "run_s": statistics.median(runs)}


def _run(tree: Path, name: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), PNPJAX_COMPILATION_CACHE="off")
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    out = subprocess.run(
        [sys.executable, __file__, "--worker", name],
        env=env,
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    if out.returncode != 0:
        raise RuntimeError(f"worker {name} in {tree} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare with")
    parser.add_argument("--only", nargs="*", choices=CASES, default=None)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return {}
    rows, samples = [], {}
    with baseline_worktree(args.baseline) as base:
        for name in args.only or CASES:
            before, after = _run(base, name), _run(ROOT, name)
            samples[name] = {"baseline": before, "current": after}
            for quantity, error in after["errors"].items():
                rows.append(
                    {
                        "case": name,
                        "quantity": quantity,
                        "baseline": before["errors"][quantity],
                        "error": error,
                        "met": "yes" if error <= TOLERANCE else "no",
                        "baseline_first": before["first_s"],
                        "first": after["first_s"],
                        "baseline_run": before["run_s"],
                        "run": after["run_s"],
                    }
                )
    print_table(
        rows,
        [
            ("case", "case", "s"),
            ("quantity", "quantity", "s"),
            ("baseline", "baseline error", ".2g"),
            ("error", "error", ".2g"),
            ("met", f"<= {TOLERANCE:g}", "s"),
            ("baseline_first", "baseline first (s)", ".2f"),
            ("first", "first (s)", ".2f"),
            ("baseline_run", "baseline run (s)", ".4f"),
            ("run", "run (s)", ".4f"),
        ],
    )
    payload = {"baseline": args.baseline, "tolerance": TOLERANCE, "cases": samples}
    print(f"\nwrote {write_json('accuracy', payload)}")
    return payload


if __name__ == "__main__":
    main()
