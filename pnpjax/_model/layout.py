"""Static structure of a junction: which species live where and which potentials are unknown.

Nothing here is traced: the layout is a function of names, charges and flags only, so it can
shape arrays and choose code paths under `jax.jit`.
"""

import dataclasses

import numpy as np

from .state import Closed, ReferenceBulk, Reservoir

FERMI = "E_F"


@dataclasses.dataclass(frozen=True, eq=False)
class Layout:
    """Static description of a junction's unknowns.

    - `z[s]`, `sign[s]`: charge number; +1, or −1 for holes, whose electrochemical potential is
      −E_F in the internal convention $c = N\\exp(-(E_0 + z\\phi - \\text{sign}\\cdot g)/kT)$.
    - `mobile[p, s]`, `frozen[p, s]`: presence flags per phase.
    - `potential_index[p, s]`: which electrochemical potential (index into `keys`) a mobile
      species in phase p follows, −1 if none.
    - `keys[k]`: `"group"` or `"group@Phase"` naming potential k; `group_of[k]`, `regions[k]`.
    - `charge_factor[k]`: charge carried per unit of the conserved amount of potential k.
    """

    species: tuple[str, ...]
    kinds: tuple[str, ...]
    z: np.ndarray
    sign: np.ndarray
    phase_names: tuple[str, ...]
    mobile: np.ndarray
    frozen: np.ndarray
    potential_index: np.ndarray
    keys: tuple[str, ...]
    group_of: tuple[str, ...]
    regions: tuple[tuple[int, ...], ...]
    charge_factor: np.ndarray
    closed: tuple[bool, ...]
    has_dirichlet: bool

    @property
    def n_species(self) -> int:
        return len(self.species)

    @property
    def n_potentials(self) -> int:
        return len(self.keys)

    @property
    def free(self) -> np.ndarray:
        """Indices of the potentials that are unknowns (closed amounts)."""
        return np.array([k for k, c in enumerate(self.closed) if c], dtype=int)

    @property
    def gauge_fixed(self) -> bool:
        """True when φ and the potentials are defined only up to a common shift (no electrode,
        every charged potential closed): one conservation law is then replaced by φ(left) = 0."""
        charged = [k for k in range(self.n_potentials) if self.charge_factor[k] != 0]
        return (not self.has_dirichlet) and bool(charged) and all(self.closed[k] for k in charged)


def group_name(species) -> str:
    return FERMI if species.kind in ("electron", "hole") else species.name


def build_layout(junction) -> Layout:
    """The static `Layout` of a `Junction`."""
    species = junction.species
    names = tuple(s.name for s in species)
    n_p, n_s = len(junction.phases), len(species)
    mobile = np.zeros((n_p, n_s), bool)
    frozen = np.zeros((n_p, n_s), bool)
    for p, phase in enumerate(junction.phases):
        for name, carrier in phase.carriers.items():
            s = names.index(name)
            (mobile if carrier.mobile else frozen)[p, s] = True
    groups = []
    for s in species:
        g = group_name(s)
        if g not in groups:
            groups.append(g)
    keys, group_of, regions, charge_factor = [], [], [], []
    potential_index = -np.ones((n_p, n_s), int)
    for g in groups:
        members = [i for i, s in enumerate(species) if group_name(s) == g]
        present = mobile[:, members].any(axis=1)
        runs, current = [], []
        for p in range(n_p):
            blocked = p > 0 and any(
                b in (g, *[names[i] for i in members]) for b in junction.interfaces[p - 1].blocked
            )
            if present[p] and current and not blocked:
                current.append(p)
            else:
                if current:
                    runs.append(tuple(current))
                current = [p] if present[p] else []
        if current:
            runs.append(tuple(current))
        for run in runs:
            k = len(keys)
            keys.append(g if len(runs) == 1 else f"{g}@{junction.phases[run[0]].name}")
            group_of.append(g)
            regions.append(run)
            charge_factor.append(-1 if g == FERMI else species[members[0]].charge)
            for p in run:
                for i in members:
                    if mobile[p, i]:
                        potential_index[p, i] = k
    closed = _is_closed(junction.state, keys, group_of, regions, junction)
    has_dirichlet = junction.left.fixes_potential or junction.right.fixes_potential
    layout = Layout(
        species=names,
        kinds=tuple(s.kind for s in species),
        z=np.array([s.charge for s in species], float),
        sign=np.array([-1.0 if s.kind == "hole" else 1.0 for s in species]),
        phase_names=tuple(p.name for p in junction.phases),
        mobile=mobile,
        frozen=frozen,
        potential_index=potential_index,
        keys=tuple(keys),
        group_of=tuple(group_of),
        regions=tuple(regions),
        charge_factor=np.array(charge_factor, float),
        closed=closed,
        has_dirichlet=has_dirichlet,
    )
    if not any(layout.z[i] != 0 for i in range(n_s) if mobile[:, i].any()) and not has_dirichlet:
        raise ValueError(
            "Junction: no mobile charged species and no Electrode boundary, so the potential is "
            "undetermined; add a mobile carrier or an Electrode"
        )
    return layout


def match_key(table: dict, k: int, keys, group_of, regions, phase_names):
    """The key of `table` addressing potential k: `"group@Phase"` for a phase of its region,
    else `"group"` (electrons and holes are the group `"E_F"`); `None` if there is none."""
    for p in regions[k]:
        key = f"{group_of[k]}@{phase_names[p]}"
        if key in table:
            return key
    if group_of[k] in table:
        return group_of[k]
    return None


def _is_closed(state, keys, group_of, regions, junction):
    phase_names = tuple(p.name for p in junction.phases)
    if isinstance(state, Closed):
        return tuple(
            match_key(state.amounts, k, keys, group_of, regions, phase_names) is not None
            for k in range(len(keys))
        )
    if isinstance(state, (Reservoir, ReferenceBulk)):
        return tuple(False for _ in keys)
    raise TypeError(f"unknown state {type(state)}")
