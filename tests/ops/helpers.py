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
