"""The files `pnpjax run` writes for each solver: CSV tables, a JSON summary and PNG plots."""

import numpy as np

from .._results.table import write_csv
from .._solvers.equilibrium import solve_equilibrium
from .._solvers.impedance import impedance
from .._solvers.steady import iv_curve, solve_steady_state
from .._solvers.transient import solve_transient
from .._sweep import tasks
from .._sweep.run import sweep


def _figure(ncols=1, width=6.0):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width * ncols, 4.2))
    return fig, np.atleast_1d(axes)


def _save(fig, path, written):
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)
    written.append(str(path))


def _transport_profiles(sol, k=0) -> dict:
    table = {
        "x [m]": np.asarray(sol.x),
        "phase": np.asarray(sol.phase),
        "phi [V]": np.asarray(sol.phi[k]),
    }
    for i, name in enumerate(sol.species):
        table[f"c[{name}] [m^-3]"] = np.asarray(sol.concentration[k, i])
    table["T [K]"] = np.asarray(sol.temperature[k])
    table["heat flux [W/m^2]"] = np.asarray(sol.heat_flux[k])
    return table


def _plot_transport_profiles(sol, path, written, title):
    fig, (left, right) = _figure(2)
    x = 1e9 * np.asarray(sol.x)
    left.plot(x, np.asarray(sol.phi[-1]))
    left.set_xlabel("x (nm)")
    left.set_ylabel("φ (V)")
    for i, name in enumerate(sol.species):
        c = np.asarray(sol.concentration[-1, i])
        if np.any(c > 0):
            right.semilogy(x, np.where(c > 0, c, np.nan), label=name)
    right.set_xlabel("x (nm)")
    right.set_ylabel("c (m$^{-3}$)")
    right.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    _save(fig, path, written)


