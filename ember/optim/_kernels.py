"""In-place NumPy update math shared by several optimizers (arrays in, arrays updated).

Every function writes through ``out=`` into caller-provided buffers, so a step allocates
nothing of parameter size. ``tmp`` arguments are scratch arrays shaped like the parameter.
Scaled additions go through ``ember._blas`` (one BLAS pass where NumPy's BLAS has ``?axpby``,
NumPy ufuncs with the same bits otherwise).
"""

from __future__ import annotations

import numpy as np

from ember._blas import axpby, axpy

__all__ = [
    "axpby",
    "axpy",
    "effective_grad",
    "lerp_",
    "ema_square_",
    "add_scaled_ratio_",
    "decayed_grad",
]


def effective_grad(x: np.ndarray, g: np.ndarray, wd: float, maximize: bool, out: np.ndarray):
    """``(-g if maximize else g) + wd * x``: returns ``g`` itself when that is a no-op."""
    if wd == 0 and not maximize:
        return g
    if wd == 0:
        return np.negative(g, out=out)
    np.multiply(x, wd, out=out)
    return np.subtract(out, g, out=out) if maximize else np.add(out, g, out=out)


def lerp_(m: np.ndarray, g: np.ndarray, weight: float, tmp: np.ndarray) -> None:
    """``m = (1 - weight) * m + weight * g`` (PyTorch's ``lerp_``), an exponential moving
    average."""
    axpby(weight, g, 1 - weight, m, tmp)


def ema_square_(v: np.ndarray, g: np.ndarray, beta: float, tmp: np.ndarray) -> None:
    """``v = beta * v + (1 - beta) * g * g``: the running mean of squared gradients."""
    axpby(1 - beta, np.multiply(g, g, out=tmp), beta, v, tmp)


def add_scaled_ratio_(x, num: np.ndarray, den: np.ndarray, value: float, out: np.ndarray) -> None:
    """``x += value * num / den`` (PyTorch's ``addcdiv_``); ``out`` is scratch (may be ``den``)."""
    axpy(value, np.divide(num, den, out=out), x, out)


def decayed_grad(x, g, lr: float, wd: float, decoupled: bool, maximize: bool, out: np.ndarray):
    """Adam-family weight decay: decoupled scales ``x`` by ``1 - lr * wd`` in place, otherwise
    ``wd * x`` joins the gradient. Returns the gradient to use (see ``effective_grad``)."""
    if decoupled:
        if wd != 0:
            x *= 1 - lr * wd
        return effective_grad(x, g, 0, maximize, out)
    return effective_grad(x, g, wd, maximize, out)
