"""Resampling tables: for each spatial dim, an (out, size) weight matrix or the source index of
every output position, following PyTorch's ``upsample_*`` rules exactly.

``interpolate`` applies one table per dim (a matrix product, or an ``index_select`` for the
nearest modes), so every mode is separable, vectorised and, through the products,
differentiable to any order; the ``Resize`` transform applies the same tables as banded
gathers. The tables are small and built per call.

Modes: ``linear`` (source ``r * (i + 0.5) - 0.5`` clamped at 0, two taps), ``cubic`` (Keys'
kernel with ``A = -0.75``, four taps with the edge replicated) and the antialiased filters
(``linear``, ``cubic`` with ``A = -0.5``, Lanczos-3), which widen the kernel by the
downscale factor and renormalise every row, as Pillow does.
"""

from __future__ import annotations

import numpy as np

from ember._tensor import Tensor

__all__ = ["source_scale", "weights", "nearest_index", "weight_table", "index_table"]

_CUBIC_A = -0.75  # upsample_bicubic2d's kernel
_CUBIC_AA_A = -0.5  # the antialiased cubic kernel (Pillow's)


def source_scale(size: int, out: int, scale, align_corners: bool) -> float:
    """Source pixels per output pixel (``area_pixel_compute_scale``): ``1 / scale_factor`` when
    one is given, else ``size / out``; with ``align_corners``, ``(size - 1) / (out - 1)``."""
    if align_corners:
        return (size - 1) / (out - 1) if out > 1 else 0.0
    return 1.0 / scale if scale is not None and scale > 0 else size / out


def _source_index(size, out, scale, align_corners, clamp_negative: bool) -> np.ndarray:
    r = source_scale(size, out, scale, align_corners)
    dst = np.arange(out, dtype=np.float64)
    if align_corners:
        return r * dst
    src = r * (dst + 0.5) - 0.5
    return np.maximum(src, 0.0) if clamp_negative else src


def _scatter(size: int, index: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """(out, size) matrix with ``coeffs[i, k]`` added at column ``index[i, k]`` of row ``i``."""
    m = np.zeros((index.shape[0], size))
    rows = np.broadcast_to(np.arange(index.shape[0])[:, None], index.shape)
    np.add.at(m, (rows, index), coeffs)  # repeated columns (clamped edges) add up
    return m


def _linear(size, out, scale, align_corners) -> np.ndarray:
    src = _source_index(size, out, scale, align_corners, clamp_negative=True)
    i0 = np.minimum(np.floor(src).astype(np.int64), size - 1)
    lam = src - i0
    index = np.stack([i0, np.minimum(i0 + 1, size - 1)], 1)
    return _scatter(size, index, np.stack([1.0 - lam, lam], 1))


def _keys(x: np.ndarray, a: float) -> np.ndarray:
    """Keys' cubic convolution kernel at ``x``: zero beyond ``|x| >= 2``."""
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _cubic(size, out, scale, align_corners) -> np.ndarray:
    src = _source_index(size, out, scale, align_corners, clamp_negative=False)
    i0 = np.minimum(np.floor(src).astype(np.int64), size - 1)
    t = np.clip(src - i0, 0.0, 1.0)
    offsets = np.arange(-1, 3)
    coeffs = _keys(t[:, None] - offsets, _CUBIC_A)
    index = np.clip(i0[:, None] + offsets, 0, size - 1)
    return _scatter(size, index, coeffs)


def _triangle(x: np.ndarray) -> np.ndarray:
    return np.maximum(1.0 - np.abs(x), 0.0)


def _lanczos3(x: np.ndarray) -> np.ndarray:
    return np.where(np.abs(x) < 3, np.sinc(x) * np.sinc(x / 3), 0.0)


# antialiased filters: the kernel and its half-width at scale 1
_AA_FILTERS = {
    "linear": (_triangle, 1.0),
    "cubic": (lambda x: _keys(x, _CUBIC_AA_A), 2.0),
    "lanczos": (_lanczos3, 3.0),
}


def _antialiased(kind, size, out, scale, align_corners) -> np.ndarray:
    """Rows of the filter centred on each output pixel, widened by the downscale factor and
    cut to the input's bounds, each normalised to sum to 1 (``_upsample_*_aa``)."""
    fn, half = _AA_FILTERS[kind]
    r = source_scale(size, out, scale, align_corners)
    support, inv = (half * r, 1.0 / r) if r >= 1.0 else (half, 1.0)
    center = r * (np.arange(out) + 0.5)
    lo = np.maximum(np.trunc(center - support + 0.5), 0)  # C++ truncation, as torch
    hi = np.minimum(np.trunc(center + support + 0.5), size)
    j = np.arange(size)
    inside = (j >= lo[:, None]) & (j < hi[:, None])
    w = np.where(inside, fn((j + 0.5 - center[:, None]) * inv), 0.0)
    total = w.sum(1, keepdims=True)
    return np.divide(w, total, out=w, where=total != 0)


def weights(kind: str, size: int, out: int, scale, align_corners: bool, antialias: bool):
    """(out, size) float64 matrix resampling one dim, or None where the dim is left as it is:
    ``kind`` is 'linear', 'cubic' or 'lanczos' (antialiased only); ``scale`` is the user's
    scale factor or None."""
    if out == size and (antialias or kind == "linear"):
        return None  # PyTorch copies a dim whose size is unchanged, whatever the scale
    if antialias:
        return _antialiased(kind, size, out, scale, align_corners)
    return {"linear": _linear, "cubic": _cubic}[kind](size, out, scale, align_corners)


def nearest_index(mode: str, dim: int, size: int, out: int, scale, dtype):
    """Source position of each output position along one of ``dim`` spatial dims of an input
    of ``dtype``, or None where the dim is left as it is (``upsample_nearest2d`` copies a dim
    whose size is unchanged). 'nearest' reads ``floor(i * r)``, 'nearest-exact'
    ``floor((i + 0.5) * r)``; PyTorch computes the product in its kernel's math type (float64
    for double inputs, else float32) and floors it as a float32 (``floorf``); so does this."""
    if mode == "nearest" and dim == 2 and out == size:
        return None
    ftype = np.float64 if np.dtype(dtype) == np.float64 else np.float32
    r = ftype(source_scale(size, out, scale, False))
    dst = np.arange(out, dtype=ftype)
    src = ((dst + ftype(0.5)) * r if mode == "nearest-exact" else dst * r).astype(np.float32)
    return np.minimum(np.floor(src).astype(np.int64), size - 1)


def weight_table(kind, size, out, scale, align_corners, antialias, dtype) -> Tensor | None:
    """``weights(...)`` as a constant tensor of ``dtype`` (None: the dim is left as it is)."""
    m = weights(kind, size, out, scale, align_corners, antialias)
    return None if m is None else Tensor._make(m.astype(dtype))


def index_table(mode: str, dim: int, size: int, out: int, scale, dtype) -> Tensor | None:
    """``nearest_index(...)`` as a constant index tensor (None: the dim is left as it is)."""
    index = nearest_index(mode, dim, size, out, scale, dtype)
    return None if index is None else Tensor._make(index)
