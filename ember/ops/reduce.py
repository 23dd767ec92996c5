"""Reductions: sum, mean, prod, var/std, max/min, amax/amin, logsumexp, norm, cumsum, ..."""

from __future__ import annotations

import builtins
import collections

import numpy as np

from ember import _dtype
from ember._tensor import Tensor
from ember.autograd.function import Function
from ember.ops import channels as ch
from ember.ops import elementwise as ew
from ember.ops import shape as sh
from ember.ops._util import canonical_dim, canonical_dims

values_indices = collections.namedtuple("values_indices", ["values", "indices"])


def _dims(dim, ndim: int, op: str) -> tuple:
    """Reduction axes; ``None`` and an empty list/tuple both mean every dim (as in PyTorch)."""
    if isinstance(dim, (list, tuple)) and len(dim) == 0:
        dim = None
    return canonical_dims(dim, ndim, op)


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand_back(grad, in_shape, axes):
    """Broadcast a reduced gradient back over the reduced axes (differentiably)."""
    return sh.expand(sh.reshape(grad, _kept_shape(in_shape, axes)), in_shape)


_BN_AXES = (0, 2, 3, 4, 5, 6, 7)  # every axis but 1, up to 8-D


def sum_keepdims(a: np.ndarray, axes: tuple) -> np.ndarray:
    """``a.sum(axis=axes, keepdims=True)``; batch norm's case (every axis but 1) as BLAS
    matrix-vector products, 5-7x faster than NumPy's reduction over outer axes.

    Channels-last memory (conv outputs) is a (rows, C) matrix summed by ``ones @ X``;
    contiguous NCHW is (N, C, HW) summed by ``X @ ones`` then over N.
    """
    nd = a.ndim
    if nd < 3 or a.size == 0 or a.dtype not in ch.BLAS_DTYPES or axes != _BN_AXES[: nd - 1]:
        return a.sum(axis=axes, keepdims=True)
    c = a.shape[1]
    keep = (1, c) + (1,) * (nd - 2)
    rows = ch.rows_of(a)
    if rows is not None:
        return ch.sums(rows).reshape(keep)
    if a.flags.c_contiguous:
        per = a.reshape(a.shape[0], c, -1)
        return (per @ ch.ones(per.shape[2], a.dtype)).sum(axis=0).reshape(keep)
    return a.sum(axis=axes, keepdims=True)


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim, dtype):
        ctx.in_shape = x.shape
        if dtype is None and x.ndim >= 3 and axes == _BN_AXES[: x.ndim - 1]:
            out = sum_keepdims(x, axes)  # per-channel sums (bias gradients): BLAS
            return out if keepdim else out.reshape(x.shape[1])
        return np.asarray(np.sum(x, axis=axes, keepdims=keepdim, dtype=dtype))

    @staticmethod
    def backward(ctx, grad):
        return _expand_back(grad, ctx.in_shape, ctx.inputs[1]), None, None, None  # d sum = 1


def sum(input, dim=None, keepdim: bool = False, *, dtype=None):  # noqa: A001
    axes = _dims(dim, input._data.ndim, "sum")
    np_dtype = _dtype.to_dtype(dtype).np if dtype is not None else (
        np.int64 if input._data.dtype.kind in "biu" else None)
    return Sum.apply(input, axes, keepdim, np_dtype)


class SumToSize(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1
        )
        out = np.sum(x, axis=axes, keepdims=True) if axes else x
        return out.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return sh.expand(grad, ctx.in_shape), None


def sum_to_size(input, *size):
    shape = sh._size_args(size)
    if input._data.shape == shape:
        return input
    try:
        np.broadcast_shapes(shape, input._data.shape)
        ok = len(shape) <= input._data.ndim and np.broadcast_shapes(
            shape, input._data.shape) == input._data.shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"sum_to_size(): size {list(shape)} is not expandable to size "
                           f"{list(input._data.shape)}")
    return SumToSize.apply(input, shape)


def mean(input, dim=None, keepdim: bool = False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {input.dtype!r}"
        )
    axes = _dims(dim, input._data.ndim, "mean")
    count = 1
    for a in axes:
        count *= input._data.shape[a]
    return ew.div(sum(input, axes, keepdim), count if count else float("nan"))


def _correction(correction, unbiased):
    if unbiased is not None:
        return 1 if unbiased else 0
    return 1 if correction is None else correction


