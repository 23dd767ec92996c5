"""Fused normalization kernel: ``(x - mean) / sqrt(var + eps) * weight + bias`` in one op.

Batch, layer, group and instance norm all reduce to normalizing over some axes of a (possibly
reshaped) input and applying a broadcastable affine map, so one kernel serves them all.

Forward computes mean and (biased) variance once with NumPy, keeps ``x_hat`` and ``invstd`` for
backward and writes the result with few passes over memory. Backward is the closed form

    g_hat = grad * weight
    dx    = invstd * (g_hat - mean(g_hat) - x_hat * mean(g_hat * x_hat))
    dw    = grad * x_hat         (summed to weight's shape by the engine)
    db    = grad

written in ember ops. When the backward itself is recorded (``create_graph=True``), ``x_hat`` and
``invstd`` are recomputed from the input with ember ops so double backward sees their dependence
on ``x``; otherwise the saved arrays are used as constants (the same values, no extra passes).
"""

from __future__ import annotations

import math

import numpy as np

from ember._tensor import Tensor
from ember.autograd.function import Function
from ember.autograd.grad_mode import STATE
from ember.ops import channels as ch
from ember.ops.elementwise import rsqrt
from ember.ops.reduce import mean
from ember.ops.reduce import sum as sum_
from ember.ops.reduce import sum_keepdims as _sum_keep
from ember.ops.shape import reshape

__all__ = ["NormAffine", "norm_affine", "ChannelAffine", "channel_affine"]


class NormAffine(Function):
    saves_inputs = (0, 1)  # backward reads x and weight, never bias

    @staticmethod
    def forward(ctx, x, weight, bias, axes, eps, stats):
        ctx.axes, ctx.eps, ctx.xc = axes, eps, None
        rows = _channel_rows(x, weight, bias, axes)
        if rows is not None:
            return _rows_forward(ctx, x, rows, weight, bias, eps, stats)
        n = math.prod(x.shape[a] for a in axes)  # elements per normalized slice
        mu = _sum_keep(x, axes) / n
        xc = x - mu
        var = _sum_keep(np.square(xc), axes) / n  # biased, as PyTorch normalizes
        invstd = 1.0 / np.sqrt(var + eps)
        x_hat = np.multiply(xc, invstd, out=xc)  # reuse the centred buffer
        ctx.invstd = invstd.astype(x.dtype, copy=False)
        ctx.x_hat = x_hat
        if stats is not None:  # the caller wants the batch statistics (running-stat update)
            stats.append(Tensor._make(mu.astype(x.dtype, copy=False)))
            stats.append(Tensor._make(var.astype(x.dtype, copy=False)))
        if weight is None and bias is None:
            return np.array(x_hat, dtype=x.dtype, copy=True)
        out = x_hat * weight if weight is not None else x_hat.copy()
        if bias is not None:
            out += bias
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.inputs[:2]
        axes = ctx.axes
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if not STATE.grad_enabled and ctx.xc is not None:
            return _rows_backward(ctx, grad, weight)
        if not STATE.grad_enabled and _per_reduced_slice(ctx, weight):
            return _plain_backward(ctx, grad, weight)
        if STATE.grad_enabled:  # create_graph: express x_hat, invstd through x
            xc = x - mean(x, axes, keepdim=True)  # centred input
            invstd = rsqrt(mean(xc * xc, axes, keepdim=True) + ctx.eps)  # (var + eps)^-1/2
            x_hat = xc * invstd
        else:  # plain backward: the forward's arrays are the same values, as constants
            invstd = Tensor._make(ctx.invstd)
            x_hat = Tensor._make(ctx.x_hat)  # set whenever ctx.xc is None
        gx = gw = None
        if need_x:
            g_hat = grad * weight if weight is not None else grad  # d(x_hat w)/dx_hat = w
            # d x_hat / dx: invstd (I - 1/n - x_hat x_hat^T / n), applied to g_hat
            gx = invstd * (
                g_hat
                - mean(g_hat, axes, keepdim=True)
                - x_hat * mean(g_hat * x_hat, axes, keepdim=True)
            )
        if need_w:
            gw = grad * x_hat  # d(x_hat w + b)/dw = x_hat
        gb = grad if need_b else None  # d(x_hat w + b)/db = 1
        return gx, gw, gb


def _channel_rows(x, weight, bias, axes):
    """Batch norm of a channels-last input (a conv output): its (R, C) rows, else None."""
    nd = x.ndim
    if nd < 2 or x.dtype not in ch.BLAS_DTYPES or axes != (0,) + tuple(range(2, nd)):
        return None
    keep = (1, x.shape[1]) + (1,) * (nd - 2)
    if any(t is not None and t.shape != keep for t in (weight, bias)):
        return None
    return ch.rows_of(x)


def _rows_forward(ctx, x, rows, weight, bias, eps, stats):
    """Forward on the rows (R, C): the centred rows are kept for backward (as ``ctx.xc``),
    the variance is summed without writing the squares, and the output is
    ``xc * (invstd * w) + b``."""
    r = rows.shape[0]
    keep = (1, rows.shape[1]) + (1,) * (x.ndim - 2)
    mu = ch.sums(rows) / r
    xc = ch.apply(np.subtract, rows, mu)
    var = ch.dot_sums(xc, xc) / r  # biased, as PyTorch normalizes
    invstd = 1.0 / np.sqrt(var + eps)
    scale = invstd if weight is None else invstd * weight.reshape(-1)
    out = ch.apply(np.multiply, xc, scale)
    if bias is not None:
        ch.apply(np.add, out, bias.reshape(-1), out=out)
    ctx.xc, ctx.invstd, ctx.x_hat = xc, invstd.reshape(keep), None
    if stats is not None:
        stats.append(Tensor._make(mu.reshape(keep)))
        stats.append(Tensor._make(var.reshape(keep)))
    return ch.as_channels_first(out, x.shape)


