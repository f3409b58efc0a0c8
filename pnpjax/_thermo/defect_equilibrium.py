"""`solve_defects`: the equilibrium concentrations of a `DefectChemistry`.

The mass-action relations are solved once, in closed form, by the affine family
$\\ln c = \\ln N + p + M\\lambda$ (see `defect_network`); what is left is one multiplier per
constraint, usually one to three. Each constraint is written as the log of a ratio of positive
sums, $F_\\text{neutral} = \\ln\\sum_{z>0} z c - \\ln\\sum_{z<0} |z| c$ and
$F_\\text{site/total} = \\ln\\sum c - \\ln b$: a relative residual whose slope in λ is bounded,
so a step has the right size however many decades away the root is.

The multipliers are the variables of the convex dual function
$\\Phi(\\lambda) = \\sum_j c_j(\\lambda) - b\\cdot\\lambda$, whose gradient is the constraint
residual $M^\\top c - b$. Each iteration makes one sweep of exact minimisations of Φ along each
multiplier (in closed form for a site balance or a total, whose members scale together; a
bracketed scalar Newton iteration for neutrality, monotone in its multiplier), which converges
from any start, then tries a Newton step on F, kept when it lowers max|F|, which makes the end
of the iteration quadratic. The solve stops once every $|F_k|$ is below `tol`.

Derivatives never go through the iterations: `jax.lax.custom_root` applies the implicit function
theorem, $\\dot\\lambda = -J^{-1}\\partial_\\theta F\\,\\dot\\theta$, exactly at the root.

**References:** W. R. Smith and R. W. Missen, *Chemical Reaction Equilibrium Analysis*, Wiley
(1982), ch. 6 (element potentials); Z.-Q. Luo and P. Tseng, *J. Optim. Theory Appl.* 72, 7
(1992) (convergence of coordinate descent).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp
from jaxtyping import Array, Float, Int

from .._constants import BOLTZMANN_EV
from .._custom_types import as_float, check
from .._model.state import ReferenceBulk, Reservoir
from .._program import program
from .._solution import RESULTS, message, raise_where, succeeded
from .defect_labels import ELECTRON, HOLE, parse_label
from .defect_network import CHARGE, SITE, TOTAL, AbstractDefectChemistry, check_room, host_of

# the multiplier iteration's own codes (floats through `custom_root`), reported as RESULTS
SUCCESS = 0
_MAX_STEPS = 1
_NONFINITE = 2
MAX_STEP = 50.0
"""Largest Newton step of a multiplier (a factor e^50 in a concentration)."""
_MAX_SCALAR_STEPS = 100


class DefectEquilibrium(eqx.Module):
    """Equilibrium of a `DefectChemistry` at one temperature and set of activities (SI units).

    Batched results (from `brouwer` or `jax.vmap`) carry a leading batch axis on every array.

    **Fields:**

    - `species`, `fixed`, `regular` (static): names of the solved species, of the fixed dopants
      and of the regular lattice species among the solved ones.
    - `concentrations`: `{species: c (m^-3)}` for every species, fixed dopants and regular
      lattice species included.
    - `log_activities`: `{species or component: ln a}`: $\\ln(c/N)$ of defects ($N$ the site
      density), $\\ln(n/N_C)$, $\\ln(p/N_V)$, and the components' $\\ln a = \\mu/k_BT$.
    - `fermi_level` (eV), relative to `fermi_reference`: `"E_V"`, the valence-band maximum
      (the zero of the Fermi level in the formation energies), for formation-energy input or a
      given band gap; otherwise `"E_C"`, $E_F - E_C = k_BT\\ln(n/N_C)$, when the chemistry has
      electrons, `"E_V"`, $E_F - E_V = -k_BT\\ln(p/N_V)$, with holes only, and NaN (`"none"`)
      without charged species.
    - `electrochemical_potentials`: `{defect: μ̃ (eV)}`, $\\tilde\\mu = E_f^0 - TS_f +
      k_BT\\ln a$ with $a = c/N$, divided by the host's site fraction under `site_saturation`,
      for formation-energy defects (empty otherwise).
    - `temperature` (K); `result` (a `pnpjax.RESULTS` member), `residual` (largest relative
      imbalance of a constraint), `iterations`; `electronic` (static): whether a band gap was
      given.
    """

    species: tuple[str, ...] = eqx.field(static=True)
    regular: tuple[str, ...] = eqx.field(static=True)
    fixed: tuple[str, ...] = eqx.field(static=True)
    fermi_reference: str = eqx.field(static=True)
    electronic: bool = eqx.field(static=True)
    concentrations: dict[str, Array]
    log_activities: dict[str, Array]
    fermi_level: Array
    electrochemical_potentials: dict[str, Array]
    temperature: Array
    result: RESULTS
    residual: Float[Array, ""]
    iterations: Int[Array, ""]

    @property
    def converged(self):
        """True where the solve succeeded."""
        return succeeded(self.result)

    @property
    def message(self) -> str:
        """What happened, in words (unbatched results)."""
        return message(self.result)

    def _name(self, species: str) -> str:
        key = parse_label(species).key
        for name in self.concentrations:
            if parse_label(name).key == key:
                return name
        raise KeyError(f"unknown species {species!r}; known: {list(self.concentrations)}")

    def concentration(self, species: str) -> Array:
        """Concentration (m^-3) of `species`, in any spelling of its label (`V_O^..`)."""
        return self.concentrations[self._name(species)]

    def reference_bulk(self, phase: str, species=None) -> ReferenceBulk:
        """A `ReferenceBulk` state for `solve_equilibrium`: phase `phase` has this bulk
        composition.

        **Arguments:**

        - `phase`: name of the `Phase`.
        - `species`: the phase's mobile species (default: every solved species except the
          regular lattice species; fixed dopants are frozen carriers, not part of the state).
        """
        if species is None:
            species = [s for s in self.species if s not in self.regular]
        return ReferenceBulk(phase, {s: self.concentration(s) for s in species})

    def reservoir(self, species=None) -> Reservoir:
        """A `Reservoir` state for `solve_equilibrium` with the electrochemical potentials of the
        formation-energy defects, $\\tilde\\mu = \\sum_c n_c\\mu_c - q(E_F - E_V)$, and the
        Fermi level (relative to $E_V$), matching `DefectChemistry.carriers()`: the neutral
        bulk of that phase then sits at φ = 0 with these concentrations.

        **Arguments:**

        - `species`: the defects to include (default: all formation-energy defects).
        """
        if not self.electrochemical_potentials:
            raise ValueError(
                "DefectEquilibrium.reservoir: needs formation-energy input (Defect); with "
                "reactions only, use reference_bulk()"
            )
        names = list(self.electrochemical_potentials) if species is None else species
        potentials = {self._name(s): self.electrochemical_potentials[self._name(s)] for s in names}
        return Reservoir(potentials, fermi_level=self.fermi_level if self.electronic else None)


def _component_inputs(chemistry: AbstractDefectChemistry, activities, chemical_potentials):
    """`(values, is_potential)` per component, in the chemistry's order."""
    activities = dict(activities or {})
    potentials = dict(chemical_potentials or {})
    needed = chemistry.components
    for what, given in (("activities", activities), ("chemical_potentials", potentials)):
        unknown = sorted(set(given) - set(needed))
        if unknown:
            raise ValueError(
                f"solve_defects: {what} names {unknown}, which no reaction or defect uses; the "
                f"components are {list(needed)}"
            )
    both = sorted(set(activities) & set(potentials))
    if both:
        raise ValueError(f"solve_defects: {both} given both an activity and a chemical potential")
    missing = [c for c in needed if c not in activities and c not in potentials]
    if missing:
        raise ValueError(
            f"solve_defects: give the activity (activities={{{missing[0]!r}: ...}}, e.g. p/p° for "
            f"a gas) or the chemical potential (chemical_potentials=, eV) of {missing}"
        )
    values = []
    for c in needed:
        if c in activities:
            value = as_float(activities[c])
            check(
                lambda a: np.all(np.isfinite(a) & (a > 0)),
                value,
                f"solve_defects: activities[{c!r}] must be > 0 and finite, got {value}",
            )
        else:
            value = as_float(potentials[c])
            check(np.isfinite, value, f"solve_defects: chemical_potentials[{c!r}] must be finite")
        values.append(value)
    return tuple(values), tuple(c in potentials for c in needed)


