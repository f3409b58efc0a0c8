"""MkDocs hooks.

- The tutorial notebooks are copied from `notebooks/` into `docs/notebooks/`, where
  mkdocs-jupyter executes them during the build (`execute: true`, `allow_errors: false`): a
  notebook that fails fails the strict build, and the site shows the outputs of that run.
- The materials page lists every material of `pnpjax.materials` as a table.
"""

import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parent


def on_pre_build(config):
    target = ROOT / "docs" / "notebooks"
    if target.is_symlink() or target.is_file():
        target.unlink()
    target.mkdir(exist_ok=True)
    for source in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copyfile(source, target / source.name)


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != "materials.md":
        return markdown
    from pnpjax import materials

    tables = "\n\n".join(
        f"## {name}\n\n" + materials.get(name).describe() for name in materials.names()
    )
    return markdown.replace("{{ materials_tables }}", tables)
