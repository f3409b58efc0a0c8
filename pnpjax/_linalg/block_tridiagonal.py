"""Block-tridiagonal (and bordered block-tridiagonal) linear systems in O(n b³).

A coupled 1D finite-volume discretisation with b unknowns per node gives, in node-major
ordering (entry i·b + k is component k of node i), the block-tridiagonal matrix

$$A = \\begin{pmatrix} D_0 & U_0 & & \\\\ L_1 & D_1 & U_1 & \\\\
& \\ddots & \\ddots & \\ddots \\\\ & & L_{n-1} & D_{n-1} \\end{pmatrix},
\\qquad L_i, D_i, U_i \\in \\mathbb{R}^{b \\times b}.$$

**Block LU (block Thomas algorithm).** $A = \\tilde L \\tilde U$ with $\\tilde L$ block lower
bidiagonal (diagonal $S_i$, subdiagonal $L_i$) and $\\tilde U$ block upper bidiagonal
(identity diagonal, superdiagonal $G_i$):

$$S_0 = D_0, \\qquad S_i = D_i - L_i G_{i-1}, \\qquad G_i = S_i^{-1} U_i.$$

Each $S_i$ is factored by LU with partial pivoting, never inverted. Factoring costs
O(n b³) in one `lax.scan`; each solve, $\\tilde L y = r$ then $\\tilde U x = y$, costs
O(n b² r) in two scans, and so does the transposed solve $\\tilde U^T z = r$,
$\\tilde L^T x = z$ with the same factors. The recursion is stable when A is block
diagonally dominant or positive definite (Varah 1972); pivoting inside the blocks handles
diagonal blocks whose own diagonal vanishes (e.g. a potential coupled to a concentration).

**Block cyclic reduction.** The scan is sequential in n. Off CPU we eliminate the even
block rows of a system padded to $2^m - 1$ blocks, halving it at each of the log₂ n levels
with vectorised b×b solves (Buzbee, Golub and Nielson 1970; Heller 1976).

**Bordered systems.** $[[A, B], [C, D]]$ with k global unknowns is solved by the Schur
complement, as in `bordered.py`: one factorisation of A, $A[X, x_0] = [B, r]$,
$S = D - CX$ (k×k).

**lineax.** `BlockTridiagonal` and `BorderedBlockTridiagonal` are `lineax` operators and
`BlockTridiagonalSolver` their `lineax` solver: `lineax.linear_solve` differentiates a solve
implicitly ($\\dot x = A^{-1}(\\dot r - \\dot A x)$, the transposed solve in reverse mode)
rather than through the factorisation, and a factorisation from `solver.init` serves many
right-hand sides.

**References:** J. M. Varah, *Math. Comp.* 26, 859 (1972); B. L. Buzbee, G. H. Golub and
C. W. Nielson, *SIAM J. Numer. Anal.* 7, 627 (1970); D. Heller, *SIAM J. Numer. Anal.* 13,
484 (1976); G. H. Golub and C. F. Van Loan, *Matrix Computations*, 4th ed., §4.5.1 (block
tridiagonal systems); A. R. Curtis, M. J. D. Powell and J. K. Reid, *IMA J. Appl. Math.* 13,
117 (1974) (coloured probes).
"""

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np
from jaxtyping import Array, Float, Int

from .bordered import solve_with
from .structured import (
    AbstractStructuredOperator,
    AbstractStructuredSolver,
    as_columns,
    border_columns,
)


def _use_cyclic_reduction() -> bool:
    """Whether `BlockTridiagonal.solve` uses block cyclic reduction rather than the scan."""
    return jax.default_backend() != "cpu"


