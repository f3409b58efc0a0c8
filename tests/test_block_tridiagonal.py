"""Block-tridiagonal solves: block LU scan, block cyclic reduction, bordered systems,
coloured-probe extraction and the lineax solver, all against dense NumPy."""

import functools

import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import pytest

import pnpjax  # noqa: F401  (switches on float64)
from pnpjax._linalg import block_tridiagonal as bt
from pnpjax._linalg.block_tridiagonal import (
    BlockTridiagonal,
    BlockTridiagonalSolver,
    BorderedBlockTridiagonal,
    block_cyclic_reduction,
    block_tridiagonal_from_jvp,
)


def _random_blocks(n, b, seed, dominant=True):
    """A well-conditioned random block-tridiagonal matrix.

    `dominant=False` gives diagonal blocks 4·J + noise (J the exchange matrix) with zeros on
    their diagonal except the centre: not diagonally dominant, and LU without pivoting
    inside the blocks would divide by zero.
    """
    rng = np.random.default_rng(seed)
    lower, upper = rng.normal(size=(2, n, b, b))
    if dominant:
        diag = rng.normal(size=(n, b, b)) + (2.0 * b + 3.0) * np.eye(b)
    else:
        lower, upper = 0.4 * lower, 0.4 * upper
        noise = 0.3 * rng.normal(size=(n, b, b))
        noise[:, np.arange(b), np.arange(b)] = 0.0
        diag = 4.0 * np.eye(b)[::-1] + noise
    # the ignored corners hold garbage on purpose
    return BlockTridiagonal(
        lower=jnp.asarray(lower), diag=jnp.asarray(diag), upper=jnp.asarray(upper)
    )


def _dense(matrix):
    """The dense matrix, assembled in NumPy independently of `to_dense`."""
    n, b = matrix.n_blocks, matrix.block_size
    dense = np.zeros((n * b, n * b))
    for i in range(n):
        dense[i * b : (i + 1) * b, i * b : (i + 1) * b] = matrix.diag[i]
        if i > 0:
            dense[i * b : (i + 1) * b, (i - 1) * b : i * b] = matrix.lower[i]
        if i < n - 1:
            dense[i * b : (i + 1) * b, (i + 1) * b : (i + 2) * b] = matrix.upper[i]
    return dense


def _relative_error(x, reference):
    return np.linalg.norm(np.asarray(x) - reference) / np.linalg.norm(reference)


def _stack(matrices):
    return jax.tree.map(lambda *xs: jnp.stack(xs), *matrices)


# XLA's compile time, not the solves, dominates the runtime of this file: each test
# compiles once per shape, with the backend optimisations (irrelevant at these sizes) off.
_jit = functools.partial(jax.jit, compiler_options={"xla_backend_optimization_level": 0})


@_jit
@jax.vmap
def _products_and_solves(matrix, many):
    factors = matrix.factor()
    return {
        "matvec": matrix.matvec(many),
        "solve": factors.solve(many),
        "solve_transpose": factors.solve_transpose(many),
    }


@pytest.mark.parametrize("b", [1, 3, 5])
@pytest.mark.parametrize("n", [1, 2, 7, 64])
def test_solve_transpose_and_matvec_match_dense(n, b):
    # a dominant and a non-dominant (pivoting) matrix of the same shape, under vmap
    matrices = [_random_blocks(n, b, seed=10 * n + b, dominant=d) for d in (True, False)]
    many = np.random.default_rng(n + b).normal(size=(2, n * b, 3))
    out = _products_and_solves(_stack(matrices), jnp.asarray(many))
    for i, matrix in enumerate(matrices):
        dense = _dense(matrix)
        got = {key: np.asarray(value[i]) for key, value in out.items()}
        np.testing.assert_allclose(got["matvec"], dense @ many[i], atol=1e-12)
        assert _relative_error(got["solve"], np.linalg.solve(dense, many[i])) < 1e-12
        reference = np.linalg.solve(dense.T, many[i])
        assert _relative_error(got["solve_transpose"], reference) < 1e-12


def test_to_dense_and_transpose():
    matrix = _random_blocks(7, 3, seed=0)
    dense = _dense(matrix)
    np.testing.assert_array_equal(np.asarray(matrix.to_dense()), dense)
    np.testing.assert_array_equal(np.asarray(matrix.transpose().to_dense()), dense.T)
    np.testing.assert_array_equal(np.asarray(matrix.transpose().transpose().to_dense()), dense)


