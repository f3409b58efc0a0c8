"""Implicit derivatives against finite differences; vmap against a loop; jit against no jit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import T

import pnpjax as pj

THICK = 30e-9
BASE = dict(
    mu_b=0.15,
    eps_a=10.0,
    eps_b=25.0,
    thick_a=THICK,
    temperature=T,
    sigma=0.005,
    potential=0.05,
    c_ref=1e24,
    density_b=1e28,
    background_b=-5e23,
)


def _junction(p):
    a = pj.Phase(
        "A",
        eps_r=p["eps_a"],
        thickness=p["thick_a"],
        carriers={"Li_i^•": pj.Carrier(0.0, 1e28), "V_Li'": pj.Carrier(0.0, 1e28)},
    )
    b = pj.Phase(
        "B",
        eps_r=p["eps_b"],
        thickness=THICK,
        background_charge=p["background_b"],
        carriers={"Li_i^•": pj.Carrier(p["mu_b"], p["density_b"]), "V_Li'": pj.Carrier(-0.1, 1e28)},
    )
    state = pj.ReferenceBulk("A", {"Li_i^•": p["c_ref"], "V_Li'": p["c_ref"]})
    return pj.Junction(
        [a, b],
        state,
        left=pj.Electrode(p["potential"]),
        right=pj.Symmetry(),
        interfaces=[pj.Interface(p["sigma"])],
        temperature=p["temperature"],
    )


@pytest.fixture(scope="module")
def mesh():
    return pj.Mesh.auto(_junction(BASE))


def _observable(solution):
    """A scalar mixing potentials, charges and concentrations (all O(1) after scaling)."""
    return (
        solution.interface_potential[0] / 0.0257
        + solution.boundary_charge[0] / 0.01
        + jnp.log(solution.concentration[0, -1])
        + solution.phi[-1] / 0.0257
    )


@pytest.mark.parametrize("name", sorted(BASE))
def test_gradient_matches_central_differences(name, mesh):
    def f(value):
        return _observable(pj.solve_equilibrium(_junction({**BASE, name: value}), mesh=mesh))

    x0 = BASE[name]
    grad = float(jax.grad(f)(x0))
    h = 1e-4 * abs(x0)
    fd = (float(f(x0 + h)) - float(f(x0 - h))) / (2 * h)
    assert grad == pytest.approx(fd, rel=1e-6, abs=1e-9 * max(1.0, abs(fd)))


def test_forward_and_reverse_mode_agree(mesh):
    def f(p):
        return _observable(pj.solve_equilibrium(_junction({**BASE, **p}), mesh=mesh))

    params = {"mu_b": 0.15, "eps_b": 25.0, "sigma": 0.005}
    reverse = jax.grad(f)(params)
    forward = jax.jacfwd(f)(params)
    for key in params:
        assert float(reverse[key]) == pytest.approx(float(forward[key]), rel=1e-10)


def test_vmap_equals_loop(mesh):
    values = {
        "mu_b": jnp.array([0.1, 0.15, 0.2, 0.25]),
        "potential": jnp.array([0.0, 0.05, -0.05, 0.1]),
        "eps_b": jnp.array([20.0, 25.0, 30.0, 35.0]),
    }
    batch = jax.vmap(lambda v: _junction({**BASE, **v}))(values)
    batched = jax.vmap(lambda j: pj.solve_equilibrium(j, mesh=mesh))(batch)
    for i in range(4):
        single = pj.solve_equilibrium(
            _junction({**BASE, **{k: float(v[i]) for k, v in values.items()}}), mesh=mesh
        )
        np.testing.assert_allclose(
            np.asarray(batched.phi[i]), np.asarray(single.phi), rtol=1e-12, atol=1e-15
        )
        np.testing.assert_allclose(
            np.asarray(batched.concentration[i]), np.asarray(single.concentration), rtol=1e-10
        )
        name = single.species[0]
        np.testing.assert_allclose(  # per-species accessors keep the batch axis in front
            np.asarray(batched.concentration_of(name)[i]),
            np.asarray(single.concentration_of(name)),
            rtol=1e-10,
        )
    assert batched.phi.shape == (4, single.phi.shape[0])


def test_vmap_of_gradient(mesh):
    mus = jnp.array([0.1, 0.2])
    grads = jax.vmap(
        jax.grad(
            lambda m: _observable(pj.solve_equilibrium(_junction({**BASE, "mu_b": m}), mesh=mesh))
        )
    )(mus)
    singles = [
        float(
            jax.grad(
                lambda m: _observable(
                    pj.solve_equilibrium(_junction({**BASE, "mu_b": m}), mesh=mesh)
                )
            )(float(m))
        )
        for m in mus
    ]
    np.testing.assert_allclose(np.asarray(grads), singles, rtol=1e-10)


def test_jit_equals_no_jit():
    small = pj.Mesh.auto(_junction(BASE), nodes_per_debye=2.0, growth=1.5)
    jitted = pj.solve_equilibrium(_junction(BASE), mesh=small)
    with jax.disable_jit():
        eager = pj.solve_equilibrium(_junction(BASE), mesh=small)
    np.testing.assert_allclose(
        np.asarray(eager.phi), np.asarray(jitted.phi), rtol=1e-12, atol=1e-15
    )
    assert int(eager.iterations) == int(jitted.iterations)


def test_user_jit_and_auto_mesh_error():
    junction = _junction(BASE)
    with pytest.raises(ValueError, match="build the mesh outside"):
        jax.jit(lambda j: pj.solve_equilibrium(j).phi)(junction)