class BlockTridiagonalLU(eqx.Module):
    """The block LU factorisation of a `BlockTridiagonal` (see the module docstring).

    Built by `BlockTridiagonal.factor()`. `lu[i]`, `pivots[i]` are the pivoted LU factors of
    the Schur complement $S_i$, `coupling[i]` $= G_i = S_i^{-1} U_i$ (zero for the last node),
    `lower[i]` $= L_i$ (zero for the first node).
    """

    lower: Float[Array, "n b b"]
    lu: Float[Array, "n b b"]
    pivots: Int[Array, "n b"]
    coupling: Float[Array, "n b b"]

    @property
    def block_size(self) -> int:
        return self.lu.shape[1]

    @property
    def n_blocks(self) -> int:
        return self.lu.shape[0]

    def solve(self, rhs: Float[Array, " nb *r"]) -> Float[Array, " nb *r"]:
        """Solve A x = `rhs` in O(n b² r); `rhs` of shape (n·b,) or (n·b, r)."""
        n, b = self.n_blocks, self.block_size
        columns, vector = as_columns(rhs, n * b, "rhs")
        r = columns.reshape(n, b, -1)

        def forward(y_prev, block):
            lower, lu, pivots, r_i = block
            y = jsl.lu_solve((lu, pivots), r_i - lower @ y_prev)
            return y, y

        def backward(x_next, block):
            coupling, y_i = block
            x = y_i - coupling @ x_next
            return x, x

        zero = jnp.zeros_like(r[0])
        _, y = jax.lax.scan(forward, zero, (self.lower, self.lu, self.pivots, r))
        _, x = jax.lax.scan(backward, zero, (self.coupling, y), reverse=True)
        x = x.reshape(n * b, -1)
        return x[:, 0] if vector else x

    def solve_transpose(self, rhs: Float[Array, " nb *r"]) -> Float[Array, " nb *r"]:
        """Solve Aᵀ x = `rhs` with the same factors ($\\tilde U^T z = r$, $\\tilde L^T x = z$)."""
        n, b = self.n_blocks, self.block_size
        columns, vector = as_columns(rhs, n * b, "rhs")
        r = columns.reshape(n, b, -1)
        zero_block = jnp.zeros_like(self.lower[:1])
        coupling_prev = jnp.concatenate([zero_block, self.coupling[:-1]])  # G_{i-1}
        lower_next = jnp.concatenate([self.lower[1:], zero_block])  # L_{i+1}

        def forward(z_prev, block):
            coupling_prev, r_i = block
            z = r_i - coupling_prev.T @ z_prev
            return z, z

        def backward(x_next, block):
            lower_next, lu, pivots, z_i = block
            x = jsl.lu_solve((lu, pivots), z_i - lower_next.T @ x_next, trans=1)
            return x, x

        zero = jnp.zeros_like(r[0])
        _, z = jax.lax.scan(forward, zero, (coupling_prev, r))
        _, x = jax.lax.scan(backward, zero, (lower_next, self.lu, self.pivots, z), reverse=True)
        x = x.reshape(n * b, -1)
        return x[:, 0] if vector else x