def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    """``sum((x - mean)^2) / (N - correction)`` over ``dim``; inf/nan when N <= correction."""
    if isinstance(dim, bool):  # legacy ``var(unbiased)`` overload: var(x, False)
        dim, unbiased = None, dim
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"var(): std and var only support floating point dtypes, got {input.dtype!r}")
    axes = _dims(dim, input._data.ndim, "var")
    n = 1
    for a in axes:
        n *= input._data.shape[a]
    centered = ew.sub(input, mean(input, axes, keepdim=True))
    # NOTE: ``max`` is this module's reduction; the Python builtin is needed here.
    denom = builtins.max(n - _correction(correction, unbiased), 0)
    return ew.div(sum(ew.mul(centered, centered), axes, keepdim), denom)


class SqrtZeroGrad(Function):
    """sqrt whose gradient at 0 is taken as 0 (PyTorch's convention for std)."""

    @staticmethod
    def forward(ctx, x):
        return np.asarray(np.sqrt(x))

    @staticmethod
    def backward(ctx, grad):
        y = ctx.output
        safe = ew.where(y == 0, 1.0, y)
        return ew.where(y == 0, 0.0, grad / (2 * safe))  # d sqrt(v) = 1/(2 sqrt(v)), 0 at v = 0


def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    if isinstance(dim, bool):  # legacy ``std(unbiased)`` overload
        dim, unbiased = None, dim
    v = var(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased)
    return SqrtZeroGrad.apply(v)


def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    v = var(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased)
    return v, mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    s = std(input, dim, correction=correction, keepdim=keepdim, unbiased=unbiased)
    return s, mean(input, dim, keepdim)


def prod(input, dim=None, keepdim: bool = False, *, dtype=None):
    """Product; the gradient uses exclusive products, so zeros in the input are handled."""
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        flat = sh.reshape(input, (-1,))
        out = sh.reshape(_prod_last(flat), ())
        return sh.reshape(out, (1,) * input._data.ndim) if keepdim else out
    d = canonical_dim(dim, input._data.ndim, "prod")
    if input._data.ndim == 0:  # a new tensor (not the input), in prod's result dtype
        return _prod_last(sh.reshape(input, (1,)))
    moved = sh.movedim(input, d, -1)
    out = _prod_last(moved)
    return sh.unsqueeze(out, d) if keepdim else out


def _prod_last(x):
    if not x.requires_grad or x._data.dtype.kind != "f":
        return Tensor._make(np.asarray(np.prod(x._data, axis=-1)))
    return ProdLast.apply(x)


class ProdLast(Function):
    @staticmethod
    def forward(ctx, x):
        return np.asarray(np.prod(x, axis=-1))

    @staticmethod
    def backward(ctx, grad):
        x = ctx.inputs[0]
        n = x._data.shape[-1]
        if n == 0:  # the empty product is the constant 1
            return x * 0
        ones = Tensor._make(np.ones(x._data.shape[:-1] + (1,), dtype=x._data.dtype))
        # d prod / d x_i = (prod of x_j, j < i) * (prod of x_j, j > i)
        left = sh.cat([ones, cumprod(sh.narrow(x, -1, 0, n - 1), -1)], -1)
        rev = sh.flip(x, -1)
        right = sh.flip(sh.cat([ones, cumprod(sh.narrow(rev, -1, 0, n - 1), -1)], -1), -1)
        return sh.unsqueeze(grad, -1) * left * right


class Amax(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim, largest, nan_ties=False):
        out = (np.amax if largest else np.amin)(x, axis=axes, keepdims=True)
        mask = x == out
        if nan_ties:  # max()/min() with no dim: a NaN result is shared among the NaN inputs
            mask |= np.isnan(x) & np.isnan(out)
        # the gradient is shared evenly among tied extreme elements (PyTorch's amax rule)
        ctx.weights = mask / np.sum(mask, axis=axes, keepdims=True)
        ctx.in_shape = x.shape
        return out if keepdim else out.reshape(
            tuple(s for i, s in enumerate(x.shape) if i not in axes))

    @staticmethod
    def backward(ctx, grad):
        axes = ctx.inputs[1]
        w = ctx.weights.astype(grad._data.dtype, copy=False)
        # d max / d x_i = 1/k for each of the k elements equal to the max, 0 elsewhere
        return _expand_back(grad, ctx.in_shape, axes) * w, None, None, None, None


