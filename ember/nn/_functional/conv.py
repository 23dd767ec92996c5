"""Convolutions: conv1d/2d, conv_transpose1d/2d, unfold/fold (``F.*``).

Each function validates shapes (PyTorch's exception types, messages naming both shapes) and
calls the kernels of ``ember.ops.conv``; 1-D convolutions run as 2-D ones with height 1.
"""

from __future__ import annotations

from ember._tensor import Tensor
from ember.ops import conv as _conv
from ember.ops import shape as _shape
from ember.ops._util import shape_str

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


def _tuple(value, n: int, name: str, op: str) -> tuple:
    if value.__class__ is tuple and len(value) == n and set(map(type, value)) == _INT:
        return value  # what the modules pass: already a tuple of n ints
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise RuntimeError(
                f"{op}(): expected {name} to be a single integer value or a list "
                f"of {n} values to match the convolution dimensions, but got "
                f"{name}={list(value)}"
            )
        return tuple(int(v) for v in value)
    return (int(value),) * n


_INT = {int}


def _as2d(values: tuple, fill: int) -> tuple:
    """1-D geometry as the 2-D pair the kernels use (height 1)."""
    return values if len(values) == 2 else (fill, values[0])


def _check_tensor(x, name: str, op: str, pos: int) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{op}(): argument '{name}' (position {pos}) must be Tensor, not {type(x).__name__}"
        )


def _prepare(op, nd, input, weight, bias, transposed):
    """Shared checks; returns (input with a batch dim, was it unbatched)."""
    _check_tensor(input, "input", op, 1)
    _check_tensor(weight, "weight", op, 2)
    ndim = input._data.ndim  # array metadata: cheaper than building Size/dtype objects
    if ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"{op}(): Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {op}, but "
            f"got input of size: {list(input.shape)}"
        )
    if weight._data.ndim != nd + 2:
        raise RuntimeError(
            f"{op}(): expected weight to be {nd + 2}-dimensional, got weight of "
            f"shape {shape_str(weight.shape)}"
        )
    dt = input._data.dtype
    other = weight if weight._data.dtype != dt else bias
    if other is not None and other._data.dtype != dt:
        which = "weight" if other is weight else "bias"
        raise RuntimeError(
            f"{op}(): Input type ({input.dtype}) and {which} type ({other.dtype}) should be "
            "the same"
        )
    unbatched = ndim == nd + 1
    if unbatched:
        input = _shape.unsqueeze(input, 0)
    return input, unbatched


def _check_channels(op, input, weight, groups, transposed):
    c = input._data.shape[1]
    w_shape = weight._data.shape
    expected = w_shape[0] if transposed else w_shape[1] * groups
    if groups <= 0:
        raise RuntimeError(f"{op}(): non-positive groups is not supported (got groups={groups})")
    if not transposed and w_shape[0] % groups:
        raise RuntimeError(
            f"{op}(): Given groups={groups}, expected weight to be divisible by {groups} at "
            f"dimension 0, but got weight of size {list(weight.shape)} instead"
        )
    if c != expected or (transposed and c % groups):
        raise RuntimeError(
            f"{op}(): Given {'transposed=1' if transposed else f'groups={groups}'}, weight of "
            f"size {list(weight.shape)}, expected input{list(input.shape)} to have {expected} "
            f"channels, but got {c} channels instead"
        )


