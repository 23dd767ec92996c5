"""resnet: one training step of a CIFAR ResNet-20 on a batch of 32 3x32x32 images.

ResNet-20 (He et al. 2015, section 4.2): conv3x3(3->16)-BN-ReLU, three stages of three basic
blocks (16, 32, 64 channels; the first block of stages 2 and 3 has stride 2 and a 1x1-conv + BN
projection shortcut), global average pooling, linear 64->10. Defined here for both frameworks so
the benchmark does not depend on a model zoo. Cross-entropy, SGD momentum 0.9.
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

BATCH = 32
STAGES = ((16, 1), (32, 2), (64, 2))  # (channels, stride of the first block)
BLOCKS = 3


def _resnet20(lib):
    nn = lib.nn

    class BasicBlock(nn.Module):
        def __init__(self, c_in: int, c_out: int, stride: int):
            super().__init__()
            self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(c_out)
            self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(c_out)
            self.relu = nn.ReLU()
            self.shortcut = nn.Sequential()
            if stride != 1 or c_in != c_out:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
                )

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + self.shortcut(x))

    class ResNet20(nn.Module):
        def __init__(self, classes: int = 10):
            super().__init__()
            self.conv = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
            self.bn = nn.BatchNorm2d(16)
            self.relu = nn.ReLU()
            layers, c_in = [], 16
            for c_out, stride in STAGES:
                for b in range(BLOCKS):
                    layers.append(BasicBlock(c_in, c_out, stride if b == 0 else 1))
                    c_in = c_out
            self.layers = nn.Sequential(*layers)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(64, classes)

        def forward(self, x):
            x = self.layers(self.relu(self.bn(self.conv(x))))
            return self.fc(self.pool(x).flatten(1))

    return ResNet20()


def forward_flops(batch: int) -> float:
    """Conv and linear FLOPs of one ResNet-20 forward pass (BN, adds and pooling excluded)."""
    total = conv_flops(batch, 3, 16, 3, 32)
    c_in, hw = 16, 32
    for c_out, stride in STAGES:
        for b in range(BLOCKS):
            s = stride if b == 0 else 1
            hw //= s
            total += conv_flops(batch, c_in, c_out, 3, hw) + conv_flops(batch, c_out, c_out, 3, hw)
            if s != 1 or c_in != c_out:
                total += conv_flops(batch, c_in, c_out, 1, hw)
            c_in = c_out
    return total + linear_flops(batch, 64, 10)


def build(lib, seed: int, quick: bool = False):
    """One training step of ResNet-20; returns a closure giving the loss (``quick``: 4 images
    of 16x16)."""
    net = _resnet20(lib)
    init_state(net, lib, seed)
    net.train()
    x, y = classification_data(lib, seed, (4, 3, 16, 16) if quick else (BATCH, 3, 32, 32), 10)
    opt = optimizer(lib, "SGD", net.parameters(), lr=0.01, momentum=0.9)
    return training_step(net, lib.nn.functional.cross_entropy, x, y, opt)


WORKLOAD = Workload(
    name="resnet",
    description="CIFAR ResNet-20 (BatchNorm, residual adds), batch 32x3x32x32, CE, SGD momentum",
    target=1.5,
    flops=3 * forward_flops(BATCH),
    build=build,
    memory="target",
)
