"""Structured matrices as `lineax` linear operators, and the base of their `lineax` solvers.

The Jacobians of pnpjax's discretisations are (bordered) tridiagonal or (bordered) block
tridiagonal. Each structure is a `lineax.AbstractLinearOperator` holding its bands, so that
`lineax.linear_solve(matrix, b, solver)` solves it in O(N) with the matching solver
(`TridiagonalSolver`, `BlockTridiagonalSolver`), lineax supplies derivatives of the solution
(implicit differentiation, transposed solves in reverse mode), and a factorisation computed
once (`solver.init(matrix, {})`) serves many right-hand sides. The same solvers also accept
any other lineax operator of that structure (a `lineax.JacobianLinearOperator`, say): they
read its bands off a few coloured matrix–vector products.

**Reference:** the `lineax.AbstractLinearOperator` and `lineax.AbstractLinearSolver`
interfaces (P. Kidger et al., lineax).
"""

import abc
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
from jaxtyping import Array, Float


def as_columns(rhs: Array, size: int, name: str) -> tuple[Array, bool]:
    """`rhs` as shape (size, r), and whether it was a single vector."""
    if rhs.ndim not in (1, 2) or rhs.shape[0] != size:
        raise ValueError(f"{name} must have shape ({size},) or ({size}, r), got {rhs.shape}")
    vector = rhs.ndim == 1
    return (rhs[:, None] if vector else rhs), vector


class AbstractStructuredOperator(lx.AbstractLinearOperator):
    """A square real matrix stored by its structure (bands, borders), usable as a lineax
    operator. Subclasses define `size`, `matvec`, `to_dense` and `transpose`."""

    @property
    @abc.abstractmethod
    def size(self) -> int:
        """Number of rows (and columns)."""

    @abc.abstractmethod
    def matvec(self, vector: Float[Array, " n *r"]) -> Float[Array, " n *r"]:
        """The product with a vector (n,) or a stack of columns (n, r)."""

    @abc.abstractmethod
    def to_dense(self) -> Float[Array, "n n"]:
        """The dense matrix: O(N²) memory, for tests and debugging only."""

    @abc.abstractmethod
    def transpose(self) -> "AbstractStructuredOperator":
        """The transposed matrix, in the same structure."""

    def mv(self, vector):
        return self.matvec(vector)

    def as_matrix(self):
        return self.to_dense()

    def in_structure(self):
        return jax.ShapeDtypeStruct((self.size,), self._dtype())

    def out_structure(self):
        return self.in_structure()

    def _dtype(self):
        leaves = [leaf for leaf in jax.tree_util.tree_leaves(self) if eqx.is_array(leaf)]
        return jnp.result_type(*leaves) if leaves else jnp.float64


def _false(operator) -> bool:
    return False


def _identity(operator):
    return operator


for _predicate in (
    lx.is_symmetric,
    lx.is_diagonal,
    lx.is_tridiagonal,
    lx.has_unit_diagonal,
    lx.is_lower_triangular,
    lx.is_upper_triangular,
    lx.is_positive_semidefinite,
    lx.is_negative_semidefinite,
):
    _predicate.register(AbstractStructuredOperator)(_false)
lx.linearise.register(AbstractStructuredOperator)(_identity)
lx.materialise.register(AbstractStructuredOperator)(_identity)


@lx.diagonal.register(AbstractStructuredOperator)
def _diagonal(operator):
    return jnp.diagonal(operator.to_dense())


@lx.conj.register(AbstractStructuredOperator)
def _conj(operator):
    return jax.tree_util.tree_map(jnp.conj, operator)


class FactorState(eqx.Module):
    """A factorisation and whether it solves the transposed system."""

    factors: Any
    transposed: bool = eqx.field(static=True)


class AbstractStructuredSolver(lx.AbstractLinearSolver):
    """Base of the structured lineax solvers: `init` obtains the structured matrix (the
    operator itself when it is one, else its bands read off coloured products) and factors
    it; `compute` solves with the factors (or their transpose). A non-finite solution (a
    singular pivot) is reported as `lineax.RESULTS.singular`."""

    @abc.abstractmethod
    def structured(self, operator: lx.AbstractLinearOperator) -> AbstractStructuredOperator:
        """`operator` in this solver's structure."""

    @abc.abstractmethod
    def factor(self, matrix: AbstractStructuredOperator):
        """Factors of `matrix` with `solve(rhs)` and `solve_transpose(rhs)` methods."""

    def init(self, operator, options):
        del options
        structure = operator.in_structure()
        if (
            not isinstance(structure, jax.ShapeDtypeStruct)
            or len(structure.shape) != 1
            or operator.out_structure().shape != structure.shape
        ):
            raise ValueError(
                f"{type(self).__name__} needs a square operator on a flat vector, got input "
                f"structure {structure} and output structure {operator.out_structure()}"
            )
        matrix = jax.lax.stop_gradient(self.structured(operator))
        return FactorState(self.factor(matrix), transposed=False)

    def compute(self, state: FactorState, vector, options):
        del options
        factors = state.factors
        solution = factors.solve_transpose(vector) if state.transposed else factors.solve(vector)
        result = lx.RESULTS.where(
            jnp.all(jnp.isfinite(solution)), lx.RESULTS.successful, lx.RESULTS.singular
        )
        return solution, result, {}

    def transpose(self, state: FactorState, options):
        return FactorState(state.factors, transposed=not state.transposed), options

    def conj(self, state: FactorState, options):
        # real matrices: conjugation changes nothing
        return state, options

    def assume_full_rank(self) -> bool:
        return True


def linear_solve(operator: lx.AbstractLinearOperator, rhs, solver: lx.AbstractLinearSolver):
    """`operator⁻¹ rhs` with the lineax `solver`, differentiable in `rhs` and in the operator by
    implicit differentiation (`jax.lax.custom_linear_solve`: forward mode solves with the
    operator, reverse mode with its transpose, through `solver.transpose`), to any order.

    Unlike `lineax.linear_solve`, a singular or non-finite system gives NaN instead of raising
    in its derivatives: the solvers report failures through their result codes, and a fit must
    be able to evaluate a trial point where the model has no solution.
    """

    def solve(_, b):
        # factor inside: a factorisation closed over from outside would leak tracers through
        # custom_linear_solve's transpose under jit
        state = solver.init(operator, {})
        return solver.compute(state, b, {})[0]

    def solve_transpose(_, b):
        state, _ = solver.transpose(solver.init(operator, {}), {})
        return solver.compute(state, b, {})[0]

    return jax.lax.custom_linear_solve(operator.mv, rhs, solve, solve_transpose)


def border_columns(operator: lx.AbstractLinearOperator, size: int, border: int):
    """`(B and D stacked (size + border, border), C (border, size))`: the last `border`
    columns of `operator` by products with unit vectors, and its last `border` rows by
    products of the transposed operator."""
    eye = jnp.eye(size + border, dtype=operator.in_structure().dtype)[size:]
    columns = jax.vmap(operator.mv)(eye).T
    rows = jax.vmap(operator.transpose().mv)(eye)
    return columns, rows[:, :size]
