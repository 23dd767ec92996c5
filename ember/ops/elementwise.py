"""Elementwise arithmetic and math: Function classes and their lowercase wrappers.

Backward formulas return gradients at the output's shape; the engine sums broadcast dims.
"""

from __future__ import annotations

import math

import numpy as np

from ember import _dtype
from ember._tensor import Tensor
from ember.autograd.function import Function
from ember.autograd.grad_mode import STATE
from ember.ops._util import check_operand, float_input, promote, shape_str

# NOTE: NumPy ufuncs return NumPy scalars, not arrays, for 0-d inputs; every forward below wraps
# its result in np.asarray so a tensor's storage is always an ndarray (in-place ops write into it).


# -- binary arithmetic ---------------------------------------------------------------------------
class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return np.asarray(np.add(a, b))

    @staticmethod
    def backward(ctx, grad):
        return grad, grad  # d(a+b)/da = d(a+b)/db = 1


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        return np.asarray(np.subtract(a, b))

    @staticmethod
    def backward(ctx, grad):
        return grad, (-grad if ctx.needs_input_grad[1] else None)  # d(a-b)/db = -1


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        return np.asarray(np.multiply(a, b))

    @staticmethod
    def backward(ctx, grad):
        # ctx.input(i) reads (and version-checks) only the operand a gradient needs: the
        # backward of ``t * c`` never reads ``t``, so it survives in-place changes of ``t``
        need_a, need_b = ctx.needs_input_grad
        ga = grad * ctx.input(1) if need_a else None  # d(ab)/da = b
        gb = grad * ctx.input(0) if need_b else None  # d(ab)/db = a
        return ga, gb


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        return np.asarray(np.true_divide(a, b))

    @staticmethod
    def backward(ctx, grad):
        need_a, need_b = ctx.needs_input_grad
        b = ctx.input(1)
        ga = grad / b if need_a else None  # d(a/b)/da = 1/b
        gb = -grad * ctx.input(0) / (b * b) if need_b else None  # d(a/b)/db = -a/b^2
        return ga, gb


class Pow(Function):
    @staticmethod
    def forward(ctx, a, b):
        return np.asarray(np.power(a, b))

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.inputs
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:
            ga = grad * b * a ** (b - 1)  # d(a^b)/da = b a^(b-1)
            if np.any(_raw(b) == 0):  # NOTE: 0 * 0^-1 is nan; PyTorch takes 0 where b == 0
                ga = where(b == 0, 0.0, ga)
        if need_b:
            out = ctx.output
            base = a if isinstance(a, Tensor) else Tensor._make(np.asarray(a, out._data.dtype))
            gb = grad * out * log(base)  # d(a^b)/db = a^b ln a
            if np.any(base._data == 0):  # NOTE: 0 * -inf is nan; PyTorch: 0 where a == 0, b >= 0
                gb = where(logical_and(base == 0, b >= 0), 0.0, gb)
        return ga, gb


class Remainder(Function):
    @staticmethod
    def forward(ctx, a, b):
        return np.asarray(np.remainder(a, b))

    @staticmethod
    def backward(ctx, grad):
        if not ctx.needs_input_grad[1]:
            return grad, None  # d(a mod b)/da = 1
        a, b = ctx.inputs
        # a mod b = a - floor(a/b) b: d/da = 1, d/db = -floor(a/b)
        return grad, -grad * floor(a / b)


def _binary(cls, a, b, name):
    a, b = promote(a, b, name)
    return _apply(cls, name, a, b)


def _apply(cls, name, *operands):
    """``cls.apply(*operands)``; a NumPy broadcasting failure becomes PyTorch's RuntimeError."""
    try:
        return cls.apply(*operands)
    except ValueError:
        _check_broadcast(name, *operands)
        raise


