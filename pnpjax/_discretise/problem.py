"""The non-dimensional discrete problem: a junction on a mesh, as arrays.

Scales (see e.g. Markowich, *The Stationary Semiconductor Device Equations*, Springer 1986):
potential in units of the thermal voltage $k_BT/e$, energies in $k_BT$, length in $L_0$
(the smallest Debye length the mesh found) and concentrations in
$c_\\text{ref} = \\varepsilon_0 k_BT/(e^2L_0^2)$, so that Poisson reads
$\\nabla\\cdot(\\varepsilon_r\\nabla u) = -\\hat\\rho$ with no other constant.

Internally every mobile carrier obeys
$\\hat c = \\exp(\\ln\\hat N - \\hat E_0 - z u + \\text{sign}\\cdot g_k)$, with
$\\hat E_0 = \\text{sign}\\cdot\\mu^\\circ/k_BT$ and $g_k$ the electrochemical potential (in $k_BT$)
it
follows; sign is −1 for holes only, whose electrochemical potential is −E_F.
"""

import dataclasses

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._constants import BOLTZMANN_EV, ELEMENTARY_CHARGE, VACUUM_PERMITTIVITY
from .._custom_types import traced
from .._model.junction import Electrode, Junction, Ohmic, has_fixed_potential
from .._model.layout import Layout, build_layout, match_key
from .._model.state import Closed, ReferenceBulk
from .._thermo.activity import AbstractActivity
from .geometry import box_geometry, dimension
from .statistics import phase_log_concentrations, phase_log_gamma


@dataclasses.dataclass(frozen=True, eq=False)
class Topology:
    """Static index maps of a mesh: phase of each cell, of each node's left and right half box
    (−1 beyond the ends) and the nodes that are interfaces."""

    edge_phase: np.ndarray
    left_phase: np.ndarray
    right_phase: np.ndarray
    interface_nodes: np.ndarray


class Problem(eqx.Module):
    """Arrays (leaves, differentiable) and index maps (static) of one discretised junction."""

    layout: Layout = eqx.field(static=True)
    geometry: str = eqx.field(static=True)
    topology: Topology = eqx.field(static=True)
    dirichlet: tuple[bool, bool] = eqx.field(static=True)
    segregated: bool = eqx.field(static=True)
    kT: Array
    length_scale: Array
    c_ref: Array
    x: Array
    conductance: Array
    vol_left: Array
    vol_right: Array
    node_area: Array
    sigma_node: Array
    eps_r: Array
    ln_density: Array
    energy: Array
    frozen: Array
    background: Array
    u_boundary: Array
    g_fixed: Array
    amount: Array
    activities: tuple[tuple[AbstractActivity, ...], ...]
    shift_left: Array
    shift_right: Array

    @property
    def n_nodes(self) -> int:
        return self.x.shape[0]

    @property
    def edge_phase(self) -> np.ndarray:
        return self.topology.edge_phase

    @property
    def left_phase(self) -> np.ndarray:
        return self.topology.left_phase

    @property
    def right_phase(self) -> np.ndarray:
        return self.topology.right_phase

    @property
    def interface_nodes(self) -> np.ndarray:
        return self.topology.interface_nodes


def scales(junction: Junction, length_scale):
    """`(kT [eV], c_ref [m^-3])` for a length scale (m)."""
    kT = BOLTZMANN_EV * junction.temperature
    c_ref = VACUUM_PERMITTIVITY * kT / (ELEMENTARY_CHARGE * length_scale**2)
    return kT, c_ref


def species_arrays(junction: Junction, layout: Layout, kT, c_ref):
    """`(ln_density, energy, frozen, background)` per phase and species, non-dimensional."""
    n_p, n_s = layout.mobile.shape
    ln_density = [[jnp.zeros(()) for _ in range(n_s)] for _ in range(n_p)]
    energy = [[jnp.zeros(()) for _ in range(n_s)] for _ in range(n_p)]
    frozen = [[jnp.zeros(()) for _ in range(n_s)] for _ in range(n_p)]
    for p, phase in enumerate(junction.phases):
        for name, carrier in phase.carriers.items():
            s = layout.species.index(name)
            if carrier.mobile:
                ln_density[p][s] = jnp.log(carrier.density / c_ref)
                energy[p][s] = layout.sign[s] * carrier.mu0 / kT
            else:
                frozen[p][s] = carrier.density / c_ref
    background = jnp.stack([phase.background_charge / c_ref for phase in junction.phases])
    stack = lambda rows: jnp.stack([jnp.stack(row) for row in rows])  # noqa: E731
    return stack(ln_density), stack(energy), stack(frozen), background


