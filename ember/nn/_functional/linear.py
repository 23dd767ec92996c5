"""Linear maps: ``F.linear`` (and ``F.bilinear``)."""

from __future__ import annotations

from ember._tensor import Tensor
from ember.ops._util import shape_str
from ember.ops.linalg import einsum, matmul
from ember.ops.linalg import linear as fused_linear

__all__ = ["bilinear", "linear"]


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Affine map ``input @ weight.T + bias``.

    Args:
        input: tensor whose last dimension is ``in_features``.
        weight: ``(out_features, in_features)`` (or ``(in_features,)`` for a single output).
        bias: ``(out_features,)`` or None.

    Shape:
        - Input: ``(*, in_features)``
        - Output: ``(*, out_features)`` (``(*)`` for a 1-D weight)
    """
    if not isinstance(input, Tensor):
        raise TypeError(
            f"linear(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )
    if not isinstance(weight, Tensor):
        raise TypeError(
            f"linear(): argument 'weight' (position 2) must be Tensor, not {type(weight).__name__}"
        )
    x, w = input._data, weight._data  # array metadata: cheaper than Size and dtype objects
    shape, w_shape = x.shape, w.shape
    if (  # the common case first: a 2-D weight and operands of one dtype, one fused node
        len(shape) >= 2
        and len(w_shape) == 2
        and shape[-1] == w_shape[1]
        and x.dtype == w.dtype
        and (bias is None or (bias._data.shape == w_shape[:1] and bias._data.dtype == x.dtype))
    ):
        if len(shape) == 2:
            return fused_linear(input, weight, bias)
        out = fused_linear(input.reshape(-1, shape[-1]), weight, bias)  # leading dims as rows
        return out.reshape(*shape[:-1], w_shape[0])
    if not shape or not 1 <= len(w_shape) <= 2 or shape[-1] != w_shape[-1]:
        raise RuntimeError(
            f"linear(): input of shape {shape_str(shape)} and weight of shape "
            f"{shape_str(w_shape)} can't be multiplied (expected the last "
            "dimensions to match)"
        )
    if len(shape) > 2 and len(w_shape) == 2:
        # one 2-D product instead of a batched one: the weight gradient is then a single GEMM
        out = matmul(input.reshape(-1, shape[-1]), weight.t()).reshape(*shape[:-1], w_shape[0])
    else:
        out = matmul(input, weight.t())
    if bias is not None:
        out = out + bias
    return out


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_o = x1^T A_o x2 + b_o`` for each output feature ``o``.

    Args:
        input1: ``(*, in1_features)``.
        input2: ``(*, in2_features)`` with the same leading dims as ``input1``.
        weight: ``(out_features, in1_features, in2_features)``.
        bias: ``(out_features,)`` or None.

    Shape:
        - Output: ``(*, out_features)``
    """
    for name, t in (("input1", input1), ("input2", input2), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise TypeError(f"bilinear(): argument '{name}' must be Tensor, not {type(t).__name__}")
    s1, s2, w = input1.shape, input2.shape, weight.shape
    if len(w) != 3 or not s1 or not s2 or s1[:-1] != s2[:-1] or (s1[-1], s2[-1]) != w[1:]:
        raise RuntimeError(
            f"bilinear(): input1 of shape {shape_str(s1)} and input2 of shape {shape_str(s2)} "
            f"don't fit weight of shape {shape_str(w)} (expected (out, in1, in2) with inputs "
            "(*, in1) and (*, in2) of equal leading dims)"
        )
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias
