"""Transform base class, ``Compose`` and ``Lambda``.

A transform is a callable on one sample. Transforms that can be undone set ``invertible = True``
and implement ``decode``; transforms that learn statistics from data implement ``setup(items)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np


class Transform:
    """Base class of ember transforms.

    Subclasses implement ``__call__(x)``; invertible ones also ``decode(y)`` (so that
    ``decode(t(x)) == x`` up to rounding) and set ``invertible = True``; ones with learned
    statistics implement ``setup(items)``.
    """

    invertible: bool = False

    def __call__(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not implement __call__")

    def decode(self, x: Any) -> Any:
        """Undo the transform (only for ``invertible`` transforms)."""
        raise NotImplementedError(f"{type(self).__name__} is not invertible: it has no decode")

    def setup(self, items: Any) -> Transform:
        """Fit statistics on ``items`` (a dataset, a sequence or a stacked array); default no-op."""
        return self

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def iter_inputs(items: Any) -> Iterator[Any]:
    """Yield the inputs held by ``items``.

    ``items`` may be a stacked array or Tensor (one input per leading index), a dataset or
    sequence (tuples such as ``(x, y)`` contribute their first element), or any iterable.
    """
    from ember._tensor import Tensor

    if isinstance(items, np.ndarray):
        yield from items
        return
    if isinstance(items, Tensor):
        for row in items._data:
            yield Tensor._make(row)
        return
    sequence = items
    if hasattr(sequence, "__getitem__") and hasattr(sequence, "__len__"):
        items = (sequence[i] for i in range(len(sequence)))
    for item in items:
        yield item[0] if isinstance(item, tuple) else item


class _Mapped:
    """A lazy re-iterable view of ``items``' inputs passed through ``transforms``."""

    def __init__(self, items: Any, transforms: Sequence[Callable]):
        self.items = items
        self.transforms = transforms

    def __iter__(self) -> Iterator[Any]:
        for x in iter_inputs(self.items):
            for t in self.transforms:
                x = t(x)
            yield x


class Compose(Transform):
    """Chain transforms: ``Compose([a, b])(x) == b(a(x))``.

    ``decode`` undoes the chain in reverse order, skipping steps that cannot be undone (random
    augmentations, resizes); ``setup`` fits each step on the items passed through the earlier
    steps.

    Args:
        transforms: the callables to apply in order.
    """

    invertible = True

    def __init__(self, transforms: Sequence[Callable]):
        transforms = list(transforms)
        for t in transforms:
            if not callable(t):
                raise TypeError(f"Compose: expected callables, got {type(t).__name__}")
        self.transforms = transforms

    def __call__(self, x: Any) -> Any:
        for t in self.transforms:
            x = t(x)
        return x

    def decode(self, x: Any) -> Any:
        for t in reversed(self.transforms):
            if getattr(t, "invertible", False):
                x = t.decode(x)
        return x

    def setup(self, items: Any) -> Compose:
        for i, t in enumerate(self.transforms):
            if hasattr(t, "setup"):
                t.setup(_Mapped(items, self.transforms[:i]) if i else items)
        return self

    def __repr__(self) -> str:
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class Lambda(Transform):
    """Wrap a function as a transform; give ``inverse`` to make it decodable.

    Args:
        lambd: the function applied to each input.
        inverse: optional function undoing ``lambd`` (used by ``decode``).
    """

    def __init__(self, lambd: Callable, inverse: Callable | None = None):
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        if inverse is not None and not callable(inverse):
            raise TypeError(f"Lambda: inverse should be callable, got {type(inverse).__name__}")
        self.lambd = lambd
        self.inverse = inverse
        self.invertible = inverse is not None

    def __call__(self, x: Any) -> Any:
        return self.lambd(x)

    def decode(self, x: Any) -> Any:
        if self.inverse is None:
            return super().decode(x)
        return self.inverse(x)
