"""A sweep sharded over 4 (forced host) devices equals the same sweep on one device.

XLA fixes the device count when JAX starts, so the sharded sweep runs in a fresh Python
process with `XLA_FLAGS=--xla_force_host_platform_device_count=4`. Chunks of 1024 points (256
per device) are large enough that jaxlib's LAPACK tridiagonal kernel would split them over
the thread pool the four device programs share, which deadlocked before sweeps traced their
solves with cyclic reduction there.
"""

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import jax
    import numpy as np
    import pnpjax as pj
    from pnpjax import examples, sweeps
    from pnpjax._sweep.run import _Program

    assert len(jax.devices()) == 4, jax.devices()
    junction = examples.cathode_electrolyte(nonideal=False)
    space = sweeps.LatinHypercube(
        {"phases[Li3PS4].carriers[Li_i^•].mu0": (0.1, 0.4),
         "phases[LiCoO2].eps_r": sweeps.Range(5.0, 30.0, log=True)}, 1100, seed=2)
    folder = sys.argv[1]
    task = sweeps.Equilibrium(profiles=True)
    four = pj.sweep(junction, space, task, chunk_size=1022, folder=folder + "/four",
                    progress=False)
    one = pj.sweep(junction, space, task, chunk_size=1024, folder=folder + "/one",
                   progress=False, devices=jax.devices()[:1], mesh=four.mesh)
    a, b = four.table(), one.table()
    numbers = a.select_dtypes("number").columns
    phi4, phi1 = four.dataset()["phi"].values, one.dataset()["phi"].values

    # the chunk program really splits its point axis over the four devices
    program = _Program(lambda row, constants: ({"y": row.sum()}, {"code": row[0] * 0}), 8, 2,
                       jax.devices(), ())
    placed = program.place(np.ones((8, 2)))
    print(json.dumps({
        "devices": [four.devices, one.devices],
        "chunk_size": [four.chunk_size, one.chunk_size],
        "status": sorted(set(a["status"])),
        "points": len(a),
        "max_table_difference": float(np.max(np.abs(a[numbers].values - b[numbers].values))),
        "table_scale": float(np.max(np.abs(b[numbers].values))),
        "max_phi_difference": float(np.max(np.abs(phi4 - phi1))),
        "shards": sorted(str(s.device) for s in placed.addressable_shards),
        "shard_rows": [s.data.shape[0] for s in placed.addressable_shards],
    }))
    """
)


def test_a_sweep_sharded_over_four_devices_equals_one_device(tmp_path):
    env = dict(
        os.environ,
        XLA_FLAGS=f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=4",
        JAX_PLATFORMS="cpu",
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["devices"] == [4, 1]
    assert out["chunk_size"] == [1024, 1024]  # rounded up to a multiple of the device count
    assert out["status"] == ["ok"] and out["points"] == 1100
    assert len(out["shards"]) == 4 and out["shard_rows"] == [2, 2, 2, 2]
    # cyclic reduction (four devices) and LAPACK (one) agree to round-off (measured 6e-17 V in
    # φ, 3e-16 anywhere in the table, whose largest entries are concentrations of 5e26 m^-3)
    assert out["max_phi_difference"] <= 1e-12
    assert out["max_table_difference"] <= 1e-9 * out["table_scale"]
