"""Pooling kernels: max pooling (with indices), adaptive max pooling, and the
constant tables (average divisors, adaptive-average matrices) that let average pooling be
composed from differentiable ops (interpolation's tables are in ``ember.ops.resample``).

Max pooling takes a running max over the kh*kw kernel offsets (strided slices of the input in
its own memory order, no window copies) and records each window's argmax offset. Its backward
``WindowScatter`` puts the gradient at those positions (no sums when windows cannot overlap);
``WindowGather`` is its adjoint, so gradients of any order exist. Adaptive max pooling gathers
its (variable) windows with a fancy index and scatter-adds its gradient.
"""

from __future__ import annotations

import numpy as np

from ember._tensor import Tensor
from ember.autograd.function import Function
from ember.autograd.grad_mode import STATE
from ember.ops import index as ix
from ember.ops import shape as sh

__all__ = [
    "pool_out_size",
    "max_pool",
    "adaptive_max_pool",
    "avg_divisor",
    "adaptive_avg_matrix",
]


def pool_out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling output length (the last window must start inside the input or the
    left padding)."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _as4d(a: np.ndarray) -> np.ndarray:
    return a[:, :, None, :] if a.ndim == 3 else a


def _back(a: np.ndarray, ndim: int) -> np.ndarray:
    return a[:, :, 0, :] if ndim == 3 else a


def _first_max(win: np.ndarray):
    """Values and flat positions of the first maximum over the last axis (of the last NaN
    where there is one, as PyTorch's max pooling picks)."""
    k = win.argmax(-1)
    if win.dtype.kind == "f":
        nan = np.isnan(win)
        rows = nan.any(-1)
        if rows.any():
            k[rows] = win.shape[-1] - 1 - nan[rows][:, ::-1].argmax(-1)
    return np.take_along_axis(win, k[..., None], -1)[..., 0], k


class _ScatterBack(Function):
    """Backward of adaptive max pooling: scatter ``grad`` to the recorded argmax positions."""

    @staticmethod
    def backward(ctx, grad, _grad_indices=None):
        n, c = ctx.in_shape[:2]
        zeros = Tensor._make(np.zeros((n, c, ctx.plane), grad._data.dtype))
        idx = Tensor._make(ctx.flat_idx)
        src = sh.reshape(grad, (n, c, -1))
        # d x = grad routed to the argmax of each window (summed where windows overlap)
        op = ix.Scatter if ctx.unique else ix.ScatterAdd
        return (sh.reshape(op.apply(zeros, 2, idx, src), ctx.in_shape),) + (None,) * ctx.n_params


def _slices(kernel, stride, dilation, out_hw, cl: bool):
    """For each kernel offset (i, j): its flat number and the strided slice of a padded
    work array that it reads for every output position."""
    (kh, kw), (s0, s1), (d0, d1), (oh, ow) = kernel, stride, dilation, out_hw
    hspan, wspan = s0 * (oh - 1) + 1, s1 * (ow - 1) + 1
    lead = (slice(None),) if cl else (slice(None), slice(None))
    return [
        (i * kw + j, lead + (slice(i * d0, i * d0 + hspan, s0), slice(j * d1, j * d1 + wspan, s1)))
        for i in range(kh)
        for j in range(kw)
    ]


# Pooling works on a "work" view in the input's own memory order: channels-last (N, H, W, C)
# when channels are the fastest axis (conv outputs are), else (N, C, H, W). Slices over the two
# spatial axes then read long contiguous runs either way.
def _is_cl(a4: np.ndarray) -> bool:
    return a4.shape[1] > 1 and a4.strides[1] < a4.strides[3]


def _to_work(a4: np.ndarray, cl: bool) -> np.ndarray:
    return a4.transpose(0, 2, 3, 1) if cl else a4


def _from_work(a: np.ndarray, cl: bool) -> np.ndarray:
    return a.transpose(0, 3, 1, 2) if cl else a


def _work_shape(cl: bool, n: int, c: int, h: int, w: int) -> tuple:
    return (n, h, w, c) if cl else (n, c, h, w)


def _interior(cl: bool, padding, h: int, w: int) -> tuple:
    hs, ws = slice(padding[0], padding[0] + h), slice(padding[1], padding[1] + w)
    return (slice(None), hs, ws) if cl else (slice(None), slice(None), hs, ws)


