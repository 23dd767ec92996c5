"""Gradient clipping: ``clip_grad_norm_``, ``clip_grad_value_`` (and ember's ``max_norm_``)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from ember._creation import tensor
from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad
from ember.ops.elementwise import clamp, isfinite, where
from ember.ops.reduce import amax, norm
from ember.ops.shape import stack

__all__ = ["clip_grad_norm_", "clip_grad_value_", "max_norm_"]


def _as_list(parameters) -> list:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def _total_norm(tensors: list, norm_type: float) -> Tensor:
    if norm_type == math.inf:
        return amax(stack([amax(g.abs()) for g in tensors]))
    return norm(stack([norm(g, norm_type) for g in tensors]), norm_type)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale the gradients in place so their joint ``norm_type`` norm is at most ``max_norm``.

    The norm is taken over all gradients together, as if concatenated into one vector.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        max_norm: the largest allowed norm.
        norm_type: the p of the norm (``inf`` for the max norm). Default: 2.
        error_if_nonfinite: raise when the total norm is nan or inf. Default: False.
        foreach: accepted for compatibility.

    Returns:
        The total norm of the gradients before clipping, as a 0-d tensor.
    """
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    norm_type = float(norm_type)
    if not grads:
        return tensor(0.0)
    with no_grad():
        total = _total_norm(grads, norm_type)
        if error_if_nonfinite and not bool(isfinite(total)):
            raise RuntimeError(
                f"The total norm of order {norm_type} for gradients from `parameters` is "
                "non-finite, so it cannot be clipped. To disable this error and scale the "
                "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
            )
        # NOTE: 1e-6 as in PyTorch, so a norm of exactly max_norm is scaled by ~(1 - 1e-6)
        coef = clamp(max_norm / (total + 1e-6), max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))
    return total


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient in place into ``[-clip_value, clip_value]``.

    Args:
        parameters: a tensor or an iterable of tensors whose ``.grad`` is clipped.
        clip_value: the bound.
        foreach: accepted for compatibility.
    """
    clip_value = float(clip_value)
    with no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)


def max_norm_(module_or_params, max_value: float, dim: int = 0, norm_type: float = 2.0):
    """Ember-only max-norm constraint: rescale slices of weights whose norm exceeds ``max_value``.

    Each slice ``w.select(dim, i)`` (one output unit of a Linear or conv weight when ``dim=0``)
    whose ``norm_type`` norm is above ``max_value`` is scaled, in place, to norm ``max_value``
    (``torch.renorm`` semantics). Call it after ``optimizer.step()``; PyTorch has no such helper.

    Args:
        module_or_params: a Module (every parameter named ``weight`` with 2 or more dims in it
            and its submodules) or an iterable of tensors (each constrained).
        max_value: the largest allowed norm per slice.
        dim: the dim whose slices are constrained. Default: 0.
        norm_type: the p of the norm. Default: 2.

    Returns:
        The list of constrained tensors.
    """
    from ember.nn.modules.module import Module

    if isinstance(module_or_params, Module):
        params = [
            p
            for name, p in module_or_params.named_parameters()
            if name.rsplit(".", 1)[-1] == "weight" and p.ndim >= 2
        ]
    else:
        params = _as_list(module_or_params)
    with no_grad():
        for p in params:
            d = dim + p.ndim if dim < 0 else dim
            others = tuple(i for i in range(p.ndim) if i != d)
            norms = norm(p, norm_type, others, keepdim=True) if others else p.abs()
            scale = where(norms > max_value, max_value / (norms + 1e-7), 1.0)
            p.mul_(scale.to(p.dtype))
    return params