class BlockTridiagonal(AbstractStructuredOperator):
    """A block-tridiagonal matrix of n blocks of size b×b, in node-major ordering.

    `lower[i]` $= A_{i,i-1}$, `diag[i]` $= A_{i,i}$, `upper[i]` $= A_{i,i+1}$ (block
    indices); `lower[0]` and `upper[-1]` are ignored.
    """

    lower: Float[Array, "n b b"]
    diag: Float[Array, "n b b"]
    upper: Float[Array, "n b b"]

    def __check_init__(self):
        shape = self.diag.shape
        if len(shape) != 3 or shape[1] != shape[2]:
            raise ValueError(f"BlockTridiagonal: diag must have shape (n, b, b), got {shape}")
        for name in ("lower", "upper"):
            if getattr(self, name).shape != shape:
                raise ValueError(
                    f"BlockTridiagonal: {name} must have the shape of diag {shape}, "
                    f"got {getattr(self, name).shape}"
                )

    @property
    def block_size(self) -> int:
        return self.diag.shape[1]

    @property
    def n_blocks(self) -> int:
        return self.diag.shape[0]

    @property
    def size(self) -> int:
        return self.n_blocks * self.block_size

    def _masked(self) -> tuple[Array, Array, Array]:
        """(lower, diag, upper) with the ignored `lower[0]`, `upper[-1]` set to zero."""
        return self.lower.at[0].set(0.0), self.diag, self.upper.at[-1].set(0.0)

    def matvec(self, vector: Float[Array, " nb *r"]) -> Float[Array, " nb *r"]:
        """The product with `vector` of shape (n·b,) or (n·b, r), in O(n b² r)."""
        n, b = self.n_blocks, self.block_size
        columns, is_vector = as_columns(vector, n * b, "vector")
        x = columns.reshape(n, b, -1)
        y = jnp.einsum("nij,njr->nir", self.diag, x)
        y = y.at[1:].add(jnp.einsum("nij,njr->nir", self.lower[1:], x[:-1]))
        y = y.at[:-1].add(jnp.einsum("nij,njr->nir", self.upper[:-1], x[1:]))
        y = y.reshape(n * b, -1)
        return y[:, 0] if is_vector else y

    def transpose(self) -> "BlockTridiagonal":
        """The transposed matrix: $(A^T)_{i,i-1} = U_{i-1}^T$, $(A^T)_{i,i+1} = L_{i+1}^T$."""
        zero = jnp.zeros_like(self.diag[:1])
        return BlockTridiagonal(
            lower=jnp.concatenate([zero, jnp.swapaxes(self.upper[:-1], 1, 2)]),
            diag=jnp.swapaxes(self.diag, 1, 2),
            upper=jnp.concatenate([jnp.swapaxes(self.lower[1:], 1, 2), zero]),
        )

    def to_dense(self) -> Float[Array, "nb nb"]:
        """The dense (n·b)×(n·b) matrix. O(n² b²) memory: for tests and debugging only."""
        n, b = self.n_blocks, self.block_size
        i = jnp.arange(n)
        dense = jnp.zeros((n, b, n, b), self.diag.dtype)
        dense = dense.at[i, :, i, :].set(self.diag)
        dense = dense.at[i[1:], :, i[:-1], :].set(self.lower[1:])
        dense = dense.at[i[:-1], :, i[1:], :].set(self.upper[:-1])
        return dense.reshape(n * b, n * b)

    def factor(self) -> BlockTridiagonalLU:
        """The block LU factorisation, in O(n b³) (one scan over the nodes)."""
        lower, diag, upper = self._masked()

        def step(coupling_prev, block):
            lower_i, diag_i, upper_i = block
            lu, pivots = jsl.lu_factor(diag_i - lower_i @ coupling_prev)
            coupling = jsl.lu_solve((lu, pivots), upper_i)
            return coupling, (lu, pivots, coupling)

        _, (lu, pivots, coupling) = jax.lax.scan(
            step, jnp.zeros_like(diag[0]), (lower, diag, upper)
        )
        return BlockTridiagonalLU(lower=lower, lu=lu, pivots=pivots, coupling=coupling)

    def factors(self):
        """Factors for repeated solves (`solve`, `solve_transpose` methods): the block LU on
        CPU, block cyclic reduction on other backends (which keeps the bands)."""
        if _use_cyclic_reduction():
            return _CyclicReduction(self)
        return self.factor()

    def solve(self, rhs: Float[Array, " nb *r"]) -> Float[Array, " nb *r"]:
        """Solve A x = `rhs` for `rhs` of shape (n·b,) or (n·b, r) (differentiable, through
        `lineax.linear_solve` with `BlockTridiagonalSolver`)."""
        return solve_with(self, BlockTridiagonalSolver(block_size=self.block_size), rhs)


class _CyclicReduction(eqx.Module):
    """Block cyclic reduction keeps no factors: each solve reduces the bands again."""

    matrix: BlockTridiagonal

    def solve(self, rhs):
        return block_cyclic_reduction(*self.matrix._masked(), rhs)

    def solve_transpose(self, rhs):
        return block_cyclic_reduction(*self.matrix.transpose()._masked(), rhs)


def block_cyclic_reduction(
    lower: Float[Array, "n b b"],
    diag: Float[Array, "n b b"],
    upper: Float[Array, "n b b"],
    rhs: Float[Array, " nb *r"],
) -> Float[Array, " nb *r"]:
    """Solve the block-tridiagonal system (`lower[0]` and `upper[-1]` must be zero) for
    `rhs` of shape (n·b,) or (n·b, r) by block cyclic reduction: log₂ n levels of
    vectorised b×b LU solves.
    """
    n, b = diag.shape[:2]
    columns, vector = as_columns(rhs, n * b, "rhs")
    size = 1
    while size < n:
        size = 2 * size + 1
    pad = size - n
    # identity blocks decouple the padding
    zeros = jnp.zeros((pad, b, b), diag.dtype)
    identity = jnp.broadcast_to(jnp.eye(b, dtype=diag.dtype), (pad, b, b))
    r = columns.reshape(n, b, -1)
    x = _reduce(
        jnp.concatenate([lower, zeros]),
        jnp.concatenate([diag, identity]),
        jnp.concatenate([upper, zeros]),
        jnp.concatenate([r, jnp.zeros((pad, *r.shape[1:]), r.dtype)]),
    )
    x = x[:n].reshape(n * b, -1)
    return x[:, 0] if vector else x


