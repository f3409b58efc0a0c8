"""Brouwer diagrams: defect concentrations against a component's activity, in one batched solve."""

import jax
import jax.numpy as jnp
import numpy as np

from .._constants import BOLTZMANN_EV
from .._program import program
from .defect_equilibrium import DefectEquilibrium, prepare, solve_prepared
from .defects import DefectChemistry


def brouwer(
    chemistry: DefectChemistry,
    temperature,
    *,
    activities: dict | None = None,
    chemical_potentials: dict | None = None,
    fixed: dict | None = None,
    totals: dict | None = None,
    max_steps: int = 100,
    tol: float = 1e-12,
    throw: bool = True,
) -> DefectEquilibrium:
    """Solve a `DefectChemistry` along a path of conditions, in one `vmap`ped call.

    The arguments are those of `solve_defects`; any of them may be a 1-D array (all arrays the
    same length, scalars broadcast), typically `activities={"O2": jnp.logspace(-40, 5, 200)}`.

    **Returns:** a `DefectEquilibrium` whose arrays have a leading axis along the path; plot it
    with `brouwer_plot`.

    **Reference:** G. Brouwer, *Philips Res. Rep.* 9, 366 (1954).
    """
    inputs, is_potential = prepare(
        chemistry, temperature, activities, chemical_potentials, fixed, totals
    )
    leaves = jax.tree_util.tree_leaves(inputs)
    shape = np.broadcast_shapes(*(np.shape(leaf) for leaf in leaves))
    if len(shape) != 1:
        raise ValueError(
            f"brouwer: the conditions must broadcast to one axis (a path of points), got shape "
            f"{shape}; use jax.vmap over solve_defects for grids"
        )
    inputs = jax.tree_util.tree_map(lambda leaf: jnp.broadcast_to(leaf, shape), inputs)
    return _batched(chemistry, inputs, is_potential, max_steps, tol, throw)


@program
def _batched(chemistry, inputs, is_potential, max_steps, tol, throw):
    def one(point):
        return solve_prepared(chemistry, point, is_potential, max_steps, tol, throw)

    return jax.vmap(one)(inputs)


def _varying_component(result: DefectEquilibrium) -> str:
    components = [
        k for k in result.log_activities if k not in result.species and k not in result.fixed
    ]
    varying = [
        c for c in components if np.ptp(np.atleast_1d(np.asarray(result.log_activities[c]))) > 0
    ]
    if len(varying) != 1:
        raise ValueError(
            f"brouwer_plot: cannot tell which component is on the x axis (components "
            f"{components}, varying {varying}); pass x=..."
        )
    return varying[0]


def brouwer_plot(
    result: DefectEquilibrium,
    x: str | None = None,
    *,
    species=None,
    chemical_potential: bool = False,
    fermi_level: bool = False,
    ax=None,
    **line_kwargs,
):
    """Plot a Brouwer diagram: $\\log_{10} c$ (m^-3) of each species against $\\log_{10} a$ of a
    component (or its chemical potential $\\mu = k_BT\\ln a$, eV).

    **Arguments:**

    - `result`: a batched `DefectEquilibrium` from `brouwer`.
    - `x`: the component on the x axis (default: the one that varies).
    - `species`: the species to draw (default: the fixed dopants and the solved species but
      the regular lattice species).
    - `chemical_potential`: x axis in eV instead of $\\log_{10} a$.
    - `fermi_level`: also draw the Fermi level (eV, right axis).
    - `ax`: matplotlib axes to draw into (default: a new figure).
    - `line_kwargs`: passed to every `ax.plot`.

    **Returns:** the matplotlib axes (the Fermi level, when drawn, is on a twin axis,
    `ax.figure.axes[-1]`).
    """
    import matplotlib.pyplot as plt

    x = _varying_component(result) if x is None else x
    if x not in result.log_activities or x in result.species or x in result.fixed:
        raise ValueError(f"brouwer_plot: {x!r} is not a component of this result")
    log_a = np.asarray(result.log_activities[x])
    if chemical_potential:
        xs = BOLTZMANN_EV * np.asarray(result.temperature) * log_a
        xlabel = f"μ({x}) (eV)"
    else:
        xs = log_a / np.log(10.0)
        xlabel = f"log₁₀ a({x})"
    if species is None:
        species = list(result.fixed) + [s for s in result.species if s not in result.regular]
    if ax is None:
        _, ax = plt.subplots()
    for name in species:
        ax.plot(xs, np.log10(np.asarray(result.concentration(name))), label=name, **line_kwargs)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("log₁₀ c (m⁻³)")
    ax.legend(loc="best", fontsize="small")
    if fermi_level:
        right = ax.twinx()
        right.plot(xs, np.asarray(result.fermi_level), "k--", label="E_F")
        right.set_ylabel(f"E_F − {result.fermi_reference} (eV)")
    return ax
