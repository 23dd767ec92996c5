"""Conversions between images and tensors, and value transforms (Normalize, Rescale, Flatten)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ember.transforms._image import is_pil, require_pil, unwrap, wrap_tensor
from ember.transforms._stats import channel_mean_std
from ember.transforms.base import Transform, iter_inputs


def _split(x, name: str) -> tuple[np.ndarray, Any]:
    """The array behind a Tensor or ndarray, and a function wrapping a result the same way."""
    from ember._tensor import Tensor

    if isinstance(x, Tensor):
        return x._data, wrap_tensor
    if isinstance(x, np.ndarray):
        return x, lambda a: a
    raise TypeError(f"{name}: expected a Tensor or ndarray, got {type(x).__name__}")


def _to_uint8(x: np.ndarray) -> np.ndarray:
    """Float pixels in [0, 1] to uint8 in [0, 255] (rounded, clipped)."""
    return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)


class ToTensor(Transform):
    """HWC uint8 image (ndarray or PIL) -> CHW float32 tensor in [0, 1].

    An (H, W) image becomes (1, H, W); non-uint8 arrays keep their dtype and values. ``decode``
    maps a (..., C, H, W) float tensor back to a (..., H, W, C) uint8 array.
    """

    invertible = True

    def __call__(self, pic):
        from ember._tensor import Tensor

        if isinstance(pic, Tensor):
            raise TypeError("ToTensor: pic should be a PIL Image or ndarray, got Tensor")
        arr, _ = unwrap(pic, "ToTensor")
        arr = np.moveaxis(arr, -1, -3)
        if arr.dtype == np.uint8:
            arr = arr.astype(np.float32) / np.float32(255.0)
        return wrap_tensor(arr)

    def decode(self, x):
        arr, _ = _split(x, "ToTensor.decode")
        if arr.ndim < 3:
            raise ValueError(f"ToTensor.decode: expected (..., C, H, W), got shape {arr.shape}")
        return _to_uint8(np.moveaxis(arr, -3, -1))


class PILToTensor(Transform):
    """PIL image -> CHW tensor of the image's dtype (no scaling); ``decode`` gives PIL back."""

    invertible = True

    def __call__(self, pic):
        if not is_pil(pic):
            raise TypeError(f"PILToTensor: pic should be a PIL Image, got {type(pic).__name__}")
        arr, _ = unwrap(pic, "PILToTensor")
        return wrap_tensor(np.moveaxis(arr, -1, -3))

    def decode(self, x):
        return ToPILImage()(x)


class ToPILImage(Transform):
    """CHW tensor or HWC ndarray -> PIL image (floats in [0, 1] are scaled to uint8).

    Args:
        mode: optional PIL mode to convert the result to (e.g. "L", "RGB").
    """

    invertible = True

    def __init__(self, mode: str | None = None):
        self.mode = mode

    def __call__(self, pic):
        image = require_pil("ToPILImage")
        from ember._tensor import Tensor

        if isinstance(pic, Tensor):
            arr = pic._data
            if arr.ndim not in (2, 3):
                raise ValueError(f"ToPILImage: expected a 2-D or 3-D tensor, got {arr.shape}")
            arr = arr if arr.ndim == 2 else np.moveaxis(arr, 0, -1)
        elif isinstance(pic, np.ndarray):
            if pic.ndim not in (2, 3):
                raise ValueError(f"ToPILImage: expected a 2-D or 3-D array, got {pic.shape}")
            arr = pic
        else:
            raise TypeError(f"ToPILImage: pic should be a Tensor or ndarray, got {type(pic)}")
        if arr.dtype.kind == "f":
            arr = _to_uint8(arr)
        if arr.ndim == 3 and arr.shape[-1] == 1:
            arr = arr[..., 0]
        mode = None if arr.ndim == 2 else {3: "RGB", 4: "RGBA"}.get(arr.shape[-1])
        if arr.ndim == 3 and mode is None:
            raise ValueError(f"ToPILImage: cannot make a PIL image with {arr.shape[-1]} channels")
        if mode is not None:
            arr = arr.astype(np.uint8, copy=False)
        img = image.fromarray(np.ascontiguousarray(arr), mode)
        return img.convert(self.mode) if self.mode is not None and img.mode != self.mode else img

    def decode(self, pic):
        return ToTensor()(pic)

    def extra_repr(self) -> str:
        return f"mode={self.mode!r}" if self.mode else ""


def _channel_vector(values, channels: int, dtype, name: str, arg: str) -> np.ndarray:
    """``values`` as a (C, 1, 1) array broadcastable against (..., C, H, W)."""
    v = np.asarray(values, dtype=dtype).reshape(-1)
    if v.size not in (1, channels):
        raise ValueError(f"{name}: {arg} has {v.size} values, expected 1 or {channels} channels")
    return v[:, None, None]


