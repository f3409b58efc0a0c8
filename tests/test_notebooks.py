"""The tutorial notebooks are well formed: valid nbformat 4, every code cell parses, no stored
outputs (the documentation build executes them, in strict mode, and renders what it ran), and
every notebook is on the site's navigation.

Executing them is the documentation build's job (`mkdocs build --strict`, run by CI after the
suite; mkdocs-jupyter with `execute: true` and `allow_errors: false`): six notebooks take about
six minutes of compilation, a third of the unit suite's time."""

import ast
import pathlib

import nbformat
import pytest

ROOT = pathlib.Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_well_formed(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, f"{path.name} has no code"
    for cell in code:
        ast.parse(cell.source)
        assert not cell.get("outputs"), f"{path.name}: clear the outputs (the docs build runs it)"
    assert f"notebooks/{path.name}" in (ROOT / "mkdocs.yml").read_text()


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 6, "notebooks/ should hold the tutorial notebooks"