def segregation_shifts(junction: Junction, layout: Layout, x, left_phase, right_phase, kT):
    """Segregation energies ΔG/k_BT `[n_nodes, n_species]` of the left and right half box of
    every node (zero where no profile applies)."""
    n = x.shape[0]
    shifts = [jnp.zeros((n, layout.n_species)), jnp.zeros((n, layout.n_species))]
    for seg in junction.segregation:
        s = layout.species.index(seg.species)
        names = seg.phases if seg.phases is not None else layout.phase_names
        hosts = [layout.phase_names.index(name) for name in names]
        mask_phases = np.zeros(len(layout.phase_names) + 1, dtype=bool)
        mask_phases[hosts] = True
        energy = seg(x) / kT
        for side, phases in enumerate((left_phase, right_phase)):
            applies = mask_phases[phases] & layout.mobile[np.maximum(phases, 0), s] & (phases >= 0)
            shifts[side] = shifts[side].at[:, s].add(jnp.where(applies, energy, 0.0))
    return shifts[0], shifts[1]


def _phase_index(layout: Layout, name: str, what: str) -> int:
    if name not in layout.phase_names:
        raise ValueError(f"{what}: unknown phase {name!r}; phases are {list(layout.phase_names)}")
    return layout.phase_names.index(name)


def _reference_log_gamma(junction: Junction, layout: Layout, p: int, kT, c_ref, ln_density):
    """ln γ `[n_species]` of the reference phase at the given bulk composition. A model whose
    activities couple its species needs all their concentrations once any of them is given."""
    state = junction.state
    given = set(state.concentrations)
    models = junction.phases[p].activity
    for model in models:
        missing = sorted(set(model.species) - given)
        if missing and not model.separable and given & set(model.species):
            raise ValueError(
                f"ReferenceBulk: {type(model).__name__}{model.species} in phase {state.phase!r} "
                f"couples its species; give the bulk concentrations of {missing} as well (m^-3)"
            )
    c = jnp.stack(
        [state.concentrations.get(name, jnp.ones(())) * jnp.ones(()) for name in layout.species]
    )
    if not traced((c, models, ln_density, c_ref)):
        ln_c_ref = float(np.log(float(c_ref)))
        for model in models:
            cols = [layout.species.index(name) for name in model.species]
            model.check_concentrations(
                np.asarray(c)[cols], np.asarray(ln_density[p])[cols] + ln_c_ref
            )
    return phase_log_gamma(models, layout.species, c, ln_density[p], kT, c_ref)


def resolve_state(junction: Junction, layout: Layout, kT, c_ref, ln_density, energy, amount_scale):
    """Fixed electrochemical potentials `g_fixed[k]` (k_BT) and scaled amounts `amount[k]`.

    Raises `ValueError` when a potential is specified twice, not at all, or by a key that
    matches nothing, and when a reference composition is not electroneutral.
    """
    state = junction.state
    n_k = layout.n_potentials
    g = [jnp.zeros(()) for _ in range(n_k)]
    amount = [jnp.zeros(()) for _ in range(n_k)]
    given = [False] * n_k
    args = (layout.keys, layout.group_of, layout.regions, layout.phase_names)
    potentials = state.potentials
    used = set()
    for k in range(n_k):
        key = match_key(potentials, k, *args)
        if key is not None:
            g[k] = potentials[key] / kT
            given[k] = True
            used.add(key)
    if isinstance(state, Closed):
        for k in range(n_k):
            key = match_key(state.amounts, k, *args)
            if key is not None:
                amount[k] = state.amounts[key] / amount_scale
                given[k] = True
                used.add(key)
        _check_unused(state.amounts, used, layout, "Closed: amounts")
    if isinstance(state, ReferenceBulk):
        p = _phase_index(layout, state.phase, "ReferenceBulk")
        conc = state.concentrations
        log_gamma = None
        for name in conc:
            if name not in layout.species or not layout.mobile[p, layout.species.index(name)]:
                raise ValueError(
                    f"ReferenceBulk: {name!r} is not a mobile species of phase {state.phase!r}"
                )
        for k in range(n_k):
            if p not in layout.regions[k]:
                continue
            if given[k]:
                raise ValueError(
                    f"ReferenceBulk: {layout.keys[k]!r} is fixed by the reference composition; "
                    "remove it from potentials"
                )
            members = [s for s in range(layout.n_species) if layout.potential_index[p, s] == k]
            named = [s for s in members if layout.species[s] in conc]
            if not named:
                raise ValueError(
                    f"ReferenceBulk: give the bulk concentration of "
                    f"{' or '.join(layout.species[s] for s in members)} in phase {state.phase!r}"
                )
            s = named[0]
            c = conc[layout.species[s]]
            if log_gamma is None:
                log_gamma = _reference_log_gamma(junction, layout, p, kT, c_ref, ln_density)
            g[k] = layout.sign[s] * (
                jnp.log(c / c_ref) - ln_density[p, s] + log_gamma[s] + energy[p, s]
            )
            given[k] = True
    _check_unused(potentials, used, layout, f"{type(state).__name__}: potentials")
    missing = [layout.keys[k] for k in range(n_k) if not given[k]]
    if missing:
        where = "amounts or potentials" if isinstance(state, Closed) else "potentials"
        raise ValueError(
            f"{type(state).__name__}: no value for {missing}; add them to {where} "
            "(key 'species', 'species@Phase' or 'E_F')"
        )
    return jnp.stack(g) if n_k else jnp.zeros((0,)), jnp.stack(amount) if n_k else jnp.zeros((0,))


