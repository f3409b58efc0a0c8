"""Fermi–Dirac statistics of a parabolic band: the integral $F_{1/2}$, its log and inverse.

Electrons in a parabolic band with effective density of states $N_C$ and reduced Fermi level
$\\eta = (E_F - E_C)/k_BT$ have the density $n = N_C F_{1/2}(\\eta)$, with the normalised
complete Fermi–Dirac integral

$$F_{1/2}(\\eta) = \\frac{2}{\\sqrt\\pi}\\int_0^\\infty
\\frac{\\sqrt\\varepsilon\\,d\\varepsilon}{1 + e^{\\varepsilon - \\eta}},
\\qquad F_{1/2}(\\eta) \\to e^\\eta \\;(\\eta\\to-\\infty),\\quad
F_{1/2}(\\eta) \\to \\frac{4}{3\\sqrt\\pi}\\eta^{3/2} \\;(\\eta\\to+\\infty).$$

It is evaluated with the two rational minimax approximations of Antia (1993), one in $e^\\eta$
for $\\eta < 2$ and one in $\\eta^{-2}$ for $\\eta \\ge 2$, each accurate to about $10^{-12}$
relative. Solvers work in log-densities, so the log and its inverse are first-class here.

**Reference:** H. M. Antia, "Rational function approximations for Fermi–Dirac integrals",
*Astrophys. J. Suppl. Ser.* **84**, 101 (1993), doi:10.1086/191748 ($k = 1/2$:
$F_k$ and its inverse $X_k$).
"""

import math

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .._constants import BOLTZMANN
from .._custom_types import as_float

ELECTRON_MASS = 9.1093837015e-31
"""m_e (kg), CODATA 2018; kept here until the package needs it elsewhere."""
PLANCK = 6.62607015e-34
"""h (J s), exact in the 2019 SI (CODATA 2018)."""

ETA_MAX = 1e200
"""$F_{1/2}$ saturates above this η: $F_{1/2}(10^{200}) \\approx 7.5\\times10^{299}$, and
$\\eta^{3/2}$ would overflow float64 soon after."""
LOG_X_MAX = 1000.0
"""The inverse saturates above this $\\ln F_{1/2}$ (η ≈ 2.6e289): past $\\ln x \\approx 1064$ the
degenerate level $\\eta \\approx (3\\sqrt\\pi x/4)^{2/3}$ overflows float64."""

_SWITCH = 2.0
"""Antia's crossover between the Boltzmann-side and degenerate-side approximations."""
_LOG_TWO_OVER_SQRT_PI = math.log(2.0 / math.sqrt(math.pi))
"""Antia's $F_k$ omits $1/\\Gamma(k+1)$; $\\Gamma(3/2) = \\sqrt\\pi/2$."""

# Antia (1993), k = 1/2, coefficients in ascending powers. For η < 2 the variable is
# e^η, for η ≥ 2 it is η^{-2}; both numerators are monic.
_P_LOW = (
    5.75834152995465e6,
    1.30964880355883e7,
    1.07608632249013e7,
    3.93536421893014e6,
    6.42493233715640e5,
    4.16031909245777e4,
    7.77238678539648e2,
    1.0,
)
_Q_LOW = (
    6.49759261942269e6,
    1.70750501625775e7,
    1.69288134856160e7,
    7.95192647756086e6,
    1.83167424554505e6,
    1.95155948326832e5,
    8.17922106644547e3,
    9.02129136642157e1,
)
_P_HIGH = (
    4.85378381173415e-14,
    1.64429113030738e-11,
    3.76794942277806e-9,
    4.69233883900644e-7,
    3.40679845803144e-5,
    1.32212995937796e-3,
    2.60768398973913e-2,
    2.48653216266227e-1,
    1.08037861921488e0,
    1.91247528779676e0,
    1.0,
)
_Q_HIGH = (
    7.28067571760518e-14,
    2.45745452167585e-11,
    5.62152894375277e-9,
    6.96888634549649e-7,
    5.02360015186394e-5,
    1.92040136756592e-3,
    3.66887808002874e-2,
    3.24095226486468e-1,
    1.16434871200131e0,
    1.34981244060549e0,
    2.01311836975930e-1,
    -2.14562434782759e-2,
)

