"""Conductivity profiles, space-charge (grain-boundary) resistances and Arrhenius fits.

All quantities are planar: per unit interface area (resistances) or per unit depth along the
interface (conductances). In cylindrical and spherical geometry they are those of the local
planar layer, good where the layer is thin compared with the radius.
"""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .._constants import BOLTZMANN, BOLTZMANN_EV, ELEMENTARY_CHARGE, VACUUM_PERMITTIVITY
from .._custom_types import concrete
from .._discretise.transport import diffusivity_table
from .._model.boundaries import Electrode
from .._model.junction import Junction
from .._model.layout import Layout, build_layout
from .._results.equilibrium import EquilibriumSolution
from .._results.transport import TransportSolution

_SERIES_BELOW = 1e-2
"""Below this |ln a − ln b| the logarithmic mean switches to its series, whose truncation error
(< 1e-17) there is below the cancellation (≈ 1e-14) of the direct formula."""


class SpaceChargeResistance(eqx.Module):
    """Resistance of the space-charge layers at one interface (or end face), SI units.

    The region is the two phases next to the interface (the end phase for a face), each up to
    its middle where its other end carries a layer of its own; sides are 0 (left of the plane)
    and 1 (right). At a face the side outside the junction has zero width and repeats the end
    phase's bulk conductivity.

    **Fields:**

    - `resistance_across` (Ω·m²): $R_\\perp = \\int dx/\\sigma(x)$ over the region.
    - `excess_resistance` (Ω·m²): $\\Delta R_\\perp = \\int (1/\\sigma - 1/\\sigma_b)\\,dx$, the
      space-charge (grain-boundary) resistance an impedance arc measures; independent of how far
      the region extends once it covers the layers.
    - `conductance_along` (S): $G_\\parallel = \\int \\sigma\\,dx$, the sheet conductance per unit
      depth for current along the interface.
    - `excess_conductance` (S): $\\Delta G_\\parallel = \\int (\\sigma - \\sigma_b)\\,dx$.
    - `width` `[2]` (m): the window on each side used for the ratios (clipped to the region;
      the ratios are NaN for a window of zero total width).
    - `resistivity_ratio_across` (dimensionless): $\\rho_\\perp/\\rho_b =
      \\int_w dx/\\sigma \\big/ \\int_w dx/\\sigma_b$ over the window.
    - `resistivity_ratio_along` (dimensionless): $\\rho_\\parallel/\\rho_b =
      \\int_w \\sigma_b\\,dx \\big/ \\int_w \\sigma\\,dx$ over the window.
    - `bulk_conductivity` `[2]` (S/m): $\\sigma_b$ of each side.
    - `x` (m), `sigma` (S/m): the total conductivity on the solution's profile entries, NaN
      outside the region (for plotting).
    """

    resistance_across: Float[Array, ""]
    excess_resistance: Float[Array, ""]
    conductance_along: Float[Array, ""]
    excess_conductance: Float[Array, ""]
    width: Float[Array, " 2"]
    resistivity_ratio_across: Float[Array, ""]
    resistivity_ratio_along: Float[Array, ""]
    bulk_conductivity: Float[Array, " 2"]
    x: Float[Array, " m"]
    sigma: Float[Array, " m"]


class ArrheniusFit(eqx.Module):
    """Least-squares Arrhenius fit of resistances (or resistivities) $R(T)$.

    **Fields:**

    - `energy` (eV): the activation energy $E_a$.
    - `prefactor`: $A$ in $R = A\\,T\\,e^{E_a/k_BT}$ (units of R per kelvin) or, without the
      temperature prefactor, in $R = A\\,e^{E_a/k_BT}$ (units of R).
    - `residual` (dimensionless): root-mean-square deviation of the fit in $\\ln R$.
    """

    energy: Float[Array, ""]
    prefactor: Float[Array, ""]
    residual: Float[Array, ""]


