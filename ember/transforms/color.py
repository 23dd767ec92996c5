"""Colour transforms: ColorJitter, Grayscale and GaussianBlur.

Pixels are processed as floats scaled to [0, 1] (uint8 images are divided by 255 and rounded
back). Inputs: ndarray (HW / HWC), PIL images or tensors (HW / ...CHW).
"""

from __future__ import annotations

from numbers import Number

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ember.random import rng
from ember.transforms._image import cast_like, unwrap, value_bound, work_dtype
from ember.transforms.base import Transform

# ITU-R 601-2 luma weights
_LUMA = np.array([0.299, 0.587, 0.114])


def _unit(arr: np.ndarray) -> np.ndarray:
    """Pixels as floats in [0, 1]."""
    return arr.astype(work_dtype(arr.dtype)) / work_dtype(arr.dtype).type(value_bound(arr.dtype))


def _from_unit(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return cast_like(x * value_bound(dtype), dtype)


def _gray(x: np.ndarray) -> np.ndarray:
    """(..., H, W, 1) luma of a (..., H, W, 3) array (or the image itself if single-channel)."""
    if x.shape[-1] == 1:
        return x
    if x.shape[-1] != 3:
        raise ValueError(f"Grayscale: expected 1 or 3 channels, got {x.shape[-1]}")
    return (x @ _LUMA.astype(x.dtype))[..., None]


def _blend(x: np.ndarray, other, factor: float) -> np.ndarray:
    """``factor * x + (1 - factor) * other`` clipped to [0, 1] (torchvision's _blend)."""
    return np.clip(factor * x + (1.0 - factor) * other, 0.0, 1.0)


def _rgb_to_hsv(x: np.ndarray) -> np.ndarray:
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    maxc, minc = x.max(axis=-1), x.min(axis=-1)
    delta = maxc - minc
    safe = np.where(delta > 0, delta, 1.0)
    s = np.where(maxc > 0, delta / np.where(maxc > 0, maxc, 1.0), 0.0)
    # hue sector: which channel is the maximum decides the base angle (0, 2 or 4 sixths)
    h = np.where(
        maxc == r,
        ((g - b) / safe) % 6.0,
        np.where(maxc == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0),
    )
    h = np.where(delta > 0, h / 6.0, 0.0)
    return np.stack([h, s, maxc], axis=-1)


def _hsv_to_rgb(x: np.ndarray) -> np.ndarray:
    h, s, v = x[..., 0], x[..., 1], x[..., 2]
    sector = np.floor(h * 6.0)
    f = h * 6.0 - sector
    i = sector.astype(np.intp) % 6
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    r = np.choose(i, [v, q, p, p, t, v])
    g = np.choose(i, [t, v, v, q, p, p])
    b = np.choose(i, [p, p, t, v, v, q])
    return np.stack([r, g, b], axis=-1)


def adjust_brightness(x: np.ndarray, factor: float) -> np.ndarray:
    """Blend with black: ``x * factor``."""
    return _blend(x, 0.0, factor)


def adjust_contrast(x: np.ndarray, factor: float) -> np.ndarray:
    """Blend with the mean gray level of each image."""
    return _blend(x, _gray(x).mean(axis=(-3, -2, -1), keepdims=True), factor)


def adjust_saturation(x: np.ndarray, factor: float) -> np.ndarray:
    """Blend with the grayscale image."""
    return x if x.shape[-1] == 1 else _blend(x, _gray(x), factor)


def adjust_hue(x: np.ndarray, shift: float) -> np.ndarray:
    """Rotate hue by ``shift`` turns (in [-0.5, 0.5]) in HSV space."""
    if x.shape[-1] == 1:
        return x
    hsv = _rgb_to_hsv(x)
    hsv[..., 0] = (hsv[..., 0] + shift) % 1.0
    return _hsv_to_rgb(hsv).astype(x.dtype, copy=False)


class ColorJitter(Transform):
    """Randomly change brightness, contrast, saturation and hue, in a random order.

    Each of brightness/contrast/saturation is a number ``v`` (factor drawn from
    ``[max(0, 1 - v), 1 + v]``) or a (min, max) range; hue is ``h`` in [0, 0.5] (shift drawn
    from ``[-h, h]``) or a range inside [-0.5, 0.5].

    Args:
        brightness, contrast, saturation, hue: jitter amounts (0 disables).
        generator: optional ``ember.Generator``.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0, *, generator=None):
        self.brightness = self._factor_range(brightness, "brightness")
        self.contrast = self._factor_range(contrast, "contrast")
        self.saturation = self._factor_range(saturation, "saturation")
        self.hue = self._factor_range(hue, "hue", center=0.0, bound=(-0.5, 0.5))
        self.generator = generator

    @staticmethod
    def _factor_range(value, arg: str, center: float = 1.0, bound=(0.0, float("inf"))):
        if isinstance(value, Number):
            if value < 0:
                raise ValueError(f"ColorJitter: {arg} must be non-negative, got {value}")
            lo, hi = center - float(value), center + float(value)
            lo = max(lo, bound[0]) if arg != "hue" else lo
        else:
            lo, hi = float(value[0]), float(value[1])
        if not bound[0] <= lo <= hi <= bound[1]:
            raise ValueError(f"ColorJitter: {arg} values should be within {bound}, got {(lo, hi)}")
        return None if lo == hi == center else (lo, hi)

    def __call__(self, img):
        arr, restore = unwrap(img, "ColorJitter")
        r = rng(self.generator)
        order = r.permutation(4)
        ops = [
            (adjust_brightness, self.brightness),
            (adjust_contrast, self.contrast),
            (adjust_saturation, self.saturation),
            (adjust_hue, self.hue),
        ]
        x = _unit(arr)
        for k in order:
            fn, span = ops[k]
            if span is not None:
                x = fn(x, float(r.uniform(*span)))
        return restore(_from_unit(x, arr.dtype))

    def extra_repr(self) -> str:
        return (
            f"brightness={self.brightness}, contrast={self.contrast}, "
            f"saturation={self.saturation}, hue={self.hue}"
        )


class Grayscale(Transform):
    """Convert to grayscale with ITU-R 601-2 weights: L = 0.299 R + 0.587 G + 0.114 B.

    Args:
        num_output_channels: 1, or 3 (the gray value repeated in every channel).
    """

    def __init__(self, num_output_channels: int = 1):
        if num_output_channels not in (1, 3):
            raise ValueError(
                f"Grayscale: num_output_channels should be 1 or 3, got {num_output_channels}"
            )
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        arr, restore = unwrap(img, "Grayscale")
        gray = _gray(arr.astype(work_dtype(arr.dtype), copy=False))
        gray = np.repeat(gray, self.num_output_channels, axis=-1)
        return restore(cast_like(gray, arr.dtype))

    def extra_repr(self) -> str:
        return f"num_output_channels={self.num_output_channels}"


def gaussian_kernel1d(kernel_size: int, sigma: float) -> np.ndarray:
    """Normalised samples of exp(-x^2 / (2 sigma^2)) at x = -(k-1)/2 .. (k-1)/2."""
    x = np.arange(kernel_size, dtype=np.float64) - (kernel_size - 1) / 2.0
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def _convolve_axis(x: np.ndarray, kernel: np.ndarray, axis: int) -> np.ndarray:
    """Correlate ``x`` with a 1-D kernel along ``axis`` using reflect padding."""
    half = kernel.size // 2
    widths = [(0, 0)] * x.ndim
    widths[axis] = (half, half)
    windows = sliding_window_view(np.pad(x, widths, mode="reflect"), kernel.size, axis=axis)
    return windows @ kernel.astype(x.dtype)


class GaussianBlur(Transform):
    """Blur with a separable Gaussian kernel (reflect padding), like torchvision.

    Args:
        kernel_size: odd positive int, or (kx, ky) for width and height.
        sigma: fixed std, or a (min, max) range sampled uniformly per call.
        generator: optional ``ember.Generator``.
    """

    def __init__(self, kernel_size, sigma=(0.1, 2.0), *, generator=None):
        ks = (kernel_size, kernel_size) if isinstance(kernel_size, Number) else kernel_size
        ks = tuple(int(k) for k in ks)
        if len(ks) != 2 or any(k <= 0 or k % 2 == 0 for k in ks):
            raise ValueError(
                f"GaussianBlur: kernel size should be odd and positive, got {kernel_size}"
            )
        sig = (sigma, sigma) if isinstance(sigma, Number) else tuple(float(s) for s in sigma)
        if len(sig) != 2 or not 0 < sig[0] <= sig[1]:
            raise ValueError(
                f"GaussianBlur: sigma should be positive or a (min, max) range, got {sigma}"
            )
        self.kernel_size = ks
        self.sigma = sig
        self.generator = generator

    def __call__(self, img):
        arr, restore = unwrap(img, "GaussianBlur")
        s = (
            self.sigma[0]
            if self.sigma[0] == self.sigma[1]
            else float(rng(self.generator).uniform(*self.sigma))
        )
        x = arr.astype(work_dtype(arr.dtype), copy=False)
        x = _convolve_axis(x, gaussian_kernel1d(self.kernel_size[1], s), axis=-3)
        x = _convolve_axis(x, gaussian_kernel1d(self.kernel_size[0], s), axis=-2)
        return restore(cast_like(x, arr.dtype))

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, sigma={self.sigma}"
