"""pnpjax: differentiable, batched space-charge layers at solid–solid interfaces.

Importing pnpjax switches JAX to float64 (`jax_enable_x64`), which every solve needs, and on
CPU-only installations adds two XLA flags that halve compile times (`pnpjax._xla`; set
`PNPJAX_XLA_FLAGS=off` to keep XLA's defaults).
"""
# ruff: noqa: E402, I001 (float64 and the XLA flags must be set before anything else)

import jax as _jax

from ._xla import tune_cpu_compilation as _tune_cpu_compilation

_tune_cpu_compilation()
_jax.config.update("jax_enable_x64", True)

from . import units as units
from ._mesh import Mesh as Mesh
from ._model.boundaries import Bulk as Bulk
from ._model.boundaries import Electrode as Electrode
from ._model.boundaries import Ohmic as Ohmic
from ._model.boundaries import Symmetry as Symmetry
from ._model.junction import Interface as Interface
from ._model.junction import Junction as Junction
from ._model.schottky import SchottkyContact as SchottkyContact
from ._model.phase import Carrier as Carrier
from ._model.phase import Phase as Phase
from ._model.species import Species as Species
from ._model.species import parse_kroger_vink as parse_kroger_vink
from ._model.state import Closed as Closed
from ._model.state import ReferenceBulk as ReferenceBulk
from ._model.state import Reservoir as Reservoir
from ._model.thermal import Convective as Convective
from ._model.thermal import FixedTemperature as FixedTemperature
from ._model.thermal import HeatFlux as HeatFlux
from ._model.thermal import OnsagerMatrix as OnsagerMatrix
from ._model.thermal import ThermalTransport as ThermalTransport
from ._model.thermal import energy_representation as energy_representation
from ._model.thermal import onsager_matrix as onsager_matrix
from ._results.equilibrium import EquilibriumSolution as EquilibriumSolution
from ._solvers.capacitance import differential_capacitance as differential_capacitance
from ._solvers.equilibrium import solve_equilibrium as solve_equilibrium
from ._solvers.newton import Newton as Newton
from ._solvers.stepping import TimeStepping as TimeStepping
from ._compilation_cache import enable_compilation_cache as enable_compilation_cache
from ._solution import RESULTS as RESULTS
from ._solution import result_code as result_code
from ._solution import result_message as result_message
from ._thermo.activity import AbstractActivity as AbstractActivity
from ._thermo.brouwer import brouwer as brouwer
from ._thermo.activity import Bikerman as Bikerman
from ._thermo.activity import CustomActivity as CustomActivity
from ._thermo.activity import FermiDirac as FermiDirac
from ._thermo.activity import LatticeSaturation as LatticeSaturation
from ._thermo.activity import RegularSolution as RegularSolution
from ._thermo.defect_equilibrium import DefectEquilibrium as DefectEquilibrium
from ._thermo.defect_equilibrium import solve_defects as solve_defects
from ._thermo.defects import Defect as Defect
from ._thermo.defects import DefectChemistry as DefectChemistry
from ._thermo.fermi_dirac import effective_density_of_states as effective_density_of_states
from ._thermo.fermi_dirac import fermi_dirac_half as fermi_dirac_half
from ._thermo.reaction import Reaction as Reaction
from ._thermo.segregation import Segregation as Segregation

from ._solvers.impedance import ImpedanceSpectrum as ImpedanceSpectrum
from ._solvers.impedance import impedance as impedance
from ._model.kinetics import ButlerVolmer as ButlerVolmer
from ._model.kinetics import MassAction as MassAction
from ._model.kinetics import Radiative as Radiative
from ._model.kinetics import ShockleyReadHall as ShockleyReadHall
from ._results.transport import TransportSolution as TransportSolution
from ._solvers.steady import iv_curve as iv_curve
from ._solvers.steady import solve_steady_state as solve_steady_state
from ._solvers.transient import solve_transient as solve_transient
from ._model.waveforms import Constant as Constant
from ._model.waveforms import Custom as Custom
from ._model.waveforms import CyclicSweep as CyclicSweep
from ._model.waveforms import LinearSweep as LinearSweep
from ._model.waveforms import Sinusoid as Sinusoid
from ._model.waveforms import Step as Step

from ._analysis.capacitance_voltage import CapacitanceVoltage as CapacitanceVoltage
from ._analysis.capacitance_voltage import capacitance_voltage as capacitance_voltage
from ._analysis.kramers_kronig import KramersKronigCheck as KramersKronigCheck
from ._analysis.kramers_kronig import kramers_kronig as kramers_kronig
from ._analysis.mott_schottky import MottSchottkyFit as MottSchottkyFit
from ._analysis.mott_schottky import mott_schottky as mott_schottky
from ._analysis.resistance import ArrheniusFit as ArrheniusFit
from ._analysis.resistance import SpaceChargeResistance as SpaceChargeResistance
from ._analysis.resistance import activation_energy as activation_energy
from ._analysis.resistance import conductivity_profile as conductivity_profile
from ._analysis.resistance import space_charge_resistance as space_charge_resistance

from ._fit.data import Data as Data
from ._fit.fit import FitResult as FitResult
from ._fit.fit import fit as fit
from ._fit.fit import fit_loss as fit_loss
from ._fit.observables import AbstractObservable as AbstractObservable
from ._fit.observables import CapacitanceCurve as CapacitanceCurve
from ._fit.observables import CurrentTransient as CurrentTransient
from ._fit.observables import CurrentVoltage as CurrentVoltage
from ._fit.observables import Observable as Observable
from ._fit.observables import Profile as Profile
from ._fit.observables import Spectrum as Spectrum
from ._fit.parameters import Parameter as Parameter
from ._fit.uncertainty import NonIdentifiableWarning as NonIdentifiableWarning

from . import sweeps as sweeps
from ._sweep.result import SweepResult as SweepResult
from ._sweep.run import sweep as sweep
from ._sweep.space import Grid as Grid
from ._sweep.space import LatinHypercube as LatinHypercube
from ._sweep.space import RandomSamples as RandomSamples
from ._sweep.space import Range as Range
from ._sweep.space import Table as Table

__version__ = "0.1.0"