def _override(defaults: dict, given, what: str, normalise) -> dict:
    if given is None:
        return dict(defaults)
    values = dict(defaults)
    for key, value in dict(given).items():
        name = normalise(key)
        if name not in values:
            raise ValueError(
                f"solve_defects: {what}[{key!r}] was not declared; the DefectChemistry declares "
                f"{what} {list(defaults)} (give new ones at construction)"
            )
        value = as_float(value)
        check(
            lambda c: np.all(np.isfinite(c) & (c >= 0)),
            value,
            f"solve_defects: {what}[{key!r}] (m^-3) must be >= 0, got {value}",
        )
        values[name] = value
    return values


def _fixed_name(chemistry: AbstractDefectChemistry, key: str) -> str:
    wanted = parse_label(key).key
    for label in chemistry.network.fixed:
        if label.key == wanted:
            return label.name
    return key


def _total_name(chemistry: AbstractDefectChemistry, key) -> str:
    """The declared total that `key` (its name, or a tuple of its species) refers to."""
    if not isinstance(key, tuple | list):
        return str(key)
    network = chemistry.network
    wanted = {parse_label(name).key for name in key}
    for constraint in network.constraints:
        members = {
            network.unknowns[i].key
            for i in range(network.n_species)
            if constraint.coefficients[i] != 0
        }
        if constraint.kind == TOTAL and members == wanted:
            return constraint.name
    return " + ".join(key)