def _padded_size(size, k, s, p, d, out):
    return max((out - 1) * s + d * (k - 1) + 1, p + size)


# Below this many elements, a 2x2/2 max pool without argmax is two pairwise maxima (rows, then
# columns): ~30% faster than the four-offset running max at batch-1 sizes, ~10% slower on
# large batches, where the strided pairs stream worse than whole-window slices.
_PAIRWISE_MAX = 1 << 17


def _max_2x2(buf: np.ndarray, cl: bool, oh: int, ow: int) -> np.ndarray:
    """Max over 2x2 windows at stride 2 of the work view ``buf``, (OH, OW) windows."""
    lead = (slice(None),) if cl else (slice(None), slice(None))
    rows = np.maximum(buf[lead + (slice(0, 2 * oh, 2),)], buf[lead + (slice(1, 2 * oh, 2),)])
    cols = lead + (slice(None),)
    return np.maximum(rows[cols + (slice(0, 2 * ow, 2),)], rows[cols + (slice(1, 2 * ow, 2),)])


def _first_argmax(buf, slices, best, count: int) -> np.ndarray:
    """Kernel offset of the first maximum ``best`` of each window, over the offsets' slices
    of ``buf`` (plain arithmetic: masked copies are far slower)."""
    itype = np.int8 if count < 128 else np.int32
    arg = np.zeros(best.shape, itype)
    found = buf[slices[0][1]] == best
    for k, key in slices[1:]:
        hit = np.greater(buf[key] == best, found)  # a maximum here, and none before
        arg += hit.view(np.int8).astype(itype, copy=False) * itype(k)
        found |= hit
    return arg


def _argmax_2x2(buf, slices):
    """Max and first-max offset (int8) of 2x2 windows, from the four offsets' slices of
    ``buf`` taken pairwise: the first maximum of (0, 1), of (2, 3), then of the two pairs,
    the earlier pair on a tie. ~8 passes over the output instead of ~17."""
    a, b, c, d = (buf[key] for _, key in slices)
    top, bottom = np.maximum(a, b), np.maximum(c, d)  # NaN propagates, as in PyTorch
    right, lower_right = np.greater(b, a), np.greater(d, c)  # second of its pair is larger
    lower = np.greater(bottom, top)
    best = np.maximum(top, bottom, out=top)
    # column within the chosen pair: ``right``, or ``lower_right`` where the lower pair wins
    np.bitwise_xor(right, lower_right, out=lower_right)
    lower_right &= lower
    right ^= lower_right
    arg = lower.view(np.int8)
    arg += arg  # offset 2 * row + column
    arg |= right.view(np.int8)
    return best, arg


def _nan_argmax(buf, slices, best, arg) -> None:
    """Point NaN windows at their last NaN, as PyTorch's max pooling does (its running max
    takes any NaN it meets); other windows keep their first maximum."""
    if buf.dtype.kind not in "fc":
        return
    nan = np.isnan(best)
    if nan.any():
        for k, key in slices:
            arg[nan & np.isnan(buf[key])] = k


