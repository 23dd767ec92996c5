"""Activations: relu, gelu, softmax, log_softmax, ... (``F.*``).

Stable or erf-based ones call the fused kernels in ``ember.ops.activation``; the rest are
compositions of ember ops (their gradients come from those ops). ``inplace=True`` writes the
result into ``input`` through ``ember.ops.inplace`` (recorded for autograd like ``relu_``).
"""

from __future__ import annotations

import math
import warnings

from ember._tensor import Tensor
from ember.ops import activation as act
from ember.ops import elementwise as ew
from ember.ops import inplace as ip
from ember.ops._util import canonical_dim, shape_str

__all__ = [
    "celu",
    "elu",
    "gelu",
    "glu",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "leaky_relu",
    "log_softmax",
    "logsigmoid",
    "mish",
    "prelu",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "softmax",
    "softmin",
    "softplus",
    "softsign",
    "tanh",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _check(input, name: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(
            f"{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
        )


def _run(fn, input: Tensor, inplace: bool, name: str) -> Tensor:
    """``fn(input)``, or written into ``input`` when ``inplace``."""
    _check(input, name)
    if inplace:
        return ip.unary_(input, fn, name + "_")
    return fn(input)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0)."""
    if inplace or not isinstance(input, Tensor):
        return _run(ew.relu, input, inplace, "relu")  # checks the type, applies in place
    return ew.relu(input)


def _hardtanh(x, min_val, max_val):
    return ew.clamp(x, min_val, max_val)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """clamp(x, min_val, max_val)."""
    if min_val > max_val:
        raise ValueError(
            f"hardtanh(): min_val cannot be greater than max_val (got min_val={min_val}, "
            f"max_val={max_val})"
        )
    return _run(lambda x: _hardtanh(x, min_val, max_val), input, inplace, "hardtanh")


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return _run(lambda x: _hardtanh(x, 0.0, 6.0), input, inplace, "relu6")


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope * x otherwise."""
    return _run(lambda x: ew.where(x > 0, x, x * negative_slope), input, inplace, "leaky_relu")


def _elu(x, alpha, scale=1.0, input_scale=1.0):
    # NOTE: exp of the clamped input: exp(large x) in the unused branch would overflow to inf,
    # and inf * 0 = nan in the backward of where()
    neg = (ew.exp(ew.clamp(x, max=0.0) * input_scale) - 1.0) * alpha
    out = ew.where(x > 0, x, neg)
    return out * scale if scale != 1.0 else out


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return _run(lambda x: _elu(x, alpha), input, inplace, "elu")


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(x, alpha) with the self-normalising constants."""
    return _run(lambda x: _elu(x, _SELU_ALPHA, _SELU_SCALE), input, inplace, "selu")


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha * (exp(x / alpha) - 1) otherwise."""
    if alpha == 0:
        raise RuntimeError("celu(): ZeroDivisionError: alpha cannot be 0 for CELU")
    return _run(lambda x: _elu(x, alpha, 1.0, 1.0 / alpha), input, inplace, "celu")


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (``approximate='tanh'``: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))))."""
    _check(input, "gelu")
    if approximate == "none":
        return act.gelu(input)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * _SQRT_2_OVER_PI
        return input * 0.5 * (ew.tanh(inner) + 1.0)
    raise RuntimeError(f"gelu(): approximate argument must be either none or tanh, got "
                       f"{approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    return _run(lambda x: x * ew.sigmoid(x), input, inplace, "silu")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * tanh(softplus(x))."""
    return _run(lambda x: x * ew.tanh(act.softplus(x)), input, inplace, "mish")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta; linear where beta x > threshold."""
    _check(input, "softplus")
    return act.softplus(input, beta, threshold)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    _check(input, "softsign")
    return input / (ew.abs(input) + 1.0)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return _run(lambda x: _hardtanh(x + 3.0, 0.0, 6.0) / 6.0, input, inplace, "hardsigmoid")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x * relu6(x + 3) / 6."""
    return _run(lambda x: x * _hardtanh(x + 3.0, 0.0, 6.0) / 6.0, input, inplace, "hardswish")


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x))."""
    _check(input, "sigmoid")
    return ew.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    _check(input, "tanh")
    return ew.tanh(input)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), stable for large |x|."""
    _check(input, "logsigmoid")
    return act.logsigmoid(input)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, weight * x otherwise; ``weight`` has 1 or ``input.shape[1]`` entries.

    Shape:
        - Input: ``(N, C, *)`` (or any shape when weight has one entry)
        - Weight: ``(1,)`` or ``(C,)``
    """
    _check(input, "prelu")
    channels = input.shape[1] if input.ndim >= 2 else 1
    n = weight.numel()
    if n != 1 and n != channels:
        raise RuntimeError(
            f"prelu(): Mismatch of parameter numbers and input channel size. Found parameter "
            f"numbers = {n} and channel size = {channels} (input of shape "
            f"{shape_str(input.shape)})."
        )
    if weight.dtype != input.dtype:
        raise RuntimeError(f"prelu(): Type promoting not supported. Got {input.dtype} input and "
                           f"{weight.dtype} weight")
    if n == 1:
        w = weight.reshape(())
    else:
        w = weight.reshape((channels,) + (1,) * (input.ndim - 2))
    return ew.where(input > 0, input, input * w)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of ``input`` along ``dim``."""
    _check(input, "glu")
    if input.ndim == 0:
        raise RuntimeError("glu(): glu does not support scalars because halving size must be even")
    d = canonical_dim(dim, input.ndim, "glu")
    size = input.shape[d]
    if size % 2:
        raise RuntimeError(
            f"glu(): Halving dimension must be even, but dimension {d} is size {size} (input of "
            f"shape {shape_str(input.shape)})"
        )
    a, b = input.chunk(2, d)
    return a * ew.sigmoid(b)


def _softmax_dim(name: str, ndim: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_input(input, dim, dtype, name):
    _check(input, name)
    if dim is None:
        dim = _softmax_dim(name, input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return input, dim


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along ``dim`` (stable for large logits)."""
    input, dim = _softmax_input(input, dim, dtype, "softmax")
    return act.softmax(input, dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x - logsumexp(x) along ``dim`` (stable for large logits)."""
    input, dim = _softmax_input(input, dim, dtype, "log_softmax")
    return act.log_softmax(input, dim)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(-x) along ``dim``."""
    input, dim = _softmax_input(input, dim, dtype, "softmin")
    return act.softmax(-input, dim)
