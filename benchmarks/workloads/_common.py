"""Shared pieces of the training workloads: framework-neutral initialisation, optimizers, steps.

Every workload builds its model once per framework (``lib`` is ``ember`` or ``torch``) with the
same code. Weights come from a NumPy generator, filled by ``state_dict`` key, so both frameworks
start from identical parameters and their first losses agree.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Workload:
    """One row of the report.

    Attributes:
        name: row name.
        description: what one timed sample does.
        target: the ember/torch median-time ratio the issue asks for (None: no target).
        flops: analytic matmul/conv FLOPs of one sample (None: not a compute workload).
        build: ``build(lib, seed, quick=False)`` -> a zero-argument callable running one sample
            (a training step returns its loss); ``lib`` is the ``ember`` or ``torch`` module,
            ``quick`` a smaller problem for tests.
        measure: instead of ``build``, ``measure(quick)`` -> {framework: [ms, ...]} for samples
            that need fresh processes (import time).
        peak_fraction: the fraction of the machine's matmul peak ember must reach (or None).
        memory: whether the peak-memory subprocesses run this workload, and whether ember's
            peak must not exceed PyTorch's (``"target"``) or is only reported (``"report"``).
    """

    name: str
    description: str
    target: float | None
    flops: float | None = None
    build: Callable | None = None
    measure: Callable | None = None
    peak_fraction: float | None = None
    memory: str | None = None


def init_state(model, lib, seed: int) -> None:
    """Fill ``model``'s parameters from ``np.random.default_rng(seed)`` in key order.

    Weights of rank >= 2 and their biases get U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's
    Linear/Conv default); normalisation layers get weight 1 and bias 0. Buffers keep their
    values (running_mean 0, running_var 1).
    """
    rng = np.random.default_rng(seed)
    norm_types = (lib.nn.BatchNorm1d, lib.nn.BatchNorm2d, lib.nn.LayerNorm)
    norm_params = set()
    for mname, mod in model.named_modules():
        if isinstance(mod, norm_types):
            norm_params.update(f"{mname}.{p}" if mname else p for p in ("weight", "bias"))
    params = dict(model.named_parameters())
    new = {}
    for key in sorted(params):
        shape = tuple(params[key].shape)
        if key in norm_params:
            new[key] = np.full(shape, 1.0 if key.endswith("weight") else 0.0, np.float32)
            continue
        if len(shape) >= 2:
            fan_in = int(np.prod(shape[1:]))
        else:  # a bias: the fan-in of its layer's weight ("x.bias_ih" -> "x.weight_ih")
            head, _, tail = key.rpartition("bias")
            wkey = head + "weight" + tail
            wshape = tuple(params[wkey].shape) if wkey in params else ()
            fan_in = int(np.prod(wshape[1:])) if len(wshape) >= 2 else shape[0]
        bound = 1.0 / np.sqrt(fan_in)
        new[key] = rng.uniform(-bound, bound, shape).astype(np.float32)
    with lib.no_grad():
        for key, arr in new.items():
            params[key].copy_(lib.tensor(arr))


def optimizer(lib, name: str, params, **kwargs):
    """``lib.optim.<name>(params, **kwargs)``: ember.optim and torch.optim share the API."""
    optim = importlib.import_module(lib.__name__ + ".optim")
    return getattr(optim, name)(params, **kwargs)


def training_step(model, loss_fn, x, y, opt):
    """A closure running one full training step; it returns the loss as a float.

    The closure's ``model`` attribute is the model (tests copy weights between frameworks).
    """

    def step() -> float:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    step.model = model
    return step


def classification_data(lib, seed: int, x_shape, classes: int, batch_dim: int = 0):
    """A fixed batch of standard-normal inputs with labels a model can learn.

    The label of a sample is the argmax of ``classes`` fixed random projections of it, so the
    loss falls within a few steps.
    """
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal(x_shape).astype(np.float32)
    flat = np.moveaxis(x, batch_dim, 0).reshape(x_shape[batch_dim], -1)
    proj = rng.standard_normal((flat.shape[1], classes)).astype(np.float32)
    y = (flat @ proj).argmax(1).astype(np.int64)
    return lib.tensor(x), lib.tensor(y)


def linear_flops(batch: int, *sizes: int) -> float:
    """Forward multiply-add FLOPs (2 per MAC) of a stack of Linear layers on ``batch`` rows."""
    return float(sum(2 * batch * a * b for a, b in zip(sizes[:-1], sizes[1:])))


def conv_flops(batch: int, c_in: int, c_out: int, k: int, out_hw: int) -> float:
    """Forward FLOPs of a k x k convolution with ``out_hw`` x ``out_hw`` outputs."""
    return float(2 * batch * c_out * out_hw * out_hw * c_in * k * k)
