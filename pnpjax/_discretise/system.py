"""What the Newton core solves: a discrete nonlinear system with a structured Jacobian.

Every nonlinear solve in pnpjax (the Poisson–Boltzmann equilibrium, steady states and their
continuation, the consistent initial state of a transient, each implicit stage of a time step)
is an `AbstractSystem`: a pytree of the problem's arrays (every float a differentiable leaf)
with a residual $F(y)$ and its linearisation — $F$ and the Jacobian $\\partial F/\\partial y$ from
one forward pass, as a structured `lineax` operator (bordered tridiagonal or bordered block
tridiagonal, `pnpjax._linalg`) — plus the `lineax` solver for that structure. The Newton
iteration (`pnpjax._solvers.newton`) and the implicit derivative of its root use nothing else.

**Reference:** the `fn(y, args)` convention of `optimistix.root_find`; J. Fuhrmann,
*VoronoiFVM.jl* (one physics description serving stationary, transient and impedance solves).
"""

import abc

import equinox as eqx
import lineax as lx
from jaxtyping import Array, Float


class Linearisation(eqx.Module):
    """$F(y)$, $\\partial F/\\partial y$ and the size of each row's terms.

    - `residual` `[m]`: F(y).
    - `jacobian`: the Jacobian as a structured `lineax` operator.
    - `scale` `[m]` or `None`: the magnitude of the terms that cancel in each row (for a
      relative residual, `max |F| / scale`); `None` when the system has no such measure.
    """

    residual: Float[Array, " m"]
    jacobian: lx.AbstractLinearOperator
    scale: Float[Array, " m"] | None = None


class AbstractSystem(eqx.Module):
    """A discrete nonlinear system F(y) = 0 whose Jacobian has a known structure."""

    @abc.abstractmethod
    def residual(self, y: Float[Array, " m"]) -> Float[Array, " m"]:
        """F(y)."""

    @abc.abstractmethod
    def linearise(self, y: Float[Array, " m"]) -> Linearisation:
        """F(y) and its Jacobian from the same forward pass."""

    @abc.abstractmethod
    def linear_solver(self) -> lx.AbstractLinearSolver:
        """The `lineax` solver for the structure of the Jacobian."""