# Antia (1993), inverse X_{1/2}(f) for his unnormalised f = Γ(3/2) F_{1/2}: for f < 4,
# η = ln(f R(f)); for f ≥ 4, with t = f^{-2/3}, η = R(t)/t. About 4e-9 relative, which two
# Newton steps take to round-off.
_INV_SWITCH = math.log(4.0)
_P_INV_LOW = (1.999266880833e4, 5.702479099336e3, 6.610132843877e2, 3.818838129486e1, 1.0)
_Q_INV_LOW = (1.771804140488e4, -2.014785161019e3, 9.130355392717e1, -1.670718177489e0)
_P_INV_HIGH = (
    -1.277060388085e-2,
    7.187946804945e-2,
    -4.262314235106e-1,
    4.997559426872e-1,
    -1.285579118012e0,
    -3.930805454272e-1,
    1.0,
)
_Q_INV_HIGH = (
    -9.745794806288e-3,
    5.485432756838e-2,
    -3.299466243260e-1,
    4.077841975923e-1,
    -1.145531476975e0,
    -6.067091689181e-2,
)
_NEWTON_STEPS = 2


def _polyval(coefficients, x):
    """Horner's rule, coefficients in ascending powers."""
    result = jnp.full_like(x, coefficients[-1])
    for c in reversed(coefficients[:-1]):
        result = result * x + c
    return result


def _rational(p, q, x):
    return _polyval(p, x) / _polyval(q, x)


def _split(x, switch):
    """`x` clipped to each side of `switch`, for the two branches of a piecewise formula.

    The branch that `where` discards then stays finite and gets a zero, not a NaN, cotangent.
    `where` rather than `minimum`/`maximum`, whose gradient at the tie is split one half each.
    """
    below = x < switch
    return jnp.where(below, x, switch), jnp.where(below, switch, x)


@jax.jit
def fermi_dirac_half(eta: ArrayLike) -> Float[Array, "*shape"]:
    """The normalised complete Fermi–Dirac integral of order 1/2, elementwise.

    $$F_{1/2}(\\eta) = \\frac{2}{\\sqrt\\pi}\\int_0^\\infty
    \\frac{\\sqrt\\varepsilon\\,d\\varepsilon}{1 + e^{\\varepsilon - \\eta}},
    \\qquad \\frac{dF_{1/2}}{d\\eta} = F_{-1/2}(\\eta),$$

    so that $n = N_C F_{1/2}((E_F - E_C)/k_BT)$. Evaluated as
    $\\frac{2}{\\sqrt\\pi} e^\\eta P(e^\\eta)/Q(e^\\eta)$ for $\\eta < 2$ and
    $\\frac{2}{\\sqrt\\pi}\\eta^{3/2} P(\\eta^{-2})/Q(\\eta^{-2})$ for $\\eta \\ge 2$;
    relative error below $10^{-12}$ on the whole real line, and of the derivative below
    $2\\times10^{-10}$ (largest at the switch).

    **Arguments:**

    - `eta`: reduced Fermi level $(E_F - E_C)/k_BT$ (dimensionless), any shape.

    **Returns:**

    $F_{1/2}(\\eta)$ (dimensionless), same shape; it underflows to 0 below $\\eta \\approx -745$
    and saturates at $\\eta = $ `ETA_MAX` so it stays finite.

    **Reference:** H. M. Antia, *Astrophys. J. Suppl. Ser.* **84**, 101 (1993),
    doi:10.1086/191748.
    """
    eta = as_float(eta)
    eta = jnp.where(eta < ETA_MAX, eta, ETA_MAX)
    low, high = _split(eta, _SWITCH)
    z = jnp.exp(low)
    f_low = z * _rational(_P_LOW, _Q_LOW, z)
    f_high = high * jnp.sqrt(high) * _rational(_P_HIGH, _Q_HIGH, 1.0 / (high * high))
    return (2.0 / math.sqrt(math.pi)) * jnp.where(eta < _SWITCH, f_low, f_high)


@jax.jit
def log_fermi_dirac_half(eta: ArrayLike) -> Float[Array, "*shape"]:
    """$\\ln F_{1/2}(\\eta)$, finite for every finite η.

    $$\\ln F_{1/2}(\\eta) = \\eta + \\ln\\frac{2}{\\sqrt\\pi}
    + \\ln\\frac{P(e^\\eta)}{Q(e^\\eta)} \\quad (\\eta < 2),\\qquad
    \\ln F_{1/2}(\\eta) = \\tfrac32\\ln\\eta + \\ln\\frac{2}{\\sqrt\\pi}
    + \\ln\\frac{P(\\eta^{-2})}{Q(\\eta^{-2})} \\quad (\\eta \\ge 2),$$

    with the rational functions of [`fermi_dirac_half`][]. The Boltzmann tail is
    $\\eta + \\ln(1 + O(e^\\eta))$ with no underflowing exponential, so η = −1e4 gives −1e4.

    **Arguments:**

    - `eta`: reduced Fermi level $(E_F - E_C)/k_BT$ (dimensionless), any shape.

    **Returns:**

    $\\ln F_{1/2}(\\eta)$, same shape; the log of $n/N_C$.

    **Reference:** H. M. Antia, *Astrophys. J. Suppl. Ser.* **84**, 101 (1993),
    doi:10.1086/191748.
    """
    eta = as_float(eta)
    low, high = _split(eta, _SWITCH)
    z = jnp.exp(low)
    below = eta < _SWITCH
    # one log of the selected branch's factor (logs dominate the cost inside the solver)
    factor = jnp.where(
        below,
        _rational(_P_LOW, _Q_LOW, z),
        jnp.sqrt(high) * _rational(_P_HIGH, _Q_HIGH, 1.0 / (high * high)),
    )
    prefix = jnp.where(below, low, jnp.log(high))
    return _LOG_TWO_OVER_SQRT_PI + prefix + jnp.log(factor)


