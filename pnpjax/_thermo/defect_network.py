"""The linear skeleton of a defect chemistry: which log-activities are unknown, the mass-action
relations between them, and the conservation constraints that close the system.

Every mass-action law (a reaction, or a formation energy, which is the reaction that forms the
defect from the perfect crystal, the reservoirs and the Fermi level) is linear in the
log-activities, $R\\,\\ln a = \\ln K - C\\ln a_\\text{components}$. Neutrality, site balances and
given totals are linear in the concentrations, $M^\\top c = b$. When every relation conserves
every constrained quantity ($RM = 0$) and the counts match, the solutions of the relations are
exactly $\\ln a = p + M\\lambda$ with one multiplier $\\lambda_k$ per constraint, and the
constraints become $m$ equations in $m$ unknowns, with $m$ usually one to three.

**Reference:** W. R. Smith and R. W. Missen, *Chemical Reaction Equilibrium Analysis*, Wiley
(1982), ch. 2 and 6 (stoichiometric subspaces and element potentials).
"""

import abc
import dataclasses
from fractions import Fraction

import equinox as eqx
import numpy as np
from jaxtyping import Array

from .._custom_types import check
from .defect_labels import COMPONENT, DEFECT, ELECTRON, HOLE, Label, parse_label
from .reaction import signed

CHARGE = "charge"
SITE = "site"
TOTAL = "total"


@dataclasses.dataclass(frozen=True)
class Relation:
    """One mass-action law: `unknown`·ln a + `component`·ln a_c = ln K of `source`."""

    source: tuple  # ("reaction", i), ("defect", i), ("band", "electron"|"hole")
    unknown: tuple[float, ...]
    component: tuple[float, ...]


@dataclasses.dataclass(frozen=True)
class Constraint:
    """One linear constraint $\\sum_j M_j c_j = b$ on the concentrations."""

    kind: str  # CHARGE, SITE or TOTAL
    name: str  # the sublattice or the total's key; "" for neutrality
    coefficients: tuple[float, ...]  # over the unknowns (the Fermi-level slot included)


@dataclasses.dataclass(frozen=True)
class Network:
    """Static structure of a `DefectChemistry`; see the module docstring."""

    unknowns: tuple[Label, ...]
    defect_labels: tuple[Label, ...]  # the label of each formation-energy Defect, as registered
    has_fermi: bool
    components: tuple[str, ...]
    fixed: tuple[Label, ...]
    relations: tuple[Relation, ...]
    constraints: tuple[Constraint, ...]
    particular: tuple[tuple[float, ...], ...]  # pseudo-inverse of the relation matrix
    # (tuples, not arrays: a static field of a Module must be hashable)

    @property
    def n_species(self) -> int:
        return len(self.unknowns)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(label.name for label in self.unknowns)

    def component_matrix(self) -> np.ndarray:
        return np.array([r.component for r in self.relations], float).reshape(
            len(self.relations), len(self.components)
        )

    def constraint_matrix(self) -> np.ndarray:
        return np.array([c.coefficients for c in self.constraints], float).T.reshape(
            self.n_species + self.has_fermi, len(self.constraints)
        )

    def pseudo_inverse(self) -> np.ndarray:
        return np.array(self.particular, float).reshape(
            self.n_species + self.has_fermi, len(self.relations)
        )

    def index(self, key: str) -> int | None:
        """Position of the unknown species with identity `key`, or None."""
        for i, label in enumerate(self.unknowns):
            if label.key == key:
                return i
        return None


def host_of(site: str) -> Label:
    """The regular species of sublattice `site`: `O_O^x`, or `V_i^x` for interstitial sites."""
    return parse_label(f"V_{site}^x" if site.startswith("i") else f"{site}_{site}^x")


def _describe(source, reactions, defects) -> str:
    kind, what = source
    if kind == "reaction":
        return f"reaction {reactions[what].equation!r}"
    if kind == "defect":
        return f"the formation energy of {defects[what].name!r}"
    return f"the band-gap relation of the {what}s"


