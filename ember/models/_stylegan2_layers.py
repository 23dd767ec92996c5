"""StyleGAN2 building blocks: equalized-lr layers, mapping network, modulated convolution.

Equalized learning rate (Karras et al., 2018): weights are stored as ``N(0, 1) / lr_mul`` and
scaled at run time by ``lr_mul / sqrt(fan_in)``, so every layer learns at the same speed.
"""

from __future__ import annotations

import math

import ember
from ember import nn
from ember._tensor import Tensor
from ember.nn import functional as F

__all__ = [
    "EqualLinear",
    "EqualConv2d",
    "MappingNetwork",
    "ModulatedConv2d",
    "NoiseInjection",
    "StyledConv",
    "ToRGB",
    "fused_lrelu",
    "upsample2x",
]

_SQRT2 = math.sqrt(2.0)


def fused_lrelu(x: Tensor) -> Tensor:
    """``leaky_relu(x, 0.2) * sqrt(2)``: the gain keeps activations' second moment near 1."""
    return F.leaky_relu(x, 0.2) * _SQRT2


def upsample2x(x: Tensor) -> Tensor:
    """Bilinear 2x upsampling of ``(N, C, H, W)`` (a simple stand-in for StyleGAN2's FIR blur)."""
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


class EqualLinear(nn.Module):
    """Linear layer with equalized learning rate and an optional fused leaky ReLU.

    Args:
        in_features, out_features: sizes.
        bias_init: initial bias value (1 for style affines, so styles start at 1). Default: 0.
        lr_mul: learning-rate multiplier (0.01 in the mapping network). Default: 1.
        activation: apply :func:`fused_lrelu`. Default: False.

    Shape:
        - Input: ``(N, in_features)``; output ``(N, out_features)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias_init: float = 0.0,
        lr_mul: float = 1.0,
        activation: bool = False,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(ember.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(ember.full((out_features,), float(bias_init) / lr_mul))
        self.scale = lr_mul / math.sqrt(in_features)
        self.lr_mul = lr_mul
        self.activation = activation

    def forward(self, x: Tensor) -> Tensor:
        out = F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)
        return fused_lrelu(out) if self.activation else out

    def extra_repr(self) -> str:
        out_f, in_f = self.weight.shape
        return f"{in_f}, {out_f}, lr_mul={self.lr_mul}, activation={self.activation}"


class EqualConv2d(nn.Module):
    """Conv2d with equalized learning rate (weights scaled by ``1 / sqrt(C_in * k * k)``).

    Shape:
        - Input: ``(N, in_channels, H, W)``; output ``(N, out_channels, H', W')``.
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, padding: int = 0,
        bias: bool = True,
    ) -> None:  # fmt: skip
        super().__init__()
        k = kernel_size
        self.weight = nn.Parameter(ember.randn(out_channels, in_channels, k, k))
        self.bias = nn.Parameter(ember.zeros(out_channels)) if bias else None
        self.scale = 1.0 / math.sqrt(in_channels * k * k)
        self.padding = padding

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.padding)

    def extra_repr(self) -> str:
        c_out, c_in, k, _ = self.weight.shape
        bias = self.bias is not None
        return f"{c_in}, {c_out}, kernel_size={k}, padding={self.padding}, bias={bias}"


class MappingNetwork(nn.Module):
    """``z -> w``: pixel-normalise z, then ``num_layers`` equalized linear + leaky ReLU layers.

    Shape:
        - Input: ``(N, z_dim)``; output ``(N, w_dim)``.
    """

    def __init__(self, z_dim: int, w_dim: int, num_layers: int = 8, lr_mul: float = 0.01):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"MappingNetwork: num_layers must be >= 1, got {num_layers}")
        dims = [z_dim] + [w_dim] * num_layers
        self.layers = nn.Sequential(
            *[EqualLinear(a, b, lr_mul=lr_mul, activation=True) for a, b in zip(dims, dims[1:])]
        )

    def forward(self, z: Tensor) -> Tensor:
        # pixel norm: z / sqrt(mean(z^2) + eps) puts z on a sphere of radius sqrt(z_dim)
        z = z * (z.pow(2).mean(dim=1, keepdim=True) + 1e-8).rsqrt()
        return self.layers(z)


