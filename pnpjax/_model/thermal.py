"""Heat transport: per-phase Onsager transport coefficients and thermal boundary conditions.

Linear irreversible thermodynamics (de Groot and Mazur) with the temperature T(x) as a field.
The entropy production of mobile species i (particle fluxes $J_i$) and heat is

$$\\sigma_S = J_U\\cdot\\nabla\\frac1T
  + \\sum_i J_i\\cdot\\nabla\\left(-\\frac{\\tilde\\mu_i}{T}\\right)
  = J_q'\\cdot\\nabla\\frac1T - \\sum_i J_i\\cdot\\frac{\\nabla_T\\tilde\\mu_i}{T} \\ge 0,$$

with $J_U$ the energy flux and $\\tilde\\mu_i$ the electrochemical potentials. The second form is
the same sum rewritten with the measurable heat flux $J_q' = J_U - \\sum_i\\tilde h_i J_i$
($\\tilde h_i = \\tilde\\mu_i + T\\bar s_i$, the partial enthalpy plus $z_ie\\phi$) and the
isothermal gradients $\\nabla_T\\tilde\\mu_i = \\nabla\\tilde\\mu_i + \\bar s_i\\nabla T$; the two
Onsager matrices are congruent, $L^U = A^TLA$ with $A = [[I, \\tilde h], [0, 1]]$, so each is
symmetric and positive semidefinite exactly when the other is. pnpjax takes the coefficients in
the measurable (heat-flux) form, whose entries are material constants (the energy form's
depend on the zero of every $\\tilde\\mu_i$):

$$J_i = \\sum_k L_{ik}\\left(-\\frac{\\nabla_T\\tilde\\mu_k}{T}\\right) + L_{iq}\\nabla\\frac1T,
\\qquad J_q' = \\sum_k L_{qk}\\left(-\\frac{\\nabla_T\\tilde\\mu_k}{T}\\right)
  + L_{qq}\\nabla\\frac1T.$$

In terms of what is measured: $L_{ii} = D_ic_i/k_B$, the heat of transport
$Q_i^* = L_{iq}/L_{ii}$ (the heat carried per particle at uniform T; the Soret coefficient is
$S_T = Q^*/k_BT^2$) and the thermal conductivity
$\\kappa = (L_{qq} - L_{qm}L_{mm}^{-1}L_{mq})/T^2$ at zero particle flux. So
$J_i = -D_i[\\nabla c_i + c_i\\nabla\\ln\\gamma_i + c_iz_ie\\nabla\\phi/k_BT
+ c_iQ_i^*\\nabla T/k_BT^2]$ (Soret) and $J_q' = -\\kappa\\nabla T + \\sum_iQ_i^*J_i$ (Dufour).

**References:** S. R. de Groot and P. Mazur, *Non-Equilibrium Thermodynamics*, Dover (1984),
ch. IV and XI; S. Kjelstrup and D. Bedeaux, *Non-Equilibrium Thermodynamics of Heterogeneous
Systems*, World Scientific (2008), ch. 3–4; H. B. Callen, *Phys. Rev.* 73, 1349 (1948).
"""

import abc
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array

from .._constants import BOLTZMANN, BOLTZMANN_EV
from .._custom_types import ScalarLike, as_float, concrete
from .._fields import FINITE, NON_NEGATIVE, POSITIVE, check_parameters, parameter


class AbstractThermalTransport(eqx.Module):
    """Heat transport coefficients of one phase (`Phase(thermal=...)`)."""

    heat_capacity: eqx.AbstractVar[Array]

    @abc.abstractmethod
    def coefficients(self, carriers: dict, kT):
        """`(conductivity κ (W m^-1 K^-1), {species: Q* (eV)}, {(i, k): D_ik (m^2/s)})`: the
        thermal conductivity, heats of transport and the cross diffusivities (i ≠ k) at the
        junction's thermal energy `kT` (eV). The diagonal diffusivities stay on the carriers
        (`diffusivities`)."""

    @abc.abstractmethod
    def diffusivities(self) -> dict:
        """`{species: D (m^2/s)}` this model sets (overriding nothing: a carrier it covers has
        no diffusivity of its own)."""

    @property
    @abc.abstractmethod
    def species(self) -> tuple[str, ...]:
        """The carriers the model names."""


