"""Residual networks (He et al., 2015): torchvision's ImageNet layouts and the CIFAR ResNet-20.

Shortcuts: option "B" (torchvision, ImageNet models) projects with ``conv1x1 + BatchNorm`` when
the shape changes; option "A" (the paper's CIFAR models) is parameter-free: it subsamples the
input with the block's stride and zero-pads the new channels.
"""

from __future__ import annotations

from collections.abc import Sequence

import ember
from ember import nn
from ember._tensor import Tensor
from ember.models._common import check_positive

__all__ = [
    "BasicBlock",
    "Bottleneck",
    "ResNet",
    "resnet18",
    "resnet20",
    "resnet34",
    "resnet50",
]


def _conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)


def _conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class PadShortcut(nn.Module):
    """Option-A shortcut: ``x[:, :, ::stride, ::stride]`` with zero channels appended.

    Shape:
        - Input: ``(N, C_in, H, W)``.
        - Output: ``(N, C_out, ceil(H / stride), ceil(W / stride))``.
    """

    def __init__(self, in_planes: int, out_planes: int, stride: int) -> None:
        super().__init__()
        self.in_planes, self.out_planes, self.stride = in_planes, out_planes, stride

    def forward(self, x: Tensor) -> Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        extra = self.out_planes - self.in_planes
        if extra == 0:
            return x
        zeros = ember.zeros(x.shape[0], extra, x.shape[2], x.shape[3], dtype=x.dtype)
        return ember.cat([x, zeros], dim=1)

    def extra_repr(self) -> str:
        return f"{self.in_planes}, {self.out_planes}, stride={self.stride}"


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with BatchNorm; ``out = relu(bn2(conv2(relu(bn1(conv1 x)))) + id)``.

    Shape:
        - Input: ``(N, inplanes, H, W)``.
        - Output: ``(N, planes, H / stride, W / stride)``.
    """

    expansion = 1

    def __init__(
        self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def last_bn(self) -> nn.BatchNorm2d:
        return self.bn2

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """``conv1x1 -> conv3x3 (stride) -> conv1x1 (x4 channels)`` with BatchNorm (ResNet v1.5).

    Shape:
        - Input: ``(N, inplanes, H, W)``.
        - Output: ``(N, 4 * planes, H / stride, W / stride)``.
    """

    expansion = 4

    def __init__(
        self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None
    ) -> None:
        super().__init__()
        self.conv1 = _conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = _conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = _conv1x1(planes, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def last_bn(self) -> nn.BatchNorm2d:
        return self.bn3

    def forward(self, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """A residual network: stem, one ``layer{i}`` per stage, global average pool, ``fc``.

    Parameter names match torchvision (``conv1``, ``bn1``, ``layer1.0.conv1``,
    ``layer1.0.downsample.0``, ``fc``), so ImageNet layouts load torchvision checkpoints.

    Args:
        block: :class:`BasicBlock` or :class:`Bottleneck`.
        layers: blocks per stage, e.g. ``[2, 2, 2, 2]`` (ResNet-18).
        num_classes: output classes. Default: 1000.
        in_channels: input channels. Default: 3.
        widths: base width of each stage (the block output is ``width * expansion``).
            Default: ``(64, 128, 256, 512)``.
        stem: ``"imagenet"`` (7x7/2 conv + 3x3/2 max pool) or ``"cifar"`` (3x3/1 conv, no pool).
        shortcut: ``"B"`` (1x1 conv + BN projection) or ``"A"`` (subsample + zero-pad).
        zero_init_residual: zero the last BN weight of each block so blocks start as identity.

    Shape:
        - Input: ``(N, in_channels, H, W)``.
        - Output: ``(N, num_classes)`` logits.
    """

    def __init__(
        self,
        block: type[BasicBlock] | type[Bottleneck],
        layers: Sequence[int],
        num_classes: int = 1000,
        in_channels: int = 3,
        widths: Sequence[int] = (64, 128, 256, 512),
        stem: str = "imagenet",
        shortcut: str = "B",
        zero_init_residual: bool = False,
    ) -> None:
        super().__init__()
        if len(layers) != len(widths) or not layers:
            raise ValueError(
                f"ResNet: layers and widths need the same (nonzero) length, "
                f"got {list(layers)} and {list(widths)}"
            )
        if stem not in ("imagenet", "cifar"):
            raise ValueError(f"ResNet: stem must be 'imagenet' or 'cifar', got {stem!r}")
        if shortcut not in ("A", "B"):
            raise ValueError(f"ResNet: shortcut must be 'A' or 'B', got {shortcut!r}")
        check_positive("ResNet", num_classes=num_classes, in_channels=in_channels)
        self.shortcut = shortcut
        self.inplanes = widths[0]
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_channels, self.inplanes, 7, stride=2, padding=3, bias=False)
            self.maxpool: nn.Module = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        else:
            self.conv1 = _conv3x3(in_channels, self.inplanes)
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.num_stages = len(layers)
        for i, (n_blocks, width) in enumerate(zip(layers, widths)):
            stage = self._make_layer(block, width, n_blocks, stride=1 if i == 0 else 2)
            setattr(self, f"layer{i + 1}", stage)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[-1] * block.expansion, num_classes)
        self._init_weights(zero_init_residual)

    def _make_layer(self, block, planes: int, blocks: int, stride: int) -> nn.Sequential:
        downsample = None
        out_planes = planes * block.expansion
        if stride != 1 or self.inplanes != out_planes:
            if self.shortcut == "A":
                downsample = PadShortcut(self.inplanes, out_planes, stride)
            else:
                downsample = nn.Sequential(
                    _conv1x1(self.inplanes, out_planes, stride), nn.BatchNorm2d(out_planes)
                )
        stage = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = out_planes
        stage += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def _init_weights(self, zero_init_residual: bool) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual:
            # a second pass: modules() visits a block before its BatchNorms
            for m in self.modules():
                if isinstance(m, (BasicBlock, Bottleneck)):
                    nn.init.zeros_(m.last_bn().weight)

    def forward_features(self, x: Tensor) -> Tensor:
        """Feature map before pooling: ``(N, widths[-1] * expansion, H', W')``."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for i in range(self.num_stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return x

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.avgpool(self.forward_features(x)).flatten(1))


