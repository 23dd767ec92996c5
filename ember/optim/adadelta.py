"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ember.optim import _kernels as K
from ember.optim._util import (
    _advance,
    _bump,
    _check_no_differentiable,
    _check_nonnegative,
    _eval_closure,
    _new_step,
    _zeros,
)
from ember.optim.optimizer import Optimizer

__all__ = ["Adadelta"]


def _adadelta_kernel(x, g, v, u, d, std, delta, lr, rho, eps, wd, maximize):
    """One Adadelta update in place; ``d``, ``std`` and ``delta`` are scratch arrays."""
    g = K.effective_grad(x, g, wd, maximize, d)
    K.ema_square_(v, g, rho, std)
    np.sqrt(np.add(v, eps, out=std), out=std)
    np.sqrt(np.add(u, eps, out=delta), out=delta)
    delta /= std
    delta *= g
    K.ema_square_(u, delta, rho, std)
    K.axpy(-lr, delta, x, delta)


class Adadelta(Optimizer):
    """Adadelta (Zeiler), with PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``, plus ``weight_decay * p``)::

        v = rho * v + (1 - rho) * g^2
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta^2
        p = p - lr * delta

    Args:
        params: parameters or parameter groups to optimize.
        lr: coefficient that scales delta before it is applied. Default: 1.0.
        rho: coefficient of the running averages. Default: 0.9.
        eps: added inside the square roots for numerical stability. Default: 1e-6.
        weight_decay: L2 penalty. Default: 0.
        foreach, capturable, differentiable: accepted for PyTorch compatibility.
        maximize: maximize the objective. Default: False.

    State (per parameter): ``step`` (scalar), ``square_avg`` and ``acc_delta`` (param's shape).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_nonnegative(("learning rate", lr))
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonnegative(("epsilon value", eps), ("weight_decay value", weight_decay))
        _check_no_differentiable("Adadelta", differentiable)
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "capturable": capturable,
            "foreach": foreach,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss (or None)."""
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, rho, eps = float(group["lr"]), group["rho"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                x = p._data
                state = self.state[p]
                if not state:
                    state["step"] = _new_step()
                    state["square_avg"] = _zeros(x)
                    state["acc_delta"] = _zeros(x)
                _advance(state["step"])
                arrays = [x, p.grad._data, *_bump(state, "square_avg", "acc_delta")]
                args = (lr, rho, eps, group["weight_decay"], group["maximize"])
                self._apply(_adadelta_kernel, arrays, 3, *args)
                p._vc[0] += 1
        return loss
