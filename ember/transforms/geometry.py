"""Geometric transforms: resize, crops, flips, rotation and affine warps.

All accept ndarray (HW / HWC), PIL images and tensors (HW / ...CHW) and return the same kind.
Random parameters are drawn from ``ember.random.rng(generator)`` (ember's default generator
unless one is given), so ``ember.manual_seed`` makes augmentation reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Number

import numpy as np

from ember.random import rng
from ember.transforms._image import crop, is_pil, pad, pair, parse_padding, unwrap
from ember.transforms._warp import affine_matrix, parse_interpolation, resize, warp_affine
from ember.transforms.base import Transform


def _output_size(h: int, w: int, size, max_size: int | None) -> tuple[int, int]:
    """torchvision's rule: an int matches the smaller edge, keeping the aspect ratio."""
    if isinstance(size, Sequence) and len(size) == 2:
        return int(size[0]), int(size[1])
    s = int(size[0] if isinstance(size, Sequence) else size)
    short, long = (h, w) if h <= w else (w, h)
    new_short, new_long = s, int(s * long / short)
    if max_size is not None and new_long > max_size:
        new_short, new_long = int(max_size * new_short / new_long), max_size
    return (new_short, new_long) if h <= w else (new_long, new_short)


def _range(value, name: str, arg: str, center: float = 0.0) -> tuple[float, float]:
    """(lo, hi) from a number ``v`` (giving ``center -/+ v``) or a 2-sequence."""
    if isinstance(value, Number):
        if value < 0:
            raise ValueError(f"{name}: if {arg} is a number it must be non-negative, got {value}")
        return center - float(value), center + float(value)
    if isinstance(value, Sequence) and len(value) == 2:
        return float(value[0]), float(value[1])
    raise ValueError(f"{name}: {arg} must be a number or a sequence of 2, got {value!r}")


def _antialias(antialias: bool | None, img) -> bool:
    """torchvision's rule: None antialiases PIL images only (Pillow always filters)."""
    return is_pil(img) if antialias is None else bool(antialias)


class Resize(Transform):
    """Resize to ``size`` ((h, w), or an int for the smaller edge), as torchvision does.

    The values are ``F.interpolate``'s with ``align_corners=False``: bilinear and bicubic
    sample at pixel centres and, with ``antialias`` (the default), widen their filter when
    shrinking, like Pillow; nearest picks source index ``floor(i * in / out)``.

    Args:
        size: (h, w) or int (smaller edge; the other keeps the aspect ratio).
        interpolation: "bilinear" (default), "bicubic", "nearest" or "nearest-exact".
        max_size: cap on the longer edge when ``size`` is an int.
        antialias: filter when downsampling with bilinear or bicubic (default True). None:
            only PIL images, torchvision's old default.
    """

    def __init__(
        self,
        size,
        interpolation="bilinear",
        max_size: int | None = None,
        antialias: bool | None = True,
    ):
        if isinstance(size, Number):
            size = int(size)
        elif not (isinstance(size, Sequence) and len(size) in (1, 2)):
            raise TypeError(f"Resize: size should be an int or a sequence of 1 or 2, got {size!r}")
        if max_size is not None and not (isinstance(size, int) or len(size) == 1):
            raise ValueError("Resize: max_size is only supported when size is a single int")
        self.size = size
        self.max_size = max_size
        self.interpolation = parse_interpolation(interpolation, "Resize")
        self.antialias = antialias

    def __call__(self, img):
        arr, restore = unwrap(img, "Resize")
        h, w = arr.shape[-3:-1]
        out_size = _output_size(h, w, self.size, self.max_size)
        aa = _antialias(self.antialias, img)
        return restore(resize(arr, out_size, self.interpolation, aa))

    def extra_repr(self) -> str:
        return (
            f"size={self.size}, interpolation={self.interpolation.value}, "
            f"max_size={self.max_size}, antialias={self.antialias}"
        )