class ModulatedConv2d(nn.Module):
    """Convolution whose weights are scaled per sample by a style (StyleGAN2's key layer).

    For sample ``n`` with style ``s = affine(w_n)`` (one scale per input channel):
    ``W'_oik = W_oik * s_i`` (modulation), then optionally
    ``W''_oik = W'_oik / sqrt(sum_ik W'_oik^2 + eps)`` (demodulation: unit output variance).
    The N per-sample kernels are stacked into one ``(N * C_out, C_in, k, k)`` weight and the
    batch folded into channels, so one ``F.conv2d(..., groups=N)`` convolves every sample with
    its own kernel.

    Args:
        in_channels, out_channels, kernel_size: as for Conv2d (odd kernel, "same" padding).
        style_dim: size of w.
        demodulate: apply demodulation. Default: True.
        upsample: bilinear 2x upsampling before the convolution. Default: False.

    Shape:
        - Input: ``x (N, in_channels, H, W)``, ``w (N, style_dim)``.
        - Output: ``(N, out_channels, H, W)`` (``2H, 2W`` when upsampling).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        style_dim: int,
        demodulate: bool = True,
        upsample: bool = False,
    ) -> None:
        super().__init__()
        k = kernel_size
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, k
        self.weight = nn.Parameter(ember.randn(1, out_channels, in_channels, k, k))
        self.scale = 1.0 / math.sqrt(in_channels * k * k)
        self.modulation = EqualLinear(style_dim, in_channels, bias_init=1.0)
        self.demodulate = demodulate
        self.upsample = upsample

    def forward(self, x: Tensor, w: Tensor) -> Tensor:
        n, c, h, wd = x.shape
        if c != self.in_channels:
            raise ValueError(
                f"ModulatedConv2d: expected {self.in_channels} input channels, "
                f"got input of shape {tuple(x.shape)}"
            )
        style = self.modulation(w).reshape(n, 1, c, 1, 1)
        weight = self.weight * self.scale * style  # (N, C_out, C_in, k, k)
        if self.demodulate:
            demod = (weight.pow(2).sum(dim=(2, 3, 4)) + 1e-8).rsqrt()
            weight = weight * demod.reshape(n, self.out_channels, 1, 1, 1)
        if self.upsample:
            x = upsample2x(x)
            h, wd = 2 * h, 2 * wd
        k = self.kernel_size
        weight = weight.reshape(n * self.out_channels, c, k, k)
        out = F.conv2d(x.reshape(1, n * c, h, wd), weight, padding=k // 2, groups=n)
        return out.reshape(n, self.out_channels, h, wd)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"demodulate={self.demodulate}, upsample={self.upsample}"
        )


class NoiseInjection(nn.Module):
    """``x + strength * noise`` with a learned per-channel ``strength`` (zero at init).

    ``noise`` is ``(N, 1, H, W)`` (shared by the channels): fresh ``N(0, 1)`` draws, a fixed
    buffer ``noise_const`` (``noise_mode="const"``), or nothing (``"none"``).

    Shape:
        - Input: ``(N, channels, resolution, resolution)``; output the same.
    """

    def __init__(self, channels: int, resolution: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(ember.zeros(1, channels, 1, 1))
        self.register_buffer("noise_const", ember.randn(1, 1, resolution, resolution))

    def forward(self, x: Tensor, noise_mode: str = "random") -> Tensor:
        if noise_mode == "none":
            return x
        if noise_mode == "const":
            noise = self.noise_const
        elif noise_mode == "random":
            noise = ember.randn(x.shape[0], 1, x.shape[2], x.shape[3], dtype=x.dtype)
        else:
            raise ValueError(
                f"NoiseInjection: noise_mode must be 'random', 'const' or 'none', "
                f"got {noise_mode!r}"
            )
        return x + self.weight * noise


class StyledConv(nn.Module):
    """Modulated conv -> noise -> bias -> fused leaky ReLU.

    Shape:
        - Input: ``x (N, in_channels, H, W)``, ``w (N, style_dim)``.
        - Output: ``(N, out_channels, resolution, resolution)``.
    """

    def __init__(
        self, in_channels: int, out_channels: int, style_dim: int, resolution: int,
        upsample: bool = False,
    ) -> None:  # fmt: skip
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, 3, style_dim, upsample=upsample)
        self.noise = NoiseInjection(out_channels, resolution)
        self.bias = nn.Parameter(ember.zeros(1, out_channels, 1, 1))

    def forward(self, x: Tensor, w: Tensor, noise_mode: str = "random") -> Tensor:
        x = self.noise(self.conv(x, w), noise_mode)
        return fused_lrelu(x + self.bias)


class ToRGB(nn.Module):
    """1x1 modulated conv (no demodulation) to image channels, plus the upsampled skip image.

    Shape:
        - Input: ``x (N, in_channels, H, W)``, ``w (N, style_dim)``, ``skip (N, C, H/2, W/2)``.
        - Output: ``(N, img_channels, H, W)``.
    """

    def __init__(self, in_channels: int, style_dim: int, img_channels: int = 3) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, img_channels, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(ember.zeros(1, img_channels, 1, 1))

    def forward(self, x: Tensor, w: Tensor, skip: Tensor | None = None) -> Tensor:
        out = self.conv(x, w) + self.bias
        return out if skip is None else out + upsample2x(skip)