@_jit
@jax.vmap
def _reduced_and_scanned(matrix, rhs):
    lower, diag, upper = matrix._masked()
    return (
        block_cyclic_reduction(lower, diag, upper, rhs),
        block_cyclic_reduction(lower, diag, upper, rhs[:, 0]),
        matrix.factor().solve(rhs),
    )


@pytest.mark.parametrize("n, b", [(1, 1), (2, 5), (20, 3)])
def test_block_cyclic_reduction_equals_scan(n, b):
    matrices = [_random_blocks(n, b, seed=n * b, dominant=d) for d in (True, False)]
    rhs = jnp.asarray(np.random.default_rng(b).normal(size=(2, n * b, 2)))
    reduced, reduced_vector, scanned = _reduced_and_scanned(_stack(matrices), rhs)
    for i in range(2):
        assert _relative_error(reduced[i], np.asarray(scanned[i])) < 1e-13
        np.testing.assert_allclose(
            np.asarray(reduced_vector[i]), np.asarray(reduced[i, :, 0]), atol=1e-14
        )


def _loss(solve):
    def loss(matrix, rhs):
        return jnp.sum(jnp.sin(solve(matrix, rhs)))

    return loss


_dense_loss = _loss(lambda m, r: jnp.linalg.solve(m.to_dense(), r))
_dense_gradients = _jit(jax.grad(_dense_loss, argnums=(0, 1)))


def _assert_trees_close(got, want, atol=1e-12):
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want), strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), atol=atol)


def test_solve_uses_cyclic_reduction_off_cpu(monkeypatch):
    monkeypatch.setattr(bt, "_use_cyclic_reduction", lambda: True)
    matrix = _random_blocks(5, 2, seed=1, dominant=False)
    dense = _dense(matrix)
    rhs = np.random.default_rng(0).normal(size=10)

    @_jit  # traced here, under the patch
    def solve_and_gradients(m, r):
        return m.solve(r), jax.grad(_loss(lambda m, r: m.solve(r)), argnums=(0, 1))(m, r)

    solution, gradients = solve_and_gradients(matrix, jnp.asarray(rhs))
    assert _relative_error(solution, np.linalg.solve(dense, rhs)) < 1e-12
    _assert_trees_close(gradients, _dense_gradients(matrix, jnp.asarray(rhs)))


def _bordered(n, b, k, seed, dominant=True):
    rng = np.random.default_rng(seed)
    size = n * b
    return BorderedBlockTridiagonal(
        tridiagonal=_random_blocks(n, b, seed, dominant),
        border_cols=jnp.asarray(rng.normal(size=(size, k))),
        border_rows=jnp.asarray(rng.normal(size=(k, size))),
        corner=jnp.asarray(rng.normal(size=(k, k)) + 10.0 * np.eye(k)),
    )


def _bordered_dense(matrix):
    return np.block(
        [
            [_dense(matrix.tridiagonal), np.asarray(matrix.border_cols)],
            [np.asarray(matrix.border_rows), np.asarray(matrix.corner)],
        ]
    )


@_jit
@jax.vmap
def _bordered_products_and_solves(matrix, rhs, many):
    return {
        "dense": matrix.to_dense(),
        "matvec": matrix.matvec(rhs),
        "solve": matrix.solve(rhs),
        "solve_many": matrix.solve(many),
        "transpose_solve": matrix.transpose().solve(rhs),
    }


@pytest.mark.parametrize("n, b, k", [(1, 3, 1), (7, 3, 0), (64, 5, 3)])
def test_bordered_matches_dense(n, b, k):
    matrices = [_bordered(n, b, k, seed=n + b + k, dominant=d) for d in (True, False)]
    rng = np.random.default_rng(k)
    rhs, many = rng.normal(size=(2, n * b + k)), rng.normal(size=(2, n * b + k, 2))
    out = _bordered_products_and_solves(_stack(matrices), jnp.asarray(rhs), jnp.asarray(many))
    for i, matrix in enumerate(matrices):
        dense = _bordered_dense(matrix)
        got = {key: np.asarray(value[i]) for key, value in out.items()}
        np.testing.assert_array_equal(got["dense"], dense)
        np.testing.assert_allclose(got["matvec"], dense @ rhs[i], atol=1e-12)
        assert _relative_error(got["solve"], np.linalg.solve(dense, rhs[i])) < 1e-12
        assert _relative_error(got["solve_many"], np.linalg.solve(dense, many[i])) < 1e-12
        reference = np.linalg.solve(dense.T, rhs[i])
        assert _relative_error(got["transpose_solve"], reference) < 1e-12


