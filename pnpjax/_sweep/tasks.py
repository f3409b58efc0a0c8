"""What a sweep computes at every point: one solver and the outputs it reports.

Each task wraps a public solver called with `throw=False`, so that a point that fails returns
its result code instead of stopping the batch; it declares its outputs (name, unit, labelled
dimensions) so that the sweep can write a table of scalars and a labelled data set of profiles
without running the solver first.
"""

import abc
import dataclasses
from typing import ClassVar

import jax.numpy as jnp
import numpy as np

from .._constants import BOLTZMANN_EV
from .._fields import settings_dict
from .._mesh import Mesh
from .._model.junction import Junction
from .._solution import code, result_message
from .._solvers.equilibrium import solve_equilibrium
from .._solvers.newton import Newton
from .._solvers.stepping import TimeStepping
from .._solvers.transport_start import transport_solver


@dataclasses.dataclass(frozen=True)
class Output:
    """One output of a task: `dims` label its axes (besides the point axis); a `profile`
    output has an axis along x, time, frequency or voltage and goes only to the data set, a
    scalar output (possibly per interface, phase or species) also to the table."""

    name: str
    unit: str
    dims: tuple[str, ...] = ()
    profile: bool = False
    description: str = ""


def _interface_labels(junction: Junction) -> list[str]:
    names = [p.name for p in junction.phases]
    return [f"{a}|{b}" for a, b in zip(names[:-1], names[1:])]


def _species_labels(junction: Junction) -> list[str]:
    return [s.name for s in junction.species]


def _positions(junction: Junction, mesh: Mesh) -> int:
    """Entries of a profile: every node, interface nodes twice (one per phase)."""
    return int(mesh.n_nodes) + len(junction.interfaces)


def _check_drive_values(owner: str, voltage, current) -> None:
    if voltage is not None and current is not None:
        raise ValueError(f"{owner}: give voltage or current, not both")
    for label, value in (("voltage", voltage), ("current", current)):
        if value is not None and not np.isfinite(float(value)):
            raise ValueError(f"{owner}: {label} must be a finite number, got {value!r}")


def _float_or_none(value):
    return None if value is None else float(value)


class AbstractTask(abc.ABC):
    """A solver run at every point of a sweep.

    `inputs` are sweep parameter names the task takes itself (a bias, say) rather than the
    model; `evaluate` is traced under `jax.vmap` and must not raise for a bad point.
    """

    inputs: ClassVar[tuple[str, ...]] = ()
    kind: ClassVar[str]

    def prepare(self, junction: Junction, bounds: dict) -> None:  # noqa: B027 (optional hook)
        """Settle what must be static for the whole sweep (continuation stages from the bias
        range in `bounds`: name → (min, max)); called once, with the reference junction.
        Tasks with nothing to settle keep this default."""

    def mesh(self, junction: Junction, **options) -> Mesh:
        """The default mesh for a (batched) junction spanning the sweep (`options` go to
        `Mesh.auto`)."""
        return Mesh.auto(junction, **options)

    @abc.abstractmethod
    def outputs(self, junction: Junction) -> list[Output]:
        """The outputs, in the order `evaluate` returns them."""

    @abc.abstractmethod
    def coordinates(self, junction: Junction, mesh: Mesh) -> dict[str, np.ndarray]:
        """Labels or values of every dimension the outputs use."""

    @abc.abstractmethod
    def evaluate(self, junction: Junction, mesh: Mesh, inputs: dict) -> tuple[dict, dict]:
        """`(outputs, status)` at one point: outputs by name, and `status` with `code`
        (0 = success) and the diagnostics `reason` reads."""

    @abc.abstractmethod
    def reason(self, status: dict) -> str:
        """Why a point failed, from its (host) status values."""

    @abc.abstractmethod
    def describe(self) -> dict:
        """A JSON description of the task and its settings."""


