"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ember.optim import _kernels as K
from ember.optim._util import (
    _advance,
    _bump,
    _check_moment_args,
    _check_no_differentiable,
    _eval_closure,
    _new_step,
    _zeros,
)
from ember.optim.optimizer import Optimizer

__all__ = ["Adamax"]


def _adamax_kernel(x, g, m, u, d, tmp, clr, b1, b2, eps, wd, maximize):
    """One Adamax update with step size ``clr``, in place; ``d``, ``tmp`` are scratch."""
    g = K.effective_grad(x, g, wd, maximize, d)
    K.lerp_(m, g, 1 - b1, tmp)
    u *= b2  # u = max(beta2 * u, |g| + eps)
    np.abs(g, out=tmp)
    tmp += eps
    np.maximum(u, tmp, out=u)
    K.add_scaled_ratio_(x, m, u, -clr, tmp)


class Adamax(Optimizer):
    """Adamax (Kingma & Ba), with PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``, plus ``weight_decay * p``) at step ``t``::

        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1^t) * m / u

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate. Default: 2e-3.
        betas: coefficients of the running average and of the infinity norm.
            Default: (0.9, 0.999).
        eps: added to the norm for numerical stability. Default: 1e-8.
        weight_decay: L2 penalty. Default: 0.
        foreach, differentiable, capturable: accepted for PyTorch compatibility.
        maximize: maximize the objective. Default: False.

    State (per parameter): ``step`` (scalar), ``exp_avg`` and ``exp_inf`` (param's shape).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        _check_moment_args(lr, betas, eps, weight_decay)
        _check_no_differentiable("Adamax", differentiable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss (or None)."""
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, eps = float(group["lr"]), group["eps"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                x = p._data
                state = self.state[p]
                if not state:
                    state["step"] = _new_step()
                    state["exp_avg"] = _zeros(x)
                    state["exp_inf"] = _zeros(x)
                t = _advance(state["step"])
                args = (lr / (1 - beta1**t), beta1, beta2, eps, group["weight_decay"])
                arrays = [x, p.grad._data, *_bump(state, "exp_avg", "exp_inf")]
                self._apply(_adamax_kernel, arrays, 2, *args, group["maximize"])
                p._vc[0] += 1
        return loss
