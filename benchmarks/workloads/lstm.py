"""lstm: 1-layer LSTM 64->128 over 32 steps, batch 64, linear head on h_n, cross-entropy, Adam.

The recurrence is 32 sequential steps, so this measures the per-op overhead of a time loop plus
the BLAS products of the gates.
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

SEQ, BATCH, IN, HIDDEN, CLASSES = 32, 64, 64, 128, 10


def build(lib, seed: int, quick: bool = False):
    """One training step of the LSTM classifier; returns a closure giving the loss (``quick``:
    8 sequences of 8 steps)."""

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lib.nn.LSTM(IN, HIDDEN)
            self.head = lib.nn.Linear(HIDDEN, CLASSES)

        def forward(self, x):
            _, (h_n, _) = self.lstm(x)
            return self.head(h_n[0])

    net = Net()
    init_state(net, lib, seed)
    shape = (8, 8, IN) if quick else (SEQ, BATCH, IN)
    x, y = classification_data(lib, seed, shape, CLASSES, batch_dim=1)
    opt = optimizer(lib, "Adam", net.parameters(), lr=1e-3)
    return training_step(net, lib.nn.functional.cross_entropy, x, y, opt)


# per time step: input and hidden projections to the four gates; then the head
_FWD = SEQ * linear_flops(BATCH, IN + HIDDEN, 4 * HIDDEN) + linear_flops(BATCH, HIDDEN, CLASSES)

WORKLOAD = Workload(
    name="lstm",
    description="LSTM 64->128, seq 32, batch 64, linear head on h_n, cross-entropy, Adam",
    target=1.5,
    flops=3 * _FWD,
    build=build,
)