def _reduce(lower, diag, upper, rhs):
    """One level of block cyclic reduction on 2^m − 1 blocks, then recursion."""
    if diag.shape[0] == 1:
        return jnp.linalg.solve(diag, rhs)
    b = diag.shape[1]
    lower_e, diag_e, upper_e, rhs_e = lower[0::2], diag[0::2], upper[0::2], rhs[0::2]
    lower_o, diag_o, upper_o, rhs_o = lower[1::2], diag[1::2], upper[1::2], rhs[1::2]
    # D_e⁻¹ [L_e | U_e | r_e] once per eliminated block: the reduced system and the
    # back-substitution both need all three
    solved = jsl.lu_solve(jsl.lu_factor(diag_e), jnp.concatenate([lower_e, upper_e, rhs_e], axis=2))
    lower_s, upper_s, rhs_s = solved[..., :b], solved[..., b : 2 * b], solved[..., 2 * b :]
    x_odd = _reduce(
        -lower_o @ lower_s[:-1],
        diag_o - lower_o @ upper_s[:-1] - upper_o @ lower_s[1:],
        -upper_o @ upper_s[1:],
        rhs_o - lower_o @ rhs_s[:-1] - upper_o @ rhs_s[1:],
    )
    zero = jnp.zeros_like(x_odd[:1])
    left = jnp.concatenate([zero, x_odd])  # x_{i−1} for each even block i
    right = jnp.concatenate([x_odd, zero])  # x_{i+1}
    x_even = rhs_s - lower_s @ left - upper_s @ right
    body = jnp.stack([x_even[:-1], x_odd], axis=1).reshape(-1, *x_odd.shape[1:])
    return jnp.concatenate([body, x_even[-1:]])


def _schur_solve(solve_a, border_cols, border_rows, corner, rhs):
    """Solve [[A, B], [C, D]] [x; y] = [r; s] given `solve_a` for A (columns of shape (N, r))."""
    size, k = border_cols.shape
    columns, vector = as_columns(rhs, size + k, "rhs")
    r, s = columns[:size], columns[size:]
    solved = solve_a(jnp.concatenate([r, border_cols], axis=1))
    x0, big_x = solved[:, : r.shape[1]], solved[:, r.shape[1] :]
    if k == 0:
        x = x0
    else:
        schur = corner - border_rows @ big_x
        y = jnp.linalg.solve(schur, s - border_rows @ x0)
        x = jnp.concatenate([x0 - big_x @ y, y])
    return x[:, 0] if vector else x


class BorderedBlockTridiagonal(AbstractStructuredOperator):
    """The matrix [[A, B], [C, D]] with A a `BlockTridiagonal` of size N = n·b, B (N×k),
    C (k×N) and D (k×k) for a few global unknowns k ≥ 0."""

    tridiagonal: BlockTridiagonal
    border_cols: Float[Array, "nb k"]
    border_rows: Float[Array, "k nb"]
    corner: Float[Array, "k k"]

    def __check_init__(self):
        size, k = self.tridiagonal.size, self.corner.shape[0]
        expected = {"border_cols": (size, k), "border_rows": (k, size), "corner": (k, k)}
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise ValueError(
                    f"BorderedBlockTridiagonal: {name} must have shape {shape}, "
                    f"got {getattr(self, name).shape}"
                )

    @property
    def n_border(self) -> int:
        return self.corner.shape[0]

    @property
    def size(self) -> int:
        return self.tridiagonal.size + self.n_border

    def matvec(self, vector: Float[Array, " nbk *r"]) -> Float[Array, " nbk *r"]:
        """The product with `vector` of shape (N+k,) or (N+k, r), in O(N(b + k) r)."""
        as_columns(vector, self.size, "vector")
        size = self.tridiagonal.size
        x, y = vector[:size], vector[size:]
        top = self.tridiagonal.matvec(x) + self.border_cols @ y
        bottom = self.border_rows @ x + self.corner @ y
        return jnp.concatenate([top, bottom])

    def transpose(self) -> "BorderedBlockTridiagonal":
        """The transposed matrix, in the same structure."""
        return BorderedBlockTridiagonal(
            tridiagonal=self.tridiagonal.transpose(),
            border_cols=self.border_rows.T,
            border_rows=self.border_cols.T,
            corner=self.corner.T,
        )

    def to_dense(self) -> Float[Array, "nbk nbk"]:
        """The dense matrix. O(N²) memory: for tests and debugging only."""
        top = jnp.concatenate([self.tridiagonal.to_dense(), self.border_cols], axis=1)
        bottom = jnp.concatenate([self.border_rows, self.corner], axis=1)
        return jnp.concatenate([top, bottom])

    def solve(self, rhs: Float[Array, " nbk *r"]) -> Float[Array, " nbk *r"]:
        """Solve the system for `rhs` of shape (N+k,) or (N+k, r) by the Schur complement:
        one factorisation of A, O(N b (b + k + r)) work after it (differentiable)."""
        solver = BlockTridiagonalSolver(
            block_size=self.tridiagonal.block_size, border=self.n_border
        )
        return solve_with(self, solver, rhs)


