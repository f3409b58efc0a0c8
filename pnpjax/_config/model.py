"""A `Junction` from the `[junction]`, `[[phases]]` (with their `thermal` tables),
`[[interfaces]]`, `[state]`, `[[species]]` and `[[segregation]]` tables of a config file."""

import functools

from .. import materials
from .._fields import describe
from .._model.boundaries import AbstractBoundary
from .._model.junction import Interface, Junction
from .._model.kinetics import AbstractRate, ButlerVolmer
from .._model.phase import Carrier, Phase
from .._model.species import Species
from .._model.state import Closed, ReferenceBulk, Reservoir
from .._model.thermal import AbstractThermalBoundary, OnsagerMatrix, ThermalTransport
from .._thermo.activity import AbstractActivity, CustomActivity
from .._thermo.segregation import Segregation
from .generic import arguments, construct, registry
from .schema import ConfigError, Section

THERMAL = ("measured", "onsager")
STATES = ("reference_bulk", "reservoir", "closed")
GEOMETRIES = ("planar", "cylindrical", "spherical")


def boundaries() -> dict:
    """Config `type` names of the boundaries: every concrete `AbstractBoundary` (bulk,
    symmetry, electrode, ohmic, schottky_contact, ...)."""
    return registry(AbstractBoundary)


def thermal_boundaries() -> dict:
    return registry(AbstractThermalBoundary)


def activities() -> dict:
    # a CustomActivity is a Python function: it has no config form
    return registry(AbstractActivity, exclude=(CustomActivity,))


def reactions() -> dict:
    return registry(AbstractRate)


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
    return construct(s, ButlerVolmer, species=s.text("species"))


def _boundary(table, where, file):
    """Any boundary class by its `type`: its numbers, flags and names read from its fields'
    metadata; `exchange` tables for the contacts that take Butler–Volmer kinetics."""
    s = Section(table, where, file)
    known = boundaries()
    cls = known[s.text("type", choices=tuple(known))]
    given = {}
    if s.has("exchange"):
        given["exchange"] = tuple(
            _butler_volmer(t, f"{where}.exchange[{k}]", file)
            for k, t in enumerate(s.tables("exchange"))
        )
    return construct(s, cls, **given)


def _carriers(s: Section, base: dict) -> dict:
    tables = s.raw("carriers", {})
    if not isinstance(tables, dict):
        raise s.error("carriers must be a table of species → {mu0, density, diffusivity, mobile}")
    carriers = dict(base)
    for species, table in tables.items():
        c = Section(table, f"{s.where}.carriers[{species}]", s.file)
        old = carriers.get(species)
        mu0 = c.parameter("mu0", Carrier, None if old is None else float(old.mu0))
        density = c.parameter(
            "density", Carrier, None if old is None or old.density is None else float(old.density)
        )
        diffusivity = c.parameter(
            "diffusivity", Carrier, 0.0 if old is None else float(old.diffusivity)
        )
        mobile = c.flag("mobile", True if old is None else old.mobile)
        entropy = c.parameter("entropy", Carrier, 0.0 if old is None else float(old.entropy))
        activation = c.parameter(
            "activation_energy", Carrier, 0.0 if old is None else float(old.activation_energy)
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
    known = activities()
    kind = s.text("type", choices=tuple(known))
    species = s.strings("species", ("e'",) if kind == "fermi_dirac" else None)
    if species is None:
        raise s.missing("species")
    return construct(s, known[kind], species=species)


def _reaction(table, where, file):
    s = Section(table, where, file)
    known = reactions()
    cls = known[s.text("type", choices=tuple(known))]
    given = {"equation": s.text("equation")} if "equation" in arguments(cls) else {}
    return construct(s, cls, **given)


def _thermal(table, where, file):
    """`Phase(thermal=...)` from a `thermal` table: the measured quantities (default) or
    `type = "onsager"` with the matrix."""
    s = Section(table, where, file)
    kind = s.text("type", "measured", choices=THERMAL)
    capacity = s.parameter("heat_capacity", ThermalTransport)
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
        concentrations = _species_values(s, "concentrations", OnsagerMatrix, True)
        temperature = s.parameter("temperature", OnsagerMatrix)
        s.finish()
        return _wrap(
            s,
            lambda: OnsagerMatrix(species, matrix, concentrations, temperature, capacity),
            "OnsagerMatrix",
        )
    conductivity = s.parameter("conductivity", ThermalTransport)
    heats = _species_values(s, "heat_of_transport", ThermalTransport, False)
    soret = _species_values(s, "soret", ThermalTransport, False)
    s.finish()
    return _wrap(
        s, lambda: ThermalTransport(conductivity, capacity, heats, soret), "ThermalTransport"
    )


def _thermal_boundary(table, where, file):
    if table is None:
        return None
    s = Section(table, where, file)
    known = thermal_boundaries()
    return construct(s, known[s.text("type", choices=tuple(known))])


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
    eps_r = s.parameter("eps_r", Phase, None if base is None else float(base.eps_r))
    if eps_r is None:
        raise s.missing("eps_r", "relative permittivity")
    thickness = s.parameter("thickness", Phase, None)
    background = s.parameter(
        "background_charge", Phase, 0.0 if base is None else float(base.background_charge)
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
    sigma = s.parameter("sigma", Interface, 0.0)
    blocked = s.strings("blocked", ())
    kinetics = tuple(
        _butler_volmer(t, f"{s.where}.kinetics[{j}]", file)
        for j, t in enumerate(s.tables("kinetics", []))
    )
    s.finish()
    return _wrap(s, lambda: Interface(sigma, blocked=blocked, kinetics=kinetics), "Interface")


def _species_values(s: Section, key: str, owner: type, required: bool):
    """A table `{species: value}` of the dict field `key` of `owner`, each value checked
    against the field's unit and range."""
    info = describe(owner, key)
    table = s.raw(key, {} if not required else None)
    if table is None:
        raise s.missing(key)
    if not isinstance(table, dict):
        raise s.error(f"{key} must be a table of species → value")
    values = {}
    inner = Section(table, f"{s.where}.{key}", s.file)
    for species in table:
        values[species] = inner.described(species, info)
    inner.finish()
    return values


def _state(table, phase_names, file):
    s = Section(table, "[state]", file)
    kind = s.text("type", choices=STATES)
    potentials = _species_values(s, "potentials", Reservoir, False)
    if kind == "reference_bulk":
        phase = s.text("phase", choices=tuple(phase_names))
        concentrations = _species_values(s, "concentrations", ReferenceBulk, True)
        s.finish()
        return _wrap(
            s,
            lambda: ReferenceBulk(phase, concentrations, potentials=potentials or None),
            "ReferenceBulk",
        )
    if kind == "reservoir":
        fermi = s.described("fermi_level", describe(Reservoir, "potentials"), None)
        s.finish()
        return _wrap(s, lambda: Reservoir(potentials or None, fermi_level=fermi), "Reservoir")
    amounts = _species_values(s, "amounts", Closed, True)
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
    temperature = j.parameter("temperature", Junction, 298.15)
    geometry = j.text("geometry", "planar", choices=GEOMETRIES)
    origin = j.parameter("origin", Junction, 0.0)
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
