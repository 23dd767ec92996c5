"""Pooling: max/avg pooling 1-D and 2-D, adaptive pooling, max_unpool2d (``F.*``).

Max pooling runs the ``ember.ops.pool`` kernel (values and argmax indices). Average pooling and
adaptive average pooling are compositions: a reshape-and-mean when windows tile the input
exactly, otherwise a ones-kernel convolution (resp. two averaging matrix products) divided by
PyTorch's per-window divisor, so their gradients of every order come from those ops.
"""

from __future__ import annotations

from ember._creation import ones, zeros
from ember._tensor import Tensor
from ember.ops import conv as _conv
from ember.ops import index as _index
from ember.ops import pool as _pool
from ember.ops import shape as _shape
from ember.ops._util import shape_str
from ember.ops.linalg import matmul

__all__ = [
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool2d",
    "max_unpool2d",
]


def _tuple(value, n: int, name: str, op: str) -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            value = value[0]
        elif len(value) != n:
            raise RuntimeError(
                f"{op}(): {name} must either be a single int, or a tuple of {n} "
                f"ints, got {tuple(value)}"
            )
        else:
            return tuple(int(v) for v in value)
    return (int(value),) * n


def _batched(input, nd: int, op: str):
    """Input with a batch dim (and, for 1-D ops, a height-1 dim): (x, unbatched)."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{op}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    if input.ndim not in (nd + 1, nd + 2) or 0 in input.shape[1:]:
        raise RuntimeError(
            f"{op}(): non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor "
            f"expected for input, got input of shape {shape_str(input.shape)}"
        )
    unbatched = input.ndim == nd + 1
    return (_shape.unsqueeze(input, 0) if unbatched else input), unbatched


def _unbatch(t, unbatched: bool):
    return _shape.squeeze(t, 0) if unbatched else t


def _geometry(op, nd, kernel_size, stride, padding, dilation):
    """Kernel, stride, padding, dilation as 2-D pairs (height 1 for 1-D), checked as PyTorch."""
    k = _tuple(kernel_size, nd, "kernel_size", op)
    s = k if stride is None or stride == [] or stride == () else _tuple(stride, nd, "stride", op)
    p = _tuple(padding, nd, "padding", op)
    d = _tuple(dilation, nd, "dilation", op)
    if min(k) <= 0 or min(s) <= 0 or min(d) <= 0:
        raise RuntimeError(
            f"{op}(): kernel_size, stride and dilation should be greater than "
            f"zero, but got kernel_size={k}, stride={s}, dilation={d}"
        )
    for kk, pp, dd in zip(k, p, d):
        if pp > ((kk - 1) * dd + 1) // 2:
            raise RuntimeError(
                f"{op}(): pad should be at most half of effective kernel size, "
                f"but got pad={pp}, kernel_size={kk} and dilation={dd}"
            )
    if nd == 1:
        return (1,) + k, (1,) + s, (0,) + p, (1,) + d
    return k, s, p, d


def _out_hw(op, shape, k, s, p, d, ceil_mode):
    """Output (H, W) for a batched input ``shape`` (1-D ops: (N, C, L) as height 1)."""
    hw = tuple(shape[-2:]) if len(shape) == 4 else (1, shape[-1])
    out = tuple(_pool.pool_out_size(n, *g, ceil_mode) for n, *g in zip(hw, k, s, p, d))
    _pool.check_pool_size(op, hw, out, shape[1])
    return out


def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, unbatched = _batched(input, nd, op)
    k, s, p, d = _geometry(op, nd, kernel_size, stride, padding, dilation)
    _out_hw(op, tuple(x.shape), k, s, p, d, ceil_mode)
    if not return_indices:
        return _unbatch(_pool.max_pool(x, k, s, p, d, bool(ceil_mode)), unbatched)
    out, idx = _pool.max_pool(x, k, s, p, d, bool(ceil_mode), True)
    return _unbatch(out, unbatched), _unbatch(idx, unbatched)


def max_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """Max over sliding windows of ``(N, C, L)``; ``stride`` defaults to ``kernel_size``.

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``
        - Output: ``(N, C, L_out)`` (and int64 indices into L when ``return_indices``)
    """
    return _max_pool(
        "max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def max_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """Max over sliding windows of ``(N, C, H, W)``; ``stride`` defaults to ``kernel_size``.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: ``(N, C, H_out, W_out)`` (and int64 indices into H * W when
          ``return_indices``)
    """
    return _max_pool(
        "max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices
    )


def _avg_pool(
    op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
):
    x, unbatched = _batched(input, nd, op)
    k, s, p, _ = _geometry(op, nd, kernel_size, stride, padding, 1)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{op}(): divisor must be not zero")
    x4 = _shape.unsqueeze(x, 2) if nd == 1 else x
    n, c, h, w = x4.shape
    oh, ow = _out_hw(op, tuple(x4.shape), k, s, p, (1, 1), ceil_mode)
    if k == s and p == (0, 0) and h % k[0] == 0 and w % k[1] == 0:
        # windows tile the input: a reshape and a reduction, no copies of patches
        blocks = _shape.reshape(x4, (n, c, oh, k[0], ow, k[1]))
        out = blocks.mean((3, 5)) if not divisor_override else blocks.sum((3, 5)) / divisor_override
    else:
        need_h, need_w = (oh - 1) * s[0] + k[0], (ow - 1) * s[1] + k[1]
        widths = (p[1], max(need_w - w - p[1], p[1]), p[0], max(need_h - h - p[0], p[0]))
        padded = _shape.pad(x4, widths) if any(widths) else x4
        planes = _shape.reshape(padded, (n * c, 1) + tuple(padded.shape[2:]))
        kernel = ones(1, 1, *k, dtype=x.dtype)
        sums = _conv.conv(planes, kernel, None, s, (0, 0), (1, 1), 1)
        out = _shape.reshape(sums, (n, c, oh, ow)) / _pool.avg_divisor(
            (h, w), (oh, ow), k, s, p, count_include_pad, divisor_override, x._data.dtype
        )
    if nd == 1:
        out = _shape.squeeze(out, 2)
    return _unbatch(out, unbatched)


def avg_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over sliding windows of ``(N, C, L)``.

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``
        - Output: ``(N, C, L_out)``
    """
    return _avg_pool(
        "avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None
    )


