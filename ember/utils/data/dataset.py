"""Datasets: map-style and iterable bases, tensor/subset/concat/stack datasets, random_split."""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterable, Sequence
from itertools import accumulate
from typing import Generic, TypeVar

import numpy as np

from ember import random as _random
from ember._tensor import Tensor
from ember.utils.data._collate import BatchedSamples

T_co = TypeVar("T_co", covariant=True)


class Dataset(Generic[T_co]):
    """A map-style dataset: ``dataset[i]`` gives sample ``i``; ``len(dataset)`` when sized.

    Subclasses implement ``__getitem__`` (and usually ``__len__``). They may also implement
    ``__getitems__(indices)`` returning the list of samples, which ``DataLoader`` then calls once
    per batch instead of ``__getitem__`` per sample.
    """

    def __getitem__(self, index):
        raise NotImplementedError(
            f"{type(self).__name__}: subclasses of Dataset should implement __getitem__."
        )

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """A stream of samples: subclasses implement ``__iter__``.

    With ``num_workers > 0`` every worker iterates its own copy; shard the stream inside
    ``__iter__`` with ``get_worker_info()`` or every sample is seen once per worker.
    """

    def __iter__(self):
        raise NotImplementedError(
            f"{type(self).__name__}: subclasses of IterableDataset should implement __iter__."
        )

    def __add__(self, other: IterableDataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows of equally long tensors: ``dataset[i] = (t[i] for t in tensors)``.

    A batch is fetched with one fancy index per tensor (``__getitems__``), not a loop.

    Args:
        *tensors: Tensors (or NumPy arrays) sharing the size of dim 0, N.
    """

    def __init__(self, *tensors: Tensor):
        tensors = tuple(Tensor._make(t) if isinstance(t, np.ndarray) else t for t in tensors)
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"TensorDataset: expected Tensors, got {type(t).__name__} at position {i}"
                )
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        sizes = [t.shape[0] if t.ndim else None for t in tensors]
        if any(s != sizes[0] for s in sizes) or sizes[0] is None:
            # PyTorch asserts here, so the type is AssertionError
            raise AssertionError(
                f"TensorDataset: Size mismatch between tensors: dim 0 sizes {sizes}"
            )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __getitems__(self, indices: Sequence[int]):
        if any(t.requires_grad for t in self.tensors):
            return [self[i] for i in indices]  # keep autograd: index through ember ops
        idx = np.asarray(indices, dtype=np.intp)
        return BatchedSamples(tuple(t._data[idx] for t in self.tensors))

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


def _fetch_many(dataset, indices):
    """Samples ``indices`` of ``dataset``: one vectorised call when it has ``__getitems__``."""
    getitems = getattr(dataset, "__getitems__", None)
    if getitems is not None:
        return getitems(indices)
    return [dataset[i] for i in indices]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    Args:
        dataset: the map-style dataset to view.
        indices: positions in ``dataset``.
    """

    def __init__(self, dataset: Dataset, indices: Sequence[int]):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: Sequence[int]):
        return _fetch_many(self.dataset, [self.indices[i] for i in indices])

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    """Map-style datasets one after another: indices run through each in turn.

    Args:
        datasets: a non-empty iterable of map-style datasets.
    """

    def __init__(self, datasets: Iterable[Dataset]):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError(
                    f"ConcatDataset: absolute value of index should not exceed dataset length "
                    f"({idx} for length {n})"
                )
            idx += n
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        if which == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {idx} out of range for length {n}")
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """Iterable datasets chained one after another.

    Args:
        datasets: iterable datasets.
    """

    def __init__(self, datasets: Iterable[IterableDataset]):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


class StackDataset(Dataset):
    """Datasets of equal length zipped: sample i is a tuple (positional) or dict (keywords).

    Example: ``StackDataset(image=images, label=labels)[i] == {"image": ..., "label": ...}``.
    """

    def __init__(self, *args: Dataset, **kwargs: Dataset):
        if args and kwargs:
            raise ValueError(
                "StackDataset: supported either tuple- (via args) or dict- (via kwargs) like "
                "input/output, but both types are given."
            )
        if not args and not kwargs:
            raise ValueError("StackDataset: at least one dataset should be passed")
        self.datasets = args if args else kwargs
        named = kwargs if kwargs else dict(enumerate(args))
        lengths = {k: len(d) for k, d in named.items()}
        self._length = next(iter(lengths.values()))
        if any(n != self._length for n in lengths.values()):
            raise ValueError(f"StackDataset: Size mismatch between datasets: lengths {lengths}")

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: Sequence[int]):
        named = self.datasets if isinstance(self.datasets, dict) else dict(enumerate(self.datasets))
        parts = {}
        for key, d in named.items():
            items = _fetch_many(d, indices)
            if len(items) != len(indices):
                raise ValueError(
                    f"StackDataset: nested dataset {key!r} returned {len(items)} samples for "
                    f"{len(indices)} indices"
                )
            parts[key] = items
        as_dict = isinstance(self.datasets, dict)
        if all(isinstance(p, BatchedSamples) for p in parts.values()):
            trees = {k: p.tree for k, p in parts.items()}
            return BatchedSamples(trees if as_dict else tuple(trees.values()))
        if as_dict:
            return [{k: p[i] for k, p in parts.items()} for i in range(len(indices))]
        return [tuple(p[i] for p in parts.values()) for i in range(len(indices))]

    def __len__(self) -> int:
        return self._length


def _split_lengths(n: int, lengths: Sequence[float]) -> list[int]:
    """Fractions summing to 1 become counts: floor each, then hand out the remainder
    one by one from the first split on (PyTorch's rule)."""
    counts = []
    for i, frac in enumerate(lengths):
        if frac < 0 or frac > 1:
            raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1: {frac}")
        counts.append(int(math.floor(n * frac)))
    for i in range(n - sum(counts)):
        counts[i % len(counts)] += 1
    for i, c in enumerate(counts):
        if c == 0:
            warnings.warn(
                f"random_split: length of split at index {i} is 0. "
                f"This might result in an empty dataset.",
                stacklevel=3,
            )
    return counts


def random_split(
    dataset: Dataset, lengths: Sequence[int | float], generator: _random.Generator | None = None
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping ``Subset``s.

    Args:
        dataset: a sized map-style dataset of N samples.
        lengths: split sizes summing to N, or fractions summing to 1 (rounded as PyTorch does).
        generator: the ember Generator to draw the permutation from (default: the global one).

    Returns:
        One ``Subset`` per entry of ``lengths``.
    """
    n = len(dataset)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        lengths = _split_lengths(n, lengths)
    if sum(lengths) != n:
        raise ValueError(
            f"random_split: sum of input lengths ({sum(lengths)}) does not equal the length of "
            f"the input dataset ({n})!"
        )
    perm = _random.rng(generator).permutation(n).tolist()
    return [
        Subset(dataset, perm[end - length : end])
        for end, length in zip(accumulate(lengths), lengths)
    ]
