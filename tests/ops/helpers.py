"""Helpers shared by the ops tests: the optional torch oracle and error-parity checks."""

from __future__ import annotations

import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:  # parity halves of the tests are skipped
    torch = None

LIBS = [ember] + ([torch] if torch is not None else [])


def arange(lib, *shape, requires_grad=False):
    """``lib.tensor`` of 0, 1, 2, ... in float64 with the given shape."""
    x = lib.tensor(np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape))
    return x.requires_grad_(True) if requires_grad else x


def check_error(fn, exc_type, *fragments):
    """``fn(lib)`` raises ``exc_type`` in ember, with every fragment in the message, and the same
    exception type in PyTorch."""
    with pytest.raises(exc_type) as info:
        fn(ember)
    msg = str(info.value)
    for f in fragments:
        assert f in msg, f"{f!r} not in {msg!r}"
    if torch is not None:
        with pytest.raises(exc_type):
            fn(torch)


lib_param = pytest.mark.parametrize("lib", LIBS, ids=lambda m: m.__name__)


def dtype_name(t) -> str:
    """``float32`` for ember.float32 and torch.float32 alike."""
    return str(t.dtype).split(".")[-1]


def grads_of(lib, fn, *values, weights=None):
    """Run ``fn`` on float64 leaves made from ``values``; return (output array, input grads)."""
    xs = [lib.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for v in values]
    out = fn(*xs)
    w = np.ones(tuple(out.shape)) if weights is None else np.asarray(weights, dtype=np.float64)
    (out * lib.tensor(w)).sum().backward()
    return out.detach().numpy(), [None if x.grad is None else x.grad.numpy() for x in xs]
