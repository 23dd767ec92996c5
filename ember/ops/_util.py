"""Argument normalisation shared by the op wrappers (dims, promotion, operand checks)."""

from __future__ import annotations

import numbers

import numpy as np

from ember import _dtype
from ember._tensor import Tensor

SCALARS = (int, float, bool, np.generic)
# NumPy >= 2 treats Python scalars as "weak" (NEP 50), as PyTorch does; NumPy 1.x lets a 0-d
# array with a Python scalar promote by type, so there the scalar is cast first.
_WEAK_SCALARS = int(np.__version__.split(".")[0]) >= 2


def canonical_dim(dim, ndim: int, op: str) -> int:
    """Wrap a possibly negative ``dim`` into [0, ndim); IndexError naming ``op`` otherwise."""
    n = max(ndim, 1)
    if not isinstance(dim, numbers.Integral):
        raise TypeError(f"{op}(): dim must be an int, got {type(dim).__name__}")
    if dim < -n or dim >= n:
        raise IndexError(
            f"{op}(): Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
            f"but got {dim})"
        )
    return dim + n if dim < 0 else dim


def canonical_dims(dim, ndim: int, op: str) -> tuple:
    """Normalise ``dim`` (None, int, or sequence) into a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        axes = tuple(sorted(canonical_dim(d, ndim, op) for d in dim))
        if len(set(axes)) != len(axes):
            raise RuntimeError(
                f"{op}(): dim {tuple(dim)} appears multiple times in the list of dims"
            )
        return axes
    d = canonical_dim(dim, ndim, op)
    return (d,) if ndim else ()


def as_tensor_arg(x, op: str) -> Tensor:
    """Accept a Tensor, a number or an ndarray as an operand of ``op``."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, SCALARS):
        return Tensor._make(np.asarray(x, dtype=_dtype.result_type(x)))
    if isinstance(x, np.ndarray):
        return Tensor._make(x)
    raise TypeError(f"{op}(): expected a Tensor or a number, got {type(x).__name__}")


def check_operand(x, op: str):
    if not isinstance(x, (Tensor, np.ndarray) + SCALARS):
        raise TypeError(
            f"{op}(): unsupported operand type {type(x).__name__}; expected a Tensor or a number"
        )


def promote(a, b, op: str):
    """Cast the operands of a binary op to PyTorch's result dtype.

    Tensors of another dtype go through a recorded cast; Python scalars become NumPy scalars
    of the result dtype (so NumPy 1.x value-based casting cannot change the result).
    """
    ta, tb = isinstance(a, Tensor), isinstance(b, Tensor)
    # fast paths: NumPy (1.x and 2.x) already gives PyTorch's dtype for a float tensor with a
    # Python int/float, and for an integer tensor with a Python int
    if ta and not tb:
        dt = a._data.dtype
        if (type(b) is float and dt.kind == "f") or (type(b) is int and (
                dt.kind == "f" or dt == np.int64)):
            return (a, b) if _WEAK_SCALARS else (a, dt.type(b))
    elif tb and not ta:
        dt = b._data.dtype
        if (type(a) is float and dt.kind == "f") or (type(a) is int and (
                dt.kind == "f" or dt == np.int64)):
            return (a, b) if _WEAK_SCALARS else (dt.type(a), b)
    if ta and tb:
        if a._data.dtype is b._data.dtype or a._data.dtype == b._data.dtype:
            return a, b
        dt = _dtype.result_type(a._data, b._data)
    else:
        check_operand(a, op)
        check_operand(b, op)
        dt = _dtype.result_type(a._data if ta else a, b._data if tb else b)
    return _to(a, dt), _to(b, dt)


def _to(x, dt):
    if isinstance(x, Tensor):
        if x._data.dtype == dt:
            return x
        from ember.ops.elementwise import cast

        return cast(x, _dtype.from_numpy_dtype(dt))
    if isinstance(x, np.ndarray):
        return x if x.dtype == dt else x.astype(dt)
    if type(x) is int and dt.kind in "iu":
        return np.asarray(x, dtype=np.int64).astype(dt)[()]  # wraps around like PyTorch
    return dt.type(x)


def float_input(x: Tensor) -> Tensor:
    """Integer/bool tensors become the default float dtype (as PyTorch does for exp, sqrt, ...)."""
    if x._data.dtype.kind == "f":
        return x
    from ember.ops.elementwise import cast

    return cast(x, _dtype.get_default_dtype())


def shape_str(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
