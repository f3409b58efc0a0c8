"""Radial geometries against their linearised closed forms."""

import jax
import numpy as np
import pytest
from helpers import T, debye
from scipy.special import k0

import pnpjax as pj

C0, EPS_R = 1e24, 10.0
LAM = debye(EPS_R, 2 * C0)


def _shell(geometry, potential, radius):
    el = pj.Phase(
        "el",
        eps_r=EPS_R,
        thickness=30 * LAM,
        carriers={"A^•": pj.Carrier(0.0, 1e28), "B'": pj.Carrier(0.0, 1e28)},
    )
    return pj.Junction(
        [el],
        pj.ReferenceBulk("el", {"A^•": C0, "B'": C0}),
        left=pj.Electrode(potential),
        right=pj.Symmetry(),
        geometry=geometry,
        origin=radius,
        temperature=T,
    )


@pytest.mark.parametrize(
    "geometry, exact",
    [
        ("spherical", lambda r, a: (a / r) * np.exp(-(r - a) / LAM)),
        ("cylindrical", lambda r, a: k0(r / LAM) / k0(a / LAM)),
        ("planar", lambda r, a: np.exp(-(r - a) / LAM)),
    ],
)
def test_linear_screening_around_a_charged_particle(geometry, exact):
    """Debye–Hückel around a sphere (a/r)e^{−(r−a)/λ} and a cylinder K0(r/λ)/K0(a/λ)."""
    radius = 2 * LAM
    mesh = pj.Mesh.auto(_shell(geometry, 0.01, radius), nodes_per_debye=40.0, growth=1.02).refined(
        1
    )
    response = jax.jacfwd(
        lambda v: pj.solve_equilibrium(_shell(geometry, v, radius), mesh=mesh).phi
    )(0.0)
    r = np.asarray(pj.solve_equilibrium(_shell(geometry, 0.0, radius), mesh=mesh).x)
    np.testing.assert_allclose(np.asarray(response), exact(r, radius), atol=1e-4)
