"""Indexing: getitem/setitem, gather/scatter, index_select, masked ops, nonzero."""

from __future__ import annotations

import numpy as np

from ember._tensor import Tensor
from ember.autograd.function import Function
from ember.ops import shape as sh
from ember.ops._util import canonical_dim, shape_str


# -- __getitem__ / __setitem__ -------------------------------------------------------------------
def _convert_key(key, op: str):
    """Tensors and lists in an index become NumPy arrays; returns (key, has_advanced)."""
    items = key if isinstance(key, tuple) else (key,)
    out = []
    advanced = False
    for k in items:
        if isinstance(k, Tensor):
            k = k._data
        elif isinstance(k, (bool, np.bool_)):
            k = np.asarray(k)  # a bool scalar is a 0-d mask: a copy with a new dim of 1 or 0
        elif isinstance(k, list):
            k = np.asarray(k) if k else np.zeros(0, np.int64)  # x[[]] selects nothing
        elif isinstance(k, slice) and k.step is not None and int(k.step) <= 0:
            if int(k.step) == 0:
                raise ValueError(f"{op}: slice step cannot be zero")
            raise ValueError(f"{op}: step must be greater than zero (got slice step {k.step})")
        if isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype.kind in "iu" and (
            k.dtype != np.uint8
        ):
            k = int(k)  # a 0-d integer tensor selects like an int (a view), as in PyTorch
        if isinstance(k, np.ndarray):
            if k.dtype.kind == "f":
                raise IndexError(
                    f"{op}: tensors used as indices must be long, int, byte or bool tensors, "
                    f"got {k.dtype}"
                )
            if k.dtype == np.uint8:
                k = k.astype(bool)
            advanced = True
        elif not isinstance(k, (int, np.integer, slice, type(None), type(Ellipsis), bool)):
            raise IndexError(
                f"{op}: only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                f"Variables are valid indices (got {type(k).__name__})"
            )
        out.append(k)
    if not advanced and not any(k is Ellipsis for k in out):
        out.append(Ellipsis)  # keeps NumPy returning a 0-d view instead of a scalar copy
    return tuple(out), advanced


def _index_error(exc: Exception, shape, op: str):
    """NumPy's complaint in PyTorch's words: IndexError for bad indices, RuntimeError for a value
    that does not broadcast (NumPy's ValueError)."""
    msg = str(exc).replace("axis", "dimension").replace("array", "tensor")
    kind = RuntimeError if isinstance(exc, ValueError) else IndexError
    return kind(f"{op}: {msg} (indexing a tensor of shape {shape_str(shape)})")


class GetItem(Function):
    saves_inputs = ()  # backward reads no input values
    is_view = True  # basic indexing (ints, slices, None, ...) returns a view
    advanced = False

    @staticmethod
    def forward(ctx, x, key):
        ctx.in_shape = x.shape
        return x[key]

    @staticmethod
    def backward(ctx, grad):
        # d x[key] = grad placed at key in zeros (repeated advanced indices accumulate)
        return IndexAccumulate.apply(grad, ctx.inputs[1], ctx.in_shape, ctx.advanced), None


class AdvancedGetItem(GetItem):
    """Indexing with integer/boolean arrays: a copy, not a view."""

    is_view = False
    advanced = True


class IndexAccumulate(Function):
    """Scatter ``grad`` into zeros at ``key`` (getitem's backward); repeated indices add up."""

    saves_inputs = ()  # backward reads no input values
    @staticmethod
    def forward(ctx, g, key, shape, advanced):
        out = np.zeros(shape, dtype=g.dtype)
        if advanced:
            np.add.at(out, key, g)
        else:
            out[key] = g
        return out

    @staticmethod
    def backward(ctx, grad):
        key, advanced = ctx.inputs[1], ctx.inputs[3]
        # linear, adjoint of getitem: d accumulate = read grad back at key
        return (AdvancedGetItem if advanced else GetItem).apply(grad, key), None, None, None


def getitem(input, key):
    key, advanced = _convert_key(key, "index")
    try:
        return (AdvancedGetItem if advanced else GetItem).apply(input, key)
    except (IndexError, ValueError) as exc:
        raise _index_error(exc, input._data.shape, "index") from None


