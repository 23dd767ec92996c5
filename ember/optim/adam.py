"""Adam: adaptive moment estimation (optionally AMSGrad and decoupled weight decay)."""

from __future__ import annotations

import numbers
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

__all__ = ["Adam"]


def _check_adam_args(lr, betas, eps, weight_decay) -> None:
    """Adam's and AdamW's checks: the Adam-family ones, then PyTorch's betas type check."""
    _check_moment_args(lr, betas, eps, weight_decay)
    if not all(isinstance(b, numbers.Real) for b in betas):
        raise ValueError("betas must be either both floats or both Tensors")


def _adam_kernel(x, g, m, v, vmax, d, tmp, lr, b1, b2, eps, wd, decoupled, maximize, t):
    """One Adam update at step ``t``, in place; ``d`` and ``tmp`` are scratch arrays."""
    g = K.decayed_grad(x, g, lr, wd, decoupled, maximize, d)
    K.lerp_(m, g, 1 - b1, tmp)
    K.ema_square_(v, g, b2, tmp)
    if vmax is not None:  # AMSGrad normalizes by the largest second moment so far
        v = np.maximum(vmax, v, out=vmax)
    # m / (sqrt(v) / c + eps) = c m / (sqrt(v) + eps c) with c = sqrt(1 - beta2^t): the bias
    # correction moves into the scalar step, one pass fewer; built in d (g is no longer needed)
    c = (1 - b2**t) ** 0.5
    denom = np.sqrt(v, out=d)
    denom += eps * c
    K.add_scaled_ratio_(x, m, denom, -lr * c / (1 - b1**t), denom)


class Adam(Optimizer):
    """Adam (Kingma & Ba), with PyTorch's update rule.

    With ``g`` the gradient (negated if ``maximize``; plus ``weight_decay * p`` unless
    ``decoupled_weight_decay``, which instead scales ``p`` by ``1 - lr * weight_decay``)::

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g^2          (v_max = max(v_max, v) with amsgrad)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate. Default: 1e-3.
        betas: coefficients of the running averages of the gradient and its square.
            Default: (0.9, 0.999).
        eps: added to the denominator for numerical stability. Default: 1e-8.
        weight_decay: weight decay (L2 penalty). Default: 0.
        amsgrad: use the AMSGrad variant. Default: False.
        maximize: maximize the objective. Default: False.
        decoupled_weight_decay: decay the weights directly (AdamW). Default: False.
        foreach, capturable, differentiable, fused: accepted for PyTorch compatibility.

    State (per parameter): ``step`` (scalar), ``exp_avg`` and ``exp_avg_sq`` (param's shape),
    ``max_exp_avg_sq`` (with amsgrad).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        _check_no_differentiable(type(self).__name__, differentiable)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss (or None)."""
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, eps, wd = float(group["lr"]), group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            amsgrad, maximize = group["amsgrad"], group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                x = p._data
                state = self.state[p]
                if not state:
                    state["step"] = _new_step()
                    state["exp_avg"] = _zeros(x)
                    state["exp_avg_sq"] = _zeros(x)
                    if amsgrad:
                        state["max_exp_avg_sq"] = _zeros(x)
                t = _advance(state["step"])
                moments = _bump(state, "exp_avg", "exp_avg_sq", "max_exp_avg_sq")
                args = (lr, beta1, beta2, eps, wd, decoupled, maximize, t)
                self._apply(_adam_kernel, [x, p.grad._data, *moments], 2, *args)
                p._vc[0] += 1
        return loss