def _check_unused(table, used, layout: Layout, what: str):
    aliases = {}
    for s, name in enumerate(layout.species):
        if layout.kinds[s] in ("electron", "hole"):
            aliases[name] = "E_F"
    for key in table:
        if key not in used:
            group = key.split("@")[0]
            hint = (
                f" (electrons and holes are keyed 'E_F', not {group!r})" if group in aliases else ""
            )
            raise ValueError(
                f"{what}: key {key!r} matches no mobile species region{hint}; "
                f"valid keys: {list(layout.keys)} or 'species@Phase'"
            )


def build_problem(junction: Junction, mesh) -> Problem:
    """Discretise `junction` on `mesh` (a `pnpjax.Mesh`) into a non-dimensional `Problem`."""
    layout = build_layout(junction)
    length_scale = mesh.length_scale
    kT, c_ref = scales(junction, length_scale)
    d = dimension(junction.geometry)
    x_m, edge_phase = mesh.nodes(junction)
    x = x_m / length_scale
    area_over_length, vol_left, vol_right, node_area = box_geometry(x, junction.geometry)
    eps_r = jnp.stack([phase.eps_r for phase in junction.phases])
    conductance = eps_r[edge_phase] * area_over_length
    n = x.shape[0]
    left_phase = np.concatenate([[-1], edge_phase])
    right_phase = np.concatenate([edge_phase, [-1]])
    interface_nodes = np.nonzero(np.diff(edge_phase) != 0)[0] + 1
    sigma_scale = ELEMENTARY_CHARGE * c_ref * length_scale
    sigma_node = jnp.zeros(n)
    for k, interface in enumerate(junction.interfaces):
        j = int(interface_nodes[k])
        sigma_node = sigma_node.at[j].set(node_area[j] * interface.sigma / sigma_scale)
    ln_density, energy, frozen, background = species_arrays(junction, layout, kT, c_ref)
    shift_left, shift_right = segregation_shifts(junction, layout, x_m, left_phase, right_phase, kT)
    g_fixed, amount = resolve_state(
        junction, layout, kT, c_ref, ln_density, energy, c_ref * length_scale**d
    )
    u_boundary = jnp.stack(
        [
            b.potential / kT if isinstance(b, (Electrode, Ohmic)) else jnp.zeros(())
            for b in (junction.left, junction.right)
        ]
    )
    problem = Problem(
        layout=layout,
        geometry=junction.geometry,
        topology=Topology(edge_phase, left_phase, right_phase, interface_nodes),
        dirichlet=(has_fixed_potential(junction.left), has_fixed_potential(junction.right)),
        segregated=bool(junction.segregation),
        kT=kT,
        length_scale=length_scale,
        c_ref=c_ref,
        x=x,
        conductance=conductance,
        vol_left=vol_left,
        vol_right=vol_right,
        node_area=node_area,
        sigma_node=sigma_node,
        eps_r=eps_r,
        ln_density=ln_density,
        energy=energy,
        frozen=frozen,
        background=background,
        u_boundary=u_boundary,
        g_fixed=g_fixed,
        amount=amount,
        activities=tuple(phase.activity for phase in junction.phases),
        shift_left=shift_left,
        shift_right=shift_right,
    )
    ohmic = [isinstance(b, Ohmic) for b in (junction.left, junction.right)]
    if any(ohmic):
        # an ohmic contact sits at its phase's neutral bulk potential, plus its bias
        from .poisson import neutral_potentials

        u_b, _ = neutral_potentials(problem, g_fixed)
        ends = jnp.stack([u_b[0], u_b[-1]])
        offset = jnp.where(jnp.array(ohmic), ends, 0.0)
        problem = eqx.tree_at(lambda p: p.u_boundary, problem, u_boundary + offset)
    return problem