def _convnd(op, nd, input, weight, bias, stride, padding, dilation, groups):
    input, unbatched = _prepare(op, nd, input, weight, bias, False)
    _check_channels(op, input, weight, groups, False)
    stride = _tuple(stride, nd, "stride", op)
    dilation = _tuple(dilation, nd, "dilation", op)
    ksize = weight._data.shape[2:]
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"{op}(): Invalid padding string: {padding!r}")
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError(f"{op}(): padding='same' is not supported for strided convolutions")
        totals = [d * (k - 1) if padding == "same" else 0 for d, k in zip(dilation, ksize)]
        padding = tuple(t // 2 for t in totals)
        extra = []  # an odd total puts the extra zero on the right (PyTorch's choice)
        for t in reversed(totals):
            extra += [0, t % 2]
        if any(extra):
            input = _shape.pad(input, extra)
    else:
        padding = _tuple(padding, nd, "padding", op)
    for size, k, p, d in zip(input._data.shape[2:], ksize, padding, dilation):
        if size + 2 * p < d * (k - 1) + 1:
            padded = " x ".join(str(s + 2 * q) for s, q in zip(input.shape[2:], padding))
            kern = " x ".join(str(d_ * (k_ - 1) + 1) for k_, d_ in zip(ksize, dilation))
            raise RuntimeError(
                f"{op}(): Calculated padded input size per channel: ({padded}). Kernel size: "
                f"({kern}). Kernel size can't be greater than actual input size (input of "
                f"shape {shape_str(input.shape)}, weight of shape {shape_str(weight.shape)})"
            )
    if bias is not None and bias._data.shape != weight._data.shape[:1]:
        raise RuntimeError(
            f"{op}(): Given weight of size {list(weight.shape)}, expected bias "
            f"to be 1-dimensional with {weight.shape[0]} elements, but got bias "
            f"of size {list(bias.shape)} instead"
        )
    out = _conv.conv(
        input, weight, bias, _as2d(stride, 1), _as2d(padding, 0), _as2d(dilation, 1), groups
    )
    return _shape.squeeze(out, 0) if unbatched else out


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution (cross-correlation) over ``(N, C_in, L)``.

    Args:
        weight: ``(C_out, C_in / groups, k)``; bias: ``(C_out,)`` or None.
        padding: int, tuple, ``'same'`` or ``'valid'``.

    Shape:
        - Input: ``(N, C_in, L)`` or ``(C_in, L)``
        - Output: ``(N, C_out, L_out)``
    """
    return _convnd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation) over ``(N, C_in, H, W)``.

    Args:
        weight: ``(C_out, C_in / groups, kH, kW)``; bias: ``(C_out,)`` or None.
        padding: int, pair, ``'same'`` or ``'valid'``.

    Shape:
        - Input: ``(N, C_in, H, W)`` or ``(C_in, H, W)``
        - Output: ``(N, C_out, H_out, W_out)``,
          ``H_out = (H + 2 * padding - dilation * (kH - 1) - 1) // stride + 1``
    """
    return _convnd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def _conv_transposend(
    op, nd, input, weight, bias, stride, padding, output_padding, groups, dilation
):
    input, unbatched = _prepare(op, nd, input, weight, bias, True)
    _check_channels(op, input, weight, groups, True)
    stride = _tuple(stride, nd, "stride", op)
    padding = _tuple(padding, nd, "padding", op)
    output_padding = _tuple(output_padding, nd, "output_padding", op)
    dilation = _tuple(dilation, nd, "dilation", op)
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= s and op_ >= d:
            raise RuntimeError(
                f"{op}(): output padding must be smaller than either stride or dilation, but "
                f"got output_padding={output_padding}, stride={stride}, dilation={dilation}"
            )
    c_out = weight.shape[1] * groups
    sizes = tuple(
        (h - 1) * s - 2 * p + d * (k - 1) + q + 1
        for h, s, p, d, k, q in zip(
            input.shape[2:], stride, padding, dilation, weight.shape[2:], output_padding
        )
    )
    if min(sizes) <= 0:
        raise RuntimeError(
            f"{op}(): output size {sizes} is too small for input of shape "
            f"{shape_str(input.shape)} and weight of shape "
            f"{shape_str(weight.shape)}"
        )
    out = _conv.conv_transpose(
        input,
        weight,
        (input.shape[0], c_out, *sizes),
        _as2d(stride, 1),
        _as2d(padding, 0),
        _as2d(dilation, 1),
        groups,
    )
    if bias is not None:
        out = out + _shape.reshape(bias, (-1,) + (1,) * nd)
    return _shape.squeeze(out, 0) if unbatched else out


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """1-D transposed convolution (the gradient of conv1d with respect to its input).

    Args:
        weight: ``(C_in, C_out / groups, k)``.

    Shape:
        - Input: ``(N, C_in, L)``
        - Output: ``(N, C_out, (L - 1) * stride - 2 * padding + dilation * (k - 1)
          + output_padding + 1)``
    """
    return _conv_transposend(
        "conv_transpose1d",
        1,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """2-D transposed convolution (the gradient of conv2d with respect to its input).

    Args:
        weight: ``(C_in, C_out / groups, kH, kW)``.

    Shape:
        - Input: ``(N, C_in, H, W)``
        - Output: ``(N, C_out, H_out, W_out)``, ``H_out = (H - 1) * stride - 2 * padding
          + dilation * (kH - 1) + output_padding + 1``
    """
    return _conv_transposend(
        "conv_transpose2d",
        2,
        input,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
    )


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Extract sliding blocks (im2col): ``(N, C, H, W) -> (N, C * kH * kW, L)``."""
    _check_tensor(input, "input", "unfold", 1)
    if input.ndim not in (3, 4):
        raise RuntimeError(
            f"unfold(): Input Error: Only 3D or 4D input Tensors are supported (got "
            f"{input.ndim}D, shape {shape_str(input.shape)})"
        )
    kernel = _tuple(kernel_size, 2, "kernel_size", "unfold")
    geo = [
        _tuple(v, 2, n, "unfold")
        for v, n in ((dilation, "dilation"), (padding, "padding"), (stride, "stride"))
    ]
    unbatched = input.ndim == 3
    x = _shape.unsqueeze(input, 0) if unbatched else input
    for size, k, d, p, s in zip(x.shape[2:], kernel, *geo):
        if _conv.out_size(size, k, s, p, d) <= 0:
            raise RuntimeError(
                f"unfold(): Given input with spatial size {tuple(x.shape[2:])}, kernel_size="
                f"{kernel}, dilation={geo[0]}, padding={geo[1]}, calculated shape of the array "
                "of sliding blocks is non-positive"
            )
    out = _conv.im2col(x, kernel, *geo)
    return _shape.squeeze(out, 0) if unbatched else out


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Combine sliding blocks (col2im, overlaps summed): ``(N, C*kH*kW, L) -> (N, C, H, W)``."""
    _check_tensor(input, "input", "fold", 1)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"fold(): Input Error: Only unbatched (2D) or batched (3D) input Tensors are "
            f"supported (got {input.ndim}D, shape {shape_str(input.shape)})"
        )
    size = _tuple(output_size, 2, "output_size", "fold")
    kernel = _tuple(kernel_size, 2, "kernel_size", "fold")
    geo = [
        _tuple(v, 2, n, "fold")
        for v, n in ((dilation, "dilation"), (padding, "padding"), (stride, "stride"))
    ]
    unbatched = input.ndim == 2
    x = _shape.unsqueeze(input, 0) if unbatched else input
    kk = kernel[0] * kernel[1]
    if x.shape[1] % kk:
        raise RuntimeError(
            f"fold(): Expected size of input's dimension 1 to be divisible by the product of "
            f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size={kernel}"
        )
    blocks = [_conv.out_size(n, k, s, p, d) for n, k, d, p, s in zip(size, kernel, *geo)]
    if blocks[0] * blocks[1] != x.shape[2]:
        raise RuntimeError(
            f"fold(): Given output_size={size}, kernel_size={kernel}, dilation={geo[0]}, "
            f"padding={geo[1]}, stride={geo[2]}, expected size of input's dimension 2 to match "
            f"the calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
            f"{blocks[0] * blocks[1]}, but got input.size(2)={x.shape[2]}."
        )
    out = _conv.col2im(x, size, kernel, *geo)
    return _shape.squeeze(out, 0) if unbatched else out