class IndexPut(Function):
    saves_inputs = ()  # backward reads no input values

    @staticmethod
    def forward(ctx, x, key, value, accumulate):
        out = x.copy()
        if accumulate:
            np.add.at(out, key, value)
        else:
            out[key] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        key, accumulate = ctx.inputs[1], ctx.inputs[3]
        need_x, need_v = ctx.needs_input_grad[0], ctx.needs_input_grad[2]
        # d x: identity, except overwritten positions (no gradient from the old values)
        gx = (grad if accumulate else IndexPut.apply(grad, key, 0.0, False)) if need_x else None
        # d value: grad read at key (summed over broadcast dims by the engine)
        gv = getitem(grad, key) if need_v else None
        return gx, None, gv, None


def _value_array(value, dtype, op):
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float, bool, np.generic, np.ndarray, list)):
        return np.asarray(value, dtype=dtype)
    raise TypeError(f"{op}: can't assign a {type(value).__name__} to a tensor")


def _put(input, key, values, accumulate: bool, op: str):
    """``input`` with ``values`` written (or added) at ``key``; values cast to input's dtype."""
    key, _ = _convert_key(key, op)
    value = _value_array(values, input._data.dtype, op)
    if isinstance(value, Tensor) and value._data.dtype != input._data.dtype:
        value = value.to(input.dtype)
    try:
        return IndexPut.apply(input, key, value, accumulate)
    except (IndexError, ValueError) as exc:
        raise _index_error(exc, input._data.shape, op) from None


def index_put(input, indices, values, accumulate: bool = False):
    """Out-of-place ``index_put``: ``indices`` is a tuple of index tensors."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(
            f"index_put(): argument 'indices' must be a tuple of Tensors, not "
            f"{type(indices).__name__}"
        )
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"index_put(): expected Tensor as element {i} in argument 'indices', but got "
                f"{type(t).__name__}"
            )
    key = tuple(indices)
    _convert_key(key, "index_put")  # index dtypes are checked first, as in PyTorch
    if isinstance(values, Tensor) and values._data.dtype != input._data.dtype:
        raise RuntimeError(
            f"index_put(): Index put requires the source and destination dtypes match, got "
            f"{input.dtype} for the destination and {values.dtype} for the source."
        )
    return _put(input, key, values, accumulate, "index_put")


def _setitem_put(input, key, value):
    return _put(input, key, value, False, "__setitem__")


def setitem(input, key, value):
    """``input[key] = value``: recorded like PyTorch's index_put_ when a gradient is involved."""
    from ember.ops.inplace import apply_inplace

    apply_inplace(input, "__setitem__", _setitem_put, key, value)


# -- gather / scatter ----------------------------------------------------------------------------
def _check_index(input, dim, index, op, other=None):
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index, got {index.dtype}")
    n = input._data.ndim
    d = canonical_dim(dim, n, op)
    if index._data.ndim != n and not (n == 0 and index._data.ndim <= 1):
        raise RuntimeError(
            f"{op}(): Index tensor must have the same number of dimensions as input tensor "
            f"(index {shape_str(index._data.shape)}, input {shape_str(input._data.shape)})"
        )
    for i, (a, b) in enumerate(zip(index._data.shape, input._data.shape)):
        if i != d and a > b:
            raise RuntimeError(
                f"{op}(): Size does not match at dimension {i} expected index "
                f"{shape_str(index._data.shape)} to be no larger than self "
                f"{shape_str(input._data.shape)} apart from dimension {d}"
            )
    if other is not None:
        for i, (a, b) in enumerate(zip(index._data.shape, other._data.shape)):
            if a > b:
                raise RuntimeError(
                    f"{op}(): Expected index {shape_str(index._data.shape)} to be no larger "
                    f"than src {shape_str(other._data.shape)} at dimension {i}"
                )
    idx = index._data
    size = input._data.shape[d] if n else 1
    if idx.size and (idx.min() < 0 or idx.max() >= size):  # PyTorch refuses negative indices
        bad = idx.max() if idx.max() >= size else idx.min()
        raise RuntimeError(
            f"{op}(): index {bad} is out of bounds for dimension {d} with size {size}"
        )
    return d