class _Inputs(eqx.Module):
    temperature: Array
    components: tuple[Array, ...]
    fixed: dict[str, Array]
    totals: dict[str, Array]


def prepare(
    chemistry: AbstractDefectChemistry,
    temperature,
    activities=None,
    chemical_potentials=None,
    fixed=None,
    totals=None,
):
    """Check the inputs of a solve and gather them as arrays. Returns `(inputs, is_potential)`."""
    if not isinstance(chemistry, AbstractDefectChemistry):
        raise TypeError(f"solve_defects: expected a DefectChemistry, got {type(chemistry)}")
    temperature = as_float(temperature)
    check(
        lambda t: np.all(np.isfinite(t) & (t > 0)),
        temperature,
        f"solve_defects: temperature (K) must be > 0, got {temperature}",
    )
    values, is_potential = _component_inputs(chemistry, activities, chemical_potentials)
    inputs = _Inputs(
        temperature,
        values,
        _override(chemistry.fixed, fixed, "fixed", lambda k: _fixed_name(chemistry, k)),
        _override(chemistry.totals, totals, "totals", lambda k: _total_name(chemistry, k)),
    )
    check_room(chemistry.network, chemistry.sites, inputs.fixed)
    return inputs, is_potential


def solve_defects(
    chemistry: AbstractDefectChemistry,
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
    """Solve mass action, site balance and electroneutrality of a `DefectChemistry`.

    Differentiable (exact implicit derivatives with respect to every energy, density,
    activity, dopant level and the temperature), `jit`-compiled and `vmap`-able; see `brouwer`
    for a whole diagram in one batched call.

    **Arguments:**

    - `chemistry`: the `DefectChemistry`.
    - `temperature`: T (K).
    - `activities`: `{component: a}` (dimensionless; p/p° for a gas, e.g. `{"O2": pO2}` in bar).
    - `chemical_potentials`: `{component: μ (eV)}` instead of an activity, $\\mu = k_BT\\ln a$
      relative to the component's standard state.
    - `fixed`: new concentrations (m^-3) of the fixed dopants declared by the chemistry.
    - `totals`: new values (m^-3) of the totals declared by the chemistry.
    - `max_steps`, `tol`: Newton iteration limit and the tolerance on the relative residual.
    - `throw`: raise if the solve fails (default); with `throw=False` inspect `result` and
      `residual` of the returned `DefectEquilibrium`.

    **Returns:** a `DefectEquilibrium`.

    **Reference:** F. A. Kröger and H. J. Vink, *Solid State Phys.* 3, 307 (1956); J. Maier,
    *Physical Chemistry of Ionic Materials*, 2nd ed., Wiley (2023), ch. 5.
    """
    inputs, is_potential = prepare(
        chemistry, temperature, activities, chemical_potentials, fixed, totals
    )
    # the check on the host, after the program: it then holds no host callback and JAX's
    # persistent compilation cache can keep it
    solution = _solve_jit(chemistry, inputs, is_potential, max_steps, tol, False)
    return _raise_if_failed(solution, throw)


def solve_prepared(
    chemistry: AbstractDefectChemistry,
    inputs: _Inputs,
    is_potential: tuple[bool, ...],
    max_steps: int,
    tol: float,
    throw: bool,
) -> DefectEquilibrium:
    """Solve one set of prepared inputs (a pure function: `jit` and `vmap` it)."""
    return _raise_if_failed(_solve(chemistry, inputs, is_potential, max_steps, tol), throw)


_FAILURES = (
    (
        RESULTS.nonlinear_max_steps_reached,
        "solve_defects: no convergence within max_steps. Re-run with throw=False and inspect "
        ".residual; check that the constraints can be met (totals below the site densities, "
        "species of both signs) or raise max_steps.",
    ),
    (
        RESULTS.nonfinite_output,
        "solve_defects: non-finite values. Re-run with throw=False to inspect; check for "
        "extreme inputs (energies of hundreds of k_BT, zero densities).",
    ),
)


def _raise_if_failed(solution: DefectEquilibrium, throw: bool) -> DefectEquilibrium:
    """With `throw`, an `equinox.EquinoxRuntimeError` for a failed solve (`raise_where`: on the
    host for a concrete result, in the caller's program for a traced one)."""
    if not throw:
        return solution
    index = jnp.zeros((), int)
    for k, (item, _) in reversed(list(enumerate(_FAILURES, start=1))):
        index = jnp.where(solution.result == item, k, index)
    return raise_where(solution, index, ["", *(text for _, text in _FAILURES)])


_solve_jit = program(solve_prepared)


def _log_constants(chemistry: AbstractDefectChemistry, temperature) -> Array:
    """ln K of every relation of the network (dimensionless)."""
    kT = BOLTZMANN_EV * temperature
    values = []
    for relation in chemistry.network.relations:
        kind, what = relation.source
        if kind == "reaction":
            values.append(chemistry.reactions[what].log_constant(temperature))
        elif kind == "defect":
            values.append(-chemistry.defects[what].formation_energy(temperature) / kT)
        elif what == ELECTRON:
            values.append(-chemistry.band_gap / kT)
        else:
            values.append(jnp.zeros(()))
    return jnp.stack(values) if values else jnp.zeros((0,))


def _log_sum(log_c, index, log_weight, log_given=None):
    """$\\ln(\\sum_{j \\in index} w_j c_j + given)$ from log-concentrations, without overflow."""
    parts = [log_c[index] + log_weight] if index.size else []
    if log_given is not None:
        parts.append(log_given[None])
    return logsumexp(jnp.concatenate(parts))


def _constraint_function(chemistry: AbstractDefectChemistry, inputs: _Inputs, base):
    """F(λ): the log-ratio residual of every constraint (see the module docstring)."""
    network = chemistry.network
    n = network.n_species
    M = jnp.asarray(network.constraint_matrix())
    sides = []  # per constraint: (numerator, denominator), each (index, log weights, log given)
    for constraint in network.constraints:
        if constraint.kind == CHARGE:
            pair = []
            for sign in (1, -1):
                index = np.array(
                    [i for i, lab in enumerate(network.unknowns) if sign * lab.charge > 0], int
                )
                weight = np.log([abs(network.unknowns[i].charge) for i in index])
                fixed = [lab for lab in network.fixed if sign * lab.charge > 0]
                given = sum(abs(lab.charge) * inputs.fixed[lab.name] for lab in fixed)
                # a dopant given as 0 must not put log(0) into the derivative
                log_given = jnp.log(jnp.maximum(given, 1e-300)) if fixed else None
                pair.append((index, weight, log_given))
            sides.append(tuple(pair))
            continue
        index = np.array([i for i in range(n) if constraint.coefficients[i] != 0], int)
        if constraint.kind == SITE:
            occupied = [lab for lab in network.fixed if lab.site == constraint.name]
            b = chemistry.sites[constraint.name] - sum(inputs.fixed[lab.name] for lab in occupied)
        else:
            b = inputs.totals[constraint.name]
        sides.append(((index, np.zeros(index.size), None), (np.zeros(0, int), None, jnp.log(b))))

    def F(lam):
        log_c = (base + M @ lam)[:n]
        return jnp.stack(
            [_log_sum(log_c, *top) - _log_sum(log_c, *bottom) for top, bottom in sides]
        )

    return F


def _monotone_root(h, t0, tol: float):
    """Root of an increasing scalar function `h` (a log-ratio with bounded slope): Newton steps
    of at most `MAX_STEP`, bisection once a bracket is known and Newton leaves it."""

    def cond(state):
        _, _, _, value, it = state
        return (jnp.abs(value) > tol) & (it < _MAX_SCALAR_STEPS)

    def body(state):
        t, lo, hi, value, it = state
        slope = jax.grad(h)(t)
        lo = jnp.where(value < 0, t, lo)
        hi = jnp.where(value > 0, t, hi)
        newton = t - value / slope
        inside = jnp.isfinite(newton) & (newton > lo) & (newton < hi)
        bracketed = jnp.isfinite(lo) & jnp.isfinite(hi)
        fallback = jnp.where(bracketed, 0.5 * (lo + hi), t - jnp.sign(value) * MAX_STEP)
        t_new = jnp.where(inside, newton, fallback)
        t_new = jnp.clip(t_new, t - MAX_STEP, t + MAX_STEP)
        return t_new, lo, hi, h(t_new), it + 1

    init = (t0, -jnp.inf, jnp.inf, h(t0), 0)
    return jax.lax.while_loop(cond, body, init)[0]


def _coordinate_sweep(F, lam, charge: bool, tol: float):
    """One sweep of exact minimisation of the dual function along each multiplier: closed form
    for a site balance or a total (every member scales by $e^{\\delta}$), a monotone scalar
    root for neutrality."""
    for k in range(lam.shape[0]):
        if k == 0 and charge:
            unit = jnp.zeros_like(lam).at[0].set(1.0)
            t = _monotone_root(lambda t, lam=lam, unit=unit: F(lam + t * unit)[0], 0.0, tol)
            lam = lam.at[0].add(t)
        else:
            lam = lam.at[k].add(-F(lam)[k])
    return lam


def _solve_multipliers(F, lam0, charge: bool, max_steps: int, tol: float):
    """Find λ with F(λ) = 0. Each iteration runs one coordinate sweep, which decreases the
    convex dual and reaches across any number of decades in one step, then a Newton step on F,
    kept when it lowers max|F| (quadratic convergence near the root). Returns `(λ, aux)`, with
    `aux` `(iterations, result code, max|F|)` as floats (custom_root carries them past the
    derivative)."""

    def size(f):
        return jnp.max(jnp.abs(f))

    def cond(state):
        _, f, it, code = state
        return (it < max_steps) & (size(f) > tol) & (code == SUCCESS)

    def body(state):
        lam, _, it, _ = state
        lam = _coordinate_sweep(F, lam, charge, tol)
        f = F(lam)
        J = jax.jacfwd(F)(lam)
        step = jnp.linalg.solve(J, -f)
        step = step * jnp.minimum(1.0, MAX_STEP / jnp.maximum(jnp.max(jnp.abs(step)), 1e-300))
        f_newton = F(lam + step)
        better = jnp.all(jnp.isfinite(f_newton)) & (size(f_newton) < size(f))
        lam = jnp.where(better, lam + step, lam)
        f = jnp.where(better, f_newton, f)
        finite = jnp.all(jnp.isfinite(f)) & jnp.all(jnp.isfinite(lam))
        return lam, f, it + 1, jnp.where(finite, SUCCESS, _NONFINITE)

    f0 = F(lam0)
    code0 = jnp.where(jnp.all(jnp.isfinite(f0)), SUCCESS, _NONFINITE)
    lam, f, it, code = jax.lax.while_loop(cond, body, (lam0, f0, jnp.array(0), code0))
    code = jnp.where((code == SUCCESS) & (size(f) > tol), _MAX_STEPS, code)
    aux = (it.astype(jnp.float64), code.astype(jnp.float64), size(f))
    return lam, aux


def _tangent_solve(g, y):
    return jnp.linalg.solve(jax.jacfwd(g)(y), y)


def _densities(chemistry: AbstractDefectChemistry) -> Array:
    return jnp.stack([chemistry.density(lab) for lab in chemistry.network.unknowns])


def _multipliers(network, F, max_steps: int, tol: float):
    """The root λ of F, differentiable by the implicit function theorem, with the solver's
    statistics `(iterations, result code, residual)`."""
    if not network.constraints:  # mass action alone fixes every concentration
        zero = jnp.zeros(())
        return jnp.zeros(0), zero, zero, zero
    charge = network.constraints[0].kind == CHARGE
    lam, stats = jax.lax.custom_root(
        F,
        jnp.zeros(len(network.constraints)),
        lambda f, lam0: _solve_multipliers(f, lam0, charge, max_steps, tol),
        _tangent_solve,
        has_aux=True,
    )
    return lam, *(jax.lax.stop_gradient(value) for value in stats)


def _solve(chemistry: AbstractDefectChemistry, inputs: _Inputs, is_potential, max_steps, tol):
    network = chemistry.network
    n = network.n_species
    T = inputs.temperature
    kT = BOLTZMANN_EV * T
    log_components = [
        value / kT if potential else jnp.log(value)
        for value, potential in zip(inputs.components, is_potential)
    ]
    log_components = jnp.stack(log_components) if log_components else jnp.zeros((0,))
    rhs = _log_constants(chemistry, T) - jnp.asarray(network.component_matrix()) @ log_components
    particular = jnp.asarray(network.pseudo_inverse()) @ rhs
    lnN = jnp.log(_densities(chemistry))
    base = particular.at[:n].add(lnN)
    F = _constraint_function(chemistry, inputs, base)

    lam, iterations, code, residual = _multipliers(network, F, max_steps, tol)
    solution = base + jnp.asarray(network.constraint_matrix()) @ lam if lam.size else base
    log_c = solution[:n]

    concentrations = {lab.name: jnp.exp(log_c[i]) for i, lab in enumerate(network.unknowns)}
    log_activities = {lab.name: log_c[i] - lnN[i] for i, lab in enumerate(network.unknowns)}
    for lab in network.fixed:
        concentrations[lab.name] = inputs.fixed[lab.name]
        log_activities[lab.name] = jnp.log(inputs.fixed[lab.name] / chemistry.density(lab))
    for name, value in zip(network.components, log_components):
        log_activities[name] = value

    fermi_level, reference = _fermi_level(chemistry, solution, log_activities, kT)
    potentials = {
        label.name: d.formation_energy(T)
        + kT * _defect_log_activity(network, label, log_activities)
        for d, label in zip(chemistry.defects, network.defect_labels)
    }
    return DefectEquilibrium(
        species=network.names,
        fixed=tuple(lab.name for lab in network.fixed),
        regular=tuple(lab.name for lab in network.unknowns if lab.regular),
        fermi_reference=reference,
        electronic=chemistry.band_gap is not None,
        concentrations=concentrations,
        log_activities=log_activities,
        fermi_level=fermi_level,
        electrochemical_potentials=potentials,
        temperature=T,
        result=RESULTS.where(
            code == _NONFINITE,
            RESULTS.nonfinite_output,
            RESULTS.where(
                code == _MAX_STEPS, RESULTS.nonlinear_max_steps_reached, RESULTS.successful
            ),
        ),
        residual=residual,
        iterations=iterations.astype(jnp.int32),
    )


def _defect_log_activity(network, label, log_activities):
    """ln a of a formation-energy defect: ln(c/N), less ln(site fraction of its host) when the
    host's sublattice is balanced (`site_saturation`), as in
    $c/N = e^{-E_f/k_BT}\\theta_\\text{host}$."""
    host = host_of(label.site).key if label.site is not None else None
    for lab in network.unknowns:
        if lab.regular and lab.key == host:
            return log_activities[label.name] - log_activities[lab.name]
    return log_activities[label.name]


def _fermi_level(chemistry: AbstractDefectChemistry, solution, log_activities, kT):
    network = chemistry.network
    if network.has_fermi:
        return -kT * solution[network.n_species], "E_V"
    kinds = {lab.kind: lab.name for lab in network.unknowns}
    if ELECTRON in kinds:
        return kT * log_activities[kinds[ELECTRON]], "E_C"
    if HOLE in kinds:
        return -kT * log_activities[kinds[HOLE]], "E_V"
    return jnp.full_like(kT, jnp.nan), "none"
