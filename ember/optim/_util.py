"""Helpers shared by the optimizers: hyperparameter checks, state creation, closures."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ember import _dtype
from ember._tensor import Tensor
from ember.autograd.grad_mode import enable_grad


def _eval_closure(closure: Callable | None):
    """Call ``closure`` with gradient recording on (optimizer steps may run under no_grad)."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def _check_nonnegative(*checks: tuple[str, float]) -> None:
    """Raise PyTorch's ``ValueError("Invalid <what>: <value>")`` for each negative value."""
    for what, value in checks:
        if not 0.0 <= value:
            raise ValueError(f"Invalid {what}: {value}")


def _check_betas(betas) -> None:
    """Both running-average coefficients must lie in [0, 1)."""
    for i, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def _check_moment_args(lr, betas, eps, weight_decay) -> None:
    """The checks every Adam-family optimizer makes, in PyTorch's order and wording."""
    _check_nonnegative(("learning rate", lr), ("epsilon value", eps))
    _check_betas(betas)
    _check_nonnegative(("weight_decay value", weight_decay))


def _check_no_differentiable(name: str, differentiable: bool) -> None:
    """ember's update kernels run outside autograd, so they cannot be differentiated through."""
    if differentiable:
        raise NotImplementedError(f"{name}: differentiable=True is not supported by ember")


def _new_step() -> Tensor:
    """A fresh ``step`` counter: a scalar tensor (float32, float64 when that is the default)."""
    return Tensor._make(np.zeros((), _scalar_np_dtype()))


def _scalar_np_dtype():
    return np.float64 if _dtype.get_default_dtype() is _dtype.float64 else np.float32


def _zeros(x: np.ndarray) -> Tensor:
    """A state tensor of zeros shaped like the parameter storage ``x``."""
    return Tensor._make(np.zeros_like(x))


def _bump(state: dict, *keys: str) -> list:
    """The storage arrays of ``state[key]`` (None where absent), whose versions are bumped
    because the caller is about to update them in place."""
    out = []
    for key in keys:
        t = state.get(key)
        if t is not None:
            t._vc[0] += 1
        out.append(None if t is None else t._data)
    return out


def _advance(step: Tensor) -> float:
    """Increment a ``step`` counter in place and return its new value as a float."""
    s = step._data
    s += 1
    step._vc[0] += 1
    return float(s)
