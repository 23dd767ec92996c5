"""Vectorised resampling kernels on channels-last arrays (..., H, W, C).

Coordinates follow the pixel-centre convention (``align_corners=False``): output pixel ``i`` of
a resize from ``n`` to ``m`` pixels reads source position ``(i + 0.5) * n / m - 0.5``.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from ember.ops import resample
from ember.transforms._image import cast_like, fill_values, work_dtype


class InterpolationMode(str, Enum):
    """Sampling used by geometric transforms (a string works too: "nearest", "bilinear").

    ``Resize`` and ``RandomResizedCrop`` take every mode; rotations and affine warps take
    ``NEAREST`` and ``BILINEAR``, as torchvision's tensor kernels do.
    """

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


_WARP_MODES = (InterpolationMode.NEAREST, InterpolationMode.BILINEAR)


def parse_interpolation(mode, name: str, warp: bool = False) -> InterpolationMode:
    """Parse an ``InterpolationMode`` or its string name (``warp``: the two a warp supports)."""
    allowed = _WARP_MODES if warp else tuple(InterpolationMode)
    try:
        parsed = InterpolationMode(mode.value if isinstance(mode, Enum) else str(mode).lower())
    except ValueError:
        parsed = None
    if parsed not in allowed:
        names = ", ".join(repr(m.value) for m in allowed)
        raise ValueError(f"{name}: interpolation must be one of {names}, got {mode!r}")
    return parsed


def resize(
    arr: np.ndarray, size: tuple[int, int], mode: InterpolationMode, antialias: bool = False
) -> np.ndarray:
    """Resize the H, W axes of ``arr`` (..., H, W, C) to ``size`` = (h, w); the dtype is kept.

    The values are ``interpolate``'s with ``align_corners=False`` (the same tables, from
    ``ember.ops.resample``): ``antialias`` widens the bilinear or bicubic filter when
    shrinking, as Pillow does. Integer images are rounded and clipped.
    """
    (h, w), (oh, ow) = arr.shape[-3:-1], size
    if (h, w) == (oh, ow):
        return arr.copy()
    if mode in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        rows, cols = _source_pixels(mode, h, oh, arr.dtype), _source_pixels(mode, w, ow, arr.dtype)
        return arr[..., rows[:, None], cols[None, :], :]
    x = arr.astype(work_dtype(arr.dtype), copy=False)
    kind = "cubic" if mode is InterpolationMode.BICUBIC else "linear"
    for axis, n, m in ((-3, h, oh), (-2, w, ow)):
        table = resample.weights(kind, n, m, None, False, antialias)
        if table is not None:  # None: this axis keeps its size and values
            x = _weighted_taps(x, axis, table)
    return cast_like(x, arr.dtype)


def _source_pixels(mode: InterpolationMode, n: int, m: int, dtype) -> np.ndarray:
    """The source pixel of each of ``m`` outputs along an axis of ``n`` pixels: 2-D
    ``interpolate``'s nearest rule, as torchvision resizes with it."""
    index = resample.nearest_index(mode.value, 2, n, m, None, dtype)
    return np.arange(n) if index is None else index  # None: an axis of unchanged size


def _weighted_taps(x: np.ndarray, axis: int, table: np.ndarray) -> np.ndarray:
    """Apply an (out, n) resampling ``table`` along ``axis`` as a sum over its band of taps:
    each output reads only the few inputs its filter covers (2 for bilinear upsampling,
    about 2x the shrink factor + 1 antialiased), one gather and multiply-add per tap. A dense
    product costs out x n per line, 4-6x slower on photo-sized images."""
    nonzero = table != 0
    n = table.shape[1]
    first = nonzero.argmax(1)
    last = n - 1 - nonzero[:, ::-1].argmax(1)
    cols = first[:, None] + np.arange(int((last - first).max()) + 1)
    weight = np.where(cols < n, np.take_along_axis(table, np.minimum(cols, n - 1), 1), 0.0)
    cols = np.minimum(cols, n - 1)
    shape = (-1,) + (1,) * (-axis - 1)  # the weights broadcast along ``axis``
    out = None
    for k in range(cols.shape[1]):
        term = np.take(x, cols[:, k], axis=axis)
        term *= weight[:, k].astype(x.dtype).reshape(shape)
        if out is None:
            out = term
        else:
            out += term
    return out