def _rows_backward(ctx, grad, weight):
    """The closed form of ``_plain_backward`` on the rows: with ``a = invstd * w``,
    ``dx = a * g - (a * invstd^2 * sum(g xc) / n) * xc - a * sum(g) / n``."""
    xc = ctx.xc
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    invstd, keep = ctx.invstd.reshape(-1), ctx.invstd.shape
    g = ch.rows_of(grad._data, copy=True)
    r = xc.shape[0]
    sum_g = ch.sums(g)  # = db
    sum_gxc = ch.dot_sums(g, xc)  # dw = invstd * sum_gxc
    gx = None
    if need_x:
        a = invstd if weight is None else invstd * weight._data.reshape(-1)
        out = ch.apply(np.multiply, g, a)
        np.subtract(out, ch.apply(np.multiply, xc, a * invstd * invstd * sum_gxc / r), out=out)
        ch.apply(np.subtract, out, a * sum_g / r, out=out)
        gx = Tensor._make(ch.as_channels_first(out, grad._data.shape))
    gw = Tensor._make((invstd * sum_gxc).reshape(keep)) if need_w else None
    gb = Tensor._make(sum_g.reshape(keep)) if need_b else None
    return gx, gw, gb


def _per_reduced_slice(ctx, weight) -> bool:
    """Whether weight and bias are constant over the normalized axes (batch norm's case)."""
    shape = ctx.invstd.shape  # the input's shape with the normalized axes kept as 1
    bias = ctx._inputs[2]
    return all(t is None or t._data.shape == shape for t in (weight, bias))


def _plain_backward(ctx, grad, weight):
    """The closed form on the saved arrays, with weight constant over the normalized axes.

    Then sum(g_hat) = w sum(g) and sum(g_hat x_hat) = w sum(g x_hat), and those two sums are
    also db and dw: two reductions and a few in-place passes replace ~11 recorded ops.
    """
    axes, x_hat, invstd = ctx.axes, ctx.x_hat, ctx.invstd
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    g = grad._data
    n = x_hat.size // invstd.size  # elements per normalized slice
    sum_g = _sum_keep(g, axes)  # = db
    sum_gx = _sum_keep(np.multiply(g, x_hat), axes)  # = dw
    gx = None
    if need_x:
        # dx = invstd w (g - sum(g)/n - x_hat sum(g x_hat)/n)
        out = np.multiply(x_hat, sum_gx / n)
        np.subtract(g, out, out=out)
        out -= sum_g / n
        out *= invstd if weight is None else invstd * weight._data
        gx = Tensor._make(out.astype(g.dtype, copy=False))
    gw = Tensor._make(sum_gx) if need_w else None
    gb = Tensor._make(sum_g) if need_b else None
    return gx, gw, gb


class ChannelAffine(Function):
    """``y = x * scale + shift`` with per-channel ``(C,)`` scale and shift over dim 1 of
    ``(N, C, *)`` (eval-mode batch norm). A channels-last input keeps its layout and runs on
    long inner loops (``ember.ops.channels``) instead of C-long broadcast ones."""

    saves_inputs = (0, 1)

    @staticmethod
    def forward(ctx, x, scale, shift):
        dtype = np.result_type(x, scale, shift)
        rows = ch.rows_of(x) if x.dtype == dtype else None
        if rows is not None:
            out = ch.apply(np.multiply, rows, scale.astype(dtype, copy=False))
            ch.apply(np.add, out, shift.astype(dtype, copy=False), out=out)
            return ch.as_channels_first(out, x.shape)
        keep = (1, -1) + (1,) * (x.ndim - 2)
        out = np.multiply(x, scale.reshape(keep), dtype=dtype)
        out += shift.reshape(keep)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, scale, _ = ctx.inputs
        need_x, need_s, need_b = ctx.needs_input_grad
        axes = (0,) + tuple(range(2, x.ndim))
        gx = grad * reshape(scale, (1, -1) + (1,) * (x.ndim - 2)) if need_x else None
        gs = sum_(grad * x, axes) if need_s else None
        gb = sum_(grad, axes) if need_b else None
        return gx, gs, gb


def channel_affine(input, scale, shift):
    """``input * scale + shift`` per channel: ``input`` (N, C, *), ``scale``/``shift`` (C,)."""
    return ChannelAffine.apply(input, scale, shift)


def norm_affine(input, weight, bias, axes: tuple, eps: float, stats: list | None = None):
    """Normalize ``input`` over ``axes`` and apply ``weight``/``bias`` (broadcastable or None).

    Args:
        input: floating tensor.
        weight: tensor broadcastable to ``input`` (already reshaped by the caller), or None.
        bias: same as ``weight``.
        axes: the axes to normalize over (non-negative ints).
        eps: added to the variance.
        stats: when a list, the batch mean and biased variance (keepdim shape) are appended.

    Returns:
        A tensor of ``input``'s shape and dtype.
    """
    return NormAffine.apply(input, weight, bias, axes=tuple(axes), eps=float(eps), stats=stats)
