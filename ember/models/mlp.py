"""Fully connected models: :class:`MLP` and :class:`LogisticRegression`."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ember import nn
from ember._tensor import Tensor
from ember.models._common import make_activation
from ember.nn import functional as F

__all__ = ["MLP", "LogisticRegression"]


class MLP(nn.Module):
    """A multi-layer perceptron: ``Linear -> [BatchNorm1d] -> activation -> [Dropout]`` blocks.

    The last ``Linear`` has no normalisation, activation or dropout (it yields logits or
    regression outputs), unless ``output_activation`` is given.

    Args:
        sizes: layer widths ``[in_features, hidden_1, ..., out_features]`` (at least two).
        activation: hidden activation, a name (``"relu"``, ``"gelu"``, ``"tanh"``, ...) or a
            layer class. Default: ``"relu"``.
        dropout: dropout probability after each hidden activation. Default: 0.
        batchnorm: insert ``BatchNorm1d`` after each hidden ``Linear``. Default: False.
        bias: biases in the linear layers. Default: True.
        output_activation: optional activation applied to the output.

    Shape:
        - Input: ``(N, sizes[0])``; without batchnorm any ``(*, sizes[0])``.
        - Output: ``(N, sizes[-1])`` (``(*, sizes[-1])``).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | Callable[[], nn.Module] = "relu",
        dropout: float = 0.0,
        batchnorm: bool = False,
        bias: bool = True,
        output_activation: str | Callable[[], nn.Module] | None = None,
    ) -> None:
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) <= 0:
            raise ValueError(f"MLP: sizes must list at least two positive widths, got {sizes}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP: dropout must be in [0, 1), got {dropout}")
        self.sizes = sizes
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(n_in, n_out, bias=bias))
            if i == len(sizes) - 2:
                break
            if batchnorm:
                layers.append(nn.BatchNorm1d(n_out))
            layers.append(make_activation(activation, "MLP"))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        if output_activation is not None:
            layers.append(make_activation(output_activation, "MLP"))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.sizes[0]:
            raise ValueError(
                f"MLP(sizes={self.sizes}): expected last dimension {self.sizes[0]}, "
                f"got input of shape {tuple(x.shape)}"
            )
        return self.layers(x)


class LogisticRegression(nn.Module):
    """Logistic regression: one ``Linear`` layer producing logits.

    With ``num_classes=1`` it is binary (one logit, trained with ``BCEWithLogitsLoss``);
    with ``num_classes > 1`` it is multinomial (softmax regression, ``CrossEntropyLoss``).

    Args:
        in_features: number of input features.
        num_classes: 1 for binary, else the number of classes. Default: 1.
        bias: learn an intercept. Default: True.

    Shape:
        - Input: ``(N, in_features)``.
        - Output: ``(N, num_classes)`` logits.
    """

    def __init__(self, in_features: int, num_classes: int = 1, bias: bool = True) -> None:
        super().__init__()
        if in_features <= 0 or num_classes <= 0:
            raise ValueError(
                f"LogisticRegression: in_features and num_classes must be positive, "
                f"got {in_features} and {num_classes}"
            )
        self.in_features = in_features
        self.num_classes = num_classes
        self.linear = nn.Linear(in_features, num_classes, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x)

    def predict_proba(self, x: Tensor) -> Tensor:
        """Class probabilities: sigmoid of the logit (binary, ``(N, 1)``) or softmax ``(N, C)``."""
        logits = self.forward(x)
        return logits.sigmoid() if self.num_classes == 1 else F.softmax(logits, dim=-1)

    def loss(self, logits: Tensor, target: Tensor) -> Tensor:
        """Mean negative log-likelihood of ``target`` given ``logits``.

        Binary: ``target`` holds 0/1 floats of shape ``(N,)`` or ``(N, 1)``. Multinomial:
        ``target`` holds class indices of shape ``(N,)``.
        """
        if self.num_classes == 1:
            return F.binary_cross_entropy_with_logits(
                logits.reshape(-1), target.reshape(-1).to(logits.dtype)
            )
        return F.cross_entropy(logits, target)