def validate_state(junction: Junction, layout: Layout) -> None:
    """Construction-time checks of the state against the phases (concrete values only).

    Raises `ValueError` for keys that are missing or match nothing, a reference composition that
    is not electroneutral or contradicts itself (n·p), and a closed system whose fixed amounts
    cannot be neutral.
    """
    length_scale = 1e-9
    kT, c_ref = scales(junction, length_scale)
    ln_density, energy, frozen, background = species_arrays(junction, layout, kT, c_ref)
    d = dimension(junction.geometry)
    g, amount = resolve_state(
        junction, layout, kT, c_ref, ln_density, energy, c_ref * length_scale**d
    )
    if traced(junction):
        return
    z = layout.z.astype(float)
    state = junction.state
    fixed = np.asarray(frozen @ z + background) * float(c_ref)
    if isinstance(state, ReferenceBulk):
        p = layout.phase_names.index(state.phase)
        index = layout.potential_index[p]
        xi = -energy[p] + layout.sign * jnp.where(index >= 0, g[np.maximum(index, 0)], 0.0)
        log_c = phase_log_concentrations(
            junction.phases[p].activity, layout.species, xi[None], ln_density[p], kT, c_ref
        )[0]
        c = np.where(index >= 0, float(c_ref) * np.exp(np.asarray(log_c)), 0.0)
        for name, given in state.concentrations.items():
            s = layout.species.index(name)
            if abs(c[s] - float(given)) > 1e-6 * float(given):
                raise ValueError(
                    f"ReferenceBulk: {name!r} = {float(given):.6g} m^-3 contradicts the other "
                    f"given concentrations (equilibrium requires {c[s]:.6g} m^-3, e.g. "
                    "n·p = N_C N_V exp(-E_g/kT)); give only one of electrons and holes"
                )
        net = float(z @ c + fixed[p])
        scale = float(np.abs(z) @ c + abs(fixed[p]))
        if abs(net) > 1e-6 * scale:
            raise ValueError(
                f"ReferenceBulk: the bulk of {state.phase!r} is not neutral: net charge "
                f"{net:.4g} e·m^-3 (mobile carriers, frozen carriers and background_charge); "
                "adjust the concentrations so that sum(z*c) + background = 0"
            )
    if isinstance(state, Closed) and any(layout.closed):
        for k in np.nonzero(layout.closed)[0]:
            for p in layout.regions[k]:
                if junction.phases[p].thickness is None:
                    raise ValueError(
                        f"Closed: {layout.keys[k]!r} has a fixed amount but phase "
                        f"{layout.phase_names[p]!r} is semi-infinite; give it a thickness (m) or "
                        "fix that species by a potential instead"
                    )
    if isinstance(state, Closed) and layout.gauge_fixed:
        from .geometry import area, volume_between

        bounds = np.cumsum(
            [float(junction.origin)] + [float(ph.thickness) for ph in junction.phases]
        )
        volumes = np.asarray(volume_between(bounds[:-1], bounds[1:], junction.geometry))
        areas = np.asarray(area(bounds[1:-1], junction.geometry))
        sigma = np.array([float(i.sigma) for i in junction.interfaces]) / ELEMENTARY_CHARGE
        charges = [
            layout.charge_factor[k] * float(amount[k]) * float(c_ref) * length_scale**d
            for k in range(layout.n_potentials)
            if layout.closed[k]
        ]
        net = sum(charges) + float(fixed @ volumes) + float(sigma @ areas)
        scale = (
            sum(map(abs, charges)) + float(np.abs(fixed) @ volumes) + float(np.abs(sigma) @ areas)
        )
        if abs(net) > 1e-6 * scale:
            raise ValueError(
                f"Closed: a closed system with field-free ends must be neutral, but the amounts, "
                f"fixed charges and surface charges add up to {net:.6g} elementary charges "
                "(per area/length/particle); adjust the amounts"
            )