class Normalize(Transform):
    """Per-channel ``(x - mean) / std`` on a float (..., C, H, W) tensor or ndarray.

    Without ``mean``/``std``, call ``setup(items)`` to compute them per channel from a dataset
    or array of items. ``decode`` computes ``y * std + mean``.

    Args:
        mean: per-channel means (or one value for all channels).
        std: per-channel standard deviations, all non-zero.
        inplace: write the result into the input's storage.
    """

    invertible = True

    def __init__(
        self,
        mean: Sequence[float] | None = None,
        std: Sequence[float] | None = None,
        inplace: bool = False,
    ):
        if (mean is None) != (std is None):
            raise ValueError("Normalize: give both mean and std, or neither (then call setup)")
        self.inplace = inplace
        self._learned = mean is None
        self.mean = self.std = None
        if mean is not None:
            self._set(mean, std)

    def _set(self, mean, std) -> None:
        mean = tuple(float(m) for m in np.asarray(mean, dtype=np.float64).reshape(-1))
        std = tuple(float(s) for s in np.asarray(std, dtype=np.float64).reshape(-1))
        if any(s == 0 for s in std):
            raise ValueError(f"Normalize: std evaluated to zero in some channel, got {std}")
        self.mean, self.std = mean, std

    def setup(self, items) -> Normalize:
        """Compute per-channel mean and std of ``items`` (float64 accumulation) if not given."""
        if self._learned:
            mean, std = channel_mean_std(iter_inputs(items), -3, "Normalize.setup")
            self._set(mean, np.where(std == 0, 1.0, std))
        return self

    def _params(self, arr: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
        if self.mean is None:
            raise RuntimeError(f"{name}: mean and std are not set; pass them or call setup(items)")
        if arr.dtype.kind != "f":
            raise TypeError(f"{name}: expected a float tensor, got dtype {arr.dtype}")
        if arr.ndim < 3:
            raise ValueError(f"{name}: expected a tensor image (..., C, H, W), got {arr.shape}")
        c = arr.shape[-3]
        return (
            _channel_vector(self.mean, c, arr.dtype, name, "mean"),
            _channel_vector(self.std, c, arr.dtype, name, "std"),
        )

    def __call__(self, x):
        arr, wrap = _split(x, "Normalize")
        mean, std = self._params(arr, "Normalize")
        if not self.inplace:
            return wrap((arr - mean) / std)
        np.subtract(arr, mean, out=arr)
        np.divide(arr, std, out=arr)
        if hasattr(x, "_vc"):
            x._vc[0] += 1  # storage written in place: bump the version counter
        return x

    def decode(self, x):
        arr, wrap = _split(x, "Normalize.decode")
        mean, std = self._params(arr, "Normalize.decode")
        return wrap(arr * std + mean)

    def extra_repr(self) -> str:
        return f"mean={self.mean}, std={self.std}"


class Rescale(Transform):
    """Linearly map values from ``in_range`` to ``out_range`` (e.g. (0, 255) -> (-1, 1)).

    Integer inputs give float32 results; ``decode`` maps back (as floats).
    """

    invertible = True

    def __init__(
        self,
        in_range: tuple[float, float] = (0.0, 255.0),
        out_range: tuple[float, float] = (-1.0, 1.0),
    ):
        for arg, (lo, hi) in (("in_range", in_range), ("out_range", out_range)):
            if lo == hi:
                raise ValueError(f"Rescale: {arg} must have two different ends, got {(lo, hi)}")
        self.in_range = (float(in_range[0]), float(in_range[1]))
        self.out_range = (float(out_range[0]), float(out_range[1]))

    @staticmethod
    def _map(x, src, dst, name: str):
        arr, wrap = _split(x, name)
        if arr.dtype.kind != "f":
            arr = arr.astype(np.float32)
        # y = (x - a) * (d - c) / (b - a) + c
        factor = (dst[1] - dst[0]) / (src[1] - src[0])
        return wrap(((arr - src[0]) * factor + dst[0]).astype(arr.dtype, copy=False))

    def __call__(self, x):
        return self._map(x, self.in_range, self.out_range, "Rescale")

    def decode(self, x):
        return self._map(x, self.out_range, self.in_range, "Rescale.decode")

    def extra_repr(self) -> str:
        return f"in_range={self.in_range}, out_range={self.out_range}"


class Flatten(Transform):
    """Flatten dims ``start_dim..`` of each input; ``decode`` restores the remembered shape.

    ``decode`` also accepts a batch: any leading dims are kept.
    """

    invertible = True

    def __init__(self, start_dim: int = 0):
        self.start_dim = start_dim
        self.shape: tuple[int, ...] | None = None

    def __call__(self, x):
        arr, wrap = _split(x, "Flatten")
        if not -arr.ndim <= self.start_dim < max(arr.ndim, 1):
            raise IndexError(f"Flatten: start_dim {self.start_dim} out of range for {arr.shape}")
        start = self.start_dim % max(arr.ndim, 1)
        self.shape = arr.shape[start:]
        return wrap(arr.reshape(arr.shape[:start] + (-1,)))

    def decode(self, x):
        if self.shape is None:
            raise RuntimeError("Flatten.decode: no shape remembered yet; call the transform first")
        arr, wrap = _split(x, "Flatten.decode")
        size = int(np.prod(self.shape))
        if arr.ndim == 0 or arr.shape[-1] != size:
            raise ValueError(f"Flatten.decode: expected last dim {size}, got shape {arr.shape}")
        return wrap(arr.reshape(arr.shape[:-1] + self.shape))

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}"