class ThermalTransport(AbstractThermalTransport):
    """Heat transport of a phase from measured quantities.

    The phase's Onsager matrix (heat-flux form, see the module docstring) is built from the
    carriers' diffusivities, their heats of transport and the thermal conductivity:
    $L_{ii} = D_ic_i/k_B$, $L_{iq} = Q_i^*L_{ii}$, $L_{qq} = \\kappa T^2 + \\sum_iQ_i^{*2}L_{ii}$.
    It is symmetric and positive semidefinite by construction for κ ≥ 0 and D ≥ 0.

    **Arguments:**

    - `conductivity`: thermal conductivity κ (W m^-1 K^-1), ≥ 0, at zero particle flux.
    - `heat_capacity`: volumetric heat capacity $C_v = \\rho c_p$ (J m^-3 K^-1), > 0 (the
      lattice's; the carriers' own heat capacity is zero in the models pnpjax has, whose partial
      enthalpies do not depend on T).
    - `heat_of_transport`: `{species: Q* (eV)}`, the heat carried per particle at uniform
      temperature (positive: the species moves to the cold side). Default 0.
    - `soret`: `{species: S_T (1/K)}` instead, the Soret coefficient at the junction's
      temperature T₀, $Q^* = k_BT_0^2S_T$ (zero flux: $\\nabla\\ln c = -S_T\\nabla T$).

    **Reference:** S. R. de Groot and P. Mazur, *Non-Equilibrium Thermodynamics*, ch. XI.
    """

    conductivity: Array = parameter(
        unit="W m^-1 K^-1", range=NON_NEGATIVE, doc="thermal conductivity κ"
    )
    heat_capacity: Array = parameter(
        unit="J m^-3 K^-1", range=POSITIVE, doc="volumetric heat capacity ρc_p"
    )
    heat_of_transport: dict[str, Array] = parameter(
        unit="eV", range=FINITE, doc="heats of transport Q*"
    )
    soret: dict[str, Array] = parameter(unit="1/K", range=FINITE, doc="Soret coefficients S_T")

    def __init__(
        self,
        conductivity: ScalarLike,
        heat_capacity: ScalarLike,
        heat_of_transport: dict | None = None,
        soret: dict | None = None,
    ):
        self.conductivity = as_float(conductivity)
        self.heat_capacity = as_float(heat_capacity)
        self.heat_of_transport = {k: as_float(v) for k, v in (heat_of_transport or {}).items()}
        self.soret = {k: as_float(v) for k, v in (soret or {}).items()}

    def __check_init__(self):
        check_parameters(self, "ThermalTransport", {"heat_capacity": _CAPACITY_HINT})
        both = set(self.heat_of_transport) & set(self.soret)
        if both:
            raise ValueError(
                f"ThermalTransport: {sorted(both)} given both a heat_of_transport and a soret "
                "coefficient; give one of them (Q* = k_B T0^2 S_T)"
            )

    @property
    def species(self) -> tuple[str, ...]:
        return tuple(self.heat_of_transport) + tuple(self.soret)

    def diffusivities(self) -> dict:
        return {}

    def coefficients(self, carriers: dict, kT):
        heats = dict(self.heat_of_transport)
        for name, s_t in self.soret.items():
            heats[name] = s_t * kT**2 / BOLTZMANN_EV
        return self.conductivity, heats, {}


