"""Fused loss kernels: cross-entropy over class indices and mean-squared error.

Each is one graph node instead of the five to ten ops of its composition, which matters for
small models where per-op overhead dominates. Forward works on arrays in one numerically stable
pass; backward has two paths with the same values: when it is itself recorded
(``create_graph=True``) it is written with ember ops, so double backward works; otherwise it is
computed on the saved arrays directly (no graph would be built anyway).
"""

from __future__ import annotations

import numpy as np

from ember._tensor import Tensor
from ember.autograd.function import Function
from ember.autograd.grad_mode import STATE
from ember.ops import activation as act
from ember.ops import elementwise as ew

__all__ = ["binary_cross_entropy", "cross_entropy_index", "mse"]


def _reduce(per_item: np.ndarray, reduction: str, count):
    if reduction == "none":
        return per_item
    total = per_item.sum()
    if reduction == "sum":
        return np.asarray(total)
    if count:
        return np.asarray(total / count, dtype=per_item.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):  # all targets ignored: 0/0 = nan
        return np.asarray(total / count, dtype=per_item.dtype)


def _grad_scale(grad: np.ndarray, reduction: str, count, dtype) -> np.ndarray:
    """The upstream gradient per item: g (none), g broadcast (sum) or g / count (mean)."""
    if reduction == "none":
        return grad
    if reduction == "sum":
        return grad.astype(dtype, copy=False)
    if count:
        return (grad / count).astype(dtype, copy=False)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (grad / count).astype(dtype, copy=False)


class CrossEntropyIndex(Function):
    """``-log_softmax(x)[i, t_i]`` for logits ``x`` (N, C) and int64 classes ``t`` (N,).

    Targets equal to ``ignore_index`` contribute 0 and are left out of the mean's count.
    """

    saves_inputs = (0,)

    @staticmethod
    def forward(ctx, x, target, ignore_index, reduction):
        n, c = x.shape
        valid = _counted_targets(target, ignore_index, c)
        safe = target if valid is None else np.where(valid, target, 0)
        shifted = x - x.max(1, keepdims=True)
        expd = np.exp(shifted)
        sums = expd.sum(1, keepdims=True)
        flat = np.arange(0, n * c, c) + safe  # each row's target in the flattened (N, C)
        # -log p_t = log(sum exp(x - max)) - (x_t - max); finite for logits of any size
        per_item = np.log(sums[:, 0])
        per_item -= shifted.reshape(-1).take(flat)
        if valid is not None:
            per_item *= valid
        ctx.count = n if valid is None else valid.sum()
        ctx.valid, ctx.flat = valid, flat
        ctx.probs = np.divide(expd, sums, out=expd)  # softmax, kept for backward
        return _reduce(per_item.astype(x.dtype, copy=False), reduction, ctx.count)

    @staticmethod
    def backward(ctx, grad):
        reduction = ctx._inputs[3]
        valid, dtype = ctx.valid, ctx.probs.dtype
        g = _grad_scale(grad._data, reduction, ctx.count, dtype)
        if STATE.grad_enabled:  # create_graph: softmax recomputed as a recorded op of x
            onehot = np.zeros_like(ctx.probs)
            onehot.reshape(-1)[ctx.flat] = 1
            p = act.softmax(ctx.inputs[0], 1)
            up = grad.reshape(-1, 1) if reduction == "none" else grad
            return (p - Tensor._make(onehot)) * up * _mask_scale(ctx, reduction), None, None, None
        # d(-log p_t)/dx = softmax(x) - onehot(t), for counted rows, times the upstream grad
        w = g if valid is None else (g * valid).astype(dtype, copy=False)
        gx = ctx.probs * (w if w.ndim == 0 else w[:, None])
        gx.reshape(-1)[ctx.flat] -= w
        return Tensor._make(gx), None, None, None


