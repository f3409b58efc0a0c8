"""Measured errors against the closed forms of VALIDATION.md items 1–14 (the README's table).

Run: `python benchmarks/validation.py [--only dynamics|impedance|heat]` — prints a markdown table
and writes `benchmarks/results/validation.json` (`validation_<only>.json`). Meshes are those
of the unit tests (`Mesh.auto` with 40 nodes per local screening length, growth 1.02, refined
once) unless stated.
"""

import json
import pathlib
import sys

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


NC, NV, EG = 2.8e25, 1.04e25, 1.12  # Si: effective densities of states (m^-3), gap (eV)


def silicon(name, doping):
    """Silicon with Boltzmann electrons and holes, midgap-referenced band edges; `doping`
    (m^-3) positive for donors."""
    return pj.Phase(
        name,
        eps_r=11.7,
        carriers={"e'": pj.Carrier(EG / 2, NC), "h^•": pj.Carrier(-EG / 2, NV)},
        background_charge=doping,
    )


def built_in():
    nc, nv, eg, n = NC, NV, EG, 1e23
    j = pj.Junction(
        [silicon("p", -n), silicon("n", n)], pj.Reservoir(fermi_level=0.0), temperature=T
    )
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


def bikerman_cell(v, nu, c0=1e26):
    el = pj.Phase(
        "el",
        eps_r=EPS_R,
        carriers={"A^•": pj.Carrier(0.0, 1e28), "B'": pj.Carrier(0.0, 1e28)},
        activity=pj.Bikerman(("A^•", "B'"), (nu / (2 * c0)) ** (1 / 3)),
    )
    return pj.Junction(
        [el],
        pj.ReferenceBulk("el", {"A^•": c0, "B'": c0}),
        left=pj.Electrode(v),
        right=pj.Bulk(),
        temperature=T,
    )


def bikerman():
    """Item 7: σ(u0) and C(u0) of a Bikerman electrolyte (c0 = 1e26 m^-3), extrapolated."""
    c0 = 1e26
    mesh = pj.Mesh.auto(bikerman_cell(0.3, 0.1), nodes_per_debye=20.0)
    out = {}
    for nu in (0.1, 0.5):
        charge = lambda w, nu=nu: pj.solve_equilibrium(  # noqa: E731
            bikerman_cell(w, nu), mesh=mesh, extrapolate=True
        ).boundary_charge[0]
        sig_err, cap_err = 0.0, 0.0
        for v in (0.05, 0.3):
            sigma, cap = bikerman_exact(v, nu, c0)
            sig_err = max(sig_err, abs(float(charge(v)) / sigma - 1))
            cap_err = max(cap_err, abs(float(jax.grad(charge)(v)) / cap - 1))
        out[f"Bikerman σ(u0), ν = {nu}, 0.05 and 0.3 V (rel)"] = sig_err
        out[f"Bikerman C(u0) by jax.grad, ν = {nu} (rel)"] = cap_err
    return out


LATTICE_SITES, LATTICE_REF = 2e26, 1e26


def lattice_gas_cell(v=-0.5):
    """One species on N = 2e26 m^-3 sites against a frozen background of 1e26 m^-3."""
    solid = pj.Phase(
        "s",
        eps_r=EPS_R,
        carriers={
            "A^•": pj.Carrier(0.1, LATTICE_SITES),
            "B'": pj.Carrier(density=LATTICE_REF, mobile=False),
        },
        activity=pj.LatticeSaturation("A^•"),
    )
    return pj.Junction(
        [solid],
        pj.ReferenceBulk("s", {"A^•": LATTICE_REF}),
        left=pj.Electrode(v),
        right=pj.Bulk(),
        temperature=T,
    )


def lattice_gas_sigma(v=-0.5):
    """σ (C/m²) of `lattice_gas_cell(v)` from the first integral with a frozen background."""
    sites, ref = LATTICE_SITES, LATTICE_REF
    u0, xi_b = v / KT, np.log(ref / (sites - ref))
    pressure = ref * u0 - sites * np.log((1 + np.exp(xi_b)) / (1 + np.exp(xi_b - u0)))
    return -np.sqrt(2 * EPS_R * EPS0 * KB * T * pressure)