class OnsagerMatrix(AbstractThermalTransport):
    """Heat transport of a phase from its Onsager matrix, given directly.

    `matrix` is the (n+1)×(n+1) matrix L of the heat-flux form (module docstring) for the
    fluxes $(J_1, \\dots, J_n, J_q')$ and the forces
    $(-\\nabla_T\\tilde\\mu_1/T, \\dots, -\\nabla_T\\tilde\\mu_n/T, \\nabla(1/T))$, in SI units:
    $L_{ik}$ in K J^-1 m^-1 s^-1 (particle fluxes in m^-2 s^-1, μ̃ in J), $L_{iq}$ in
    K m^-1 s^-1, $L_{qq}$ in W K m^-1. It must be symmetric and positive semidefinite (checked
    at construction). It holds at the given `concentrations` and `temperature`; elsewhere pnpjax
    keeps the material constants it implies, $D_{ik} = k_BL_{ik}/\\sqrt{c_ic_k}$,
    $Q^* = L_{mm}^{-1}L_{mq}$ and $\\kappa = (L_{qq} - L_{qm}L_{mm}^{-1}L_{mq})/T^2$, and
    rebuilds $L(c, T) = [[L_{mm}, L_{mm}Q^*], [Q^{*T}L_{mm}, \\kappa T^2 + Q^{*T}L_{mm}Q^*]]$
    with $L_{ik} = D_{ik}\\sqrt{c_ic_k}/k_B$: symmetric and positive semidefinite at every state.
    The carriers it names take their diffusivities from it (leave `Carrier.diffusivity` unset).

    **Arguments:**

    - `species`: the n mobile carriers, in the matrix's order.
    - `matrix`: L, shape (n+1, n+1), heat last.
    - `concentrations`: `{species: c (m^-3)}` at which L holds, > 0.
    - `temperature`: T (K) at which L holds.
    - `heat_capacity`: volumetric heat capacity (J m^-3 K^-1), > 0.

    **Reference:** S. Kjelstrup and D. Bedeaux, *Non-Equilibrium Thermodynamics of
    Heterogeneous Systems*, ch. 3–4 (Onsager coefficients and measurable quantities).
    """

    matrix: Array
    concentrations: dict[str, Array] = parameter(
        unit="m^-3", range=POSITIVE, doc="concentrations at which L holds"
    )
    temperature: Array = parameter(unit="K", range=POSITIVE, doc="temperature at which L holds")
    heat_capacity: Array = parameter(
        unit="J m^-3 K^-1", range=POSITIVE, doc="volumetric heat capacity ρc_p"
    )
    names: tuple[str, ...] = eqx.field(static=True)

    def __init__(self, species, matrix, concentrations: dict, temperature, heat_capacity):
        if isinstance(species, str):
            species = (species,)
        self.names = tuple(species)
        self.matrix = jnp.asarray(matrix, dtype=jnp.float64)
        self.concentrations = {k: as_float(v) for k, v in concentrations.items()}
        self.temperature = as_float(temperature)
        self.heat_capacity = as_float(heat_capacity)

    def __check_init__(self):
        n = len(self.names)
        if len(set(self.names)) != n or n == 0:
            raise ValueError(f"OnsagerMatrix: species must be distinct names, got {self.names}")
        if self.matrix.shape != (n + 1, n + 1):
            raise ValueError(
                f"OnsagerMatrix: matrix must be ({n + 1}, {n + 1}) for species {self.names} plus "
                f"heat (last row and column), got shape {self.matrix.shape}"
            )
        missing = [s for s in self.names if s not in self.concentrations]
        extra = [s for s in self.concentrations if s not in self.names]
        if missing or extra:
            raise ValueError(
                f"OnsagerMatrix: concentrations must name exactly the species {self.names} "
                f"(m^-3); missing {missing}, unknown {extra}"
            )
        check_parameters(self, "OnsagerMatrix", {"heat_capacity": _CAPACITY_HINT})
        values = concrete(self.matrix)
        if values is None:
            return
        if not np.all(np.isfinite(values)):
            raise ValueError("OnsagerMatrix: matrix has non-finite entries")
        scale = np.max(np.abs(values)) or 1.0
        asymmetry = np.max(np.abs(values - values.T))
        if asymmetry > 1e-10 * scale:
            raise ValueError(
                f"OnsagerMatrix: the matrix must be symmetric (Onsager reciprocity L_ik = L_ki); "
                f"largest |L - L^T| = {asymmetry:.3g} against entries up to {scale:.3g}"
            )
        # eigenvalues of the diagonally scaled matrix: entries differ by many decades in SI
        d = np.sqrt(np.maximum(np.diag(values), 0.0))
        d = np.where(d > 0, d, 1.0)
        smallest = np.linalg.eigvalsh(values / np.outer(d, d)).min()
        if smallest < -1e-10:
            raise ValueError(
                "OnsagerMatrix: the matrix must be positive semidefinite (non-negative entropy "
                f"production); the scaled matrix has the eigenvalue {smallest:.3g}"
            )

    @property
    def species(self) -> tuple[str, ...]:
        return self.names

    def _mobility(self):
        c = jnp.stack([self.concentrations[s] for s in self.names])
        return self.matrix[:-1, :-1], self.matrix[:-1, -1], self.matrix[-1, -1], c

    def diffusivities(self) -> dict:
        l_mm, _, _, c = self._mobility()
        return {s: BOLTZMANN * l_mm[i, i] / c[i] for i, s in enumerate(self.names)}

    def coefficients(self, carriers: dict, kT):
        l_mm, l_mq, l_qq, c = self._mobility()
        # Q* = L_mm^+ L_mq (pseudo-inverse: a species without mobility carries no heat)
        q_star = jnp.linalg.pinv(l_mm) @ l_mq
        kappa = (l_qq - l_mq @ q_star) / self.temperature**2
        heats = {s: q_star[i] * BOLTZMANN_EV / BOLTZMANN for i, s in enumerate(self.names)}
        cross = {}
        n = len(self.names)
        for i in range(n):
            for k in range(n):
                if i != k:
                    cross[(self.names[i], self.names[k])] = (
                        BOLTZMANN * l_mm[i, k] / jnp.sqrt(c[i] * c[k])
                    )
        return kappa, heats, cross


