"""In-place variants (``add_``, ``mul_``, ``clamp_``, ``x[i] = v`` ...).

Without a graph to record they write straight into the storage (ufuncs with ``out=``). When a
gradient is involved the out-of-place op is recorded on a snapshot of the old value and the
tensor is rebound to the new node, as PyTorch does; the version counter bump makes any op that
saved the old value refuse to run backward.
"""

from __future__ import annotations

import numpy as np

from ember._tensor import Tensor
from ember.autograd.function import Function
from ember.autograd.grad_mode import STATE
from ember.ops import elementwise as ew
from ember.ops._util import shape_str

_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}


def _needs_record(t: Tensor, args, name: str) -> bool:
    if not STATE.grad_enabled:
        return False
    if t.requires_grad and t.grad_fn is None:
        raise RuntimeError(
            f"{name}: a leaf Variable that requires grad (shape {shape_str(t._data.shape)}) is "
            "being used in an in-place operation. (Wrap the update in `with ember.no_grad():` "
            "or operate on `.data`.)"
        )
    return t.requires_grad or any(isinstance(a, Tensor) and a.requires_grad for a in args)


def _write(t: Tensor, arr: np.ndarray, name: str) -> None:
    dst = t._data
    if arr.shape != dst.shape:
        raise RuntimeError(
            f"{name}: output with shape {shape_str(dst.shape)} doesn't match the broadcast "
            f"shape {shape_str(arr.shape)}"
        )
    if _CATEGORY[arr.dtype.kind] > _CATEGORY[dst.dtype.kind]:
        raise RuntimeError(
            f"{name}: result type {arr.dtype} can't be cast to the desired output type {dst.dtype}"
        )
    if not dst.flags.writeable:
        raise RuntimeError(
            f"{name}: unsupported operation: more than one element of the written-to tensor "
            "refers to a single memory location (an expanded tensor); clone() it first"
        )
    np.copyto(dst, arr, casting="unsafe")
    t._vc[0] += 1


def apply_inplace(t: Tensor, name: str, op, *args) -> Tensor:
    """Make ``t`` hold ``op(t, *args)``, recording it for autograd when needed."""
    if _needs_record(t, args, name):
        view_of = t.__dict__.get("_view_of") if t.grad_fn is not None else None
        if view_of is not None:
            return _inplace_on_view(t, view_of, name, op, args)
        old = Tensor._make(t._data.copy(), t.requires_grad, t.grad_fn, t._out_idx)
        result = op(old, *args)
        _write(t, result._data, name)
        _rebind(t, result)
        return t
    result = op(t.detach(), *args)
    _write(t, result._data, name)
    return t


def _rebind(t: Tensor, result: Tensor) -> None:
    """Make ``t`` the output of ``result``'s node; the node now reads t's storage and counter."""
    node = result.grad_fn
    t.requires_grad = True
    t.grad_fn = node
    t._out_idx = result._out_idx
    if node is not None:
        node._out_data = t._data
        node._out_vc = t._vc
        node._out_version = [t._vc[0]]


def _inplace_on_view(t: Tensor, view_of, name: str, op, args) -> Tensor:
    """An in-place op on a view: the base gets a CopySlices node and the view is re-derived."""
    base, steps = view_of
    if base.requires_grad and base.grad_fn is None:
        raise RuntimeError(
            f"{name}: a view of a leaf Variable that requires grad is being used in an in-place "
            "operation. (Wrap the update in `with ember.no_grad():`.)"
        )
    if steps is None:
        raise RuntimeError(
            f"{name}: in-place operation on an output of split/chunk/unbind that is part of the "
            "autograd graph is not supported; clone() it first or use an out-of-place op"
        )
    old_view = Tensor._make(t._data.copy(), True, t.grad_fn, t._out_idx)
    new_view = op(old_view, *args)
    if new_view._data.shape != t._data.shape:
        _write(t, new_view._data, name)  # raises the shape error
    old_base = Tensor._make(base._data.copy(), base.requires_grad, base.grad_fn, base._out_idx)
    new_base = CopySlices.apply(old_base, new_view.to(base.dtype), steps)
    _write(base, new_base._data, name)
    _rebind(base, new_base)
    regenerated = _replay(base, steps)  # t is again a view of the (new) base
    t.grad_fn = regenerated.grad_fn
    t._out_idx = regenerated._out_idx
    t.requires_grad = True
    return t


def _replay(x, steps):
    """Apply recorded view steps to a Tensor (recorded) or an array (raw)."""
    for cls, extra, kwargs in steps:
        if isinstance(x, Tensor):
            x = cls.apply(x, *extra, **kwargs)
        else:
            raw = [a._data if isinstance(a, Tensor) else a for a in extra]
            x = cls.forward(cls.__new__(cls), x, *raw, **kwargs)
    return x


class CopySlices(Function):
    """``base`` with the region that ``steps`` views replaced by ``src`` (PyTorch's CopySlices)."""

    saves_inputs = ()  # backward reads no input values
    @staticmethod
    def forward(ctx, base, src, steps):
        out = base.copy()
        region = _replay(out, steps)
        if not np.shares_memory(region, out):
            raise RuntimeError("in-place operation on a view that does not share storage")
        region[...] = src
        return out

    @staticmethod
    def backward(ctx, grad):
        steps = ctx.inputs[2]
        need_base, need_src = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        zeros = Tensor._make(np.zeros((), dtype=grad._data.dtype))
        # overwritten elements get no gradient from the old base; the new values get theirs
        g_base = CopySlices.apply(grad, zeros, steps) if need_base else None
        g_src = _replay(grad, steps) if need_src else None
        return g_base, g_src, None


