"""Shared checks for the model-zoo tests: one SGD step lowers the loss; summary runs."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable

import pytest

import ember
from ember import nn


def _sgd_step(params: list, lr: float) -> None:
    if importlib.util.find_spec("ember.optim.sgd") is not None:
        from ember.optim import SGD

        SGD(params, lr=lr).step()
        return
    with ember.no_grad():
        for p in params:
            if p.grad is not None:
                p.sub_(lr * p.grad)


def assert_step_reduces_loss(
    model: nn.Module,
    loss_fn: Callable[[], ember.Tensor],
    lr: float = 0.05,
    params: Iterable | None = None,
    seed: int = 0,
) -> tuple[float, float]:
    """Loss, backward, one SGD step on ``params`` (default: all), then the same loss again.

    The RNG is reseeded before each evaluation so dropout masks and noise repeat exactly.
    """
    params = [p for p in (model.parameters() if params is None else params) if p.requires_grad]
    assert params, "no trainable parameters"
    model.zero_grad()
    ember.manual_seed(seed)
    before = loss_fn()
    before.backward()
    assert any(p.grad is not None and p.grad.abs().sum().item() > 0 for p in params)
    _sgd_step(params, lr)
    ember.manual_seed(seed)
    with ember.no_grad():
        after = loss_fn()
    assert after.item() < before.item(), (before.item(), after.item())
    return before.item(), after.item()


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def run_summary(model: nn.Module, *inputs: ember.Tensor):
    """Call ``ember.summary.summary`` on the model if that module exists (skip otherwise)."""
    summary_mod = pytest.importorskip("ember.summary")
    data = inputs[0] if len(inputs) == 1 else list(inputs)
    return summary_mod.summary(model, input_data=data, verbose=False)
