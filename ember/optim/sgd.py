"""SGD: stochastic gradient descent with optional (Nesterov) momentum and weight decay."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ember._tensor import Tensor
from ember.optim import _kernels as K
from ember.optim._util import _check_no_differentiable, _eval_closure
from ember.optim.optimizer import Optimizer

__all__ = ["SGD"]

# plain SGD on tensors up to this many elements skips the chunked kernel: small models' steps
# are per-call overhead, and a temporary this small costs nothing
_SMALL = 1 << 14


def _sgd_kernel(x, g, buf, d, t, lr, momentum, dampening, wd, nesterov, maximize, first):
    """One SGD update of ``x`` in place; ``d`` and ``t`` are scratch arrays like ``x``."""
    g = K.effective_grad(x, g, wd, maximize, d)  # the user's .grad is never written
    if buf is not None:
        if first:  # the buffer starts as the first gradient
            np.copyto(buf, g)
        else:  # buf = momentum * buf + (1 - dampening) * g
            K.axpby(1 - dampening, g, momentum, buf, t)
        g = np.add(g, np.multiply(buf, momentum, out=t), out=d) if nesterov else buf
    K.axpy(-lr, g, x, t)  # p = p - lr * g


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum (PyTorch's formulation).

    With ``g = grad + weight_decay * p`` (negated first if ``maximize``)::

        b = g                                  (first step)
        b = momentum * b + (1 - dampening) * g (later steps)
        p = p - lr * (g + momentum * b  if nesterov else  b)

    Args:
        params: parameters or parameter groups to optimize.
        lr: learning rate. Default: 1e-3.
        momentum: momentum factor. Default: 0.
        dampening: dampening of the momentum. Default: 0.
        weight_decay: L2 penalty. Default: 0.
        nesterov: use Nesterov momentum. Default: False.
        maximize: maximize the objective instead of minimizing. Default: False.
        foreach, differentiable, fused: accepted for PyTorch compatibility (CPU NumPy kernels
            are used either way; ``differentiable=True`` is not supported).

    State (per parameter, only when ``momentum != 0``): ``momentum_buffer`` (param's shape).
    """

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_no_differentiable("SGD", differentiable)
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure: Callable | None = None):
        """Perform one optimization step; returns the closure's loss (or None)."""
        loss = _eval_closure(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            momentum, dampening = group["momentum"], group["dampening"]
            wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            plain = momentum == 0 and wd == 0 and not maximize
            for p in group["params"]:
                if p.grad is None:
                    continue
                if plain and p._data.size <= _SMALL:  # p -= lr * g, without the kernel machinery
                    p._data += p.grad._data * -lr  # the kernel's own arithmetic, so bit-equal
                    p._vc[0] += 1
                    continue
                buf = first = None
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    first = buf is None
                    if first:
                        buf = state["momentum_buffer"] = Tensor._make(np.empty_like(p._data))
                    buf._vc[0] += 1
                arrays = [p._data, p.grad._data, None if buf is None else buf._data]
                args = (lr, momentum, dampening, wd, nesterov, maximize, first)
                self._apply(_sgd_kernel, arrays, 2, *args)
                p._vc[0] += 1
        return loss
