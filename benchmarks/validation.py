"""Measured errors against the closed forms of VALIDATION.md items 1–6 (the README's table).

Run: `python benchmarks/validation.py` — prints a markdown table and writes
`benchmarks/results/validation.json`. Meshes are those of the unit tests (`Mesh.auto` with 40
nodes per local screening length, growth 1.02, refined once) unless stated.
"""

import json
import pathlib

import jax
import numpy as np

import pnpjax as pj

E, KB, EPS0, T = 1.602176634e-19, 1.380649e-23, 8.8541878128e-12, 298.15
KT = KB * T / E
C0, EPS_R = 1e24, 10.0
LAM = np.sqrt(EPS_R * EPS0 * KB * T / (E**2 * 2 * C0))


def fine(junction):
    return pj.Mesh.auto(junction, nodes_per_debye=40.0, growth=1.02).refined(1)


def cell(v):
    el = pj.Phase(
        "el", eps_r=EPS_R, carriers={"A^•": pj.Carrier(0.0, 1e28), "B'": pj.Carrier(0.0, 1e28)}
    )
    return pj.Junction(
        [el],
        pj.ReferenceBulk("el", {"A^•": C0, "B'": C0}),
        left=pj.Electrode(v),
        right=pj.Bulk(),
        temperature=T,
    )


def debye_hueckel():
    mesh = fine(cell(0.2))
    response = jax.jacfwd(lambda v: pj.solve_equilibrium(cell(v), mesh=mesh).phi)(0.0)
    x = np.asarray(pj.solve_equilibrium(cell(0.0), mesh=mesh).x)
    cap = jax.grad(lambda v: pj.solve_equilibrium(cell(v), mesh=mesh).boundary_charge[0])(0.0)
    return {
        "profile dφ/dφ0 = exp(-x/λ) (max abs)": float(np.max(np.abs(response - np.exp(-x / LAM)))),
        "C = ε/λ (rel)": abs(float(cap) / (EPS_R * EPS0 / LAM) - 1),
    }


def gouy_chapman():
    mesh = fine(cell(0.2))
    out = {}
    for v in (0.1, 0.2):
        u0 = v / KT
        s = pj.solve_equilibrium(cell(v), mesh=mesh)
        x = np.asarray(s.x)
        exact = 4 * np.arctanh(np.tanh(u0 / 4) * np.exp(-x / LAM)) * KT
        out[f"profile at {v} V (max abs / φ0)"] = float(np.max(np.abs(s.phi - exact)) / v)
        sigma = np.sqrt(8 * EPS_R * EPS0 * KB * T * C0) * np.sinh(u0 / 2)
        cap = jax.grad(lambda w: pj.solve_equilibrium(cell(w), mesh=mesh).boundary_charge[0])(v)
        out[f"Grahame σ at {v} V (rel)"] = abs(float(s.boundary_charge[0]) / sigma - 1)
        out[f"C = (ε/λ)cosh(u0/2) at {v} V (rel)"] = abs(
            float(cap) / (EPS_R * EPS0 / LAM * np.cosh(u0 / 2)) - 1
        )
    return out


def two_phase():
    def phase(name, eps, mu_c, mu_a):
        return pj.Phase(
            name, eps_r=eps, carriers={"A^•": pj.Carrier(mu_c, 1e28), "B'": pj.Carrier(mu_a, 1e28)}
        )

    j = pj.Junction(
        [phase("L", 10.0, 0.0, 0.0), phase("R", 30.0, 0.15, -0.05)],
        pj.Reservoir({"A^•": -0.3, "B'": -0.3}),
        temperature=T,
    )
    s = pj.solve_equilibrium(j, mesh=fine(j))
    c1, c2 = np.asarray(s.bulk_concentration[:, 0])
    u1 = float(s.space_charge_potential[0, 0]) / KT
    u2 = -float(s.space_charge_potential[0, 1]) / KT
    left, right = np.sqrt(10 * c1) * np.sinh(u1 / 2), np.sqrt(30 * c2) * np.sinh(u2 / 2)
    return {"√(ε1c1)sinh(u1/2) = √(ε2c2)sinh(u2/2) (rel)": abs(left / right - 1)}