def _ufunc_inplace(t: Tensor, ufunc, other, name: str, op) -> Tensor:
    """Fast path of add_/sub_/mul_/div_: one ufunc call into the existing storage."""
    if _needs_record(t, (other,), name):
        return apply_inplace(t, name, op, other)
    if not isinstance(other, (Tensor, int, float, bool, np.ndarray, np.generic)):
        raise TypeError(f"{name}(): expected a Tensor or a number, got {type(other).__name__}")
    dst = t._data
    src = other._data if isinstance(other, Tensor) else other
    try:
        ufunc(dst, src, out=dst, casting="same_kind")
    except (TypeError, ValueError) as exc:  # shape or dtype refused: report like PyTorch
        if isinstance(exc, ValueError) and "read-only" not in str(exc):
            shape = np.broadcast_shapes(dst.shape, np.shape(src)) if _broadcastable(
                dst.shape, np.shape(src)) else np.shape(src)
            raise RuntimeError(
                f"{name}: output with shape {shape_str(dst.shape)} doesn't match the broadcast "
                f"shape {shape_str(shape)}"
            ) from None
        return apply_inplace(t, name, op, other)
    t._vc[0] += 1
    return t


def _broadcastable(a, b) -> bool:
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def add_(t, other, *, alpha=1):
    if alpha != 1:
        other = ew.mul(other, alpha)
    return _ufunc_inplace(t, np.add, other, "add_", ew.add)


def sub_(t, other, *, alpha=1):
    if alpha != 1:
        other = ew.mul(other, alpha)
    return _ufunc_inplace(t, np.subtract, other, "sub_", ew.sub)


def mul_(t, other):
    return _ufunc_inplace(t, np.multiply, other, "mul_", ew.mul)


def div_(t, other):
    return _ufunc_inplace(t, np.true_divide, other, "div_", ew.div)


def pow_(t, other):
    return apply_inplace(t, "pow_", ew.pow, other)


def addcmul_(t, tensor1, tensor2, *, value=1):
    return apply_inplace(t, "addcmul_", lambda x, a, b: ew.addcmul(x, a, b, value=value),
                         tensor1, tensor2)


def addcdiv_(t, tensor1, tensor2, *, value=1):
    return apply_inplace(t, "addcdiv_", lambda x, a, b: ew.addcdiv(x, a, b, value=value),
                         tensor1, tensor2)


def lerp_(t, end, weight):
    return apply_inplace(t, "lerp_", ew.lerp, end, weight)


def clamp_(t, min=None, max=None):  # noqa: A002
    return apply_inplace(t, "clamp_", lambda x: ew.clamp(x, min, max))


def unary_(t, op, name: str) -> Tensor:
    """``t = op(t)`` in place, for neg_, exp_, relu_, sigmoid_, ..."""
    return apply_inplace(t, name, op)


def fill_(t, value):
    if isinstance(value, Tensor) and value._data.ndim:
        raise RuntimeError(
            f"fill_ only supports 0-dimension value tensor but got tensor with "
            f"{value._data.ndim} dimensions."
        )
    if not isinstance(value, Tensor):
        value = np.asarray(value, dtype=t._data.dtype)
    return apply_inplace(t, "fill_", Overwrite.apply, value)


def zero_(t):
    return fill_(t, 0)


def copy_(t, src, non_blocking: bool = False):
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'src' must be Tensor, not {type(src).__name__}")
    if not _broadcastable(src._data.shape, t._data.shape) or np.broadcast_shapes(
        src._data.shape, t._data.shape
    ) != t._data.shape:
        raise RuntimeError(
            f"copy_(): the source of shape {shape_str(src._data.shape)} can't be broadcast to "
            f"the destination of shape {shape_str(t._data.shape)}"
        )
    return apply_inplace(t, "copy_", Overwrite.apply, src)


class Overwrite(Function):
    """``src`` broadcast and cast into the shape and dtype of ``x`` (fill_ and copy_)."""

    saves_inputs = ()  # backward reads no input values
    @staticmethod
    def forward(ctx, x, src):
        ctx.src_dtype = np.asarray(src).dtype
        return np.broadcast_to(src, x.shape).astype(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        # the old values are gone: no gradient for x; src gets it back in its own dtype
        if not ctx.needs_input_grad[1]:
            return None, None
        g = grad if ctx.src_dtype == grad._data.dtype else grad.to(Tensor._dtype_of(ctx.src_dtype))
        return None, g


def masked_fill_(t, mask, value):
    from ember.ops.index import masked_fill

    return apply_inplace(t, "masked_fill_", masked_fill, mask, value)


def scatter_(t, dim, index, src=None, *, value=None, reduce=None):
    from ember.ops.index import scatter

    return apply_inplace(t, "scatter_", lambda x: scatter(x, dim, index, src, value=value,
                                                          reduce=reduce))


def scatter_add_(t, dim, index, src):
    from ember.ops.index import scatter_add

    return apply_inplace(t, "scatter_add_", lambda x, s: scatter_add(x, dim, index, s), src)


def index_put_(t, indices, values, accumulate: bool = False):
    from ember.ops.index import index_put

    return apply_inplace(t, "index_put_", lambda x, v: index_put(x, indices, v, accumulate), values)
