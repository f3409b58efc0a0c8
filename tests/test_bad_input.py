"""Bad input raises at construction with a message naming the argument; failed solves report."""

import jax.numpy as jnp
import pytest

import pnpjax as pj


def _phase(**kw):
    args = dict(
        eps_r=10.0,
        carriers={"Li_i^•": pj.Carrier(0.0, 1e28)},
        background_charge=-1e24,
        thickness=1e-8,
    )
    args.update(kw)
    return pj.Phase("A", **args)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(eps_r=-3.0), "eps_r must be > 0, got -3"),
        (dict(eps_r=0.0), "eps_r must be > 0"),
        (dict(thickness=-1e-9), "thickness \\(m\\) must be > 0"),
    ],
)
def test_phase_rejects_nonphysical(kw, match):
    with pytest.raises(ValueError, match=match):
        _phase(**kw)


def test_carrier_rejects_bad_density_and_diffusivity():
    with pytest.raises(ValueError, match="density"):
        pj.Carrier(0.0, -1e27)
    with pytest.raises(ValueError, match="density"):
        pj.Carrier(0.0, 0.0)
    with pytest.raises(ValueError, match="diffusivity"):
        pj.Carrier(0.0, 1e27, diffusivity=-1.0)
    with pytest.raises(ValueError, match="mu0"):
        pj.Carrier(float("nan"), 1e27)


def test_temperature_must_be_positive():
    with pytest.raises(ValueError, match="temperature \\(K\\) must be > 0"):
        pj.Junction(
            [_phase()],
            pj.ReferenceBulk("A", {"Li_i^•": 1e24}),
            temperature=-5.0,
            left=pj.Symmetry(),
            right=pj.Symmetry(),
        )


def test_frozen_background_without_mobile_counter_charge():
    phase = pj.Phase(
        "A", eps_r=10.0, carriers={"Li_i^•": pj.Carrier(0.0, 1e28)}, background_charge=+1e24
    )
    with pytest.raises(ValueError, match="no mobile negative carrier"):
        pj.Junction([phase], pj.Reservoir({"Li_i^•": 0.0}))
    frozen = pj.Phase(
        "B",
        eps_r=10.0,
        carriers={
            "Li_i^•": pj.Carrier(0.0, 1e28),
            "A'": pj.Carrier(density=1e24, mobile=False),
            "D^•": pj.Carrier(density=3e24, mobile=False),
        },
    )
    with pytest.raises(ValueError, match="no mobile negative carrier"):
        pj.Junction([frozen], pj.Reservoir({"Li_i^•": 0.0}))


def test_unknown_species_at_interface():
    a, b = (
        _phase(),
        pj.Phase(
            "B",
            eps_r=5.0,
            carriers={"Li_i^•": pj.Carrier(0.1, 1e28)},
            background_charge=-1e24,
            thickness=1e-8,
        ),
    )
    with pytest.raises(ValueError, match="blocks unknown species 'Na_i'"):
        pj.Junction(
            [a, b],
            pj.ReferenceBulk("A", {"Li_i^•": 1e24}),
            interfaces=[pj.Interface(blocked=["Na_i"])],
        )


def test_inconsistent_state_specifications():
    a = _phase(thickness=None)
    with pytest.raises(ValueError, match="is not neutral"):
        pj.Junction([a], pj.ReferenceBulk("A", {"Li_i^•": 2e24}))
    with pytest.raises(ValueError, match="unknown phase 'X'"):
        pj.Junction([a], pj.ReferenceBulk("X", {"Li_i^•": 1e24}))
    with pytest.raises(ValueError, match="no value for"):
        pj.Junction([a], pj.Reservoir({}))
    with pytest.raises(ValueError, match="matches no mobile species"):
        pj.Junction([a], pj.Reservoir({"Li_i^•": 0.0, "Na_i^•": 0.1}))
    film = _phase()
    with pytest.raises(ValueError, match="must be neutral"):
        pj.Junction(
            [film], pj.Closed({"Li_i^•": 3e24 * 1e-8}), left=pj.Symmetry(), right=pj.Symmetry()
        )
    with pytest.raises(ValueError, match="both an amount and a potential"):
        pj.Closed({"Li_i^•": 1.0}, potentials={"Li_i^•": 0.0})
    semiconductor = pj.Phase(
        "S",
        eps_r=11.7,
        carriers={"e'": pj.Carrier(0.56, 2.8e25), "h^•": pj.Carrier(-0.56, 1.04e25)},
        background_charge=1e22,
    )
    with pytest.raises(ValueError, match="contradicts"):
        pj.Junction([semiconductor], pj.ReferenceBulk("S", {"e'": 1e22, "h^•": 1e22}))
    with pytest.raises(ValueError, match="keyed 'E_F'"):
        pj.Junction([semiconductor], pj.Reservoir({"e'": 0.0}))


