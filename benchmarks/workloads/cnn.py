"""cnn: a small CIFAR-style convnet, batch 64 of 3x32x32, cross-entropy, SGD with momentum.

conv3x3(3->32, pad 1)-ReLU-maxpool2, conv3x3(32->64, pad 1)-ReLU-maxpool2, flatten,
linear 4096->256, ReLU, linear 256->10. The time is in the convolution kernels (im2col +
BLAS) and pooling, not per-op overhead.
"""

from __future__ import annotations

from benchmarks.workloads._common import (
    Workload,
    classification_data,
    conv_flops,
    init_state,
    linear_flops,
    optimizer,
    training_step,
)

BATCH = 64


def model(lib, seed: int):
    """The convnet with weights from ``seed`` (shared with the inference workload)."""
    nn = lib.nn
    net = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4096, 256),
        nn.ReLU(),
        nn.Linear(256, 10),
    )
    init_state(net, lib, seed)
    return net


def forward_flops(batch: int) -> float:
    """Matmul/conv FLOPs of one forward pass of the convnet on ``batch`` images."""
    return (
        conv_flops(batch, 3, 32, 3, 32)
        + conv_flops(batch, 32, 64, 3, 16)
        + linear_flops(batch, 4096, 256, 10)
    )


def build(lib, seed: int, quick: bool = False):
    """One training step of the convnet; returns a closure giving the loss (``quick``: batch 8)."""
    net = model(lib, seed)
    x, y = classification_data(lib, seed, (8 if quick else BATCH, 3, 32, 32), 10)
    opt = optimizer(lib, "SGD", net.parameters(), lr=0.01, momentum=0.9)
    return training_step(net, lib.nn.functional.cross_entropy, x, y, opt)


WORKLOAD = Workload(
    name="cnn",
    description="2x(conv3x3-relu-maxpool2)+MLP, batch 64x3x32x32, CE, SGD momentum 0.9",
    target=1.5,
    flops=3 * forward_flops(BATCH),
    build=build,
    memory="target",
)