def _check_broadcast(name, *operands):
    shapes = [np.shape(_raw(x)) for x in operands]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        pass
    else:
        return
    if len(shapes) == 2:
        sa, sb = shapes
        for d in range(1, min(len(sa), len(sb)) + 1):
            if sa[-d] != sb[-d] and sa[-d] != 1 and sb[-d] != 1:
                dim = max(len(sa), len(sb)) - d
                raise RuntimeError(
                    f"{name}(): the size of tensor a ({sa[-d]}) must match the size of tensor b "
                    f"({sb[-d]}) at non-singleton dimension {dim}; shapes {shape_str(sa)} and "
                    f"{shape_str(sb)}") from None
    raise RuntimeError(f"{name}(): shapes {', '.join(shape_str(sh) for sh in shapes)} cannot be "
                       "broadcast together") from None


def _dtype_kind(x) -> str:
    return (x._data if isinstance(x, Tensor) else np.asarray(x)).dtype.kind


def _bool_tensor(x) -> bool:
    return isinstance(x, Tensor) and x._data.dtype.kind == "b"


def _result_kind(a, b) -> str:
    """NumPy kind ('b', 'i', 'u', 'f') of the promoted dtype of a binary op's operands."""
    return _dtype.result_type(_raw(a), _raw(b)).kind


def _check_alpha(input, other, alpha, name):
    if _result_kind(input, other) in "biu" and isinstance(alpha, float):
        raise RuntimeError(
            f"{name}(): for integral input tensors, argument alpha must not be a floating point "
            f"number (got alpha={alpha})")


def add(input, other, *, alpha=1):
    if alpha != 1:
        _check_alpha(input, other, alpha, "add")
        other = mul(other, alpha)
    return _binary(Add, input, other, "add")