class Equilibrium(AbstractTask):
    """`solve_equilibrium` at every point.

    **Arguments:**

    - `solver`: `Newton` settings.
    - `extrapolate`: Richardson extrapolation (see `solve_equilibrium`).
    - `profiles`: also store x, φ, E, ρ and every concentration along the junction (point ×
      position values: large for big sweeps).

    **Outputs** (SI units, eV): `built_in_potential`, `interface_potential` (V, per
    interface); `space_charge_potential` (V), `excess_charge` (C/m²), `layer_width` (m) per
    interface and side; `debye_length` (m), `bulk_potential` (V) per phase;
    `bulk_concentration` (m⁻³) per phase and species; `electrochemical_potential` (eV) per
    species (or E_F); `boundary_charge` (C/m²) per end; `total_charge` (C/m²); Newton
    `iterations` and `residual`.
    """

    kind = "equilibrium"

    def __init__(
        self, *, solver: Newton = Newton(), extrapolate: bool = False, profiles: bool = False
    ):
        if not isinstance(solver, Newton):
            raise TypeError(f"Equilibrium: solver must be pnpjax.Newton, got {type(solver)}")
        self.solver, self.extrapolate, self.profiles = solver, bool(extrapolate), bool(profiles)

    def outputs(self, junction):
        out = [
            Output("built_in_potential", "V", ("interface",)),
            Output("interface_potential", "V", ("interface",)),
            Output("space_charge_potential", "V", ("interface", "side")),
            Output("excess_charge", "C/m^2", ("interface", "side")),
            Output("layer_width", "m", ("interface", "side")),
            Output("debye_length", "m", ("phase",)),
            Output("bulk_potential", "V", ("phase",)),
            Output("bulk_concentration", "m^-3", ("phase", "species")),
            Output("electrochemical_potential", "eV", ("potential",)),
            Output("boundary_charge", "C/m^2", ("end",)),
            Output("total_charge", "C/m^2"),
            Output("iterations", "1"),
            Output("residual", "1"),
        ]
        if len(junction.phases) == 1:
            out = [o for o in out if "interface" not in o.dims]
        if self.profiles:
            out += [
                Output("x", "m", ("position",), True, "position of each profile entry"),
                Output("phi", "V", ("position",), True, "electrostatic potential"),
                Output("E", "V/m", ("position",), True, "electric field"),
                Output("rho", "C/m^3", ("position",), True, "charge density"),
                Output("concentration", "m^-3", ("species", "position"), True),
            ]
        return out

    def coordinates(self, junction, mesh):
        sol = _equilibrium_shapes(junction, mesh)
        return {
            "interface": np.array(_interface_labels(junction)),
            "side": np.array(["left", "right"]),
            "end": np.array(["left", "right"]),
            "phase": np.array([p.name for p in junction.phases]),
            "species": np.array(_species_labels(junction)),
            "potential": np.array(sol.potential_keys),
            "position": np.arange(sol.x.shape[0]),
        }

    def evaluate(self, junction, mesh, inputs):
        sol = solve_equilibrium(
            junction, mesh=mesh, solver=self.solver, throw=False, extrapolate=self.extrapolate
        )
        values = {
            "built_in_potential": sol.built_in_potential,
            "interface_potential": sol.interface_potential,
            "space_charge_potential": sol.space_charge_potential,
            "excess_charge": sol.excess_charge,
            "layer_width": sol.layer_width,
            "debye_length": sol.debye_length,
            "bulk_potential": sol.bulk_potential,
            "bulk_concentration": sol.bulk_concentration,
            "electrochemical_potential": sol.electrochemical_potentials,
            "boundary_charge": sol.boundary_charge,
            "total_charge": sol.total_charge,
            "iterations": sol.iterations.astype(jnp.float64),
            "residual": sol.residual,
            "x": sol.x,
            "phi": sol.phi,
            "E": sol.E,
            "rho": sol.rho,
            "concentration": sol.concentration,
        }
        status = {"code": code(sol.result), "iterations": sol.iterations, "residual": sol.residual}
        return values, status

    def reason(self, status):
        return (
            f"{result_message(int(status['code']))} (relative residual "
            f"{float(status['residual']):.3g} after {int(status['iterations'])} iterations)"
        )

    def describe(self):
        return {
            "kind": self.kind,
            "solver": settings_dict(self.solver),
            "extrapolate": self.extrapolate,
            "profiles": self.profiles,
        }


def _equilibrium_shapes(junction, mesh):
    import jax

    return jax.eval_shape(lambda j: solve_equilibrium(j, mesh=mesh, throw=False), junction)