def conductivity_profile(
    junction: Junction,
    solution: EquilibriumSolution | TransportSolution,
    *,
    time: int = -1,
) -> Float[Array, "s m"]:
    """Partial conductivities of every species on the solution's profile entries (Nernst–Einstein).

    $$\\sigma_i(x) = \\frac{z_i^2 e^2 D_i\\, c_i(x)}{k_B T},$$

    with $D_i$ the carrier's diffusivity in the phase of each entry (0 for frozen or absent
    carriers). This is the electromigration conductivity of the Scharfetter–Gummel flux the
    transport solvers use, which carries $D c \\nabla(\\ln c\\gamma + z e\\phi/k_BT)$: no
    thermodynamic factor.

    **Arguments:**

    - `junction`: the `Junction` that was solved (diffusivities, charges, temperature).
    - `solution`: an `EquilibriumSolution`, or a `TransportSolution` (one time is used).
    - `time`: index into a `TransportSolution`'s times (ignored for an equilibrium).

    **Returns:** $\\sigma_i$ `[species, x]` (S/m), species ordered as `solution.species`.

    **Reference:** the Nernst–Einstein relation, e.g. J. Maier, *Physical Chemistry of Ionic
    Materials* (Wiley, 2004), ch. 6.
    """
    layout = _check_pair(junction, solution, "conductivity_profile")
    concentration = _concentration(solution, time, "conductivity_profile")
    return _partial_conductivities(junction, layout, solution.phase, concentration)


