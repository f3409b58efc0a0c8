"""A neural network inside the solver: learn μ° from material descriptors through the physics.

Each synthetic "material" is a coating B on a Li⁺ conductor A. What sets its space-charge layer
is the standard chemical potential step Δμ° of Li interstitials between the two phases, which
we pretend to know only through two descriptors of the coating, d = (d₁, d₂) (think: an
electronegativity difference and a lattice mismatch, scaled to order one), by a law unknown to
the learner:

$$\\Delta\\mu^\\circ(d) = 0.05 + 0.12\\tanh(2d_1) - 0.04\\,d_2^2 \\quad\\text{(eV)}.$$

The "measurements" are what an experiment on each junction would give: the potential drop
across the interface (mV; e.g. from electron holography) and the Li⁺ excess stored in each
space-charge layer (C/m²). A small equinox MLP maps d → Δμ°, every prediction runs
`pnpjax.solve_equilibrium` on the whole batch at once (`jax.vmap`), and optax's Adam trains
the network on the mismatch of the *measured* quantities, with gradients through the solver's
implicit derivatives: the network never sees a Δμ° label.

Run it: `python examples/descriptor_network.py` (12 s on a 2-core CPU, most of it compilation;
it prints the loss and the held-out error before and after training). From Python: `train(steps=..., batch=..., seed=...)`.
"""

import time
from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

import pnpjax as pj

T = 298.15  # K
ENERGY_SCALE = 0.15  # eV: the network's output times this is Δμ°


def hidden_law(descriptors):
    """The Δμ° (eV) the learner must discover, from descriptors [..., 2]."""
    d1, d2 = descriptors[..., 0], descriptors[..., 1]
    return 0.05 + 0.12 * jnp.tanh(2.0 * d1) - 0.04 * d2**2


def junction(step):
    """Li⁺ conductor A (30 nm, bulk Li_i = V_Li = 1e24 m^-3, ε_r = 10) | coating B (30 nm,
    ε_r = 15) with Li_i standard potential lower by `step` (eV) in B."""
    a = pj.Phase(
        "A",
        eps_r=10.0,
        thickness=30e-9,
        carriers={"Li_i^•": pj.Carrier(0.0, 1e28), "V_Li'": pj.Carrier(0.0, 1e28)},
    )
    b = pj.Phase(
        "B",
        eps_r=15.0,
        thickness=30e-9,
        carriers={"Li_i^•": pj.Carrier(-step, 1e28), "V_Li'": pj.Carrier(0.0, 1e28)},
    )
    return pj.Junction(
        [a, b],
        pj.ReferenceBulk("A", {"Li_i^•": 1e24, "V_Li'": 1e24}),
        interfaces=[pj.Interface()],
        left=pj.Bulk(),
        right=pj.Bulk(),
        temperature=T,
    )


MESH = pj.Mesh.auto(junction(0.25))  # fine enough for every step of the range (|Δμ°| ≤ 0.2 eV)


def measure(step):
    """What the experiment sees of one junction: [interface drop (mV), excess charge in A and
    in B (mC/m²)], all of order one to ten."""
    solution = pj.solve_equilibrium(junction(step), mesh=MESH)
    drop = solution.space_charge_potential[0, 0] - solution.space_charge_potential[0, 1]
    return 1e3 * jnp.concatenate([drop[None], solution.excess_charge[0]])


class DescriptorNetwork(eqx.Module):
    """d (2 descriptors) → Δμ° (eV): an MLP with two hidden layers of 16 tanh units."""

    mlp: eqx.nn.MLP

    def __init__(self, key):
        self.mlp = eqx.nn.MLP(2, "scalar", 16, 2, activation=jnp.tanh, key=key)

    def __call__(self, descriptors):
        return ENERGY_SCALE * self.mlp(descriptors)


def loss_fn(network, descriptors, measured):
    """Mean squared mismatch of the measured quantities over the batch."""
    steps = jax.vmap(network)(descriptors)
    predicted = jax.vmap(measure)(steps)
    return jnp.mean((predicted - measured) ** 2)


@dataclass
class TrainingResult:
    """`losses` and `gradient_norms` (global 2-norm over the network's weights) per step;
    `network`; `test_error_*`: rms error of Δμ° (eV) on 64 held-out materials before and after
    training; `seconds`: wall time (compilation included)."""

    losses: np.ndarray
    gradient_norms: np.ndarray
    network: DescriptorNetwork
    test_error_before: float
    test_error_after: float
    seconds: float


def train(steps: int = 150, batch: int = 16, seed: int = 0, learning_rate: float = 1e-2):
    """Train the network through the solver on `batch` synthetic junctions for `steps` Adam
    steps; returns a `TrainingResult`."""
    start = time.perf_counter()
    key_net, key_train, key_test = jax.random.split(jax.random.PRNGKey(seed), 3)
    descriptors = jax.random.uniform(key_train, (batch, 2), minval=-1.0, maxval=1.0)
    measured = jax.vmap(measure)(hidden_law(descriptors))
    held_out = jax.random.uniform(key_test, (64, 2), minval=-1.0, maxval=1.0)

    network = DescriptorNetwork(key_net)
    optimiser = optax.adam(learning_rate)
    state = optimiser.init(eqx.filter(network, eqx.is_inexact_array))

    @eqx.filter_jit
    def step(network, state):
        loss, grads = eqx.filter_value_and_grad(loss_fn)(network, descriptors, measured)
        updates, state = optimiser.update(grads, state, network)
        return eqx.apply_updates(network, updates), state, loss, optax.tree.norm(grads)

    def test_error(network):
        error = jax.vmap(network)(held_out) - hidden_law(held_out)
        return float(jnp.sqrt(jnp.mean(error**2)))

    before = test_error(network)
    losses, norms = [], []
    for _ in range(steps):
        network, state, loss, norm = step(network, state)
        losses.append(float(loss))
        norms.append(float(norm))
    seconds = time.perf_counter() - start
    return TrainingResult(
        np.asarray(losses), np.asarray(norms), network, before, test_error(network), seconds
    )


if __name__ == "__main__":
    result = train()
    print(f"loss: {result.losses[0]:.4g} → {result.losses[-1]:.4g} in {len(result.losses)} steps")
    print(
        f"held-out Δμ° rms error: {1e3 * result.test_error_before:.1f} meV → "
        f"{1e3 * result.test_error_after:.1f} meV ({result.seconds:.1f} s)"
    )
