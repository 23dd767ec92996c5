"""RAdam: Adam with a rectified adaptive learning rate (Liu et al.)."""

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

__all__ = ["RAdam"]


def _radam_kernel(x, g, m, v, d, tmp, upd, lr, b1, b2, eps, wd, decoupled, maximize, t, rect):
    """One RAdam update at step ``t`` in place (``rect`` None: unrectified step)."""
    g = K.decayed_grad(x, g, lr, wd, decoupled, maximize, d)
    K.lerp_(m, g, 1 - b1, tmp)
    K.ema_square_(v, g, b2, tmp)
    np.divide(m, 1 - b1**t, out=upd)  # bias-corrected first moment, times lr
    upd *= lr
    if rect is not None:  # times the adaptive lr sqrt(1 - beta2^t) / (sqrt(v) + eps) and rect
        np.sqrt(v, out=tmp)
        tmp += eps
        upd *= np.divide((1 - b2**t) ** 0.5, tmp, out=tmp)
        upd *= rect
    x -= upd


class RAdam(Optimizer):
    """RAdam, with PyTorch's update rule.

    With ``g`` the gradient (weight decay as in :class:`Adam`) at step ``t``::

        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
        p = p - lr * m / (1 - beta1^t) * r * sqrt(1 - beta2^t) / (sqrt(v) + eps)  (rho_t > 5)
        p = p - lr * m / (1 - beta1^t)                                             (otherwise)

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate. Default: 1e-3.
        betas: coefficients of the running averages. Default: (0.9, 0.999).
        eps: added to the denominator for numerical stability. Default: 1e-8.
        weight_decay: weight decay. Default: 0.
        decoupled_weight_decay: decay the weights directly (as AdamW). Default: False.
        foreach, capturable, differentiable: accepted for PyTorch compatibility.
        maximize: maximize the objective. Default: False.

    State (per parameter): ``step`` (scalar), ``exp_avg`` and ``exp_avg_sq`` (param's shape).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_moment_args(lr, betas, eps, weight_decay)
        _check_no_differentiable("RAdam", differentiable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss (or None)."""
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, eps, wd = float(group["lr"]), group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
            rho_inf = 2 / (1 - beta2) - 1
            for p in group["params"]:
                if p.grad is None:
                    continue
                x = p._data
                state = self.state[p]
                if not state:
                    state["step"] = _new_step()
                    state["exp_avg"] = _zeros(x)
                    state["exp_avg_sq"] = _zeros(x)
                t = _advance(state["step"])
                # the variance of the adaptive lr is tractable only once rho_t > 5
                rho_t = rho_inf - 2 * t * (beta2**t) / (1 - beta2**t)
                rect = None
                if rho_t > 5.0:
                    num = (rho_t - 4) * (rho_t - 2) * rho_inf
                    rect = (num / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                arrays = [x, p.grad._data, *_bump(state, "exp_avg", "exp_avg_sq")]
                args = (lr, beta1, beta2, eps, wd, decoupled, maximize, t, rect)
                self._apply(_radam_kernel, arrays, 3, *args)
                p._vc[0] += 1
        return loss
