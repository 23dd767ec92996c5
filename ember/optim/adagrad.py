"""Adagrad: per-coordinate learning rates from the sum of squared past gradients."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ember._tensor import Tensor
from ember.optim import _kernels as K
from ember.optim._util import (
    _advance,
    _bump,
    _check_no_differentiable,
    _check_nonnegative,
    _eval_closure,
    _new_step,
)
from ember.optim.optimizer import Optimizer

__all__ = ["Adagrad"]


def _adagrad_kernel(x, g, s, d, std, clr, eps, wd, maximize):
    """One Adagrad update with learning rate ``clr``, in place; ``d``, ``std`` are scratch."""
    g = K.effective_grad(x, g, wd, maximize, d)
    s += np.multiply(g, g, out=std)
    np.sqrt(s, out=std)
    std += eps
    K.add_scaled_ratio_(x, g, std, -clr, std)


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), with PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``, plus ``weight_decay * p``) at step ``t``::

        s = s + g^2
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate. Default: 1e-2.
        lr_decay: learning-rate decay. Default: 0.
        weight_decay: L2 penalty. Default: 0.
        initial_accumulator_value: starting value of the sum of squares. Default: 0.
        eps: added to the denominator for numerical stability. Default: 1e-10.
        foreach, differentiable, fused: accepted for PyTorch compatibility.
        maximize: maximize the objective. Default: False.

    State (per parameter, created at construction as in PyTorch): ``step`` (scalar) and
    ``sum`` (param's shape).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_nonnegative(
            ("learning rate", lr),
            ("lr_decay value", lr_decay),
            ("weight_decay value", weight_decay),
            ("initial_accumulator_value value", initial_accumulator_value),
            ("epsilon value", eps),
        )
        _check_no_differentiable("Adagrad", differentiable)
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, initial_accumulator_value)

    def _init_state(self, p: Tensor, initial_value: float) -> dict:
        state = self.state[p]
        state["step"] = _new_step()
        state["sum"] = Tensor._make(np.full_like(p._data, initial_value))
        return state

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss (or None)."""
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = float(group["lr"]), group["lr_decay"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p] or self._init_state(
                    p, self.defaults["initial_accumulator_value"]
                )
                t = _advance(state["step"])
                clr = lr / (1 + (t - 1) * lr_decay)
                args = (clr, eps, group["weight_decay"], group["maximize"])
                arrays = [p._data, p.grad._data, *_bump(state, "sum")]
                self._apply(_adagrad_kernel, arrays, 2, *args)
                p._vc[0] += 1
        return loss
