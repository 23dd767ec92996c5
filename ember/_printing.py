"""``repr`` of tensors in PyTorch's style: ``tensor([1.5000, 2.0000], grad_fn=<MulBackward0>)``."""

from __future__ import annotations

import numpy as np

from ember import _dtype


def _float_formatter(arr: np.ndarray):
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return lambda v: f"{v}"
    amax = np.abs(finite).max()
    nonzero = np.abs(finite[finite != 0])
    amin = nonzero.min() if nonzero.size else 0.0
    if np.all(finite == np.round(finite)) and amax < 1e8:
        return lambda v: f"{v:.0f}." if np.isfinite(v) else f"{v}"
    if amax >= 1e8 or (amin and amin < 1e-4) or (amin and amax / amin > 1e3 and amax > 1e3):
        return lambda v: f"{v:.4e}"
    return lambda v: f"{v:.4f}"


def _body(arr: np.ndarray) -> str:
    if arr.size == 0:
        return "[]"
    formatter = {}
    if arr.dtype.kind == "f":
        formatter["float_kind"] = _float_formatter(arr)
    return np.array2string(arr, separator=", ", prefix="tensor(", formatter=formatter,
                           threshold=1000, edgeitems=3, max_line_width=80)


def tensor_repr(t) -> str:
    arr = t._data
    extras = []
    if arr.size == 0 and arr.ndim != 1:
        extras.append(f"size={tuple(arr.shape)}")
    dt = _dtype.from_numpy_dtype(arr.dtype)
    default = dt is _dtype.get_default_dtype() or dt is _dtype.int64 or dt is _dtype.bool_
    if not default:
        extras.append(f"dtype={dt!r}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    body = _body(arr)
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
