"""Position-dependent energies: segregation profiles added to a species' standard chemical
potential.

Grain-boundary cores, interphases and dopant-rich shells bind (or repel) defects:
$\\mu_i^\\circ(x) = \\mu_i^\\circ + \\Delta G_{\\text{seg},i}(x)$, so that at equilibrium
$c_i(x) \\propto \\exp(-\\Delta G_{\\text{seg},i}(x)/k_BT)$ on top of the electrostatic
Boltzmann factor (through the activity model, if any). A negative ΔG attracts the species: for
electrons it lowers the conduction-band edge, for holes it raises the valence-band edge.

Site-explicit space-charge models put a segregation energy on each lattice plane near the core;
here those per-site values are interpolated linearly between the planes onto the mesh nodes,
and the energy is zero outside the listed planes.

**References:** the pyscses code, github.com/bjmorgan/pyscses (site-explicit Mott–Schottky and
Gouy–Chapman grain-boundary models with per-site segregation energies); R. A. De Souza,
*Phys. Chem. Chem. Phys.* 11, 9939 (2009) (space-charge zones at SrTiO3 grain boundaries set by
oxygen vacancies segregated to the core).
"""

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._custom_types import as_float, concrete


class Segregation(eqx.Module):
    """A segregation-energy profile ΔG(x) (eV) of one species, as a function of the position
    x (m, the junction's coordinate: the left end is `Junction.origin`).

    Give either a function, `energy(x)` or `energy(x, params)`, or per-site values
    (`positions`, `energies`), interpolated linearly between sites and zero outside them.
    `Mesh.auto` puts nodes on tabulated sites, keeps the change of ΔG below 0.2 k_BT per cell
    and grades the mesh around the profile as around an interface; with `Mesh.from_nodes`
    resolving it is up to you (check with `mesh.refined()`). `energy` is a static part of the
    model: define the function once, since a new function object recompiles the solve.

    **Arguments:**

    - `species`: the species the energy applies to.
    - `energy`: a JAX function of x (m) returning ΔG (eV), optionally taking `params`.
    - `params`: pytree of differentiable parameters passed to `energy`.
    - `positions`, `energies`: increasing site positions (m) and their ΔG (eV).
    - `phases`: names of the phases where the profile applies; `None` for all phases hosting
      the species.
    """

    species: str = eqx.field(static=True)
    energy: Callable | None = eqx.field(static=True)
    params: Any
    positions: Array | None
    energies: Array | None
    phases: tuple[str, ...] | None = eqx.field(static=True)

    def __init__(
        self,
        species: str,
        energy: Callable | None = None,
        *,
        params: Any = None,
        positions=None,
        energies=None,
        phases=None,
    ):
        if not isinstance(species, str) or not species:
            raise ValueError("Segregation: species must be a species name")
        self.species = species
        tabulated = positions is not None or energies is not None
        if (energy is None) == (not tabulated):
            raise ValueError(
                f"Segregation({species!r}): give either energy= (a function of x in m "
                "returning eV) or positions= and energies= (per-site values), not both"
            )
        if energy is not None and not callable(energy):
            raise TypeError(f"Segregation({species!r}): energy must be a function of x (m)")
        self.energy = energy
        self.params = jax.tree_util.tree_map(as_float, params)
        if tabulated:
            if positions is None or energies is None:
                raise ValueError(
                    f"Segregation({species!r}): per-site values need both positions (m) and "
                    "energies (eV)"
                )
            self.positions = as_float(positions)
            self.energies = as_float(energies)
        else:
            self.positions = self.energies = None
        if isinstance(phases, str):
            phases = (phases,)
        self.phases = None if phases is None else tuple(phases)

    def __check_init__(self):
        if self.positions is None:
            return
        x, e = concrete(self.positions), concrete(self.energies)
        if x is not None and e is not None:
            if x.ndim != 1 or x.shape != e.shape or x.size < 2:
                raise ValueError(
                    f"Segregation({self.species!r}): positions and energies must be 1-D arrays "
                    f"of equal length (at least 2 sites), got shapes {x.shape} and {e.shape}"
                )
            if not (np.all(np.isfinite(x)) and np.all(np.isfinite(e))):
                raise ValueError(f"Segregation({self.species!r}): non-finite positions/energies")
            if np.any(np.diff(x) <= 0):
                raise ValueError(
                    f"Segregation({self.species!r}): positions (m) must be strictly increasing"
                )

    def __call__(self, x):
        """ΔG (eV) at positions `x` (m)."""
        if self.energy is not None:
            value = self.energy(x) if self.params is None else self.energy(x, self.params)
            return jnp.broadcast_to(jnp.asarray(value, dtype=float), jnp.shape(x))
        return jnp.interp(x, self.positions, self.energies, left=0.0, right=0.0)
