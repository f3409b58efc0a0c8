"""The equilibrium solution and the quantities derived from it, all in SI units."""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from .._constants import BOLTZMANN_EV, ELEMENTARY_CHARGE, VACUUM_PERMITTIVITY
from .._discretise.phases import Bulk, bulk_state, charge_density
from .._discretise.poisson import (
    amount_weights,
    full_potentials,
    half_box_concentrations,
    split,
)
from .._discretise.problem import Problem
from .._geometry import dimension
from .._solution import RESULTS, message
from .._solution import name as result_name
from .table import write_csv


class EquilibriumSolution(eqx.Module):
    """Equilibrium profiles of a junction and what follows from them (SI units, energies in eV).

    Profiles are given on `x` (m), the mesh nodes with every interface node listed twice (left
    phase, then right phase), so concentration jumps plot as steps; `phase` says which phase
    each entry belongs to. `x_nodes`/`phi_nodes` hold the plain mesh.

    **Fields:**

    - `x` (m), `phi` (V), `E` (V/m), `D` (C/m^2), `rho` (C/m^3), `phase` (index).
    - `concentration` `[species, x]` (m^-3); `site_fraction` `[species, x]` (c/N, dimensionless).
    - `E_C`, `E_V`, `fermi_level` (eV): band edges $E_C = E_{C}^\\circ - e\\phi$ and the Fermi level
      where the phase has electrons/holes, NaN elsewhere.
    - `electrochemical_potentials` (eV), keyed by `potential_keys`.
    - `bulk_potential` (V), `bulk_concentration` `[phase, species]` (m^-3) and `debye_length` (m,
      multi-species formula, mobile carriers only) of each phase's neutral bulk; `has_bulk` says
      whether the phase has a neutral state (NaN/inf otherwise).
    - Per interface: `interface_potential` (V); `space_charge_potential` `[interface, side]` (V),
      φ(interface) − φ_bulk of the left (0) and right (1) phase; `built_in_potential` (V),
      φ_bulk(right) − φ_bulk(left); `excess_charge` `[interface, side]` (C/m^2, space charge per
      interface area on each side); `layer_width` `[interface, side]` (m, charge-weighted mean
      distance from the interface: λ for Debye–Hückel, w/2 for Mott–Schottky).
    - `boundary_charge` `[left, right]` (C/m^2): charge per area on the end faces (an electrode's
      surface charge; zero at field-free ends).
    - `amounts` (per potential key; geometry's measure) and `total_charge` (C per area, length or
      particle, surface charges included).
    - `result` (a `pnpjax.RESULTS` item; `message` says it in words), `iterations` (Newton
      steps), `residual` (relative, of the last Newton step).
    """

    species: tuple[str, ...] = eqx.field(static=True)
    phase_names: tuple[str, ...] = eqx.field(static=True)
    potential_keys: tuple[str, ...] = eqx.field(static=True)
    geometry: str = eqx.field(static=True)
    x: Float[Array, " m"]
    phi: Float[Array, " m"]
    E: Float[Array, " m"]
    D: Float[Array, " m"]
    rho: Float[Array, " m"]
    phase: Int[Array, " m"]
    concentration: Float[Array, "s m"]
    site_fraction: Float[Array, "s m"]
    E_C: Float[Array, " m"]
    E_V: Float[Array, " m"]
    fermi_level: Float[Array, " m"]
    x_nodes: Float[Array, " n"]
    phi_nodes: Float[Array, " n"]
    electrochemical_potentials: Float[Array, " k"]
    bulk_potential: Float[Array, " p"]
    bulk_concentration: Float[Array, "p s"]
    has_bulk: Array
    debye_length: Float[Array, " p"]
    interface_potential: Float[Array, " i"]
    space_charge_potential: Float[Array, "i 2"]
    built_in_potential: Float[Array, " i"]
    excess_charge: Float[Array, "i 2"]
    layer_width: Float[Array, "i 2"]
    boundary_charge: Float[Array, " 2"]
    amounts: Float[Array, " k"]
    total_charge: Float[Array, ""]
    temperature: Float[Array, ""]
    result: RESULTS
    iterations: Int[Array, ""]
    residual: Float[Array, ""]

    @property
    def converged(self):
        """True where the solve succeeded (an array for a batch)."""
        return jnp.asarray(self.result._value) == 0

    @property
    def message(self) -> str:
        """Why the solve ended, in words ("success" when it succeeded)."""
        return message(self.result)

    def concentration_of(self, species: str) -> Float[Array, " m"]:
        """Concentration profile (m^-3) of one species (batched solutions keep their leading
        axes)."""
        return self.concentration[..., self._species_index(species), :]

    def _species_index(self, species: str) -> int:
        if species not in self.species:
            raise KeyError(f"unknown species {species!r}; known: {list(self.species)}")
        return self.species.index(species)

    def electrochemical_potential(self, key: str) -> Float[Array, ""]:
        """Electrochemical potential (eV) of a species or `"E_F"` (key as in `potential_keys`)."""
        if key not in self.potential_keys:
            raise KeyError(f"unknown potential {key!r}; known: {list(self.potential_keys)}")
        return self.electrochemical_potentials[..., self.potential_keys.index(key)]

    def to_dict(self) -> dict[str, np.ndarray]:
        """Profiles as NumPy arrays keyed by column name with units (`"x [m]"`, ...)."""
        table = {
            "x [m]": np.asarray(self.x),
            "phase": np.asarray(self.phase),
            "phi [V]": np.asarray(self.phi),
            "E [V/m]": np.asarray(self.E),
            "D [C/m^2]": np.asarray(self.D),
            "rho [C/m^3]": np.asarray(self.rho),
        }
        for i, name in enumerate(self.species):
            table[f"c[{name}] [m^-3]"] = np.asarray(self.concentration[i])
        if np.any(np.isfinite(np.asarray(self.E_C))) or np.any(np.isfinite(np.asarray(self.E_V))):
            table["E_C [eV]"] = np.asarray(self.E_C)
            table["E_V [eV]"] = np.asarray(self.E_V)
            table["E_F [eV]"] = np.asarray(self.fermi_level)
        return table

    def summary(self) -> dict:
        """Scalar results as plain Python numbers (SI units, eV), for printing or JSON."""
        out = {
            "result": result_name(self.result),
            "message": message(self.result),
            "iterations": int(self.iterations),
            "relative_residual": float(self.residual),
            "nodes": int(self.x_nodes.shape[0]),
            "electrochemical_potentials_eV": dict(
                zip(self.potential_keys, map(float, np.asarray(self.electrochemical_potentials)))
            ),
            "phases": {},
            "interfaces": [],
        }
        for p, name in enumerate(self.phase_names):
            out["phases"][name] = {
                "bulk_potential_V": float(self.bulk_potential[p]),
                "debye_length_m": float(self.debye_length[p]),
                "bulk_concentration_m-3": dict(
                    zip(self.species, map(float, np.asarray(self.bulk_concentration[p])))
                ),
            }
        for k in range(self.interface_potential.shape[0]):
            out["interfaces"].append(
                {
                    "between": [self.phase_names[k], self.phase_names[k + 1]],
                    "built_in_potential_V": float(self.built_in_potential[k]),
                    "space_charge_potential_V": list(map(float, self.space_charge_potential[k])),
                    "excess_charge_C_m-2": list(map(float, self.excess_charge[k])),
                    "layer_width_m": list(map(float, self.layer_width[k])),
                }
            )
        return out

    def to_csv(self, path) -> None:
        """Write the profiles to a CSV file with a header naming each column and its unit."""
        write_csv(path, self.to_dict())