class _BorderedBlockFactors(eqx.Module):
    """Factors of A and the borders of a bordered block-tridiagonal matrix."""

    block: Any
    matrix: BorderedBlockTridiagonal

    def solve(self, rhs):
        m = self.matrix
        return _schur_solve(self.block.solve, m.border_cols, m.border_rows, m.corner, rhs)

    def solve_transpose(self, rhs):
        m = self.matrix
        return _schur_solve(
            self.block.solve_transpose, m.border_rows.T, m.border_cols.T, m.corner.T, rhs
        )


class RowReplacedJacobian(AbstractStructuredOperator):
    """A matrix J that is block tridiagonal except for m dense rows, stored as the bordered
    system that solves it: with A' = J whose dense rows (at the `slots`) are replaced by unit
    rows, E the unit columns of those slots and C the dense rows,

    $$J = A' + E(C - E^T), \\qquad
      \\begin{pmatrix} A' & E \\\\ C - E^T & -I \\end{pmatrix}
      \\begin{pmatrix} x \\\\ y \\end{pmatrix} = \\begin{pmatrix} b \\\\ 0 \\end{pmatrix}
      \\iff Jx = b,$$

    and the transposed bordered system solves $J^Tx = b$ alike. A' must be nonsingular (the
    unit rows must pin variables the dense rows do not leave free).

    **Reference:** H. B. Keller, *Lectures on Numerical Methods in Bifurcation Problems*,
    Springer (1987) (bordered systems).
    """

    augmented: BorderedBlockTridiagonal

    @property
    def size(self) -> int:
        return self.augmented.tridiagonal.size

    def matvec(self, vector):
        a = self.augmented
        return a.tridiagonal.matvec(vector) + a.border_cols @ (a.border_rows @ vector)

    def transpose(self) -> "RowReplacedJacobian":
        return RowReplacedJacobian(self.augmented.transpose())

    def to_dense(self):
        a = self.augmented
        return a.tridiagonal.to_dense() + a.border_cols @ a.border_rows

    def solve(self, rhs):
        """Solve J x = `rhs` (differentiable)."""
        b = self.augmented.tridiagonal.block_size
        return solve_with(self, BlockTridiagonalSolver(block_size=b), rhs)


class _RowReplacedFactors(eqx.Module):
    """Factors of the bordered system of a `RowReplacedJacobian`: solves pad the right-hand
    side with zeros and keep the first N entries."""

    inner: Any
    border: int = eqx.field(static=True)

    def _padded(self, solve, rhs):
        columns, vector = as_columns(rhs, rhs.shape[0], "rhs")
        pad = jnp.zeros((self.border, columns.shape[1]), columns.dtype)
        x = solve(jnp.concatenate([columns, pad]))[: columns.shape[0]]
        return x[:, 0] if vector else x

    def solve(self, rhs):
        return self._padded(self.inner.solve, rhs)

    def solve_transpose(self, rhs):
        return self._padded(self.inner.solve_transpose, rhs)