class _Biased(AbstractTask):
    """Shared by the tasks with a constant drive: voltage (V) or current (A/m²), either fixed
    or swept under the names `"voltage"` / `"current"`."""

    inputs = ("voltage", "current")

    def __init__(self, voltage, current, solver: Newton | None):
        _check_drive_values(type(self).__name__, voltage, current)
        self.voltage, self.current = _float_or_none(voltage), _float_or_none(current)
        # the settings the solver uses (its default for None), with the stages fixed for the
        # whole sweep by `prepare`
        self.solver = transport_solver(solver, type(self).__name__)
        self._solver = self.solver

    def prepare(self, junction, bounds):
        if "voltage" in bounds and "current" in bounds:
            raise ValueError(f"{type(self).__name__}: sweep voltage or current, not both")
        if ("voltage" in bounds and self.current is not None) or (
            "current" in bounds and self.voltage is not None
        ):
            raise ValueError(
                f"{type(self).__name__}: a swept voltage/current needs the task without the "
                "other drive"
            )
        if self.solver.continuation_steps is not None:
            self._solver = self.solver
            return
        largest = abs(self.voltage or 0.0)
        if "voltage" in bounds:
            largest = max(abs(v) for v in bounds["voltage"])
        kT = BOLTZMANN_EV * float(np.asarray(junction.temperature))
        if "temperature" in bounds:
            kT = BOLTZMANN_EV * min(bounds["temperature"])
        stages = max(1, int(np.ceil(largest / (2 * kT))))
        self._solver = dataclasses.replace(self.solver, continuation_steps=stages)

    def _drive(self, inputs):
        voltage = inputs.get("voltage", self.voltage)
        current = inputs.get("current", self.current)
        if voltage is None and current is None:
            voltage = 0.0
        return voltage, current

    def _describe_drive(self):
        return {
            "voltage": self.voltage,
            "current": self.current,
            "solver": settings_dict(self.solver),
        }


def _transport_failure(status) -> str:
    return f"the steady state did not converge ({int(status['iterations'])} Newton iterations)"


class SteadyState(_Biased):
    """`solve_steady_state` at every point.

    **Arguments:**

    - `voltage` (V) or `current` (A/m² planar): the constant drive (default 0 V); sweep
      either by naming `"voltage"` or `"current"` in the space instead.
    - `solver`: the `Newton` settings, as in `solve_steady_state` (default `None`:
      `Newton(max_steps=100, atol=1e-9, rtol=0.0, residual_tol=None)`); its
      `continuation_steps` `None` gives every point the same number of bias stages, one per
      2 k_BT/e of the largest |voltage| of the sweep.
    - `profiles`: also store x, φ and every concentration.

    **Outputs:** `current` (A/m²), `voltage` (V), `ionic_current`, `electronic_current` (A/m²
    per end), `electrode_charge` (C/m² per end), `iterations`.
    """

    kind = "steady_state"

    def __init__(
        self,
        *,
        voltage=None,
        current=None,
        solver: Newton | None = None,
        profiles: bool = False,
    ):
        super().__init__(voltage, current, solver)
        self.profiles = bool(profiles)

    def outputs(self, junction):
        out = [
            Output("current", "A/m^2", (), False, "total current density, + left → right"),
            Output("voltage", "V"),
            Output("ionic_current", "A/m^2", ("end",)),
            Output("electronic_current", "A/m^2", ("end",)),
            Output("electrode_charge", "C/m^2", ("end",)),
            Output("iterations", "1"),
        ]
        if self.profiles:
            out += [
                Output("x", "m", ("position",), True),
                Output("phi", "V", ("position",), True),
                Output("concentration", "m^-3", ("species", "position"), True),
            ]
        return out

    def coordinates(self, junction, mesh):
        return {
            "end": np.array(["left", "right"]),
            "species": np.array(_species_labels(junction)),
            "position": np.arange(_positions(junction, mesh)),
        }

    def evaluate(self, junction, mesh, inputs):
        from .._solvers.steady import solve_steady_state

        voltage, current = self._drive(inputs)
        sol = solve_steady_state(
            junction,
            voltage=voltage,
            current=current,
            mesh=mesh,
            solver=self._solver,
            throw=False,
        )
        values = {
            "current": sol.current[0],
            "voltage": sol.voltage[0],
            "ionic_current": sol.ionic_current[0],
            "electronic_current": sol.electronic_current[0],
            "electrode_charge": sol.electrode_charge[0],
            "iterations": sol.steps.astype(jnp.float64),
            "x": sol.x,
            "phi": sol.phi[0],
            "concentration": sol.concentration[0],
        }
        return values, {"code": code(sol.result), "iterations": sol.steps}

    def reason(self, status):
        return _transport_failure(status)

    def describe(self):
        return {"kind": self.kind, **self._describe_drive(), "profiles": self.profiles}


