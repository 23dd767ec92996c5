"""RandomErasing: blank a random rectangle of a tensor image (Zhong et al., 2017)."""

from __future__ import annotations

import math
from numbers import Number

import numpy as np

from ember.random import rng
from ember.transforms._image import wrap_tensor
from ember.transforms.base import Transform


class RandomErasing(Transform):
    """With probability ``p``, overwrite a random rectangle of a (..., C, H, W) tensor.

    Args:
        p: probability of erasing.
        scale: range of the erased area as a fraction of the image area.
        ratio: range of the rectangle's aspect ratio (sampled log-uniformly).
        value: a number, per-channel values, or "random" (standard normal noise).
        inplace: write into the input tensor.
        generator: optional ``ember.Generator``.
    """

    def __init__(
        self,
        p: float = 0.5,
        scale=(0.02, 0.33),
        ratio=(0.3, 3.3),
        value=0,
        inplace: bool = False,
        *,
        generator=None,
    ):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"RandomErasing: p should be in [0, 1], got {p}")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(
                f"RandomErasing: scale and ratio should be (min, max), got {scale} and {ratio}"
            )
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError(f"RandomErasing: scale should be within [0, 1], got {scale}")
        if not (isinstance(value, (Number, str, tuple, list))) or (
            isinstance(value, str) and value != "random"
        ):
            raise ValueError(
                f"RandomErasing: value should be a number, a sequence or 'random', got {value!r}"
            )
        self.p = p
        self.scale = scale
        self.ratio = ratio
        self.value = value
        self.inplace = inplace
        self.generator = generator

    def get_params(self, h: int, w: int, r: np.random.Generator):
        """(top, left, height, width) of the rectangle, or None after 10 failed tries."""
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            area = h * w * r.uniform(*self.scale)
            aspect = math.exp(r.uniform(*log_ratio))
            eh = int(round(math.sqrt(area * aspect)))
            ew = int(round(math.sqrt(area / aspect)))
            if 0 < eh < h and 0 < ew < w:
                return int(r.integers(0, h - eh + 1)), int(r.integers(0, w - ew + 1)), eh, ew
        return None

    def __call__(self, img):
        from ember._tensor import Tensor

        if not isinstance(img, Tensor):
            raise TypeError(f"RandomErasing: expected a Tensor, got {type(img).__name__}")
        arr = img._data
        if arr.ndim < 3:
            raise ValueError(f"RandomErasing: expected a (..., C, H, W) tensor, got {arr.shape}")
        r = rng(self.generator)
        if r.random() >= self.p:
            return img
        box = self.get_params(arr.shape[-2], arr.shape[-1], r)
        if box is None:
            return img
        top, left, eh, ew = box
        c = arr.shape[-3]
        if isinstance(self.value, str):
            fill = r.standard_normal(arr.shape[:-2] + (eh, ew)).astype(arr.dtype)
        else:
            values = np.asarray(self.value, dtype=np.float64).reshape(-1)
            if values.size not in (1, c):
                raise ValueError(
                    f"RandomErasing: value has {values.size} entries, expected 1 or {c} channels"
                )
            fill = values.astype(arr.dtype)[:, None, None]
        out = arr if self.inplace else arr.copy()
        out[..., top : top + eh, left : left + ew] = fill
        if self.inplace:
            img._vc[0] += 1  # storage written in place
            return img
        return wrap_tensor(out)

    def extra_repr(self) -> str:
        return f"p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value!r}"
