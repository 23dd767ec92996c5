"""Losses: mse_loss, cross_entropy, nll_loss, binary_cross_entropy, kl_div, ... (``F.*``).

Every loss is a composition of ember ops (the stable pieces, log_softmax and logsigmoid, are
fused kernels in ``ember.ops.activation``), so gradients and double gradients come from those
ops. ``reduction`` is one of ``'none' | 'mean' | 'sum'``; the legacy ``size_average`` and
``reduce`` arguments are honoured as in PyTorch.
"""

from __future__ import annotations

import math
import warnings

from ember import _dtype
from ember._creation import arange, ones_like
from ember._tensor import Tensor
from ember.ops import activation as act
from ember.ops import elementwise as ew
from ember.ops import loss as fused
from ember.ops._util import shape_str

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_embedding_loss",
    "cross_entropy",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "margin_ranking_loss",
    "mse_loss",
    "multi_margin_loss",
    "multilabel_soft_margin_loss",
    "nll_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "triplet_margin_loss",
]

_REDUCTIONS = ("none", "mean", "sum")


# -- shared argument handling --------------------------------------------------------------------
def _legacy_reduction(size_average, reduce) -> str:
    """PyTorch's mapping of the deprecated (size_average, reduce) pair onto ``reduction``."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = ("mean" if size_average else "sum") if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
        "instead.",
        stacklevel=3,
    )
    return reduction


def _reduction(name, reduction, size_average=None, reduce=None, extra=()) -> str:
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS + tuple(extra):
        raise ValueError(f"{name}(): {reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_tensors(name, **tensors) -> None:
    for i, (arg, t) in enumerate(tensors.items()):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{name}(): argument '{arg}' (position {i + 1}) must be Tensor, not "
                f"{type(t).__name__}"
            )


def _warn_size(name, input, target) -> None:
    if target._data.shape != input._data.shape:
        warnings.warn(
            f"{name}(): Using a target size ({shape_str(target.shape)}) that is different to the "
            f"input size ({shape_str(input.shape)}). This will likely lead to incorrect results "
            "due to broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


def _weighted(name, loss, weight, input, reduction, mean_by_weight: bool):
    """``loss * weight`` then reduced; mean is sum(w l)/sum(w) or mean(w l) as PyTorch does."""
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(
            f"{name}(): Weights and input must have the same size; got weight of shape "
            f"{shape_str(weight.shape)} and input of shape {shape_str(input.shape)}"
        )
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.sum()
    return _reduce(loss, reduction)


# -- regression ----------------------------------------------------------------------------------
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error ``(input - target)^2``."""
    if (  # the common case, checked on array metadata: one fused node
        weight is None
        and size_average is None
        and reduce is None
        and isinstance(input, Tensor)
        and isinstance(target, Tensor)
        and input._data.shape == target._data.shape
        and input._data.dtype == target._data.dtype
        and input._data.dtype.kind == "f"
        and reduction in _REDUCTIONS
    ):
        return fused.mse(input, target, reduction)
    _check_tensors("mse_loss", input=input, target=target)
    reduction = _reduction("mse_loss", reduction, size_average, reduce)
    _warn_size("mse_loss", input, target)
    x, y = input._data, target._data
    if weight is None and x.shape == y.shape and x.dtype == y.dtype and x.dtype.kind == "f":
        return fused.mse(input, target, reduction)  # legacy reduction arguments, same node
    diff = input - target
    loss = diff * diff
    if weight is not None:
        return _weighted("mse_loss", loss, weight, input, reduction, True)
    return _reduce(loss, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error ``|input - target|``."""
    _check_tensors("l1_loss", input=input, target=target)
    reduction = _reduction("l1_loss", reduction, size_average, reduce)
    _warn_size("l1_loss", input, target)
    loss = ew.abs(input - target)
    if weight is not None:
        return _weighted("l1_loss", loss, weight, input, reduction, True)
    return _reduce(loss, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, ``|d| - 0.5 beta`` elsewhere."""
    _check_tensors("smooth_l1_loss", input=input, target=target)
    reduction = _reduction("smooth_l1_loss", reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError(
            f"smooth_l1_loss(): smooth_l1_loss does not support negative values for beta "
            f"(got beta={beta})")
    _warn_size("smooth_l1_loss", input, target)
    diff = input - target
    z = ew.abs(diff)
    if beta == 0:
        return _reduce(z, reduction)
    return _reduce(ew.where(z < beta, diff * diff * (0.5 / beta), z - 0.5 * beta), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, ``delta (|d| - 0.5 delta)`` elsewhere."""
    _check_tensors("huber_loss", input=input, target=target)
    reduction = _reduction("huber_loss", reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss(): huber_loss does not support non-positive values for "
                           f"delta (got delta={delta})")
    _warn_size("huber_loss", input, target)
    diff = input - target
    z = ew.abs(diff)
    loss = ew.where(z < delta, diff * diff * 0.5, (z - 0.5 * delta) * delta)
    if weight is not None:
        return _weighted("huber_loss", loss, weight, input, reduction, False)
    return _reduce(loss, reduction)


# -- classification ------------------------------------------------------------------------------
def _check_class_target(name, input, target, weight, ignore_index=None):
    """Shape, dtype and range checks for class-index targets; returns the class dim."""
    if input.ndim < 1:
        raise ValueError(f"{name}(): Expected 1 or more dimensions (got {input.ndim})")
    cdim = 0 if input.ndim == 1 else 1
    want = () if input.ndim == 1 else (input.shape[0],) + tuple(input.shape[2:])
    if input.ndim >= 2 and (target.ndim == 0 or target.shape[0] != input.shape[0]):
        got = target.shape[0] if target.ndim else 0
        raise ValueError(f"{name}(): Expected input batch_size ({input.shape[0]}) to match target "
                         f"batch_size ({got}).")
    if tuple(target.shape) != want:
        raise RuntimeError(
            f"{name}(): Expected target size {shape_str(want)}, got {shape_str(target.shape)} "
            f"(input of shape {shape_str(input.shape)})")
    if target.dtype not in (_dtype.int64, _dtype.uint8):
        raise RuntimeError(f"{name}(): expected target dtype to be Long or Byte, but got "
                           f"{target.dtype}")
    n_classes = input.shape[cdim]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != n_classes):
        raise RuntimeError(
            f"{name}(): weight tensor should be defined either for all {n_classes} classes or no "
            f"classes but got weight tensor of shape: {shape_str(weight.shape)}")
    bad = (target < 0) | (target >= n_classes)
    if ignore_index is not None:
        bad = bad & (target != ignore_index)
    if target.numel() and bad.any():
        raise IndexError(f"{name}(): Target {target[bad].reshape(-1)[0].item()} is out of bounds "
                         f"for {n_classes} classes.")
    return cdim


def _nll(logp, target, weight, ignore_index, reduction, cdim):
    """Returns (loss, per-element weights) for ``-weight[t] * logp[t]``, ignoring ignore_index."""
    valid = target != ignore_index
    if target.dtype != _dtype.int64:  # uint8 classes index like int64 ones
        target = target.to(_dtype.int64)
    safe = ew.where(valid, target, 0)
    picked = logp.gather(cdim, safe.unsqueeze(cdim)).squeeze(cdim)
    w = valid.to(logp.dtype)
    if weight is not None:
        w = weight[safe] * w
    loss = -(picked * w)
    if reduction == "mean":
        return loss.sum() / w.sum(), w  # weighted mean over the non-ignored targets
    return _reduce(loss, reduction), w


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices given log-probabilities.

    Shape:
        - Input: ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)``
        - Target: ``()``, ``(N,)`` or ``(N, d1, ...)``, integer classes in ``[0, C)``
    """
    _check_tensors("nll_loss", input=input, target=target)
    reduction = _reduction("nll_loss", reduction, size_average, reduce)
    cdim = _check_class_target("nll_loss", input, target, weight, ignore_index)
    return _nll(input, target, weight, ignore_index, reduction, cdim)[0]


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy of logits against class indices or class probabilities.

    Shape:
        - Input: ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)`` (logits)
        - Target: class indices ``()``, ``(N,)`` or ``(N, d1, ...)``; or probabilities shaped
          like the input.
    """
    name = "cross_entropy"
    _check_tensors(name, input=input, target=target)
    reduction = _reduction(name, reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(
            f"{name}(): label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    eps = label_smoothing
    if target.dtype.is_floating_point and tuple(target.shape) == tuple(input.shape):
        cdim = 0 if input.ndim == 1 else 1
        n_classes = input.shape[cdim]
        logp = act.log_softmax(input, cdim)
        if eps > 0:
            target = target * (1 - eps) + eps / n_classes
        prod = logp * target
        if weight is not None:
            prod = prod * weight.reshape((n_classes,) + (1,) * (input.ndim - cdim - 1))
        if reduction == "none":
            return -prod.sum(cdim)
        if reduction == "sum":
            return -prod.sum()
        return -prod.sum() / (input.numel() / n_classes)
    if (
        input.ndim == 2
        and weight is None
        and eps <= 0
        and target.dtype == _dtype.int64
        and input.dtype.is_floating_point
        and tuple(target.shape) == (input.shape[0],)
    ):  # the common case: one fused node (range-checks the targets itself)
        return fused.cross_entropy_index(input, target, ignore_index, reduction)
    cdim = _check_class_target(name, input, target, weight, ignore_index)
    n_classes = input.shape[cdim]
    logp = act.log_softmax(input, cdim)
    nll, w = _nll(logp, target, weight, ignore_index, reduction, cdim)
    if eps <= 0:
        return nll
    if weight is not None:
        logp = logp * weight.reshape((n_classes,) + (1,) * (input.ndim - cdim - 1))
    smooth = ew.where(target != ignore_index, -logp.sum(cdim), 0.0)
    if reduction == "mean":
        # normalised like nll: by the summed weights of the targets (their count if no weight)
        smooth = smooth.sum() / w.sum()
    else:
        smooth = _reduce(smooth, reduction)
    return nll * (1 - eps) + smooth * (eps / n_classes)


def _check_same_size(name, input, target, legacy: bool):
    if tuple(target.shape) != tuple(input.shape):
        if legacy:
            raise ValueError(
                f"{name}(): Using a target size ({shape_str(target.shape)}) that is different to "
                f"the input size ({shape_str(input.shape)}) is deprecated. Please ensure they "
                "have the same size.")
        raise ValueError(f"{name}(): Target size ({shape_str(target.shape)}) must be the same as "
                         f"input size ({shape_str(input.shape)})")


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``-(t log x + (1 - t) log(1 - x))`` for probabilities ``x``; logs clamped at -100."""
    name = "binary_cross_entropy"
    _check_tensors(name, input=input, target=target)
    reduction = _reduction(name, reduction, size_average, reduce)
    _check_same_size(name, input, target, legacy=True)
    if input.numel() and ((input < 0) | (input > 1)).any():
        raise RuntimeError(f"{name}(): all elements of input should be between 0 and 1")
    loss = fused.binary_cross_entropy(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     size_average=None, reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """``binary_cross_entropy(sigmoid(x), t)`` computed stably from logits.

    ``pos_weight`` multiplies the positive term: ``-(p t log s(x) + (1 - t) log(1 - s(x)))``.
    """
    name = "binary_cross_entropy_with_logits"
    _check_tensors(name, input=input, target=target)
    reduction = _reduction(name, reduction, size_average, reduce)
    _check_same_size(name, input, target, legacy=False)
    # NOTE: log(1 - s(x)) = log s(x) - x, so the loss is (1 - t) x - w log s(x): no exp overflow
    log_sig = act.logsigmoid(input)
    if pos_weight is not None:
        log_sig = log_sig * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sig
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """Multi-class hinge: ``sum_{j != y} max(0, margin - x_y + x_j)^p / C``."""
    name = "multi_margin_loss"
    _check_tensors(name, input=input, target=target)
    reduction = _reduction(name, reduction, size_average, reduce)
    if p not in (1, 2):
        raise ValueError(f"{name}(): only p == 1 and p == 2 supported (got p={p})")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"{name}(): Expected non-empty vector or matrix with optional 0-dim "
                           f"batch size, but got: {shape_str(input.shape)}")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    t = target.reshape(-1)
    n_classes = x.shape[1]
    if t.shape[0] != x.shape[0]:
        raise RuntimeError(f"{name}(): inconsistent target size: {shape_str(target.shape)} for "
                           f"input of size: {shape_str(input.shape)}")
    if t.numel() and ((t < 0) | (t >= n_classes)).any():
        raise RuntimeError(f"{name}(): target out of range (classes 0..{n_classes - 1})")
    x_y = x.gather(1, t.unsqueeze(1))
    m = ew.clamp(x - x_y + margin, min=0.0)
    if p == 2:
        m = m * m
    if weight is not None:
        m = m * weight[t].unsqueeze(1)
    other = (arange(n_classes) != t.unsqueeze(1)).to(m.dtype)  # the j != y terms
    loss = (m * other).sum(1) / n_classes
    if input.ndim == 1:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Per-class logistic loss averaged over the classes (last dim)."""
    name = "multilabel_soft_margin_loss"
    _check_tensors(name, input=input, target=target)
    reduction = _reduction(name, reduction, size_average, reduce)
    loss = -(target * act.logsigmoid(input) + (1 - target) * act.logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = loss.sum(input.ndim - 1) / input.shape[-1]
    return _reduce(loss, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """``x`` where ``t == 1``, ``max(0, margin - x)`` where ``t == -1``."""
    name = "hinge_embedding_loss"
    _check_tensors(name, input=input, target=target)
    reduction = _reduction(name, reduction, size_average, reduce)
    out_margin = ew.where(target != 1, ew.clamp(margin - input, min=0.0), 0.0)
    out_self = ew.where(target != -1, input, 0.0)
    return _reduce(out_margin + out_self, reduction)


# -- distributions -------------------------------------------------------------------------------
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence ``t (log t - x)`` for log-probabilities ``x``.

    ``reduction='batchmean'`` divides the sum by the batch size (the mathematically correct KL).
    """
    name = "kl_div"
    _check_tensors(name, input=input, target=target)
    reduction = _reduction(name, reduction, size_average, reduce, extra=("batchmean",))
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            stacklevel=2,
        )
    if log_target:
        loss = ew.exp(target) * (target - input)
    else:
        # xlogy(t, t) = 0 where t == 0; the safe log keeps nan out of the unused branch
        safe = ew.where(target == 0, 1.0, target)
        loss = target * ew.log(safe) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood: ``exp(x) - t x`` (or ``x - t log(x + eps)``)."""
    name = "poisson_nll_loss"
    _check_tensors(name, input=input, target=target)
    reduction = _reduction(name, reduction, size_average, reduce)
    if log_input:
        loss = ew.exp(input) - target * input
    else:
        loss = input - target * ew.log(input + eps)
    if full:
        # Stirling's approximation of log(t!), used where t > 1 only
        safe = ew.where(target > 1, target, 1.0)
        stirling = safe * ew.log(safe) - safe + ew.log(safe * (2 * math.pi)) * 0.5
        loss = loss + ew.where(target > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood ``0.5 (log var + (x - t)^2 / var)``.

    ``var`` has the input's shape, or one dim fewer / a last dim of 1 (homoscedastic).
    """
    name = "gaussian_nll_loss"
    _check_tensors(name, input=input, target=target)
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError(f"{name}(): var has negative entry/entries")
        var = ones_like(input) * float(var)
    elif var.numel() and (var < 0).any():
        raise ValueError(f"{name}(): var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)  # homoscedastic: one variance per sample
        elif not (var.ndim == input.ndim and sum(
                v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError(f"{name}(): var is of incorrect size: {shape_str(var.shape)} for "
                             f"input of shape {shape_str(input.shape)}")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}(): {reduction} is not valid")
    # the clamp at eps changes the value only; the gradient flows as if unclamped (as PyTorch)
    plain = var.detach()
    var = var + (ew.clamp(plain, min=eps) - plain)
    diff = input - target
    loss = (ew.log(var) + diff * diff / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# -- embeddings and ranking ----------------------------------------------------------------------
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``t == 1``, ``max(0, cos(x1, x2) - margin)`` where ``t == -1``."""
    name = "cosine_embedding_loss"
    _check_tensors(name, input1=input1, input2=input2, target=target)
    reduction = _reduction(name, reduction, size_average, reduce)
    if input1.ndim not in (1, 2) or input1.ndim != input2.ndim:
        raise RuntimeError(f"{name}(): 1D target tensor expects 2D input tensors, but found "
                           f"inputs with sizes {shape_str(input1.shape)} and "
                           f"{shape_str(input2.shape)}.")
    d = input1.ndim - 1
    eps = 1e-12  # PyTorch's EPSILON
    prod = (input1 * input2).sum(d)
    mag1 = (input1 * input1).sum(d) + eps
    mag2 = (input2 * input2).sum(d) + eps
    cos = prod / ew.sqrt(mag1 * mag2)
    pos = ew.where(target == 1, 1 - cos, 0.0)
    neg = ew.where(target == -1, ew.clamp(cos - margin, min=0.0), 0.0)
    return _reduce(pos + neg, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, -t (x1 - x2) + margin)``."""
    name = "margin_ranking_loss"
    _check_tensors(name, input1=input1, input2=input2, target=target)
    reduction = _reduction(name, reduction, size_average, reduce)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(
            f"{name}(): All input tensors should have same dimension but got sizes: input1: "
            f"{shape_str(input1.shape)}, input2: {shape_str(input2.shape)}, target: "
            f"{shape_str(target.shape)} ")
    return _reduce(ew.clamp(-target * (input1 - input2) + margin, min=0.0), reduction)


def _pairwise_distance(x1, x2, p, eps):
    return (x1 - x2 + eps).norm(p, dim=-1)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """``max(0, d(a, p) - d(a, n) + margin)`` with the p-norm distance ``d``."""
    name = "triplet_margin_loss"
    _check_tensors(name, anchor=anchor, positive=positive, negative=negative)
    reduction = _reduction(name, reduction, size_average, reduce)
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1 or dims[0] not in (1, 2):
        raise RuntimeError(
            f"{name}(): The anchor, positive, and negative tensors are expected to have the same "
            f"number of dimensions (1 or 2), but got: anchor {dims[0]}D, positive {dims[1]}D, and "
            f"negative {dims[2]}D inputs")
    d_pos = _pairwise_distance(anchor, positive, p, eps)
    d_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ew.minimum(d_neg, _pairwise_distance(positive, negative, p, eps))
    return _reduce(ew.clamp(d_pos - d_neg + margin, min=0.0), reduction)