def space_charge_resistance(
    junction: Junction,
    solution: EquilibriumSolution | TransportSolution,
    *,
    at: int | str = 0,
    width: str | float | ArrayLike = "mott-schottky",
    time: int = -1,
) -> SpaceChargeResistance:
    """Resistance of the space-charge layers at an interface, across and along it.

    With $\\sigma = \\sum_i \\sigma_i$ (`conductivity_profile`) and $\\sigma_b$ the bulk
    conductivity of the phase at $x$, over the region next to the plane:

    $$R_\\perp = \\int \\frac{dx}{\\sigma},\\quad
    \\Delta R_\\perp = \\int \\Big(\\frac{1}{\\sigma} - \\frac{1}{\\sigma_b}\\Big) dx,\\quad
    G_\\parallel = \\int \\sigma\\, dx,\\quad
    \\Delta G_\\parallel = \\int (\\sigma - \\sigma_b)\\, dx.$$

    $\\Delta R_\\perp$ is the grain-boundary (space-charge) resistance per unit area that the
    grain-boundary arc of an impedance spectrum measures. The resistivity ratios are taken over
    a window of `width` on each side: $\\rho_\\perp/\\rho_b$ is the brick-layer ratio of
    Guo and Maier; for a Mott–Schottky layer of width $\\lambda^*$ it is
    $\\int_0^1 e^{a s^2} ds \\approx e^a/(2a)$ with $a = z e \\phi_{sc}/k_BT$.

    **Quadrature.** Within each cell the integrand is taken to vary exponentially between its
    nodal values, so a cell of width $h$ contributes $h\\,L(f_j, f_{j+1})$ with the logarithmic
    mean $L(a, b) = (a - b)/(\\ln a - \\ln b)$. This is exact for Boltzmann profiles over a
    linear potential, and for one carrier at equilibrium it makes $\\int dx/\\sigma$ the DC
    resistance of the Scharfetter–Gummel discretisation: the cell conductance
    $D c_j B(\\Delta)/h$ equals $D/(h\\,L(1/c_j, 1/c_{j+1}))$. With several carriers it is
    second-order accurate. Partial cells at the window's edges are integrated with the same
    exponential interpolant.

    **Region.** The two phases next to the interface, or the end phase for a face. A phase whose
    other end carries a layer of its own (another interface, or an `Electrode`) counts only up
    to its middle, so that neighbouring layers are not counted twice (as `excess_charge` splits
    them); otherwise it counts to its far end (`Bulk`, `Symmetry`, `Ohmic`).

    **Bulk.** For an `EquilibriumSolution`, $\\sigma_b$ follows from `bulk_concentration`; for a
    `TransportSolution`, from the concentrations at the region's far edge on each side, which
    must then be neutral bulk.

    **Arguments:**

    - `junction`: the `Junction` that was solved (diffusivities, charges, temperature).
    - `solution`: an `EquilibriumSolution` or a `TransportSolution`.
    - `at`: the interface index k (between phases k and k + 1), or `"left"`/`"right"` for the
      layer at an end face (e.g. at an `Electrode`).
    - `width`: the window for the resistivity ratios. `"mott-schottky"` (default, equilibrium
      only): on each side the depletion width $\\lambda^* = \\sqrt{2\\varepsilon_r
      \\varepsilon_0 |\\phi_{sc}|/|\\rho_\\text{fixed}|}$ with $\\phi_{sc}$ the side's
      space-charge potential and $\\rho_\\text{fixed}$ the fixed charge density of its phase
      (frozen carriers and `background_charge`). Or a width in m for both sides, or a pair
      (left side, right side).
    - `time`: index into a `TransportSolution`'s times.

    **Returns:** a `SpaceChargeResistance`.

    **References:**

    - D. L. Scharfetter and H. K. Gummel, *IEEE Trans. Electron Devices* 16, 64 (1969),
      doi:10.1109/T-ED.1969.16566.
    - X. Guo and J. Maier, *J. Electrochem. Soc.* 148, E121 (2001), doi:10.1149/1.1348267.
    """
    layout = _check_pair(junction, solution, "space_charge_resistance")
    n_phases = len(junction.phases)
    sides = _sides(at, n_phases)
    _check_conducting(junction, layout, sides)
    concentration = _concentration(solution, time, "space_charge_resistance")
    windows = _requested_widths(junction, layout, solution, width, at, sides)

    x, phase = solution.x, solution.phase
    sigma = _partial_conductivities(junction, layout, phase, concentration).sum(axis=0)
    present = [p for p in sides if p is not None]
    in_region = (phase == present[0]) | (phase == present[-1])
    inf = jnp.asarray(jnp.inf)
    starts = {p: jnp.min(jnp.where(phase == p, x, inf)) for p in present}
    ends = {p: jnp.max(jnp.where(phase == p, x, -inf)) for p in present}
    left, right = sides
    plane = starts[right] if right is not None else ends[left]
    # each side reaches the far end of its phase, or its middle where another layer lies beyond
    start, end = plane, plane
    if left is not None:
        beyond = _layer_beyond(junction, left, 0)
        start = 0.5 * (starts[left] + ends[left]) if beyond else starts[left]
    if right is not None:
        beyond = _layer_beyond(junction, right, 1)
        end = 0.5 * (starts[right] + ends[right]) if beyond else ends[right]
    bulk = {
        side: _bulk_conductivity(junction, layout, solution, concentration, p, edge)
        for side, p, edge in ((0, left, start), (1, right, end))
        if p is not None
    }
    bulk = jnp.stack([bulk.get(0, bulk.get(1)), bulk.get(1, bulk.get(0))])

    # outside the region σ may vanish (a phase without diffusivities): keep its logs finite
    log_sigma = jnp.log(jnp.where(in_region, sigma, 1.0))
    cell_in_region = in_region[:-1] & in_region[1:]
    # a cell of positive width lies in one phase; at a face both entries of `bulk` agree
    cell_bulk = jnp.where(phase[:-1] == present[0], bulk[0], bulk[1])

    def cells(lo, hi, log_f):
        """Cell widths clipped to [lo, hi] and the logarithmic means of f over them."""
        length, mean = _exponential_cells(x, log_f, lo, hi)
        return jnp.where(cell_in_region, length, 0.0), mean

    length, resistivity = cells(start, end, -log_sigma)
    resistance = (length * resistivity).sum()
    excess_resistance = (length * (resistivity - 1.0 / cell_bulk)).sum()
    length, conductivity = cells(start, end, log_sigma)
    conductance = (length * conductivity).sum()
    excess_conductance = (length * (conductivity - cell_bulk)).sum()

    lo = jnp.maximum(plane - windows[0], start)
    hi = jnp.minimum(plane + windows[1], end)
    length, resistivity = cells(lo, hi, -log_sigma)
    ratio_across = (length * resistivity).sum() / (length / cell_bulk).sum()
    length, conductivity = cells(lo, hi, log_sigma)
    ratio_along = (length * cell_bulk).sum() / (length * conductivity).sum()
    return SpaceChargeResistance(
        resistance_across=resistance,
        excess_resistance=excess_resistance,
        conductance_along=conductance,
        excess_conductance=excess_conductance,
        width=jnp.stack([plane - lo, hi - plane]),
        resistivity_ratio_across=ratio_across,
        resistivity_ratio_along=ratio_along,
        bulk_conductivity=bulk,
        x=x,
        sigma=jnp.where(in_region & (x >= start) & (x <= end), sigma, jnp.nan),
    )