def test_structure_errors():
    with pytest.raises(ValueError, match="need 1 interfaces"):
        pj.Junction(
            [_phase(), pj.Phase("B", eps_r=1.0, carriers={}, thickness=1e-9)],
            pj.Reservoir({"Li_i^•": 0.0}),
            interfaces=[],
        )
    with pytest.raises(ValueError, match="only allowed for an end phase at a Bulk"):
        pj.Junction(
            [_phase(thickness=None)],
            pj.Reservoir({"Li_i^•": 0.0}),
            left=pj.Symmetry(),
            right=pj.Symmetry(),
        )
    with pytest.raises(ValueError, match="geometry must be one of"):
        pj.Junction([_phase()], pj.Reservoir({"Li_i^•": 0.0}), geometry="toroidal")
    with pytest.raises(ValueError, match="needs left=Symmetry"):
        pj.Junction(
            [_phase()], pj.Reservoir({"Li_i^•": 0.0}), geometry="spherical", right=pj.Symmetry()
        )
    with pytest.raises(ValueError, match="phase names must be unique"):
        pj.Junction([_phase(), _phase()], pj.Reservoir({"Li_i^•": 0.0}))


def test_mesh_and_solver_arguments():
    junction = pj.Junction(
        [_phase()], pj.Reservoir({"Li_i^•": 0.0}), left=pj.Electrode(0.05), right=pj.Symmetry()
    )
    with pytest.raises(ValueError, match="growth must be > 1"):
        pj.Mesh.auto(junction, growth=0.9)
    with pytest.raises(ValueError, match="max_steps"):
        pj.Newton(max_steps=0)
    with pytest.raises(ValueError, match="strictly increasing"):
        pj.Mesh.from_nodes(junction, [0.0, 2e-9, 1e-9])
    with pytest.raises(ValueError, match="must be nodes of x"):
        pj.Mesh.from_nodes(junction, [0.0, 3e-9, 9e-9])


def test_non_converging_solve_reports_and_raises():
    junction = pj.Junction(
        [_phase()], pj.Reservoir({"Li_i^•": 0.0}), left=pj.Electrode(0.5), right=pj.Symmetry()
    )
    mesh = pj.Mesh.auto(junction)
    solution = pj.solve_equilibrium(junction, mesh=mesh, solver=pj.Newton(max_steps=2), throw=False)
    assert solution.result == pj.RESULTS.nonlinear_max_steps_reached
    assert int(solution.iterations) == 2
    assert solution.message.startswith("Newton did not converge within max_steps")
    assert float(solution.residual) > 1e-8
    with pytest.raises(Exception, match="did not converge within max_steps"):
        pj.solve_equilibrium(junction, mesh=mesh, solver=pj.Newton(max_steps=2))
    converged = pj.solve_equilibrium(junction, mesh=mesh)
    assert converged.result == pj.RESULTS.successful and bool(jnp.all(jnp.isfinite(converged.phi)))


