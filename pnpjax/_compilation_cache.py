"""Compile once per machine: JAX's persistent compilation cache, set up for pnpjax.

A solver's first call in a process waits for XLA to compile its program (seconds to tens of
seconds), while the solve itself takes milliseconds. JAX can keep compiled programs on disk and
load them in a later process instead of compiling again; `enable_compilation_cache` turns that
on for pnpjax's programs, in a per-user folder by default. `pnpjax run` and `pnpjax demo` call it
themselves; in a script or notebook, call it once before the first solve:

```python
import pnpjax as pj

pj.enable_compilation_cache()            # ~/.cache/pnpjax/jax-<version> (or $XDG_CACHE_HOME)
pj.enable_compilation_cache("cache/")    # a folder of your own
```

The environment variable `PNPJAX_COMPILATION_CACHE` moves the folder (a path) or turns the
cache off (`off`, `0`, `false`, `no`) for the command line and for calls without a folder. The
cache is keyed by the program, the JAX version and the device: a new JAX version or machine
compiles afresh, and stale entries are never used. Delete the folder to reclaim the space.
JAX does not write programs that hold host callbacks: pnpjax's solver programs hold none (a
failed solve is reported on the host, after the program), except the transient's, in which
diffrax checks its arguments with `equinox.error_if`; it compiles in every process.

**Reference:** JAX documentation, "Persistent compilation cache".
"""

import os
import pathlib

import jax

ENVIRONMENT = "PNPJAX_COMPILATION_CACHE"
"""Environment variable: a cache folder, or `off` to disable the cache."""
_OFF = ("off", "0", "false", "no", "none", "")


def default_folder() -> pathlib.Path:
    """The per-user cache folder: `$XDG_CACHE_HOME/pnpjax/jax-<version>` (default
    `~/.cache/pnpjax/jax-<version>`), one per JAX version."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "pnpjax" / f"jax-{jax.__version__}"


def enable_compilation_cache(folder=None) -> pathlib.Path | None:
    """Keep compiled programs in `folder` and reuse them in later processes.

    **Arguments:**

    - `folder`: the cache folder (created if needed). Default: `$PNPJAX_COMPILATION_CACHE` if
      set, else `default_folder()`. With `PNPJAX_COMPILATION_CACHE=off` (and no `folder`) the
      cache stays off.

    **Returns:** the folder in use, or `None` when the cache is off.

    Every program is cached, however quick its compilation (JAX's default skips those under a
    second, which for pnpjax's many small programs is most of the wait). Call it before the
    first solve: programs compiled earlier in the process are not written.
    """
    if folder is None:
        setting = os.environ.get(ENVIRONMENT)
        if setting is not None and setting.strip().lower() in _OFF:
            return None
        folder = setting if setting else default_folder()
    folder = pathlib.Path(folder).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return folder