class IVCurve(AbstractTask):
    """`iv_curve` at every point: the steady current at each of `voltages`.

    **Arguments:** `voltages` (V, 1D) and `solver` (`Newton` settings, default `None`) as in
    `iv_curve`; its `continuation_steps` `None` gives every point the same number of stages per
    voltage interval, from the lowest temperature of the sweep.

    **Outputs:** `current` (A/m², per voltage; a profile), `iterations`.
    """

    kind = "iv_curve"

    def __init__(self, voltages, *, solver: Newton | None = None):
        v = np.asarray(voltages, dtype=np.float64)
        if v.ndim != 1 or v.size == 0 or not np.all(np.isfinite(v)):
            raise ValueError("IVCurve: voltages must be a non-empty 1D array of finite values (V)")
        self.voltages = v
        self.solver = transport_solver(solver, "IVCurve")
        self._solver = self.solver

    def prepare(self, junction, bounds):
        if self.solver.continuation_steps is None:
            kT = BOLTZMANN_EV * float(np.asarray(junction.temperature))
            if "temperature" in bounds:
                kT = BOLTZMANN_EV * min(bounds["temperature"])
            jumps = np.abs(np.diff(np.concatenate([[0.0], self.voltages])))
            stages = max(1, int(np.ceil(jumps.max() / (2 * kT))))
            self._solver = dataclasses.replace(self.solver, continuation_steps=stages)

    def outputs(self, junction):
        return [
            Output("current", "A/m^2", ("voltage",), True, "steady current at each voltage"),
            Output("iterations", "1"),
        ]

    def coordinates(self, junction, mesh):
        return {"voltage": self.voltages}

    def evaluate(self, junction, mesh, inputs):
        from .._solvers.steady import iv_curve

        sol = iv_curve(
            junction,
            jnp.asarray(self.voltages),
            mesh=mesh,
            solver=self._solver,
            throw=False,
        )
        values = {"current": sol.current, "iterations": sol.steps.astype(jnp.float64)}
        return values, {"code": code(sol.result), "iterations": sol.steps}

    def reason(self, status):
        return (
            f"a steady state along the curve did not converge ({int(status['iterations'])} "
            "Newton iterations)"
        )

    def describe(self):
        return {
            "kind": self.kind,
            "voltages": self.voltages.tolist(),
            "solver": settings_dict(self.solver),
        }


class Transient(AbstractTask):
    """`solve_transient` at every point.

    **Arguments:**

    - `times`: save times (s), increasing, > 0.
    - `voltage` (V) or `current` (A/m²): a constant drive switched on at t = 0 (sweep it as
      `"voltage"`/`"current"`), or any waveform `solve_transient` accepts (Python only).
    - `initial`, `stepping` (`TimeStepping` settings): as in `solve_transient`.
    - `profiles`: also store φ and every concentration at every save time.

    **Outputs:** `current` (A/m²), `voltage` (V) and `electrode_charge` (C/m² per end) at each
    time; `steps` (accepted steps).
    """

    kind = "transient"
    inputs = ("voltage", "current")

    def __init__(
        self,
        times,
        *,
        voltage=None,
        current=None,
        initial="equilibrium",
        stepping: TimeStepping = TimeStepping(),
        profiles: bool = False,
    ):
        t = np.asarray(times, dtype=np.float64)
        if t.ndim != 1 or t.size == 0 or np.any(t <= 0) or np.any(np.diff(t) <= 0):
            raise ValueError("Transient: times (s) must be a non-empty, increasing 1D array > 0")
        if voltage is not None and current is not None:
            raise ValueError("Transient: give voltage or current, not both")
        if initial not in ("equilibrium", "uniform"):
            raise ValueError(
                f"Transient: initial must be 'equilibrium' or 'uniform', got {initial!r}"
            )
        if not isinstance(stepping, TimeStepping):
            raise TypeError(
                f"Transient: stepping must be a pnpjax.TimeStepping, got {type(stepping)}"
            )
        self.times, self.voltage, self.current, self.initial = t, voltage, current, initial
        self.stepping = stepping
        self.profiles = bool(profiles)

    def outputs(self, junction):
        out = [
            Output("current", "A/m^2", ("time",), True),
            Output("voltage", "V", ("time",), True),
            Output("electrode_charge", "C/m^2", ("time", "end"), True),
            Output("steps", "1"),
        ]
        if self.profiles:
            out += [
                Output("x", "m", ("position",), True),
                Output("phi", "V", ("time", "position"), True),
                Output("concentration", "m^-3", ("time", "species", "position"), True),
            ]
        return out

    def coordinates(self, junction, mesh):
        return {
            "time": self.times,
            "end": np.array(["left", "right"]),
            "species": np.array(_species_labels(junction)),
            "position": np.arange(_positions(junction, mesh)),
        }

    def evaluate(self, junction, mesh, inputs):
        from .._solvers.transient import solve_transient

        voltage = inputs.get("voltage", self.voltage)
        current = inputs.get("current", self.current)
        sol = solve_transient(
            junction,
            jnp.asarray(self.times),
            voltage=voltage,
            current=current,
            initial=self.initial,
            mesh=mesh,
            stepping=self.stepping,
            throw=False,
        )
        values = {
            "current": sol.current,
            "voltage": sol.voltage,
            "electrode_charge": sol.electrode_charge,
            "steps": sol.steps.astype(jnp.float64),
            "x": sol.x,
            "phi": sol.phi,
            "concentration": sol.concentration,
        }
        return values, {"code": code(sol.result), "steps": sol.steps}

    def reason(self, status):
        return (
            f"the integration failed after {int(status['steps'])} accepted steps (step limit "
            "reached or steps rejected down to zero)"
        )

    def describe(self):
        def drive(value):
            return value if value is None or isinstance(value, (int, float)) else repr(value)

        return {
            "kind": self.kind,
            "times": self.times.tolist(),
            "voltage": drive(self.voltage),
            "current": drive(self.current),
            "initial": self.initial,
            "stepping": settings_dict(self.stepping),
            "profiles": self.profiles,
        }


