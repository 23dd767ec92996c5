"""tiny: MLP 32-64-64-1 on a batch of 32, MSE, plain SGD.

Every step is ~20 small ops forward and backward plus six parameter updates, so the time is
the per-op overhead of the framework (Python dispatch, graph recording), not arithmetic.
"""

from __future__ import annotations

import numpy as np

from benchmarks.workloads._common import Workload, init_state, linear_flops, optimizer

SIZES = (32, 64, 64, 1)
BATCH = 32
LR = 0.05


def build(lib, seed: int, quick: bool = False):
    """One training step of the tiny MLP; returns a closure that runs it and gives the loss
    (the problem is already small, so ``quick`` changes nothing)."""
    nn = lib.nn
    model = nn.Sequential(
        nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1)
    )
    init_state(model, lib, seed)
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = (x[:, :1] * 0.5 - x[:, 1:2] ** 2 * 0.1).astype(np.float32)  # a smooth target
    x, y = lib.tensor(x), lib.tensor(y)
    opt = optimizer(lib, "SGD", model.parameters(), lr=LR)
    mse = lib.nn.functional.mse_loss

    def step() -> float:
        opt.zero_grad()
        loss = mse(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    step.model = model
    return step


WORKLOAD = Workload(
    name="tiny",
    description="MLP 32-64-64-1 (nn.Linear), batch 32, MSE, SGD: per-op overhead",
    target=0.5,
    flops=3 * linear_flops(BATCH, *SIZES),
    build=build,
)