class CenterCrop(Transform):
    """Crop the centre; an image smaller than ``size`` is zero-padded first (torchvision)."""

    def __init__(self, size):
        self.size = pair(size, "CenterCrop")

    def __call__(self, img):
        arr, restore = unwrap(img, "CenterCrop")
        (h, w), (th, tw) = arr.shape[-3:-1], self.size
        if th > h or tw > w:
            dh, dw = max(th - h, 0), max(tw - w, 0)
            arr = pad(
                arr, (dw // 2, dh // 2, (dw + 1) // 2, (dh + 1) // 2), 0, "constant", "CenterCrop"
            )
            h, w = arr.shape[-3:-1]
        top, left = int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))
        return restore(crop(arr, top, left, th, tw))

    def extra_repr(self) -> str:
        return f"size={self.size}"


class RandomCrop(Transform):
    """Crop at a random location, optionally padding first.

    Args:
        size: (h, w) or int.
        padding: int, (left/right, top/bottom) or (left, top, right, bottom) applied first.
        pad_if_needed: pad an image smaller than ``size`` so the crop fits.
        fill: constant padding value(s) per channel.
        padding_mode: "constant", "edge", "reflect" or "symmetric".
        generator: optional ``ember.Generator``.
    """

    def __init__(
        self,
        size,
        padding=None,
        pad_if_needed: bool = False,
        fill=0,
        padding_mode: str = "constant",
        *,
        generator=None,
    ):
        self.size = pair(size, "RandomCrop")
        self.padding = None if padding is None else parse_padding(padding, "RandomCrop")
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(
                "RandomCrop: padding_mode should be constant, edge, reflect or symmetric, "
                f"got {padding_mode!r}"
            )
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode
        self.generator = generator

    def __call__(self, img):
        arr, restore = unwrap(img, "RandomCrop")
        if self.padding is not None:
            arr = pad(arr, self.padding, self.fill, self.padding_mode, "RandomCrop")
        (h, w), (th, tw) = arr.shape[-3:-1], self.size
        if self.pad_if_needed and (h < th or w < tw):
            dw, dh = max(tw - w, 0), max(th - h, 0)
            arr = pad(arr, (dw, dh, dw, dh), self.fill, self.padding_mode, "RandomCrop")
            h, w = arr.shape[-3:-1]
        if h < th or w < tw:
            raise ValueError(
                f"RandomCrop: required crop size {(th, tw)} is larger than input image size "
                f"{(h, w)}"
            )
        r = rng(self.generator)
        top = int(r.integers(0, h - th + 1))
        left = int(r.integers(0, w - tw + 1))
        return restore(crop(arr, top, left, th, tw))

    def extra_repr(self) -> str:
        return f"size={self.size}, padding={self.padding}"