_CAPACITY_HINT = "; it is volumetric: density times specific heat"


def onsager_matrix(diffusivity, concentration, heat_of_transport, conductivity, temperature):
    """The local Onsager matrix (heat-flux form, SI) of n carriers and heat.

    $L_{mm} = D\\circ\\sqrt{cc^T}/k_B$, $L_{mq} = L_{mm}Q^*$,
    $L_{qq} = \\kappa T^2 + Q^{*T}L_{mm}Q^*$: symmetric and positive semidefinite whenever the
    diffusivity matrix D is (see `OnsagerMatrix`).

    **Arguments:** `diffusivity` D (m^2/s) `[n, n]` (or `[n]`, diagonal), `concentration` c
    (m^-3) `[n]`, `heat_of_transport` Q* (eV) `[n]`, `conductivity` κ (W m^-1 K^-1),
    `temperature` T (K).

    **Returns:** L `[n+1, n+1]` (units as in `OnsagerMatrix`).
    """
    c = jnp.asarray(concentration, jnp.float64)
    d = jnp.asarray(diffusivity, jnp.float64)
    if d.ndim == 1:
        d = jnp.diag(d)
    l_mm = d * jnp.sqrt(jnp.outer(c, c)) / BOLTZMANN
    q = jnp.asarray(heat_of_transport, jnp.float64) * BOLTZMANN / BOLTZMANN_EV
    l_mq = l_mm @ q
    l_qq = conductivity * temperature**2 + q @ l_mq
    top = jnp.concatenate([l_mm, l_mq[:, None]], axis=1)
    bottom = jnp.concatenate([l_mq, l_qq[None]])[None]
    return jnp.concatenate([top, bottom], axis=0)


def energy_representation(matrix, enthalpy):
    """The Onsager matrix for the energy flux $J_U = J_q' + \\sum_i\\tilde h_iJ_i$ and the forces
    $\\nabla(-\\tilde\\mu_i/T)$, $\\nabla(1/T)$: $L^U = A^TLA$ with $A = [[I, \\tilde h], [0, 1]]$.

    **Arguments:** `matrix` L `[n+1, n+1]` (heat-flux form, SI, as from `onsager_matrix`),
    `enthalpy` $\\tilde h$ (J per particle) `[n]`: the electrochemical partial enthalpies.

    **Returns:** $L^U$ `[n+1, n+1]`, symmetric and positive semidefinite with L.
    """
    h = jnp.asarray(enthalpy, jnp.float64)
    n = h.shape[0]
    a = jnp.eye(n + 1).at[:n, n].set(h)
    return a.T @ matrix @ a


