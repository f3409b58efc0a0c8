"""Parameter sweeps: what to vary (`Grid`, `RandomSamples`, `LatinHypercube`, `Table`) and what
to compute at every point (`Equilibrium`, `SteadyState`, `IVCurve`, `Transient`,
`Impedance`), run by `pnpjax.sweep`.

```python
import numpy as np
import pnpjax as pj
from pnpjax import examples, sweeps

junction = examples.cathode_electrolyte(nonideal=False)
space = sweeps.Grid({
    "phases[Li3PS4].carriers[Li_i^•].mu0": np.linspace(0.1, 0.4, 31),   # eV
    "temperature": [250.0, 298.15, 350.0],                               # K
})
result = pj.sweep(junction, space, sweeps.Equilibrium(), folder="sweep-out")
result.table()      # pandas: inputs, built-in and space-charge potentials, ... per point
result.dataset()    # xarray: every output with labelled dims (interface, side, species, x)
```
"""

from ._sweep.result import SweepResult as SweepResult
from ._sweep.run import sweep as sweep
from ._sweep.space import AbstractSpace as AbstractSpace
from ._sweep.space import Grid as Grid
from ._sweep.space import LatinHypercube as LatinHypercube
from ._sweep.space import RandomSamples as RandomSamples
from ._sweep.space import Range as Range
from ._sweep.space import Table as Table
from ._sweep.tasks import AbstractTask as AbstractTask
from ._sweep.tasks import Equilibrium as Equilibrium
from ._sweep.tasks import Impedance as Impedance
from ._sweep.tasks import IVCurve as IVCurve
from ._sweep.tasks import Output as Output
from ._sweep.tasks import SteadyState as SteadyState
from ._sweep.tasks import Transient as Transient

__all__ = [
    "AbstractSpace",
    "AbstractTask",
    "Equilibrium",
    "Grid",
    "IVCurve",
    "Impedance",
    "LatinHypercube",
    "Output",
    "RandomSamples",
    "Range",
    "SteadyState",
    "SweepResult",
    "Table",
    "Transient",
    "sweep",
]
