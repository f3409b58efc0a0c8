"""Graded one-dimensional meshes that resolve every space-charge layer.

A mesh stores, per phase, the fractional positions of its nodes in [0, 1]; node positions are
`start + thickness * fraction`, so they stay differentiable in the thicknesses and one mesh
serves a whole batch of junctions. Interfaces are nodes shared by two phases.
"""

import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from ._constants import BOLTZMANN_EV, VACUUM_PERMITTIVITY
from ._custom_types import traced
from ._discretise.phases import bulk_state, concentrations
from ._discretise.poisson import full_potentials, initial_guess, split
from ._discretise.problem import build_problem, end_at_equilibrium
from ._model.junction import Junction, without_profiles
from ._program import program
from ._xla import SETUP_OPTIONS

MAX_THINNING = 1e9
"""Largest factor by which the mesh thins a phase's Debye length next to an interface."""

DEPLETION_CELLS = 6.0
"""Default cells per Debye length across a depletion layer and its edge (`Mesh.auto`)."""

MAX_NODES = 1_000_000
"""Default node budget of `Mesh.auto` (the solvers' memory grows with it: ~100 bytes per node
and unknown, more under `vmap`)."""


def _graded_fractions(graded):
    """Fractions in [0, 1] with the spacing of `graded = _graded_cells(...)`."""
    samples, xi, cells = graded
    t = samples[-1]
    x = np.interp(np.linspace(0, xi[-1], cells + 1), xi, samples)
    x[0], x[-1] = 0.0, t
    return x / t


def _graded_cells(t, h_left, h_right, h_max, growth, min_cells, plateaus=(None, None)):
    """The cell count (before any node array is made) of a mesh with spacing
    h(x) = min(h_max, h_l(x), h_r(t − x)), with the sampled positions and the cumulative cell
    count ∫dx/h there. From an end refined to h₀, h(d) = h₀ + (g−1)d at distance d, or, with a
    plateau (cap, length) on that side, min(h₀ + (g−1)d, cap + (g−1)·max(d − length, 0)):
    at most `cap` over the first `length`, where a depletion layer ends."""
    slope = growth - 1.0
    ends = []
    for h0, plateau in ((h_left, plateaus[0]), (h_right, plateaus[1])):
        h0 = np.inf if h0 is None else h0
        cap, length = (np.inf, 0.0) if plateau is None or not np.isfinite(h0) else plateau
        ends.append((h0, max(cap, h0), length))

    def spacing(x):
        terms = [np.full_like(x, h_max)]
        for (h0, cap, length), d in zip(ends, (x, t - x), strict=True):
            terms.append(np.minimum(h0 + slope * d, cap + slope * np.maximum(d - length, 0.0)))
        return np.minimum.reduce(terms)

    finest = min(ends[0][0], ends[1][0], h_max)
    start = min(finest / 20, t / 1e4)
    ramp = np.geomspace(start, t, 2000)
    kinks = [e[2] for e in ends if 0 < e[2] < t] + [t - e[2] for e in ends if 0 < e[2] < t]
    samples = np.unique(np.concatenate([[0.0, t], ramp, t - ramp, np.linspace(0, t, 2001), kinks]))
    samples = samples[(samples >= 0) & (samples <= t)]
    inv = 1.0 / spacing(samples)
    xi = np.concatenate([[0.0], np.cumsum(0.5 * (inv[1:] + inv[:-1]) * np.diff(samples))])
    cells = max(min_cells, int(np.ceil(xi[-1])))
    if np.isfinite(ends[0][0]) and np.isfinite(ends[1][0]):
        # an even count puts a node at the middle, where the two interfaces' space charges
        # are split, on this mesh and on every refinement alike
        cells += cells % 2
    return samples, xi, cells


def _depletion_plateau(lam: float, step: float, nodes_per_debye: float, cells: float):
    """(cap, length) of the spacing plateau next to an end whose potential steps by `step`
    (k_BT/e) in a phase of Debye length `lam` (m): spacing at most λ/`cells`·(10/`nodes_per_debye`)
    over the depletion width λ√(2(Δu − 1)) (the depletion approximation with its k_BT
    correction) plus three Debye lengths, where the charge density falls from the fixed charge
    to zero and φ bends most; None for steps below 2 k_BT/e or without a Debye length."""
    if not (np.isfinite(lam) and step > 2.0 and cells > 0):
        return None
    width = lam * np.sqrt(2.0 * (step - 1.0))
    return lam * 10.0 / (nodes_per_debye * cells), width + 3.0 * lam