def _full_index(index: np.ndarray, dim: int):
    """Index tuple addressing ``out[i0, .., index[i], .., ik]`` for every position of ``index``."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


class Gather(Function):
    saves_inputs = (2,)  # backward reads the index only

    @staticmethod
    def forward(ctx, x, dim, index):
        ctx.in_shape = x.shape
        return x[_full_index(index, dim)]

    @staticmethod
    def backward(ctx, grad):
        _, dim, index = ctx.inputs
        zeros = Tensor._make(np.zeros(ctx.in_shape, dtype=grad._data.dtype))
        return ScatterAdd.apply(zeros, dim, index, grad), None, None  # d gather = scatter-add


class ScatterAdd(Function):
    saves_inputs = (2,)  # backward reads the index only

    @staticmethod
    def forward(ctx, x, dim, index, src):
        out = x.copy()
        np.add.at(out, _full_index(index, dim), src[tuple(slice(0, s) for s in index.shape)])
        return out

    @staticmethod
    def backward(ctx, grad):
        _, dim, index, src = ctx.inputs
        gs = None
        if ctx.needs_input_grad[3]:
            # d src = grad read where src was added; src beyond the index's shape is unused (0)
            gs = _pad_to(Gather.apply(grad, dim, index), src._data.shape)
        return grad, None, None, gs  # d x = identity


class Scatter(Function):
    saves_inputs = (2,)  # backward reads the index only

    @staticmethod
    def forward(ctx, x, dim, index, src):
        out = x.copy()
        if isinstance(src, np.ndarray) and src.ndim:
            src = src[tuple(slice(0, s) for s in index.shape)]
        out[_full_index(index, dim)] = src
        return out

    @staticmethod
    def backward(ctx, grad):
        _, dim, index, src = ctx.inputs
        # d x: identity except at the overwritten positions
        gx = Scatter.apply(grad, dim, index, 0.0) if ctx.needs_input_grad[0] else None
        gs = None
        if ctx.needs_input_grad[3]:
            # d src = grad read where src was written; src beyond the index's shape is unused
            gs = _pad_to(Gather.apply(grad, dim, index), src._data.shape)
        return gx, None, None, gs


def _pad_to(g, shape):
    """Zero-pad ``g`` at the end of each dim up to ``shape`` (src may be larger than index)."""
    if g._data.shape == tuple(shape):
        return g
    widths = []
    for have, want in reversed(list(zip(g._data.shape, shape))):
        widths += [0, want - have]
    return sh.pad(g, widths)


def gather(input, dim: int, index, *, sparse_grad: bool = False):
    d = _check_index(input, dim, index, "gather")
    if input._data.ndim == 0:  # 0-d: the one element, at the index's shape
        return sh.reshape(Gather.apply(sh.reshape(input, (1,)), 0, sh.reshape(index, (-1,))),
                          index._data.shape)
    return Gather.apply(input, d, index)


def scatter_add(input, dim: int, index, src):
    d = _check_index(input, dim, index, "scatter_add", src)
    if src._data.dtype != input._data.dtype:
        src = src.to(input.dtype)
    return ScatterAdd.apply(input, d, index, src)


def scatter(input, dim: int, index, src=None, *, value=None, reduce=None):
    if reduce is not None:
        if reduce == "add":
            return scatter_add(input, dim, index, src)
        raise RuntimeError(f"scatter(): reduce={reduce!r} is not supported; use 'add' or None")
    if src is None:
        src = value
    if isinstance(src, Tensor):
        d = _check_index(input, dim, index, "scatter", src)
        if src._data.dtype != input._data.dtype:
            src = src.to(input.dtype)
    else:
        d = _check_index(input, dim, index, "scatter")
        src = np.asarray(src, dtype=input._data.dtype)
    return Scatter.apply(input, d, index, src)


def index_select(input, dim: int, index):
    d = canonical_dim(dim, input._data.ndim, "index_select")
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError("index_select(): Expected dtype int32/int64 for index")
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    size = input._data.shape[d]
    idx = index._data.reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx.max() if idx.max() >= size else idx.min()
        raise IndexError(f"index_select(): index {bad} is out of range for dimension {d} "
                         f"with size {size}")
    return AdvancedGetItem.apply(input, (slice(None),) * d + (idx,))


def masked_fill(input, mask, value):
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill(): expected mask dtype to be Bool but got {m.dtype}")
    try:
        np.broadcast_shapes(m.shape, input._data.shape)
    except ValueError:
        raise RuntimeError(
            f"masked_fill(): the mask of shape {shape_str(m.shape)} is not broadcastable to the "
            f"input of shape {shape_str(input._data.shape)}"
        ) from None
    from ember.ops.elementwise import Where

    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value._data.ndim} dimension(s)."
            )
        value = value.to(input.dtype)
    else:
        value = np.asarray(value, dtype=input._data.dtype)
    # out of place, the result takes the broadcast shape of input and mask (as in PyTorch)
    return Where.apply(m, value, input)


def masked_select(input, mask):
    m = mask if isinstance(mask, Tensor) else Tensor._make(np.asarray(mask))
    if m._data.dtype != np.bool_:
        raise RuntimeError(f"masked_select(): expected BoolTensor for mask, got {m.dtype}")
    x, m = sh.broadcast_tensors(input, m)
    return getitem(x, m._data)


def _wrap_negative(index: Tensor, size: int) -> Tensor:
    """take_along_dim(dim=d) counts negative indices from the end, as PyTorch's does (gather and
    the flattened form refuse them)."""
    idx = index._data
    if idx.size and idx.min() < 0:
        return Tensor._make(np.where(idx < 0, idx + size, idx))
    return index


def take_along_dim(input, indices, dim=None):
    if not isinstance(indices, Tensor) or indices._data.dtype != np.int64:
        got = indices.dtype if isinstance(indices, Tensor) else type(indices).__name__
        raise RuntimeError(f"take_along_dim(): dtype of indices should be int64 (Long), got {got}")
    if dim is None:
        return gather(sh.reshape(input, (-1,)), 0, sh.reshape(indices, (-1,)))
    d = canonical_dim(dim, input._data.ndim, "take_along_dim")
    indices = _wrap_negative(indices, input._data.shape[d])
    if indices._data.ndim != input._data.ndim:
        raise RuntimeError(
            f"take_along_dim(): input and indices should have the same number of dimensions, "
            f"but got {input._data.ndim} dimensions for input (shape "
            f"{shape_str(input._data.shape)}), and {indices._data.ndim} dimensions for indices "
            f"(shape {shape_str(indices._data.shape)})"
        )
    shape_in = list(input._data.shape)
    shape_idx = list(indices._data.shape)
    shape_in[d] = shape_idx[d] = 1
    try:
        common = np.broadcast_shapes(tuple(shape_in), tuple(shape_idx))
    except ValueError:
        raise RuntimeError(
            f"take_along_dim(): input of shape {shape_str(input._data.shape)} and indices of "
            f"shape {shape_str(indices._data.shape)} do not broadcast outside dimension {d}"
        ) from None
    x = sh.expand(input, tuple(s if i != d else input._data.shape[d] for i, s in enumerate(common)))
    idx = sh.expand(indices, tuple(s if i != d else indices._data.shape[d]
                                   for i, s in enumerate(common)))
    return gather(x, d, idx)


def nonzero(input, *, as_tuple: bool = False):
    x = input._data
    if x.ndim == 0:  # PyTorch: (1, 0) or (0, 0) as a matrix; as a tuple, one index like 1-D
        hit = bool(x)
        if as_tuple:
            return (Tensor._make(np.zeros(int(hit), np.int64)),)
        return Tensor._make(np.zeros((int(hit), 0), np.int64))
    idx = np.nonzero(x)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in idx)
    return Tensor._make(np.stack(idx, axis=1).astype(np.int64))


def argwhere(input):
    return nonzero(input)


def index_add(input, dim: int, index, source, *, alpha=1):
    n = input._data.ndim
    d = canonical_dim(dim, n, "index_add")
    if not isinstance(index, Tensor) or index._data.dtype not in (np.int64, np.int32):
        got = index.dtype if isinstance(index, Tensor) else type(index).__name__
        raise RuntimeError(f"index_add(): Expected dtype int32/int64 for index but got: {got}")
    if index._data.ndim > 1:
        raise IndexError(
            f"index_add(): Index is supposed to be a vector, but got shape "
            f"{shape_str(index._data.shape)}"
        )
    if not isinstance(source, Tensor) or source._data.dtype != input._data.dtype:
        got = source.dtype if isinstance(source, Tensor) else type(source).__name__
        raise RuntimeError(
            f"index_add(): self ({input.dtype}) and source ({got}) must have the same scalar type"
        )
    idx = index._data.reshape(-1)
    s_shape, x_shape = source._data.shape, input._data.shape
    if len(s_shape) != n or any(a != b for i, (a, b) in enumerate(zip(s_shape, x_shape)) if i != d):
        raise RuntimeError(
            f"index_add(): source tensor shape must match self tensor shape, excluding the "
            f"specified dimension. Got self.shape = {list(x_shape)} source.shape = {list(s_shape)}"
        )
    n_src = s_shape[d] if n else 1
    if n_src != idx.size:
        raise RuntimeError(
            f"index_add(): Number of indices ({idx.size}) should be equal to source.size(dim) "
            f"({n_src}), for dim: {d}"
        )
    size = x_shape[d] if n else 1
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx.max() if idx.max() >= size else idx.min()
        raise RuntimeError(f"index_add(): index {bad} is out of bounds for dimension {d} "
                           f"with size {size}")
    src = source if alpha == 1 else source * alpha
    if n == 0:
        return input + src  # the single element, once
    key = (slice(None),) * d + (idx,)
    return IndexPut.apply(input, key, src, True)
