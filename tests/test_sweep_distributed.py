"""A sweep across two processes under `jax.distributed` (the multi-host path: two "hosts" of
two forced CPU devices each, gloo collectives over loopback) equals a one-process sweep."""

import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd

WORKER = textwrap.dedent(
    """
    import sys
    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    rank, folder, port = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    jax.distributed.initialize(f"127.0.0.1:{port}", num_processes=2, process_id=rank)
    import numpy as np
    import pnpjax as pj
    from pnpjax import examples, sweeps

    assert jax.process_count() == 2 and len(jax.devices()) == 4
    junction = examples.cathode_electrolyte(nonideal=False)
    space = sweeps.Grid({"phases[Li3PS4].carriers[Li_i^•].mu0": np.linspace(0.1, 0.4, 10)})
    mesh = pj.Mesh.auto(junction)
    result = pj.sweep(junction, space, chunk_size=4, folder=folder, progress=False, mesh=mesh)
    print("devices", result.devices, "files", len(result.files))
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_sweep_like_one(tmp_path):
    import pnpjax as pj
    from pnpjax import examples, sweeps

    env = dict(
        os.environ,
        XLA_FLAGS=f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=2",
        JAX_PLATFORMS="cpu",
    )
    port = str(_free_port())
    folder = tmp_path / "distributed"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(rank), str(folder), port],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for rank in (0, 1)
    ]
    outputs = [w.communicate(timeout=600) for w in workers]
    for w, (_, err) in zip(workers, outputs):
        assert w.returncode == 0, err[-4000:]
    assert "devices 4 files 2" in outputs[0][0]  # process 0 writes the results
    assert "devices 4 files 0" in outputs[1][0]

    junction = examples.cathode_electrolyte(nonideal=False)
    space = sweeps.Grid({"phases[Li3PS4].carriers[Li_i^•].mu0": np.linspace(0.1, 0.4, 10)})
    local = pj.sweep(
        junction,
        space,
        chunk_size=4,
        folder=tmp_path / "local",
        progress=False,
        mesh=pj.Mesh.auto(junction),
    ).table()
    distributed = pd.read_csv(folder / "results.csv")
    assert list(distributed.columns) == list(local.columns)
    assert list(distributed["status"]) == ["ok"] * 10
    # a chunk of four on four devices and on one compiles to different programs: equal to
    # round-off on the scale of each unit (quantities that vanish, like the reference phase's
    # bulk potential, are round-off themselves; the Newton residual is left out)
    columns = [c for c in local.select_dtypes("number").columns if not c.startswith("residual")]
    unit = {c: c.rsplit("[", 1)[-1] for c in columns}
    scale = {u: max(np.abs(local[c]).max() for c in columns if unit[c] == u) for u in unit.values()}
    for column in columns:
        np.testing.assert_allclose(
            distributed[column],
            local[column],
            rtol=1e-9,
            atol=1e-12 * scale[unit[column]],
            err_msg=column,
        )
