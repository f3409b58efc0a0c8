"""Command line.

- `pnpjax demo`: solve the embedded cathode | electrolyte interface (no configuration).
- `pnpjax run CONFIG.toml [--output DIR]`: run the solver or sweep a config file describes.
- `pnpjax materials [NAME]`: list the materials library, or show one material's numbers and
  sources.
"""

import argparse
import json
import pathlib
import sys
import time


def _format_report(solution) -> str:
    summary = solution.summary()
    lines = [
        "pnpjax demo: LiCoO2 | β-Li3PS4 space-charge layers at 298 K",
        "statistics: Li_i^• and V_Li' saturate their sublattices, electrons are Fermi–Dirac",
        "",
    ]
    lines.append(
        f"solver: {summary['result']} in {summary['iterations']} Newton steps on "
        f"{summary['nodes']} nodes, relative residual {summary['relative_residual']:.1e}"
    )
    lines.append("")
    lines.append(
        f"{'phase':<10} {'Debye length (nm)':>18} {'bulk φ (V)':>12}   bulk concentrations (m^-3)"
    )
    for name, phase in summary["phases"].items():
        conc = ", ".join(f"{k} {v:.3g}" for k, v in phase["bulk_concentration_m-3"].items())
        lines.append(
            f"{name:<10} {phase['debye_length_m'] * 1e9:>18.3f} "
            f"{phase['bulk_potential_V']:>12.4f}   {conc}"
        )
    for interface in summary["interfaces"]:
        left, right = interface["between"]
        lines.append("")
        lines.append(f"interface {left} | {right}")
        lines.append(
            f"  built-in potential φ({right}) − φ({left}): "
            f"{interface['built_in_potential_V'] * 1e3:9.2f} mV"
        )
        for side, name in enumerate((left, right)):
            lines.append(
                f"  {name:<8} space-charge potential "
                f"{interface['space_charge_potential_V'][side] * 1e3:9.2f} mV, "
                f"excess charge {interface['excess_charge_C_m-2'][side] * 1e2:9.4f} μC/cm², "
                f"layer width {interface['layer_width_m'][side] * 1e9:7.3f} nm"
            )
    return "\n".join(lines)


def demo(output: str = "pnpjax-demo", plot: bool = True) -> dict:
    """Solve the embedded interface, print the numbers and write CSV, JSON and PNG files."""
    import pnpjax
    from pnpjax import examples

    start = time.perf_counter()
    junction = examples.cathode_electrolyte()
    solution = pnpjax.solve_equilibrium(junction)
    elapsed = time.perf_counter() - start
    folder = pathlib.Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    print(_format_report(solution))
    print(f"\nsolved (mesh, compile and Newton) in {elapsed:.2f} s")
    solution.to_csv(folder / "profiles.csv")
    summary = solution.summary()
    (folder / "summary.json").write_text(json.dumps(summary, indent=2))
    written = [folder / "profiles.csv", folder / "summary.json"]
    if plot:
        from pnpjax import plot as plotting

        half_width = 6 * float(max(solution.debye_length)) * 1e9  # nm either side
        plotting.overview(
            solution,
            folder / "profiles.png",
            xlim=(-half_width, half_width),
            title="LiCoO2 | β-Li3PS4 at 298 K (pnpjax demo)",
        )
        written.append(folder / "profiles.png")
    print("wrote " + ", ".join(str(p) for p in written))
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="pnpjax", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_demo = commands.add_parser("demo", help="solve the embedded LiCoO2 | Li3PS4 interface")
    run_demo.add_argument("--output", default="pnpjax-demo", help="folder for CSV/JSON/PNG")
    run_demo.add_argument("--no-plot", action="store_true", help="skip the PNG")
    run_config = commands.add_parser("run", help="run the solver or sweep of a TOML config")
    run_config.add_argument("config", help="the config file (TOML); see docs/config.md")
    run_config.add_argument("--output", default=None, help="output folder (overrides [output])")
    run_config.add_argument("--no-progress", action="store_true", help="no sweep progress bar")
    for command in (run_demo, run_config):
        command.add_argument(
            "--compilation-cache",
            metavar="FOLDER",
            default=None,
            help="keep compiled programs here for later runs (default: $PNPJAX_COMPILATION_CACHE "
            "or ~/.cache/pnpjax/jax-<version>)",
        )
        command.add_argument(
            "--no-compilation-cache",
            action="store_true",
            help="compile afresh and keep nothing (also PNPJAX_COMPILATION_CACHE=off)",
        )
    show = commands.add_parser("materials", help="list the materials library or show one")
    show.add_argument("name", nargs="?", default=None, help="a material to describe")
    args = parser.parse_args(argv)
    if args.command in ("demo", "run") and not args.no_compilation_cache:
        # compile once per machine: a second run loads the programs the first one compiled
        from pnpjax import enable_compilation_cache

        enable_compilation_cache(args.compilation_cache)
    if args.command == "demo":
        demo(args.output, plot=not args.no_plot)
    elif args.command == "run":
        return _run(args.config, args.output, not args.no_progress)
    else:
        from pnpjax import materials

        if args.name is None:
            for name in materials.names():
                print(f"{name:<8} {materials.get(name).description}")
        else:
            try:
                print(materials.get(args.name).describe())
            except KeyError as error:
                print(f"pnpjax materials: {error.args[0]}", file=sys.stderr)
                return 2
    return 0


def _run(path, output, progress) -> int:
    from pnpjax._config.run import run
    from pnpjax._config.schema import ConfigError

    try:
        summary = run(path, output, progress=progress)
    except ConfigError as error:
        print(f"pnpjax run: {error}", file=sys.stderr)
        return 2
    print(json.dumps({k: v for k, v in summary.items() if k != "files"}, indent=2, default=float))
    print("wrote " + ", ".join(summary["files"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
