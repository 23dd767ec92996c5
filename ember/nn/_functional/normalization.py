"""Normalization: batch_norm, layer_norm, group_norm, instance_norm, ... (``F.*``)."""

from __future__ import annotations

import numbers

from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad
from ember.ops._util import canonical_dim
from ember.ops.elementwise import clamp, pow, rsqrt
from ember.ops.norm import channel_affine, norm_affine
from ember.ops.reduce import norm
from ember.ops.shape import pad, stack

__all__ = [
    "batch_norm",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "local_response_norm",
    "normalize",
]


def _channel_view(t: Tensor | None, ndim: int) -> Tensor | None:
    """A per-channel ``(C,)`` tensor reshaped to broadcast over ``(N, C, *)``."""
    if t is None:
        return None
    return t.reshape((1, -1) + (1,) * (ndim - 2))


def _check_channels(name: str, t: Tensor | None, what: str, c: int) -> None:
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{name}(): {what} should contain {c} elements not {t.numel()}")


def _update_running(running: Tensor | None, batch, momentum: float) -> None:
    """``running = (1 - momentum) running + momentum batch``, in place, outside the graph;
    ``batch`` is a tensor or an array of ``running``'s shape."""
    if running is None:
        return
    data = running._data
    batch = batch._data if isinstance(batch, Tensor) else batch
    if running.requires_grad or not data.flags.writeable or batch.shape != data.shape:
        with no_grad():  # what the in-place ops check and report (shapes, expanded buffers)
            running.mul_(1.0 - momentum).add_(Tensor._make(batch).to(running.dtype), alpha=momentum)
        return
    data *= 1.0 - momentum  # a buffer's usual case: straight into its storage
    data += momentum * batch.astype(data.dtype, copy=False)
    running._vc[0] += 1  # as an in-place op would: saved copies of it are now stale


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization over every dim but the channel dim 1.

    In training the batch statistics normalize the input and, when given, ``running_mean`` and
    ``running_var`` are updated in place (the variance unbiased, as in PyTorch); otherwise the
    running statistics normalize it.

    Shape:
        - Input: ``(N, C)`` or ``(N, C, *)``
        - Output: same as input.
    """
    if input.ndim < 2:
        raise ValueError(
            f"batch_norm(): expected 2D or higher input (N, C, *), got {input.ndim}D input"
        )
    c = input.shape[1]
    for t, what in (
        (running_mean, "running_mean"),
        (running_var, "running_var"),
        (weight, "weight"),
        (bias, "bias"),
    ):
        _check_channels("batch_norm", t, what, c)
    nd = input.ndim
    if training:
        n = input.numel() // c if c else 0
        if n == 0:  # an empty batch: empty output, running stats untouched (as PyTorch)
            out = input * _channel_view(weight, nd) if weight is not None else input * 1.0
            return out + _channel_view(bias, nd) if bias is not None else out
        if n == 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{input.shape}"
            )
        axes = (0,) + tuple(range(2, nd))
        stats = [] if running_mean is not None or running_var is not None else None
        out = norm_affine(
            input, _channel_view(weight, nd), _channel_view(bias, nd), axes, eps, stats
        )
        if stats:
            batch_mean, batch_var = stats[0]._data.reshape(-1), stats[1]._data.reshape(-1)
            _update_running(running_mean, batch_mean, momentum)
            _update_running(running_var, batch_var * (n / (n - 1)), momentum)  # unbiased
        return out
    if running_mean is None or running_var is None:
        raise RuntimeError(
            "batch_norm(): running_mean and running_var must be defined in eval "
            "mode (training=False)"
        )
    # eval: a per-channel affine map, y = x * scale + shift, two passes over the input
    scale = rsqrt(running_var + eps)
    if weight is not None:
        scale = scale * weight
    shift = -running_mean * scale
    if bias is not None:
        shift = shift + bias
    return channel_affine(input, scale, shift)


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each channel of each sample over its spatial dims.

    Shape:
        - Input: ``(N, C, *)`` with at least one spatial dim.
        - Output: same as input.
    """
    if input.ndim < 3:
        raise ValueError(
            f"instance_norm(): expected 3D or higher input (N, C, L, ...), got {input.ndim}D input"
        )
    c = input.shape[1]
    for t, what in (
        (running_mean, "running_mean"),
        (running_var, "running_var"),
        (weight, "weight"),
        (bias, "bias"),
    ):
        _check_channels("instance_norm", t, what, c)
    nd = input.ndim
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    n = input.numel() // (input.shape[0] * c)
    if n <= 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {input.shape}"
        )
    stats = [] if running_mean is not None or running_var is not None else None
    out = norm_affine(
        input, _channel_view(weight, nd), _channel_view(bias, nd), tuple(range(2, nd)), eps, stats
    )
    if stats:  # running stats: the batch average of the per-instance statistics
        batch_mean = stats[0].reshape(input.shape[0], c).mean(0)
        batch_var = (stats[1] * (n / (n - 1))).reshape(input.shape[0], c).mean(0)
        _update_running(running_mean, batch_mean, momentum)
        _update_running(running_var, batch_var, momentum)
    return out


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize over the trailing ``normalized_shape`` dims, then scale and shift elementwise.

    Shape:
        - Input: ``(*, *normalized_shape)``
        - Output: same as input.
    """
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or input.ndim < k or tuple(input.shape[-k:]) != normalized_shape:
        raise RuntimeError(
            f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
            f"[*, {', '.join(str(s) for s in normalized_shape)}], but got input of size"
            f"{list(input.shape)}"
        )
    for t, what in ((weight, "weight"), (bias, "bias")):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise RuntimeError(
                f"layer_norm(): expected {what} of shape {list(normalized_shape)}, got "
                f"{list(t.shape)}"
            )
    axes = tuple(range(input.ndim - k, input.ndim))
    return norm_affine(input, weight, bias, axes, eps)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalize each group of ``C // num_groups`` channels of each sample; affine per channel.

    Shape:
        - Input: ``(N, C, *)``
        - Output: same as input.
    """
    if input.ndim < 2:
        raise RuntimeError(
            f"group_norm(): expected at least 2 dimensions for input tensor but received "
            f"{input.ndim}"
        )
    n, c = input.shape[0], input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {list(input.shape)} and num_groups={num_groups}"
        )
    for t, what in ((weight, "weight"), (bias, "bias")):
        _check_channels("group_norm", t, what, c)
    x_hat = norm_affine(input.reshape(n, num_groups, -1), None, None, (2,), eps)
    out = x_hat.reshape(input.shape)
    nd = input.ndim
    if weight is not None:
        out = out * _channel_view(weight, nd)
    if bias is not None:
        out = out + _channel_view(bias, nd)
    return out


def local_response_norm(
    input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0
) -> Tensor:
    """Divide each value by ``(k + alpha/size * (sum of squares of size neighbours))^beta``.

    Shape:
        - Input: ``(N, C, *)``
        - Output: same as input.
    """
    if input.ndim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = input * input
    # zero-pad the channel dim by (size // 2, (size - 1) // 2) and average size shifted windows
    widths = [0, 0] * (input.ndim - 2) + [size // 2, (size - 1) // 2]
    padded = pad(sq, widths)
    window = stack([padded[:, i : i + c] for i in range(size)], 0).sum(0) / size
    div = pow(window * alpha + k, beta)
    return input / div


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``input / max(||input||_p, eps)`` along ``dim``.

    Shape:
        - Input: ``(*)``; the norm is taken over ``dim``.
        - Output: same as input.
    """
    if out is not None:
        raise NotImplementedError("normalize(): the out= argument is not supported")
    canonical_dim(dim, input.ndim, "normalize")
    denom = clamp(norm(input, p, dim, keepdim=True), min=eps)
    return input / denom