def write_single(config, mesh) -> dict:
    """Run one solve and write its files; returns the summary."""
    from .. import plot

    task, j, folder, written = config.task, config.junction, config.folder, []
    if isinstance(task, tasks.Equilibrium):
        sol = solve_equilibrium(j, mesh=mesh, solver=task.solver, extrapolate=task.extrapolate)
        sol.to_csv(folder / "profiles.csv")
        written.append(str(folder / "profiles.csv"))
        summary = {"solver": "equilibrium", **sol.summary()}
        if config.plot:
            plot.overview(sol, folder / "profiles.png", title="pnpjax: equilibrium")
            written.append(str(folder / "profiles.png"))
    elif isinstance(task, tasks.SteadyState):
        sol = solve_steady_state(
            j,
            voltage=task.voltage,
            current=task.current,
            mesh=mesh,
            solver=task.solver,
        )
        write_csv(folder / "profiles.csv", _transport_profiles(sol))
        written.append(str(folder / "profiles.csv"))
        summary = {
            "solver": "steady_state",
            "current_A_m-2": float(sol.current[0]),
            "voltage_V": float(sol.voltage[0]),
            "ionic_current_A_m-2": np.asarray(sol.ionic_current[0]).tolist(),
            "electronic_current_A_m-2": np.asarray(sol.electronic_current[0]).tolist(),
            "newton_iterations": int(sol.steps),
            "nodes": int(mesh.n_nodes),
        }
        if config.plot:
            _plot_transport_profiles(
                sol,
                folder / "profiles.png",
                written,
                f"steady state at {float(sol.voltage[0]):.4g} V",
            )
    elif isinstance(task, tasks.IVCurve):
        sol = iv_curve(j, task.voltages, mesh=mesh, solver=task.solver)
        table = {
            "voltage [V]": np.asarray(sol.voltage),
            "current [A/m^2]": np.asarray(sol.current),
            "ionic current right [A/m^2]": np.asarray(sol.ionic_current[:, 1]),
            "electronic current right [A/m^2]": np.asarray(sol.electronic_current[:, 1]),
        }
        write_csv(folder / "iv.csv", table)
        written.append(str(folder / "iv.csv"))
        summary = {
            "solver": "iv_curve",
            "points": int(task.voltages.size),
            "newton_iterations": int(sol.steps),
            "nodes": int(mesh.n_nodes),
            "current_range_A_m-2": [float(np.min(sol.current)), float(np.max(sol.current))],
        }
        if config.plot:
            fig, (ax,) = _figure()
            ax.plot(table["voltage [V]"], table["current [A/m^2]"], ".-")
            ax.set_xlabel("V (V)")
            ax.set_ylabel("I (A/m$^2$)")
            _save(fig, folder / "iv.png", written)
    elif isinstance(task, tasks.Transient):
        sol = solve_transient(
            j,
            task.times,
            voltage=task.voltage,
            current=task.current,
            initial=task.initial,
            mesh=mesh,
            stepping=task.stepping,
        )
        table = {
            "t [s]": np.asarray(sol.t),
            "current [A/m^2]": np.asarray(sol.current),
            "voltage [V]": np.asarray(sol.voltage),
            "electrode charge left [C/m^2]": np.asarray(sol.electrode_charge[:, 0]),
            "electrode charge right [C/m^2]": np.asarray(sol.electrode_charge[:, 1]),
        }
        write_csv(folder / "transient.csv", table)
        written.append(str(folder / "transient.csv"))
        if task.profiles:
            write_csv(folder / "profiles.csv", _transport_profiles(sol, -1))
            written.append(str(folder / "profiles.csv"))
        summary = {
            "solver": "transient",
            "saved_times": int(task.times.size),
            "accepted_steps": int(sol.steps),
            "nodes": int(mesh.n_nodes),
            "final_current_A_m-2": float(sol.current[-1]),
            "final_voltage_V": float(sol.voltage[-1]),
        }
        if config.plot:
            fig, (ax,) = _figure()
            current = np.abs(table["current [A/m^2]"])
            ax.loglog(table["t [s]"], np.where(current > 0, current, np.nan), ".-")
            ax.set_xlabel("t (s)")
            ax.set_ylabel("|I| (A/m$^2$)")
            _save(fig, folder / "transient.png", written)
    else:
        spectrum = impedance(
            j,
            task.frequencies,
            voltage=task.voltage,
            current=task.current,
            mesh=mesh,
            solver=task.solver,
            extrapolate=task.extrapolate,
        )
        spectrum.to_csv(folder / "spectrum.csv")
        written.append(str(folder / "spectrum.csv"))
        z = np.asarray(spectrum.impedance)
        summary = {
            "solver": "impedance",
            "frequencies": int(task.frequencies.size),
            "nodes": int(mesh.n_nodes),
            "low_frequency_Z_Ohm_m2": [float(z[0].real), float(z[0].imag)],
            "high_frequency_Z_Ohm_m2": [float(z[-1].real), float(z[-1].imag)],
            "newton_iterations": int(spectrum.iterations),
        }
        if config.plot:
            fig, axes = _figure(3, width=4.5)
            plot.nyquist(spectrum, axes[0])
            plot.bode(spectrum, (axes[1], axes[2]))
            _save(fig, folder / "impedance.png", written)
    summary["files"] = written
    return summary


def write_sweep(config, progress: bool) -> dict:
    """Run the sweep of a config into `folder/sweep` and plot its first scalar output."""
    folder = config.folder / "sweep"
    options = dict(config.sweep_options)
    mesh = dict(config.mesh_options)
    result = sweep(
        config.junction,
        config.space,
        config.task,
        mesh=mesh,
        folder=folder,
        chunk_size=options["chunk_size"],
        table=options["table"],
        resume=options["resume"],
        progress=progress,
    )
    table = result.table()
    written = [str(p) for p in result.files]
    if config.plot:
        scalar = [
            c
            for c in table.columns
            if c.split("[")[0]
            not in ("point", "status", "code", "reason", "iterations", "residual", "steps")
            and c not in result.names
            and not any(c.startswith(n + " [") or c == n for n in result.names)
        ]
        inputs = [c for c in table.columns[1 : 1 + len(result.names)]]
        if scalar:
            fig, axes = _figure(min(len(inputs), 3), width=4.5)
            ok = table["status"] == "ok"
            for ax, column in zip(axes, inputs):
                ax.plot(table[column][ok], table[scalar[0]][ok], ".")
                ax.set_xlabel(column)
                ax.set_ylabel(scalar[0])
            _save(fig, config.folder / "sweep.png", written)
    failed = int((table["status"] != "ok").sum())
    return {
        "solver": config.task.kind,
        "sweep": config.space.describe()
        if len(config.space) <= 10000
        else type(config.space).__name__,
        "points": result.points,
        "failed": failed,
        "chunks": result.chunks,
        "devices": result.devices,
        "points_per_second": result.points_per_second,
        "compile_seconds": result.compile_seconds,
        "files": written,
    }
