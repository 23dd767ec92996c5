"""Normalization layers: BatchNorm, InstanceNorm, LayerNorm, GroupNorm, LocalResponseNorm."""

from __future__ import annotations

import numbers

from ember import _dtype
from ember._creation import empty, ones, tensor, zeros
from ember._tensor import Tensor
from ember.autograd.grad_mode import no_grad
from ember.nn import functional as F
from ember.nn import init
from ember.nn.modules.module import Module
from ember.nn.parameter import Parameter
from ember.ops._util import shape_str

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LayerNorm",
    "LocalResponseNorm",
]


class _NormBase(Module):
    """Per-channel affine parameters and running statistics shared by batch and instance norm.

    Buffers (as in PyTorch): ``running_mean`` (zeros), ``running_var`` (ones) and
    ``num_batches_tracked`` (int64 0) when ``track_running_stats``; otherwise all three are
    registered as None.
    """

    _version = 2
    _expected_dims: tuple = ()  # allowed input ndims

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(empty(num_features, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(empty(num_features, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=_dtype.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """Running mean to 0, running variance to 1, batch count to 0."""
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics and set weight to 1, bias to 0."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input(self, input: Tensor, channel_dim: int = 1) -> None:
        name = f"{self._get_name()}({self.num_features}, ...)"
        if input.ndim not in self._expected_dims:
            dims = " or ".join(f"{d}D" for d in self._expected_dims)
            raise ValueError(
                f"{name}: expected {dims} input (got {input.ndim}D input of shape "
                f"{shape_str(input.shape)})"
            )
        if input.shape[channel_dim] != self.num_features:
            raise RuntimeError(
                f"{name}: expected input with {self.num_features} channels, got input of shape "
                f"{shape_str(input.shape)}"
            )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.bias is not None}, "
            f"track_running_stats={self.track_running_stats}"
        )


class _BatchNorm(_NormBase):
    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            with no_grad():
                self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / int(self.num_batches_tracked)
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        use_running = not self.training or self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if use_running else None,
            self.running_var if use_running else None,
            self.weight,
            self.bias,
            bn_training,
            factor,
            self.eps,
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalization over ``(N, C)`` or ``(N, C, L)`` inputs, per channel ``C``.

    Args:
        num_features: the number of channels C.
        eps: added to the variance. Default: 1e-5.
        momentum: weight of the batch statistics in the running averages; None for a
            cumulative average. Default: 0.1.
        affine: learn a per-channel scale and shift. Default: True.
        track_running_stats: keep running statistics for eval mode. Default: True.
        bias: (keyword-only) learn the shift when ``affine``. Default: True.

    Shape:
        - Input: ``(N, C)`` or ``(N, C, L)``
        - Output: same as input.
    """

    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization over ``(N, C, H, W)`` inputs, per channel (args as BatchNorm1d).

    Shape:
        - Input: ``(N, C, H, W)``
        - Output: same as input.
    """

    _expected_dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization over ``(N, C, D, H, W)`` inputs, per channel (args as BatchNorm1d).

    Shape:
        - Input: ``(N, C, D, H, W)``
        - Output: same as input.
    """

    _expected_dims = (5,)


class _InstanceNorm(_NormBase):
    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def forward(self, input: Tensor) -> Tensor:
        unbatched = input.ndim == self._expected_dims[0]
        self._check_input(input, 0 if unbatched else 1)
        if unbatched:
            input = input.unsqueeze(0)
        out = F.instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Normalize each channel of each sample over its length.

    Args:
        num_features: the number of channels C.
        eps: added to the variance. Default: 1e-5.
        momentum: running-average weight (used when track_running_stats). Default: 0.1.
        affine: learn a per-channel scale and shift. Default: False.
        track_running_stats: keep running statistics for eval mode. Default: False.

    Shape:
        - Input: ``(N, C, L)`` or ``(C, L)``
        - Output: same as input.
    """

    _expected_dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """Normalize each channel of each sample over ``H, W`` (args as InstanceNorm1d).

    Shape:
        - Input: ``(N, C, H, W)`` or ``(C, H, W)``
        - Output: same as input.
    """

    _expected_dims = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """Normalize each channel of each sample over ``D, H, W`` (args as InstanceNorm1d).

    Shape:
        - Input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``
        - Output: same as input.
    """

    _expected_dims = (4, 5)


class LayerNorm(Module):
    """Normalize over the trailing ``normalized_shape`` dims with an elementwise affine map.

    Args:
        normalized_shape: the trailing shape to normalize over (an int or a tuple).
        eps: added to the variance. Default: 1e-5.
        elementwise_affine: learn ``weight`` (ones) and ``bias`` (zeros). Default: True.
        bias: learn the bias when ``elementwise_affine``. Default: True.

    Shape:
        - Input: ``(*, *normalized_shape)``
        - Output: same as input.
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(*self.normalized_shape, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(empty(*self.normalized_shape, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        k = len(self.normalized_shape)
        if input.ndim < k or tuple(input.shape[input.ndim - k :]) != self.normalized_shape:
            raise RuntimeError(
                f"{self._get_name()}({self.extra_repr()}): expected input with trailing shape "
                f"{shape_str(self.normalized_shape)}, got input of shape {shape_str(input.shape)}"
            )
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Normalize each of ``num_groups`` channel groups per sample; affine per channel.

    Args:
        num_groups: number of groups; must divide ``num_channels``.
        num_channels: the number of channels C.
        eps: added to the variance. Default: 1e-5.
        affine: learn a per-channel scale (ones) and shift (zeros). Default: True.
        bias: (keyword-only) learn the shift when ``affine``. Default: True.

    Shape:
        - Input: ``(N, C, *)``
        - Output: same as input.
    """

    def __init__(
        self,
        num_groups: int,
        num_channels: int,
        eps: float = 1e-5,
        affine: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(empty(num_channels, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(empty(num_channels, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise RuntimeError(
                f"{self._get_name()}({self.extra_repr()}): expected input with "
                f"{self.num_channels} channels, got input of shape {shape_str(input.shape)}"
            )
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
            f"bias={self.bias is not None}"
        )


class LocalResponseNorm(Module):
    """Normalize each value by the energy of its ``size`` neighbouring channels.

    Args:
        size: number of neighbouring channels.
        alpha: multiplicative factor. Default: 1e-4.
        beta: exponent. Default: 0.75.
        k: additive factor. Default: 1.

    Shape:
        - Input: ``(N, C, *)``
        - Output: same as input.
    """

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input: Tensor) -> Tensor:
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
