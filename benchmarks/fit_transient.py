"""A fit through a transient: the ion diffusivity of a blocking cell from its charging current.

The case of `tests/test_fitting_solvers.py::test_current_transient_loss_gradient`, fitted to the
end (too slow to compile for the unit suite): a 100 nm cell of a 1:1 electrolyte (both ions
D = 1e-12 m²/s, tied to one free parameter) between blocking electrodes, the current after a
10 mV step at 12 times from 1 ns to 100 µs (`pj.CurrentTransient`, rtol 1e-8) as noise-free
data with a 1 % relative weight, fitted from D = 2e-12 m²/s by Levenberg–Marquardt with
reverse-mode Jacobians (the transient's derivatives come from diffrax's adjoint).

Run: `python benchmarks/fit_transient.py` (about 2 min on 2 CPU cores, mostly compilation).
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _common import write_json  # noqa: E402
from helpers import blocking_cell  # noqa: E402

import pnpjax as pj  # noqa: E402

TRUTH, START = 1e-12, 2e-12  # m²/s


def main() -> dict:
    truth = blocking_cell(100e-9, d_plus=TRUTH, d_minus=TRUTH)
    mesh = pj.Mesh.auto(truth)
    times = np.logspace(-9, -4, 12)
    transient = pj.CurrentTransient(
        times, pj.Step(0.0, 0.01, 0.0), stepping=pj.TimeStepping(rtol=1e-8)
    )
    current = np.asarray(transient.predict(truth, mesh))

    def both(j):
        carriers = j.phases[0].carriers
        return carriers["A+"].diffusivity, carriers["B-"].diffusivity

    parameter = pj.Parameter("D", both, initial=START, lower=0.0)
    start = time.perf_counter()
    result = pj.fit(truth, [parameter], pj.Data(transient, current, relative=0.01), mesh=mesh)
    seconds = time.perf_counter() - start
    fitted = float(result.parameters["D"])
    out = {
        "truth_m2_s": TRUTH,
        "start_m2_s": START,
        "fitted_m2_s": fitted,
        "relative_error": abs(fitted / TRUTH - 1),
        "steps": int(result.steps),
        "seconds_with_compilation": seconds,
        "nodes": mesh.n_nodes,
    }
    print(
        f"D fitted {fitted:.10g} m²/s (truth {TRUTH:g}; relative error "
        f"{out['relative_error']:.1e}) in {out['steps']} Levenberg–Marquardt steps, "
        f"{seconds:.0f} s with compilation"
    )
    print(f"wrote {write_json('fit_transient', out)}")
    return out


if __name__ == "__main__":
    main()