def _check_budget(junction: Junction, cells, debye, local, max_nodes: int):
    """Refuse a mesh of more than `max_nodes` nodes, naming the phase that needs the most."""
    nodes = 1 + sum(int(c) for c in cells)
    if nodes <= max_nodes:
        return
    p = max(range(len(cells)), key=lambda q: cells[q])
    phase = junction.phases[p]
    finest = float(np.min(local[p]))
    thickness = _max_thickness(phase)
    across = "a semi-infinite phase" if thickness is None else f"{thickness:.3g} m"
    raise ValueError(
        f"Mesh.auto: resolving every space-charge layer needs about {nodes:.3g} nodes, more "
        f"than max_nodes={max_nodes}. Phase {phase.name!r} takes {int(cells[p]):.3g} of them: "
        f"its Debye length is {float(debye[p]):.3g} m and its finest screening length "
        f"{finest:.3g} m, across {across}. Screening "
        "lengths this short come from very large concentrations (Σz²c); check the phase's "
        "background_charge, sites and bulk concentrations and their units (m^-3: a value in "
        "cm^-3 times pnpjax.units.per_cm3). To build it anyway pass Mesh.auto(..., max_nodes=...) "
        "([mesh] max_nodes in a config file) or a smaller nodes_per_debye."
    )


def _far_potential(junction, problem, g, u_b, p: int, side: int):
    """Potential (k_BT/e) that phase p's end on `side` (0 left, 1 right) is pulled towards: the
    bulk of the next phase with mobile charge, or what a boundary holds, across charge-free
    layers."""
    layout = problem.layout
    q = p
    while True:
        q = q - 1 if side == 0 else q + 1
        if q < 0 or q >= len(junction.phases):
            boundary = problem.boundaries[side]
            if boundary.fixes_potential:
                return boundary.held_potential(end_at_equilibrium(problem, side, g, u_b[p]))
            return u_b[p]
        if np.any(layout.mobile[q] & (layout.z != 0)):
            return u_b[q]


@program(compiler_options=SETUP_OPTIONS)
def _mesh_scales(junction: Junction):
    """Per phase: Debye length (m), screening lengths at its left and right ends (m) at the
    largest accumulation the potential steps allow, and those steps (k_BT/e)."""

    provisional = Mesh(
        fractions=tuple(jnp.linspace(0.0, 1.0, 41) for _ in junction.phases),
        lengths=tuple(
            None if p.thickness is not None else jnp.asarray(1e-6) for p in junction.phases
        ),
        length_scale=jnp.asarray(1e-9),
    )
    problem = build_problem(junction, provisional)
    layout, table = problem.layout, problem.phases
    if problem.bulk is not None:
        g, bulk = problem.g_fixed, problem.bulk
    else:
        # a closed state: its potentials from the initial guess on the provisional mesh
        g = full_potentials(problem, split(problem, initial_guess(problem))[1])
        bulk = bulk_state(table, g)
    u_b = jnp.where(bulk.exists, bulk.u, 0.0)
    debye = bulk.debye_lengths(table) * problem.length_scale
    kT = BOLTZMANN_EV * junction.temperature
    n_p = len(junction.phases)
    deviation, extra = [], []
    for p, phase in enumerate(junction.phases):
        for side in (0, 1):
            deviation.append(_far_potential(junction, problem, g, u_b, p, side) - u_b[p])
            k = p - 1 if side == 0 else p
            if 0 <= k < len(junction.interfaces):
                # Grahame: the potential a free surface charge σ_f induces on its own
                eps = VACUUM_PERMITTIVITY * phase.eps_r
                lam = jnp.where(jnp.isfinite(debye[p]), debye[p], 0.0)
                extra.append(
                    2 * jnp.arcsinh(jnp.abs(junction.interfaces[k].sigma) * lam / (2 * eps * kT))
                )
            else:
                extra.append(jnp.zeros(()))
    deviation = jnp.stack(deviation).reshape(n_p, 2)
    extra = jnp.stack(extra).reshape(n_p, 2)
    # Σ z² c at the largest accumulation on either side, from one evaluation of the statistics
    phases = np.repeat(np.arange(n_p), 4)
    offsets = jnp.stack([deviation + extra, deviation - extra], axis=-1).reshape(-1)
    c = concentrations(table, phases, u_b[phases] + offsets, g)
    strength = jnp.where(layout.mobile[phases], layout.z**2 * c, 0.0).sum(axis=1)
    peak = jnp.max(strength.reshape(n_p, 2, 2), axis=-1)
    bulk_strength = jnp.where(layout.mobile, layout.z**2 * bulk.concentration, 0.0).sum(axis=1)[
        :, None
    ]
    positive = bulk_strength > 0
    ratio = jnp.sqrt(
        jnp.where(positive, jnp.maximum(peak / jnp.where(positive, bulk_strength, 1.0), 1.0), 1.0)
    )
    # beyond a 1e9-fold thinning (|Δu| ≈ 41 k_BT) the layer is far past any site density
    # (Boltzmann breaks down) and finer cells would fall below float64 resolution
    local = debye[:, None] / jnp.minimum(ratio, MAX_THINNING)
    return debye, local, jnp.abs(deviation) + extra


