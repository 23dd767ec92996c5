"""Image adaptors and pixel helpers shared by the image transforms.

Every image transform accepts a NumPy array (HW or HWC, or batched ...HWC), a PIL image, or a
tensor (HW or ...CHW). ``unwrap`` turns any of them into one channels-last array of shape
(..., H, W, C); the returned ``restore`` turns a result back into the caller's kind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from numbers import Number

import numpy as np

_PIL_NATIVE = {"L", "RGB", "RGBA", "F", "I"}


def is_pil(img) -> bool:
    """Whether ``img`` is a PIL image (checked without importing Pillow)."""
    return type(img).__module__.startswith("PIL.") and hasattr(img, "mode")


def require_pil(what: str):
    """Import Pillow or raise an ImportError naming the extra to install."""
    try:
        from PIL import Image
    except ImportError as err:
        raise ImportError(f"{what} requires Pillow: pip install ember[vision]") from err
    return Image


def wrap_tensor(arr: np.ndarray):
    """A Tensor owning a contiguous copy-free view of ``arr`` where possible."""
    from ember._tensor import Tensor

    return Tensor._make(np.ascontiguousarray(arr))


def unwrap(img, name: str) -> tuple[np.ndarray, Callable[[np.ndarray], object]]:
    """Return ``img`` as a channels-last array (..., H, W, C) and a function restoring its kind.

    Raises:
        TypeError: for an unsupported input type.
        ValueError: for an array or tensor with fewer than 2 dimensions.
    """
    from ember._tensor import Tensor

    if isinstance(img, Tensor):
        data = img._data
        if data.ndim < 2:
            raise ValueError(f"{name}: expected a tensor image (..., C, H, W), got {data.shape}")
        squeeze = data.ndim == 2
        chw = data[None] if squeeze else data

        def restore_tensor(out: np.ndarray):
            out = np.moveaxis(out, -1, -3)
            return wrap_tensor(out[0] if squeeze and out.shape[0] == 1 else out)

        return np.moveaxis(chw, -3, -1), restore_tensor
    if isinstance(img, np.ndarray):
        if img.ndim < 2:
            raise ValueError(f"{name}: expected an image array (H, W[, C]), got {img.shape}")
        squeeze = img.ndim == 2

        def restore_array(out: np.ndarray):
            return out[..., 0] if squeeze and out.shape[-1] == 1 else out

        return (img[..., None] if squeeze else img), restore_array
    if is_pil(img):
        if img.mode not in _PIL_NATIVE:
            img = img.convert("RGBA" if "A" in img.mode or "transparency" in img.info else "RGB")
        arr = np.asarray(img)
        return (arr[..., None] if arr.ndim == 2 else arr), _to_pil
    raise TypeError(f"{name}: expected a tensor, ndarray or PIL image, got {type(img).__name__}")


def _to_pil(out: np.ndarray):
    """A PIL image from a (H, W, C) array (uint8 for multi-channel images)."""
    image = require_pil("PIL output")
    if out.shape[-1] == 1:
        out = out[..., 0]
        mode = {np.dtype(np.uint8): "L", np.dtype(np.float32): "F", np.dtype(np.int32): "I"}
        return image.fromarray(np.ascontiguousarray(out), mode.get(out.dtype, "L"))
    mode = {3: "RGB", 4: "RGBA"}.get(out.shape[-1])
    if mode is None:
        raise ValueError(f"PIL output: cannot store {out.shape[-1]} channels in a PIL image")
    return image.fromarray(np.ascontiguousarray(out.astype(np.uint8, copy=False)), mode)


def value_bound(dtype: np.dtype) -> float:
    """The largest pixel value: 1.0 for floating images, the dtype's maximum for integers."""
    dtype = np.dtype(dtype)
    return float(np.iinfo(dtype).max) if dtype.kind in "ui" else 1.0


def work_dtype(dtype: np.dtype) -> np.dtype:
    """The float dtype used for arithmetic on pixels of ``dtype`` (float64 stays float64)."""
    return np.dtype(np.float64) if np.dtype(dtype) == np.float64 else np.dtype(np.float32)


def cast_like(out: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Cast float results back to ``dtype``, rounding and clipping for integer images."""
    dtype = np.dtype(dtype)
    if dtype.kind in "uib":
        info = np.iinfo(dtype) if dtype.kind != "b" else None
        lo, hi = (0, 1) if info is None else (info.min, info.max)
        return np.clip(np.rint(out), lo, hi).astype(dtype)
    return out.astype(dtype, copy=False)


def fill_values(fill, channels: int, name: str) -> np.ndarray:
    """Per-channel fill values as a float64 array of length ``channels``."""
    if fill is None:
        fill = 0
    values = np.atleast_1d(np.asarray(fill, dtype=np.float64))
    if values.ndim != 1 or values.size not in (1, channels):
        raise ValueError(f"{name}: fill must be a number or {channels} values, got {fill!r}")
    return np.broadcast_to(values, (channels,))


def pair(size, name: str, arg: str = "size") -> tuple[int, int]:
    """(h, w) from an int or a 1- or 2-element sequence."""
    if isinstance(size, Number):
        size = (int(size), int(size))
    elif isinstance(size, Sequence) and len(size) in (1, 2):
        size = (int(size[0]), int(size[-1]))
    else:
        raise ValueError(f"{name}: {arg} must be an int or a sequence of 1 or 2 ints, got {size!r}")
    if min(size) <= 0:
        raise ValueError(f"{name}: {arg} must be positive, got {size}")
    return size


def parse_padding(padding, name: str) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) from an int, (left/right, top/bottom) or 4 values."""
    if isinstance(padding, Number):
        p = int(padding)
        return p, p, p, p
    if isinstance(padding, Sequence) and len(padding) in (1, 2, 4):
        p = [int(v) for v in padding]
        if len(p) == 1:
            return p[0], p[0], p[0], p[0]
        if len(p) == 2:
            return p[0], p[1], p[0], p[1]
        return p[0], p[1], p[2], p[3]
    raise ValueError(f"{name}: padding must be an int or 1, 2 or 4 ints, got {padding!r}")


_NUMPY_PAD_MODES = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


def pad(arr: np.ndarray, padding: tuple[int, int, int, int], fill, mode: str, name: str):
    """Pad the H and W axes of a (..., H, W, C) array by (left, top, right, bottom)."""
    left, top, right, bottom = padding
    if min(padding) < 0:
        raise ValueError(f"{name}: padding must be non-negative, got {padding}")
    h, w, c = arr.shape[-3:]
    if mode == "constant":
        out = np.empty(arr.shape[:-3] + (h + top + bottom, w + left + right, c), arr.dtype)
        out[...] = cast_like(fill_values(fill, c, name), arr.dtype)
        out[..., top : top + h, left : left + w, :] = arr
        return out
    if mode not in _NUMPY_PAD_MODES:
        raise ValueError(
            f"{name}: padding_mode must be constant, edge, reflect or symmetric, got {mode!r}"
        )
    widths = [(0, 0)] * (arr.ndim - 3) + [(top, bottom), (left, right), (0, 0)]
    return np.pad(arr, widths, mode=_NUMPY_PAD_MODES[mode])


def crop(arr: np.ndarray, top: int, left: int, height: int, width: int) -> np.ndarray:
    """The (height, width) window of a (..., H, W, C) array at (top, left)."""
    return arr[..., top : top + height, left : left + width, :]