def test_review_findings_raise_clearly():
    charged_only = pj.Phase("A", eps_r=5.0, carriers={"Li_i^•": pj.Carrier(0.0, 1e28)})
    with pytest.raises(ValueError, match="cannot be neutral"):
        pj.Junction([charged_only], pj.Reservoir({"Li_i^•": 0.0}), left=pj.Electrode(0.1))
    with pytest.raises(ValueError, match="density is required"):
        pj.Carrier(0.0)
    with pytest.raises(ValueError, match="empty charge mark"):
        pj.Species("V_O^{}")
    electrolyte = pj.Phase(
        "el", eps_r=5.0, carriers={"A^•": pj.Carrier(0.0, 1e28), "B'": pj.Carrier(0.0, 1e28)}
    )
    with pytest.raises(ValueError, match="is semi-infinite"):
        pj.Junction(
            [electrolyte], pj.Closed({"A^•": 1e16}, potentials={"B'": -0.2}), left=pj.Electrode(0.1)
        )
    with pytest.raises(ValueError, match="no species in any phase"):
        pj.Junction(
            [pj.Phase("ins", eps_r=4.0, carriers={}, thickness=1e-9)],
            pj.Reservoir(),
            left=pj.Electrode(0.0),
            right=pj.Electrode(1.0),
        )
    with pytest.raises(ValueError, match="every parameter must be a scalar"):
        pj.Junction(
            [electrolyte],
            pj.Reservoir({"A^•": -0.2, "B'": -0.2}),
            temperature=jnp.array([300.0, 310.0]),
        )
    with pytest.raises(ValueError, match="needs finite radii"):
        pj.Junction(
            [electrolyte],
            pj.Reservoir({"A^•": -0.2, "B'": -0.2}),
            geometry="spherical",
            origin=1e-8,
            right=pj.Symmetry(),
        )


def test_mesh_warns_beyond_boltzmann_validity():
    electrolyte = pj.Phase(
        "el", eps_r=10.0, carriers={"A^•": pj.Carrier(0.0, 1e28), "B'": pj.Carrier(0.0, 1e28)}
    )
    junction = pj.Junction(
        [electrolyte], pj.ReferenceBulk("el", {"A^•": 1e24, "B'": 1e24}), left=pj.Electrode(2.0)
    )
    with pytest.warns(UserWarning, match="under-resolved"):
        pj.Mesh.auto(junction)


def _doped_film(doping):
    """An n-type film between two electrodes, `doping` (m^-3) of fixed donors."""
    film = pj.Phase(
        "film",
        eps_r=11.7,
        thickness=2e-6,
        background_charge=doping,
        carriers={"e'": pj.Carrier(0.0, 1e28)},
    )
    reference = pj.ReferenceBulk("film", {"e'": doping})
    return pj.Junction([film], reference, left=pj.Electrode(0.0), right=pj.Electrode(0.0))


def test_mesh_refuses_a_node_explosion_before_building_it():
    # 1e40 m^-3 (a cm^-3 value not converted, and then some): a 4e-17 m Debye length
    with pytest.raises(ValueError) as error:
        pj.Mesh.auto(_doped_film(1e40))
    text = str(error.value)
    assert "more than max_nodes=1000000" in text and "Phase 'film'" in text
    assert "pnpjax.units.per_cm3" in text and "max_nodes=" in text


def test_mesh_node_budget_is_an_option():
    junction = _doped_film(1e24)
    needed = pj.Mesh.auto(junction).n_nodes
    with pytest.raises(ValueError, match=f"more than max_nodes={needed - 1}"):
        pj.Mesh.auto(junction, max_nodes=needed - 1)
    assert pj.Mesh.auto(junction, max_nodes=needed).n_nodes == needed
    for bad in (2, 1.5e6, "many"):
        with pytest.raises(ValueError, match="max_nodes must be an integer"):
            pj.Mesh.auto(junction, max_nodes=bad)
    for bad in (-1.0, float("nan"), "six"):
        with pytest.raises(ValueError, match="depletion_cells must be a number"):
            pj.Mesh.auto(junction, depletion_cells=bad)