def _check_nonempty(input, axes, op):
    for a in axes:
        if input._data.shape[a] == 0:
            raise IndexError(
                f"{op}(): Expected reduction dim {a} to have non-zero size."
            )
    if input._data.size == 0 and not axes:
        raise RuntimeError(
            f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")


def amax(input, dim=(), keepdim: bool = False):
    axes = _dims(dim, input._data.ndim, "amax")
    _check_nonempty(input, axes, "amax")
    return Amax.apply(input, axes, keepdim, True, False)


def amin(input, dim=(), keepdim: bool = False):
    axes = _dims(dim, input._data.ndim, "amin")
    _check_nonempty(input, axes, "amin")
    return Amax.apply(input, axes, keepdim, False, False)


class MaxDim(Function):
    @staticmethod
    def forward(ctx, x, dim, keepdim, largest):
        idx = (np.argmax if largest else np.argmin)(x, axis=dim, keepdims=True)
        values = np.take_along_axis(x, idx, axis=dim)
        ctx.idx = idx
        ctx.in_shape = x.shape
        if not keepdim:
            values, idx = values.squeeze(dim), idx.squeeze(dim)
        return values, idx.astype(np.int64, copy=False)

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        from ember.ops.index import scatter_add

        _, dim, keepdim, _ = ctx.inputs
        g = grad_values if keepdim else sh.unsqueeze(grad_values, dim)
        zeros = Tensor._make(np.zeros(ctx.in_shape, dtype=g._data.dtype))
        # the gradient goes to the selected element only
        return scatter_add(zeros, dim, Tensor._make(ctx.idx.astype(np.int64)), g), None, None, None


def _max_min(input, dim, keepdim, other, largest):
    name = "max" if largest else "min"
    if isinstance(dim, Tensor) and other is None:
        return (ew.maximum if largest else ew.minimum)(input, dim)
    if other is not None:
        return (ew.maximum if largest else ew.minimum)(input, other)
    if dim is None:
        _check_nonempty(input, (), name)
        return Amax.apply(input, tuple(range(input._data.ndim)), False, largest, True)
    d = canonical_dim(dim, input._data.ndim, name) if input._data.ndim else 0
    if input._data.ndim == 0:
        return values_indices(input, Tensor._make(np.zeros((), np.int64)))
    _check_nonempty(input, (d,), name)
    values, indices = MaxDim.apply(input, d, keepdim, largest)
    return values_indices(values, indices)


def max(input, dim=None, keepdim: bool = False, *, other=None):  # noqa: A001
    """``max(x)``: the largest value; ``max(x, dim)``: (values, indices); ``max(x, y)``: maximum."""
    return _max_min(input, dim, keepdim, other, True)


def min(input, dim=None, keepdim: bool = False, *, other=None):  # noqa: A001
    return _max_min(input, dim, keepdim, other, False)


def _arg(input, dim, keepdim, fn, name):
    if dim is None:
        out = fn(input._data.reshape(-1))
        return Tensor._make(np.asarray(out, dtype=np.int64).reshape((1,) * input.ndim if keepdim
                                                                      else ()))
    d = canonical_dim(dim, input._data.ndim, name)
    _check_nonempty(input, (d,) if input._data.ndim else (), name)
    out = fn(input._data, axis=d, keepdims=keepdim) if input._data.ndim else np.zeros((), np.int64)
    return Tensor._make(np.asarray(out, dtype=np.int64))


def argmax(input, dim=None, keepdim: bool = False):
    return _arg(input, dim, keepdim, np.argmax, "argmax")


def argmin(input, dim=None, keepdim: bool = False):
    return _arg(input, dim, keepdim, np.argmin, "argmin")


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        m = np.amax(x, axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)  # NOTE: all -inf rows would give nan without this
        out = np.log(np.sum(np.exp(x - m), axis=axes, keepdims=True)) + m
        ctx.in_shape = x.shape
        return out if keepdim else out.reshape(
            tuple(s for i, s in enumerate(x.shape) if i not in axes))

    @staticmethod
    def backward(ctx, grad):
        x = ctx.inputs[0]
        axes = ctx.inputs[1]
        out = _expand_back(ctx.output, ctx.in_shape, axes)
        return _expand_back(grad, ctx.in_shape, axes) * ew.exp(x - out), None, None  # softmax


def logsumexp(input, dim, keepdim: bool = False):
    axes = canonical_dims(dim, input._data.ndim, "logsumexp")
    return LogSumExp.apply(ew.float_input(input), axes, keepdim)


class Norm2(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdim):
        out = np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdim))
        ctx.in_shape = x.shape
        return np.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        x = ctx.inputs[0]
        axes = ctx.inputs[1]
        out = ctx.output
        # d ||x|| / dx = x / ||x||, taken as 0 where ||x|| = 0 (safe denominator avoids 0/0)
        safe = ew.where(out == 0, 1.0, out)
        return _expand_back(grad / safe, ctx.in_shape, axes) * x, None, None


