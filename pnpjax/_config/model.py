"""A `Junction` from the `[junction]`, `[[phases]]` (with their `thermal` tables),
`[[interfaces]]`, `[state]`, `[[species]]` and `[[segregation]]` tables of a config file."""

import functools

from .. import materials
from .._model.boundaries import Bulk, Electrode, Ohmic, Symmetry
from .._model.junction import Interface, Junction
from .._model.kinetics import ButlerVolmer, MassAction, Radiative, ShockleyReadHall
from .._model.phase import Carrier, Phase
from .._model.species import Species
from .._model.state import Closed, ReferenceBulk, Reservoir
from .._model.thermal import (
    Convective,
    FixedTemperature,
    HeatFlux,
    OnsagerMatrix,
    ThermalTransport,
)
from .._thermo.activity import Bikerman, FermiDirac, LatticeSaturation, RegularSolution
from .._thermo.segregation import Segregation
from .schema import ConfigError, Section

BOUNDARIES = ("bulk", "symmetry", "electrode", "ohmic")
THERMAL_BOUNDARIES = ("fixed_temperature", "heat_flux", "convective")
THERMAL = ("measured", "onsager")
STATES = ("reference_bulk", "reservoir", "closed")
ACTIVITIES = ("lattice_saturation", "bikerman", "regular_solution", "fermi_dirac")
REACTIONS = ("mass_action", "shockley_read_hall", "radiative")
GEOMETRIES = ("planar", "cylindrical", "spherical")


def _wrap(section: Section, build, what: str):
    """Run a pnpjax constructor, reporting its complaint against the config table."""
    try:
        return build()
    except (ValueError, TypeError, KeyError) as error:
        raise section.error(f"{what}: {error}") from None


def _butler_volmer(table, where, file) -> ButlerVolmer:
    s = Section(table, where, file)
    kind = s.text("type", "butler_volmer", choices=("butler_volmer",))
    del kind
    species = s.text("species")
    j0 = s.number("exchange_current", field="exchange_current")
    alpha = s.number("symmetry", 0.5, field="symmetry")
    reservoir = s.number("reservoir", None, field="reservoir")
    s.finish()
    return _wrap(s, lambda: ButlerVolmer(species, j0, alpha, reservoir), "ButlerVolmer")


def _boundary(table, where, file):
    s = Section(table, where, file)
    kind = s.text("type", choices=BOUNDARIES)
    if kind in ("bulk", "symmetry"):
        s.finish()
        return Bulk() if kind == "bulk" else Symmetry()
    potential = s.number("potential", 0.0, field="potential")
    if kind == "ohmic":
        s.finish()
        return Ohmic(potential)
    exchange = tuple(
        _butler_volmer(t, f"{where}.exchange[{k}]", file)
        for k, t in enumerate(s.tables("exchange", []))
    )
    s.finish()
    return _wrap(s, lambda: Electrode(potential, exchange=exchange), "Electrode")


def _carriers(s: Section, base: dict) -> dict:
    tables = s.raw("carriers", {})
    if not isinstance(tables, dict):
        raise s.error("carriers must be a table of species → {mu0, density, diffusivity, mobile}")
    carriers = dict(base)
    for species, table in tables.items():
        c = Section(table, f"{s.where}.carriers[{species}]", s.file)
        old = carriers.get(species)
        mu0 = c.number("mu0", None if old is None else float(old.mu0), field="mu0")
        density = c.number(
            "density",
            None if old is None or old.density is None else float(old.density),
            field="density",
        )
        diffusivity = c.number(
            "diffusivity", 0.0 if old is None else float(old.diffusivity), field="diffusivity"
        )
        mobile = c.flag("mobile", True if old is None else old.mobile)
        entropy = c.number("entropy", 0.0 if old is None else float(old.entropy), field="entropy")
        activation = c.number(
            "activation_energy",
            0.0 if old is None else float(old.activation_energy),
            field="activation_energy",
        )
        c.finish()
        carriers[species] = _wrap(
            c,
            functools.partial(
                Carrier,
                0.0 if mu0 is None else mu0,
                density,
                diffusivity,
                mobile,
                entropy=entropy,
                activation_energy=activation,
            ),
            "Carrier",
        )
    if not carriers:
        raise s.error("a phase needs carriers (or a material that has them)")
    return carriers


def _activity(table, where, file):
    s = Section(table, where, file)
    kind = s.text("type", choices=ACTIVITIES)
    species = s.strings("species", ("e'",) if kind == "fermi_dirac" else None)
    if species is None:
        raise s.missing("species")
    if kind == "lattice_saturation":
        sites = s.number("sites", None, field="sites")
        occupied = s.number("occupied", 0.0, field="occupied")
        s.finish()
        return _wrap(s, lambda: LatticeSaturation(species, sites, occupied), "LatticeSaturation")
    if kind == "bikerman":
        size = s.number("ion_size", field="ion_size")
        s.finish()
        return _wrap(s, lambda: Bikerman(species, size), "Bikerman")
    if kind == "regular_solution":
        omega = s.number("interaction", field="interaction")
        s.finish()
        return _wrap(s, lambda: RegularSolution(species, omega), "RegularSolution")
    s.finish()
    return _wrap(s, lambda: FermiDirac(species), "FermiDirac")


