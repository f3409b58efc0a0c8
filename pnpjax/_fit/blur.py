"""What a probe of finite depth resolution sees of a profile: a Gaussian convolution.

Depth profiling (SIMS, NDP, EELS line scans, KPFM) records
$m(x) = \\int f(x')\\,g(x - x')\\,dx'$ with $g$ a Gaussian of standard deviation $w$
(FWHM $= 2\\sqrt{2\\ln 2}\\,w \\approx 2.355\\,w$). The model profile is piecewise linear between
mesh nodes, so the convolution is exact segment by segment:

$$
\\int_a^b f(x')g(x-x')dx' = \\big(f_a + s(x-a)\\big)\\big(\\Phi(t_b)-\\Phi(t_a)\\big)
  + s\\,w\\,\\big(\\varphi(t_a)-\\varphi(t_b)\\big),\\qquad t = (x'-x)/w,
$$

with slope $s$, and the end values continued beyond the domain (the bulk goes on). A jump at an
interface (two nodes at one x) is a segment of zero length and stays a jump before blurring.

**Reference:** S. Hofmann, *Surf. Interface Anal.* 21, 673 (1994) (depth resolution and
the convolution model of sputter depth profiles).
"""

import jax.numpy as jnp
from jax.scipy.special import ndtr


def _density(t):
    return jnp.exp(-0.5 * t**2) / jnp.sqrt(2.0 * jnp.pi)


def gaussian_blur(x_model, f_model, x_data, width: float):
    """The profile `f_model` on nodes `x_model` (m, ascending, repeats allowed at interfaces)
    convolved with a Gaussian of standard deviation `width` (m) and read at `x_data` (m).
    `width = 0` reads the piecewise-linear profile itself."""
    if width == 0:
        return jnp.interp(x_data, x_model, f_model)
    a, b = x_model[:-1], x_model[1:]
    fa, fb = f_model[:-1], f_model[1:]
    length = b - a
    safe = jnp.where(length > 0, length, 1.0)
    slope = jnp.where(length > 0, (fb - fa) / safe, 0.0)
    x = x_data[:, None]
    ta, tb = (a - x) / width, (b - x) / width
    inside = (fa + slope * (x - a)) * (ndtr(tb) - ndtr(ta)) + slope * width * (
        _density(ta) - _density(tb)
    )
    left = f_model[0] * ndtr((x_model[0] - x_data) / width)
    right = f_model[-1] * ndtr((x_data - x_model[-1]) / width)
    return inside.sum(axis=1) + left + right