class _Registry:
    """Species met while reading the input, by identity, with a sublattice override applied."""

    def __init__(self, sublattices: dict[str, str]):
        self.overrides = {}
        for name, site in sublattices.items():
            label = parse_label(name)
            if label.kind != DEFECT:
                raise ValueError(
                    f"DefectChemistry: sublattices[{name!r}]: only defects sit on sublattices"
                )
            self.overrides[label.key] = site
        self.labels: dict[str, Label] = {}

    def resolve(self, label: Label) -> Label:
        if label.key in self.overrides:
            label = label.on(self.overrides[label.key])
        return self.labels.setdefault(label.key, label)

    def lookup(self, name: str, what: str) -> Label:
        label = parse_label(name)
        label = label.on(self.overrides[label.key]) if label.key in self.overrides else label
        if label.key not in self.labels:
            raise ValueError(
                f"DefectChemistry: {what} names unknown species {name!r}; known species are "
                f"{sorted(lab.name for lab in self.labels.values() if lab.kind != COMPONENT)}"
            )
        return self.labels[label.key]


def _group(registry: _Registry, key, what: str) -> tuple[str, tuple[Label, ...]]:
    """The species of a total: a tuple of names, one name, or a chemical symbol."""
    if isinstance(key, tuple | list):
        members = tuple(registry.lookup(name, what) for name in key)
        return " + ".join(m.name for m in members), members
    if not isinstance(key, str):
        raise TypeError(f"DefectChemistry: {what}: key must be a species, a tuple or an element")
    try:
        return key, (registry.lookup(key, what),)
    except ValueError:
        members = tuple(
            lab for lab in registry.labels.values() if lab.kind == DEFECT and lab.element == key
        )
        if not members:
            raise ValueError(
                f"DefectChemistry: {what}: {key!r} is neither a species nor the chemical symbol of "
                "any defect; give a tuple of species names, e.g. totals={('A_Ce^x', \"A_Ce'\"): N}"
            ) from None
        return key, members


def build_network(
    reactions,
    defects,
    *,
    sites: set[str],
    has_band_gap: bool,
    has_conduction: bool,
    has_valence: bool,
    fixed: tuple[str, ...],
    totals: tuple,
    sublattices: dict[str, str],
    site_saturation: bool,
) -> tuple[Network, tuple[str, ...]]:
    """Read reactions, formation energies, fixed species and totals into a `Network`, checking
    that the system is well posed. Returns the network and the normalised keys of `totals`."""
    registry = _Registry(sublattices)
    reaction_terms = [[(registry.resolve(lab), nu) for lab, nu in r.terms] for r in reactions]
    defect_labels = [registry.resolve(d.label) for d in defects]
    fixed_labels = _fixed_labels(registry, fixed, reactions, reaction_terms, defects, defect_labels)
    fixed_keys = {lab.key for lab in fixed_labels}
    mentioned = {lab.kind for lab in registry.labels.values()}
    if defects and (ELECTRON in mentioned or HOLE in mentioned) and not has_band_gap:
        raise ValueError(
            "DefectChemistry: formation energies refer to the Fermi level, and the reactions "
            "involve electrons or holes: give band_gap (eV) with N_C and N_V to link them"
        )
    if has_band_gap:
        registry.resolve(parse_label("e'"))
        registry.resolve(parse_label("h^•"))
    if site_saturation:
        for label in defect_labels:
            if label.site is not None:
                registry.resolve(host_of(label.site))
    # in the order met: defects, electronic carriers, regular species
    unknowns = tuple(
        lab
        for lab in registry.labels.values()
        if lab.kind != COMPONENT and lab.key not in fixed_keys
    )
    for label in unknowns + fixed_labels:
        _check_density(label, sites, has_conduction, has_valence)
    components = tuple(
        dict.fromkeys(
            [lab.name for terms in reaction_terms for lab, _ in terms if lab.kind == COMPONENT]
            + [name for d in defects for name, _ in d.atoms]
        )
    )
    charged = any(lab.charge for lab in unknowns + fixed_labels)
    # the Fermi level is an unknown of its own when formation energies or band edges refer to it
    has_fermi = (bool(defects) or has_band_gap) and charged
    relations = _relations(
        unknowns,
        components,
        has_fermi,
        has_band_gap,
        reaction_terms,
        defects,
        defect_labels,
        registry if site_saturation else None,
    )
    constraints = _constraints(unknowns, fixed_labels, has_fermi, totals, registry)
    total_keys = [c.name for c in constraints if c.kind == TOTAL]
    if len(set(total_keys)) != len(total_keys):
        raise ValueError(f"DefectChemistry: a total is given twice: {total_keys}")

    width = len(unknowns) + has_fermi
    relation_m = np.array([r.unknown for r in relations], float).reshape(len(relations), width)
    constraint_m = np.array([c.coefficients for c in constraints], float).T.reshape(
        width, len(constraints)
    )
    _check_conservation(relation_m, constraint_m, relations, constraints, reactions, defects)
    _check_counts(
        relation_m, constraint_m, relations, constraints, unknowns, has_fermi, reactions, defects
    )
    particular = np.linalg.pinv(relation_m) if relations else np.zeros((width, 0))
    network = Network(
        unknowns=unknowns,
        defect_labels=tuple(registry.resolve(lab) for lab in defect_labels),
        has_fermi=has_fermi,
        components=components,
        fixed=fixed_labels,
        relations=relations,
        constraints=constraints,
        particular=tuple(tuple(float(v) for v in row) for row in particular),
    )
    return network, tuple(total_keys)