class Impedance(_Biased):
    """`impedance` at every point: the small-signal spectrum about the steady state.

    **Arguments:**

    - `frequencies`: 1D array (Hz), > 0.
    - `voltage` (V) / `current` (A/m²): the DC operating point (default 0 V); sweepable.
    - `solver`: the `Newton` settings of the operating point, as in `impedance` (default
      `None`); its `continuation_steps` `None` is chosen for the whole sweep as in
      `SteadyState`.
    - `extrapolate`: Richardson extrapolation over the mesh and its refinement (see
      `impedance`).

    **Outputs:** `impedance_real`, `impedance_imag` (Ω·m² planar, per frequency; profiles),
    `low_frequency_resistance` (Re Z at the lowest frequency), `high_frequency_resistance`
    (Re Z at the highest), `current` (the DC current density, A/m²), `iterations`.
    """

    kind = "impedance"

    def __init__(
        self,
        frequencies,
        *,
        voltage=None,
        current=None,
        solver: Newton | None = None,
        extrapolate: bool = False,
    ):
        f = np.asarray(frequencies, dtype=np.float64)
        if f.ndim != 1 or f.size == 0 or np.any(~np.isfinite(f)) or np.any(f <= 0):
            raise ValueError(
                "Impedance: frequencies must be a non-empty 1D array of values > 0 (Hz)"
            )
        super().__init__(voltage, current, solver)
        self.frequencies = f
        self.extrapolate = bool(extrapolate)

    def outputs(self, junction):
        return [
            Output("impedance_real", "Ohm m^2", ("frequency",), True),
            Output("impedance_imag", "Ohm m^2", ("frequency",), True),
            Output("low_frequency_resistance", "Ohm m^2", (), False, "Re Z at the lowest f"),
            Output("high_frequency_resistance", "Ohm m^2", (), False, "Re Z at the highest f"),
            Output("current", "A/m^2"),
            Output("iterations", "1"),
        ]

    def coordinates(self, junction, mesh):
        return {"frequency": self.frequencies}

    def evaluate(self, junction, mesh, inputs):
        from .._solvers.impedance import impedance

        voltage, current = self._drive(inputs)
        spectrum = impedance(
            junction,
            jnp.asarray(self.frequencies),
            voltage=voltage,
            current=current,
            mesh=mesh,
            solver=self._solver,
            throw=False,
            extrapolate=self.extrapolate,
        )
        z = spectrum.impedance
        low, high = int(np.argmin(self.frequencies)), int(np.argmax(self.frequencies))
        values = {
            "impedance_real": z.real,
            "impedance_imag": z.imag,
            "low_frequency_resistance": z.real[low],
            "high_frequency_resistance": z.real[high],
            "current": spectrum.steady_state.current[0],
            "iterations": spectrum.iterations.astype(jnp.float64),
        }
        return values, {"code": code(spectrum.result), "iterations": spectrum.iterations}

    def reason(self, status):
        return "the DC operating point: " + _transport_failure(status)

    def describe(self):
        return {
            "kind": self.kind,
            "frequencies": self.frequencies.tolist(),
            # only when set: a sweep written before the option resumes unchanged
            **({"extrapolate": True} if self.extrapolate else {}),
            **self._describe_drive(),
        }


TASKS = {cls.kind: cls for cls in (Equilibrium, SteadyState, IVCurve, Transient, Impedance)}