def activation_energy(
    temperatures: Float[ArrayLike, " n"],
    values: Float[ArrayLike, " n"],
    *,
    temperature_prefactor: bool = True,
) -> ArrheniusFit:
    """Least-squares Arrhenius fit of resistances or resistivities measured at temperatures T.

    With `temperature_prefactor` (the form usual for ionic conductors, where hopping gives
    $\\sigma T = A' e^{-E_a/k_BT}$) it fits

    $$\\ln\\frac{R}{T} = \\frac{E_a}{k_BT} + \\ln A,$$

    otherwise $\\ln R = E_a/k_BT + \\ln A$. Pass resistances (or $1/\\sigma$), so that $E_a > 0$
    for a thermally activated conductor. Differentiable in both inputs.

    **Arguments:**

    - `temperatures`: T (K), at least two distinct values, all > 0.
    - `values`: R(T) (any unit), all > 0, one per temperature.
    - `temperature_prefactor`: fit $R/T$ (True) or $R$ (False).

    **Returns:** an `ArrheniusFit` with `energy` (eV), `prefactor` and `residual`.

    **Reference:** J. Maier, *Physical Chemistry of Ionic Materials* (Wiley, 2004), ch. 6
    (the $\\sigma T$ Arrhenius form of hopping conduction).
    """
    temperatures = jnp.asarray(temperatures, dtype=jnp.float64)
    values = jnp.asarray(values, dtype=jnp.float64)
    if temperatures.ndim != 1 or temperatures.shape != values.shape:
        raise ValueError(
            "activation_energy: temperatures and values must be 1-D arrays of the same length, "
            f"got shapes {temperatures.shape} and {values.shape}"
        )
    t, v = concrete(temperatures), concrete(values)
    if t is not None and not (np.all(np.isfinite(t)) and np.all(t > 0)):
        raise ValueError(f"activation_energy: temperatures (K) must be finite and > 0, got {t}")
    if t is not None and np.unique(t).size < 2:
        raise ValueError(
            f"activation_energy: needs at least two distinct temperatures (K), got {t}"
        )
    if v is not None and not (np.all(np.isfinite(v)) and np.all(v > 0)):
        raise ValueError(
            f"activation_energy: values must be finite and > 0 (resistances, or 1/σ for "
            f"conductivities), got {v}"
        )
    beta = 1.0 / (BOLTZMANN_EV * temperatures)
    log_values = jnp.log(values)
    if temperature_prefactor:
        log_values = log_values - jnp.log(temperatures)
    beta_centred = beta - beta.mean()
    log_centred = log_values - log_values.mean()
    energy = (beta_centred * log_centred).sum() / (beta_centred**2).sum()
    intercept = log_values.mean() - energy * beta.mean()
    deviation = log_values - intercept - energy * beta
    return ArrheniusFit(
        energy=energy,
        prefactor=jnp.exp(intercept),
        residual=jnp.sqrt(jnp.mean(deviation**2)),
    )


