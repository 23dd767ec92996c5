"""Train a two-layer MLP on generated 2-D spirals with nothing but tensors and autograd.

Run: python examples/autograd_mlp.py   (or `make demo`)
"""

from __future__ import annotations

import math
import time

import numpy as np

import ember


def spirals(n_per_class: int = 200, classes: int = 3, seed: int = 0):
    """Interleaved noisy spirals: (n, 2) float32 points and int64 labels."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.05, 1.0, n_per_class)
        t = np.linspace(c * 2 * math.pi / classes, c * 2 * math.pi / classes + 4.0, n_per_class)
        t = t + rng.normal(0, 0.15, n_per_class)
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(n_per_class, c))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)


def cross_entropy(logits, target):
    """Mean negative log-likelihood of the target classes under softmax(logits)."""
    log_probs = logits - logits.logsumexp(dim=1, keepdim=True)
    return -log_probs.gather(1, target.unsqueeze(1)).mean()


def main(epochs: int = 300, hidden: int = 64, lr: float = 0.5, seed: int = 0) -> float:
    ember.manual_seed(seed)
    x_np, y_np = spirals(seed=seed)
    perm = np.random.default_rng(seed).permutation(len(x_np))
    split = int(0.8 * len(perm))
    x_train, y_train = ember.tensor(x_np[perm[:split]]), ember.tensor(y_np[perm[:split]])
    x_test, y_test = ember.tensor(x_np[perm[split:]]), ember.tensor(y_np[perm[split:]])

    w1 = (ember.randn(2, hidden) * math.sqrt(2 / 2)).requires_grad_()
    b1 = ember.zeros(hidden, requires_grad=True)
    w2 = (ember.randn(hidden, 3) * math.sqrt(1 / hidden)).requires_grad_()
    b2 = ember.zeros(3, requires_grad=True)
    params = [w1, b1, w2, b2]

    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        logits = (x_train @ w1 + b1).relu() @ w2 + b2
        loss = cross_entropy(logits, y_train)
        loss.backward()
        with ember.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
        if epoch % 50 == 0 or epoch == 1:
            print(f"epoch {epoch:4d}  train loss {loss.item():.4f}")
    with ember.no_grad():
        pred = ((x_test @ w1 + b1).relu() @ w2 + b2).argmax(dim=1)
    accuracy = (pred == y_test).float().mean().item()
    print(f"test accuracy {accuracy:.3f} after {epochs} epochs "
          f"({time.perf_counter() - start:.2f} s)")
    return accuracy


if __name__ == "__main__":
    main()
