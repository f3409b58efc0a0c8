"""pnpjax: differentiable, batched space-charge layers at solid–solid interfaces.

Importing pnpjax switches JAX to float64 (`jax_enable_x64`), which every solve needs.
"""

import jax as _jax

_jax.config.update("jax_enable_x64", True)

from . import units as units  # noqa: E402
from ._mesh import Mesh as Mesh  # noqa: E402
from ._model.junction import (  # noqa: E402
    Bulk as Bulk,
    Electrode as Electrode,
    Interface as Interface,
    Junction as Junction,
    Symmetry as Symmetry,
)
from ._model.phase import Carrier as Carrier, Phase as Phase  # noqa: E402
from ._model.species import Species as Species, parse_kroger_vink as parse_kroger_vink  # noqa: E402
from ._model.state import Closed as Closed, ReferenceBulk as ReferenceBulk, Reservoir as Reservoir  # noqa: E402
from ._results import EquilibriumSolution as EquilibriumSolution  # noqa: E402
from ._solvers.capacitance import differential_capacitance as differential_capacitance  # noqa: E402
from ._solvers.equilibrium import solve_equilibrium as solve_equilibrium  # noqa: E402
from ._solvers.newton import Newton as Newton  # noqa: E402

__version__ = "0.1.0"