def bikerman_exact(v, nu, c0=1e26):
    """(σ, C) of `bikerman_cell(v, nu, c0)`: Kilic–Bazant–Ajdari (SI)."""
    lam = np.sqrt(EPS_R * EPS0 * KB * T / (E**2 * 2 * c0))
    u0 = v / KT
    load = 1 + 2 * nu * np.sinh(u0 / 2) ** 2
    sigma = 2 * E * c0 * lam * np.sqrt(2 / nu * np.log(load))
    cap = EPS_R * EPS0 / lam * np.sinh(u0) / (load * np.sqrt(2 / nu * np.log(load)))
    return sigma, cap


def lattice_gas():
    """Item 7: one species on N sites; the first integral with a frozen background."""
    junction = lattice_gas_cell()
    mesh = pj.Mesh.auto(junction, nodes_per_debye=20.0)
    s = pj.solve_equilibrium(junction, mesh=mesh, extrapolate=True)
    return {
        "lattice gas σ at −0.5 V (rel)": abs(float(s.boundary_charge[0]) / lattice_gas_sigma() - 1)
    }


def nonideal_screening():
    """Item 8: κ² = e²/(εkT) Σ z²c/f_T with a regular solution (Ω = −0.05 eV)."""
    omega, c, sites = -0.05, 3e25, 1e26

    def cell_(v):
        solid = pj.Phase(
            "s",
            eps_r=EPS_R,
            carriers={"A^•": pj.Carrier(0.0, sites), "B'": pj.Carrier(0.0, 1e28)},
            activity=pj.RegularSolution("A^•", omega),
        )
        return pj.Junction(
            [solid],
            pj.ReferenceBulk("s", {"A^•": c, "B'": c}),
            left=pj.Electrode(v),
            right=pj.Bulk(),
            temperature=T,
        )

    theta = c / sites
    f_t = 1 / (1 - theta) - 2 * omega * theta / KT
    kappa = np.sqrt(E**2 / (EPS_R * EPS0 * KB * T) * (c / f_t + c))
    mesh = pj.Mesh.auto(cell_(0.0), nodes_per_debye=20.0)
    charge = lambda v: pj.solve_equilibrium(  # noqa: E731
        cell_(v), mesh=mesh, extrapolate=True
    ).boundary_charge[0]
    debye = float(pj.solve_equilibrium(cell_(0.0), mesh=mesh).debye_length[0])
    return {
        "screening length with f_T (rel)": abs(debye * kappa - 1),
        "C = εκ at 0 V by jax.grad (rel)": abs(
            float(jax.grad(charge)(0.0)) / (EPS_R * EPS0 * kappa) - 1
        ),
    }