def avg_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override=None,
) -> Tensor:
    """Mean over sliding windows of ``(N, C, H, W)``.

    Args:
        count_include_pad: count the zero padding in each window's divisor.
        divisor_override: divide every window sum by this instead.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: ``(N, C, H_out, W_out)``
    """
    return _avg_pool(
        "avg_pool2d",
        2,
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
    )


def _adaptive_size(output_size, in_hw, nd: int, op: str) -> tuple:
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != nd:
            raise RuntimeError(f"{op}(): output_size must be {nd}, got {tuple(output_size)}")
        return tuple(i if o is None else int(o) for o, i in zip(output_size, in_hw))
    return (int(output_size),) * nd


def _adaptive_avg(op, nd, input, output_size):
    if not isinstance(input, Tensor) or input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got "
            f"{list(input.shape) if isinstance(input, Tensor) else input!r}"
        )
    in_hw = tuple(input.shape[-nd:])
    out_hw = _adaptive_size(output_size, in_hw, nd, op)
    if min(out_hw) < 0:
        raise RuntimeError(f"{op}(): output_size must be non-negative, got {out_hw}")
    lead = tuple(input.shape[:-nd])
    if all(o > 0 and i % o == 0 for i, o in zip(in_hw, out_hw)):  # equal windows: reshape+mean
        shape, axes = lead, ()
        for i, o in zip(in_hw, out_hw):
            axes += (len(shape) + 1,)
            shape += (o, i // o)
        return _shape.reshape(input, shape).mean(axes)
    dtype = input._data.dtype
    out = matmul(input, _pool.adaptive_avg_matrix(in_hw[-1], out_hw[-1], dtype).t())
    if nd == 2:  # pool rows too: (OH, H) @ (..., H, OW)
        out = matmul(_pool.adaptive_avg_matrix(in_hw[0], out_hw[0], dtype), out)
    return out


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed length ``output_size`` (PyTorch's window rule).

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``
        - Output: ``(N, C, output_size)``
    """
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed ``(H_out, W_out)``; None in ``output_size`` keeps that dim.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: ``(N, C, H_out, W_out)``
    """
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling to a fixed ``(H_out, W_out)``; None in ``output_size`` keeps that dim.

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: ``(N, C, H_out, W_out)`` (and int64 indices into H * W)
    """
    op = "adaptive_max_pool2d"
    if not isinstance(input, Tensor) or input.ndim not in (3, 4):
        raise RuntimeError(
            f"{op}(): Expected 3D or 4D tensor, but got "
            f"{list(input.shape) if isinstance(input, Tensor) else input!r}"
        )
    x, unbatched = _batched(input, 2, op)
    out_hw = _adaptive_size(output_size, tuple(x.shape[2:]), 2, op)
    if min(out_hw) <= 0:
        raise RuntimeError(
            f"{op}(): elements of output_size must be greater than or equal to 1, got {out_hw}"
        )
    out, idx = _pool.adaptive_max_pool(x, out_hw)
    out = _unbatch(out, unbatched)
    return (out, _unbatch(idx, unbatched)) if return_indices else out


def max_unpool2d(
    input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None
) -> Tensor:
    """Inverse of max_pool2d: put each value at its recorded index, zeros elsewhere.

    Shape:
        - Input: ``(N, C, H_in, W_in)``; indices as returned by ``max_pool2d``
        - Output: ``(N, C, H_out, W_out)``, ``H_out = (H_in - 1) * stride - 2 * padding +
          kernel_size`` unless ``output_size`` is given
    """
    op = "max_unpool2d"
    x, unbatched = _batched(input, 2, op)
    k = _tuple(kernel_size, 2, "kernel_size", op)
    s = k if stride is None else _tuple(stride, 2, "stride", op)
    p = _tuple(padding, 2, "padding", op)
    default = tuple((n - 1) * ss - 2 * pp + kk for n, kk, ss, pp in zip(x.shape[2:], k, s, p))
    size = default
    if output_size is not None:
        size = tuple(int(v) for v in tuple(output_size)[-2:])
        for i, (want, d, ss) in enumerate(zip(size, default, s)):
            if not d - ss < want < d + ss:
                raise ValueError(
                    f'{op}(): invalid output_size "{tuple(output_size)}" (dim {i} '
                    f"must be between {d - ss} and {d + ss})"
                )
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(
            f"{op}(): Expected shape of indices to be same as that of the input "
            f"tensor ({shape_str(input.shape)}) but got indices tensor with shape "
            f"{shape_str(indices.shape)}"
        )
    n, c = x.shape[:2]
    idx = _shape.reshape(_shape.unsqueeze(indices, 0) if unbatched else indices, (n, c, -1))
    plane = zeros(n, c, size[0] * size[1], dtype=x.dtype)
    out = _index.scatter(plane, 2, idx, _shape.reshape(x, (n, c, -1)))
    return _unbatch(_shape.reshape(out, (n, c) + size), unbatched)