@pytest.mark.parametrize("n, b", [(1, 1), (1, 3), (2, 3), (7, 1), (7, 3), (8, 5)])
def test_from_jvp_recovers_blocks_exactly(n, b):
    matrix = _random_blocks(n, b, seed=n + b)
    traces = []

    def mv(x):
        traces.append(x.shape)
        return matrix.matvec(x)

    recovered = _jit(lambda: block_tridiagonal_from_jvp(mv, n, b))()
    assert traces == [(n * b,)]  # one vmapped call
    for got, want in zip(
        (recovered.lower, recovered.diag, recovered.upper), matrix._masked(), strict=True
    ):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_jit_and_vmap_over_a_batch_of_matrices():
    n, b, batch = 7, 3, 4
    solve = _jit(jax.vmap(lambda m, r: m.solve(r)))
    matrices = [_random_blocks(n, b, seed=s, dominant=s % 2 == 0) for s in range(batch)]
    rhs = np.random.default_rng(0).normal(size=(batch, n * b))
    solutions = solve(_stack(matrices), jnp.asarray(rhs))
    for matrix, r, x in zip(matrices, rhs, solutions, strict=True):
        assert _relative_error(x, np.linalg.solve(_dense(matrix), r)) < 1e-12

    bordered = [_bordered(n, b, 2, seed=s) for s in range(batch)]
    rhs = np.random.default_rng(1).normal(size=(batch, n * b + 2))
    solutions = solve(_stack(bordered), jnp.asarray(rhs))
    for matrix, r, x in zip(bordered, rhs, solutions, strict=True):
        assert _relative_error(x, np.linalg.solve(_bordered_dense(matrix), r)) < 1e-12


@_jit
def _gradients(matrix, rhs, direction):
    """Reverse mode through `solve` and through a dense solve, forward mode along
    `direction`, and the loss either side of a small step along it."""
    loss = _loss(lambda m, r: m.solve(r))
    grads = jax.grad(loss, argnums=(0, 1))(matrix, rhs)
    dense_grads = jax.grad(_dense_loss, argnums=(0, 1))(matrix, rhs)
    _, tangent = jax.jvp(loss, (matrix, rhs), direction)
    step = 1e-6
    shifted = [
        loss(*jax.tree.map(lambda x, d, s=sign: x + s * step * d, (matrix, rhs), direction))
        for sign in (1, -1)
    ]
    return grads, dense_grads, tangent, (shifted[0] - shifted[1]) / (2 * step)


@pytest.mark.parametrize("bordered", [False, True])
def test_gradients_match_dense_solve_and_finite_differences(bordered):
    if bordered:
        matrix = _bordered(5, 3, 2, seed=3, dominant=False)
    else:
        matrix = _random_blocks(5, 3, seed=3, dominant=False)
    rng = np.random.default_rng(3)
    rhs = jnp.asarray(rng.normal(size=matrix.size))
    direction = jax.tree.map(lambda x: jnp.asarray(rng.normal(size=x.shape)), (matrix, rhs))
    grads, dense_grads, tangent, finite_difference = _gradients(matrix, rhs, direction)

    _assert_trees_close(grads, dense_grads)
    blocks = grads[0].tridiagonal if bordered else grads[0]
    # the ignored corners get no gradient
    assert float(jnp.abs(blocks.lower[0]).max()) == 0.0 == float(jnp.abs(blocks.upper[-1]).max())
    directional = sum(
        jnp.vdot(g, d)
        for g, d in zip(jax.tree.leaves(grads), jax.tree.leaves(direction), strict=True)
    )
    np.testing.assert_allclose(float(tangent), float(directional), rtol=1e-12)
    np.testing.assert_allclose(float(finite_difference), float(directional), rtol=1e-7)


def _structure(size):
    return jax.ShapeDtypeStruct((size,), jnp.float64)