class RandomResizedCrop(Transform):
    """Crop a random area/aspect-ratio window and resize it to ``size``.

    Args:
        size: output (h, w) or int.
        scale: range of the crop's area as a fraction of the image area.
        ratio: range of the crop's aspect ratio (width / height), sampled log-uniformly.
        interpolation: "bilinear" (default), "bicubic", "nearest" or "nearest-exact".
        antialias: filter when downsampling, as ``Resize`` (default True).
        generator: optional ``ember.Generator``.
    """

    def __init__(
        self,
        size,
        scale=(0.08, 1.0),
        ratio=(3.0 / 4.0, 4.0 / 3.0),
        interpolation="bilinear",
        antialias: bool | None = True,
        *,
        generator=None,
    ):
        self.size = pair(size, "RandomResizedCrop")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(
                f"RandomResizedCrop: scale and ratio should be (min, max), got {scale} and {ratio}"
            )
        self.scale = (float(scale[0]), float(scale[1]))
        self.ratio = (float(ratio[0]), float(ratio[1]))
        self.interpolation = parse_interpolation(interpolation, "RandomResizedCrop")
        self.antialias = antialias
        self.generator = generator

    def get_params(self, h: int, w: int) -> tuple[int, int, int, int]:
        """(top, left, height, width) of a random crop; centre crop after 10 failed tries."""
        r = rng(self.generator)
        area = h * w
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target_area = area * r.uniform(*self.scale)
            aspect = math.exp(r.uniform(*log_ratio))
            cw = int(round(math.sqrt(target_area * aspect)))
            ch = int(round(math.sqrt(target_area / aspect)))
            if 0 < cw <= w and 0 < ch <= h:
                return int(r.integers(0, h - ch + 1)), int(r.integers(0, w - cw + 1)), ch, cw
        # fallback: the largest centred crop with the aspect ratio clamped into range
        in_ratio = w / h
        if in_ratio < self.ratio[0]:
            cw, ch = w, int(round(w / self.ratio[0]))
        elif in_ratio > self.ratio[1]:
            ch, cw = h, int(round(h * self.ratio[1]))
        else:
            cw, ch = w, h
        return (h - ch) // 2, (w - cw) // 2, ch, cw

    def __call__(self, img):
        arr, restore = unwrap(img, "RandomResizedCrop")
        top, left, ch, cw = self.get_params(*arr.shape[-3:-1])
        aa = _antialias(self.antialias, img)
        return restore(resize(crop(arr, top, left, ch, cw), self.size, self.interpolation, aa))

    def extra_repr(self) -> str:
        return f"size={self.size}, scale={self.scale}, ratio={self.ratio}"


