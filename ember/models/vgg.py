"""VGG networks (Simonyan & Zisserman, 2014) with torchvision's layout and a CIFAR variant."""

from __future__ import annotations

from collections.abc import Sequence

from ember import nn
from ember._tensor import Tensor
from ember.models._common import check_positive

__all__ = ["VGG", "CFGS", "make_vgg_layers", "vgg11", "vgg13", "vgg16", "vgg19", "vgg_cifar_small"]

# channel counts of the 3x3 convolutions; "M" is a 2x2 max pool
CFGS: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M"]
    + [512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


def make_vgg_layers(
    cfg: Sequence[int | str], in_channels: int = 3, batch_norm: bool = False
) -> nn.Sequential:
    """Feature extractor from a cfg list: ints are 3x3 conv widths, ``"M"`` a 2x2 max pool."""
    layers: list[nn.Module] = []
    channels = in_channels
    for item in cfg:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        if not isinstance(item, int) or item <= 0:
            raise ValueError(f"VGG: cfg entries must be positive ints or 'M', got {item!r}")
        layers.append(nn.Conv2d(channels, item, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(item))
        layers.append(nn.ReLU(inplace=True))
        channels = item
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """VGG: ``features`` (conv stacks + max pools), ``avgpool`` to ``pool_size``, ``classifier``.

    With the defaults it matches torchvision's VGG (same parameter names and counts):
    ``classifier = Linear(C*7*7, 4096) ReLU Dropout Linear(4096, 4096) ReLU Dropout
    Linear(4096, num_classes)``. ``hidden_features=None`` drops the two hidden layers
    (a single ``Linear``), as CIFAR variants usually do.

    Args:
        cfg: conv widths and ``"M"`` pools (see :data:`CFGS`). Default: VGG-16 (``"D"``).
        num_classes: output classes. Default: 1000.
        in_channels: input channels. Default: 3.
        batch_norm: BatchNorm after every conv. Default: False.
        hidden_features: width of the two hidden classifier layers, or None. Default: 4096.
        dropout: classifier dropout. Default: 0.5.
        pool_size: side of the adaptive average pool before the classifier. Default: 7.
        init_weights: torchvision's init (Kaiming conv, N(0, 0.01) linear). Default: True.

    Shape:
        - Input: ``(N, in_channels, H, W)``, H and W at least ``2 ** (number of pools)``.
        - Output: ``(N, num_classes)`` logits.
    """

    def __init__(
        self,
        cfg: Sequence[int | str] | None = None,
        num_classes: int = 1000,
        in_channels: int = 3,
        batch_norm: bool = False,
        hidden_features: int | None = 4096,
        dropout: float = 0.5,
        pool_size: int = 7,
        init_weights: bool = True,
    ) -> None:
        super().__init__()
        cfg = list(CFGS["D"] if cfg is None else cfg)
        widths = [c for c in cfg if c != "M"]
        if not widths:
            raise ValueError(f"VGG: cfg needs at least one conv width, got {cfg}")
        check_positive("VGG", num_classes=num_classes, pool_size=pool_size)
        self.features = make_vgg_layers(cfg, in_channels, batch_norm)
        self.avgpool = nn.AdaptiveAvgPool2d((pool_size, pool_size))
        flat = widths[-1] * pool_size * pool_size
        if hidden_features is None:
            self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(flat, num_classes))
        else:
            self.classifier = nn.Sequential(
                nn.Linear(flat, hidden_features),
                nn.ReLU(True),
                nn.Dropout(dropout),
                nn.Linear(hidden_features, hidden_features),
                nn.ReLU(True),
                nn.Dropout(dropout),
                nn.Linear(hidden_features, num_classes),
            )
        if init_weights:
            self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, 0.01)
                nn.init.zeros_(m.bias)

    @classmethod
    def cifar(
        cls,
        cfg: Sequence[int | str] | None = None,
        num_classes: int = 10,
        in_channels: int = 3,
        batch_norm: bool = True,
        dropout: float = 0.0,
    ) -> VGG:
        """A CIFAR-sized VGG: 1x1 average pool and a single linear classifier.

        ``cfg`` defaults to VGG-11 widths (``"A"``); 32x32 inputs leave 1x1 maps after 5 pools.
        """
        return cls(
            CFGS["A"] if cfg is None else cfg,
            num_classes=num_classes,
            in_channels=in_channels,
            batch_norm=batch_norm,
            hidden_features=None,
            dropout=dropout,
            pool_size=1,
        )

    def forward(self, x: Tensor) -> Tensor:
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def _vgg(cfg: str, batch_norm: bool, **kwargs) -> VGG:
    return VGG(CFGS[cfg], batch_norm=batch_norm, **kwargs)


def vgg11(batch_norm: bool = False, **kwargs) -> VGG:
    """VGG-11 (configuration "A"); 132,863,336 parameters with 1000 classes."""
    return _vgg("A", batch_norm, **kwargs)


def vgg13(batch_norm: bool = False, **kwargs) -> VGG:
    """VGG-13 (configuration "B")."""
    return _vgg("B", batch_norm, **kwargs)


def vgg16(batch_norm: bool = False, **kwargs) -> VGG:
    """VGG-16 (configuration "D"); 138,357,544 parameters with 1000 classes."""
    return _vgg("D", batch_norm, **kwargs)


def vgg19(batch_norm: bool = False, **kwargs) -> VGG:
    """VGG-19 (configuration "E")."""
    return _vgg("E", batch_norm, **kwargs)


def vgg_cifar_small(
    num_classes: int = 10, in_channels: int = 3, width: int = 16, batch_norm: bool = True
) -> VGG:
    """A tiny CIFAR VGG: three conv-conv-pool stages of ``width``, ``2*width``, ``4*width``.

    Shape:
        - Input: ``(N, in_channels, H, W)`` with H, W >= 8 (32x32 for CIFAR).
        - Output: ``(N, num_classes)``.
    """
    check_positive("vgg_cifar_small", width=width)
    cfg: list[int | str] = []
    for mult in (1, 2, 4):
        cfg += [width * mult, width * mult, "M"]
    return VGG.cifar(cfg, num_classes=num_classes, in_channels=in_channels, batch_norm=batch_norm)
