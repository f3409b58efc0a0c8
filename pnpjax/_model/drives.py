"""Drives: what the transport solvers apply to the right contact in time.

`voltage=` makes a cell potentiostatic (the waveform, in V, adds to the right contact's
potential), `current=` galvanostatic (the waveform, in A/m², is the current through the device;
the right contact's potential becomes an unknown, 0 A is open circuit), and neither leaves every
contact at its own potential. Each drive is a class that implements what it does; the transport
rows, the mass matrix, the conservation laws, continuation and the impedance read only these.
"""

from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array

from .waveforms import AbstractWaveform, Constant, as_waveform, jump_ts


class AbstractDrive(eqx.Module):
    """What controls the right contact in time.

    `floats_right` declares that the right contact's potential is an unknown (its Poisson row is
    replaced by the current balance of the last cell, a differential row).
    """

    floats_right: ClassVar[bool] = False
    name: ClassVar[str] = ""

    def bias(self, t) -> Array:
        """Potential (V) added to the right contact at time t (s)."""
        return jnp.zeros(())

    def bias_rate(self, t) -> Array:
        """Its time derivative (V/s)."""
        return jnp.zeros(())

    def current(self, t) -> Array:
        """The current density (A/m²) imposed at time t (s); only when `floats_right`."""
        raise TypeError(f"{type(self).__name__} imposes no current")

    def jumps(self):
        """Times (s) where the drive or its slope jumps (diffrax `jump_ts`), or `None`."""
        return None

    def value(self) -> Array:
        """The constant value of a steady drive (V or A/m²)."""
        return jnp.zeros(())

    def at(self, value) -> "AbstractDrive":
        """The same kind of drive held at a constant `value` (continuation stages, the
        operating point of an impedance)."""
        return self

    def check(self, junction) -> None:  # noqa: B027 (optional hook)
        """Construction-time checks against the junction's contacts."""


class Rest(AbstractDrive):
    """No drive: every contact holds its own potential."""


class _Waveform(AbstractDrive):
    waveform: AbstractWaveform

    def jumps(self):
        return jump_ts(self.waveform)

    def value(self) -> Array:
        return self.waveform(0.0)

    def at(self, value):
        return type(self)(Constant(value))


class Potentiostatic(_Waveform):
    """`waveform` (V) added to the right contact's potential."""

    name: ClassVar[str] = "voltage"

    def bias(self, t):
        return self.waveform(t)

    def bias_rate(self, t):
        return self.waveform.derivative(t)

    def check(self, junction) -> None:
        if not junction.right.fixes_potential:
            raise ValueError(
                "voltage=: the right boundary must be an Electrode or Ohmic contact to apply a "
                f"voltage to, got {type(junction.right).__name__}()"
            )


class Galvanostatic(_Waveform):
    """`waveform` (A/m² planar) driven through the device; the right contact floats."""

    floats_right: ClassVar[bool] = True
    name: ClassVar[str] = "current"

    def current(self, t):
        return self.waveform(t)

    def check(self, junction) -> None:
        if not (junction.left.fixes_potential and junction.right.fixes_potential):
            raise ValueError(
                "current=: a galvanostatic drive needs contacts at both ends (Electrode or "
                f"Ohmic), got left={type(junction.left).__name__}(), "
                f"right={type(junction.right).__name__}(); an insulating end carries no current"
            )


def make_drive(voltage, current) -> AbstractDrive:
    """The drive from the `voltage=` and `current=` arguments of the transport solvers."""
    if voltage is not None and current is not None:
        raise ValueError(
            "give either voltage= (potentiostatic, V) or current= (galvanostatic, A/m^2), not both"
        )
    if voltage is not None:
        return Potentiostatic(as_waveform(voltage))
    if current is not None:
        return Galvanostatic(as_waveform(current))
    return Rest()
