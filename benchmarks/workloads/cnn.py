"""cnn: a small CIFAR-style convnet, batch 64 of 3x32x32, cross-entropy, SGD with momentum.

conv3x3(3->32, pad 1)-ReLU-maxpool2, conv3x3(32->64, pad 1)-ReLU-maxpool2, flatten,
linear 4096->256, ReLU, linear 256->10. The time is in the convolution kernels (im2col +
BLAS) and pooling, not per-op overhead. Written with functional calls and raw tensor ops, so
ember and torch run the same code.
"""

from __future__ import annotations

import numpy as np

NAME = "cnn"
DESCRIPTION = "convnet 2x(conv3x3-relu-maxpool2)+MLP, batch 64x3x32x32, CE, SGD momentum"
BATCH = 64
CLASSES = 10
LR = 0.01
MOMENTUM = 0.9
# (shape, fan_in) of every parameter, in PyTorch's layouts
SHAPES = (
    ((32, 3, 3, 3), 27),
    ((32,), 27),
    ((64, 32, 3, 3), 288),
    ((64,), 288),
    ((256, 4096), 4096),
    ((256,), 4096),
    ((10, 256), 256),
    ((10,), 256),
)


def init_arrays(seed: int):
    rng = np.random.default_rng(seed)
    params = []
    for shape, fan_in in SHAPES:
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, shape).astype(np.float32))
    x = rng.standard_normal((BATCH, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, CLASSES, (BATCH,)).astype(np.int64)
    return params, x, y


def _make_step(lib, fn, seed: int):
    arrays, x_np, y_np = init_arrays(seed)
    params = [lib.tensor(a, requires_grad=True) for a in arrays]
    velocity = [lib.zeros_like(p) for p in params]
    x, y = lib.tensor(x_np), lib.tensor(y_np).reshape(-1, 1)
    w1, b1, w2, b2, w3, b3, w4, b4 = params

    def step() -> float:
        h = fn.max_pool2d(fn.conv2d(x, w1, b1, padding=1).relu(), 2)
        h = fn.max_pool2d(fn.conv2d(h, w2, b2, padding=1).relu(), 2)
        h = fn.linear(h.flatten(1), w3, b3).relu()
        logits = fn.linear(h, w4, b4)
        logp = logits - logits.logsumexp(1, keepdim=True)
        loss = -logp.gather(1, y).mean()
        loss.backward()
        with lib.no_grad():
            for p, v in zip(params, velocity):
                v.mul_(MOMENTUM).add_(p.grad)  # v = momentum * v + g
                p.sub_(v * LR)
                p.grad = None
        return loss.item()

    return step


def ember_step(seed: int = 0):
    import ember
    import ember.nn.functional as F

    return _make_step(ember, F, seed)


def torch_step(seed: int = 0):
    import torch
    import torch.nn.functional as F

    return _make_step(torch, F, seed)
