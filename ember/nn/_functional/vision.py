"""Vision: interpolate/upsample, pixel_shuffle/pixel_unshuffle, pad (``F.*``).

Interpolation is composed of differentiable ops: the nearest modes are an ``index_select``
per spatial dim, the others a product with an (out, in) weight matrix per dim, built from
PyTorch's rules in ``ember.ops.resample`` (and ``ember.ops.pool`` for 'area').
"""

from __future__ import annotations

import math

from ember._tensor import Tensor
from ember.ops import pool as _pool
from ember.ops import resample as _resample
from ember.ops import shape as _shape
from ember.ops.index import index_select
from ember.ops.linalg import matmul
from ember.ops.shape import pad

__all__ = [
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "pixel_shuffle",
    "pixel_unshuffle",
    "pad",
]

# modes resampled by a weight matrix per dim: (table kind, number of spatial dims)
_WEIGHTED = {
    "linear": ("linear", 1),
    "bilinear": ("linear", 2),
    "trilinear": ("linear", 3),
    "bicubic": ("cubic", 2),
    "lanczos": ("lanczos", 2),
}
_MODES = (
    "nearest",
    "linear",
    "bilinear",
    "bicubic",
    "trilinear",
    "lanczos",
    "area",
    "nearest-exact",
)


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


def _check_sizes(spatial, out) -> None:
    if min(spatial) > 0 and min(out) > 0:
        return
    names = ("D", "H", "W")[-len(out) :]
    given = ", ".join(f"{k}: {n}" for k, n in zip(names, spatial))
    got = ", ".join(f"{k}: {n}" for k, n in zip(names, out))
    joint = " and" if len(out) == 1 else ""  # PyTorch's wording differs for 1-D
    raise RuntimeError(
        "Input and output sizes should be greater than 0, but got "
        f"input ({given}){joint} output ({got})"
    )


def _along(x: Tensor, axis: int, table: Tensor) -> Tensor:
    """Apply an (out, n) ``table`` to dim ``axis`` of ``x`` (a matrix product on that dim)."""
    if axis == x.ndim - 1:
        return matmul(x, table.t())  # (..., n) @ (n, out)
    if axis == x.ndim - 2:
        return matmul(table, x)  # (out, n) @ (..., n, W)
    shape = tuple(x.shape)  # fold the dims after ``axis`` into one column dim
    y = matmul(table, _shape.reshape(x, (*shape[: axis + 1], -1)))
    return _shape.reshape(y, (*shape[:axis], table.shape[0], *shape[axis + 1 :]))


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

    Every mode is separable: one table per spatial dim (``ember.ops.resample``), applied as an
    ``index_select`` (nearest modes) or a product with an (out, in) weight matrix.

    Args:
        mode: 'nearest', 'nearest-exact', 'area' (1-3 spatial dims), 'linear' (3-D),
            'bilinear', 'bicubic', 'lanczos' (4-D) or 'trilinear' (5-D).
        align_corners: for linear and cubic modes, map corner pixel centres onto each other.
        recompute_scale_factor: derive the scale from the output size, not ``scale_factor``.
        antialias: widen the filter when downsampling (Pillow's resize); 'bilinear',
            'bicubic' and 'lanczos' (which requires it) on 4-D input.

    Shape:
        - Input: ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)``
        - Output: ``(N, C, L_out)``, ``(N, C, H_out, W_out)`` or ``(N, C, D_out, H_out, W_out)``
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
    dim = input.ndim - 2
    out, scales = _output_size(input, size, scale_factor, dim)
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor or scales is None:
        scales = [None] * dim
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
            "requires a 4-D tensor as input"
        )
    kind, need = _WEIGHTED.get(mode, (None, dim))
    if mode not in _MODES or not 1 <= dim <= 3 or (need != dim and kind != "linear"):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
            "the modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
            f"nearest-exact (got {mode})"
        )
    if need != dim:
        raise NotImplementedError(
            f"Got {input.ndim}D input, but {mode} mode needs {need + 2}D input"
        )
    if mode == "lanczos" and align_corners:
        raise ValueError("Lanczos mode does not support align_corners=True")
    if mode == "lanczos" and not antialias:
        raise ValueError("Lanczos mode requires antialias=True")
    if mode not in ("nearest", "nearest-exact") and not input.is_floating_point():
        raise NotImplementedError(
            f"interpolate(): mode '{mode}' needs a floating-point input, got {input.dtype}"
        )
    spatial = input.shape[2:]
    if mode != "area":  # adaptive average pooling allows empty outputs
        _check_sizes(spatial, out)
    dtype = input._data.dtype
    for i in reversed(range(dim)):  # the last dim first, as PyTorch's separable kernels
        n, o, s = spatial[i], out[i], scales[i]
        if mode in ("nearest", "nearest-exact"):
            index = _resample.index_table(mode, dim, n, o, s, dtype)
            if index is not None:  # None: the dim keeps its size and its values
                input = index_select(input, 2 + i, index)
        elif mode == "area":
            input = _along(input, 2 + i, _pool.adaptive_avg_matrix(n, o, dtype))
        else:
            table = _resample.weight_table(kind, n, o, s, align_corners, antialias, dtype)
            if table is not None:  # None: the dim keeps its size and its values
                input = _along(input, 2 + i, table)
    return input


def upsample(
    input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None
):
    """Deprecated alias of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size=None, scale_factor=None):
    """Deprecated alias of ``interpolate(..., mode='nearest')``."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None):
    """Deprecated alias of ``interpolate(..., mode='bilinear', align_corners=True)``."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


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
