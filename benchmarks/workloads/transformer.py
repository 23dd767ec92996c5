"""transformer: two nn.TransformerEncoderLayer (d_model 128, 4 heads, batch_first) on 16
sequences of 64 tokens, mean-pooled into a linear 10-class head, cross-entropy, Adam.

The layers keep PyTorch's defaults (feed-forward width 2048, ReLU, post-norm) except
``dropout=0``, so that both frameworks compute the same function and their losses can be
compared; the inputs are random token embeddings.
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

BATCH, SEQ, D_MODEL, HEADS, FF, LAYERS, CLASSES = 16, 64, 128, 4, 2048, 2, 10


def build(lib, seed: int, quick: bool = False):
    """One training step of the encoder classifier; returns a closure giving the loss
    (``quick``: 2 sequences of 16 tokens)."""
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(
                nn.TransformerEncoderLayer(D_MODEL, HEADS, FF, dropout=0.0, batch_first=True)
                for _ in range(LAYERS)
            )
            self.head = nn.Linear(D_MODEL, CLASSES)

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return self.head(x.mean(1))

    net = Net()
    init_state(net, lib, seed)
    x, y = classification_data(
        lib, seed, (2, 16, D_MODEL) if quick else (BATCH, SEQ, D_MODEL), CLASSES
    )
    opt = optimizer(lib, "Adam", net.parameters(), lr=1e-4)
    return training_step(net, lib.nn.functional.cross_entropy, x, y, opt)


def forward_flops() -> float:
    """Matmul FLOPs of one forward pass: per layer the q/k/v and output projections, the two
    attention products (scores and weighted values) and the feed-forward block."""
    tokens = BATCH * SEQ
    per_layer = (
        linear_flops(tokens, D_MODEL, 3 * D_MODEL)
        + linear_flops(tokens, D_MODEL, D_MODEL)
        + 2 * (2 * BATCH * SEQ * SEQ * D_MODEL)
        + linear_flops(tokens, D_MODEL, FF, D_MODEL)
    )
    return LAYERS * per_layer + linear_flops(BATCH, D_MODEL, CLASSES)


WORKLOAD = Workload(
    name="transformer",
    description="2x TransformerEncoderLayer(128, 4 heads, ff 2048, batch_first), 16x64, Adam",
    target=1.5,
    flops=3 * forward_flops(),
    build=build,
)
