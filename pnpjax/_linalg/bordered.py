"""Bordered tridiagonal linear systems, solved in O(N) by a Schur complement.

$$\\begin{pmatrix} A & B \\\\ C & D \\end{pmatrix}\\begin{pmatrix} x \\\\ y \\end{pmatrix}
= \\begin{pmatrix} r \\\\ s \\end{pmatrix},$$

with A (N×N) tridiagonal and B (N×K), C (K×N), D (K×K) for a few global unknowns K (the
electrochemical potentials of a closed system; K = 0 is a plain tridiagonal system): solve
$A[X, x_0] = [B, r]$ with one banded LU (LAPACK gtsv on CPU), then the K×K Schur complement
$S = D - CX$. Cost O(N·K); no N×N matrix is ever formed. (On GPU the tridiagonal solves use
cyclic reduction; see `tridiagonal.py`.)

`BorderedTridiagonal` is a `lineax` operator and `TridiagonalSolver` its `lineax` solver, so
`lineax.linear_solve(matrix, b, TridiagonalSolver(border=K))` differentiates and transposes
like any lineax solve.

**Reference:** G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., §4.3 and §3.2.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .structured import (
    AbstractStructuredOperator,
    AbstractStructuredSolver,
    as_columns,
    border_columns,
    linear_solve,
)
from .tridiagonal import solve_tridiagonal


class BorderedTridiagonal(AbstractStructuredOperator):
    """The matrix [[A, B], [C, D]] with A = tridiag(`lower`, `diag`, `upper`).

    `lower[0]` and `upper[-1]` are ignored (LAPACK convention: `lower[i] = A[i, i-1]`,
    `upper[i] = A[i, i+1]`). With K = 0 border columns it is a plain tridiagonal matrix.
    """

    lower: Float[Array, " n"]
    diag: Float[Array, " n"]
    upper: Float[Array, " n"]
    border_cols: Float[Array, "n k"]
    border_rows: Float[Array, "k n"]
    corner: Float[Array, "k k"]

    @property
    def n_border(self) -> int:
        return self.corner.shape[0]

    @property
    def size(self) -> int:
        return self.diag.shape[0] + self.n_border

    def matvec(self, vector: Float[Array, " n+k *r"]) -> Float[Array, " n+k *r"]:
        """The product of the matrix with `vector` (O(N·K))."""
        columns, is_vector = as_columns(vector, self.size, "vector")
        n = self.diag.shape[0]
        x, y = columns[:n], columns[n:]
        ax = self.diag[:, None] * x
        ax = ax.at[1:].add(self.lower[1:, None] * x[:-1])
        ax = ax.at[:-1].add(self.upper[:-1, None] * x[1:])
        top = ax + self.border_cols @ y
        bottom = self.border_rows @ x + self.corner @ y
        out = jnp.concatenate([top, bottom])
        return out[:, 0] if is_vector else out

    def transpose(self) -> "BorderedTridiagonal":
        """The transposed matrix, in the same structure."""
        zero = jnp.zeros((1,), self.diag.dtype)
        return BorderedTridiagonal(
            lower=jnp.concatenate([zero, self.upper[:-1]]),
            diag=self.diag,
            upper=jnp.concatenate([self.lower[1:], zero]),
            border_cols=self.border_rows.T,
            border_rows=self.border_cols.T,
            corner=self.corner.T,
        )

    def to_dense(self) -> Float[Array, "n+k n+k"]:
        """The dense matrix. O(N²) memory: for tests and debugging only."""
        n = self.diag.shape[0]
        i = jnp.arange(n)
        a = jnp.zeros((n, n), self.diag.dtype).at[i, i].set(self.diag)
        a = a.at[i[1:], i[:-1]].set(self.lower[1:]).at[i[:-1], i[1:]].set(self.upper[:-1])
        top = jnp.concatenate([a, self.border_cols], axis=1)
        bottom = jnp.concatenate([self.border_rows, self.corner], axis=1)
        return jnp.concatenate([top, bottom])

    def solve(self, rhs: Float[Array, " n+k *r"]) -> Float[Array, " n+k *r"]:
        """Solve the system for `rhs` of shape (N+K,) or (N+K, r) (differentiable)."""
        return solve_with(self, TridiagonalSolver(border=self.n_border), rhs)


class _BorderedFactors(eqx.Module):
    """What a bordered tridiagonal solve needs: the bands (gtsv factors and solves in one
    call, so there is nothing to keep between solves) and the borders."""

    matrix: BorderedTridiagonal

    def solve(self, rhs):
        return _schur_solve(self.matrix, rhs)

    def solve_transpose(self, rhs):
        return _schur_solve(self.matrix.transpose(), rhs)


def _schur_solve(matrix: BorderedTridiagonal, rhs):
    n, k = matrix.diag.shape[0], matrix.n_border
    columns, vector = as_columns(rhs, n + k, "rhs")
    lower = matrix.lower.at[0].set(0.0)
    upper = matrix.upper.at[-1].set(0.0)
    r, s = columns[:n], columns[n:]
    solved = solve_tridiagonal(
        lower, matrix.diag, upper, jnp.concatenate([r, matrix.border_cols], axis=1)
    )
    x0 = solved[:, : r.shape[1]]
    if k == 0:
        x = x0
    else:
        big_x = solved[:, r.shape[1] :]
        schur = matrix.corner - matrix.border_rows @ big_x
        y = jnp.linalg.solve(schur, s - matrix.border_rows @ x0)
        x = jnp.concatenate([x0 - big_x @ y, y])
    return x[:, 0] if vector else x


class TridiagonalSolver(AbstractStructuredSolver):
    """A `lineax` solver for tridiagonal matrices bordered by `border` dense rows and columns
    (`border=0`: a plain tridiagonal matrix), in O(N·K).

    A `BorderedTridiagonal` operator is solved directly; any other lineax operator of that
    structure (e.g. a `lineax.JacobianLinearOperator`) has its bands read off three coloured
    products and its borders off K products with it and K with its transpose.
    """

    border: int = eqx.field(static=True, default=0)

    def structured(self, operator) -> BorderedTridiagonal:
        if isinstance(operator, BorderedTridiagonal):
            return operator
        size = operator.in_structure().shape[0]
        n, k = size - self.border, self.border
        probes = np.zeros((3, size))
        for colour in range(3):
            probes[colour, colour:n:3] = 1.0
        images = jax.vmap(operator.mv)(jnp.asarray(probes, operator.in_structure().dtype))
        i = np.arange(n)
        pick = lambda rows, cols: images[cols % 3, rows]  # noqa: E731
        diag = pick(i, i)
        lower = jnp.where(i > 0, pick(i, np.maximum(i - 1, 0)), 0.0)
        upper = jnp.where(i < n - 1, pick(i, np.minimum(i + 1, n - 1)), 0.0)
        if k:
            columns, rows = border_columns(operator, n, k)
            return BorderedTridiagonal(lower, diag, upper, columns[:n], rows, columns[n:])
        zeros = jnp.zeros((n, 0), diag.dtype)
        return BorderedTridiagonal(lower, diag, upper, zeros, zeros.T, jnp.zeros((0, 0)))

    def factor(self, matrix: BorderedTridiagonal) -> _BorderedFactors:
        return _BorderedFactors(matrix)


def solve_with(matrix: AbstractStructuredOperator, solver, rhs):
    """`matrix⁻¹ rhs` for `rhs` of shape (N,) or (N, r) with the lineax `solver`,
    differentiable (`structured.linear_solve`)."""
    columns, vector = as_columns(rhs, matrix.size, "rhs")
    out = jax.vmap(lambda b: linear_solve(matrix, b, solver), in_axes=1, out_axes=1)(columns)
    return out[:, 0] if vector else out
