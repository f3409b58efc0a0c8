"""Structured linear algebra: bordered tridiagonal solves and cyclic reduction."""

import jax.numpy as jnp
import numpy as np
import pytest
from jax.lax.linalg import tridiagonal_solve

from pnpjax._linalg.bordered import BorderedTridiagonal
from pnpjax._linalg.tridiagonal import cyclic_reduction


def _random_system(n, k, seed):
    rng = np.random.default_rng(seed)
    lower, upper = rng.normal(size=n), rng.normal(size=n)
    lower[0] = upper[-1] = 0.0
    diag = 2.5 + np.abs(lower) + np.abs(upper) + rng.random(n)
    matrix = BorderedTridiagonal(
        lower=jnp.asarray(lower),
        diag=jnp.asarray(diag),
        upper=jnp.asarray(upper),
        border_cols=jnp.asarray(rng.normal(size=(n, k))),
        border_rows=jnp.asarray(rng.normal(size=(k, n))),
        corner=jnp.asarray(rng.normal(size=(k, k)) + 10 * np.eye(k)),
    )
    dense = np.zeros((n + k, n + k))
    dense[np.arange(n), np.arange(n)] = diag
    dense[np.arange(1, n), np.arange(n - 1)] = lower[1:]
    dense[np.arange(n - 1), np.arange(1, n)] = upper[:-1]
    dense[:n, n:] = matrix.border_cols
    dense[n:, :n] = matrix.border_rows
    dense[n:, n:] = matrix.corner
    return matrix, dense, rng.normal(size=n + k)


@pytest.mark.parametrize("n, k", [(1, 0), (2, 1), (17, 0), (64, 2), (1000, 3)])
def test_bordered_solve_matvec_and_transpose_match_dense(n, k):
    matrix, dense, rhs = _random_system(n, k, seed=n + k)
    np.testing.assert_allclose(
        np.asarray(matrix.matvec(jnp.asarray(rhs))), dense @ rhs, rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(
        np.asarray(matrix.solve(jnp.asarray(rhs))),
        np.linalg.solve(dense, rhs),
        rtol=1e-10,
        atol=1e-12,
    )
    np.testing.assert_allclose(
        np.asarray(matrix.transpose().solve(jnp.asarray(rhs))),
        np.linalg.solve(dense.T, rhs),
        rtol=1e-10,
        atol=1e-12,
    )


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 8, 9, 100, 2047, 2048, 3001])
def test_cyclic_reduction_matches_lapack(n):
    matrix, _, _ = _random_system(n, 0, seed=n)
    rhs = jnp.asarray(np.random.default_rng(n).normal(size=(n, 3)))
    expected = tridiagonal_solve(matrix.lower, matrix.diag, matrix.upper, rhs)
    got = cyclic_reduction(matrix.lower, matrix.diag, matrix.upper, rhs)
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=1e-11, atol=1e-13)
    vector = cyclic_reduction(matrix.lower, matrix.diag, matrix.upper, rhs[:, 0])
    np.testing.assert_allclose(
        np.asarray(vector), np.asarray(expected[:, 0]), rtol=1e-11, atol=1e-13
    )
