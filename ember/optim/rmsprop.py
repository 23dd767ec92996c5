"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

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

__all__ = ["RMSprop"]


def _rmsprop_kernel(x, g, v, mean_g, buf, d, tmp, avg, lr, alpha, eps, wd, maximize, momentum):
    """One RMSprop update in place; ``d``, ``tmp`` and ``avg`` are scratch arrays."""
    g = K.effective_grad(x, g, wd, maximize, d)
    K.ema_square_(v, g, alpha, tmp)
    if mean_g is not None:  # centered: normalize by the variance estimate v - E[g]^2
        K.lerp_(mean_g, g, 1 - alpha, tmp)
        np.multiply(mean_g, mean_g, out=avg)
        np.sqrt(np.subtract(v, avg, out=avg), out=avg)
    else:
        np.sqrt(v, out=avg)
    avg += eps
    if buf is not None:  # buf = momentum * buf + g / avg;  p -= lr * buf
        K.axpby(1.0, np.divide(g, avg, out=tmp), momentum, buf, tmp)
        K.axpy(-lr, buf, x, tmp)
    else:
        K.add_scaled_ratio_(x, g, avg, -lr, avg)


class RMSprop(Optimizer):
    """RMSprop (Hinton), with PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``, plus ``weight_decay * p``)::

        v = alpha * v + (1 - alpha) * g^2
        a = sqrt(v - mean_g^2) + eps   (centered: mean_g = lerp(mean_g, g, 1 - alpha))
        a = sqrt(v) + eps              (otherwise)
        b = momentum * b + g / a;  p = p - lr * b      (momentum > 0)
        p = p - lr * g / a                             (momentum == 0)

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate. Default: 1e-2.
        alpha: smoothing constant. Default: 0.99.
        eps: added to the denominator for numerical stability. Default: 1e-8.
        weight_decay: L2 penalty. Default: 0.
        momentum: momentum factor. Default: 0.
        centered: normalize by an estimate of the gradient's variance. Default: False.
        capturable, foreach, differentiable: accepted for PyTorch compatibility.
        maximize: maximize the objective. Default: False.

    State (per parameter): ``step`` (scalar), ``square_avg``, ``momentum_buffer`` (momentum > 0)
    and ``grad_avg`` (centered), all of the param's shape.
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_nonnegative(
            ("learning rate", lr),
            ("epsilon value", eps),
            ("momentum value", momentum),
            ("weight_decay value", weight_decay),
            ("alpha value", alpha),
        )
        _check_no_differentiable("RMSprop", differentiable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss (or None)."""
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = float(group["lr"]), group["alpha"], group["eps"]
            momentum, centered = group["momentum"], group["centered"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                x = p._data
                state = self.state[p]
                if not state:
                    state["step"] = _new_step()
                    state["square_avg"] = _zeros(x)
                    if momentum > 0:
                        state["momentum_buffer"] = _zeros(x)
                    if centered:
                        state["grad_avg"] = _zeros(x)
                _advance(state["step"])
                arrays = [
                    x,
                    p.grad._data,
                    *_bump(state, "square_avg", "grad_avg", "momentum_buffer"),
                ]
                args = (lr, alpha, eps, group["weight_decay"], group["maximize"], momentum)
                self._apply(_rmsprop_kernel, arrays, 3, *args)
                p._vc[0] += 1
        return loss