def built_in():
    nc, nv, eg, n = 2.8e25, 1.04e25, 1.12, 1e23

    def si(name, doping):
        return pj.Phase(
            name,
            eps_r=11.7,
            carriers={"e'": pj.Carrier(eg / 2, nc), "h^•": pj.Carrier(-eg / 2, nv)},
            background_charge=doping,
        )

    j = pj.Junction([si("p", -n), si("n", n)], pj.Reservoir(fermi_level=0.0), temperature=T)
    s = pj.solve_equilibrium(j, mesh=fine(j))
    v_bi = KT * np.log(n * n / (nc * nv * np.exp(-eg / KT)))
    charge = np.abs(np.asarray(s.excess_charge[0]))
    width = charge.sum() / (E * n)
    w_exact = np.sqrt(2 * 11.7 * EPS0 * (float(s.built_in_potential[0]) - 2 * KT) * 2 / (E * n))
    a = pj.Phase(
        "A", eps_r=10.0, carriers={"Li_i^•": pj.Carrier(0.0, 1e28)}, background_charge=-1e24
    )
    b = pj.Phase(
        "B", eps_r=20.0, carriers={"Li_i^•": pj.Carrier(0.25, 1e28)}, background_charge=-3e25
    )
    s2 = pj.solve_equilibrium(
        pj.Junction([a, b], pj.ReferenceBulk("A", {"Li_i^•": 1e24}), temperature=T)
    )
    shared = -0.25 + KT * np.log(1e24 / 3e25)
    return {
        "shared ion e z Δφ = Δμ° + kT ln(c1/c2) (rel)": abs(
            float(s2.built_in_potential[0]) / shared - 1
        ),
        "pn V_bi = kT/e ln(NA ND/ni²) (rel)": abs(float(s.built_in_potential[0]) / v_bi - 1),
        "pn depletion width W (rel, with 2kT/e)": abs(width / w_exact - 1),
    }


def mott_schottky():
    n = 1e24

    def ms(v):
        ph = pj.Phase(
            "s",
            eps_r=EPS_R,
            carriers={"Li_i^•": pj.Carrier(0.0, 1e28), "A'": pj.Carrier(density=n, mobile=False)},
        )
        return pj.Junction(
            [ph],
            pj.ReferenceBulk("s", {"Li_i^•": n}),
            left=pj.Electrode(v),
            right=pj.Bulk(),
            temperature=T,
        )

    mesh = fine(ms(1.0))
    v = 1.0
    u0 = v / KT
    s = pj.solve_equilibrium(ms(v), mesh=mesh)
    cap = float(jax.grad(lambda w: pj.solve_equilibrium(ms(w), mesh=mesh).boundary_charge[0])(v))
    w = np.sqrt(2 * EPS_R * EPS0 * v / (E * n))
    x = np.asarray(s.x)
    inside = x < 0.8 * w
    parabola = np.max(np.abs(np.asarray(s.phi)[inside] - v * (1 - x[inside] / w) ** 2)) / v
    return {
        "σ = √(2εkTN(e^-u0+u0-1)) at 1 V (rel)": abs(
            float(s.boundary_charge[0])
            / np.sqrt(2 * EPS_R * EPS0 * KB * T * n * (np.exp(-u0) + u0 - 1))
            - 1
        ),
        "C = √(eεN/(2(φ0-kT/e))) at 1 V (rel)": abs(
            cap / np.sqrt(E * EPS_R * EPS0 * n / (2 * (v - KT))) - 1
        ),
        "φ0(1-x/w)² for x < 0.8w (max abs / φ0; depletion approx.)": float(parabola),
    }


def main():
    rows = []
    for item, fn in (
        ("1 Debye–Hückel", debye_hueckel),
        ("2–3 Gouy–Chapman, Grahame", gouy_chapman),
        ("4 two-phase Gouy–Chapman", two_phase),
        ("5 built-in potentials", built_in),
        ("6 Mott–Schottky", mott_schottky),
    ):
        for name, error in fn().items():
            rows.append({"item": item, "check": name, "error": error})
    print("| VALIDATION item | closed form | measured error |")
    print("|---|---|---|")
    for row in rows:
        print(f"| {row['item']} | {row['check']} | {row['error']:.1e} |")
    out = pathlib.Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "validation.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