class NormP(Function):
    """``(sum |x|^p)^(1/p)`` for a finite ``p`` other than 0, 1 and 2."""

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        ctx.in_shape = x.shape
        total = np.asarray(np.sum(np.abs(x) ** p, axis=axes, keepdims=keepdim))
        return total ** total.dtype.type(1.0 / p)  # NOTE: keeps float32 on NumPy 1.x too

    @staticmethod
    def backward(ctx, grad):
        x, p, axes, _ = ctx.inputs
        y = ctx.output
        # d ||x||_p / dx = sign(x) |x|^(p-1) / ||x||_p^(p-1), taken as 0 where ||x||_p = 0
        zero_norm = y == 0
        scale = ew.where(zero_norm, 0.0, grad / ew.where(zero_norm, 1.0, y) ** (p - 1))
        ax = ew.abs(x)
        if p < 1:  # NOTE: 0^(p-1) is inf for p < 1; PyTorch takes the gradient as 0 at x = 0
            zero = ax == 0
            mag = ew.where(zero, 0.0, ew.where(zero, 1.0, ax) ** (p - 1))
        else:
            mag = ax ** (p - 1)
        return _expand_back(scale, ctx.in_shape, axes) * ew.sign(x) * mag, None, None, None


def norm(input, p="fro", dim=None, keepdim: bool = False, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"norm(): input dtype should be floating point, got {input.dtype!r}")
    axes = _dims(dim, input._data.ndim, "norm")
    if p in ("fro", 2, 2.0, None):
        return Norm2.apply(input, axes, keepdim)
    if p == "nuc":
        raise RuntimeError("norm(): the nuclear norm is not supported by ember")
    if p in (float("inf"), "inf"):
        return amax(ew.abs(input), axes, keepdim)
    if p in (float("-inf"), "-inf"):
        return amin(ew.abs(input), axes, keepdim)
    if p == 0:
        return sum(ew.ne(input, 0), axes, keepdim).to(input.dtype)
    if p == 1:
        return sum(ew.abs(input), axes, keepdim)
    return NormP.apply(input, float(p), axes, keepdim)


def _logical_reduce(fn, input, dim, keepdim, name):
    axes = canonical_dims(dim, input._data.ndim, name)
    out = np.asarray(fn(input._data, axis=axes, keepdims=keepdim))
    # PyTorch keeps uint8 for uint8 input; every other dtype gives bool
    return Tensor._make(out.astype(np.uint8) if input._data.dtype == np.uint8 else out)


def all(input, dim=None, keepdim: bool = False):  # noqa: A001
    return _logical_reduce(np.all, input, dim, keepdim, "all")


def any(input, dim=None, keepdim: bool = False):  # noqa: A001
    return _logical_reduce(np.any, input, dim, keepdim, "any")


def count_nonzero(input, dim=None):
    axes = _dims(dim, input._data.ndim, "count_nonzero")
    return Tensor._make(np.asarray(np.count_nonzero(input._data, axis=axes), dtype=np.int64))


class Cumsum(Function):
    @staticmethod
    def forward(ctx, x, dim):
        return np.cumsum(x, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        d = ctx.inputs[1]
        return sh.flip(cumsum(sh.flip(grad, d), d), d), None  # reversed cumulative sum


def cumsum(input, dim: int, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    elif input._data.dtype.kind in "biu":
        input = input.to(_dtype.int64)
    d = canonical_dim(dim, input._data.ndim, "cumsum") if input._data.ndim else None
    if d is None:
        return input.clone()
    return Cumsum.apply(input, d)


class Cumprod(Function):
    @staticmethod
    def forward(ctx, x, dim):
        return np.cumprod(x, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        x, d = ctx.inputs
        if np.all(x._data != 0):
            # d out_j / d x_i = out_j / x_i for j >= i: a reversed cumulative sum
            acc = sh.flip(cumsum(sh.flip(grad * ctx.output, d), d), d)
            return acc / x, None
        return _cumprod_grad_with_zeros(x, grad, d), None


def _cumprod_grad_with_zeros(x, grad, d):
    """d out_j / d x_i = prod_{k <= j, k != i} x_k, built explicitly (O(n^2) along ``d``)."""
    xm = sh.movedim(x, d, -1)
    gm = sh.movedim(grad, d, -1)
    n = xm._data.shape[-1]
    eye = np.eye(n, dtype=bool)
    # rows[..., i, k] = x_k with x_i replaced by 1
    rows = ew.where(eye, 1.0, sh.unsqueeze(xm, -2))
    partial = cumprod(rows, -1)  # [..., i, j] = prod_{k<=j, k!=i} x_k
    upper = np.triu(np.ones((n, n), dtype=x._data.dtype))  # keep j >= i
    out = sum(partial * upper * sh.unsqueeze(gm, -2), -1)
    return sh.movedim(out, -1, d)


def cumprod(input, dim: int, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    d = canonical_dim(dim, input._data.ndim, "cumprod") if input._data.ndim else None
    if d is None:
        return input.clone()
    return Cumprod.apply(input, d)
