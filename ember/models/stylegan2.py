"""A small-scale StyleGAN2 (Karras et al., 2019): generator, residual discriminator, losses.

Differences from the paper, for size and clarity: bilinear resampling instead of FIR blur
filters, average pooling for downsampling, no style mixing or path-length regularisation.
"""

from __future__ import annotations

import math

import ember
from ember import nn
from ember._tensor import Tensor
from ember.models._common import check_image, check_positive
from ember.models._stylegan2_layers import (
    EqualConv2d,
    EqualLinear,
    MappingNetwork,
    StyledConv,
    ToRGB,
    fused_lrelu,
)
from ember.nn import functional as F

__all__ = [
    "StyleGAN2Generator",
    "StyleGAN2Discriminator",
    "generator_loss",
    "discriminator_loss",
    "r1_penalty",
    "minibatch_stddev",
]


def _resolutions(img_resolution: int, owner: str) -> list[int]:
    """``[4, 8, ..., img_resolution]``; the resolution must be a power of two >= 4."""
    log2 = int(math.log2(img_resolution)) if img_resolution > 0 else 0
    if img_resolution < 4 or 2**log2 != img_resolution:
        raise ValueError(f"{owner}: img_resolution must be a power of 2 >= 4, got {img_resolution}")
    return [2**i for i in range(2, log2 + 1)]