def block_tridiagonal_from_jvp(mv, n: int, b: int, dtype=jnp.float64) -> BlockTridiagonal:
    """Recover the blocks of a linear map known to be block tridiagonal from 3b products.

    Nodes coloured $c = i \\bmod 3$ never share a block row, so a probe that puts 1 in
    component k of every node of colour c returns, in block row i, column k of the single
    block $A_{i,j}$ with $j \\equiv c \\pmod 3$, $|i - j| \\le 1$ (Curtis, Powell and Reid
    1974). The probes are evaluated together under `vmap`.

    **Arguments:**

    - `mv`: the linear map, a flat vector of length n·b (node-major) to one of the same length.
    - `n`, `b`: the number of nodes and the block size (static).
    - `dtype`: the dtype of the probes.

    **Returns:**

    The `BlockTridiagonal` with `lower[0]` and `upper[-1]` zero.
    """
    images = jax.vmap(mv)(jnp.asarray(_probes(n, b), dtype))
    return _blocks(images, n, b)


def linearise_block_tridiagonal(fn, x, n: int, b: int) -> tuple:
    """`(fn(x), ∂fn/∂x)` for a map whose Jacobian is block tridiagonal (n blocks of b), from
    one batched forward-mode pass over the 3b coloured probes of `block_tridiagonal_from_jvp`:
    the value is computed once, with the products."""
    value, images = jax.vmap(lambda probe: jax.jvp(fn, (x,), (probe,)), out_axes=(None, 0))(
        jnp.asarray(_probes(n, b), x.dtype)
    )
    return value, _blocks(images, n, b)


def _probes(n: int, b: int) -> np.ndarray:
    colours = min(n, 3)
    node_colour = np.arange(n) % 3
    probes = np.zeros((colours, b, n, b))
    for c in range(colours):
        for k in range(b):
            probes[c, k, node_colour == c, k] = 1.0
    return probes.reshape(colours * b, n * b)


def _blocks(images, n: int, b: int) -> BlockTridiagonal:
    colours = min(n, 3)
    images = images.reshape(colours, b, n, b)  # (colour, column k, node i, row)

    def blocks(neighbour):
        valid = (neighbour >= 0) & (neighbour < n)
        # advanced indices around a slice come first: (node, column, row)
        picked = images[neighbour % colours, :, np.arange(n), :]
        return jnp.where(valid[:, None, None], jnp.swapaxes(picked, 1, 2), 0.0)

    i = np.arange(n)
    return BlockTridiagonal(lower=blocks(i - 1), diag=blocks(i), upper=blocks(i + 1))


class BlockTridiagonalSolver(AbstractStructuredSolver):
    """A `lineax` solver for block-tridiagonal matrices in node-major ordering (blocks of
    `block_size`), bordered by `border` dense rows and columns (`border=0`: none).

    A `BlockTridiagonal` or `BorderedBlockTridiagonal` operator is factored directly (block LU,
    O(n b³)); any other operator of that structure (e.g. a `lineax.JacobianLinearOperator`) has
    its blocks read off 3·`block_size` coloured products (`block_tridiagonal_from_jvp`) and its
    borders off `border` products with it and with its transpose. Each `compute` is then two
    scans (O(n b²)).
    """

    block_size: int = eqx.field(static=True)
    border: int = eqx.field(static=True, default=0)

    def structured(self, operator):
        if isinstance(operator, (BlockTridiagonal, BorderedBlockTridiagonal, RowReplacedJacobian)):
            return operator
        size, b, k = operator.in_structure().shape[0], self.block_size, self.border
        if (size - k) % b != 0:
            raise ValueError(
                f"BlockTridiagonalSolver: operator size {size} minus border {k} is not a "
                f"multiple of block_size={b}"
            )
        n = (size - k) // b
        dtype = operator.in_structure().dtype
        pad = lambda v: jnp.concatenate([v, jnp.zeros(k, v.dtype)])  # noqa: E731
        blocks = block_tridiagonal_from_jvp(lambda v: operator.mv(pad(v))[: n * b], n, b, dtype)
        if not k:
            return blocks
        columns, rows = border_columns(operator, n * b, k)
        return BorderedBlockTridiagonal(blocks, columns[: n * b], rows, columns[n * b :])

    def factor(self, matrix):
        if isinstance(matrix, RowReplacedJacobian):
            inner = _BorderedBlockFactors(matrix.augmented.tridiagonal.factors(), matrix.augmented)
            return _RowReplacedFactors(inner, matrix.augmented.n_border)
        if isinstance(matrix, BorderedBlockTridiagonal):
            return _BorderedBlockFactors(matrix.tridiagonal.factors(), matrix)
        return matrix.factors()
