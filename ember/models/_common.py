"""Small helpers shared by several model families (activation lookup, range scaling)."""

from __future__ import annotations

from collections.abc import Callable

from ember import nn
from ember._tensor import Tensor

# name -> layer class; the layers take no required arguments
_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "elu": nn.ELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def make_activation(activation: str | Callable[[], nn.Module], owner: str) -> nn.Module:
    """Build an activation layer from a name (``"relu"``, ``"gelu"``, ...) or a layer factory.

    Raises:
        ValueError: for an unknown name, naming ``owner`` and the accepted names.
    """
    if isinstance(activation, str):
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"{owner}: activation must be one of {sorted(_ACTIVATIONS)} or a layer class, "
                f"got {activation!r}"
            )
        return _ACTIVATIONS[activation]()
    layer = activation()
    if not isinstance(layer, nn.Module):
        raise TypeError(
            f"{owner}: activation factory must return an nn.Module, got {type(layer).__name__}"
        )
    return layer


def check_y_range(y_range: tuple[float, float] | None, owner: str) -> tuple[float, float] | None:
    """Validate a ``(low, high)`` output range (or None)."""
    if y_range is None:
        return None
    if len(y_range) != 2 or not y_range[0] < y_range[1]:
        raise ValueError(f"{owner}: y_range must be (low, high) with low < high, got {y_range}")
    return (float(y_range[0]), float(y_range[1]))


def sigmoid_range(x: Tensor, y_range: tuple[float, float] | None) -> Tensor:
    """Squash ``x`` into ``(low, high)``: ``sigmoid(x) * (high - low) + low`` (fastai's scaling)."""
    if y_range is None:
        return x
    low, high = y_range
    return x.sigmoid() * (high - low) + low


def check_positive(owner: str, **values: int) -> None:
    """Raise ValueError if any named integer hyper-parameter is not positive."""
    for name, value in values.items():
        if int(value) <= 0:
            raise ValueError(f"{owner}: {name} must be a positive integer, got {value}")


def check_image(x: Tensor, expected: tuple[int, ...], owner: str) -> None:
    """Raise ValueError unless ``x`` is ``(N, *expected)``."""
    if x.ndim != len(expected) + 1 or tuple(x.shape[1:]) != tuple(expected):
        dims = ", ".join(map(str, expected))
        raise ValueError(f"{owner}: expected input of shape (N, {dims}), got {tuple(x.shape)}")