def ceria_grain_boundary():
    """Acceptor-doped ceria, core charge σ: first integrals with the dopant frozen (Mott–Schottky)
    and mobile (Gouy–Chapman), and the Mott–Schottky resistivity ratio."""
    temp, n_a, eps_r = 500.0, 1e26, 30.0
    kt = KB * temp / E

    def junction(sigma, mobile):
        dopant = pj.Carrier(0.0, 2.5e28) if mobile else pj.Carrier(density=n_a, mobile=False)
        grains = [
            pj.Phase(n, eps_r=eps_r, carriers={"V_O^••": pj.Carrier(0.0, 5e28), "Gd_Ce'": dopant})
            for n in ("g1", "g2")
        ]
        ref = {"V_O^••": n_a / 2, "Gd_Ce'": n_a} if mobile else {"V_O^••": n_a / 2}
        return pj.Junction(
            grains,
            pj.ReferenceBulk("g1", ref),
            interfaces=[pj.Interface(sigma=sigma)],
            temperature=temp,
        )

    def core_charge(phi0, mobile):
        u = phi0 / kt
        tail = n_a * np.expm1(u) if mobile else n_a * u
        return 2 * np.sqrt(2 * eps_r * EPS0 * KB * temp * (n_a / 2 * np.expm1(-2 * u) + tail))

    out = {}
    for mobile, name in ((False, "Mott–Schottky"), (True, "Gouy–Chapman")):
        sigma = core_charge(0.4, mobile)
        j = junction(sigma, mobile)
        s = pj.solve_equilibrium(j, mesh=pj.Mesh.auto(j, nodes_per_debye=40.0), extrapolate=True)
        phi0 = float(s.space_charge_potential[0, 1])
        out[f"ceria GB core charge, {name} first integral (rel)"] = abs(
            core_charge(phi0, mobile) / sigma - 1
        )
        if not mobile:
            x = np.asarray(s.x)
            x_gb = x[np.nonzero(np.diff(np.asarray(s.phase)) != 0)[0][0]]
            width = np.sqrt(2 * eps_r * EPS0 * phi0 / (E * n_a))
            keep = (x > x_gb) & (x <= x_gb + width)
            ratio = np.trapezoid(n_a / 2 / np.asarray(s.concentration_of("V_O^••"))[keep], x[keep])
            ratio /= width
            u0 = 2 * phi0 / kt
            grid = np.linspace(0, 1, 200001)
            parabola = np.trapezoid(np.exp(u0 * grid**2), grid)
            out[f"MS resistivity ratio vs ∫₀¹exp(u0 s²)ds, u0 = {u0:.1f} (rel)"] = abs(
                ratio / parabola - 1
            )
            out[f"MS resistivity ratio vs e^u0/(2u0), u0 = {u0:.1f} (rel)"] = abs(
                ratio / (np.exp(u0) / (2 * u0)) - 1
            )
    return out


def fermi_dirac():
    """Fermi–Dirac: degenerate accumulation against σ² = 2εkT[N_C ΔF_3/2 − N_D u0]."""
    n_c, donors, eps_r, v = 2.8e25, 1e24, 11.7, 0.3
    phase = pj.Phase(
        "n",
        eps_r=eps_r,
        carriers={"e'": pj.Carrier(1.12, n_c)},
        background_charge=donors,
        activity=pj.FermiDirac("e'"),
    )
    j = pj.Junction(
        [phase],
        pj.ReferenceBulk("n", {"e'": donors}),
        left=pj.Electrode(v),
        right=pj.Bulk(),
        temperature=T,
    )
    s = pj.solve_equilibrium(j, mesh=pj.Mesh.auto(j, nodes_per_debye=20.0), extrapolate=True)
    eta_b = float(pj.FermiDirac("e'").log_gamma(np.array([donors]), np.log([n_c]), KT)[0])
    eta_b += np.log(donors / n_c)

    def f32(eta):
        t = np.linspace(0.0, np.sqrt(max(eta, 0.0) + 60.0), 200001)
        e = t**2
        return np.trapezoid(2 * t * e**1.5 / (1 + np.exp(np.clip(e - eta, -700, 700))), t) / (
            0.75 * np.sqrt(np.pi)
        )

    u0 = v / KT
    pressure = n_c * (f32(eta_b + u0) - f32(eta_b)) - donors * u0
    sigma = np.sqrt(2 * eps_r * EPS0 * KB * T * pressure)
    return {
        f"degenerate accumulation σ, η_surface = {eta_b + u0:.1f} (rel)": abs(
            float(s.boundary_charge[0]) / sigma - 1
        )
    }