def sub(input, other, *, alpha=1):
    if alpha != 1:
        _check_alpha(input, other, alpha, "sub")
        other = mul(other, alpha)
    if _is_bool(input) or _is_bool(other):
        raise RuntimeError(
            "sub(): Subtraction, the `-` operator, with a bool tensor is not supported. If you "
            "are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    a, b = promote(input, other, "sub")
    return _apply(Sub, "sub", a, b)


def _is_bool(x) -> bool:
    """A bool tensor or a Python/NumPy bool operand."""
    return _bool_tensor(x) or isinstance(x, (bool, np.bool_))


def mul(input, other):
    return _binary(Mul, input, other, "mul")


def div(input, other, *, rounding_mode=None):
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode == "trunc":  # back to the operands' dtype: int // int stays int
        return trunc(div(input, other)).to(_dtype.result_type(_raw(input), _raw(other)))
    if rounding_mode is not None:
        raise RuntimeError(
            f"div(): expected rounding_mode to be one of None, 'trunc' or 'floor', "
            f"got {rounding_mode!r}")
    a, b = promote(input, other, "div")
    if not isinstance(a, Tensor) or a._data.dtype.kind != "f":  # integer true division -> float
        fdt = _dtype.get_default_dtype()
        a, b = promote(_as_float(a, fdt), _as_float(b, fdt), "div")
    return _apply(Div, "div", a, b)


def _as_float(x, fdt):
    if isinstance(x, Tensor):
        return x if x._data.dtype.kind == "f" else cast(x, fdt)
    if isinstance(x, np.ndarray):
        return x if x.dtype.kind == "f" else x.astype(fdt.np)
    return float(x)


def pow(input, exponent):  # noqa: A001 - PyTorch name
    a, b = promote(input, exponent, "pow")
    if _result_kind(a, b) in "iu" and np.any(_raw(b) < 0):
        raise RuntimeError("pow(): Integers to negative integer powers are not allowed.")
    return _apply(Pow, "pow", a, b)


def _check_int_divisor(a, b, name):
    if _result_kind(a, b) in "biu" and np.any(_raw(b) == 0):
        raise RuntimeError(f"{name}(): ZeroDivisionError (integer division by zero)")


def remainder(input, other):
    a, b = promote(input, other, "remainder")
    _check_int_divisor(a, b, "remainder")
    return _apply(Remainder, "remainder", a, b)


def floor_divide(input, other):
    """Division rounded toward minus infinity; not differentiable (as in PyTorch)."""
    _check_int_divisor(input, other, "floor_divide")
    return _compare(np.floor_divide, input, other, "floor_divide")


def neg(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError(
            "neg(): Negation, the `-` operator, on a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(input)


class Neg(Function):
    @staticmethod
    def forward(ctx, x):
        return np.asarray(np.negative(x))

    @staticmethod
    def backward(ctx, grad):
        return -grad  # d(-x) = -1


def _raw(x):
    return x._data if isinstance(x, Tensor) else x


def _const(arr) -> Tensor:
    return Tensor._make(np.asarray(arr))


# -- unary math ----------------------------------------------------------------------------------
class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        return np.asarray(np.exp(x))

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.output  # d e^x = e^x


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        return np.asarray(np.log(x))

    @staticmethod
    def backward(ctx, grad):
        return grad / ctx.inputs[0]  # d ln x = 1/x


class Log1p(Function):
    @staticmethod
    def forward(ctx, x):
        return np.asarray(np.log1p(x))

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.inputs[0] + 1)  # d ln(1+x) = 1/(1+x)


class Log2(Function):
    @staticmethod
    def forward(ctx, x):
        return np.asarray(np.log2(x))

    @staticmethod
    def backward(ctx, grad):
        return grad / (ctx.inputs[0] * math.log(2.0))  # d log2 x = 1/(x ln 2)


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        return np.asarray(np.sqrt(x))

    @staticmethod
    def backward(ctx, grad):
        return grad / (2 * ctx.output)  # d sqrt(x) = 1/(2 sqrt(x))


class Rsqrt(Function):
    @staticmethod
    def forward(ctx, x):
        return np.asarray(1.0 / np.sqrt(x))

    @staticmethod
    def backward(ctx, grad):
        y = ctx.output
        return grad * (-0.5) * y * y * y  # d x^(-1/2) = -1/2 x^(-3/2)


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        return np.asarray(np.sin(x))

    @staticmethod
    def backward(ctx, grad):
        return grad * cos(ctx.inputs[0])  # d sin = cos


class Cos(Function):
    @staticmethod
    def forward(ctx, x):
        return np.asarray(np.cos(x))

    @staticmethod
    def backward(ctx, grad):
        return -grad * sin(ctx.inputs[0])  # d cos = -sin


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        return np.asarray(np.tanh(x))

    @staticmethod
    def backward(ctx, grad):
        y = ctx.output
        return grad * (1 - y * y)  # d tanh = 1 - tanh^2


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        # NOTE: 0.5 * (1 + tanh(x/2)) never overflows, unlike 1 / (1 + exp(-x)).
        out = np.asarray(np.tanh(x * 0.5))
        out *= 0.5
        out += 0.5
        return out

    @staticmethod
    def backward(ctx, grad):
        y = ctx.output
        return grad * y * (1 - y)  # d sigma = sigma (1 - sigma)


# NumPy's maximum against a scalar 0 runs a slow non-SIMD loop (3-4x slower than against an
# array), so ReLU compares with a read-only array of zeros instead, chunk by chunk. The buffer
# is never written, so its pages stay the kernel's shared zero page: no real memory.
_ZERO_CHUNK = 1 << 18
_ZEROS: dict = {}
_ZERO_VIEWS: dict = {}  # {(shape, dtype): the zeros viewed in that shape}, for repeated shapes
_MAX_ZERO_VIEWS = 256


def _relu_array(x: np.ndarray) -> np.ndarray:
    """``max(x, 0)`` elementwise, NaN kept (not ``x * mask``: that gives -0.0 for negatives)."""
    if x.dtype.kind != "f":
        return np.asarray(np.maximum(x, 0))
    if not x.flags.c_contiguous:  # e.g. a conv output: channels-last memory seen as NCHW
        perm = np.argsort(x.strides)[::-1]
        in_memory_order = x.transpose(perm)
        if not in_memory_order.flags.c_contiguous:
            return np.asarray(np.maximum(x, 0))
        return _relu_array(in_memory_order).transpose(np.argsort(perm))  # x's own layout
    key = (x.shape, x.dtype)
    shaped = _ZERO_VIEWS.get(key)
    if shaped is not None:  # the zeros already viewed in x's shape: one NumPy call
        return np.maximum(x, shaped)
    zeros = _ZEROS.get(x.dtype)
    if zeros is None:
        zeros = _ZEROS[x.dtype] = np.zeros(_ZERO_CHUNK, x.dtype)
        zeros.flags.writeable = False
    n = x.size
    if n <= _ZERO_CHUNK:  # one call: zeros viewed in x's shape
        if len(_ZERO_VIEWS) >= _MAX_ZERO_VIEWS:
            _ZERO_VIEWS.clear()
        shaped = _ZERO_VIEWS[key] = zeros[:n].reshape(x.shape)
        return np.maximum(x, shaped)
    out = np.empty_like(x)
    flat_x, flat_out = x.reshape(-1), out.reshape(-1)
    for i in range(0, n, _ZERO_CHUNK):
        j = min(n, i + _ZERO_CHUNK)
        np.maximum(flat_x[i:j], zeros[: j - i], out=flat_out[i:j])
    return out


class Relu(Function):
    @staticmethod
    def forward(ctx, x):
        y = _relu_array(x)
        if STATE.grad_enabled:  # a backward may follow (no_grad: it cannot)
            # where the output is nonzero: x > 0, and NaN, whose gradient PyTorch passes through
            ctx.mask = y != 0
        return y

    @staticmethod
    def backward(ctx, grad):
        if STATE.grad_enabled:  # create_graph: a recorded product
            return grad * ctx.mask  # d relu = 1[x > 0 or x is NaN]
        return Tensor._make(np.multiply(grad._data, ctx.mask))  # the same, no graph to record


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.sign = np.sign(x)
        return np.asarray(np.abs(x))

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.sign  # d|x| = sign(x), 0 at 0


class PiecewiseConstant(Function):
    """sign, floor, ceil, round, trunc: flat almost everywhere, so the gradient is zero."""

    @staticmethod
    def forward(ctx, x, fn, kwargs):
        return np.asarray(fn(x, **kwargs))

    @staticmethod
    def backward(ctx, grad):
        return grad * 0, None, None  # flat almost everywhere: derivative 0


def exp(input):
    return Exp.apply(float_input(input))


def log(input):
    return Log.apply(float_input(input))


def log1p(input):
    return Log1p.apply(float_input(input))


def log2(input):
    return Log2.apply(float_input(input))


def sqrt(input):
    return Sqrt.apply(float_input(input))


def rsqrt(input):
    return Rsqrt.apply(float_input(input))


def sin(input):
    return Sin.apply(float_input(input))


def cos(input):
    return Cos.apply(float_input(input))


def tanh(input):
    return Tanh.apply(float_input(input))


def sigmoid(input):
    return Sigmoid.apply(float_input(input))


def relu(input):
    return Relu.apply(input)


def abs(input):  # noqa: A001 - PyTorch name
    return Abs.apply(input)


def square(input):
    if input._data.dtype.kind == "b":  # PyTorch: bool ** 2 is int64
        input = cast(input, _dtype.int64)
    return mul(input, input)


def sign(input):
    if input._data.dtype.kind == "b":
        return clone(input)
    return PiecewiseConstant.apply(input, np.sign, {})


# integer inputs are already whole: a copy (never the input itself, which a later in-place op
# on the result would change too)
def floor(input):
    return PiecewiseConstant.apply(input, np.floor, {}) if _is_float(input) else clone(input)


def ceil(input):
    return PiecewiseConstant.apply(input, np.ceil, {}) if _is_float(input) else clone(input)


def trunc(input):
    return PiecewiseConstant.apply(input, np.trunc, {}) if _is_float(input) else clone(input)


def round(input, *, decimals: int = 0):  # noqa: A001 - PyTorch name
    """Round half to even, like PyTorch."""
    if not _is_float(input):
        return clone(input)
    return PiecewiseConstant.apply(input, np.round, {"decimals": decimals})


def _is_float(x) -> bool:
    return x._data.dtype.kind == "f"


# -- clamping, maximum, where, lerp -------------------------------------------------------------
class Clamp(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        mask = np.ones(x.shape, dtype=bool)
        if lo is not None:
            mask &= x >= lo
        if hi is not None:
            mask &= x <= hi
        ctx.mask = mask
        return np.asarray(np.clip(x, lo, hi))

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.mask, None, None  # passes where lo <= x <= hi


def clamp(input, min=None, max=None):  # noqa: A002 - PyTorch names
    if min is None and max is None:
        raise RuntimeError("clamp(): at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        # where() hands the whole gradient to the side it picks, so on ties (x == bound) x gets
        # it, as in PyTorch (maximum/minimum would split it in halves)
        out = input
        if min is not None:
            out = where(lt(out, min), min, out)
        if max is not None:
            out = where(gt(out, max), max, out)
        return out
    check_operand(min if min is not None else max, "clamp")
    if input._data.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        input = float_input(input)
    return Clamp.apply(input, min, max)


clip = clamp


def _shares(a_loses, b_loses, tie):
    """Gradient shares of maximum/minimum (PyTorch's rule): 1 to the winner, 1/2 each on ties,
    and 1 to both where a NaN makes the comparison unordered."""
    return 1.0 - a_loses - 0.5 * tie, 1.0 - b_loses - 0.5 * tie


class Maximum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shares = _shares(a < b, a > b, a == b)
        return np.asarray(np.maximum(a, b))

    @staticmethod
    def backward(ctx, grad):
        dt = grad._data.dtype
        sa, sb = (np.asarray(s, dt) for s in ctx.shares)
        return grad * sa, grad * sb  # d max(a, b) = da where a wins, db where b wins


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.shares = _shares(a > b, a < b, a == b)
        return np.asarray(np.minimum(a, b))

    @staticmethod
    def backward(ctx, grad):
        dt = grad._data.dtype
        sa, sb = (np.asarray(s, dt) for s in ctx.shares)
        return grad * sa, grad * sb  # d min(a, b) = da where a wins, db where b wins


def maximum(input, other):
    return _binary(Maximum, input, other, "maximum")


def minimum(input, other):
    return _binary(Minimum, input, other, "minimum")


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        return np.asarray(np.where(cond, a, b))

    @staticmethod
    def backward(ctx, grad):
        need = ctx.needs_input_grad
        cond = ctx.cond
        ga = where(cond, grad, 0.0) if need[1] else None  # the gradient follows the chosen branch
        gb = where(cond, 0.0, grad) if need[2] else None
        return None, ga, gb


def where(condition, input=None, other=None):
    """``where(cond, a, b)`` selects; ``where(cond)`` is ``nonzero(cond, as_tuple=True)``"""
    if input is None and other is None:
        from ember.ops.index import nonzero

        return nonzero(condition, as_tuple=True)
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where(): expected condition to be a boolean tensor, got {cond.dtype}")
    a, b = promote(input, other, "where")
    return _apply(Where, "where", cond, a, b)


def lerp(input, end, weight):
    """``input + weight * (end - input)``."""
    return add(input, mul(weight, sub(end, input)))


def _promote_three(input, tensor1, tensor2, name):
    """The three operands cast to their common dtype, decided together as PyTorch does."""
    from ember.ops._util import _to

    for x in (input, tensor1, tensor2):
        check_operand(x, name)
    dt = _dtype.result_type(*[x._data if isinstance(x, Tensor) else x
                              for x in (input, tensor1, tensor2)])
    return _to(input, dt), _to(tensor1, dt), _to(tensor2, dt)


def addcmul(input, tensor1, tensor2, *, value=1):
    input, tensor1, tensor2 = _promote_three(input, tensor1, tensor2, "addcmul")
    return add(input, mul(mul(tensor1, tensor2), value))


def addcdiv(input, tensor1, tensor2, *, value=1):
    if _dtype_kind(tensor1) in "biu" and _dtype_kind(tensor2) in "biu":
        raise RuntimeError(
            "addcdiv(): Integer division with addcdiv is no longer supported, and in a future "
            "release addcdiv will perform a true division of tensor1 and tensor2. Use "
            "addcdiv(input, tensor1.float(), tensor2, value=value) or "
            "input + value * (tensor1 / tensor2) instead.")
    input, tensor1, tensor2 = _promote_three(input, tensor1, tensor2, "addcdiv")
    return add(input, mul(div(tensor1, tensor2), value))


# -- dtype casts and copies ----------------------------------------------------------------------
class Cast(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.src = x.dtype
        return x.astype(dtype.np)

    @staticmethod
    def backward(ctx, grad):
        return grad.to(_dtype.from_numpy_dtype(ctx.src)), None  # identity, back in input dtype


def cast(input, dtype):
    return Cast.apply(input, _dtype.to_dtype(dtype))


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad  # identity


def clone(input):
    return Clone.apply(input)


# -- comparisons and logic (never differentiable) ------------------------------------------------
def _compare(fn, a, b, name):
    if b is None or a is None:
        return None
    a, b = promote(a, b, name)
    try:
        return _const(fn(_raw(a), _raw(b)))
    except ValueError:
        _check_broadcast(name, a, b)
        raise


def eq(input, other):
    out = _compare(np.equal, input, other, "eq")
    return False if out is None else out


def ne(input, other):
    out = _compare(np.not_equal, input, other, "ne")
    return True if out is None else out


def lt(input, other):
    return _compare(np.less, input, other, "lt")


def le(input, other):
    return _compare(np.less_equal, input, other, "le")


def gt(input, other):
    return _compare(np.greater, input, other, "gt")


def ge(input, other):
    return _compare(np.greater_equal, input, other, "ge")


def logical_and(input, other):
    return _const(np.logical_and(_raw(input), _raw(other)))


def logical_or(input, other):
    return _const(np.logical_or(_raw(input), _raw(other)))


def logical_xor(input, other):
    return _const(np.logical_xor(_raw(input), _raw(other)))


def logical_not(input):
    return _const(np.logical_not(_raw(input)))


def _integral(x, name):
    if isinstance(x, Tensor) and x._data.dtype.kind == "f":
        raise TypeError(
            f"{name}(): only integer and boolean tensors are supported, got {x.dtype!r}")


def bitwise_not(input):
    _integral(input, "bitwise_not")
    return _const(np.invert(input._data))


def bitwise_and(input, other):
    _integral(input, "bitwise_and")
    _integral(other, "bitwise_and")
    return _compare(np.bitwise_and, input, other, "bitwise_and")


def bitwise_or(input, other):
    _integral(input, "bitwise_or")
    _integral(other, "bitwise_or")
    return _compare(np.bitwise_or, input, other, "bitwise_or")


def bitwise_xor(input, other):
    _integral(input, "bitwise_xor")
    _integral(other, "bitwise_xor")
    return _compare(np.bitwise_xor, input, other, "bitwise_xor")


def isnan(input):
    return _const(np.isnan(input._data))


def isinf(input):
    return _const(np.isinf(input._data))


def isfinite(input):
    return _const(np.isfinite(input._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _const(np.isclose(_raw(input), _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(np.allclose(_raw(input), _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input, other) -> bool:
    return input.shape == other.shape and bool(np.array_equal(input._data, other._data))
