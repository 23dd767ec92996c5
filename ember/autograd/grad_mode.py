"""Grad-mode switches: no_grad, enable_grad, set_grad_enabled, inference_mode (thread-local)."""

from __future__ import annotations

import functools
import threading


class _State(threading.local):
    def __init__(self):
        self.grad_enabled = True
        self.anomaly = False


STATE = _State()


def is_grad_enabled() -> bool:
    return STATE.grad_enabled


class _GradMode:
    """A context manager that is also a decorator; sets grad mode to ``self._enabled``."""

    def __init__(self, enabled: bool):
        self._enabled = enabled

    def __enter__(self):
        self._prev = STATE.grad_enabled
        STATE.grad_enabled = self._enabled

    def __exit__(self, *exc):
        STATE.grad_enabled = self._prev
        return False

    def __call__(self, fn):
        enabled = self._enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = STATE.grad_enabled
            STATE.grad_enabled = enabled
            try:
                return fn(*args, **kwargs)
            finally:
                STATE.grad_enabled = prev

        return wrapper


class _FixedMode(_GradMode):
    """A mode switch usable as ``with m():``, ``@m()`` and bare ``@m``."""

    _mode = False

    def __new__(cls, orig_func=None):
        obj = super().__new__(cls)
        obj.__init__()
        return obj(orig_func) if callable(orig_func) else obj

    def __init__(self, orig_func=None):
        super().__init__(self._mode)


class no_grad(_FixedMode):  # noqa: N801
    """Disable graph recording in the block or decorated function (``@no_grad``/``@no_grad()``)."""

    _mode = False


class enable_grad(_FixedMode):  # noqa: N801
    """Enable graph recording in the block (e.g. inside a no_grad region)."""

    _mode = True


class set_grad_enabled(_GradMode):  # noqa: N801
    """Set grad mode; like PyTorch it takes effect at construction, and the block restores it."""

    def __init__(self, mode: bool):
        super().__init__(bool(mode))
        self._prev = STATE.grad_enabled
        STATE.grad_enabled = self._enabled

    def __enter__(self):
        pass

    def __call__(self, fn):
        STATE.grad_enabled = self._prev  # used as a decorator: only the wrapped call changes mode
        return super().__call__(fn)


class inference_mode(_GradMode):  # noqa: N801
    """Like no_grad: ember keeps no per-tensor bookkeeping that inference could skip."""

    def __init__(self, mode: bool = True):
        super().__init__(not mode)
