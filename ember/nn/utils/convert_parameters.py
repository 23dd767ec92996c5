"""Parameters to one flat vector and back: ``parameters_to_vector``, ``vector_to_parameters``."""

from __future__ import annotations

from collections.abc import Iterable

from ember._tensor import Tensor
from ember.ops.shape import cat

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """Concatenate the flattened ``parameters`` into one 1-D tensor (differentiable)."""
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into ``parameters`` (their data is replaced).

    Raises:
        TypeError: when ``vec`` is not a Tensor.
        RuntimeError: when ``vec`` is shorter than the parameters need.
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected ember.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    needed = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() < needed:
        raise RuntimeError(
            f"vector_to_parameters(): expected a 1-D vector of at least {needed} elements, got "
            f"shape {tuple(vec.shape)}"
        )
    pointer = 0
    for param in params:
        n = param.numel()
        param.data = vec[pointer : pointer + n].view_as(param).data
        pointer += n
