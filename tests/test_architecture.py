"""The layers of docs/architecture.md hold: imports point one way (no cycle between packages,
even through imports inside functions), and no module imports another package's private name."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).parents[1] / "pnpjax"


def _imports():
    """(importing module, imported module, names) for every relative import in pnpjax."""
    found = []
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        module = ".".join(parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                found.append((module, target, [a.name for a in node.names]))
    return found


# `_model` and `_thermo` are one layer (what the user describes; docs/architecture.md)
_LAYER = {"_thermo": "_model"}


def _unit(module: str) -> str:
    """The layer unit of a module: its package under pnpjax (`_model`), or the module itself
    for a top-level file (`_mesh`, `plot`)."""
    parts = module.split(".")
    unit = parts[1] if len(parts) > 1 else "pnpjax"
    return _LAYER.get(unit, unit)


def _cycle(graph: dict) -> list | None:
    """A cycle of `graph` ({node: successors}), or None."""
    state, path = {}, []

    def visit(node):
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def _target_modules(target: str, names: list[str]) -> list[str]:
    """The modules an import reaches: `from .x import y` names module x.y when y is one."""
    out = []
    for name in names:
        module = f"{target}.{name}"
        path = ROOT.parent / module.replace(".", "/")
        out.append(module if path.with_suffix(".py").exists() or path.is_dir() else target)
    return out


def test_no_module_import_cycle():
    graph = {}
    for source, target, names in _imports():
        for module in _target_modules(target, names):
            if module != source and module != "pnpjax":
                graph.setdefault(source, set()).add(module)
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_packages_import_each_other_one_way():
    graph = {}
    for source, target, names in _imports():
        a = _unit(source)
        targets = [target] if target != "pnpjax" else [f"pnpjax.{n}" for n in names]
        for t in targets:
            b = _unit(t)
            if a != b and "pnpjax" not in (a, b):
                graph.setdefault(a, set()).add(b)
    cycle = _cycle(graph)
    assert cycle is None, "import cycle between packages: " + " -> ".join(cycle)
    # the model layer knows nothing of discretisation, solvers or results
    for lower in ("_model", "_linalg"):
        above = graph.get(lower, set()) & {"_discretise", "_solvers", "_results", "_mesh"}
        assert not above, f"{lower} imports {above}"
    assert not graph.get("_discretise", set()) & {"_solvers", "_results", "_mesh"}


def test_no_private_name_crosses_a_package():
    offenders = []
    for source, target, names in _imports():
        for name in names:
            is_module = (ROOT.parent / (target.replace(".", "/") + f"/{name}.py")).exists() or (
                ROOT.parent / target.replace(".", "/") / name
            ).is_dir()
            if name.startswith("_") and not is_module and _unit(source) != _unit(target):
                offenders.append(f"{source} imports {target}.{name}")
    assert not offenders, offenders
