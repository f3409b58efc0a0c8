"""Bulk defect chemistry: reactions, formation energies, Brouwer regimes (VALIDATION.md item 9)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pnpjax as pj
from pnpjax._constants import BOLTZMANN_EV
from pnpjax._thermo.brouwer import brouwer, brouwer_plot
from pnpjax._thermo.defect_equilibrium import solve_defects
from pnpjax._thermo.defects import Defect, DefectChemistry
from pnpjax._thermo.reaction import Reaction

N_O, N_CE = 5.0e28, 2.5e28
N_C, N_V = 1.0e26, 1.0e26
T = 1000.0
KT = BOLTZMANN_EV * T
DH_RED, E_G = 3.0, 1.5


def _ceria(dH=DH_RED, dS=0.0, gap=E_G, **kwargs):
    """Ceria: reduction with the regular O_O^x (site balance on O) and intrinsic ionisation."""
    reactions = [
        Reaction("O_O^x = V_O^•• + 2e' + 1/2 O2", dH=dH, dS=dS),
        Reaction("0 = e' + h^•", dH=gap),
    ]
    return DefectChemistry(reactions, sites={"O": N_O, "Ce": N_CE}, N_C=N_C, N_V=N_V, **kwargs)


UNDOPED = _ceria()
DOPED = _ceria(fixed={"Gd_Ce'": 1e25})


def _slope(chemistry, species, log_p, **kwargs):
    """d ln c / d ln pO2 at pO2 = e^log_p, by the implicit derivative."""

    def log_c(x):
        solution = solve_defects(chemistry, T, activities={"O2": jnp.exp(x)}, **kwargs)
        return jnp.log(solution.concentration(species))

    return float(jax.grad(log_c)(jnp.asarray(log_p)))


# ---------------------------------------------------------------------------------- parsing


def test_reaction_parsing_unicode_ascii_and_fractions():
    unicode = Reaction("O_O^x ⇌ V_O^•• + 2e' + 1/2 O2", dH=1.0)
    ascii_ = Reaction("O_O^x <=> V_O^.. + 2 e' + 0.5 O2", dH=1.0)
    braces = Reaction("O_{O}^{x} -> V_{O}^{••} + 2e' + .5O2", dH=1.0)

    def stoichiometry(reaction):
        return {label.key: nu for label, nu in reaction.terms}

    assert stoichiometry(unicode) == stoichiometry(ascii_) == stoichiometry(braces)
    assert stoichiometry(unicode) == {"O_O|0": -1.0, "V_O|2": 1.0, "e|-1": 2.0, "O2": 0.5}
    assert unicode.components == ("O2",)
    intrinsic = Reaction("nil = e' + h.", dH=1.0)
    assert {label.kind for label, _ in intrinsic.terms} == {"electron", "hole"}
    schottky = Reaction("∅ = V_Mg'' + V_O^••", dH=1.0)
    assert {label.charge for label, _ in schottky.terms} == {-2, 2}
    # species on both sides combine; ΔG = ΔH − TΔS
    net = Reaction("h^• + h. + A_Ce' = A_Ce^x + h^•", dH=0.3, dS=1e-4)
    assert {label.key: nu for label, nu in net.terms} == {
        "h|1": -1.0,
        "A_Ce|-1": -1.0,
        "A_Ce|0": 1.0,
    }
    assert float(net.free_energy(1000.0)) == pytest.approx(0.2, rel=1e-14)
    custom = Reaction("0 = e' + h^•", dG=lambda t: 3.0 - 1e-4 * t)
    assert float(custom.log_constant(T)) == pytest.approx(-(3.0 - 0.1) / KT, rel=1e-14)


@pytest.mark.parametrize(
    "equation, kwargs, message",
    [
        ("O_O^x = V_O^•• + e' + 1/2 O2", {"dH": 1.0}, r"net charge \+1"),
        ("O_O^x = V_O^•• + 2e' + 1/2 O2 = x", {"dH": 1.0}, "exactly one of"),
        ("O_O^x V_O^••", {"dH": 1.0}, "exactly one of"),
        ("O_O^x = V_O + 2e'", {"dH": 1.0}, "no Kröger–Vink charge mark"),
        ("O_O^x = V_O^•• + 2e' + 1/0 O2", {"dH": 1.0}, "bad coefficient"),
        ("O_O^x = V_O^•• + 2e' + + 1/2 O2", {"dH": 1.0}, "empty term"),
        ("O_O^x = O_O^x", {"dH": 1.0}, "no species left"),
        ("0 = e' + h^•", {}, "give the enthalpy dH"),
        ("0 = e' + h^•", {"dH": 1.0, "dG": lambda t: 1.0}, "not both"),
    ],
)
def test_reaction_errors(equation, kwargs, message):
    with pytest.raises(ValueError, match=message):
        Reaction(equation, **kwargs)


def _build(**overrides):
    kwargs = dict(sites={"O": N_O, "Ce": N_CE}, N_C=N_C, N_V=N_V)
    kwargs.update(overrides)
    reactions = kwargs.pop(
        "reactions",
        [Reaction("O_O^x = V_O^•• + 2e' + 1/2 O2", dH=3.0), Reaction("0 = e' + h^•", dH=1.5)],
    )
    return DefectChemistry(reactions, **kwargs)


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {
                "reactions": [
                    Reaction("O_O^x = V_O^•• + 2e' + 1/2 O2", dH=3.0),
                    Reaction("A_Ce^x = A_Ce' + h^•", dH=0.3),
                ]
            },
            r"under-determined: 6 unknowns .* add 2 reaction\(s\)",
        ),
        (
            {
                "reactions": [
                    Reaction("O_O^x = V_O^•• + 2e' + 1/2 O2", dH=3.0),
                    Reaction("0 = e' + h^•", dH=1.5),
                    Reaction("0 = 2e' + 2h^•", dH=3.0),
                ]
            },
            "0 = 2e' \\+ 2h\\^•. is a linear combination",
        ),
        ({"sites": {"Ce": N_CE}}, r"sublattice 'O', which has no site density; add sites="),
        ({"sites": {"O": -1.0, "Ce": N_CE}}, r"sites\['O'\] \(m\^-3\) must be > 0"),
        ({"N_C": None}, "give N_C"),
        ({"N_V": None}, "give N_V"),
        ({"N_C": 0.0}, r"N_C \(m\^-3\) must be > 0"),
        ({"fixed": {"e'": 1e20}}, "only defects"),
        ({"fixed": {"V_O^••": 1e20}}, "takes part in reaction"),
        ({"totals": {"Q": 1e20}}, "neither a species nor the chemical symbol"),
        ({"totals": {("V_O^••", "X_O'"): 1e20}}, "names unknown species .X_O'."),
        ({"band_gap": 1.5, "N_V": None}, "band_gap adds electrons and holes"),
        ({"band_gap": 1.5}, "band_gap already links"),
        (
            {
                "reactions": [Reaction("O_O^x = V_O^x + 1/2 O2", dH=1.0)],
                "fixed": {"Nb_Ce^•": 1e20},
            },
            "neutrality cannot hold: no negative species",
        ),
        (
            {
                "reactions": [
                    Reaction("O_O^x = V_O^•• + 2e' + 1/2 O2", dH=3.0),
                    Reaction("0 = e' + h^•", dH=1.5),
                    Reaction("1/2 O2 + V_O^•• + 2e' = 2O_O^x", dH=-1.0),
                ]
            },
            "changes the number of O sites by \\+1",
        ),
        (
            {
                "reactions": [Reaction("0 = V_O^•• + 2e' + 1/2 O2", dH=3.0)],
                "sites": {"O": N_O},
                "N_V": None,
                "totals": {"V": 1e20},
            },
            "changes the total of V",
        ),
    ],
)
def test_chemistry_errors(overrides, message):
    with pytest.raises(ValueError, match=message):
        _build(**overrides)


def test_other_bad_input():
    with pytest.raises(TypeError, match="Reaction objects"):
        DefectChemistry(["0 = e' + h^•"], N_C=N_C, N_V=N_V)
    with pytest.raises(ValueError, match="Defect .e'.: needs a Kröger–Vink defect label"):
        Defect("e'", 1.0)
    with pytest.raises(ValueError, match="must be a component"):
        Defect("V_O^••", 1.0, atoms={"V_O^••": 1})
    with pytest.raises(ValueError, match="give band_gap"):
        DefectChemistry(
            [Reaction("0 = e' + h^•", dH=1.0)],
            [Defect("V_O^••", 1.0, atoms={"O": -1})],
            sites={"O": N_O},
            N_C=N_C,
            N_V=N_V,
        )
    with pytest.raises(ValueError, match=r"give the activity .* of \['O2'\]"):
        solve_defects(UNDOPED, T)
    with pytest.raises(ValueError, match="no reaction or defect uses"):
        solve_defects(UNDOPED, T, activities={"O2": 1.0, "H2O": 1.0})
    with pytest.raises(ValueError, match=r"activities\['O2'\] must be > 0"):
        solve_defects(UNDOPED, T, activities={"O2": 0.0})
    with pytest.raises(ValueError, match="temperature"):
        solve_defects(UNDOPED, -1.0, activities={"O2": 1.0})
    with pytest.raises(ValueError, match="was not declared"):
        solve_defects(UNDOPED, T, activities={"O2": 1.0}, fixed={"Gd_Ce'": 1e20})
    with pytest.raises(ValueError, match=r"the fixed \['F_O\^•'\] fill the O sublattice"):
        _ceria(fixed={"F_O^•": 6e28})


# ------------------------------------------------------------------------ Brouwer regimes


def test_undoped_reduced_regime():
    """Item 9: [e'] = 2[V_O^••] ∝ pO2^(-1/6), with [V_O] = (K N_O N_C²/4)^(1/3) pO2^(-1/6)."""
    p = 1e-20
    solution = solve_defects(UNDOPED, T, activities={"O2": p}, tol=1e-13)
    v, n, h = (float(solution.concentration(s)) for s in ("V_O^••", "e'", "h^•"))
    o = float(solution.concentration("O_O^x"))
    # the solve satisfies neutrality, the site balance and mass action exactly
    assert n == pytest.approx(2 * v + h, rel=1e-13)
    assert o + v == pytest.approx(N_O, rel=1e-13)
    log_k = -DH_RED / KT
    mass_action = np.log(v / N_O) + 2 * np.log(n / N_C) + 0.5 * np.log(p) - np.log(o / N_O)
    assert mass_action == pytest.approx(log_k, rel=1e-13)
    # and in the limit of few vacancies and few holes the closed form holds
    closed = (np.exp(log_k) * N_O * N_C**2 / 4) ** (1 / 3) * p ** (-1 / 6)
    corrections = v / N_O + h / n
    assert corrections < 2e-3
    assert v == pytest.approx(closed, rel=corrections)
    assert n / (2 * v) == pytest.approx(1.0, abs=1e-5)
    assert _slope(UNDOPED, "e'", np.log(p)) == pytest.approx(-1 / 6, abs=1e-3)
    assert _slope(UNDOPED, "V_O^••", np.log(p)) == pytest.approx(-1 / 6, abs=1e-3)


def test_acceptor_doped_plateau_and_hole_regime():
    """Item 9: [V_O^••] = [A']/2 with [e'] ∝ pO2^(-1/4) and [h^•] ∝ pO2^(+1/4); at high pO2
    holes compensate the acceptors, [h] = [A'] and [V_O] ∝ pO2^(-1/2)."""
    acceptor = 1e25
    plateau = solve_defects(DOPED, T, activities={"O2": 1e-8})
    assert float(plateau.concentration("V_O^••")) == pytest.approx(acceptor / 2, rel=5e-3)
    assert _slope(DOPED, "e'", np.log(1e-8)) == pytest.approx(-1 / 4, abs=2e-3)
    assert _slope(DOPED, "h^•", np.log(1e-8)) == pytest.approx(1 / 4, abs=2e-3)
    oxidised = solve_defects(DOPED, T, activities={"O2": 1e16})
    assert float(oxidised.concentration("h^•")) == pytest.approx(acceptor, rel=1e-5)
    assert _slope(DOPED, "V_O^••", np.log(1e16)) == pytest.approx(-1 / 2, abs=1e-4)
    # reduced regime: the acceptor no longer matters, [e'] = 2[V_O] ∝ pO2^(-1/6)
    assert _slope(DOPED, "e'", np.log(1e-32)) == pytest.approx(-1 / 6, abs=2e-3)


def test_intrinsic_product_exact_everywhere():
    """n·p = N_C N_V exp(−E_g/kT) at every point of a 60-decade Brouwer diagram."""
    diagram = brouwer(DOPED, T, activities={"O2": jnp.logspace(-40, 20, 200)})
    n = np.asarray(diagram.concentration("e'"))
    p = np.asarray(diagram.concentration("h^•"))
    np.testing.assert_allclose(n * p, N_C * N_V * np.exp(-E_G / KT), rtol=1e-12)
    # every point balances charge: n + [A'] = p + 2[V_O]
    v = np.asarray(diagram.concentration("V_O^••"))
    np.testing.assert_allclose(n + 1e25, p + 2 * v, rtol=1e-12)


def test_site_balance_saturates():
    """At extreme reduction the vacancy site fraction tends to 1 but stays below it; the dilute
    law (no O_O^x) would put more vacancies than O sites."""
    pressures = jnp.logspace(-80, -40, 200)
    diagram = brouwer(UNDOPED, 2000.0, activities={"O2": pressures})
    fraction = np.asarray(diagram.concentration("V_O^••")) / N_O
    regular = np.asarray(diagram.concentration("O_O^x"))
    # (c = exp(ln c) rounds to a few ulp of N where ln(c/N) rounds to 0)
    assert np.all(fraction <= 1.0 + 1e-14) and np.all(regular > 0.0)
    assert np.all(np.asarray(diagram.log_activities["V_O^••"]) <= 0.0)
    assert np.all(np.diff(regular) > 0) and fraction[0] > 0.99
    np.testing.assert_allclose(regular / N_O + fraction, 1.0, rtol=1e-13)
    dilute = DefectChemistry(
        [Reaction("0 = V_O^•• + 2e' + 1/2 O2", dH=DH_RED), Reaction("0 = e' + h^•", dH=E_G)],
        sites={"O": N_O},
        N_C=N_C,
        N_V=N_V,
    )
    unbounded = solve_defects(dilute, 2000.0, activities={"O2": 1e-80})
    assert float(unbounded.concentration("V_O^••")) > N_O


def test_frenkel_and_schottky_closed_forms():
    """Frenkel pair with both sublattices balanced: x² = K (N_Ag − x)(N_i − x); dilute
    Schottky pair: [V_Mg''] = [V_O^••] = sqrt(K N_Mg N_O)."""
    n_ag, n_i = 2.0e28, 4.0e28
    for dH in (1.2, 0.05):  # dilute, and a crowded lattice where the site balance matters
        frenkel = DefectChemistry(
            [Reaction("Ag_Ag^x + V_i^x = Ag_i^• + V_Ag'", dH=dH)],
            sites={"Ag": n_ag, "i": n_i},
        )
        solution = solve_defects(frenkel, T, tol=1e-13)
        k = np.exp(-dH / KT)
        a, b, c = 1 - k, k * (n_ag + n_i), -k * n_ag * n_i
        x = (-b + np.sqrt(b * b - 4 * a * c)) / (2 * a)
        assert float(solution.concentration("Ag_i^•")) == pytest.approx(x, rel=1e-12)
        assert float(solution.concentration("V_Ag'")) == pytest.approx(x, rel=1e-12)
        assert float(solution.concentration("V_i^x")) == pytest.approx(n_i - x, rel=1e-12)
        assert np.isnan(float(solution.fermi_level)) and solution.fermi_reference == "none"
    schottky = DefectChemistry(
        [Reaction("0 = V_Mg'' + V_O^••", dH=4.0)], sites={"Mg": 5.3e28, "O": 5.3e28}
    )
    solution = solve_defects(schottky, 1500.0)
    expected = 5.3e28 * np.exp(-4.0 / (2 * BOLTZMANN_EV * 1500.0))
    assert float(solution.concentration("V_Mg''")) == pytest.approx(expected, rel=1e-12)


def test_dopant_ionisation_with_total():
    """A_Ce^x ⇌ A_Ce' + h^• with [A^x] + [A'] = N_A: fully ionised when reduced; at high pO2
    mostly neutral, [A'] = p with p² + K N_V p = K N_V N_A."""
    total, dH = 1e25, 0.3
    chemistry = DefectChemistry(
        [
            Reaction("O_O^x = V_O^•• + 2e' + 1/2 O2", dH=DH_RED),
            Reaction("0 = e' + h^•", dH=E_G),
            Reaction("A_Ce^x = A_Ce' + h^•", dH=dH),
        ],
        sites={"O": N_O, "Ce": N_CE},
        N_C=N_C,
        N_V=N_V,
        totals={"A": total},
    )
    diagram = brouwer(chemistry, T, activities={"O2": jnp.array([1e-30, 1e30])})
    ionised = np.asarray(diagram.concentration("A_Ce'"))
    neutral = np.asarray(diagram.concentration("A_Ce^x"))
    holes = np.asarray(diagram.concentration("h^•"))
    np.testing.assert_allclose(ionised + neutral, total, rtol=1e-12)
    k_a = np.exp(-dH / KT)
    np.testing.assert_allclose(ionised / neutral, k_a * N_V / holes, rtol=1e-12)
    assert ionised[0] / total > 1 - 1e-6
    kn = k_a * N_V
    expected = (-kn + np.sqrt(kn * kn + 4 * kn * total)) / 2
    electrons = float(diagram.concentration("e'")[1])  # the limit neglects them
    assert holes[1] == pytest.approx(expected, rel=2 * electrons / holes[1])
    assert neutral[1] / total > 0.5
    # the same total given as a tuple of species, overridden at solve time
    again = solve_defects(
        chemistry, T, activities={"O2": 1e30}, totals={("A_Ce^x", "A_Ce'"): 2 * total}
    )
    assert float(again.concentration("A_Ce^x") + again.concentration("A_Ce'")) == pytest.approx(
        2 * total, rel=1e-13
    )


# ------------------------------------------------------------------- formation energies


def test_formation_energies_match_reactions():
    """ln(c/N) = −E_f/kT with E_f = E_f0 + q E_F − Σ n_c μ_c is the reaction
    0 = V_O^•• + 2e' + 1/2 O2 with ΔH = E_f0 + 2E_g, plus 0 = e' + h^• with ΔH = E_g."""
    e_f0, gap, n_v = 1.1, 2.0, 3.0e26
    by_energy = DefectChemistry(
        defects=[Defect("V_O^••", e_f0, atoms={"O2": -0.5})],
        sites={"O": N_O, "Ce": N_CE},
        N_C=N_C,
        N_V=n_v,
        band_gap=gap,
        fixed={"Gd_Ce'": 1e24},
    )
    by_reaction = DefectChemistry(
        [
            Reaction("0 = V_O^•• + 2e' + 1/2 O2", dH=e_f0 + 2 * gap),
            Reaction("0 = e' + h^•", dH=gap),
        ],
        sites={"O": N_O, "Ce": N_CE},
        N_C=N_C,
        N_V=n_v,
        fixed={"Gd_Ce'": 1e24},
    )
    for p in (1e-25, 1.0):
        a = solve_defects(by_energy, T, activities={"O2": p})
        b = solve_defects(by_reaction, T, activities={"O2": p})
        for name in ("V_O^••", "e'", "h^•"):
            assert float(a.concentration(name)) == pytest.approx(
                float(b.concentration(name)), rel=1e-11
            )
        # E_F − E_V from the formation-energy picture, E_F − E_C from the reaction picture
        assert a.fermi_reference == "E_V" and b.fermi_reference == "E_C"
        assert float(a.fermi_level) - gap == pytest.approx(float(b.fermi_level), abs=1e-12)
        e_f = e_f0 + 2 * float(a.fermi_level) + 0.5 * KT * np.log(p)
        assert float(a.concentration("V_O^••")) == pytest.approx(N_O * np.exp(-e_f / KT), rel=1e-11)
    # chemical potentials are the other way of giving a component: μ = kT ln a
    mu = solve_defects(by_energy, T, chemical_potentials={"O2": KT * np.log(1e-25)})
    ref = solve_defects(by_energy, T, activities={"O2": 1e-25})
    assert float(mu.concentration("V_O^••")) == pytest.approx(
        float(ref.concentration("V_O^••")), rel=1e-12
    )


G_PLUS, G_MINUS, N_SITE, T_KK = 0.9, 1.3, 1e28, 600.0


def _kliewer_koehler():
    return DefectChemistry(
        defects=[Defect("Li_i^•", G_PLUS), Defect("V_Li'", G_MINUS)],
        sites={"i": N_SITE, "Li": N_SITE},
    )


def test_kliewer_koehler_offset():
    """Item 9: a +1/−1 pair formed at a surface with free energies g+ and g− sits in the neutral
    bulk at e φ_∞ = (g− − g+)/2 relative to the surface: in the formation-energy picture the
    Fermi level at which the two concentrations are equal."""
    solution = _kliewer_koehler().solve(T_KK)
    assert float(solution.fermi_level) == pytest.approx((G_MINUS - G_PLUS) / 2, abs=1e-13)
    c = N_SITE * np.exp(-(G_PLUS + G_MINUS) / (2 * BOLTZMANN_EV * T_KK))
    assert float(solution.concentration("Li_i^•")) == pytest.approx(c, rel=1e-12)
    assert float(solution.concentration("V_Li'")) == pytest.approx(c, rel=1e-12)


def test_kliewer_koehler_in_the_equilibrium_solver():
    """The same offset from solve_equilibrium: carriers from the formation energies, and a
    surface source that fixes μ̃ = 0 for both defects; the bulk sits at φ = (g− − g+)/2 (V)."""
    chemistry = _kliewer_koehler()
    phase = pj.Phase("LiX", eps_r=10.0, carriers=chemistry.carriers(T_KK), thickness=1e-7)
    junction = pj.Junction(
        [phase],
        pj.Reservoir({"Li_i^•": 0.0, "V_Li'": 0.0}),
        left=pj.Bulk(),
        right=pj.Bulk(),
        temperature=T_KK,
    )
    solution = pj.solve_equilibrium(junction)
    assert float(solution.bulk_potential[0]) == pytest.approx((G_MINUS - G_PLUS) / 2, abs=1e-9)
    # and the chemistry's own Reservoir puts that bulk at φ = 0 with its concentrations
    state = solve_defects(chemistry, T_KK).reservoir()
    shifted = pj.solve_equilibrium(eqx.tree_at(lambda j: j.state, junction, state))
    assert abs(float(shifted.bulk_potential[0])) < 1e-9


def test_carriers_and_states_feed_the_equilibrium_solver():
    """A mixed conductor from formation energies: `carriers()` with `reservoir()` or with
    `reference_bulk()` reproduce the chemistry's bulk at φ = 0."""
    chemistry = DefectChemistry(
        defects=[
            Defect("V_O^••", 1.0, atoms={"O2": -0.5}),
            Defect("O_i''", 1.5, atoms={"O2": 0.5}),
        ],
        sites={"O": N_O, "i": N_O, "Ce": N_CE},
        N_C=N_C,
        N_V=2e26,
        band_gap=2.0,
        fixed={"Gd_Ce'": 1e24},
    )
    solution = solve_defects(chemistry, T, activities={"O2": 1e-5})
    carriers = chemistry.carriers(T)
    assert set(carriers) == {"V_O^••", "O_i''", "e'", "h^•", "Gd_Ce'"}
    assert not carriers["Gd_Ce'"].mobile
    phase = pj.Phase("MIEC", eps_r=20.0, carriers=carriers, thickness=1e-6)
    for state in (solution.reservoir(), solution.reference_bulk("MIEC")):
        junction = pj.Junction([phase], state, left=pj.Bulk(), right=pj.Bulk(), temperature=T)
        result = pj.solve_equilibrium(junction)
        assert abs(float(result.bulk_potential[0])) < 1e-9
        for index, name in enumerate(result.species):
            assert float(result.bulk_concentration[0, index]) == pytest.approx(
                float(solution.concentration(name)), rel=1e-8
            )
    with pytest.raises(ValueError, match="enter through reactions"):
        UNDOPED.carriers(T)
    with pytest.raises(ValueError, match="needs formation-energy input"):
        solve_defects(UNDOPED, T, activities={"O2": 1.0}).reservoir()


# ---------------------------------------------------------------- derivatives and batching


def _log_electrons(params):
    chemistry = _ceria(dH=params["dH"], dS=params["dS"], fixed={"Gd_Ce'": 1e25})
    solution = solve_defects(
        chemistry,
        params["temperature"],
        activities={"O2": params["p"]},
        fixed={"Gd_Ce'": params["acceptor"]},
    )
    return jnp.log(solution.concentration("e'"))


def test_implicit_gradients_match_finite_differences():
    """d ln[e'] with respect to ΔH, ΔS, the dopant level, T and pO2, in one reverse pass."""
    params = {"dH": DH_RED, "dS": 1e-4, "acceptor": 1e25, "temperature": T, "p": 1e-8}
    steps = {"dH": 1e-4, "dS": 1e-7, "acceptor": 1e20, "temperature": 1e-2, "p": 1e-12}
    exact = jax.grad(_log_electrons)({k: jnp.asarray(v) for k, v in params.items()})
    for name, step in steps.items():
        up = float(_log_electrons({**params, name: params[name] + step}))
        down = float(_log_electrons({**params, name: params[name] - step}))
        assert float(exact[name]) == pytest.approx((up - down) / (2 * step), rel=1e-6), name


def test_jit_and_vmap_agree_with_plain_calls():
    pressures = jnp.logspace(-45, 5, 200)
    diagram = brouwer(DOPED, T, activities={"O2": pressures})
    assert bool(jnp.all(diagram.result == pj.RESULTS.successful))
    for name, values in diagram.concentrations.items():
        assert np.all(np.isfinite(np.asarray(values))), name
    for i in (0, 57, 123, 199):
        single = solve_defects(DOPED, T, activities={"O2": pressures[i]})
        for name, values in diagram.concentrations.items():
            assert float(values[i]) == pytest.approx(float(single.concentrations[name]), rel=1e-13)
        assert float(diagram.fermi_level[i]) == pytest.approx(float(single.fermi_level), abs=1e-13)

    @jax.jit
    def jitted(p):
        return solve_defects(DOPED, T, activities={"O2": p}).concentrations["V_O^••"]

    with jax.disable_jit():
        plain = solve_defects(DOPED, T, activities={"O2": 1e-3}).concentrations["V_O^••"]
    assert float(jitted(1e-3)) == pytest.approx(float(plain), rel=1e-13)


def test_no_nan_over_forty_decades():
    """Cold starts over 60 decades of pO2 and 30 decades of concentration, several chemistries."""
    pressures = jnp.logspace(-50, 10, 200)
    chemistries = [(UNDOPED, 600.0), (UNDOPED, 2500.0), (DOPED, 400.0), (DOPED, 1800.0)]
    for chemistry, temperature in chemistries:
        diagram = brouwer(chemistry, temperature, activities={"O2": pressures})
        assert bool(jnp.all(diagram.result == pj.RESULTS.successful)), temperature
        assert float(jnp.max(diagram.residual)) < 1e-12
        for values in diagram.concentrations.values():
            assert np.all(np.isfinite(np.asarray(values)))


def test_failure_is_reported_not_hidden():
    stalled = solve_defects(UNDOPED, T, activities={"O2": 1e-30}, max_steps=1, throw=False)
    assert stalled.result == pj.RESULTS.nonlinear_max_steps_reached and not bool(stalled.converged)
    assert float(stalled.residual) > 1e-12
    assert all(np.isfinite(float(v)) for v in stalled.concentrations.values())
    with pytest.raises(Exception, match="no convergence within max_steps"):
        solve_defects(UNDOPED, T, activities={"O2": 1e-30}, max_steps=1)
    # an impossible site balance, hidden from the construction checks by jit
    crowded = _ceria(fixed={"F_O^•": 1e28})

    @jax.jit
    def result(c):
        return solve_defects(crowded, T, activities={"O2": 1.0}, fixed={"F_O^•": c}, throw=False)

    assert result(6e28).result == pj.RESULTS.nonfinite_output
    assert result(1e28).result == pj.RESULTS.successful


def test_brouwer_plot():
    diagram = brouwer(DOPED, T, activities={"O2": jnp.logspace(-30, 10, 200)})
    ax = brouwer_plot(diagram, fermi_level=True)
    assert len(ax.lines) == 4  # Gd_Ce', V_O^••, e', h^•; O_O^x left out
    assert ax.get_xlabel() == "log₁₀ a(O2)"
    assert len(ax.figure.axes) == 2
    ax = brouwer_plot(diagram, species=["e'"], chemical_potential=True)
    assert len(ax.lines) == 1 and "eV" in ax.get_xlabel()


def test_site_saturation_feeds_the_equilibrium_solver():
    """With `site_saturation=True` the phase's `activity()` (LatticeSaturation per sublattice,
    fixed dopants holding sites) reproduces the chemistry's crowded bulk at φ = 0."""
    chemistry = DefectChemistry(
        defects=[
            Defect("V_O^••", -0.2, atoms={"O2": -0.5}),
            Defect("O_i''", 1.5, atoms={"O2": 0.5}),
        ],
        sites={"O": N_O, "i": N_O, "Ce": N_CE},
        N_C=N_C,
        N_V=2e26,
        band_gap=2.0,
        fixed={"Gd_Ce'": 1e27},
        site_saturation=True,
    )
    solution = solve_defects(chemistry, T, activities={"O2": 1e-5})
    vacancies = float(solution.concentration("V_O^••"))
    assert vacancies > 0.01 * N_O  # crowded enough for saturation to matter
    models = chemistry.activity()
    assert {m.species for m in models} == {("V_O^••",), ("O_i''",)}
    phase = pj.Phase(
        "MIEC",
        eps_r=20.0,
        carriers=chemistry.carriers(T),
        thickness=1e-6,
        activity=models,
    )
    junction = pj.Junction(
        [phase], solution.reservoir(), left=pj.Bulk(), right=pj.Bulk(), temperature=T
    )
    result = pj.solve_equilibrium(junction)
    assert abs(float(result.bulk_potential[0])) < 1e-9
    for index, name in enumerate(result.species):
        assert float(result.bulk_concentration[0, index]) == pytest.approx(
            float(solution.concentration(name)), rel=1e-8
        )


def test_lithium_insertion_against_the_chemical_potential():
    """Li insertion Li = Li_i^• + e′ at a given Li chemical potential μ_Li (eV): where
    [Li_i^•] = [e′] ≫ [h^•], c = √(K a_Li N_i N_C) with a_Li = e^{μ_Li/kT}, slope 1/2 in ln a_Li;
    the Brouwer path over μ_Li is one vmapped call."""
    n_i, dh, temperature = 1e28, 1.2, 600.0
    kT = BOLTZMANN_EV * temperature
    chemistry = DefectChemistry(
        [Reaction("Li = Li_i^• + e'", dH=dh), Reaction("0 = e' + h^•", dH=2.5)],
        sites={"i": n_i},
        N_C=N_C,
        N_V=N_V,
    )
    mu = jnp.linspace(-1.0, 0.0, 41)
    path = brouwer(chemistry, temperature, chemical_potentials={"Li": mu})
    assert bool(jnp.all(path.result == pj.RESULTS.successful))
    ions = np.asarray(path.concentrations["Li_i^•"])
    exact = np.sqrt(np.exp(-dh / kT) * np.exp(np.asarray(mu) / kT) * n_i * N_C)
    np.testing.assert_allclose(ions[-10:], exact[-10:], rtol=1e-6)
    slope = np.diff(np.log(ions[-10:])) / np.diff(np.asarray(mu)[-10:] / kT)
    np.testing.assert_allclose(slope, 0.5, atol=1e-6)
