"""Vision: interpolate/upsample, pixel_shuffle/pixel_unshuffle, pad (``F.*``).

Interpolation is composed of differentiable ops: 'nearest' is an ``index_select`` per spatial
dim, 'linear'/'bilinear' a product with a (out, in) interpolation matrix per dim (bilinear is
separable), built from PyTorch's source-index rule in ``ember.ops.pool``.
"""

from __future__ import annotations

import math

from ember._tensor import Tensor
from ember.ops import pool as _pool
from ember.ops import shape as _shape
from ember.ops.index import index_select
from ember.ops.linalg import matmul
from ember.ops.shape import pad

__all__ = ["interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle", "pad"]

_LINEAR = {"linear": 1, "bilinear": 2}


def _output_size(input, size, scale_factor, dim):
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                    "size in (o1, o2, ...,oK) format."
                )
            return [int(s) for s in size], None
        return [int(size)] * dim, None
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {spatial} and scale_factor of shape "
                f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                "and scale_factor in (s1, s2, ...,sK) format."
            )
        scales = [float(s) for s in scale_factor]
    else:
        scales = [float(scale_factor)] * dim
    return [math.floor(n * s) for n, s in zip(spatial, scales)], scales


def interpolate(
    input: Tensor,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias: bool = False,
):
    """Resample the spatial dims of ``(N, C, *spatial)`` to ``size`` or by ``scale_factor``.

    Args:
        mode: 'nearest' (3-D or 4-D input), 'linear' (3-D) or 'bilinear' (4-D).
        align_corners: for linear modes, map corner pixel centres onto each other.
        recompute_scale_factor: derive the scale from the output size, not ``scale_factor``.

    Shape:
        - Input: ``(N, C, L)`` or ``(N, C, H, W)``
        - Output: ``(N, C, L_out)`` or ``(N, C, H_out, W_out)``
    """
    if not isinstance(input, Tensor):
        raise TypeError(
            f"interpolate(): argument 'input' must be Tensor, not {type(input).__name__}"
        )
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating "
                "modes: linear | bilinear | bicubic | trilinear"
            )
    elif align_corners is None:
        align_corners = False
    if antialias:
        raise NotImplementedError("interpolate(): antialias=True is not supported")
    dim = input.ndim - 2
    if dim < 1:
        raise ValueError(
            f"interpolate(): expected a 3-D or 4-D input (N, C, ...), got input of "
            f"shape {tuple(input.shape)}"
        )
    out, scales = _output_size(input, size, scale_factor, dim)
    if recompute_scale_factor:
        scales = None
    if scales is None:
        scales = [None] * dim
    if mode == "nearest" and dim in (1, 2):
        for i, (n, o, s) in enumerate(zip(input.shape[2:], out, scales)):
            input = index_select(input, 2 + i, _pool.nearest_index(n, o, s))
        return input
    if mode in _LINEAR:
        if _LINEAR[mode] != dim:
            raise NotImplementedError(
                f"Got {input.ndim}D input, but {mode} mode needs {_LINEAR[mode] + 2}D input"
            )
        dtype = input._data.dtype
        spatial = input.shape[2:]
        w = _pool.interp_matrix(spatial[-1], out[-1], scales[-1], align_corners, dtype)
        result = matmul(input, w.t())  # (..., W) @ (W, W_out)
        if dim == 2:
            h = _pool.interp_matrix(spatial[0], out[0], scales[0], align_corners, dtype)
            result = matmul(h, result)  # (H_out, H) @ (..., H, W_out)
        return result
    raise NotImplementedError(
        f"interpolate(): mode {mode!r} with {input.ndim}D input is not supported; use "
        "'nearest' (3D/4D), 'linear' (3D) or 'bilinear' (4D)"
    )


def upsample(
    input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None
):
    """Deprecated alias of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """``(*, C * r^2, H, W) -> (*, C, H * r, W * r)`` (sub-pixel convolution layout)."""
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(
            f"pixel_shuffle expects input to have at least 3 dimensions, but got "
            f"input with {input.ndim} dimension(s)"
        )
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    nl = len(lead)
    x = _shape.reshape(input, (*lead, c // (r * r), r, r, h, w))
    x = _shape.permute(x, (*range(nl), nl, nl + 3, nl + 1, nl + 4, nl + 2))
    return _shape.reshape(x, (*lead, c // (r * r), h * r, w * r))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """``(*, C, H * r, W * r) -> (*, C * r^2, H, W)``, the inverse of ``pixel_shuffle``."""
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(
            f"pixel_unshuffle expects input to have at least 3 dimensions, but "
            f"got input with {input.ndim} dimension(s)"
        )
    *lead, c, h, w = input.shape
    for name, size, i in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {name} to be divisible by "
                f"downscale_factor, but input.size({i})={size} is not divisible "
                f"by {r}"
            )
    nl = len(lead)
    x = _shape.reshape(input, (*lead, c, h // r, r, w // r, r))
    x = _shape.permute(x, (*range(nl), nl, nl + 2, nl + 4, nl + 1, nl + 3))
    return _shape.reshape(x, (*lead, c * r * r, h // r, w // r))
