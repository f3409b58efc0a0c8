"""Bordered tridiagonal linear systems, solved in O(N) by a Schur complement.

$$\\begin{pmatrix} A & B \\\\ C & D \\end{pmatrix}\\begin{pmatrix} x \\\\ y \\end{pmatrix}
= \\begin{pmatrix} r \\\\ s \\end{pmatrix},$$

with A (N×N) tridiagonal and B (N×K), C (K×N), D (K×K) for a few global unknowns K (the
electrochemical potentials of a closed system): solve $A[X, x_0] = [B, r]$ with one banded LU
(LAPACK gtsv on CPU), then the K×K Schur
complement $S = D - CX$. Cost O(N·K); no N×N matrix is ever formed. (On GPU the tridiagonal
solves use cyclic reduction; see `tridiagonal.py`.)

**Reference:** G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., §4.3 and §3.2.
"""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float

from .tridiagonal import solve_tridiagonal


class BorderedTridiagonal(eqx.Module):
    """The matrix [[A, B], [C, D]] with A = tridiag(`lower`, `diag`, `upper`).

    `lower[0]` and `upper[-1]` are ignored (LAPACK convention: `lower[i] = A[i, i-1]`,
    `upper[i] = A[i, i+1]`).
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

    def matvec(self, vector: Float[Array, " n+k"]) -> Float[Array, " n+k"]:
        """The product of the matrix with `vector` (O(N·K))."""
        n = self.diag.shape[0]
        x, y = vector[:n], vector[n:]
        ax = self.diag * x
        ax = ax.at[1:].add(self.lower[1:] * x[:-1])
        ax = ax.at[:-1].add(self.upper[:-1] * x[1:])
        top = ax + self.border_cols @ y
        bottom = self.border_rows @ x + self.corner @ y
        return jnp.concatenate([top, bottom])

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

    def solve(self, rhs: Float[Array, " n+k"]) -> Float[Array, " n+k"]:
        """Solve the system for one right-hand side."""
        n, k = self.diag.shape[0], self.n_border
        lower = self.lower.at[0].set(0.0)
        upper = self.upper.at[-1].set(0.0)
        r, s = rhs[:n], rhs[n:]
        columns = jnp.concatenate([r[:, None], self.border_cols], axis=1)
        solved = solve_tridiagonal(lower, self.diag, upper, columns)
        x0 = solved[:, 0]
        if k == 0:
            return x0
        big_x = solved[:, 1:]
        schur = self.corner - self.border_rows @ big_x
        y = jnp.linalg.solve(schur, s - self.border_rows @ x0)
        return jnp.concatenate([x0 - big_x @ y, y])
