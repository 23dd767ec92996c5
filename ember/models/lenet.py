"""LeNet-5 (LeCun et al., 1998), the classic small convolutional classifier."""

from __future__ import annotations

from ember import nn
from ember._tensor import Tensor
from ember.models._common import check_image, check_positive, make_activation

__all__ = ["LeNet5"]


class LeNet5(nn.Module):
    """LeNet-5: ``conv5x5(6) -> pool -> conv5x5(16) -> pool -> fc120 -> fc84 -> fc(num_classes)``.

    The first convolution pads by ``padding`` (2 by default, so 28x28 MNIST digits behave like
    the original 32x32 inputs); the flattened feature size follows from ``input_size``.

    Args:
        num_classes: number of output classes. Default: 10.
        in_channels: input channels. Default: 1.
        input_size: input height and width. Default: 28.
        padding: zero padding of the first convolution. Default: 2.
        activation: ``"tanh"`` (original) or any name :class:`MLP` accepts. Default: ``"tanh"``.
        pooling: ``"avg"`` (original subsampling) or ``"max"``. Default: ``"avg"``.

    Shape:
        - Input: ``(N, in_channels, input_size, input_size)``.
        - Output: ``(N, num_classes)`` logits.
    """

    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 1,
        input_size: int = 28,
        padding: int = 2,
        activation: str = "tanh",
        pooling: str = "avg",
    ) -> None:
        super().__init__()
        check_positive("LeNet5", num_classes=num_classes, in_channels=in_channels)
        if pooling not in ("avg", "max"):
            raise ValueError(f"LeNet5: pooling must be 'avg' or 'max', got {pooling!r}")
        # two (conv 5x5 valid, pool 2) stages: s -> (s + 2p - 4) // 2 -> (. - 4) // 2
        side = ((input_size + 2 * padding - 4) // 2 - 4) // 2
        if side < 1:
            raise ValueError(
                f"LeNet5: input_size={input_size} with padding={padding} is too small "
                "(needs at least 16 after padding)"
            )
        self.input_size = input_size
        self.in_channels = in_channels
        pool = nn.AvgPool2d if pooling == "avg" else nn.MaxPool2d
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=padding),
            make_activation(activation, "LeNet5"),
            pool(2),
            nn.Conv2d(6, 16, 5),
            make_activation(activation, "LeNet5"),
            pool(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * side * side, 120),
            make_activation(activation, "LeNet5"),
            nn.Linear(120, 84),
            make_activation(activation, "LeNet5"),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: Tensor) -> Tensor:
        check_image(x, (self.in_channels, self.input_size, self.input_size), "LeNet5")
        return self.classifier(self.features(x))
