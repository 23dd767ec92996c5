"""dataloader: one epoch over an in-memory MNIST-sized dataset, batch 128, shuffled.

60,000 float32 images of 1x28x28 with int64 labels in a ``TensorDataset``, iterated by the
framework's ``DataLoader(batch_size=128, shuffle=True)`` in the main process (no workers).
One timed sample is a full epoch (469 batches); no model runs, so this is the loader's cost.
The epoch itself is ``benchmarks.dataloader_throughput.build``, shared with that script.
"""

from __future__ import annotations

import importlib

from benchmarks import dataloader_throughput
from benchmarks.workloads._common import Workload

SAMPLES, BATCH = 60_000, 128


def build(lib, seed: int, quick: bool = False):
    """A closure that iterates one shuffled epoch and returns the number of batches
    (``quick``: 1,000 samples)."""
    importlib.import_module(lib.__name__ + ".utils.data")  # makes lib.utils.data an attribute
    epoch = dataloader_throughput.build(lib, 1_000 if quick else SAMPLES, BATCH, seed)
    return lambda: float(epoch())


WORKLOAD = Workload(
    name="dataloader",
    description="DataLoader epoch: 60,000 x 1x28x28 in memory, batch 128, shuffle",
    target=1.0,
    build=build,
)