class _RandomFlip(Transform):
    """Flip image axis ``axis`` (of the channels-last array) with probability ``p``."""

    axis = -2

    def __init__(self, p: float = 0.5, *, generator=None):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: p must be in [0, 1], got {p}")
        self.p = p
        self.generator = generator

    def __call__(self, img):
        if rng(self.generator).random() >= self.p:
            return img
        arr, restore = unwrap(img, type(self).__name__)
        return restore(np.ascontiguousarray(np.flip(arr, axis=self.axis)))

    def extra_repr(self) -> str:
        return f"p={self.p}"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left-right with probability ``p``."""

    axis = -2


class RandomVerticalFlip(_RandomFlip):
    """Mirror top-bottom with probability ``p``."""

    axis = -3


def _about(forward: np.ndarray, center, h: int, w: int) -> np.ndarray:
    """Conjugate a centred map so that it acts about pixel ``center`` = (x, y) instead."""
    if center is None:
        return forward
    shift = np.eye(3)
    shift[:2, 2] = (center[0] - (w - 1) / 2, center[1] - (h - 1) / 2)
    return shift @ forward @ np.linalg.inv(shift)


class _RandomWarp(Transform):
    """Shared machinery of RandomRotation and RandomAffine: inverse-mapped affine warps."""

    def __init__(self, degrees, interpolation, fill, center, generator):
        name = type(self).__name__
        self.degrees = _range(degrees, name, "degrees")
        self.interpolation = parse_interpolation(interpolation, name, warp=True)
        self.fill = fill
        self.center = center
        self.generator = generator

    def _warp(self, img, forward_fn, expand: bool = False):
        arr, restore = unwrap(img, type(self).__name__)
        h, w = arr.shape[-3:-1]
        forward = _about(forward_fn(h, w), self.center, h, w)
        out_size = (h, w)
        if expand:
            # bounding box of the warped image's outer corners
            corners = np.array(
                [[-w / 2, -h / 2, 1], [w / 2, -h / 2, 1], [-w / 2, h / 2, 1], [w / 2, h / 2, 1]]
            ).T
            moved = forward[:2] @ corners
            extent = moved.max(axis=1) - moved.min(axis=1)
            out_size = (int(math.ceil(extent[1] - 1e-6)), int(math.ceil(extent[0] - 1e-6)))
        inverse = np.linalg.inv(forward)
        return restore(
            warp_affine(arr, inverse, out_size, self.interpolation, self.fill, type(self).__name__)
        )


class RandomRotation(_RandomWarp):
    """Rotate by an angle drawn uniformly from ``degrees`` (counter-clockwise, in degrees).

    Args:
        degrees: range (min, max), or a number d for (-d, d).
        interpolation: "nearest" (default) or "bilinear".
        expand: enlarge the output to hold the whole rotated image.
        center: (x, y) pixel to rotate about; default the image centre.
        fill: value(s) for pixels outside the rotated image.
        generator: optional ``ember.Generator``.
    """

    def __init__(
        self,
        degrees,
        interpolation="nearest",
        expand: bool = False,
        center=None,
        fill=0,
        *,
        generator=None,
    ):
        super().__init__(degrees, interpolation, fill, center, generator)
        self.expand = expand

    def __call__(self, img):
        angle = float(rng(self.generator).uniform(*self.degrees))
        return self._warp(img, lambda h, w: affine_matrix(angle), self.expand)

    def extra_repr(self) -> str:
        return f"degrees={self.degrees}, interpolation={self.interpolation.value}"


class RandomAffine(_RandomWarp):
    """Random affine map about the centre: translate . rotate . shear . scale.

    Args:
        degrees: rotation range (min, max), or d for (-d, d); 0 disables rotation.
        translate: (a, b) maximal shifts as fractions of width and height.
        scale: (min, max) scale factor range.
        shear: x-shear range (number d gives (-d, d)), or 4 values for x and y ranges, in
            degrees.
        interpolation: "nearest" (default) or "bilinear".
        fill: value(s) for pixels outside the warped image.
        center: (x, y) pixel to act about; default the image centre.
        generator: optional ``ember.Generator``.
    """

    def __init__(
        self,
        degrees,
        translate=None,
        scale=None,
        shear=None,
        interpolation="nearest",
        fill=0,
        center=None,
        *,
        generator=None,
    ):
        super().__init__(degrees, interpolation, fill, center, generator)
        if translate is not None and not all(0.0 <= t <= 1.0 for t in translate):
            raise ValueError(f"RandomAffine: translate values should be in [0, 1], got {translate}")
        if scale is not None and not all(s > 0 for s in scale):
            raise ValueError(f"RandomAffine: scale values should be positive, got {scale}")
        self.translate = translate
        self.scale = scale
        self.shear = None if shear is None else self._parse_shear(shear)

    @staticmethod
    def _parse_shear(shear) -> tuple[tuple[float, float], tuple[float, float]]:
        if isinstance(shear, Sequence) and len(shear) == 4:
            return (float(shear[0]), float(shear[1])), (float(shear[2]), float(shear[3]))
        return _range(shear, "RandomAffine", "shear"), (0.0, 0.0)

    def get_params(self, h: int, w: int) -> tuple[float, tuple[int, int], float, tuple]:
        """(angle, (tx, ty), scale, (shear_x, shear_y)) drawn from the configured ranges."""
        r = rng(self.generator)
        angle = float(r.uniform(*self.degrees))
        tx = ty = 0
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * w, self.translate[1] * h
            tx, ty = int(round(r.uniform(-max_dx, max_dx))), int(round(r.uniform(-max_dy, max_dy)))
        scale = 1.0 if self.scale is None else float(r.uniform(*self.scale))
        shear = (0.0, 0.0)
        if self.shear is not None:
            shear = (float(r.uniform(*self.shear[0])), float(r.uniform(*self.shear[1])))
        return angle, (tx, ty), scale, shear

    def __call__(self, img):
        def forward(h: int, w: int) -> np.ndarray:
            angle, translate, scale, shear = self.get_params(h, w)
            return affine_matrix(angle, translate, scale, shear)

        return self._warp(img, forward)

    def extra_repr(self) -> str:
        return (
            f"degrees={self.degrees}, translate={self.translate}, scale={self.scale}, "
            f"shear={self.shear}"
        )
