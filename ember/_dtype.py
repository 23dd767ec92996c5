"""dtype objects, their NumPy counterparts, the default dtype and the promotion rule (one place)."""

from __future__ import annotations

import builtins

import numpy as np


class dtype:  # noqa: N801 - PyTorch spelling
    """A tensor element type, e.g. ``ember.float32``."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category")

    def __init__(self, name: str, np_dtype, category: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = category == 2
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize
        self._category = category  # 0 bool, 1 integer, 2 floating

    def __repr__(self) -> str:
        return f"ember.{self.name}"

    def __reduce__(self):
        return (_by_name, (self.name,))

    def to_complex(self):
        raise TypeError(f"{self!r}: complex dtypes are not supported by ember")


float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
float16 = dtype("float16", np.float16, 2)
int64 = dtype("int64", np.int64, 1)
int32 = dtype("int32", np.int32, 1)
int16 = dtype("int16", np.int16, 1)
int8 = dtype("int8", np.int8, 1)
uint8 = dtype("uint8", np.uint8, 1)
bool_ = dtype("bool", np.bool_, 0)

float = float32  # noqa: A001 - PyTorch aliases
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16

_ALL = (float32, float64, float16, int64, int32, int16, int8, uint8, bool_)
_FROM_NP = {d.np: d for d in _ALL}
_NAMES = {d.name: d for d in _ALL}
_default_float = float32


def _by_name(name: str) -> dtype:
    return _NAMES[name]


def from_numpy_dtype(np_dtype) -> dtype:
    """The ember dtype of a NumPy dtype; TypeError for unsupported ones (complex, object, str)."""
    d = _FROM_NP.get(np_dtype)
    if d is None:
        d = _FROM_NP.get(np.dtype(np_dtype))
    if d is None:
        raise TypeError(
            f"can't convert NumPy array of type {np.dtype(np_dtype)}: the only supported types are "
            "float64, float32, float16, int64, int32, int16, int8, uint8 and bool"
        )
    return d


def to_dtype(d) -> dtype:
    """Normalise a dtype argument (ember dtype, NumPy dtype, Python type or name)."""
    if isinstance(d, dtype):
        return d
    if d is builtins.float:
        return float64  # PyTorch: dtype=float means torch.float64, whatever the default
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool_
    if isinstance(d, str) and d in _NAMES:
        return _NAMES[d]
    try:
        return from_numpy_dtype(np.dtype(d))
    except TypeError as exc:
        raise TypeError(f"unsupported dtype {d!r}") from exc


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d) -> None:
    """Set the dtype of new floating tensors made from Python floats (float32 or float64)."""
    global _default_float
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"set_default_dtype: only floating-point types are supported, got {d!r}")
    _default_float = d


def _scalar_category(x) -> int:
    if isinstance(x, builtins.bool):
        return 0
    if isinstance(x, builtins.int):
        return 1
    return 2


def result_type(*operands) -> np.dtype:
    """NumPy dtype of an elementwise result, following PyTorch's promotion rule.

    Operands are NumPy arrays (tensors' data) or Python scalars. Dimensioned arrays outrank
    0-dim arrays, which outrank Python scalars, unless a lower-ranked operand has a higher
    category (bool < integer < floating); a Python float then yields the default float dtype.
    """
    best = [None, None, None]  # per priority: (category, np dtype) for dim>0 arrays, 0-dim, scalars
    for op in operands:
        if isinstance(op, (np.ndarray, np.generic)):
            cat = 2 if op.dtype.kind == "f" else (0 if op.dtype.kind == "b" else 1)
            slot = 0 if op.ndim > 0 else 1
            cur = best[slot]
            if cur is None or cat > cur[0]:
                best[slot] = (cat, op.dtype)
            elif cat == cur[0] and op.dtype != cur[1]:
                best[slot] = (cat, np.promote_types(cur[1], op.dtype))
        else:
            cat = _scalar_category(op)
            cur = best[2]
            if cur is None or cat > cur[0]:
                np_dt = (np.dtype(np.bool_), np.dtype(np.int64), _default_float.np)[cat]
                best[2] = (cat, np_dt)
    result = None
    for entry in best:
        if entry is None:
            continue
        if result is None or entry[0] > result[0]:
            result = entry
    return result[1]