def _fixed_labels(registry, fixed, reactions, reaction_terms, defects, defect_labels):
    """The fixed dopants; they take part in no reaction and have no formation energy."""
    seen = {}
    for defect, label in zip(defects, defect_labels):
        if label.key in seen:
            raise ValueError(
                f"DefectChemistry: {defect.name!r} has two formation energies (also given as "
                f"{seen[label.key]!r}); keep one"
            )
        seen[label.key] = defect.name
    labels = []
    for name in fixed:
        label = registry.resolve(parse_label(name))
        if label.kind != DEFECT:
            raise ValueError(
                f"DefectChemistry: fixed[{name!r}]: only defects (dopants) can be fixed, not "
                f"{label.kind}s"
            )
        if label.key in seen:
            raise ValueError(
                f"DefectChemistry: {name!r} has a formation energy and is also fixed; keep one"
            )
        for reaction, terms in zip(reactions, reaction_terms):
            if any(term.key == label.key for term, _ in terms):
                raise ValueError(
                    f"DefectChemistry: fixed species {label.name!r} takes part in reaction "
                    f"{reaction.equation!r}; a fixed (frozen) species has a given concentration "
                    "and no reactions: drop it from fixed, or impose its total with totals="
                )
        labels.append(label)
    return tuple(labels)


def _check_density(label: Label, sites, has_conduction: bool, has_valence: bool):
    """Every species needs the density of its standard state."""
    if label.kind == DEFECT:
        if label.site is None:
            raise ValueError(
                f"DefectChemistry: defect {label.name!r} names no sublattice; write it with a "
                f"subscript (e.g. '{label.element}_Ce...') or give "
                f"sublattices={{{label.name!r}: 'Ce'}}"
            )
        if label.site not in sites:
            raise ValueError(
                f"DefectChemistry: defect {label.name!r} sits on sublattice {label.site!r}, "
                f"which has no site density; add sites={{{label.site!r}: N}} (m^-3)"
            )
    if label.kind == ELECTRON and not has_conduction:
        raise ValueError(
            f"DefectChemistry: electrons ({label.name!r}) need the effective density of "
            "states of the conduction band: give N_C (m^-3)"
        )
    if label.kind == HOLE and not has_valence:
        raise ValueError(
            f"DefectChemistry: holes ({label.name!r}) need the effective density of states "
            "of the valence band: give N_V (m^-3)"
        )