def defect_chemistry():
    """Item 9: Brouwer slopes of acceptor-doped and undoped ceria; Kliewer–Koehler potential."""
    reactions = [
        pj.Reaction("O_O^x = V_O^•• + 2e' + 1/2 O2", dH=4.67, dS=1.2e-3),
        pj.Reaction("0 = e' + h^•", dH=3.2),
    ]
    undoped = pj.DefectChemistry(reactions, sites={"O": 5e28}, N_C=1e26, N_V=1e26)
    doped = pj.DefectChemistry(
        reactions,
        sites={"O": 5e28, "Ce": 2.5e28},
        N_C=1e26,
        N_V=1e26,
        fixed={"Gd_Ce'": 1e26},
    )
    temp = 1000.0

    def slope(chem, species, p_lo, p_hi):
        lo = pj.solve_defects(chem, temp, activities={"O2": p_lo}).concentration(species)
        hi = pj.solve_defects(chem, temp, activities={"O2": p_hi}).concentration(species)
        return (np.log10(float(hi)) - np.log10(float(lo))) / (np.log10(p_hi) - np.log10(p_lo))

    g_plus, g_minus = 1.0, 1.4
    crystal = pj.Phase(
        "c",
        eps_r=10.0,
        carriers={"Li_i^•": pj.Carrier(g_plus, 1e28), "V_Li'": pj.Carrier(g_minus, 1e28)},
    )
    kk = pj.Junction(
        [crystal],
        pj.Reservoir({"Li_i^•": 0.0, "V_Li'": 0.0}),
        left=pj.Electrode(0.0),
        right=pj.Bulk(),
        temperature=temp,
    )
    phi_inf = float(pj.solve_equilibrium(kk).bulk_potential[0])
    return {
        "[e'] slope −1/6, undoped, pO2 1e-22…1e-20 (abs)": abs(
            slope(undoped, "e'", 1e-22, 1e-20) + 1 / 6
        ),
        "[e'] slope −1/4, acceptor plateau, pO2 1e-10…1e-8 (abs)": abs(
            slope(doped, "e'", 1e-10, 1e-8) + 1 / 4
        ),
        "Kliewer–Koehler eφ∞ = (g− − g+)/2 (rel)": abs(phi_inf / ((g_minus - g_plus) / 2) - 1),
    }


def _binary(thickness, d=1e-12):
    species = [pj.Species("A+", charge=1), pj.Species("B-", charge=-1)]
    carriers = {
        "A+": pj.Carrier(0.0, 1e28, diffusivity=d),
        "B-": pj.Carrier(0.0, 1e28, diffusivity=d),
    }
    return pj.Phase("el", eps_r=EPS_R, carriers=carriers, thickness=thickness), species


def _blocking_cell(length, d):
    """The binary electrolyte between two blocking electrodes: `(phase, species, junction)`."""
    phase, species = _binary(length, d)
    junction = pj.Junction(
        [phase],
        pj.ReferenceBulk("el", {"A+": C0, "B-": C0}),
        left=pj.Electrode(0.0),
        right=pj.Electrode(0.0),
        species=species,
        temperature=T,
    )
    return phase, species, junction


def blocking_charging():
    """Items 10–11: a blocking cell (200 nm) under a 10 mV step over 14 decades of time."""
    import jax.numpy as jnp

    length, d = 200e-9, 1e-12
    phase, species, junction = _blocking_cell(length, d)
    mesh = pj.Mesh.auto(junction)
    sol = pj.solve_transient(junction, jnp.logspace(-12, 2, 57), voltage=0.01, mesh=mesh)
    amounts = np.asarray(sol.amounts)
    tau = LAM * length / (2 * d)
    t, current = np.asarray(sol.t), -np.asarray(sol.current)
    window = (t > 0.5 * tau) & (t < 4 * tau)
    fitted = -1 / np.polyfit(t[window], np.log(current[window]), 1)[0]
    charge = float(sol.electrode_charge[-1, 1])
    closed = pj.Junction(
        [phase],
        pj.Closed(amounts={"A+": sol.amount_of("A+")[-1], "B-": sol.amount_of("B-")[-1]}),
        left=pj.Electrode(0.0),
        right=pj.Electrode(0.01),
        species=species,
        temperature=T,
    )
    eq = pj.solve_equilibrium(closed, mesh=mesh)
    return {
        "amount of every species conserved over 14 decades (rel)": float(
            np.max(np.abs(amounts / amounts[0] - 1))
        ),
        "end state = Poisson–Boltzmann equilibrium, c (max rel)": float(
            np.max(np.abs(np.asarray(sol.concentration[-1]) / np.asarray(eq.concentration) - 1))
        ),
        "RC time τ_c = λL/(2D), fitted (rel)": abs(fitted / tau - 1),
        "stored charge = ε/(2λ)·V (rel)": abs(charge / (EPS_R * EPS0 / (2 * LAM) * 0.01) - 1),
    }


