"""mlp: 784-512-256-10 ReLU MLP on a batch of 128, cross-entropy, Adam.

Big enough that the three matrix products per layer dominate: this row measures how close the
framework gets to the BLAS peak of the machine.
"""

from __future__ import annotations

from benchmarks.workloads._common import (
    Workload,
    classification_data,
    init_state,
    linear_flops,
    optimizer,
    training_step,
)

SIZES = (784, 512, 256, 10)
BATCH = 128


def build(lib, seed: int, quick: bool = False):
    """One training step of the MLP; returns a closure giving the loss (``quick``: batch 16)."""
    nn = lib.nn
    model = nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    init_state(model, lib, seed)
    x, y = classification_data(lib, seed, (16 if quick else BATCH, 784), 10)
    opt = optimizer(lib, "Adam", model.parameters(), lr=1e-3)
    return training_step(model, lib.nn.functional.cross_entropy, x, y, opt)


WORKLOAD = Workload(
    name="mlp",
    description="MLP 784-512-256-10 ReLU, batch 128, cross-entropy, Adam",
    target=1.0,
    flops=3 * linear_flops(BATCH, *SIZES),
    build=build,
    peak_fraction=0.7,
)