def _counted_targets(target: np.ndarray, ignore_index: int, c: int):
    """Which targets count (those not equal to ``ignore_index``) as a bool mask, or None when
    all of them do; IndexError names the first counted target outside ``[0, C)``."""
    if target.size:
        lo, hi = target.min(), target.max()
        if 0 <= lo and hi < c and not lo <= ignore_index <= hi:  # the common case: 2 passes
            return None
    valid = target != ignore_index
    bad = valid & ((target < 0) | (target >= c))
    if bad.any():
        raise IndexError(
            f"cross_entropy(): Target {target[bad][0]} is out of bounds for {c} classes."
        )
    return valid


def _mask_scale(ctx, reduction):
    """valid / count (mean), valid (sum, none): the per-row factor of the gradient, (N, 1)."""
    valid = ctx.valid if ctx.valid is not None else np.ones(ctx.probs.shape[0], bool)
    scale = valid.astype(ctx.probs.dtype)[:, None]
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = scale / ctx.count
    return Tensor._make(scale.astype(ctx.probs.dtype, copy=False))


def cross_entropy_index(input: Tensor, target: Tensor, ignore_index: int, reduction: str):
    """Fused cross-entropy of (N, C) float logits against (N,) int64 class indices."""
    return CrossEntropyIndex.apply(input, target, ignore_index, reduction)


class Mse(Function):
    """``reduce((x - y)^2)`` for ``x`` and ``y`` of one shape and dtype."""

    saves_inputs = (0, 1)

    @staticmethod
    def forward(ctx, x, y, reduction):
        diff = x - y
        ctx.diff = diff
        return _reduce(np.square(diff), reduction, diff.size)

    @staticmethod
    def backward(ctx, grad):
        reduction = ctx._inputs[2]
        need_x, need_y = ctx.needs_input_grad[:2]
        n = ctx.diff.size
        if STATE.grad_enabled:  # create_graph: 2 (x - y) g / n in ember ops
            x, y, _ = ctx.inputs
            gx = (x - y) * (grad * (2.0 / n if reduction == "mean" else 2.0))
            return gx if need_x else None, ew.neg(gx) if need_y else None, None
        g = grad._data * (2.0 / n if reduction == "mean" else 2.0)
        gx = np.multiply(ctx.diff, g.astype(ctx.diff.dtype, copy=False))  # d/dx = 2 (x - y) g
        return (
            Tensor._make(gx) if need_x else None,
            Tensor._make(np.negative(gx)) if need_y else None,  # d/dy = -d/dx
            None,
        )


def mse(input: Tensor, target: Tensor, reduction: str) -> Tensor:
    """Fused mean-squared error of two tensors of one shape and float dtype."""
    return Mse.apply(input, target, reduction)


class BinaryCrossEntropy(Function):
    """Per element ``-(t log x + (1 - t) log(1 - x))``, each log clamped at -100 as PyTorch."""

    saves_inputs = (0, 1)

    @staticmethod
    def forward(ctx, x, t):
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100.0)
            log_1mx = np.maximum(np.log(1 - x), -100.0)
        return -(t * log_x + (1 - t) * log_1mx)

    @staticmethod
    def backward(ctx, grad):
        x, t = ctx.inputs
        need_x, need_t = ctx.needs_input_grad
        gx = gt = None
        # NOTE: x (1 - x) is clamped at 1e-12 so x = 0 or 1 gives a finite gradient
        if need_x:  # d/dx = (x - t) / (x (1 - x))
            gx = grad * (x - t) / ew.clamp(x * (1 - x), min=1e-12)
        if need_t:  # d/dt = log(1 - x) - log(x), with the forward's clamps
            gt = grad * (ew.clamp(ew.log(1 - x), min=-100.0) - ew.clamp(ew.log(x), min=-100.0))
        return gx, gt


def binary_cross_entropy(input: Tensor, target: Tensor) -> Tensor:
    """Unreduced binary cross-entropy of probabilities ``input`` against ``target``."""
    return BinaryCrossEntropy.apply(input, target)
