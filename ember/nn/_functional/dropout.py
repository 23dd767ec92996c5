"""Dropout: dropout, dropout1d/2d, alpha_dropout (``F.*``).

Masks are drawn with ``ember.rand`` from ember's default generator, so ``ember.manual_seed``
reproduces them; the random values themselves differ from PyTorch's.
"""

from __future__ import annotations

import warnings

from ember._creation import rand
from ember._tensor import Tensor

__all__ = ["alpha_dropout", "dropout", "dropout1d", "dropout2d", "feature_alpha_dropout"]

# SELU's saturation value -scale * alpha: alpha dropout sets dropped units to it
_SELU_ALPHA = 1.7580993408473766


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input: Tensor, p: float, shape: tuple) -> Tensor:
    """A 0/1 mask of ``shape`` in ``input``'s dtype, each entry 1 with probability ``1 - p``."""
    return (rand(*shape, dtype=input.dtype) >= p).to(input.dtype)


def _apply(input: Tensor, factor: Tensor, inplace: bool) -> Tensor:
    return input.mul_(factor) if inplace else input * factor


def _dropout(input: Tensor, p: float, training: bool, inplace: bool, shape: tuple) -> Tensor:
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:  # NOTE: the 1/(1-p) scale is inf; every unit is dropped
        return _apply(input, 0.0, inplace)
    return _apply(input, _keep_mask(input, p, shape) / (1.0 - p), inplace)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Shape:
        - Input: ``(*)``
        - Output: same as input.
    """
    return _dropout(input, p, training, inplace, tuple(input.shape))


def _feature_shape(input: Tensor, batched: bool) -> tuple:
    """The mask shape that drops whole channels: ``(N, C, 1, ...)`` (or ``(C, 1, ...)``)."""
    lead = 2 if batched else 1
    return tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of a ``(N, C, L)`` or ``(C, L)`` input with probability ``p``.

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``
        - Output: same as input.
    """
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
            "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs)."
        )
    return _dropout(input, p, training, inplace, _feature_shape(input, input.ndim == 3))


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False):
    """Zero whole channels of a ``(N, C, H, W)`` or ``(C, H, W)`` input with probability ``p``.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: same as input.
    """
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and "
            "will result in an error in a future release. To retain the behavior and silence "
            "this warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim < 2:
        return dropout(input, p, training, inplace)
    return _dropout(input, p, training, inplace, _feature_shape(input, input.ndim != 3))


def _alpha_dropout(input, p, training, inplace, shape):
    _check_p(p)
    if not training or p == 0.0:
        return input
    if p == 1.0:  # every unit dropped: the output is the SELU saturation point mapped to 0
        return _apply(input, 0.0, inplace)
    keep = _keep_mask(input, p, shape)
    # a and b keep zero mean / unit variance: out = a (x keep - alpha (1 - keep)) + a alpha p
    a = ((_SELU_ALPHA * _SELU_ALPHA * p + 1.0) * (1.0 - p)) ** -0.5
    b = (keep - 1.0) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p
    out = _apply(input, keep * a, inplace)
    return out.add_(b) if inplace else out + b


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False):
    """Dropout for SELU networks: keeps zero mean and unit variance of the activations.

    Shape:
        - Input: ``(*)``
        - Output: same as input.
    """
    return _alpha_dropout(input, p, training, inplace, tuple(input.shape))


def feature_alpha_dropout(
    input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False
) -> Tensor:
    """Alpha dropout of whole channels of ``(N, C, *)``.

    Shape:
        - Input: ``(N, C, *)``
        - Output: same as input.
    """
    return _alpha_dropout(input, p, training, inplace, _feature_shape(input, True))