def _batched_scales(junction: Junction):
    junction = without_profiles(junction)
    leaves = jax.tree_util.tree_leaves(junction)
    if all(jnp.ndim(leaf) == 0 for leaf in leaves):
        return tuple(np.asarray(a) for a in _mesh_scales(junction))
    axes = jax.tree_util.tree_map(lambda leaf: 0 if jnp.ndim(leaf) > 0 else None, junction)
    debye, local, steps = jax.vmap(_mesh_scales, in_axes=(axes,))(junction)
    # the mesh must serve every member: finest resolution, largest steps
    return (
        np.min(np.asarray(debye), 0),
        np.min(np.asarray(local), 0),
        np.max(np.asarray(steps), 0),
    )


SEGREGATION_STEP = 0.2
"""Largest change of a segregation energy across one cell (k_BT)."""


def _merge_close(x: np.ndarray, gap: float) -> np.ndarray:
    """Drop nodes closer than `gap` (m) to the previously kept one (keeping both ends)."""
    keep = [0]
    for i in range(1, x.size - 1):
        if x[i] - x[keep[-1]] >= gap and x[-1] - x[i] >= gap:
            keep.append(i)
    keep.append(x.size - 1)
    return x[keep]


def _segregation_values(seg, x: np.ndarray) -> np.ndarray:
    """|ΔG| (eV) of a profile at x, the largest over the members of a batch."""
    if seg.positions is not None and np.ndim(seg.positions) == 2:
        rows = [
            np.interp(x, np.asarray(p), np.asarray(e), left=0.0, right=0.0)
            for p, e in zip(seg.positions, seg.energies)
        ]
        return np.max(np.abs(rows), axis=0)
    values = np.abs(np.asarray(seg(jnp.asarray(x))))
    return values.reshape((-1, x.size)).max(axis=0)


def _resolve_segregation(junction: Junction, fractions, spans, spacing, growth):
    """Insert nodes wherever a segregation profile changes by more than `SEGREGATION_STEP` k_BT
    per cell (and at tabulated sites), so that a narrow core is resolved, and grade the mesh
    around it as around an interface: cells of `spacing[p]` (m) next to it, growing by
    `growth` − 1 per unit distance, to resolve the space charge the core's excess sets up."""
    kT = BOLTZMANN_EV * float(np.min(np.asarray(junction.temperature)))
    out, start = [], float(np.min(np.asarray(junction.origin)))
    for p, phase in enumerate(junction.phases):
        end = start + spans[p]
        nodes = start + np.asarray(fractions[p]) * spans[p]
        segs = [
            s
            for s in junction.segregation
            if s.species in phase.carriers and (s.phases is None or phase.name in s.phases)
        ]
        if segs:
            grid = np.linspace(start, end, 4001)
            sites = [np.ravel(np.asarray(s.positions)) for s in segs if s.positions is not None]
            grid = np.union1d(grid, [v for v in np.concatenate([[]] + sites) if start < v < end])
            slope = np.zeros(grid.size - 1)
            magnitude = np.zeros(grid.size)
            for seg in segs:
                values = _segregation_values(seg, grid) / kT
                slope = np.maximum(slope, np.abs(np.diff(values)) / np.diff(grid))
                magnitude = np.maximum(magnitude, values)
            nodes = np.union1d(nodes, [v for v in np.concatenate([[]] + sites) if start < v < end])
            core = grid[magnitude > 0.01]
            if core.size and np.isfinite(spacing[p]):
                distance = np.maximum(np.maximum(core.min() - grid, grid - core.max()), 0.0)
                wanted = spacing[p] + (growth - 1.0) * distance
                midpoints = np.minimum(wanted[1:], wanted[:-1])
                slope = np.maximum(slope, SEGREGATION_STEP / midpoints)
            nodes = _refine_to(nodes, grid, slope)
            nodes = _merge_close(nodes, 1e-6 * (nodes[1:] - nodes[:-1]).max())
        out.append(jnp.asarray((nodes - start) / (end - start)))
        start = end
    return tuple(out)