def _relations(
    unknowns, components, has_fermi, has_band_gap, reaction_terms, defects, defect_labels, hosts
) -> tuple[Relation, ...]:
    """One row per mass-action law over `[ln a of the unknowns, y_F]` and the components."""
    width = len(unknowns) + has_fermi
    position = {lab.key: i for i, lab in enumerate(unknowns)}
    comp_position = {c: i for i, c in enumerate(components)}
    fermi = len(unknowns)  # the slot of y_F = -E_F/kT, when has_fermi
    relations = []
    if has_fermi and has_band_gap:
        # ln(n/N_C) = (E_F - E_g)/kT = -y_F - E_g/kT;  ln(p/N_V) = -E_F/kT = y_F
        for label, slope in ((parse_label("e'"), 1.0), (parse_label("h^•"), -1.0)):
            row = [0.0] * width
            row[position[label.key]] = 1.0
            row[fermi] = slope
            relations.append(Relation(("band", label.kind), tuple(row), (0.0,) * len(components)))
    for i, (defect, label) in enumerate(zip(defects, defect_labels)):
        # ln(c/N) = -(E_f0 - T S_f)/kT + q y_F + Σ n_c ln a_c  (+ ln a_host with saturation)
        row = [0.0] * width
        row[position[label.key]] = 1.0
        if has_fermi:
            row[fermi] = -float(label.charge)
        if hosts is not None:
            row[position[hosts.resolve(host_of(label.site)).key]] -= 1.0
        comp = [0.0] * len(components)
        for name, count in defect.atoms:
            comp[comp_position[name]] -= count
        relations.append(Relation(("defect", i), tuple(row), tuple(comp)))
    for i, terms in enumerate(reaction_terms):
        row = [0.0] * width
        comp = [0.0] * len(components)
        for label, nu in terms:
            if label.kind == COMPONENT:
                comp[comp_position[label.name]] += nu
            else:
                row[position[label.key]] += nu
        relations.append(Relation(("reaction", i), tuple(row), tuple(comp)))
    return tuple(relations)


def _constraints(unknowns, fixed_labels, has_fermi, totals, registry) -> tuple[Constraint, ...]:
    """Neutrality (when anything is charged), the site balance of every sublattice whose regular
    species is present, and the given totals."""
    constraints = []
    pad = (0.0,) * has_fermi
    charges = [lab.charge for lab in unknowns + fixed_labels]
    if any(charges):
        for sign, name in ((1, "positive"), (-1, "negative")):
            if not any(sign * z > 0 for z in charges):
                raise ValueError(
                    f"DefectChemistry: neutrality cannot hold: no {name} species; add a {name} "
                    "defect or the electronic carrier of that sign (with its reaction)"
                )
        row = tuple(float(lab.charge) for lab in unknowns)
        constraints.append(Constraint(CHARGE, "", row + (1.0,) * has_fermi))
    for site in sorted({lab.site for lab in unknowns if lab.regular}):
        row = tuple(1.0 if lab.kind == DEFECT and lab.site == site else 0.0 for lab in unknowns)
        constraints.append(Constraint(SITE, site, row + pad))
    fixed_keys = {lab.key for lab in fixed_labels}
    for key in totals:
        name, members = _group(registry, key, "totals")
        member_keys = {m.key for m in members}
        if member_keys & fixed_keys:
            raise ValueError(f"DefectChemistry: totals[{name!r}] includes a fixed species")
        row = tuple(1.0 if lab.key in member_keys else 0.0 for lab in unknowns)
        constraints.append(Constraint(TOTAL, name, row + pad))
    return tuple(constraints)


def _constraint_name(constraint: Constraint) -> str:
    if constraint.kind == CHARGE:
        return "neutrality"
    if constraint.kind == SITE:
        return f"the site balance of the {constraint.name} sublattice"
    return f"the total of {constraint.name}"


def _check_conservation(relation_m, constraint_m, relations, constraints, reactions, defects):
    """Every mass-action relation must conserve every constrained quantity ($RM = 0$)."""
    change = relation_m @ constraint_m
    for r, relation in enumerate(relations):
        for k, constraint in enumerate(constraints):
            delta = Fraction(change[r, k]).limit_denominator(1000)
            if delta == 0:
                continue
            what = _describe(relation.source, reactions, defects)
            if constraint.kind == SITE:
                host = host_of(constraint.name).name
                if relation.source[0] == "defect":
                    raise ValueError(
                        f"DefectChemistry: {what} puts a defect on the {constraint.name} "
                        f"sublattice, whose sites are balanced ({host} appears in a reaction): "
                        "use site_saturation=True, or leave the regular species out of the "
                        "reactions"
                    )
                raise ValueError(
                    f"DefectChemistry: {what} changes the number of {constraint.name} sites by "
                    f"{signed(delta)} while that sublattice is balanced by its regular species "
                    f"{host}: write {host} into the reaction so that sites are conserved, or "
                    "leave it out of every reaction (a dilute sublattice)"
                )
            if constraint.kind == TOTAL:
                raise ValueError(
                    f"DefectChemistry: {what} changes the total of {constraint.name} by "
                    f"{signed(delta)}: a total can only be imposed on species that the reactions "
                    "interconvert; remove the total or the reaction"
                )
            raise ValueError(f"DefectChemistry: {what} does not conserve charge")


