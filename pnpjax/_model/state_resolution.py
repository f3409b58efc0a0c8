"""From a junction's state to the electrochemical potentials its species follow.

`resolve_state` turns what fixes the state (`Reservoir`, `ReferenceBulk`, `Closed`) into the
given electrochemical potentials (k_BT) and the conserved amounts of the closed species, in the
solvers' scaled units; `validate_state` runs the same resolution on concrete values at
construction, with the checks that need numbers (neutral reference bulk, consistent n·p,
neutral closed system). Shared by the equilibrium and transport discretisations and by
`Junction`, so it lives in the model layer.
"""

import jax.numpy as jnp
import numpy as np

from .._constants import BOLTZMANN_EV, ELEMENTARY_CHARGE, VACUUM_PERMITTIVITY
from .._custom_types import traced
from .._geometry import area, dimension, volume_between
from .layout import Layout, match_key
from .state import Closed, ReferenceBulk


def scales(junction, length_scale):
    """`(kT [eV], c_ref [m^-3])` for a length scale (m)."""
    kT = BOLTZMANN_EV * junction.temperature
    c_ref = VACUUM_PERMITTIVITY * kT / (ELEMENTARY_CHARGE * length_scale**2)
    return kT, c_ref


def species_arrays(junction, layout: Layout, kT, c_ref):
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


def _phase_index(layout: Layout, name: str, what: str) -> int:
    if name not in layout.phase_names:
        raise ValueError(f"{what}: unknown phase {name!r}; phases are {list(layout.phase_names)}")
    return layout.phase_names.index(name)


def _reference_log_gamma(junction, layout: Layout, p: int, kT, c_ref, ln_density):
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
    ln_c_ref = jnp.log(c_ref)
    log_gamma = jnp.zeros_like(c)
    for model in models:
        cols = np.array([layout.species.index(name) for name in model.species])
        sub = model.log_gamma(c[cols], ln_density[p][cols] + ln_c_ref, kT)
        log_gamma = log_gamma.at[cols].set(sub)
    return log_gamma


def resolve_state(junction, layout: Layout, kT, c_ref, ln_density, energy, amount_scale):
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


def validate_state(junction, layout: Layout) -> None:
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
        log_c = reference_log_concentrations(junction, layout, p, xi, ln_density, kT, c_ref)
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


def reference_log_concentrations(junction, layout: Layout, p: int, xi, ln_density, kT, c_ref):
    """ln(c/c_ref) `[S]` of phase p's mobile species at ξ `[S]` (k_BT), through its activity
    models."""
    log_c = ln_density[p] + xi
    ln_c_ref = jnp.log(c_ref)
    for model in junction.phases[p].activity:
        cols = np.array([layout.species.index(name) for name in model.species])
        sub = model.log_concentrations(xi[cols], ln_density[p][cols] + ln_c_ref, kT)
        log_c = log_c.at[cols].set(sub - ln_c_ref)
    return log_c