def _log_fermi_dirac_half_and_slope(eta):
    """$\\ln F_{1/2}$ and its slope $F_{-1/2}/F_{1/2}$ (elementwise, so one JVP gives both)."""
    return jax.jvp(log_fermi_dirac_half, (eta,), (jnp.ones_like(eta),))


def _initial_eta(log_x):
    """Antia's rational approximation to the inverse, about 4e-9 relative."""
    log_f = log_x - _LOG_TWO_OVER_SQRT_PI
    low, high = _split(log_f, _INV_SWITCH)
    eta_low = low + jnp.log(_rational(_P_INV_LOW, _Q_INV_LOW, jnp.exp(low)))
    t = jnp.exp(-high / 1.5)
    eta_high = _rational(_P_INV_HIGH, _Q_INV_HIGH, t) / t
    return jnp.where(log_f < _INV_SWITCH, eta_low, eta_high)


@jax.custom_jvp
def _inverse(log_x):
    eta = _initial_eta(log_x)
    # ln F_{1/2} is increasing and concave, so a Newton step from either side lands at or left
    # of the root and the iterates then climb to it; from Antia's start two steps reach round-off
    for _ in range(_NEWTON_STEPS):
        value, slope = _log_fermi_dirac_half_and_slope(eta)
        eta = eta - (value - log_x) / slope
    return eta


@_inverse.defjvp
def _inverse_jvp(primals, tangents):
    (log_x,) = primals
    (log_x_dot,) = tangents
    eta = _inverse(log_x)
    _, slope = _log_fermi_dirac_half_and_slope(eta)
    return eta, log_x_dot / slope


@jax.jit
def inverse_log_fermi_dirac_half(log_x: ArrayLike) -> Float[Array, "*shape"]:
    """The reduced Fermi level η with $\\ln F_{1/2}(\\eta) = \\ln x$, elementwise.

    Starts from Antia's rational approximation to the inverse $X_{1/2}$ and takes two Newton
    steps on $g(\\eta) = \\ln F_{1/2}(\\eta) - \\ln x$, so it inverts
    [`log_fermi_dirac_half`][] to round-off from the Boltzmann regime ($\\eta = \\ln x$) to the
    degenerate one ($\\eta \\approx (3\\sqrt\\pi x/4)^{2/3}$). The derivative follows from the
    implicit function theorem, not from differentiating the iteration:

    $$\\frac{d\\eta}{d\\ln x} = \\frac{F_{1/2}(\\eta)}{F_{-1/2}(\\eta)}.$$

    **Arguments:**

    - `log_x`: $\\ln(n/N_C)$ (dimensionless), any finite value, any shape.

    **Returns:**

    η (dimensionless), same shape; saturates at $\\ln x = $ `LOG_X_MAX` so it stays finite.

    **Reference:** H. M. Antia, *Astrophys. J. Suppl. Ser.* **84**, 101 (1993),
    doi:10.1086/191748 (starting approximation).
    """
    log_x = as_float(log_x)
    return _inverse(jnp.where(log_x < LOG_X_MAX, log_x, LOG_X_MAX))


def effective_density_of_states(
    mass_ratio: ArrayLike, temperature: ArrayLike
) -> Float[Array, "*shape"]:
    """Effective density of states of a parabolic band (both spins).

    $$N = 2\\left(\\frac{2\\pi m^* m_e k_B T}{h^2}\\right)^{3/2}.$$

    For silicon's conduction band ($m^*/m_e = 1.08$) at 300 K, $N_C \\approx 2.8\\times10^{25}$
    m⁻³.

    **Arguments:**

    - `mass_ratio`: density-of-states effective mass $m^*/m_e$ (dimensionless).
    - `temperature`: $T$ (K).

    **Returns:**

    $N$ (m⁻³), broadcast shape of the arguments.

    **Reference:** S. M. Sze and K. K. Ng, *Physics of Semiconductor Devices*, 3rd ed., Wiley
    (2007), ch. 1.
    """
    mass = as_float(mass_ratio) * ELECTRON_MASS
    thermal = 2.0 * math.pi * mass * BOLTZMANN * as_float(temperature) / PLANCK**2
    return 2.0 * thermal**1.5