def debye_time():
    """Item 11: a charge perturbation cos(πx/L) decays at D(κ² + k²) (equal D)."""
    import jax.numpy as jnp

    length, d = 100e-9, 1e-12
    phase, species = _binary(length, d)
    junction = pj.Junction(
        [phase],
        pj.ReferenceBulk("el", {"A+": C0, "B-": C0}),
        left=pj.Symmetry(),
        right=pj.Symmetry(),
        species=species,
        temperature=T,
    )
    x = np.linspace(0, length, 201)
    mesh = pj.Mesh.from_nodes(junction, x)
    base = pj.solve_transient(junction, jnp.array([1e-15]), mesh=mesh)
    state = np.asarray(base.state[-1]).reshape(201, 3).copy()
    state[:, 1] *= 1 + 1e-4 * np.cos(np.pi * x / length)
    rate = d * (1 / LAM**2 + (np.pi / length) ** 2)
    times = jnp.array([0.5, 1.0, 2.0]) / rate
    sol = pj.solve_transient(
        junction,
        times,
        initial=jnp.asarray(state.reshape(-1)),
        mesh=mesh,
        stepping=pj.TimeStepping(rtol=1e-8),
    )
    charge = sol.concentration_of("A+") - sol.concentration_of("B-")
    mode = np.asarray(charge @ np.cos(np.pi * np.asarray(sol.x) / length))
    fitted = -np.polyfit(np.asarray(times), np.log(mode), 1)[0]
    return {"charge relaxation rate D(κ² + k²), Debye time λ²/D (rel)": abs(fitted / rate - 1)}


def pn_diode():
    """Item 12: Shockley law of an ideal (no depletion recombination) long-base Si diode."""
    import jax.numpy as jnp

    temperature = 300.0
    kt = KB * temperature / E
    nc, nv, gap, dn, dp, doping, tau = 2.8e25, 1.04e25, 1.12, 3.6e-3, 1.2e-3, 1e22, 1e-7

    def si(name, background, thickness, srh):
        carriers = {
            "e'": pj.Carrier(gap, nc, diffusivity=dn),
            "h^•": pj.Carrier(0.0, nv, diffusivity=dp),
        }
        return pj.Phase(
            name,
            eps_r=11.7,
            carriers=carriers,
            thickness=thickness,
            background_charge=background,
            reactions=(pj.ShockleyReadHall(tau, tau),) if srh else (),
        )

    junction = pj.Junction(
        [
            si("n", doping, 150e-6, True),
            si("n-depletion", doping, 0.3e-6, False),
            si("p-depletion", -doping, 0.3e-6, False),
            si("p", -doping, 150e-6, True),
        ],
        pj.ReferenceBulk("n", {"e'": doping}),
        left=pj.Ohmic(),
        right=pj.Ohmic(),
        temperature=temperature,
    )
    mesh = pj.Mesh.auto(junction)
    volts = jnp.array([-0.2, 0.05, 0.15, 0.25])
    curve = pj.iv_curve(junction, volts, mesh=mesh)
    ni2 = nc * nv * np.exp(-gap / kt)
    js = E * ni2 * (dp / (np.sqrt(dp * tau) * doping) + dn / (np.sqrt(dn * tau) * doping))
    shockley = -js * np.expm1(np.asarray(volts) / kt)
    zero = pj.solve_steady_state(junction, voltage=0.0, mesh=mesh)
    eq = pj.solve_equilibrium(junction, mesh=mesh)
    return {
        "J = J_s(e^{eV/kT} − 1), V = −0.2…0.25 V (max rel)": float(
            np.max(np.abs(np.asarray(curve.current) / shockley - 1))
        ),
        "zero-bias steady state = equilibrium, φ (max abs, V)": float(
            np.max(np.abs(np.asarray(zero.phi[0] - eq.phi)))
        ),
    }


