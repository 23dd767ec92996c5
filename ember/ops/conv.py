"""Convolution kernels: conv, its two adjoints (transposed conv, weight gradient), im2col/col2im.

Most layers are lowered to one BLAS product per layer (a batched one over groups). The patch
matrix ("cols") is laid out channels-last, ``(N * OH * OW, groups, kh * kw * C_g)``: its copy
out of the input reads contiguous channel runs, and the output ``(N * OH * OW, C_out)`` is
returned as a channels-last view of ``(N, C_out, OH, OW)``, which the next layer reads cheaply.
Two cases skip the patch matrix where NumPy's BLAS can add products in place
(``ember._blas``): stride-1 convolutions with few channels on large images, as a sum of one
product per kernel tap over shifted windows of the padded input (``_taps_forward``), and
strided transposed convolutions, one stride-1 grid per output phase (``_conv_t_phases``).

The three ops below are each other's derivatives, so gradients of any order exist:

- ``Conv``:          y  = conv(x, w)            dy -> dx = conv_t(dy, w),  dw = conv_w(x, dy)
- ``ConvTranspose``: x' = conv_t(g, w)          dx' -> dg = conv(dx', w),  dw = conv_w(dx', g)
- ``ConvWeight``:    w' = conv_w(x, g)          dw' -> dx = conv_t(g, dw'), dg = conv(x, dw')

A plain (not recorded) backward of a stride-1 ungrouped ``Conv`` computes ``dx`` and ``dw`` in one
sweep over the patches of the padded ``dy`` (``_conv_t_and_w``); ``create_graph`` uses the ops.

Kernels take 2-D geometry (``stride``, ``padding``, ``dilation`` as pairs); 1-D inputs
``(N, C, L)`` are run as ``(N, C, 1, L)`` with the pairs ``(1, s)``, ``(0, p)``, ``(1, d)``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ember import _blas
from ember._tensor import Tensor
from ember.autograd.function import Function
from ember.autograd.grad_mode import STATE
from ember.ops import channels as ch
from ember.ops import reduce as rd

__all__ = ["conv", "conv_transpose", "conv_weight", "im2col", "col2im", "out_size"]


def out_size(size: int, k: int, s: int, p: int, d: int) -> int:
    """Output length of a convolution/pooling window sweep along one dim."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _as4d(a: np.ndarray) -> np.ndarray:
    return a[:, :, None, :] if a.ndim == 3 else a


def _back(a: np.ndarray, ndim: int) -> np.ndarray:
    return a[:, :, 0, :] if ndim == 3 else a