def warp_affine(
    arr: np.ndarray,
    inverse: np.ndarray,
    out_size: tuple[int, int],
    mode: InterpolationMode,
    fill,
    name: str,
) -> np.ndarray:
    """Inverse-map every output pixel through ``inverse`` and sample ``arr`` there.

    Args:
        arr: (..., H, W, C) image.
        inverse: (3, 3) matrix sending output (x, y, 1), measured from the output centre, to
            source coordinates measured from the source centre (y points down).
        out_size: (h, w) of the result.
        mode: nearest or bilinear sampling.
        fill: value(s) of pixels that map outside the source.

    Returns:
        (..., h, w, C) array of ``arr``'s dtype.
    """
    h, w, c = arr.shape[-3:]
    oh, ow = out_size
    ys, xs = np.meshgrid(np.arange(oh) - (oh - 1) / 2, np.arange(ow) - (ow - 1) / 2, indexing="ij")
    # +1: coordinates in the source padded with one ring of fill pixels
    sx = inverse[0, 0] * xs + inverse[0, 1] * ys + inverse[0, 2] + (w - 1) / 2 + 1
    sy = inverse[1, 0] * xs + inverse[1, 1] * ys + inverse[1, 2] + (h - 1) / 2 + 1
    # every position outside the image lands in the fill ring after clipping
    sx = np.clip(sx, 0.0, w + 1)
    sy = np.clip(sy, 0.0, h + 1)
    dtype = work_dtype(arr.dtype)
    padded = np.empty(arr.shape[:-3] + (h + 2, w + 2, c), dtype)
    padded[...] = fill_values(fill, c, name)
    padded[..., 1:-1, 1:-1, :] = arr
    # gather from the flattened (H+2)*(W+2) pixel axis: np.take is much faster than 2-D fancy
    # indexing, and leading batch dims come along for free
    stride = w + 2
    flat = padded.reshape(padded.shape[:-3] + ((h + 2) * stride, c))
    out_shape = arr.shape[:-3] + (oh, ow, c)
    if mode is InterpolationMode.NEAREST:
        idx = (np.rint(sy).astype(np.intp) * stride + np.rint(sx).astype(np.intp)).ravel()
        return cast_like(np.take(flat, idx, axis=-2).reshape(out_shape), arr.dtype)
    x0 = np.minimum(np.floor(sx), w)
    y0 = np.minimum(np.floor(sy), h)
    wx, wy = (sx - x0).ravel(), (sy - y0).ravel()
    i00 = (y0.astype(np.intp) * stride + x0.astype(np.intp)).ravel()
    out = None
    # bilinear: sum of the 4 neighbours weighted by (1-wx|wx) * (1-wy|wy)
    for offset, weight in (
        (0, (1 - wx) * (1 - wy)),
        (1, wx * (1 - wy)),
        (stride, (1 - wx) * wy),
        (stride + 1, wx * wy),
    ):
        term = np.take(flat, i00 + offset, axis=-2)
        term *= weight.astype(dtype)[:, None]
        out = term if out is None else out + term
    return cast_like(out.reshape(out_shape), arr.dtype)


def affine_matrix(
    angle: float, translate=(0.0, 0.0), scale: float = 1.0, shear=(0.0, 0.0)
) -> np.ndarray:
    """Forward (3, 3) map about the image centre: translate . rotate . shear . scale.

    ``angle`` is counter-clockwise in degrees as seen on screen (y points down); ``shear`` is
    (x, y) shear angles in degrees; ``translate`` is (dx, dy) in pixels.
    """
    a = np.deg2rad(angle)
    sx, sy = np.deg2rad(shear[0]), np.deg2rad(shear[1])
    rotate = np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]])
    shear_m = np.array([[1.0, np.tan(sx)], [0.0, 1.0]]) @ np.array([[1.0, 0.0], [np.tan(sy), 1.0]])
    m = np.eye(3)
    m[:2, :2] = rotate @ shear_m * scale
    m[:2, 2] = translate
    return m