def blocking_impedance():
    """Item 13: impedance of the blocking cell (200 nm), frequency domain against Macdonald's
    exact linear response, its limits and a time-domain sinusoid."""
    import jax.numpy as jnp

    length, d = 200e-9, 1e-12
    phase, species, junction = _blocking_cell(length, d)
    r_bulk = length * KT / (E * 2 * C0 * d)
    f = np.logspace(-2, 12, 141)
    omega = 2 * np.pi * f * LAM**2 / d
    m, q = length / (2 * LAM), np.sqrt(1 + 1j * omega)
    exact = r_bulk / (1 + 1j * omega) * (1 + np.tanh(m * q) / (1j * omega * m * q))
    fine = pj.Mesh.auto(junction, nodes_per_debye=20.0, growth=1.02)
    spectrum = pj.impedance(junction, f, mesh=fine)
    z = np.asarray(spectrum.impedance)
    y = 1 / z
    high = f > 1e9
    # time domain on the default mesh at 1 kHz (ωτ_c = 1.7)
    mesh = pj.Mesh.auto(junction)
    freq, amplitude, samples = 1e3, 1e-3, 32
    period = 1 / freq
    t_end = max(6 * LAM * length / (2 * d), 3 * period)
    times = t_end - period + period * jnp.arange(samples, dtype=jnp.float64) / samples
    sol = pj.solve_transient(
        junction,
        times,
        voltage=pj.Sinusoid(0.0, amplitude, freq),
        mesh=mesh,
        stepping=pj.TimeStepping(rtol=1e-7, atol=1e-10),
    )
    phasor = 2 / samples * np.sum(-np.asarray(sol.current) * np.exp(-2j * np.pi * freq * times))
    z_time = -1j * amplitude / phasor
    z_freq = complex(pj.impedance(junction, np.array([freq]), mesh=mesh).impedance[0])
    check = pj.kramers_kronig(f, z)
    return {
        "Z(ω) vs Macdonald's exact linear PNP, 1e-2…1e12 Hz (max rel)": float(
            np.max(np.abs(z / exact - 1))
        ),
        "low-frequency C = ε/(2λ) (rel)": abs(
            float(spectrum.capacitance[0].real) / (EPS_R * EPS0 / (2 * LAM)) - 1
        ),
        "high-frequency Re Y = 1/R_b (rel)": float(np.max(np.abs(y[high].real * r_bulk - 1))),
        "high-frequency Im Y/ω = ε/L (rel)": float(
            np.max(np.abs(y[high].imag / (2 * np.pi * f[high]) / (EPS_R * EPS0 / length) - 1))
        ),
        "time-domain sinusoid at 1 kHz: modulus (rel)": abs(abs(z_time) / abs(z_freq) - 1),
        "time-domain sinusoid at 1 kHz: phase (rad)": abs(float(np.angle(z_time / z_freq))),
        "Lin-KK residual of the spectrum (max)": float(check.max_residual),
    }


def _uniform(junction, nodes):
    return pj.Mesh.from_nodes(junction, np.linspace(0.0, 100e-9, nodes))