def _channels(res: int, channel_base: int, channel_max: int) -> int:
    # fewer feature maps at higher resolutions: channel_base / res, capped at channel_max
    return max(min(channel_base // res, channel_max), 1)


class _SynthesisBlock(nn.Module):
    """One resolution step: upsampling styled conv, styled conv, toRGB added to the skip image."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, res: int, img_channels: int):
        super().__init__()
        self.conv0 = StyledConv(in_ch, out_ch, w_dim, res, upsample=True)
        self.conv1 = StyledConv(out_ch, out_ch, w_dim, res)
        self.torgb = ToRGB(out_ch, w_dim, img_channels)

    def forward(self, x: Tensor, img: Tensor, w: Tensor, noise_mode: str):
        x = self.conv1(self.conv0(x, w, noise_mode), w, noise_mode)
        return x, self.torgb(x, w, skip=img)


class StyleGAN2Generator(nn.Module):
    """StyleGAN2 generator: mapping ``z -> w``, then a learned 4x4 constant refined by styled
    convolutions at 4, 8, ..., ``img_resolution``; toRGB outputs are summed across resolutions
    (each upsampled into the next).

    Args:
        z_dim: latent size. Default: 64.
        w_dim: intermediate latent (style) size. Default: 64.
        img_resolution: output side, a power of 2 >= 4. Default: 32.
        img_channels: image channels. Default: 3.
        mapping_layers: depth of the mapping MLP. Default: 4.
        channel_base, channel_max: feature maps at resolution r are
            ``min(channel_base // r, channel_max)``. Defaults: 1024, 64.
        lr_mul: mapping network learning-rate multiplier. Default: 0.01.
        w_avg_beta: decay of the running mean of w used for truncation. Default: 0.995.

    Shape:
        - Input: ``z (N, z_dim)``.
        - Output: ``(N, img_channels, img_resolution, img_resolution)`` (unbounded; real
          images are usually scaled to [-1, 1]).
    """

    def __init__(
        self,
        z_dim: int = 64,
        w_dim: int = 64,
        img_resolution: int = 32,
        img_channels: int = 3,
        mapping_layers: int = 4,
        channel_base: int = 1024,
        channel_max: int = 64,
        lr_mul: float = 0.01,
        w_avg_beta: float = 0.995,
    ) -> None:
        super().__init__()
        check_positive("StyleGAN2Generator", z_dim=z_dim, w_dim=w_dim, img_channels=img_channels)
        resolutions = _resolutions(img_resolution, "StyleGAN2Generator")
        self.z_dim, self.w_dim, self.w_avg_beta = z_dim, w_dim, w_avg_beta
        self.mapping = MappingNetwork(z_dim, w_dim, mapping_layers, lr_mul)
        self.register_buffer("w_avg", ember.zeros(w_dim))
        ch = [_channels(r, channel_base, channel_max) for r in resolutions]
        self.const = nn.Parameter(ember.randn(1, ch[0], 4, 4))
        self.conv1 = StyledConv(ch[0], ch[0], w_dim, 4)
        self.torgb1 = ToRGB(ch[0], w_dim, img_channels)
        self.blocks = nn.ModuleList(
            [
                _SynthesisBlock(ch[i - 1], ch[i], w_dim, res, img_channels)
                for i, res in enumerate(resolutions)
                if i > 0
            ]
        )

    def map(self, z: Tensor, truncation_psi: float = 1.0) -> Tensor:
        """``w = mapping(z)``, pulled towards the running mean: ``w_avg + psi (w - w_avg)``."""
        if z.ndim != 2 or z.shape[1] != self.z_dim:
            raise ValueError(
                f"StyleGAN2Generator(z_dim={self.z_dim}): expected z of shape (N, {self.z_dim}), "
                f"got {tuple(z.shape)}"
            )
        w = self.mapping(z)
        if self.training:
            with ember.no_grad():
                self.w_avg.copy_(w.detach().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        if truncation_psi != 1.0:
            w = self.w_avg + truncation_psi * (w - self.w_avg)
        return w

    def synthesis(self, w: Tensor, noise_mode: str = "random") -> Tensor:
        """Images from styles ``w (N, w_dim)``; ``noise_mode`` is "random", "const" or "none"."""
        x = self.const.repeat(w.shape[0], 1, 1, 1)
        x = self.conv1(x, w, noise_mode)
        img = self.torgb1(x, w)
        for block in self.blocks:
            x, img = block(x, img, w, noise_mode)
        return img

    def forward(self, z: Tensor, truncation_psi: float = 1.0, noise_mode: str = "random") -> Tensor:
        return self.synthesis(self.map(z, truncation_psi), noise_mode)


def minibatch_stddev(x: Tensor, group_size: int = 4, num_channels: int = 1) -> Tensor:
    """Append the mean standard deviation over groups of samples as extra feature maps.

    Samples ``i`` and ``j`` share a group when ``i = j mod (N / G)``, ``G = min(group_size, N)``.
    For each group: std over its members per feature, averaged over each of ``num_channels``
    channel slices and all pixels, broadcast to ``(G, num_channels, H, W)``.

    Shape:
        - Input: ``(N, C, H, W)`` with N divisible by ``min(group_size, N)`` and C by
          ``num_channels``.
        - Output: ``(N, C + num_channels, H, W)``.
    """
    n, c, h, w = x.shape
    g = min(group_size, n)
    if n % g or c % num_channels:
        raise ValueError(
            f"minibatch_stddev: batch {n} must be divisible by group size {g} and channels {c} "
            f"by num_channels {num_channels}"
        )
    y = x.reshape(g, -1, num_channels, c // num_channels, h, w)
    y = (y - y.mean(dim=0)).pow(2).mean(dim=0)  # variance over the group
    y = (y + 1e-8).sqrt().mean(dim=(2, 3, 4))  # (N / G, num_channels)
    y = y.reshape(-1, num_channels, 1, 1).repeat(g, 1, h, w)
    return ember.cat([x, y], dim=1)


class _ResBlock(nn.Module):
    """``(conv3x3 -> lrelu -> conv3x3 -> lrelu -> avgpool2) + (avgpool2 -> conv1x1)``, / sqrt 2."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.conv0 = EqualConv2d(in_ch, in_ch, 3, padding=1)
        self.conv1 = EqualConv2d(in_ch, out_ch, 3, padding=1)
        self.skip = EqualConv2d(in_ch, out_ch, 1, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        y = F.avg_pool2d(fused_lrelu(self.conv1(fused_lrelu(self.conv0(x)))), 2)
        skip = self.skip(F.avg_pool2d(x, 2))
        # dividing by sqrt(2) keeps the variance of the sum of two unit-variance paths at 1
        return (y + skip) * (1 / math.sqrt(2.0))


class StyleGAN2Discriminator(nn.Module):
    """StyleGAN2 residual discriminator: fromRGB, residual blocks halving the resolution down
    to 4x4, optional minibatch-std, conv, then two equalized linear layers to one logit.

    Args:
        img_resolution: input side, a power of 2 >= 4. Default: 32.
        img_channels: image channels. Default: 3.
        channel_base, channel_max: as for :class:`StyleGAN2Generator`. Defaults: 1024, 64.
        mbstd_group_size: group size of the minibatch-std layer; 0 disables it. Default: 4.
        mbstd_num_channels: feature maps added by minibatch-std. Default: 1.

    Shape:
        - Input: ``(N, img_channels, img_resolution, img_resolution)``.
        - Output: ``(N,)`` logits (no sigmoid; see :func:`discriminator_loss`).
    """

    def __init__(
        self,
        img_resolution: int = 32,
        img_channels: int = 3,
        channel_base: int = 1024,
        channel_max: int = 64,
        mbstd_group_size: int = 4,
        mbstd_num_channels: int = 1,
    ) -> None:
        super().__init__()
        check_positive("StyleGAN2Discriminator", img_channels=img_channels)
        resolutions = _resolutions(img_resolution, "StyleGAN2Discriminator")[::-1]
        ch = [_channels(r, channel_base, channel_max) for r in resolutions]
        self.image_shape = (img_channels, img_resolution, img_resolution)
        self.fromrgb = EqualConv2d(img_channels, ch[0], 1)
        self.blocks = nn.ModuleList([_ResBlock(ch[i], ch[i + 1]) for i in range(len(ch) - 1)])
        self.mbstd_group_size = mbstd_group_size
        self.mbstd_num_channels = mbstd_num_channels if mbstd_group_size > 0 else 0
        c4 = ch[-1]
        self.conv = EqualConv2d(c4 + self.mbstd_num_channels, c4, 3, padding=1)
        self.fc = EqualLinear(c4 * 16, c4, activation=True)
        self.out = EqualLinear(c4, 1)

    def forward(self, x: Tensor) -> Tensor:
        check_image(x, self.image_shape, "StyleGAN2Discriminator")
        x = fused_lrelu(self.fromrgb(x))
        for block in self.blocks:
            x = block(x)
        if self.mbstd_num_channels:
            x = minibatch_stddev(x, self.mbstd_group_size, self.mbstd_num_channels)
        x = fused_lrelu(self.conv(x))
        return self.out(self.fc(x.flatten(1))).reshape(-1)


def generator_loss(fake_logits: Tensor) -> Tensor:
    """Non-saturating generator loss ``mean(softplus(-D(G(z))))`` = ``-mean(log sigmoid(D))``."""
    return F.softplus(-fake_logits).mean()


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Logistic discriminator loss ``mean(softplus(D(fake))) + mean(softplus(-D(real)))``."""
    return F.softplus(fake_logits).mean() + F.softplus(-real_logits).mean()


def r1_penalty(discriminator: nn.Module, real_images: Tensor) -> Tensor:
    """R1 regulariser (Mescheder et al., 2018): ``mean_n ||grad_x D(x_n)||^2`` on real data.

    The input gradient is taken with ``create_graph=True``, so calling ``backward`` on the
    penalty differentiates through it (a second-order gradient) into the discriminator's
    weights. Scale by ``gamma / 2`` and add to :func:`discriminator_loss`. Gradients are
    enabled inside even under ``no_grad`` (the penalty needs them to exist at all).

    Shape:
        - real_images: ``(N, C, H, W)``. Output: scalar.
    """
    with ember.enable_grad():
        real = real_images.detach().requires_grad_(True)
        logits = discriminator(real)
        (grad,) = ember.autograd.grad(logits.sum(), real, create_graph=True)
    return grad.pow(2).reshape(grad.shape[0], -1).sum(dim=1).mean()
