"""Segmentation models: :class:`UNet` (Ronneberger et al., 2015) and an :class:`FCNHead`."""

from __future__ import annotations

import ember
from ember import nn
from ember._tensor import Tensor
from ember.models._common import check_positive
from ember.nn import functional as F

__all__ = ["UNet", "DoubleConv", "FCNHead", "FCN"]


class DoubleConv(nn.Sequential):
    """``(conv3x3 -> [BatchNorm] -> ReLU) x 2``, keeping H and W.

    Shape:
        - Input: ``(N, in_channels, H, W)``.
        - Output: ``(N, out_channels, H, W)``.
    """

    def __init__(self, in_channels: int, out_channels: int, batchnorm: bool = True) -> None:
        layers: list[nn.Module] = []
        for c_in in (in_channels, out_channels):
            layers.append(nn.Conv2d(c_in, out_channels, 3, padding=1, bias=not batchnorm))
            if batchnorm:
                layers.append(nn.BatchNorm2d(out_channels))
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class _Up(nn.Module):
    """Upsample by 2, concatenate the skip connection, then :class:`DoubleConv`."""

    def __init__(self, in_channels: int, out_channels: int, bilinear: bool, batchnorm: bool):
        super().__init__()
        if bilinear:
            self.up: nn.Module = nn.Sequential(
                nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                nn.Conv2d(in_channels, out_channels, 1),
            )
        else:
            self.up = nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2)
        self.conv = DoubleConv(2 * out_channels, out_channels, batchnorm)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        x = self.up(x)
        if tuple(x.shape[-2:]) != tuple(skip.shape[-2:]):
            # NOTE: odd sizes lose a row/column to flooring max pools; resize back to the skip
            x = F.interpolate(x, size=tuple(skip.shape[-2:]), mode="nearest")
        return self.conv(ember.cat([skip, x], dim=1))


class UNet(nn.Module):
    """U-Net: an encoder of ``depth`` max-pool downsamplings, a mirrored decoder with skips.

    Stage ``i`` of the encoder has ``width * 2**i`` channels; the decoder upsamples with a
    2x2 transposed convolution (or bilinear resize + 1x1 conv), concatenates the encoder's
    map at that scale and applies a :class:`DoubleConv`. A 1x1 conv gives per-pixel logits.

    Args:
        in_channels: input channels. Default: 1.
        num_classes: output channels (class logits). Default: 2.
        depth: number of downsamplings. Default: 4.
        width: channels of the first stage. Default: 64.
        bilinear: bilinear upsampling instead of transposed convolutions. Default: False.
        batchnorm: BatchNorm in every :class:`DoubleConv`. Default: True.

    Shape:
        - Input: ``(N, in_channels, H, W)`` with H, W >= ``2 ** depth``.
        - Output: ``(N, num_classes, H, W)`` (same H and W as the input).
    """

    def __init__(
        self,
        in_channels: int = 1,
        num_classes: int = 2,
        depth: int = 4,
        width: int = 64,
        bilinear: bool = False,
        batchnorm: bool = True,
    ) -> None:
        super().__init__()
        check_positive("UNet", in_channels=in_channels, num_classes=num_classes, width=width)
        if depth < 0:
            raise ValueError(f"UNet: depth must be >= 0, got {depth}")
        self.depth = depth
        self.in_channels = in_channels
        widths = [width * 2**i for i in range(depth + 1)]
        self.inc = DoubleConv(in_channels, widths[0], batchnorm)
        self.pool = nn.MaxPool2d(2)
        self.down = nn.ModuleList(
            [DoubleConv(widths[i], widths[i + 1], batchnorm) for i in range(depth)]
        )
        self.up = nn.ModuleList(
            [_Up(widths[i + 1], widths[i], bilinear, batchnorm) for i in reversed(range(depth))]
        )
        self.outc = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"UNet(in_channels={self.in_channels}): expected input (N, {self.in_channels}, "
                f"H, W), got {tuple(x.shape)}"
            )
        if min(x.shape[-2:]) < 2**self.depth:
            raise ValueError(
                f"UNet(depth={self.depth}): H and W must be at least {2**self.depth}, "
                f"got {tuple(x.shape[-2:])}"
            )
        skips = [self.inc(x)]
        for block in self.down:
            skips.append(block(self.pool(skips[-1])))
        x = skips.pop()
        for block in self.up:
            x = block(x, skips.pop())
        return self.outc(x)


class FCNHead(nn.Sequential):
    """torchvision's FCN head: ``conv3x3 (C/4) -> BatchNorm -> ReLU -> Dropout(0.1) -> conv1x1``.

    Args:
        in_channels: channels of the backbone's feature map.
        channels: output channels (number of classes).
        dropout: dropout probability. Default: 0.1.

    Shape:
        - Input: ``(N, in_channels, h, w)``.
        - Output: ``(N, channels, h, w)``.
    """

    def __init__(self, in_channels: int, channels: int, dropout: float = 0.1) -> None:
        check_positive("FCNHead", in_channels=in_channels, channels=channels)
        inter = max(in_channels // 4, 1)
        super().__init__(
            nn.Conv2d(in_channels, inter, 3, padding=1, bias=False),
            nn.BatchNorm2d(inter),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Conv2d(inter, channels, 1),
        )


class FCN(nn.Module):
    """Fully convolutional segmentation: ``backbone`` features -> ``classifier`` -> resize.

    Args:
        backbone: a module mapping ``(N, C_in, H, W)`` to a feature map ``(N, C, h, w)``
            (e.g. ``ResNet.forward_features`` wrapped in a module, or a conv stack).
        classifier: usually :class:`FCNHead` ``(C, num_classes)``.

    Shape:
        - Input: ``(N, C_in, H, W)``.
        - Output: ``(N, num_classes, H, W)``: logits bilinearly resized to the input size.
    """

    def __init__(self, backbone: nn.Module, classifier: nn.Module) -> None:
        super().__init__()
        self.backbone = backbone
        self.classifier = classifier

    def forward(self, x: Tensor) -> Tensor:
        out = self.classifier(self.backbone(x))
        return F.interpolate(out, size=tuple(x.shape[-2:]), mode="bilinear", align_corners=False)