class ThermalEnd(eqx.Module):
    """One end of a junction with heat transport, as a thermal boundary sees it
    (non-dimensional): θ = T/T₀ at the end node, the scaled face `area`, T₀ (K), the scaled
    energy flow per W/m² (`flux_scale`) and the continuation `ramp` (the fraction of each
    boundary value's departure from T₀ applied; 1 outside the steady-state stages)."""

    theta: Array
    area: Array
    t0: Array
    flux_scale: Array
    ramp: Array

    def ramped(self, temperature) -> Array:
        """θ of a boundary temperature (K) with the ramp applied."""
        return 1.0 + self.ramp * (temperature / self.t0 - 1.0)


class AbstractThermalBoundary(eqx.Module):
    """A thermal boundary condition at one end of the junction
    (`Junction(thermal_left=..., thermal_right=...)`).

    `holds_temperature` declares a temperature held at the end (its energy row becomes
    algebraic, θ = `held_theta`); otherwise `heat_inflow` adds to the end box's energy
    balance. `temperature_scale` is the temperature (K) the boundary imposes on the junction
    (for the number of continuation stages), `None` for a flux.
    """

    holds_temperature: ClassVar[bool] = False

    def held_theta(self, end: ThermalEnd) -> Array:
        """θ held at the end; only called when `holds_temperature`."""
        raise TypeError(f"{type(self).__name__} holds no temperature")

    def heat_inflow(self, end: ThermalEnd) -> Array:
        """Scaled heat flowing into the end box (default: none)."""
        return jnp.zeros(())

    def temperature_scale(self):
        """The temperature (K) the boundary pulls the junction to, or `None`."""
        return None


class FixedTemperature(AbstractThermalBoundary):
    """The end is held at `temperature` (K) (a thermostat or heat sink)."""

    holds_temperature: ClassVar[bool] = True
    temperature: Array = parameter(unit="K", range=POSITIVE, doc="temperature of the end")

    def __init__(self, temperature: ScalarLike):
        self.temperature = as_float(temperature)

    def __check_init__(self):
        check_parameters(self, "FixedTemperature")

    def held_theta(self, end: ThermalEnd) -> Array:
        return end.ramped(self.temperature)

    def temperature_scale(self):
        return self.temperature


class HeatFlux(AbstractThermalBoundary):
    """A given heat flux `flux` (W/m^2 in planar geometry; W/m cylindrical, W spherical)
    flowing **into** the junction through the end; `HeatFlux(0.0)` is an adiabatic end."""

    flux: Array = parameter(unit="W/m^2 (planar)", range=FINITE, doc="heat flux into the end")

    def __init__(self, flux: ScalarLike = 0.0):
        self.flux = as_float(flux)

    def __check_init__(self):
        check_parameters(self, "HeatFlux")

    def heat_inflow(self, end: ThermalEnd) -> Array:
        return end.ramp * self.flux * end.flux_scale * end.area


class Convective(AbstractThermalBoundary):
    """Newton cooling: the heat flux into the junction is $h(T_\\text{ambient} - T)$.

    **Arguments:** `transfer_coefficient` h (W m^-2 K^-1, > 0), `ambient` temperature (K).
    """

    transfer_coefficient: Array = parameter(
        unit="W m^-2 K^-1", range=POSITIVE, doc="heat-transfer coefficient h"
    )
    ambient: Array = parameter(unit="K", range=POSITIVE, doc="ambient temperature")

    def __init__(self, transfer_coefficient: ScalarLike, ambient: ScalarLike):
        self.transfer_coefficient = as_float(transfer_coefficient)
        self.ambient = as_float(ambient)

    def __check_init__(self):
        hints = {"transfer_coefficient": "; use HeatFlux(0.0) for an adiabatic end"}
        check_parameters(self, "Convective", hints)

    def heat_inflow(self, end: ThermalEnd) -> Array:
        h = self.transfer_coefficient * end.flux_scale * end.t0
        return h * end.area * (end.ramped(self.ambient) - end.theta)

    def temperature_scale(self):
        return self.ambient
