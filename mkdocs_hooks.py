"""MkDocs hooks.

- The tutorial notebooks are rendered with their outputs: the test suite executes every
  notebook and keeps the executed copy in `build/notebooks/` (tests/test_notebooks.py); this
  hook puts those copies (or, where a copy is missing or its code differs from the source, the
  source notebook without outputs) into `docs/notebooks/` before the build. CI runs the tests
  first, so the site shows what the suite just executed.
- The materials page lists every material of `pnpjax.materials` as a table.
"""

import json
import logging
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parent
log = logging.getLogger("mkdocs.hooks")


def _code(path: pathlib.Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def on_pre_build(config):
    target = ROOT / "docs" / "notebooks"
    if target.is_symlink() or target.is_file():
        target.unlink()
    target.mkdir(exist_ok=True)
    for source in sorted((ROOT / "notebooks").glob("*.ipynb")):
        executed = ROOT / "build" / "notebooks" / source.name
        if executed.exists() and _code(executed) == _code(source):
            shutil.copyfile(executed, target / source.name)
        else:
            log.info("notebook %s: no executed copy from the test suite, rendered without "
                     "outputs", source.name)
            shutil.copyfile(source, target / source.name)


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != "materials.md":
        return markdown
    from pnpjax import materials

    tables = "\n\n".join(
        f"## {name}\n\n" + materials.get(name).describe() for name in materials.names()
    )
    return markdown.replace("{{ materials_tables }}", tables)
