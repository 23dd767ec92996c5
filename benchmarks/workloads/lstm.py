"""lstm: 1-layer LSTM 64->128 over 32 steps, batch 64, linear head on h_n, cross-entropy, Adam.

The recurrence is 32 sequential steps of ~11 small ops each way, so this measures the per-op
overhead of a time loop plus the BLAS products of the gates. Cross-entropy and Adam are written
with raw tensor ops (the same code runs on both frameworks).
"""

from __future__ import annotations

import numpy as np

NAME = "lstm"
DESCRIPTION = "LSTM 64->128, seq 32, batch 64, linear head, cross-entropy, Adam (hand-written)"
SEQ, BATCH, IN, HIDDEN, CLASSES = 32, 64, 64, 128, 10
LR, BETAS, EPS = 1e-3, (0.9, 0.999), 1e-8


def init_arrays(seed: int):
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(HIDDEN)
    shapes = {
        "lstm.weight_ih_l0": (4 * HIDDEN, IN),
        "lstm.weight_hh_l0": (4 * HIDDEN, HIDDEN),
        "lstm.bias_ih_l0": (4 * HIDDEN,),
        "lstm.bias_hh_l0": (4 * HIDDEN,),
        "head.weight": (CLASSES, HIDDEN),
        "head.bias": (CLASSES,),
    }
    state = {k: rng.uniform(-bound, bound, s).astype(np.float32) for k, s in shapes.items()}
    x = rng.standard_normal((SEQ, BATCH, IN)).astype(np.float32)
    # a label the LSTM can learn: which of the first CLASSES features has the largest mean
    y = x[:, :, :CLASSES].mean(0).argmax(1).astype(np.int64)
    return state, x, y


def _make_step(lib, seed: int):
    state, x_np, y_np = init_arrays(seed)

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lib.nn.LSTM(IN, HIDDEN)
            self.head = lib.nn.Linear(HIDDEN, CLASSES)

        def forward(self, x):
            _, (h_n, _) = self.lstm(x)
            return self.head(h_n[0])

    net = Net()
    net.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    params = list(net.parameters())
    m = [lib.zeros_like(p) for p in params]
    v = [lib.zeros_like(p) for p in params]
    x, y = lib.tensor(x_np), lib.tensor(y_np).unsqueeze(1)
    t = [0]

    def step() -> float:
        logits = net(x)
        logp = logits - logits.logsumexp(1, keepdim=True)
        loss = -logp.gather(1, y).mean()
        loss.backward()
        t[0] += 1
        c1, c2 = 1 - BETAS[0] ** t[0], 1 - BETAS[1] ** t[0]
        with lib.no_grad():
            for p, m_, v_ in zip(params, m, v):
                g = p.grad
                m_.mul_(BETAS[0]).add_(g * (1 - BETAS[0]))
                v_.mul_(BETAS[1]).add_(g * g * (1 - BETAS[1]))
                p.sub_((m_ / c1) / ((v_ / c2).sqrt() + EPS) * LR)
                p.grad = None
        return loss.item()

    return step


def ember_step(seed: int = 0):
    import ember

    return _make_step(ember, seed)


def torch_step(seed: int = 0):
    import torch

    return _make_step(torch, seed)