def _im2col(x, kh, kw, stride, padding, dilation, groups, oh, ow):
    """Patches of ``x`` (N, C, H, W) as a ``(N*OH*OW, groups, kh*kw*C_g)`` matrix (one copy)."""
    win = _patches(x, kh, kw, stride, padding, dilation, groups, oh, ow)
    rows = x.shape[0] * oh * ow  # explicit: -1 cannot be inferred when C is 0
    return np.ascontiguousarray(win).reshape(rows, groups, kh * kw * (x.shape[1] // groups))


def _patches(x, kh, kw, stride, padding, dilation, groups, oh, ow):
    """Patches of ``x`` (N, C, H, W) as a read-only strided view (N, OH, OW, groups, kh, kw,
    C_g) of a channels-last (padded) copy: no patch is copied yet."""
    n, c = x.shape[:2]
    (s0, s1), (d0, d1) = stride, dilation
    buf = _padded_channels_last(x, padding)
    sn, sh, sw, sc = buf.strides
    cg = c // groups
    return as_strided(
        buf,
        (n, oh, ow, groups, kh, kw, cg),
        (sn, sh * s0, sw * s1, sc * cg, sh * d0, sw * d1, sc),
        writeable=False,
    )


def _padded_channels_last(x, padding) -> np.ndarray:
    """``x`` (N, C, H, W) as channels-last (N, H + 2 p0, W + 2 p1, C) with zero borders: a
    new array, or a view of ``x`` when there is no padding."""
    if not (padding[0] or padding[1]):
        return x.transpose(0, 2, 3, 1)
    n, c, h, w = x.shape
    p0, p1 = padding
    buf = np.zeros((n, h + 2 * p0, w + 2 * p1, c), x.dtype)
    buf[:, p0 : p0 + h, p1 : p1 + w] = x.transpose(0, 2, 3, 1)
    return buf


# Bytes of patch matrix lowered at a time by the ungrouped convolution: a few images' patches
# are copied and multiplied while they are still in cache, instead of writing the whole batch's
# patch matrix (kh*kw times the input) to memory and reading it back for the product. On a
# 2-core EPYC, 1 MiB beat 0.25-16 MiB and the unchunked lowering: the fastest steps of ResNet-20
# and of the cnn workload ~8-10% faster, and no patch matrix of the whole batch is ever held.
_COLS_CHUNK_BYTES = 1 << 20


def _image_chunks(n: int, oh: int, ow: int, k: int, itemsize: int):
    """Ranges of images whose patch matrix (rows OH*OW each, ``k`` columns) fills about
    ``_COLS_CHUNK_BYTES``; one range for the whole batch when it is small enough."""
    step = max(1, _COLS_CHUNK_BYTES // max(1, oh * ow * k * itemsize))
    return [(i, min(n, i + step)) for i in range(0, n, step)]


def _chunk_cols(x, kh, kw, stride, padding, dilation, chunks, oh, ow):
    """For each image range of ``chunks``: its rows ``(r0, r1)`` of the batch's patch matrix and
    those rows, copied contiguous (ungrouped, channels-last: (rows, kh*kw*C))."""
    win = _patches(x, kh, kw, stride, padding, dilation, 1, oh, ow)
    per, k = oh * ow, kh * kw * x.shape[1]
    for i, j in chunks:
        yield i * per, j * per, np.ascontiguousarray(win[i:j]).reshape((j - i) * per, k)


def _kmajor(x, kw, stride, ow) -> bool:
    """Whether to lower ``x`` in (C, kh, kw)-major order (``_kmajor_cols``): an NCHW input
    whose output rows are longer runs than its channels-last patch rows, i.e. few channels
    (an RGB stem: ``kw * C = 9`` floats against ``OW = 32``)."""
    return x.flags.c_contiguous and stride[1] == 1 and ow > kw * x.shape[1]


def _kmajor_cols(x, kh, kw, stride, padding, dilation, chunks, oh, ow):
    """``_chunk_cols`` for an NCHW input with few channels: each range's patches copied as a
    (C*kh*kw, rows) matrix in (c, i, j) order, read in runs of OW pixels, and yielded as its
    (rows, C*kh*kw) transposed view. A stem's conv and weight gradient ran 1.5-1.7x faster."""
    n, c = x.shape[:2]
    (s0, s1), (d0, d1) = stride, dilation
    buf = _pad_last2(x, padding)
    sn, sc, sh, sw = buf.strides
    win = _view(buf, (c, kh, kw, n, oh, ow), (sc, sh * d0, sw * d1, sn, sh * s0, sw * s1))
    per, k = oh * ow, c * kh * kw
    for i, j in chunks:
        yield i * per, j * per, np.ascontiguousarray(win[:, :, :, i:j]).reshape(k, (j - i) * per).T


def _lowering(x, kh, kw, stride, padding, dilation, oh, ow):
    """How to lower ungrouped ``x`` a few images at a time (a large batch, or few channels):
    the chunked patch rows and whether their columns are in (c, i, j) order (``_kmajor_cols``)
    rather than channels-last (i, j, c) order (``_chunk_cols``). None when one whole-batch
    patch matrix is the lowering to use."""
    kmajor = _kmajor(x, kw, stride, ow)
    chunks = _image_chunks(x.shape[0], oh, ow, kh * kw * x.shape[1], x.itemsize)
    if len(chunks) == 1 and not kmajor:
        return None
    gen = _kmajor_cols if kmajor else _chunk_cols
    return gen(x, kh, kw, stride, padding, dilation, chunks, oh, ow), kmajor


def _wcols(w, kmajor: bool) -> np.ndarray:
    """Ungrouped weight (O, C, kh, kw) as the (K, O) matrix matching a lowering's columns."""
    return _matrix(w).T if kmajor else _wmat(w, 1)[0].T


def _col2im(dcols, shape, kh, kw, stride, padding, dilation, groups, oh, ow):
    """Adjoint of ``_im2col``: add every patch back at its place; returns (N, C, H, W)."""
    n, c, h, w = shape
    (s0, s1), (p0, p1), (d0, d1) = stride, padding, dilation
    cg = c // groups
    d = dcols.reshape(n, oh, ow, groups, kh, kw, cg)
    hp = max((oh - 1) * s0 + d0 * (kh - 1) + 1, p0 + h)
    wp = max((ow - 1) * s1 + d1 * (kw - 1) + 1, p1 + w)
    buf = np.zeros((n, hp, wp, groups, cg), dcols.dtype)
    hspan, wspan = s0 * (oh - 1) + 1, s1 * (ow - 1) + 1
    for i in range(kh):  # a small constant loop over kernel offsets, never over pixels
        for j in range(kw):
            buf[:, i * d0 : i * d0 + hspan : s0, j * d1 : j * d1 + wspan : s1] += d[
                :, :, :, :, i, j
            ]
    return buf[:, p0 : p0 + h, p1 : p1 + w].reshape(n, h, w, c).transpose(0, 3, 1, 2)


def _matrix(a: np.ndarray) -> np.ndarray:
    """``a`` as a (len(a), rest) matrix; unlike ``reshape(len(a), -1)`` also when ``a`` is empty."""
    return a.reshape(a.shape[0], math.prod(a.shape[1:]))


def _wmat(w, groups):
    """Weight (O, C_g, kh, kw) as (groups, O_g, kh*kw*C_g), matching the cols layout."""
    o, cg, kh, kw = w.shape
    return (
        w.reshape(groups, o // groups, cg, kh, kw)
        .transpose(0, 1, 3, 4, 2)
        .reshape(groups, o // groups, kh * kw * cg)
    )


def _rows(g, groups):
    """Gradient/activation (N, O, OH, OW) as (N*OH*OW, groups, O_g) (a view when channels-last)."""
    n, o, oh, ow = g.shape
    return g.transpose(0, 2, 3, 1).reshape(n * oh * ow, groups, o // groups)


def _pad_last2(a: np.ndarray, padding) -> np.ndarray:
    """``a`` (..., H, W) zero-padded by the pair ``padding`` on both sides of its last two dims
    (a new array), or ``a`` itself when there is no padding."""
    p0, p1 = padding
    if not (p0 or p1):
        return a
    h, w = a.shape[-2:]
    buf = np.zeros(a.shape[:-2] + (h + 2 * p0, w + 2 * p1), a.dtype)
    buf[..., p0 : p0 + h, p1 : p1 + w] = a
    return buf


def _view(buf, shape, strides):
    """A strided view of the C-contiguous ``buf`` (``as_strided`` without its ~5 us of
    interface plumbing; falls back to it for other layouts)."""
    if buf.flags.c_contiguous:
        return np.ndarray(shape, buf.dtype, buf, 0, strides)
    return as_strided(buf, shape, strides, writeable=False)


def _conv_single(x, w, b, stride, padding, dilation, oh, ow):
    """Convolution of one image (1, C, H, W), ungrouped: its patches as a (C*kh*kw, OH*OW)
    matrix read from NCHW, so ``W (O, C*kh*kw) @ cols`` lands directly in NCHW order.

    At batch 1 this beats the channels-last lowering: the patch copy reads runs of pixels
    instead of C channels, and the output needs no transpose (nor do the layers after it).
    With stride 1 each patch row is one run through the padded image: output pixel
    ``(y, x)`` is column ``y * Wp + x`` of a grid as wide as the padded input, so a row of
    ``cols`` is a single slice of it (``Wp - OW`` unused columns per output row); the
    product writes that grid and one pass keeps its ``OW`` real columns (adding the bias).
    """
    c = x.shape[1]
    o, _, kh, kw = w.shape
    (s0, s1), (d0, d1) = stride, dilation
    buf = _pad_last2(x[0], padding)
    sc, sh, sw = buf.strides
    wm = w.reshape(o, c * kh * kw)
    if s0 == 1 and s1 == 1 and sw == buf.itemsize and sh == sw * buf.shape[2]:
        wp = buf.shape[2]
        span = (oh - 1) * wp + ow  # grid columns up to the last real output pixel
        k = c * kh * kw
        cols = np.empty((k + (b is not None), span), x.dtype)
        win = _view(buf, (c, kh, kw, span), (sc, sh * d0, sw * d1, sw))
        np.copyto(cols[:k].reshape(win.shape), win)
        if b is not None:  # the bias as one more input row of ones: no pass of its own
            cols[k] = 1
            wm = np.concatenate((wm, b[:, None]), axis=1)
        grid = np.empty((o, oh * wp), np.result_type(x, w))
        np.matmul(wm, cols, out=grid[:, :span])
        return np.ascontiguousarray(grid.reshape(o, oh, wp)[:, :, :ow])[None]
    win = _view(buf, (c, kh, kw, oh, ow), (sc, sh * d0, sw * d1, sh * s0, sw * s1))
    out = wm @ np.ascontiguousarray(win).reshape(c * kh * kw, oh * ow)
    if b is not None:
        out += b[:, None]
    return out.reshape(1, o, oh, ow)


# The shifted-product lowering (``_taps_forward``) is used for stride-1 convolutions with
# 4-32 input channels whose padded images are at most this much larger than their outputs: the
# products run on padded-grid rows, and the extra rows are computed and dropped.
_TAPS_CHANNELS = (4, 32)
_TAPS_MAX_GRID = 1.15


def _taps_suit(x, w, stride, padding, groups, oh, ow) -> bool:
    """Whether ``_taps_forward`` is the lowering to try (see ``_TAPS_CHANNELS``)."""
    n, c, h, wd = x.shape
    kh, kw = w.shape[2:]
    grid = (h + 2 * padding[0]) * (wd + 2 * padding[1])
    return (
        groups == 1
        and n > 0
        and stride == (1, 1)
        and kh * kw > 1
        and _TAPS_CHANNELS[0] <= c <= _TAPS_CHANNELS[1]
        and x.dtype == w.dtype
        and grid <= _TAPS_MAX_GRID * oh * ow
        and not _kmajor(x, kw, stride, ow)
    )


def _taps_forward(x, w, padding, dilation, oh, ow):
    """Stride-1 ``conv(x, w)`` without a patch matrix: (N, OH, OW, O) channels-last, or None
    when BLAS ``?gemm`` is not bound.

    With the padded input as rows ``(N * Hp * Wp, C)``, output pixel ``(y, x)`` of image ``i``
    is row ``r = (i * Hp + y) * Wp + x`` of a grid as large as the padded input, and kernel
    tap ``(a, b)`` reads row ``r + a * d0 * Wp + b * d1``. So the output is a sum of ``kh * kw``
    products of shifted row windows with the tap's (C, O) weight, each added up by BLAS in
    place (``shifted_matmul_sum``). The first stage of a CIFAR ResNet (16 channels, 32x32)
    ran ~1.3x faster than im2col's copy of 9 patches per pixel and its 16-wide product.
    """
    n, c = x.shape[:2]
    o, _, kh, kw = w.shape
    buf = _padded_channels_last(x, padding)
    if not buf.flags.c_contiguous:
        buf = np.ascontiguousarray(buf)
    hp, wp = buf.shape[1:3]
    d0, d1 = dilation
    offsets = [i * d0 * wp + j * d1 for i in range(kh) for j in range(kw)]
    taps = np.ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(kh * kw, c, o)
    grid = np.empty((n * hp * wp, o), x.dtype)
    m = ((n - 1) * hp + oh - 1) * wp + ow  # up to the last real output pixel
    if not _blas.shifted_matmul_sum(buf.reshape(-1, c), offsets, m, taps, grid):
        return None
    return np.ascontiguousarray(grid.reshape(n, hp, wp, o)[:, :oh, :ow])


def _conv_forward(x, w, b, stride, padding, dilation, groups):
    """``conv(x, w) + b`` on 4-D arrays; returns the output and the channels-last patch
    matrix (None when the single-image path made none)."""
    n = x.shape[0]
    o, _, kh, kw = w.shape
    oh = out_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
    ow = out_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
    if n == 1 and groups == 1:
        return _conv_single(x, w, b, stride, padding, dilation, oh, ow), None
    out, cols = _conv_rows(x, w, stride, padding, dilation, groups, oh, ow)
    if b is not None:
        ch.apply(np.add, out, b, out=out)  # long inner loops, not C-long ones
    return out.reshape(n, oh, ow, o).transpose(0, 3, 1, 2), cols


def _conv_rows(x, w, stride, padding, dilation, groups, oh, ow):
    """``conv(x, w)`` as C-contiguous channels-last rows (N * OH * OW, O), and the patch matrix
    when one was built for the whole batch (else None)."""
    n = x.shape[0]
    o, _, kh, kw = w.shape
    if _taps_suit(x, w, stride, padding, groups, oh, ow):
        out = _taps_forward(x, w, padding, dilation, oh, ow)
        if out is not None:
            return out.reshape(n * oh * ow, o), None
    lowering = _lowering(x, kh, kw, stride, padding, dilation, oh, ow) if groups == 1 else None
    if lowering is not None:  # lower and multiply a few images at a time
        out = np.empty((n * oh * ow, o), np.result_type(x, w))
        lowered, kmajor = lowering
        wt = _wcols(w, kmajor)
        for r0, r1, cols in lowered:
            np.matmul(cols, wt, out=out[r0:r1])
        return out, None
    cols = _im2col(x, kh, kw, stride, padding, dilation, groups, oh, ow)
    wm = _wmat(w, groups)
    if groups == 1:
        return _matrix(cols) @ wm[0].T, cols  # (M, K) @ (K, O)
    # one batched product over groups: (G, M, K_g) @ (G, K_g, O_g)
    out = np.matmul(cols.transpose(1, 0, 2), wm.transpose(0, 2, 1))
    return out.transpose(1, 0, 2).reshape(n * oh * ow, o), cols


def _full_padding(g_shape, w_shape, shape, stride, padding, dilation):
    """When ``conv_t`` to ``shape`` is a stride-1 convolution of the output gradient padded by
    ``dilation * (k - 1) - padding``, that padding pair; else None."""
    full = tuple(d * (k - 1) - p for d, k, p in zip(dilation, w_shape[2:], padding))
    if (
        stride == (1, 1)
        and min(full) >= 0
        and tuple(shape[2:])
        == (g_shape[2] + full[0] - padding[0], g_shape[3] + full[1] - padding[1])
    ):
        return full
    return None


def _conv_t_and_w(x, g, w, stride, padding, dilation):
    """Input and weight gradients of an ungrouped stride-1 convolution from one patch matrix,
    that of the padded output gradient (``conv_t``'s); None when that shortcut does not apply.

    ``dx = cols(g) @ W_flipped``, and ``dw`` reads the same patches: ``dw[o, c, a, b]`` sums
    ``g[.., o, y' - a*d + p, ..] x[.., c, y', ..]`` over input positions ``y'``, which is
    ``(cols(g).T @ x_rows)[(k-1-a, k-1-b, o), c]``. Saves rebuilding the input's patches.
    """
    full = _full_padding(g.shape, w.shape, x.shape, stride, padding, dilation)
    if full is None:
        return None
    o, c, kh, kw = w.shape
    n, _, h, wd = x.shape
    wm = w.transpose(1, 2, 3, 0)[:, ::-1, ::-1].reshape(c, kh * kw * o)  # (C, (i, j, o))
    dtype = np.result_type(x, g, w)
    gx = np.empty((n * h * wd, c), dtype)
    mt = np.zeros((kh * kw * o, c), dtype)
    x_cl = x.transpose(0, 2, 3, 1)  # channels-last rows, a view for conv outputs
    per = h * wd
    chunks = _image_chunks(n, h, wd, kh * kw * o, g.itemsize)
    for r0, r1, cols in _chunk_cols(g, kh, kw, (1, 1), full, dilation, chunks, h, wd):
        np.matmul(cols, wm.T, out=gx[r0:r1])
        mt += cols.T @ x_cl[r0 // per : r1 // per].reshape(r1 - r0, c)
    gw = mt.reshape(kh, kw, o, c)[::-1, ::-1].transpose(2, 3, 0, 1)
    return gx.reshape(n, h, wd, c).transpose(0, 3, 1, 2), np.ascontiguousarray(gw)


def _conv_t_forward(g, w, shape, stride, padding, dilation, groups):
    """``conv_t(g, w)``: the input-gradient of a convolution, at the (4-D) ``shape``."""
    o, cg, kh, kw = w.shape
    full = _full_padding(g.shape, w.shape, shape, stride, padding, dilation)
    if full is not None:
        # stride 1: a plain convolution of the fully padded gradient with the flipped,
        # in/out-swapped kernel; its im2col copy is cheaper than col2im's strided sums
        wf = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 2, 1, 3, 4)
        wf = wf.reshape(groups * cg, o // groups, kh, kw)[:, :, ::-1, ::-1]
        return _conv_forward(g, wf, None, (1, 1), full, dilation, groups)[0]
    if groups == 1 and kh * kw > 1 and g.size and g.dtype == w.dtype:
        out = _conv_t_phases(g, w, shape, stride, padding, dilation)
        if out is not None:
            return out.transpose(0, 3, 1, 2)
    rows = _rows(g, groups)
    wm = _wmat(w, groups)
    if groups == 1:
        dcols = _matrix(rows) @ wm[0]  # (M, O) @ (O, K)
    else:
        dcols = np.matmul(rows.transpose(1, 0, 2), wm).transpose(1, 0, 2)
    return _col2im(dcols, shape, kh, kw, stride, padding, dilation, groups, g.shape[2], g.shape[3])


def _conv_t_phases(g, w, shape, stride, padding, dilation):
    """Ungrouped ``conv_t(g, w)`` without col2im: (N, H, W, C) channels-last, or None when
    BLAS ``?gemm`` is not bound.

    Tap ``(i, j)`` sends gradient pixel ``(y, x)`` to padded row ``s0 * y + i * d0``. The padded
    rows with one remainder mod ``s0`` (a "phase") form a stride-1 grid, in which the tap lands
    ``(i * d0) // s0`` rows below ``y``; likewise for columns. So each of the ``s0 * s1`` phases
    is a sum of products of the gradient's rows with tap weights (O, C), each added in place at
    its shift (``shifted_matmul_add``), and one strided copy per phase interleaves them. For a
    3x3 stride-2 layer of ResNet-20's first stage this ran 1.6x faster than col2im's nine
    strided additions of a patch-gradient matrix.
    """
    n, o, oh, ow = g.shape
    c, h, wd = shape[1:]
    kh, kw = w.shape[2:]
    (s0, s1), (p0, p1), (d0, d1) = stride, padding, dilation
    hq = -(-max((oh - 1) * s0 + d0 * (kh - 1) + 1, p0 + h) // s0)  # phase grid: padded / stride
    wq = -(-max((ow - 1) * s1 + d1 * (kw - 1) + 1, p1 + wd) // s1)
    grid = np.zeros((n, hq, wq, o), g.dtype)  # the gradient on the phase grid, zeros around
    grid[:, :oh, :ow] = g.transpose(0, 2, 3, 1)
    grid = grid.reshape(-1, o)
    m = ((n - 1) * hq + oh - 1) * wq + ow  # up to the last real gradient pixel
    phases = np.zeros((s0, s1, n * hq * wq, c), g.dtype)
    taps = w.transpose(2, 3, 0, 1)  # (kh, kw, O, C)
    out = np.empty((n, h, wd, c), g.dtype)
    for a in range(s0):
        for b in range(s1):
            ij = [
                (i, j) for i in range(kh) for j in range(kw) if (i * d0 % s0, j * d1 % s1) == (a, b)
            ]
            if ij:
                shifts = [(i * d0 // s0) * wq + j * d1 // s1 for i, j in ij]
                factors = np.ascontiguousarray([taps[i, j] for i, j in ij])
                if not _blas.shifted_matmul_add(grid, m, factors, phases[a, b], shifts):
                    return None  # no BLAS: the same for every phase, so nothing is half done
            y0, x0 = (a - p0) % s0, (b - p1) % s1  # first unpadded row/column in this phase
            ys, xs = len(range(y0, h, s0)), len(range(x0, wd, s1))
            yq, xq = (y0 + p0) // s0, (x0 + p1) // s1
            part = phases[a, b].reshape(n, hq, wq, c)[:, yq : yq + ys, xq : xq + xs]
            out[:, y0::s0, x0::s1] = part
    return out


def _conv_w_forward(x, g, w_shape, stride, padding, dilation, groups, cols=None):
    """``conv_w(x, g)``: the weight-gradient of a convolution of ``x`` with output grad ``g``."""
    o, cg, kh, kw = w_shape
    oh, ow = g.shape[2], g.shape[3]
    rows = _rows(g, groups)
    lowering = None
    if cols is None and groups == 1:
        lowering = _lowering(x, kh, kw, stride, padding, dilation, oh, ow)
    if lowering is not None:
        # sum of per-chunk products, each chunk's patches multiplied while in cache; summed as
        # dw.T = cols.T @ g: 8-12% faster than g.T @ cols on ResNet-20's shapes (OpenBLAS)
        g2 = _matrix(rows)
        dwt = np.zeros((kh * kw * cg, o), np.result_type(x, g))
        lowered, kmajor = lowering
        for r0, r1, cols in lowered:
            dwt += cols.T @ g2[r0:r1]
        if kmajor:  # columns in (c, i, j) order: the weight's own
            return np.ascontiguousarray(dwt.T).reshape(o, cg, kh, kw)
        dw = dwt.T.reshape(1, o, kh, kw, cg).transpose(0, 1, 4, 2, 3)
        return np.ascontiguousarray(dw).reshape(o, cg, kh, kw)
    if cols is None:
        cols = _im2col(x, kh, kw, stride, padding, dilation, groups, oh, ow)
    if groups == 1:
        dw = (_matrix(rows).T @ _matrix(cols))[None]
    else:  # (G, O_g, M) @ (G, M, K_g)
        dw = np.matmul(rows.transpose(1, 2, 0), cols.transpose(1, 0, 2))
    dw = dw.reshape(groups, o // groups, kh, kw, cg).transpose(0, 1, 4, 2, 3)
    return np.ascontiguousarray(dw).reshape(o, cg, kh, kw)


class Conv(Function):
    """``y = conv(x, w) + b`` (cross-correlation, as in PyTorch)."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        out, cols = _conv_forward(_as4d(x), _as4d(w), b, stride, padding, dilation, groups)
        # the patch matrix is kh*kw times the input for a 3x3 kernel: keeping it for the weight
        # gradient would hold that much extra memory per layer until backward (most of a
        # ResNet's peak), so backward rebuilds it unless it is no bigger than the input itself
        ctx.cols = cols if cols is not None and cols.nbytes <= x.nbytes else None
        return _back(out, x.ndim)

    @staticmethod
    def backward(ctx, grad):
        x, w, b, stride, padding, dilation, groups = ctx.inputs
        geo = (stride, padding, dilation, groups)
        gx = gw = gb = None
        need_x, need_w = ctx.needs_input_grad[:2]
        if need_x and need_w and groups == 1 and not STATE.grad_enabled:
            both = _conv_t_and_w(
                _as4d(x._data), _as4d(grad._data), _as4d(w._data), stride, padding, dilation
            )
            if both is not None:  # one patch matrix for both gradients
                gx, gw = (Tensor._make(_back(a, x.ndim)) for a in both)
                need_x = need_w = False
        if need_x:
            gx = ConvTranspose.apply(grad, w, x.shape, *geo)  # d x = conv_t(dy, w)
        if need_w:
            gw = ConvWeight.apply(x, grad, w.shape, *geo, cols=ctx.cols)  # d w = conv_w(x, dy)
        if b is not None and ctx.needs_input_grad[2]:
            dims = (0, 2, 3) if grad.ndim == 4 else (0, 2)
            gb = rd.sum(grad, dims)  # d b = sum of dy over batch and positions
        return gx, gw, gb, None, None, None, None


class ConvTranspose(Function):
    """``x' = conv_t(g, w)``, the adjoint of ``conv(., w)``, producing ``shape``."""

    @staticmethod
    def forward(ctx, g, w, shape, stride, padding, dilation, groups):
        shape4 = shape if len(shape) == 4 else (shape[0], shape[1], 1, shape[2])
        out = _conv_t_forward(_as4d(g), _as4d(w), shape4, stride, padding, dilation, groups)
        return _back(out, len(shape))

    @staticmethod
    def backward(ctx, grad):
        g, w, shape, *geo = ctx.inputs
        gg = gw = None
        if ctx.needs_input_grad[0]:
            gg = Conv.apply(grad, w, None, *geo)  # d g = conv(dx', w)
        if ctx.needs_input_grad[1]:
            gw = ConvWeight.apply(grad, g, w.shape, *geo)  # d w = conv_w(dx', g)
        return gg, gw, None, None, None, None, None


class ConvWeight(Function):
    """``w' = conv_w(x, g)``: sum over positions of patch(x) * g; ``cols`` caches x's patches."""

    @staticmethod
    def forward(ctx, x, g, w_shape, stride, padding, dilation, groups, cols=None):
        w4 = w_shape if len(w_shape) == 4 else (w_shape[0], w_shape[1], 1, w_shape[2])
        dw = _conv_w_forward(_as4d(x), _as4d(g), w4, stride, padding, dilation, groups, cols)
        return dw.reshape(w_shape)

    @staticmethod
    def backward(ctx, grad):
        x, g, _, *geo = ctx.inputs
        gx = gg = None
        if ctx.needs_input_grad[0]:
            gx = ConvTranspose.apply(g, grad, x.shape, *geo)  # d x = conv_t(g, dw')
        if ctx.needs_input_grad[1]:
            gg = Conv.apply(x, grad, None, *geo)  # d g = conv(x, dw')
        return gx, gg, None, None, None, None, None


def conv(x: Tensor, w: Tensor, b, stride, padding, dilation, groups: int) -> Tensor:
    """Convolution with 2-D geometry pairs; ``x`` is (N, C, H, W) or (N, C, L)."""
    return Conv.apply(x, w, b, stride, padding, dilation, groups)


def conv_transpose(g: Tensor, w: Tensor, shape, stride, padding, dilation, groups: int) -> Tensor:
    """Transposed convolution of ``g`` with conv-layout weight ``w``, output of ``shape``."""
    return ConvTranspose.apply(g, w, tuple(shape), stride, padding, dilation, groups)


def conv_weight(x: Tensor, g: Tensor, w_shape, stride, padding, dilation, groups: int) -> Tensor:
    return ConvWeight.apply(x, g, tuple(w_shape), stride, padding, dilation, groups)


# -- unfold / fold ---------------------------------------------------------------------------------
class Im2col(Function):
    """``F.unfold``: (N, C, H, W) -> (N, C*kh*kw, L), blocks ordered (c, i, j)."""

    saves_inputs = ()

    @staticmethod
    def forward(ctx, x, kernel, dilation, padding, stride):
        n, c, h, w = x.shape
        kh, kw = kernel
        oh = out_size(h, kh, stride[0], padding[0], dilation[0])
        ow = out_size(w, kw, stride[1], padding[1], dilation[1])
        cols = _im2col(x, kh, kw, stride, padding, dilation, 1, oh, ow)
        cols = cols.reshape(n, oh * ow, kh, kw, c).transpose(0, 4, 2, 3, 1)
        return np.ascontiguousarray(cols).reshape(n, c * kh * kw, oh * ow)

    @staticmethod
    def backward(ctx, grad):
        x, kernel, dilation, padding, stride = ctx.inputs
        # d unfold = fold (col2im), its adjoint
        return (
            Col2im.apply(grad, tuple(x.shape[2:]), kernel, dilation, padding, stride),
            None,
            None,
            None,
            None,
        )


class Col2im(Function):
    """``F.fold``: (N, C*kh*kw, L) -> (N, C, H, W), overlapping blocks summed."""

    saves_inputs = ()

    @staticmethod
    def forward(ctx, cols, output_size, kernel, dilation, padding, stride):
        n, ckk, _ = cols.shape
        kh, kw = kernel
        c = ckk // (kh * kw)
        h, w = output_size
        oh = out_size(h, kh, stride[0], padding[0], dilation[0])
        ow = out_size(w, kw, stride[1], padding[1], dilation[1])
        d = cols.reshape(n, c, kh, kw, oh * ow).transpose(0, 4, 2, 3, 1)
        d = np.ascontiguousarray(d).reshape(n * oh * ow, 1, kh * kw * c)
        out = _col2im(d, (n, c, h, w), kh, kw, stride, padding, dilation, 1, oh, ow)
        return np.ascontiguousarray(out)

    @staticmethod
    def backward(ctx, grad):
        _, _, kernel, dilation, padding, stride = ctx.inputs
        # d fold = unfold (im2col), its adjoint
        return Im2col.apply(grad, kernel, dilation, padding, stride), None, None, None, None, None


def im2col(x: Tensor, kernel, dilation, padding, stride) -> Tensor:
    return Im2col.apply(x, kernel, dilation, padding, stride)


def col2im(cols: Tensor, output_size, kernel, dilation, padding, stride) -> Tensor:
    return Col2im.apply(cols, tuple(output_size), kernel, dilation, padding, stride)
