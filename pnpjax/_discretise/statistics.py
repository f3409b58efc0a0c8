"""Carrier statistics: the one place activity models enter the discretisations.

A species is ideal (Boltzmann) unless an activity model of its phase covers it. Both the
equilibrium (concentrations from electrochemical potentials) and the transport rows (activity
coefficients of given concentrations) evaluate the models here, on stacked rows: the half boxes
of every node, or of every phase's bulk, in one call. Models of the same kind for the same
species in several phases (site saturation of Li in both phases of a cathode | electrolyte
pair) form one `ModelGroup` whose parameters are stacked by phase, so each kind is evaluated
once per call whatever the number of phases: one evaluation in the compiled program instead of
one per phase, half box and call site.

Units: solvers work with $\\ln\\hat c = \\ln(c/c_\\text{ref})$ and
$\\xi_i = (\\tilde\\mu_i - \\mu_i^\\circ - z_ie\\phi)/k_BT$, so that the ideal law is
$\\ln\\hat c = \\ln\\hat N + \\xi$; the models see SI concentrations (m^-3) and eV.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._thermo.activity import AbstractActivity


class ModelGroup(eqx.Module):
    """Activity models of one kind (class, species and static settings) in `phases`, their
    float leaves stacked along a leading phase axis when more than one phase has one."""

    model: AbstractActivity
    phases: tuple[int, ...] = eqx.field(static=True)
    columns: tuple[int, ...] = eqx.field(static=True)

    @property
    def stacked(self) -> bool:
        return len(self.phases) > 1

    def _member_rows(self, phase_rows: np.ndarray) -> np.ndarray:
        """Index of each row's phase among the members (0 for rows of other phases)."""
        lookup = np.zeros(max(max(self.phases), int(phase_rows.max(initial=0))) + 1, int)
        lookup[list(self.phases)] = np.arange(len(self.phases))
        return lookup[np.maximum(phase_rows, 0)]

    def apply(self, method: str, phase_rows: np.ndarray, *per_row):
        """`model.<method>(...)` at every row, each with its own phase's parameters: the
        models see one site at a time (species on the last axis, `[n]`; a scalar k_BT)."""
        columns = np.asarray(self.columns)
        m = len(phase_rows)
        args = [a[:, columns] if a.ndim == 2 else jnp.broadcast_to(a, (m,)) for a in per_row]
        if not self.stacked:
            return jax.vmap(lambda *row: getattr(self.model, method)(*row))(*args)
        dynamic, static = eqx.partition(self.model, eqx.is_array)
        members = self._member_rows(phase_rows)
        rows_model = jax.tree_util.tree_map(lambda leaf: leaf[members], dynamic)

        def one(leaves, *row):
            return getattr(eqx.combine(leaves, static), method)(*row)

        return jax.vmap(one)(rows_model, *args)


class Statistics(eqx.Module):
    """The activity models of every phase, grouped by kind (see the module docstring)."""

    groups: tuple[ModelGroup, ...]

    @property
    def ideal(self) -> bool:
        return not self.groups

    def covered(self, n_phases: int, n_species: int) -> np.ndarray:
        """`[n_phases, S]`: species covered by an activity model in each phase."""
        out = np.zeros((n_phases, n_species), bool)
        for group in self.groups:
            for p in group.phases:
                out[p, list(group.columns)] = True
        return out

    def log_concentrations(
        self, phase_rows: np.ndarray, xi, log_density, kT, log_c_ref
    ) -> Float[Array, "m s"]:
        """ln(c/c_ref) `[m, S]` at `m` rows from ξ `[m, S]` (k_BT) and ln(N/c_ref)
        `[m, S]` of each row's phase (`phase_rows` `[m]`, static), at k_BT `kT` (eV; scalar or
        `[m]`)."""
        log_c = log_density + xi
        for group in self.groups:
            rows = np.isin(phase_rows, group.phases)
            if not rows.any():
                continue
            sub = group.apply(
                "log_concentrations", phase_rows, xi, log_density + log_c_ref, jnp.asarray(kT)
            )
            columns = np.asarray(group.columns)
            updated = jnp.where(rows[:, None], sub - log_c_ref, log_c[:, columns])
            log_c = log_c.at[:, columns].set(updated)
        return log_c

    def log_gamma(self, phase_rows: np.ndarray, c, log_density, kT, log_c_ref):
        """ln γ `[m, S]` (0 for ideal species) at concentrations c `[m, S]` (m^-3) with
        ln(N/c_ref) `[m, S]` of each row's phase, at k_BT `kT` (eV; scalar or `[m]`)."""
        out = jnp.zeros_like(c)
        for group in self.groups:
            rows = np.isin(phase_rows, group.phases)
            if not rows.any():
                continue
            sub = group.apply("log_gamma", phase_rows, c, log_density + log_c_ref, jnp.asarray(kT))
            columns = np.asarray(group.columns)
            out = out.at[:, columns].set(jnp.where(rows[:, None], sub, 0.0))
        return out


def _signature(model: AbstractActivity):
    leaves, treedef = jax.tree_util.tree_flatten(model)
    shapes = tuple(np.shape(leaf) for leaf in leaves)
    return type(model), treedef, shapes


def group_models(activities, species: tuple[str, ...]) -> Statistics:
    """`Statistics` from the activity models of each phase (`activities[p]`, a tuple of
    models): models of the same kind in several phases share a group."""
    groups: list[tuple[object, list[int], list[AbstractActivity]]] = []
    for p, models in enumerate(activities):
        for model in models:
            signature = _signature(model)
            for key, phases, members in groups:
                if key == signature and p not in phases:
                    phases.append(p)
                    members.append(model)
                    break
            else:
                groups.append((signature, [p], [model]))
    out = []
    for _, phases, members in groups:
        columns = tuple(species.index(name) for name in members[0].species)
        if len(members) == 1:
            model = members[0]
        else:
            model = jax.tree_util.tree_map(lambda *leaves: jnp.stack(leaves), *members)
        out.append(ModelGroup(model, tuple(phases), columns))
    return Statistics(tuple(out))