def profile_entries(problem: Problem):
    """Static (node, side) pairs of the profile: side 0 = left half box, 1 = right, 2 = both."""
    n = problem.n_nodes
    interfaces = set(int(j) for j in problem.interface_nodes)
    nodes, sides = [], []
    for j in range(n):
        if j in interfaces:
            nodes += [j, j]
            sides += [0, 1]
        elif j == 0:
            nodes.append(j)
            sides.append(1)
        elif j == n - 1:
            nodes.append(j)
            sides.append(0)
        else:
            nodes.append(j)
            sides.append(2)
    return np.array(nodes), np.array(sides)


def _half_boxes_between(n: int, lo: int, hi: int):
    """Masks of the half boxes covering the cells between nodes lo < hi: right halves of
    nodes lo..hi−1 and left halves of nodes lo+1..hi."""
    left, right = np.zeros(n), np.zeros(n)
    right[lo:hi] = 1.0
    left[lo + 1 : hi + 1] = 1.0
    return left, right


def side_splits(problem: Problem) -> list[int]:
    """Node splitting each phase between its two interfaces (its middle node), else its far end:
    the outer limits of the interface sides, `[start, split_1, ..., split_(n_int−1), end]`."""
    n_int = problem.interface_nodes.size
    bounds = [0] + [int(j) for j in problem.interface_nodes] + [problem.n_nodes - 1]
    middles = [(bounds[k] + bounds[k + 1]) // 2 for k in range(1, n_int)]
    return [0, *middles, problem.n_nodes - 1]


def _side_sums(problem: Problem, box_left, box_right, x, splits=None):
    """Charge and charge-weighted mean distance on each side of each interface (scaled).

    A side extends from the interface to the far end of its phase, or to the split node
    (`side_splits`) when another interface bounds the phase there."""
    n_int = problem.interface_nodes.size
    if not n_int:
        return jnp.zeros((0, 2)), jnp.zeros((0, 2))
    n = problem.n_nodes
    splits = side_splits(problem) if splits is None else splits
    excess, width = [], []
    for k in range(n_int):
        node = int(problem.interface_nodes[k])
        left_start, right_end = splits[k], splits[k + 1]
        sides = []
        for lo, hi in ((left_start, node), (node, right_end)):
            mask_left, mask_right = _half_boxes_between(n, lo, hi)
            q = mask_left * box_left + mask_right * box_right
            distance = jnp.abs(x - x[node])
            mean = (jnp.abs(q) * distance).sum() / jnp.maximum(jnp.abs(q).sum(), 1e-300)
            sides.append((q.sum(), mean))
        excess.append(jnp.stack([s[0] for s in sides]))
        width.append(jnp.stack([s[1] for s in sides]))
    return jnp.stack(excess), jnp.stack(width)


def make_solution(
    problem: Problem, y, iterations, rel, result, bulk: Bulk, splits=None
) -> EquilibriumSolution:
    """Convert the non-dimensional solution `y` into an `EquilibriumSolution`, with every
    phase's neutral `bulk` at its potentials (`splits`: see `side_splits`)."""
    layout = problem.layout
    u, g_free = split(problem, y)
    g = full_potentials(problem, g_free)
    kT, L0, c_ref = problem.kT, problem.length_scale, problem.c_ref
    e = ELEMENTARY_CHARGE
    charge_scale = e * c_ref * L0  # C/m^2 per unit scaled surface charge
    nodes, sides = profile_entries(problem)
    lp, rp = problem.left_phase, problem.right_phase
    n = problem.n_nodes
    c_half = (
        half_box_concentrations(problem, u, g)
        + problem.frozen[np.maximum(problem.topology.half_phase, 0)]
    )
    c_left, c_right = c_half[:n], c_half[n:]
    rho_left = charge_density(problem.phases, lp, c_left)
    rho_right = charge_density(problem.phases, rp, c_right)
    box_left = problem.vol_left * rho_left
    box_right = problem.vol_right * rho_right
    flux = problem.conductance * (u[:-1] - u[1:])
    zero = jnp.zeros((1,))
    area = problem.node_area
    d_minus = (jnp.concatenate([zero, flux]) + box_left) / area
    d_plus = (jnp.concatenate([flux, zero]) - box_right) / area
    entry_phase = np.where(sides == 0, lp[nodes], rp[nodes])
    use_left = sides == 0
    c_entry = jnp.where(use_left[:, None], c_left[nodes], c_right[nodes])
    rho_entry = jnp.where(use_left, rho_left[nodes], rho_right[nodes])
    d_entry = jnp.where(
        sides == 0,
        d_minus[nodes],
        jnp.where(sides == 1, d_plus[nodes], 0.5 * (d_minus + d_plus)[nodes]),
    )
    eps_entry = problem.eps_r[entry_phase]
    phi = u * kT
    density = jnp.exp(problem.ln_density) * c_ref
    frozen_entry = layout.frozen[entry_phase]
    site_density = jnp.where(
        frozen_entry, jnp.maximum(problem.frozen[entry_phase] * c_ref, 1e-300), density[entry_phase]
    )
    conc = c_entry * c_ref
    present = layout.mobile[entry_phase] | frozen_entry
    site_fraction = jnp.where(present, conc / site_density, 0.0)
    # band edges: E_C = E_C° − eφ for electrons; E_V = E_V° − eφ for holes (E0 = −E_V/kT)
    kinds = layout.kinds
    shift_entry = jnp.where(
        use_left[:, None], problem.shift_left[nodes], problem.shift_right[nodes]
    )
    nan = jnp.full(nodes.shape, jnp.nan)
    e_c, e_v, fermi = nan, nan, nan
    for s, kind in enumerate(kinds):
        has = layout.mobile[entry_phase, s]
        if kind == "electron":
            e_c = jnp.where(
                has, (problem.energy[entry_phase, s] + shift_entry[:, s]) * kT - phi[nodes], e_c
            )
        if kind == "hole":
            e_v = jnp.where(
                has, -(problem.energy[entry_phase, s] + shift_entry[:, s]) * kT - phi[nodes], e_v
            )
        if kind in ("electron", "hole"):
            k = layout.potential_index[entry_phase, s]
            g_entry = g[np.maximum(k, 0)] if layout.n_potentials else jnp.zeros(nodes.shape)
            fermi = jnp.where(has, g_entry * kT, fermi)
    debye = bulk.debye_lengths(problem.phases) * L0
    phi_b = jnp.where(bulk.exists, bulk.u * kT, jnp.nan)
    interfaces = problem.interface_nodes
    phi_i = phi[interfaces]
    n_int = interfaces.size
    sc = jnp.stack([phi_i - phi_b[:-1], phi_i - phi_b[1:]], axis=1) if n_int else jnp.zeros((0, 2))
    built_in = phi_b[1:] - phi_b[:-1]
    excess, width = _side_sums(problem, box_left, box_right, problem.x, splits)
    if n_int:
        excess = excess / area[interfaces][:, None] * charge_scale
        width = width * L0
    boundary_charge = jnp.stack([d_plus[0], -d_minus[-1]]) * charge_scale
    d_scale = charge_scale
    amounts = _amounts(problem, c_left, c_right) * c_ref * L0 ** dimension(problem.geometry)
    total = (
        (box_left.sum() + box_right.sum() + problem.sigma_node.sum())
        * e
        * c_ref
        * L0 ** dimension(problem.geometry)
    )
    return EquilibriumSolution(
        species=layout.species,
        phase_names=layout.phase_names,
        potential_keys=layout.keys,
        geometry=problem.geometry,
        x=problem.x[nodes] * L0,
        phi=phi[nodes],
        E=d_entry * d_scale / (VACUUM_PERMITTIVITY * eps_entry),
        D=d_entry * d_scale,
        rho=rho_entry * e * c_ref,
        phase=jnp.asarray(entry_phase),
        concentration=conc.T,
        site_fraction=site_fraction.T,
        E_C=e_c,
        E_V=e_v,
        fermi_level=fermi,
        x_nodes=problem.x * L0,
        phi_nodes=phi,
        electrochemical_potentials=g * kT,
        bulk_potential=phi_b,
        bulk_concentration=bulk.concentration * c_ref,
        has_bulk=bulk.exists,
        debye_length=debye,
        interface_potential=phi_i,
        space_charge_potential=sc,
        built_in_potential=built_in,
        excess_charge=excess,
        layer_width=width,
        boundary_charge=boundary_charge,
        amounts=amounts,
        total_charge=total,
        temperature=kT / BOLTZMANN_EV,
        result=result,
        iterations=iterations,
        residual=rel,
    )


def _amounts(problem: Problem, c_left, c_right):
    """∫ sign·c dV per electrochemical potential (scaled)."""
    weights = amount_weights(problem, problem.topology.half_phase)
    c = jnp.concatenate([c_left, c_right])
    return jnp.einsum("m,ms,msk->k", problem.half_volume, c, weights)


RECONSTRUCTED_FIELDS = ("E", "D", "excess_charge", "layer_width", "boundary_charge", "total_charge")
"""Fields obtained by quadrature over half boxes: extrapolated from both solutions rather than
recomputed from the extrapolated potential."""


def richardson(
    coarse_problem: Problem, fine_problem: Problem, y_coarse, y_fine, stats
) -> EquilibriumSolution:
    """Richardson extrapolation of a second-order solution on a mesh and on its refinement
    (every cell halved): $y = (4 y_{h/2} - y_h)/3$ at the coarse nodes, fourth-order accurate
    where the solution is smooth. Profiles and concentrations follow from the extrapolated
    potential; quantities integrated over half boxes are extrapolated the same way.

    **Reference:** L. F. Richardson, *Phil. Trans. R. Soc. A* 226, 299 (1927).
    """
    n = coarse_problem.n_nodes
    u_fine, g_fine = split(fine_problem, y_fine)
    y_extrapolated = (4 * jnp.concatenate([u_fine[::2], g_fine]) - y_coarse) / 3
    iterations, rel, result = stats
    bulk = coarse_problem.bulk
    if bulk is None:
        g = full_potentials(coarse_problem, split(coarse_problem, y_extrapolated)[1])
        bulk = bulk_state(coarse_problem.phases, g)
    solution = make_solution(coarse_problem, y_extrapolated, iterations, rel, result, bulk)
    # the fields integrated over half boxes, from both solutions (their bulk is not used)
    coarse = make_solution(coarse_problem, y_coarse, iterations, rel, result, bulk)
    # the same integration regions on both meshes: coarse node j is fine node 2j
    fine_splits = [2 * j for j in side_splits(coarse_problem)]
    fine = make_solution(fine_problem, y_fine, iterations, rel, result, bulk, fine_splits)
    fine_index = {
        (int(j), int(s)): i for i, (j, s) in enumerate(zip(*profile_entries(fine_problem)))
    }
    entries = np.array(
        [fine_index[(2 * int(j), int(s))] for j, s in zip(*profile_entries(coarse_problem))]
    )
    assert fine_problem.n_nodes == 2 * n - 1
    updates = {}
    for name in RECONSTRUCTED_FIELDS:
        c, f = getattr(coarse, name), getattr(fine, name)
        if name in ("E", "D"):
            f = f[entries]
        updates[name] = (4 * f - c) / 3
    return eqx.tree_at(
        lambda s: [getattr(s, k) for k in RECONSTRUCTED_FIELDS],
        solution,
        [updates[k] for k in RECONSTRUCTED_FIELDS],
    )
