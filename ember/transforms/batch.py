"""Batch-level augmentation (Mixup, CutMix) and test-time augmentation (``tta``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ember.random import rng
from ember.transforms._image import wrap_tensor


class _BatchMix:
    """Shared parts of Mixup and CutMix: lambda ~ Beta(alpha, alpha), partner permutation and
    soft targets ``lam * y + (1 - lam) * y[perm]``."""

    def __init__(self, alpha: float = 1.0, num_classes: int | None = None, *, generator=None):
        name = type(self).__name__
        if alpha <= 0:
            raise ValueError(f"{name}: alpha must be positive, got {alpha}")
        if num_classes is not None and num_classes < 1:
            raise ValueError(f"{name}: num_classes must be positive, got {num_classes}")
        self.alpha = float(alpha)
        self.num_classes = num_classes
        self.generator = generator
        self.lam: float | None = None  # lambda of the last call (after CutMix's box adjustment)

    def _inputs(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Arrays of x and of soft targets (N, K), validated."""
        from ember._tensor import Tensor

        name = type(self).__name__
        xa = x._data if isinstance(x, Tensor) else np.asarray(x)
        ya = y._data if isinstance(y, Tensor) else np.asarray(y)
        if xa.ndim < 1 or ya.ndim not in (1, 2) or ya.shape[0] != xa.shape[0]:
            raise ValueError(
                f"{name}: expected x (N, ...) and y (N,) or (N, K), got shapes "
                f"{xa.shape} and {ya.shape}"
            )
        dtype = xa.dtype if xa.dtype.kind == "f" else np.dtype(np.float32)
        if ya.ndim == 2:
            return xa, ya.astype(dtype)
        if ya.dtype.kind not in "iu":
            raise TypeError(f"{name}: 1-D targets must be integer class labels, got {ya.dtype}")
        if self.num_classes is None:
            raise ValueError(f"{name}: num_classes is required for integer labels")
        if ya.size and (ya.min() < 0 or ya.max() >= self.num_classes):
            raise IndexError(
                f"{name}: labels must be in [0, {self.num_classes}), got range "
                f"[{ya.min()}, {ya.max()}]"
            )
        return xa, np.eye(self.num_classes, dtype=dtype)[ya]

    def _draw(self, n: int) -> tuple[float, np.ndarray]:
        r = rng(self.generator)
        return float(r.beta(self.alpha, self.alpha)), r.permutation(n)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}, num_classes={self.num_classes}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


class Mixup(_BatchMix):
    """Mix each sample with a random partner: ``lam * x + (1 - lam) * x[perm]`` (Zhang et al.).

    Args:
        alpha: Beta(alpha, alpha) parameter of the mixing weight.
        num_classes: number of classes (needed for integer labels).
        generator: optional ``ember.Generator``.

    Shape:
        x: (N, ...) Tensor; y: (N,) integer labels or (N, K) one-hot/soft targets.
        Returns mixed x (same shape) and soft targets (N, K) that sum to 1.
    """

    def __call__(self, x, y):
        xa, ya = self._inputs(x, y)
        lam, perm = self._draw(xa.shape[0])
        self.lam = lam
        xf = xa.astype(ya.dtype, copy=False)
        return wrap_tensor(lam * xf + (1 - lam) * xf[perm]), wrap_tensor(
            lam * ya + (1 - lam) * ya[perm]
        )


class CutMix(_BatchMix):
    """Paste a random box from a partner image; targets weighted by the actual box area.

    The box has area about ``(1 - lam) * H * W`` and a random centre; after clipping it to the
    image, ``lam = 1 - box_area / (H * W)`` (Yun et al., 2019).

    Args:
        alpha: Beta(alpha, alpha) parameter.
        num_classes: number of classes (needed for integer labels).
        generator: optional ``ember.Generator``.

    Shape:
        x: (N, C, H, W) Tensor; y: (N,) integer labels or (N, K) targets.
        Returns mixed x and soft targets (N, K). ``self.box`` holds (top, bottom, left, right).
    """

    box: tuple[int, int, int, int] | None = None

    def __call__(self, x, y):
        xa, ya = self._inputs(x, y)
        if xa.ndim != 4:
            raise ValueError(f"CutMix: expected x of shape (N, C, H, W), got {xa.shape}")
        lam, perm = self._draw(xa.shape[0])
        h, w = xa.shape[-2:]
        r = rng(self.generator)
        cut = np.sqrt(1.0 - lam)  # box sides scale with sqrt of the area fraction
        ch, cw = int(h * cut), int(w * cut)
        cy, cx = int(r.integers(h)), int(r.integers(w))
        top, bottom = np.clip((cy - ch // 2, cy + ch // 2), 0, h)
        left, right = np.clip((cx - cw // 2, cx + cw // 2), 0, w)
        out = xa.copy()
        out[:, :, top:bottom, left:right] = xa[perm, :, top:bottom, left:right]
        lam = 1.0 - (bottom - top) * (right - left) / (h * w)
        self.lam, self.box = float(lam), (int(top), int(bottom), int(left), int(right))
        return wrap_tensor(out), wrap_tensor((lam * ya + (1 - lam) * ya[perm]).astype(ya.dtype))


def tta(model: Callable, x, transforms: Sequence[Callable], include_original: bool = True):
    """Average ``model``'s predictions over augmented copies of the batch ``x``.

    Runs under ``no_grad`` with the model in eval mode; every submodule's training flag is
    restored afterwards.

    Args:
        model: a Module (or any callable) mapping a batch to predictions.
        x: the input batch Tensor.
        transforms: callables applied to the whole batch (e.g. ``lambda b: b.flip(-1)``).
        include_original: also average the prediction on ``x`` itself.

    Returns:
        Tensor: the mean prediction, shaped like one ``model(x)``.
    """
    import ember

    views = ([lambda b: b] if include_original else []) + list(transforms)
    if not views:
        raise ValueError("tta: no transforms given and include_original=False")
    modules = list(model.modules()) if hasattr(model, "modules") else []
    modes = [m.training for m in modules]
    for m in modules:
        m.training = False
    try:
        with ember.no_grad():
            preds = [model(t(x)) for t in views]
            return ember.stack(preds).mean(0)
    finally:
        for m, mode in zip(modules, modes):
            m.training = mode