def _check_counts(
    relation_m, constraint_m, relations, constraints, unknowns, has_fermi, reactions, defects
):
    n_unknown = relation_m.shape[1]
    n_equations = len(relations) + len(constraints)
    names = [lab.name for lab in unknowns] + ["E_F"] * has_fermi
    given = (
        f"{len(relations)} mass-action relation(s) + {len(constraints)} constraint(s) ("
        + ", ".join(_constraint_name(c) for c in constraints)
        + ")"
    )
    # dependent relations first: they would also make the count look short
    kept = np.zeros((0, n_unknown))
    order = [r for r in range(len(relations)) if relations[r].source[0] == "band"] + [
        r for r in range(len(relations)) if relations[r].source[0] != "band"
    ]
    for r in order:
        trial = np.vstack([kept, relation_m[r]])
        if np.linalg.matrix_rank(trial, tol=1e-9) == kept.shape[0]:
            hint = (
                " (band_gap already links e' and h^•)"
                if has_fermi and any(rel.source[0] == "band" for rel in relations)
                else ""
            )
            raise ValueError(
                f"DefectChemistry: {_describe(relations[r].source, reactions, defects)} is a "
                f"linear combination of the other relations{hint}; remove it"
            )
        kept = trial
    if constraints and np.linalg.matrix_rank(constraint_m, tol=1e-9) < len(constraints):
        raise ValueError(
            "DefectChemistry: the constraints ("
            + ", ".join(map(_constraint_name, constraints))
            + ") are not independent; remove a total that repeats a site balance or another total"
        )
    if n_unknown > n_equations:
        raise ValueError(
            f"DefectChemistry: under-determined: {n_unknown} unknowns ({', '.join(names)}) but "
            f"{given}: add {n_unknown - n_equations} reaction(s) or formation energies, fix a "
            "dopant with fixed={...}, or give a total with totals={...} (a conserved amount "
            "that no reaction exchanges with a reservoir needs a total)"
        )
    if n_unknown < n_equations:
        raise ValueError(
            f"DefectChemistry: over-determined: {n_unknown} unknowns ({', '.join(names)}) but "
            f"{given}; remove {n_equations - n_unknown} reaction(s) or totals"
        )


def check_room(network: Network, sites: dict, fixed: dict):
    """Fixed dopants must leave room for the regular species of a balanced sublattice."""
    for constraint in network.constraints:
        if constraint.kind != SITE:
            continue
        occupied = [lab.name for lab in network.fixed if lab.site == constraint.name]
        if occupied:
            room = sites[constraint.name] - sum(fixed[name] for name in occupied)
            check(
                lambda r: np.all(r > 0),
                room,
                f"DefectChemistry: the fixed {occupied} fill the {constraint.name} sublattice "
                f"(sites[{constraint.name!r}] = {sites[constraint.name]} m^-3); lower them",
            )


class AbstractDefectChemistry(eqx.Module):
    """What the defect-equilibrium solver reads of a defect chemistry (`DefectChemistry`):
    its reactions and defects, site densities (m^-3), band gap (eV), fixed dopants and totals
    (m^-3), the `network` of relations and constraints, and the standard-state density of
    each species."""

    reactions: eqx.AbstractVar[tuple]
    defects: eqx.AbstractVar[tuple]
    sites: eqx.AbstractVar[dict]
    band_gap: eqx.AbstractVar[Array | None]
    fixed: eqx.AbstractVar[dict]
    totals: eqx.AbstractVar[dict]
    network: eqx.AbstractVar[Network]

    @property
    @abc.abstractmethod
    def components(self) -> tuple[str, ...]:
        """Names of the components whose activity or chemical potential a solve needs."""

    @abc.abstractmethod
    def density(self, label: Label) -> Array:
        """Standard-state density (m^-3) of a species."""