def test_lineax_solver_on_a_function_operator():
    n, b = 9, 3
    matrix = _random_blocks(n, b, seed=7, dominant=False)
    dense = _dense(matrix)
    rhs = jnp.asarray(np.random.default_rng(7).normal(size=n * b))
    solver = BlockTridiagonalSolver(block_size=b)

    def solve(m, r):
        operator = lx.FunctionLinearOperator(m.matvec, _structure(n * b))
        return lx.linear_solve(operator, r, solver=solver).value

    @_jit
    def check(m, r):
        operator = lx.FunctionLinearOperator(m.matvec, _structure(n * b))
        state, _ = solver.transpose(solver.init(operator, {}), {})
        transposed, result, _ = solver.compute(state, r, {})
        conjugated = solver.compute(solver.conj(state, {})[0], r, {})[0]
        # reverse mode goes through `solver.transpose`
        grads = jax.grad(_loss(solve), argnums=(0, 1))(m, r)
        return solve(m, r), transposed, result, conjugated, grads

    solution, transposed, result, conjugated, grads = check(matrix, rhs)
    assert _relative_error(solution, np.linalg.solve(dense, np.asarray(rhs))) < 1e-12
    assert result == lx.RESULTS.successful
    assert _relative_error(transposed, np.linalg.solve(dense.T, np.asarray(rhs))) < 1e-12
    np.testing.assert_array_equal(np.asarray(conjugated), np.asarray(transposed))
    _assert_trees_close(grads, _dense_gradients(matrix, rhs))
    assert solver.assume_full_rank()


def test_lineax_solver_on_a_jacobian_operator():
    n, b = 8, 2
    matrix = _random_blocks(n, b, seed=8)

    def residual(u, args):
        nodes = u.reshape(n, b)
        # couples component 0 of node i+1 into every component of node i
        coupling = jnp.concatenate([nodes[1:, :1], jnp.zeros((1, 1))]) * jnp.sin(nodes)
        return matrix.matvec(u) + 0.3 * u**3 + 0.5 * coupling.reshape(-1)

    @_jit
    def solve(u, r):
        operator = lx.JacobianLinearOperator(residual, u, None)
        return lx.linear_solve(operator, r, solver=BlockTridiagonalSolver(block_size=b)).value

    rng = np.random.default_rng(8)
    u, rhs = jnp.asarray(rng.normal(size=n * b)), rng.normal(size=n * b)
    jacobian = np.asarray(_jit(jax.jacfwd(residual))(u, None))
    assert _relative_error(solve(u, jnp.asarray(rhs)), np.linalg.solve(jacobian, rhs)) < 1e-12


def test_lineax_solver_flags_a_singular_operator():
    n, b = 4, 2
    matrix = _random_blocks(n, b, seed=2)
    matrix = BlockTridiagonal(
        lower=matrix.lower.at[2].set(0.0), diag=matrix.diag.at[2].set(0.0), upper=matrix.upper
    )
    solver = BlockTridiagonalSolver(block_size=b)

    @_jit
    def solve(m, r):
        operator = lx.FunctionLinearOperator(m.matvec, _structure(n * b))
        _, result, _ = solver.compute(solver.init(operator, {}), r, {})
        return result, lx.linear_solve(operator, r, solver=solver, throw=False).result

    result, solve_result = solve(matrix, jnp.ones(n * b))
    assert result == lx.RESULTS.singular
    assert solve_result != lx.RESULTS.successful


def test_bad_shapes_raise():
    matrix = _random_blocks(4, 2, seed=0)
    with pytest.raises(ValueError, match="rhs must have shape"):
        matrix.solve(jnp.ones(7))
    with pytest.raises(ValueError, match="lower must have the shape"):
        BlockTridiagonal(lower=matrix.lower[1:], diag=matrix.diag, upper=matrix.upper)
    with pytest.raises(ValueError, match="border_rows must have shape"):
        BorderedBlockTridiagonal(
            tridiagonal=matrix,
            border_cols=jnp.zeros((8, 1)),
            border_rows=jnp.zeros((1, 7)),
            corner=jnp.zeros((1, 1)),
        )
    operator = lx.FunctionLinearOperator(matrix.matvec, _structure(8))
    with pytest.raises(ValueError, match="not a multiple of block_size=3"):
        BlockTridiagonalSolver(block_size=3).init(operator, {})