def _check_pair(junction, solution, caller: str) -> Layout:
    if not isinstance(junction, Junction):
        raise TypeError(f"{caller}: expected a pnpjax.Junction, got {type(junction)}")
    if not isinstance(solution, (EquilibriumSolution, TransportSolution)):
        raise TypeError(
            f"{caller}: expected an EquilibriumSolution or TransportSolution, got {type(solution)}"
        )
    if jnp.ndim(solution.x) != 1:
        raise ValueError(
            f"{caller}: the solution is a batch (x has shape {jnp.shape(solution.x)}); call "
            f"{caller} inside jax.vmap over the batch, e.g. jax.vmap({caller})(junctions, "
            "solutions)"
        )
    layout = build_layout(junction)
    if tuple(solution.species) != layout.species:
        raise ValueError(
            f"{caller}: the solution has species {list(solution.species)} but the junction "
            f"{list(layout.species)}; pass the junction that was solved"
        )
    if isinstance(solution, EquilibriumSolution) and solution.phase_names != layout.phase_names:
        raise ValueError(
            f"{caller}: the solution has phases {list(solution.phase_names)} but the junction "
            f"{list(layout.phase_names)}; pass the junction that was solved"
        )
    values = concrete(diffusivity_table(junction, layout))
    charged = layout.mobile & (layout.z != 0)[None, :]
    if values is not None and not np.any(values[charged] > 0):
        raise ValueError(
            f"{caller}: no mobile charged carrier of the junction has a diffusivity, so every "
            "conductivity is zero; give Carrier(..., diffusivity=D) in m^2/s"
        )
    return layout


def _check_conducting(junction: Junction, layout: Layout, sides):
    values = concrete(diffusivity_table(junction, layout))
    if values is None:
        return
    charged = layout.mobile & (layout.z != 0)[None, :]
    for p in sides:
        if p is not None and not np.any(values[p][charged[p]] > 0):
            raise ValueError(
                f"space_charge_resistance: phase {junction.phases[p].name!r} next to the layer "
                "has no mobile charged carrier with a diffusivity, so its conductivity is zero; "
                "give Carrier(..., diffusivity=D) in m^2/s"
            )


def _sides(at, n_phases: int) -> tuple[int | None, int | None]:
    """Phase on each side (left, right) of the chosen plane; `None` outside the junction."""
    if at == "left":
        return None, 0
    if at == "right":
        return n_phases - 1, None
    if isinstance(at, (int, np.integer)) and not isinstance(at, bool):
        if 0 <= at < n_phases - 1:
            return int(at), int(at) + 1
    raise ValueError(
        f"space_charge_resistance: at={at!r} names no interface; give an interface index "
        f"0..{n_phases - 2} (between phases k and k+1) or 'left'/'right' for an end face"
    )


def _concentration(solution, time: int, caller: str):
    if isinstance(solution, EquilibriumSolution):
        return solution.concentration
    n_times = solution.concentration.shape[0]
    if not isinstance(time, (int, np.integer)) or not -n_times <= time < n_times:
        raise ValueError(
            f"{caller}: time={time!r} is not an index into the solution's {n_times} times; "
            f"give an integer in {-n_times}..{n_times - 1}"
        )
    return solution.concentration[time]


def _partial_conductivities(junction: Junction, layout: Layout, phase, concentration):
    kT = BOLTZMANN * junction.temperature
    factor = jnp.asarray(layout.z**2 * ELEMENTARY_CHARGE**2)[:, None] / kT
    diffusivity = diffusivity_table(junction, layout)[phase].T
    return factor * diffusivity * concentration


def _layer_beyond(junction: Junction, p: int, side: int) -> bool:
    """Whether the end of phase p away from the plane (p on `side` of it) carries a layer of its
    own: another interface or an `Electrode` (not `Bulk`, `Symmetry` or `Ohmic`)."""
    if side == 0:
        return p > 0 or isinstance(junction.left, Electrode)
    return p < len(junction.phases) - 1 or isinstance(junction.right, Electrode)


def _bulk_conductivity(junction, layout, solution, concentration, p: int, edge):
    """σ_b (S/m) of phase p; a transport solution's bulk is its entry nearest the region's
    `edge` (m)."""
    if isinstance(solution, EquilibriumSolution):
        c_bulk = solution.bulk_concentration[p]
    else:
        distance = jnp.where(solution.phase == p, jnp.abs(solution.x - edge), jnp.inf)
        c_bulk = concentration[:, jnp.argmin(distance)]
    kT = BOLTZMANN * junction.temperature
    factor = jnp.asarray(layout.z**2 * ELEMENTARY_CHARGE**2) / kT
    return (factor * diffusivity_table(junction, layout)[p] * c_bulk).sum()


