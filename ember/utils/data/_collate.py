"""Collation: turn a list of samples into one batch of Tensors with the samples' structure.

``default_collate`` stacks along a new leading batch dimension; ``default_convert`` (used when
auto-batching is off) only turns NumPy arrays into Tensors. ``BatchedSamples`` is what a
vectorised ``__getitems__`` returns: the batch already stacked column-wise, which
``default_collate`` hands back without a Python loop over samples.
"""

from __future__ import annotations

import collections.abc
import copy
from typing import Any

import numpy as np

from ember._dtype import from_numpy_dtype
from ember._tensor import Tensor

_TYPE_ERROR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)
_STRING_KINDS = "SaUO"  # NumPy dtype kinds that hold strings or objects, not numbers


class BatchedSamples(collections.abc.Sequence):
    """A batch fetched column-wise: a tree of tuples/dicts whose leaves are stacked arrays.

    Indexing gives the per-sample structure (so a custom ``collate_fn`` sees the same list of
    samples a Python loop would give), while ``default_collate`` returns ``collate()`` directly.

    Args:
        tree: a tuple or dict (nested freely) whose leaves are arrays of shape (B, *sample_shape).
    """

    __slots__ = ("tree", "_len")

    def __init__(self, tree: Any):
        self.tree = tree
        self._len = len(_first_leaf(tree))

    def __len__(self) -> int:
        return self._len

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._len))]
        if not -self._len <= i < self._len:
            raise IndexError(f"BatchedSamples index {i} out of range for {self._len} samples")
        return _map_tree(self.tree, lambda leaf: Tensor._make(leaf[i, ...]))

    def collate(self):
        """The batch as ``default_collate`` gives it: tuples become lists, leaves Tensors."""
        return _map_tree(self.tree, Tensor._make, tuple_type=list)


def _first_leaf(tree):
    while isinstance(tree, (tuple, dict)):
        tree = next(iter(tree.values())) if isinstance(tree, dict) else tree[0]
    return tree


def _map_tree(tree, fn, tuple_type=tuple):
    if isinstance(tree, dict):
        return {k: _map_tree(v, fn, tuple_type) for k, v in tree.items()}
    if isinstance(tree, tuple):
        return tuple_type(_map_tree(v, fn, tuple_type) for v in tree)
    return fn(tree)


def _where(path: tuple) -> str:
    """Human-readable location of a leaf inside a sample: "samples at key 'image'"."""
    if not path:
        return "samples"
    parts = [f"key {p!r}" if kind == "key" else f"position {p}" for kind, p in path]
    return "samples at " + " -> ".join(parts)


def _stack_arrays(arrays: list, path: tuple) -> np.ndarray:
    first = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != first:
            raise RuntimeError(
                f"default_collate: {_where(path)} have different shapes: {first} at index 0 vs "
                f"{a.shape} at index {i} (stack expects each tensor to be equal size)"
            )
    out = np.stack(arrays)
    from_numpy_dtype(out.dtype)  # refuse dtypes ember has no Tensor type for, with its message
    return out


def _collate(batch, path: tuple):
    elem = batch[0]
    if isinstance(elem, Tensor):
        if any(t.requires_grad for t in batch):
            from ember.ops.shape import stack

            _stack_arrays([t._data for t in batch], path)  # shape check with the clear message
            return stack(list(batch))  # keeps the graph, as torch.stack would
        return Tensor._make(_stack_arrays([t._data for t in batch], path))
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in _STRING_KINDS:
            raise TypeError(_TYPE_ERROR.format(elem.dtype))
        return Tensor._make(_stack_arrays(list(batch), path))
    if isinstance(elem, (str, bytes)):
        return batch  # as PyTorch: the sequence itself (a tuple when it came from a transpose)
    if isinstance(elem, np.generic):
        if elem.dtype.kind in _STRING_KINDS:
            raise TypeError(_TYPE_ERROR.format(elem.dtype))
        return Tensor._make(_stack_arrays([np.asarray(e) for e in batch], path))
    if isinstance(elem, bool):
        return Tensor._make(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor._make(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor._make(np.array(batch, dtype=np.float64))
    if isinstance(elem, collections.abc.Mapping):
        return _collate_mapping(batch, path)
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        _check_lengths(batch, path)
        return type(elem)(*(_collate(s, path + (("pos", i),)) for i, s in enumerate(zip(*batch))))
    if isinstance(elem, collections.abc.Sequence):
        _check_lengths(batch, path)
        fields = [_collate(s, path + (("pos", i),)) for i, s in enumerate(zip(*batch))]
        if isinstance(elem, tuple):
            return fields  # PyTorch returns a list for tuple samples
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    raise TypeError(_TYPE_ERROR.format(type(elem)))


def _collate_mapping(batch, path: tuple):
    elem = batch[0]
    out = {}
    for key in elem:
        values = []
        for i, d in enumerate(batch):
            if key not in d:
                raise KeyError(
                    f"default_collate: sample at index {i} has no key {key!r} (index 0 has it)"
                )
            values.append(d[key])
        out[key] = _collate(values, path + (("key", key),))
    if isinstance(elem, collections.abc.MutableMapping):
        clone = copy.copy(elem)  # keeps the mapping's type (OrderedDict, defaultdict, ...)
        clone.update(out)
        return clone
    return out


def _check_lengths(batch, path: tuple) -> None:
    n = len(batch[0])
    for i, s in enumerate(batch):
        if len(s) != n:
            raise RuntimeError(
                f"default_collate: each element in list of batch should be of equal size; "
                f"{_where(path)} have lengths {n} at index 0 vs {len(s)} at index {i}"
            )


def default_collate(batch):
    """Stack a list of samples into a batch with the same structure.

    Tensors and NumPy arrays are stacked on a new dim 0; Python ints become an int64 Tensor,
    floats float64, bools bool; dicts, namedtuples and lists are collated field by field
    (tuples give lists, as in PyTorch); strings stay a list.

    Args:
        batch: a sequence of B samples, or a ``BatchedSamples`` from a vectorised fetch.

    Returns:
        The batched structure; every Tensor leaf has shape (B, *sample_shape).

    Raises:
        RuntimeError: samples whose shapes (or lengths) differ, naming where and which index.
        TypeError: a sample element of a type that cannot be batched.
    """
    if isinstance(batch, BatchedSamples):
        return batch.collate()
    return _collate(batch, ())


def default_convert(data):
    """Turn NumPy arrays (at any depth of lists/tuples/dicts) into Tensors, without batching.

    Used by ``DataLoader`` when ``batch_size=None``. Arrays share memory with the Tensor; numbers
    and strings are returned unchanged; tuples become lists, as in PyTorch.
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in _STRING_KINDS else Tensor._make(data)
    if isinstance(data, np.generic):
        return data if data.dtype.kind in _STRING_KINDS else Tensor._make(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        out = {k: default_convert(v) for k, v in data.items()}
        if isinstance(data, collections.abc.MutableMapping):
            clone = copy.copy(data)
            clone.update(out)
            return clone
        return out
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        converted = [default_convert(d) for d in data]
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    return data