def _reaction(table, where, file):
    s = Section(table, where, file)
    kind = s.text("type", choices=REACTIONS)
    if kind == "mass_action":
        equation = s.text("equation")
        k = s.number("rate_constant", field="rate_constant")
        s.finish()
        return _wrap(s, lambda: MassAction(equation, k), "MassAction")
    if kind == "shockley_read_hall":
        tau_n = s.number("tau_n", field="tau_n")
        tau_p = s.number("tau_p", field="tau_p")
        level = s.number("trap_level", 0.0, field="trap_level")
        s.finish()
        return _wrap(s, lambda: ShockleyReadHall(tau_n, tau_p, level), "ShockleyReadHall")
    b = s.number("coefficient", field="coefficient")
    s.finish()
    return _wrap(s, lambda: Radiative(b), "Radiative")


def _thermal(table, where, file):
    """`Phase(thermal=...)` from a `thermal` table: the measured quantities (default) or
    `type = "onsager"` with the matrix."""
    s = Section(table, where, file)
    kind = s.text("type", "measured", choices=THERMAL)
    capacity = s.number("heat_capacity", field="heat_capacity")
    if kind == "onsager":
        species = s.strings("species")
        matrix = s.raw("matrix")
        if not (
            isinstance(matrix, list)
            and all(isinstance(row, list) for row in matrix)
            and all(isinstance(v, (int, float)) for row in matrix for v in row)
        ):
            raise s.error(
                f"matrix = {matrix!r} must be a list of rows of numbers (the Onsager matrix, SI, "
                "heat last)"
            )
        concentrations = _species_values(s, "concentrations", "concentrations", True)
        temperature = s.number("temperature", field="temperature")
        s.finish()
        return _wrap(
            s,
            lambda: OnsagerMatrix(species, matrix, concentrations, temperature, capacity),
            "OnsagerMatrix",
        )
    conductivity = s.number("conductivity", field="conductivity")
    heats = _species_values(s, "heat_of_transport", "heat_of_transport", False)
    soret = _species_values(s, "soret", "soret", False)
    s.finish()
    return _wrap(
        s, lambda: ThermalTransport(conductivity, capacity, heats, soret), "ThermalTransport"
    )


def _thermal_boundary(table, where, file):
    if table is None:
        return None
    s = Section(table, where, file)
    kind = s.text("type", choices=THERMAL_BOUNDARIES)
    if kind == "fixed_temperature":
        temperature = s.number("temperature", field="temperature")
        s.finish()
        return _wrap(s, lambda: FixedTemperature(temperature), "FixedTemperature")
    if kind == "heat_flux":
        flux = s.number("flux", 0.0, field="flux")
        s.finish()
        return _wrap(s, lambda: HeatFlux(flux), "HeatFlux")
    h = s.number("transfer_coefficient", field="transfer_coefficient")
    ambient = s.number("ambient", field="ambient")
    s.finish()
    return _wrap(s, lambda: Convective(h, ambient), "Convective")


def _phase(table, k: int, file: str) -> Phase:
    name = table.get("name") if isinstance(table, dict) else None
    s = Section(table, f"[[phases]] #{k + 1}" + (f" ({name})" if name else ""), file)
    name = s.text("name")
    base = None
    material = s.text("material", None)
    if material is not None:
        if material not in materials.names():
            hint = [m for m in materials.names() if m.lower() == material.lower()]
            raise s.error(
                f"material = {material!r} is not in the materials library; known: "
                f"{materials.names()}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
            )
        base = materials.get(material).phase(name)
    eps_r = s.number("eps_r", None if base is None else float(base.eps_r), field="eps_r")
    if eps_r is None:
        raise s.missing("eps_r", "relative permittivity")
    thickness = s.number("thickness", None, field="thickness")
    background = s.number(
        "background_charge",
        0.0 if base is None else float(base.background_charge),
        field="background_charge",
    )
    carriers = _carriers(s, {} if base is None else base.carriers)
    activity_tables = s.tables("activity", None)
    activity = (
        (base.activity if base is not None else ())
        if activity_tables is None
        else tuple(
            _activity(t, f"{s.where}.activity[{j}]", file) for j, t in enumerate(activity_tables)
        )
    )
    reactions = tuple(
        _reaction(t, f"{s.where}.reactions[{j}]", file)
        for j, t in enumerate(s.tables("reactions", []))
    )
    thermal_table = s.raw("thermal", None)
    thermal = None if thermal_table is None else _thermal(thermal_table, f"{s.where}.thermal", file)
    s.finish()
    return _wrap(
        s,
        lambda: Phase(
            name,
            eps_r=eps_r,
            carriers=carriers,
            thickness=thickness,
            background_charge=background,
            activity=activity,
            reactions=reactions,
            thermal=thermal,
        ),
        "Phase",
    )