def _ion_phase(**kwargs):
    return pj.Phase(
        "p",
        eps_r=10.0,
        carriers={"A^•": pj.Carrier(0.0, 1e28), "B'": pj.Carrier(density=1e26, mobile=False)},
        **kwargs,
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: pj.LatticeSaturation(("A^•", "B'")), "give its site density sites="),
        (lambda: pj.LatticeSaturation("A^•", sites=-1.0), "sites \\(m\\^-3\\) must be > 0"),
        (lambda: pj.Bikerman(("A^•",), 0.0), "ion_size \\(m\\) must be > 0"),
        (lambda: pj.RegularSolution(("A^•", "B'"), 0.01), "one species per model"),
        (lambda: pj.Bikerman(("A^•", "A^•"), 1e-10), "lists a name twice"),
        (lambda: pj.CustomActivity("A^•", 3.0), "log_gamma must be a function"),
        (lambda: _ion_phase(activity=pj.LatticeSaturation("C^•")), "not a carrier of this phase"),
        (lambda: _ion_phase(activity=pj.LatticeSaturation("B'")), "frozen carrier"),
        (
            lambda: _ion_phase(activity=(pj.LatticeSaturation("A^•"), pj.Bikerman("A^•", 3e-10))),
            "at most one activity model",
        ),
        (lambda: _ion_phase(activity=pj.FermiDirac("A^•")), "applies to electrons and holes"),
        (lambda: _ion_phase(activity="ideal"), "must be activity models"),
        (lambda: pj.Segregation("A^•"), "give either energy="),
        (
            lambda: pj.Segregation("A^•", lambda x: x, positions=[0.0], energies=[0.1]),
            "not both",
        ),
        (
            lambda: pj.Segregation("A^•", positions=[1e-9, 0.0], energies=[0.1, 0.2]),
            "strictly increasing",
        ),
        (
            lambda: pj.Segregation("A^•", positions=[0.0, 1e-9], energies=[0.1]),
            "equal length",
        ),
        (lambda: pj.Segregation("A^•", positions=[0.0], energies=[0.1]), "at least 2 sites"),
    ],
)
def test_bad_activity_and_segregation_input(build, message):
    with pytest.raises((ValueError, TypeError), match=message):
        build()


def _ion_junction(phase, state=None, **kwargs):
    return pj.Junction(
        [phase],
        state or pj.Reservoir({"A^•": 0.0}),
        left=pj.Electrode(0.0),
        right=pj.Bulk(),
        temperature=300.0,
        **kwargs,
    )


def test_bad_nonideal_junction_input():
    with pytest.raises(ValueError, match="at or above 2 k_BT"):
        _ion_junction(_ion_phase(activity=pj.RegularSolution("A^•", 0.06)))
    with pytest.raises(ValueError, match="not a mobile carrier of any phase"):
        _ion_junction(_ion_phase(), segregation=pj.Segregation("C^•", lambda x: 0 * x))
    with pytest.raises(ValueError, match="not a mobile carrier of any phase"):
        _ion_junction(_ion_phase(), segregation=pj.Segregation("B'", lambda x: 0 * x))
    with pytest.raises(ValueError, match="occupied = 1e\\+28"):
        _ion_junction(_ion_phase(activity=pj.LatticeSaturation("A^•", occupied=1e28)))
    with pytest.raises(ValueError, match="fill 2 of the available sites"):
        saturating = pj.Phase(
            "p",
            eps_r=10.0,
            carriers={"A^•": pj.Carrier(0.0, 1e26), "B'": pj.Carrier(density=2e26, mobile=False)},
            activity=pj.LatticeSaturation("A^•"),
        )
        _ion_junction(saturating, pj.ReferenceBulk("p", {"A^•": 2e26}))
    with pytest.raises(ValueError, match="unknown phase"):
        _ion_junction(_ion_phase(), segregation=pj.Segregation("A^•", lambda x: 0 * x, phases="q"))
    two = pj.Phase(
        "p",
        eps_r=10.0,
        carriers={
            "A^•": pj.Carrier(0.0, 1e28),
            "C^•": pj.Carrier(0.0, 1e28),
            "B'": pj.Carrier(0.0, 1e28),
        },
        activity=pj.LatticeSaturation(("A^•", "C^•"), sites=1e28),
    )
    with pytest.raises(ValueError, match="couples its species; give the bulk concentrations of"):
        _ion_junction(two, pj.ReferenceBulk("p", {"A^•": 1e26, "B'": 1e26}))
