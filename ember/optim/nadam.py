"""NAdam: Adam with Nesterov momentum (Dozat), with momentum decay."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ember._tensor import Tensor
from ember.optim import _kernels as K
from ember.optim._util import (
    _advance,
    _bump,
    _check_moment_args,
    _check_no_differentiable,
    _check_nonnegative,
    _eval_closure,
    _new_step,
    _scalar_np_dtype,
    _zeros,
)
from ember.optim.optimizer import Optimizer

__all__ = ["NAdam"]


def _nadam_kernel(x, g, m, v, d, tmp, denom, lr, b1, b2, eps, wd, decoupled, maximize, coef):
    """One NAdam update in place; ``coef = (t, c_grad, c_avg)``; d, tmp, denom are scratch."""
    t, c_grad, c_avg = coef
    g = K.decayed_grad(x, g, lr, wd, decoupled, maximize, d)
    K.lerp_(m, g, 1 - b1, tmp)
    K.ema_square_(v, g, b2, tmp)
    np.divide(v, 1 - b2**t, out=denom)  # denom = sqrt(v / (1 - beta2^t)) + eps
    np.sqrt(denom, out=denom)
    denom += eps
    K.add_scaled_ratio_(x, g, denom, c_grad, tmp)
    K.add_scaled_ratio_(x, m, denom, c_avg, tmp)


class NAdam(Optimizer):
    """NAdam, with PyTorch's update rule.

    With ``g`` the gradient (weight decay as in :class:`Adam`) at step ``t``::

        mu_t = beta1 * (1 - 0.5 * 0.96^(t * momentum_decay));  P_t = mu_1 * ... * mu_t
        m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
        denom = sqrt(v / (1 - beta2^t)) + eps
        p = p - lr * (1 - mu_t) / (1 - P_t) * g / denom
              - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / denom

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate. Default: 2e-3.
        betas: coefficients of the running averages. Default: (0.9, 0.999).
        eps: added to the denominator for numerical stability. Default: 1e-8.
        weight_decay: weight decay. Default: 0.
        momentum_decay: momentum decay ``psi``. Default: 4e-3.
        decoupled_weight_decay: decay the weights directly (as AdamW). Default: False.
        foreach, capturable, differentiable: accepted for PyTorch compatibility.
        maximize: maximize the objective. Default: False.

    State (per parameter): ``step`` and ``mu_product`` (scalars), ``exp_avg`` and
    ``exp_avg_sq`` (param's shape).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_moment_args(lr, betas, eps, weight_decay)
        _check_nonnegative(("momentum_decay value", momentum_decay))
        _check_no_differentiable("NAdam", differentiable)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss (or None)."""
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr, eps, wd = float(group["lr"]), group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            psi = group["momentum_decay"]
            decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                x = p._data
                state = self.state[p]
                if not state:
                    state["step"] = _new_step()
                    state["mu_product"] = Tensor._make(np.ones((), _scalar_np_dtype()))
                    state["exp_avg"] = _zeros(x)
                    state["exp_avg_sq"] = _zeros(x)
                t = _advance(state["step"])
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
                # NOTE: the product is kept in the scalar tensor's dtype (float32 by default),
                # rounded at every step exactly as PyTorch's in-place multiply does
                mu_product = state["mu_product"]
                mu_product._data *= mu
                mu_product._vc[0] += 1
                prod = float(mu_product._data)
                coef = (t, -lr * (1.0 - mu) / (1.0 - prod), -lr * mu_next / (1.0 - prod * mu_next))
                arrays = [x, p.grad._data, *_bump(state, "exp_avg", "exp_avg_sq")]
                args = (lr, beta1, beta2, eps, wd, decoupled, maximize, coef)
                self._apply(_nadam_kernel, arrays, 3, *args)
                p._vc[0] += 1
        return loss