def resnet18(**kwargs) -> ResNet:
    """ResNet-18: BasicBlock ``[2, 2, 2, 2]``; 11,689,512 parameters with 1000 classes."""
    return ResNet(BasicBlock, [2, 2, 2, 2], **kwargs)


def resnet34(**kwargs) -> ResNet:
    """ResNet-34: BasicBlock ``[3, 4, 6, 3]``; 21,797,672 parameters with 1000 classes."""
    return ResNet(BasicBlock, [3, 4, 6, 3], **kwargs)


def resnet50(**kwargs) -> ResNet:
    """ResNet-50: Bottleneck ``[3, 4, 6, 3]``; 25,557,032 parameters with 1000 classes."""
    return ResNet(Bottleneck, [3, 4, 6, 3], **kwargs)


def resnet20(num_classes: int = 10, in_channels: int = 3, shortcut: str = "A", **kwargs) -> ResNet:
    """CIFAR ResNet-20: 3x3 stem, 3 stages of 3 BasicBlocks with 16/32/64 channels.

    ``shortcut="A"`` (default, as in the paper) gives 269,722 parameters for 10 classes;
    ``"B"`` adds 1x1 conv + BN projections on the two downsampling blocks (272,474).
    """
    return ResNet(
        BasicBlock,
        [3, 3, 3],
        num_classes=num_classes,
        in_channels=in_channels,
        widths=(16, 32, 64),
        stem="cifar",
        shortcut=shortcut,
        **kwargs,
    )