def _interface(table, k: int, file: str) -> Interface:
    s = Section(table, f"[[interfaces]] #{k + 1}", file)
    sigma = s.number("sigma", 0.0, field="sigma")
    blocked = s.strings("blocked", ())
    kinetics = tuple(
        _butler_volmer(t, f"{s.where}.kinetics[{j}]", file)
        for j, t in enumerate(s.tables("kinetics", []))
    )
    s.finish()
    return _wrap(s, lambda: Interface(sigma, blocked=blocked, kinetics=kinetics), "Interface")


def _species_values(s: Section, key: str, field: str, required: bool):
    table = s.raw(key, {} if not required else None)
    if table is None:
        raise s.missing(key)
    if not isinstance(table, dict):
        raise s.error(f"{key} must be a table of species → value")
    values = {}
    inner = Section(table, f"{s.where}.{key}", s.file)
    for species in table:
        values[species] = inner.number(species, field=field)
    inner.finish()
    return values


def _state(table, phase_names, file):
    s = Section(table, "[state]", file)
    kind = s.text("type", choices=STATES)
    potentials = _species_values(s, "potentials", "potentials", False)
    if kind == "reference_bulk":
        phase = s.text("phase", choices=tuple(phase_names))
        concentrations = _species_values(s, "concentrations", "concentrations", True)
        s.finish()
        return _wrap(
            s,
            lambda: ReferenceBulk(phase, concentrations, potentials=potentials or None),
            "ReferenceBulk",
        )
    if kind == "reservoir":
        fermi = s.number("fermi_level", None, field="potentials")
        s.finish()
        return _wrap(s, lambda: Reservoir(potentials or None, fermi_level=fermi), "Reservoir")
    amounts = _species_values(s, "amounts", "amounts", True)
    s.finish()
    return _wrap(s, lambda: Closed(amounts, potentials=potentials or None), "Closed")


def _species(table, k, file) -> Species:
    s = Section(table, f"[[species]] #{k + 1}", file)
    name = s.text("name")
    charge = s.number("charge", integer=True)
    s.finish()
    return _wrap(s, lambda: Species(name, charge=charge), "Species")


def _segregation(table, k, file) -> Segregation:
    s = Section(table, f"[[segregation]] #{k + 1}", file)
    species = s.text("species")
    positions = s.numbers("positions")
    energies = s.numbers("energies")
    phases = s.strings("phases", None)
    s.finish()
    if len(positions) != len(energies):
        raise s.error(
            f"positions ({len(positions)} values, m) and energies ({len(energies)} values, eV) "
            "need one entry each per site"
        )
    return _wrap(
        s,
        lambda: Segregation(species, positions=positions, energies=energies, phases=phases),
        "Segregation",
    )


def build_junction(config: dict, file: str) -> Junction:
    """The junction a config describes (errors name the table, the key and the value)."""
    phases_tables = config.get("phases")
    if not isinstance(phases_tables, list) or not phases_tables:
        raise ConfigError(f"{file}: give at least one [[phases]] table")
    phases = [_phase(t, k, file) for k, t in enumerate(phases_tables)]
    names = [p.name for p in phases]
    interfaces_tables = config.get("interfaces", [{} for _ in phases[1:]])
    if not isinstance(interfaces_tables, list) or len(interfaces_tables) != len(phases) - 1:
        raise ConfigError(
            f"{file}: {len(phases)} phases need {len(phases) - 1} [[interfaces]] tables (or none "
            f"for charge-free, transparent interfaces), got "
            f"{len(interfaces_tables) if isinstance(interfaces_tables, list) else 'none'}"
        )
    interfaces = [_interface(t, k, file) for k, t in enumerate(interfaces_tables)]
    if "state" not in config:
        raise ConfigError(
            f'{file}: missing the [state] table (type = "reference_bulk", "reservoir" or "closed")'
        )
    state = _state(config["state"], names, file)
    j = Section(config.get("junction", {}), "[junction]", file)
    temperature = j.number("temperature", 298.15, field="temperature")
    geometry = j.text("geometry", "planar", choices=GEOMETRIES)
    origin = j.number("origin", 0.0, field="origin")
    left = _boundary(j.raw("left", {"type": "bulk"}), "[junction].left", file)
    right = _boundary(j.raw("right", {"type": "bulk"}), "[junction].right", file)
    thermal_left = _thermal_boundary(j.raw("thermal_left", None), "[junction].thermal_left", file)
    thermal_right = _thermal_boundary(
        j.raw("thermal_right", None), "[junction].thermal_right", file
    )
    j.finish()
    species = config.get("species")
    species = None if species is None else [_species(t, k, file) for k, t in enumerate(species)]
    segregation = [_segregation(t, k, file) for k, t in enumerate(config.get("segregation", []))]
    return _wrap(
        j,
        lambda: Junction(
            phases,
            state,
            interfaces=interfaces,
            left=left,
            right=right,
            temperature=temperature,
            species=species,
            geometry=geometry,
            origin=origin,
            segregation=segregation,
            thermal_left=thermal_left,
            thermal_right=thermal_right,
        ),
        "Junction",
    )