def _refine_to(nodes: np.ndarray, grid: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Split each cell until the sampled slope (k_BT/m) times its width stays below the step."""
    result = [nodes[0]]
    for a, b in zip(nodes[:-1], nodes[1:]):
        inside = (grid[1:] > a) & (grid[:-1] < b)
        steepest = slope[inside].max() if inside.any() else 0.0
        pieces = int(np.ceil((b - a) * steepest / SEGREGATION_STEP)) if steepest > 0 else 1
        result.extend(a + (b - a) * np.arange(1, pieces + 1) / max(pieces, 1))
    return np.asarray(result)


def _require_concrete(junction: Junction):
    if traced(junction):
        raise ValueError(
            "Mesh.auto needs concrete parameter values, but the junction is traced (inside "
            "jit/vmap/grad): build the mesh outside, mesh = pnpjax.Mesh.auto(junction), and pass "
            "solve_equilibrium(junction, mesh=mesh)"
        )


def _max_thickness(phase):
    return None if phase.thickness is None else float(np.max(np.asarray(phase.thickness)))


class Mesh(eqx.Module):
    """Node positions of a junction, as fractions of each phase's thickness.

    Build one with `Mesh.auto(junction)` (graded to the Debye lengths) or
    `Mesh.from_nodes(junction, x)`; `mesh.refined()` halves every cell.

    **Fields:**

    - `fractions`: per phase, increasing node fractions from 0 to 1.
    - `lengths`: per phase, the length (m) chosen for a semi-infinite (`thickness=None`) phase,
      else `None`.
    - `length_scale`: the length (m) used to non-dimensionalise (smallest Debye length).
    """

    fractions: tuple[Array, ...]
    lengths: tuple[Array | None, ...]
    length_scale: Array

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return 1 + sum(f.shape[0] - 1 for f in self.fractions)

    def thicknesses(self, junction: Junction) -> list:
        """Thickness (m) of each phase: the phase's own, or the mesh's chosen length."""
        return [
            p.thickness if p.thickness is not None else self.lengths[i]
            for i, p in enumerate(junction.phases)
        ]

    def nodes(self, junction: Junction):
        """Node positions `x` (m, differentiable in thicknesses and origin) and the phase index
        of each cell (static)."""
        if len(self.fractions) != len(junction.phases):
            raise ValueError(
                f"Mesh has {len(self.fractions)} phases but the junction has "
                f"{len(junction.phases)}; build the mesh for this junction"
            )
        pieces, start = [], junction.origin
        for p, thickness in enumerate(self.thicknesses(junction)):
            f = jnp.asarray(self.fractions[p])
            piece = start + thickness * f
            pieces.append(piece if p == 0 else piece[1:])
            start = start + thickness
        edge_phase = np.concatenate(
            [np.full(f.shape[0] - 1, p) for p, f in enumerate(self.fractions)]
        )
        return jnp.concatenate(pieces), edge_phase

    def refined(self, times: int = 1) -> "Mesh":
        """The mesh with every cell halved `times` times (for convergence studies)."""
        fractions = self.fractions
        for _ in range(times):
            fractions = tuple(
                jnp.concatenate(
                    [jnp.stack([f[:-1], 0.5 * (f[:-1] + f[1:])], axis=1).reshape(-1), f[-1:]]
                )
                for f in fractions
            )
        return Mesh(fractions=fractions, lengths=self.lengths, length_scale=self.length_scale)

    @classmethod
    def auto(
        cls,
        junction: Junction,
        *,
        nodes_per_debye: float = 10.0,
        growth: float = 1.1,
        bulk_debye_lengths: float = 25.0,
        min_cells: int = 8,
        max_nodes: int = MAX_NODES,
        depletion_cells: float = DEPLETION_CELLS,
    ) -> "Mesh":
        """A mesh graded so every interface and electrode resolves its screening length.

        Next to an interface or electrode the spacing is λ_loc/`nodes_per_debye`, with λ_loc the
        screening length at the largest accumulation the potential step there allows
        (λ·e^{−|Δu|/2} for full accumulation, λ for depletion); it grows linearly by `growth` − 1
        per unit distance, so cells stay smooth (second-order accuracy), except that across a
        depletion layer and its edge it stays below λ/`depletion_cells`. A semi-infinite phase gets
        a
        length of `bulk_debye_lengths` Debye lengths plus four depletion widths λ√(2Δu).
        Works on a batched junction (leaves with a leading axis): the mesh then serves every
        member.

        **Arguments:**

        - `junction`: the `Junction` (concrete values, not traced).
        - `nodes_per_debye`: nodes per local screening length at interfaces and electrodes.
        - `growth`: spacing growth factor (> 1) away from them.
        - `bulk_debye_lengths`: extra neutral length (in Debye lengths) of semi-infinite phases.
        - `min_cells`: minimum cells per phase.
        - `max_nodes`: the node budget (default 10⁶, about 0.1 GB of solver memory): a mesh
          that needs more is refused with a `ValueError` naming the phase that needs them,
          before any array is made. Screening lengths below a picometre (concentrations of
          1e36 m⁻³ and more, usually a unit slip) are the usual cause.
        - `depletion_cells`: cells per Debye length (scaled by `nodes_per_debye`/10) across
          the depletion width λ√(2(Δu − 1)) plus three Debye lengths, next to every interface
          or electrode whose potential step Δu exceeds 2 k_BT/e: the depletion edge, where the
          charge density falls from the fixed charge to zero, is where φ bends most (default
          6; 0 turns it off).
        """
        if not (isinstance(max_nodes, int | np.integer) and max_nodes >= 3):
            raise ValueError(f"Mesh.auto: max_nodes must be an integer ≥ 3, got {max_nodes!r}")
        if not (isinstance(depletion_cells, int | float) and depletion_cells >= 0):
            raise ValueError(
                f"Mesh.auto: depletion_cells must be a number ≥ 0 (0 turns the depletion "
                f"plateau off), got {depletion_cells!r}"
            )
        if not nodes_per_debye > 0:
            raise ValueError(f"Mesh.auto: nodes_per_debye must be > 0, got {nodes_per_debye}")
        if not growth > 1:
            raise ValueError(f"Mesh.auto: growth must be > 1, got {growth}")
        _require_concrete(junction)
        debye, local, steps = _batched_scales(junction)
        capped = np.isfinite(debye)[:, None] & (local * MAX_THINNING <= debye[:, None] * (1 + 1e-9))
        if np.any(capped):
            warnings.warn(
                "Mesh.auto: a potential step of more than 2 ln(1e9) ≈ 41 k_BT/e (about 1 V at room "
                "temperature) would accumulate carriers more than 1e18-fold under Boltzmann "
                "statistics; the mesh stops refining at a 1e9-fold thinned Debye length, so the "
                "layer there is under-resolved and its charge inaccurate. Such accumulation is "
                "beyond any site density: the results are outside Boltzmann theory's validity.",
                stacklevel=2,
            )
        n_p = len(junction.phases)
        finite = debye[np.isfinite(debye)]
        thicknesses = [_max_thickness(ph) for ph in junction.phases]
        spacings, lengths = [], []
        for p in range(n_p):
            lam = float(debye[p])
            refine_left = p > 0 or junction.left.fixes_potential
            refine_right = p < n_p - 1 or junction.right.fixes_potential
            t = thicknesses[p]
            if t is None:
                depletion = np.sqrt(2 * float(np.max(steps[p])))
                t = lam * (bulk_debye_lengths + 4 * depletion)
                lengths.append(jnp.asarray(t))
            else:
                lengths.append(None)
            if np.isfinite(lam):
                h_left = float(local[p, 0]) / nodes_per_debye if refine_left else None
                h_right = float(local[p, 1]) / nodes_per_debye if refine_right else None
                h_max = min(t / min_cells, 5 * lam)
                if not (refine_left or refine_right):
                    h_max = t / min_cells
            else:
                h_left = h_right = None
                h_max = t / min_cells
            plateaus = tuple(
                _depletion_plateau(lam, float(steps[p, side]), nodes_per_debye, depletion_cells)
                for side in (0, 1)
            )
            spacings.append((t, h_left, h_right, h_max, growth, min_cells, plateaus))
        graded = [_graded_cells(*spacing) for spacing in spacings]
        _check_budget(junction, [g[2] for g in graded], debye, local, max_nodes)
        fractions = [jnp.asarray(_graded_fractions(g)) for g in graded]
        if junction.segregation:
            spans = [t if t is not None else float(lengths[p]) for p, t in enumerate(thicknesses)]
            fractions = _resolve_segregation(
                junction, fractions, spans, debye / nodes_per_debye, growth
            )
            cells = [f.shape[0] - 1 for f in fractions]
            _check_budget(junction, cells, debye, local, max_nodes)
        scale = (
            float(finite.min())
            if finite.size
            else float(
                sum(t if t is not None else float(lengths[i]) for i, t in enumerate(thicknesses))
            )
        )
        return cls(
            fractions=tuple(fractions), lengths=tuple(lengths), length_scale=jnp.asarray(scale)
        )

    @classmethod
    def from_nodes(cls, junction: Junction, x, *, length_scale: float | None = None) -> "Mesh":
        """A mesh from explicit node positions `x` (m), which must include the left end, every
        interface and the right end. A semi-infinite phase takes its length from `x`."""
        x = np.asarray(x, dtype=float)
        if x.ndim != 1 or x.size < 3 or np.any(np.diff(x) <= 0):
            raise ValueError("Mesh.from_nodes: x must be a strictly increasing 1D array (m)")
        x = _merge_close(x, 1e-9 * (x[-1] - x[0]))
        origin = float(np.asarray(junction.origin))
        if not np.isclose(x[0], origin, rtol=0, atol=1e-12 * max(1.0, abs(x[-1]))):
            raise ValueError(f"Mesh.from_nodes: x[0] must equal the origin {origin} m")
        given = [None if p.thickness is None else float(p.thickness) for p in junction.phases]
        # a semi-infinite end phase takes the length x leaves over
        free = [p for p, t in enumerate(given) if t is None]
        remaining = (x[-1] - origin) - sum(t for t in given if t is not None)
        if len(free) == 1:
            given[free[0]] = remaining
        elif len(free) == 2:
            raise ValueError(
                "Mesh.from_nodes: with two semi-infinite phases give one of them a thickness, "
                "or use Mesh.auto"
            )
        fractions, lengths, start = [], [], origin
        for p, phase in enumerate(junction.phases):
            end = start + given[p]
            lengths.append(jnp.asarray(given[p]) if phase.thickness is None else None)
            tol = 1e-9 * (end - start)
            i0 = int(np.argmin(np.abs(x - start)))
            i1 = int(np.argmin(np.abs(x - end)))
            if abs(x[i0] - start) > tol or abs(x[i1] - end) > tol:
                raise ValueError(
                    f"Mesh.from_nodes: phase {phase.name!r} spans [{start:.6g}, {end:.6g}] m; "
                    "both ends must be nodes of x"
                )
            f = (x[i0 : i1 + 1] - start) / (end - start)
            f[0], f[-1] = 0.0, 1.0
            fractions.append(jnp.asarray(f))
            start = end
        if not np.isclose(start, x[-1], rtol=1e-9):
            raise ValueError(
                f"Mesh.from_nodes: x ends at {x[-1]} m but the phases end at {start} m"
            )
        if length_scale is None:
            debye = _batched_scales(junction)[0]
            finite = debye[np.isfinite(debye)]
            length_scale = float(finite.min()) if finite.size else float(x[-1] - x[0])
        return cls(
            fractions=tuple(fractions),
            lengths=tuple(lengths),
            length_scale=jnp.asarray(length_scale),
        )