def _requested_widths(junction, layout, solution, width, at, sides):
    """The window (m) on each side of the plane; zero outside the junction."""
    outside = jnp.asarray([0.0 if p is not None else 1.0 for p in sides])
    if isinstance(width, str):
        if width != "mott-schottky":
            raise ValueError(
                f"space_charge_resistance: width={width!r} is not understood; give "
                "'mott-schottky' or a width in m (one for both sides, or a pair)"
            )
        if not isinstance(solution, EquilibriumSolution):
            raise ValueError(
                "space_charge_resistance: width='mott-schottky' needs the space-charge "
                "potential of an EquilibriumSolution; for a TransportSolution pass width= in m"
            )
        return jnp.stack(
            [
                jnp.zeros(())
                if p is None
                else _mott_schottky_width(junction, layout, solution, at, p, side)
                for side, p in enumerate(sides)
            ]
        )
    widths = jnp.asarray(width, dtype=jnp.float64)
    if widths.shape not in ((), (2,)):
        raise ValueError(
            f"space_charge_resistance: width must be one width in m or a pair (left side, right "
            f"side), got shape {widths.shape}"
        )
    values = concrete(widths)
    if values is not None and not np.all(values >= 0):
        raise ValueError(
            f"space_charge_resistance: width (m) must be >= 0, got {values}; give the window on "
            "each side of the interface as a positive distance"
        )
    return jnp.broadcast_to(widths, (2,)) * (1.0 - outside)


def _mott_schottky_width(junction, layout, solution, at, p: int, side: int):
    """λ* = √(2ε|φ_sc|/|ρ_fixed|) of phase p on `side` of the plane."""
    phase = junction.phases[p]
    charge = phase.background_charge
    for s, name in enumerate(layout.species):
        if layout.frozen[p, s] and layout.z[s] != 0:
            charge = charge + layout.z[s] * phase.carriers[name].density
    value = concrete(charge)
    if value is not None and value == 0:
        raise ValueError(
            f"space_charge_resistance: width='mott-schottky' needs a fixed charge (frozen "
            f"carriers or background_charge) in phase {phase.name!r}, which has none; pass "
            "width= in m (one for both sides, or a pair)"
        )
    if at == "left":
        potential = solution.phi[0] - solution.bulk_potential[0]
    elif at == "right":
        potential = solution.phi[-1] - solution.bulk_potential[-1]
    else:
        potential = solution.space_charge_potential[at, side]
    permittivity = VACUUM_PERMITTIVITY * phase.eps_r
    return jnp.sqrt(2 * permittivity * jnp.abs(potential) / (ELEMENTARY_CHARGE * jnp.abs(charge)))


def _exponential_cells(x, log_f, lo, hi):
    """Widths of the cells between consecutive entries of x, clipped to [lo, hi], and the mean
    of f over each clipped part for f exponential within the cell (the logarithmic mean of its
    values at the clipped ends)."""
    left, right = x[:-1], x[1:]
    h = right - left
    a = jnp.clip(lo, left, right)
    b = jnp.clip(hi, left, right)
    length = jnp.maximum(b - a, 0.0)
    safe_h = jnp.where(h > 0, h, 1.0)
    slope = (log_f[1:] - log_f[:-1]) / safe_h
    log_a = log_f[:-1] + slope * (a - left)
    log_b = log_f[:-1] + slope * (b - left)
    return length, _logarithmic_mean(log_a, log_b)


def _logarithmic_mean(log_a, log_b):
    """L(a, b) = (a − b)/(ln a − ln b) from ln a and ln b; its series where a ≈ b."""
    r = log_a - log_b
    small = jnp.abs(r) < _SERIES_BELOW
    safe_r = jnp.where(small, 1.0, r)
    direct = (jnp.exp(log_a) - jnp.exp(log_b)) / safe_r
    # √(ab)·sinh(r/2)/(r/2)
    series = jnp.exp(0.5 * (log_a + log_b)) * (1.0 + r**2 / 24.0 + r**4 / 1920.0)
    return jnp.where(small, series, direct)
