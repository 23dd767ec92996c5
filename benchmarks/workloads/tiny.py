"""tiny: MLP 32-64-64-1 on a batch of 32, MSE, plain SGD, written with raw tensor ops.

Every step is ~30 small ops forward and backward, so the time is per-op overhead.
"""

from __future__ import annotations

import numpy as np

NAME = "tiny"
DESCRIPTION = "MLP 32-64-64-1, batch 32, MSE, SGD (raw tensor ops: per-op overhead)"
SIZES = (32, 64, 64, 1)
BATCH = 32
LR = 0.05


def init_arrays(seed: int):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32))
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = (x[:, :1] * 0.5 - x[:, 1:2] ** 2 * 0.1).astype(np.float32)
    return params, x, y


def _make_step(lib, seed: int):
    arrays, x_np, y_np = init_arrays(seed)
    params = [lib.tensor(a, requires_grad=True) for a in arrays]
    x, y = lib.tensor(x_np), lib.tensor(y_np)

    def step() -> float:
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = h.relu()
        loss = ((h - y) ** 2).mean()
        loss.backward()
        with lib.no_grad():
            for p in params:
                p.sub_(p.grad * LR)
                p.grad = None
        return loss.item()

    return step


def ember_step(seed: int = 0):
    import ember

    return _make_step(ember, seed)


def torch_step(seed: int = 0):
    import torch

    return _make_step(torch, seed)
