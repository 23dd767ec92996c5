"""Anomaly detection: stop at the first op whose forward or backward produces NaN/Inf.

Unlike PyTorch's anomaly mode it also checks forward outputs, and it stays cheap: one
``isfinite`` pass per op output and one frame walk to find the user's source line.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from ember.autograd.grad_mode import STATE

_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_scope_provider = None  # set by ember.nn: the dotted path of the running module, e.g. "features.3"


def set_scope_provider(provider) -> None:
    """Register ``provider() -> str``, the name of the running layer (``ember.nn`` does this)."""
    global _scope_provider
    _scope_provider = provider


def current_scope() -> str:
    """The running layer's name for anomaly messages ("" outside any module)."""
    return _scope_provider() if _scope_provider is not None else ""


class detect_anomaly:  # noqa: N801 - PyTorch spelling
    """Context manager (and decorator) that turns on NaN/Inf checks for forward and backward."""

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self._prev = STATE.anomaly
        STATE.anomaly = self.check_nan

    def __exit__(self, *exc):
        STATE.anomaly = self._prev
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly(detect_anomaly):  # noqa: N801
    """Turn anomaly detection on or off now (and restore it when used as a context manager)."""

    def __init__(self, mode: bool, check_nan: bool = True):
        super().__init__(check_nan and mode)
        self._prev = STATE.anomaly
        STATE.anomaly = self.check_nan

    def __enter__(self):
        pass


def is_anomaly_enabled() -> bool:
    return STATE.anomaly


def user_site() -> str:
    """``file:line in function`` of the innermost frame outside ember's own package."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_EMBER_DIR):
            return f"{filename}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return "<unknown>"


def _is_bad(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind == "f" and not np.isfinite(a).all()


def _stats(arrays) -> str:
    parts = []
    for i, a in enumerate(arrays):
        if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.size:
            finite = a[np.isfinite(a)]
            rng = f"min {finite.min():.4g}, max {finite.max():.4g}" if finite.size else "no finite"
            parts.append(
                f"input {i}: shape {tuple(a.shape)}, {rng}, "
                f"{int(np.isnan(a).sum())} NaN, {int(np.isinf(a).sum())} Inf"
            )
        elif isinstance(a, np.ndarray):
            parts.append(f"input {i}: shape {tuple(a.shape)}, dtype {a.dtype}")
        else:
            parts.append(f"input {i}: {a!r}")
    return "; ".join(parts)


def _where(site: str) -> str:
    scope = current_scope()
    return f"{site}" + (f" (in module '{scope}')" if scope else "")


def checked_apply(cls, ctx, args, arrays, kwargs, record):
    """Function.apply under anomaly mode: run forward, check its outputs, remember the site."""
    from ember.autograd.function import _wrap_outputs

    site = _where(user_site())
    ctx._site = site
    out = cls.forward(ctx, *arrays, **kwargs)
    outs = out if type(out) is tuple else (out,)
    if any(_is_bad(o) for o in outs):
        raise RuntimeError(
            f"anomaly detected: forward of '{cls.__name__}' produced NaN/Inf, created at {site}. "
            f"Inputs: {_stats(arrays)}"
        )
    return _wrap_outputs(cls, ctx, args, out, record, kwargs)


def check_backward(node, grads_in, grads_out) -> None:
    """Raise if ``node``'s backward returned a non-finite gradient."""
    for i, g in enumerate(grads_in):
        if g is not None and _is_bad(g._data):
            raise RuntimeError(
                f"anomaly detected: function '{node.name()}' returned NaN/Inf values in its "
                f"gradient for input {i}; the op was created at {node._site or '<unknown>'}. "
                "Incoming gradients: "
                + _stats([o._data if o is not None else None for o in grads_out])
            )