def heat_transport():
    """Item 14 and the heat balance (Soret, Dufour, Joule and Peltier heat) on the unit tests'
    cells (`tests/helpers.py`)."""
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))
    from helpers import neutral, ohmic_conductor

    kbev = KB / E
    out = {}
    junction = neutral()
    sol = pj.solve_steady_state(junction, mesh=_uniform(junction, 41))
    temperature = np.asarray(sol.temperature[0])
    c = np.asarray(sol.concentration[0, 0])
    expected = np.exp(0.1 / (kbev * temperature))
    expected *= c.sum() / expected.sum()
    out["Soret: c ∝ exp(Q*/k_BT), i.e. ∇ln c = −S_T∇T, every node (rel)"] = float(
        np.max(np.abs(c / expected - 1))
    )
    junction = neutral(conductivity=0.0, hot=330.0, cold=None)
    sol = pj.solve_transient(junction, np.logspace(-9, -3, 7), mesh=_uniform(junction, 41))
    heat = 2e6 * (np.asarray(sol.temperature)[:, 1:] - T)
    carried = 0.1 * E * (np.asarray(sol.concentration[:, 0])[:, 1:] - 1e25)
    out["Dufour, κ = 0: C(T − T0) = Q*(c − c0), every node and time (max abs / max)"] = float(
        np.max(np.abs(heat - carried)) / np.max(np.abs(heat))
    )
    junction = ohmic_conductor()
    mesh = _uniform(junction, 51)
    voltage, length = 0.05, 100e-9
    sol = pj.solve_steady_state(junction, voltage=voltage, mesh=mesh)
    xs = np.asarray(sol.x)
    heating = float(sol.current[0]) * (-voltage / length)
    rise = heating * xs * (length - xs) / (2 * 1e-3)
    out["Joule: T − T0 = IE x(L − x)/2κ (max abs / max)"] = float(
        np.max(np.abs(np.asarray(sol.temperature[0]) - T - rise)) / rise.max()
    )
    junction = ohmic_conductor(3e-4)
    mesh = _uniform(junction, 51)
    jumps = []
    for v in (voltage, -voltage):
        sol = pj.solve_steady_state(junction, voltage=v, mesh=mesh)
        k = int(np.nonzero(np.diff(np.asarray(sol.phase)))[0][0])
        flux = np.asarray(sol.heat_flux[0])
        jumps.append((flux[k + 1] - flux[k], float(sol.current[0]), float(sol.temperature[0][k])))
    (jump_p, current, t_interface), (jump_m, _, _) = jumps
    out["Peltier: heat-flux jump J T(s_a − s_b) at an interface (rel)"] = abs(
        (jump_p - jump_m) / 2 / (current * t_interface * -3e-4) - 1
    )
    return out


HEAT = (("14 coupled heat and mass transport", heat_transport),)


IMPEDANCE = (("13 impedance, blocking cell", blocking_impedance),)


DYNAMICS = (
    ("10–11 relaxation, blocking cell", blocking_charging),
    ("11 Debye time", debye_time),
    ("12 pn diode", pn_diode),
)


def main():

    rows = []
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    static = (
        ()
        if only
        else (
            ("1 Debye–Hückel", debye_hueckel),
            ("2–3 Gouy–Chapman, Grahame", gouy_chapman),
            ("4 two-phase Gouy–Chapman", two_phase),
            ("5 built-in potentials", built_in),
            ("6 Mott–Schottky", mott_schottky),
            ("7 lattice saturation", bikerman),
            ("7 lattice saturation", lattice_gas),
            ("8 non-ideal screening", nonideal_screening),
            ("Fermi–Dirac statistics", fermi_dirac),
            ("ceria grain boundary", ceria_grain_boundary),
            ("9 defect chemistry", defect_chemistry),
        )
    )
    dynamics = DYNAMICS if only in (None, "dynamics") else ()
    impedance = IMPEDANCE if only in (None, "impedance") else ()
    heat = HEAT if only in (None, "heat") else ()
    for item, fn in static + dynamics + impedance + heat:
        for name, error in fn().items():
            rows.append({"item": item, "check": name, "error": error})
    print("| VALIDATION item | closed form | measured error |")
    print("|---|---|---|")
    for row in rows:
        print(f"| {row['item']} | {row['check']} | {row['error']:.1e} |")
    out = pathlib.Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    name = f"validation_{only}.json" if only else "validation.json"
    (out / name).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
