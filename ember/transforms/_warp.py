"""Vectorised resampling kernels on channels-last arrays (..., H, W, C).

Coordinates follow the pixel-centre convention (``align_corners=False``): output pixel ``i`` of
a resize from ``n`` to ``m`` pixels reads source position ``(i + 0.5) * n / m - 0.5``.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

from ember.transforms._image import cast_like, fill_values, work_dtype


class InterpolationMode(str, Enum):
    """Sampling used by geometric transforms (a string works too: "nearest", "bilinear")."""

    NEAREST = "nearest"
    BILINEAR = "bilinear"


def parse_interpolation(mode, name: str) -> InterpolationMode:
    """Parse an ``InterpolationMode`` or its string name."""
    try:
        return InterpolationMode(mode.value if isinstance(mode, Enum) else str(mode).lower())
    except ValueError:
        raise ValueError(
            f"{name}: interpolation must be 'nearest' or 'bilinear', got {mode!r}"
        ) from None


def _linear_taps(out_len: int, in_len: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Neighbour indices (i0, i1) and weight of i1 for 1-D linear resampling."""
    src = (np.arange(out_len) + 0.5) * (in_len / out_len) - 0.5
    src = np.clip(src, 0.0, in_len - 1)  # edge pixels are replicated (torch clamps the same)
    i0 = np.floor(src).astype(np.intp)
    i1 = np.minimum(i0 + 1, in_len - 1)
    return i0, i1, src - i0


def resize(arr: np.ndarray, size: tuple[int, int], mode: InterpolationMode) -> np.ndarray:
    """Resize the H, W axes of ``arr`` to ``size`` = (h, w); the dtype is preserved."""
    (h, w), (oh, ow) = arr.shape[-3:-1], size
    if (h, w) == (oh, ow):
        return arr.copy()
    if mode is InterpolationMode.NEAREST:
        # torch's "nearest": source index floor(i * in / out)
        rows = np.minimum((np.arange(oh) * (h / oh)).astype(np.intp), h - 1)
        cols = np.minimum((np.arange(ow) * (w / ow)).astype(np.intp), w - 1)
        return arr[..., rows[:, None], cols[None, :], :]
    x = arr.astype(work_dtype(arr.dtype), copy=False)
    # separable: interpolate along H, then along W
    r0, r1, wr = _linear_taps(oh, h)
    wr = wr.astype(x.dtype)[:, None, None]
    x = x[..., r0, :, :] * (1 - wr) + x[..., r1, :, :] * wr
    c0, c1, wc = _linear_taps(ow, w)
    wc = wc.astype(x.dtype)[:, None]
    x = x[..., c0, :] * (1 - wc) + x[..., c1, :] * wc
    return cast_like(x, arr.dtype)


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