class MaxPool(Function):
    """Max over each window: a running max over the kh*kw kernel offsets (a small constant
    loop of whole-array operations; 2x2 windows at stride 2 pairwise). As in PyTorch, ties go
    to the first maximum and a window holding NaN to its last NaN; returns int64 flat H*W
    indices too when ``return_indices``."""

    saves_inputs = ()

    @staticmethod
    def forward(ctx, x, kernel, stride, padding, dilation, ceil_mode, return_indices):
        x4 = _as4d(x)
        n, c, h, w = x4.shape
        (kh, kw), (s0, s1), (p0, p1), (d0, d1) = kernel, stride, padding, dilation
        oh = pool_out_size(h, kh, s0, p0, d0, ceil_mode)
        ow = pool_out_size(w, kw, s1, p1, d1, ceil_mode)
        hp, wp = _padded_size(h, kh, s0, p0, d0, oh), _padded_size(w, kw, s1, p1, d1, ow)
        cl = _is_cl(x4)
        if hp > h or wp > w:
            buf = np.full(_work_shape(cl, n, c, hp, wp), -np.inf, x.dtype)
            buf[_interior(cl, padding, h, w)] = _to_work(x4, cl)
        else:
            buf = _to_work(x4, cl)
        need_arg = return_indices or STATE.grad_enabled  # else no backward can follow
        two_by_two = (kernel, stride, dilation) == ((2, 2), (2, 2), (1, 1))
        if two_by_two and not need_arg and buf.size <= _PAIRWISE_MAX:
            return _back(_from_work(_max_2x2(buf, cl, oh, ow), cl), x.ndim)
        slices = _slices(kernel, stride, dilation, (oh, ow), cl)
        if two_by_two and need_arg:
            best, arg = _argmax_2x2(buf, slices)
        else:
            best = buf[slices[0][1]].copy()
            for _, key in slices[1:]:
                np.maximum(best, buf[key], out=best)  # NaN propagates, as in PyTorch
            if not need_arg:
                return _back(_from_work(best, cl), x.ndim)
            arg = _first_argmax(buf, slices, best, kh * kw)
        _nan_argmax(buf, slices, best, arg)
        ctx.arg, ctx.geo, ctx.in_shape = arg, (kernel, stride, padding, dilation, cl), x.shape
        out = _back(_from_work(best, cl), x.ndim)
        if not return_indices:
            return out
        rows = np.arange(oh) * s0 - p0
        cols = np.arange(ow) * s1 - p1
        rows, cols = (rows[:, None, None], cols[:, None]) if cl else (rows[:, None], cols)
        idx = (rows + (arg // kw) * d0) * w + cols + (arg % kw) * d1
        return out, _back(_from_work(idx, cl), x.ndim)

    @staticmethod
    def backward(ctx, grad, _grad_indices=None):
        # d x = grad routed to each window's argmax (summed where windows overlap)
        gx = WindowScatter.apply(grad, ctx.arg, ctx.in_shape, *ctx.geo)
        return gx, None, None, None, None, None, None


class WindowScatter(Function):
    """Add ``g[n, c, oh, ow]`` at the input position of kernel offset ``arg`` of each window."""

    saves_inputs = ()

    @staticmethod
    def forward(ctx, g, arg, in_shape, kernel, stride, padding, dilation, cl):
        gt = _to_work(_as4d(g), cl)
        n, c, oh, ow = _as4d(g).shape
        h, w = (1,) + tuple(in_shape[2:]) if len(in_shape) == 3 else in_shape[2:]
        hp = _padded_size(h, kernel[0], stride[0], padding[0], dilation[0], oh)
        wp = _padded_size(w, kernel[1], stride[1], padding[1], dilation[1], ow)
        disjoint = all(s >= d * (k - 1) + 1 for s, d, k in zip(stride, dilation, kernel))
        # windows that tile the work array (kernel = stride, no dilation) write every position
        tiled = (
            stride == kernel and dilation == (1, 1) and (hp, wp) == (oh * stride[0], ow * stride[1])
        )
        buf = (np.empty if tiled else np.zeros)(_work_shape(cl, n, c, hp, wp), g.dtype)
        # NOTE: a product with the 0/1 mask (much faster than np.where/masked copies) turns an
        # inf/nan gradient into nan at the other positions of its window.
        for k, key in _slices(kernel, stride, dilation, (oh, ow), cl):
            if disjoint:  # every input position belongs to one window at most: no sums
                np.multiply(gt, arg == k, out=buf[key])
            else:
                buf[key] += gt * (arg == k)
        out = _from_work(buf[_interior(cl, padding, h, w)], cl)
        return _back(out, len(in_shape))

    @staticmethod
    def backward(ctx, grad):
        _, arg, _, *geo = ctx.inputs
        # linear in g: the adjoint reads grad back at the same positions
        return WindowGather.apply(grad, arg, *geo), None, None, None, None, None, None, None


class WindowGather(Function):
    """Read ``h`` at the input position of kernel offset ``arg`` of each window."""

    saves_inputs = ()

    @staticmethod
    def forward(ctx, hx, arg, kernel, stride, padding, dilation, cl):
        h4 = _as4d(hx)
        n, c, h, w = h4.shape
        oh, ow = (arg.shape[1:3]) if cl else arg.shape[2:4]
        hp = _padded_size(h, kernel[0], stride[0], padding[0], dilation[0], oh)
        wp = _padded_size(w, kernel[1], stride[1], padding[1], dilation[1], ow)
        buf = np.zeros(_work_shape(cl, n, c, hp, wp), hx.dtype)
        buf[_interior(cl, padding, h, w)] = _to_work(h4, cl)
        out = np.zeros(arg.shape, hx.dtype)
        for k, key in _slices(kernel, stride, dilation, (oh, ow), cl):
            np.copyto(out, buf[key], where=arg == k)
        return _back(_from_work(out, cl), hx.ndim)

    @staticmethod
    def backward(ctx, grad):
        hx, arg, *geo = ctx.inputs
        # linear in h: the adjoint adds grad back at the same positions
        gh = WindowScatter.apply(grad, arg, tuple(hx.shape), *geo)
        return gh, None, None, None, None, None, None


def _adaptive_table(size: int, out: int) -> np.ndarray:
    """(out, kmax) positions of each adaptive window, padded by repeating its last position."""
    i = np.arange(out)
    start, end = (i * size) // out, -((-(i + 1) * size) // out)
    kmax = int((end - start).max())
    return np.minimum(start[:, None] + np.arange(kmax), (end - 1)[:, None])


class AdaptiveMaxPool(_ScatterBack):
    saves_inputs = ()

    @staticmethod
    def forward(ctx, x, output_size):
        x4 = _as4d(x)
        n, c, h, w = x4.shape
        oh, ow = output_size
        r, q = _adaptive_table(h, oh), _adaptive_table(w, ow)
        win = x4[:, :, r[:, None, :, None], q[None, :, None, :]]  # (N, C, OH, OW, kh, kw)
        kw = q.shape[1]
        out, k = _first_max(win.reshape(n, c, oh, ow, -1))
        idx = r[np.arange(oh)[:, None], k // kw] * w + q[np.arange(ow), k % kw]
        ctx.in_shape, ctx.plane, ctx.n_params = x.shape, h * w, 1
        ctx.flat_idx = idx.reshape(n, c, -1)
        ctx.unique = h % oh == 0 and w % ow == 0
        return _back(out, x.ndim), _back(idx, x.ndim)


def max_pool(
    x: Tensor, kernel, stride, padding, dilation, ceil_mode: bool, return_indices: bool = False
):
    """Values (and int64 indices); 2-D geometry pairs, ``x`` (N, C, H, W) or (N, C, L)."""
    return MaxPool.apply(x, kernel, stride, padding, dilation, ceil_mode, return_indices)


def adaptive_max_pool(x: Tensor, output_size):
    return AdaptiveMaxPool.apply(x, tuple(output_size))


# -- constant tables for composed ops ---------------------------------------------------------
def _avg_counts(size, out, k, s, p, count_include_pad):
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    full = end - start
    clipped = np.minimum(end, size) - np.maximum(start, 0)
    return full if count_include_pad else clipped


def avg_divisor(
    shape, out_hw, kernel, stride, padding, count_include_pad, divisor_override, dtype
) -> Tensor:
    """Per-output-position divisor of average pooling, broadcastable to ``(OH, OW)``."""
    if divisor_override:
        return Tensor._make(np.asarray(divisor_override, dtype))
    ch = _avg_counts(shape[0], out_hw[0], kernel[0], stride[0], padding[0], count_include_pad)
    cw = _avg_counts(shape[1], out_hw[1], kernel[1], stride[1], padding[1], count_include_pad)
    return Tensor._make(np.outer(ch, cw).astype(dtype))


def adaptive_avg_matrix(size: int, out: int, dtype) -> Tensor:
    """(out, size) matrix averaging each adaptive window (``M @ x`` pools one dim)."""
    i = np.arange(out)
    start, end = (i * size) // out, -((-(i + 1) * size) // out)
    pos = np.arange(size)
    m = (pos >= start[:, None]) & (pos < end[:, None])
    return Tensor._make((m / (end - start)[:, None]).astype(dtype))


def check_pool_size(name: str, in_hw, out_hw, channels) -> None:
    if min(out_hw) <= 0:
        given = "x".join(str(s) for s in (channels, *in_hw))
        got = "x".join(str(s) for s in (channels, *out_hw))
        raise RuntimeError(
            f"{name}(): Given input size: ({given}). Calculated output size: "
            f"({got}). Output size is too small"
        )
