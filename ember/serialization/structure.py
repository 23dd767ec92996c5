"""Nested Python objects <-> a JSON description plus a table of named arrays.

Every non-JSON value becomes a one-key object whose key starts with ``$``, so decoding is
unambiguous: ``{"$dict": [[key, value], ...]}`` (keys of any supported hashable type, order
kept), ``{"$odict": ...}``, ``{"$state_dict": [items, _metadata]}`` (an OrderedDict carrying
the ``_metadata`` attribute of ``Module.state_dict``), ``{"$tuple": [...]}``,
``{"$float": "nan"}``, ``{"$tensor": name}``, ``{"$ndarray": name}``, ``{"$npscalar": name}``,
``{"$dtype": "float32"}``, ``{"$device": "cpu"}``, ``{"$size": [...]}``. JSON lists are Python
lists; JSON numbers, strings, booleans and null are themselves.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from ember import _dtype
from ember._backend import device
from ember._tensor import Size, Tensor
from ember.serialization.errors import CorruptCheckpointError
from ember.serialization.safetensors_format import METADATA_KEY, dtype_name

MAX_DEPTH = 200  # container nesting; keeps encoding and decoding far from the recursion limit
_FLOAT_NAMES = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_KEY_SCALARS = (str, int, float, bool, type(None))


def _path_text(path: tuple) -> str:
    return "obj" + "".join(f"[{k!r}]" for k in path)


class _Encoder:
    """One save: walks the object, collecting arrays under unique dotted names."""

    def __init__(self):
        self.arrays: dict = {}
        self._names_by_id: dict = {}  # id(tensor) -> name: a tensor saved twice is stored once
        self._keep: list = []  # keeps ids stable while encoding
        self._active: set = set()  # ids of containers being walked, to catch cycles

    def _name(self, path: tuple) -> str:
        base = ".".join(str(k) for k in path) or "tensor"
        name, n = base, 0
        while name in self.arrays or name == METADATA_KEY:
            n += 1
            name = f"{base}~{n}"
        return name

    def _array(self, obj, arr: np.ndarray, tag: str, path: tuple) -> dict:
        if dtype_name(arr.dtype) is None:
            raise TypeError(
                f"ember.save: cannot save a NumPy array of dtype {arr.dtype} at {_path_text(path)}"
            )
        name = self._names_by_id.get(id(obj))
        if name is None:
            name = self._name(path)
            self.arrays[name] = arr
            self._names_by_id[id(obj)] = name
            self._keep.append(obj)
        return {tag: name}

    def encode(self, obj, path: tuple = ()):
        """The JSON value describing ``obj``; raises TypeError naming the path of bad values."""
        t = type(obj)
        if obj is None or t is bool or t is int or t is str:
            return obj
        if t is float:
            return obj if math.isfinite(obj) else {"$float": repr(obj)}
        if isinstance(obj, Tensor):
            return self._array(obj, obj._data, "$tensor", path)
        if isinstance(obj, np.ndarray):
            return self._array(obj, obj, "$ndarray", path)
        if isinstance(obj, np.generic):
            return self._array(obj, np.asarray(obj), "$npscalar", path)
        if isinstance(obj, _dtype.dtype):
            return {"$dtype": obj.name}
        if t is device:
            return {"$device": str(obj)}
        if t is Size:
            return {"$size": list(obj)}
        if t in (dict, OrderedDict, list, tuple):
            return self._container(obj, path)
        raise TypeError(
            f"ember.save: cannot save object of type {t.__name__} at {_path_text(path)}"
        )

    def _container(self, obj, path: tuple):
        if len(path) >= MAX_DEPTH:
            raise ValueError(f"ember.save: nesting deeper than {MAX_DEPTH} at {_path_text(path)}")
        if id(obj) in self._active:
            raise ValueError(
                f"ember.save: {type(obj).__name__} at {_path_text(path)} contains "
                "itself (reference cycle)"
            )
        self._active.add(id(obj))
        try:
            if type(obj) is list:
                return [self.encode(v, (*path, i)) for i, v in enumerate(obj)]
            if type(obj) is tuple:
                return {"$tuple": [self.encode(v, (*path, i)) for i, v in enumerate(obj)]}
            items = [[self._key(k, path), self.encode(v, (*path, k))] for k, v in obj.items()]
            if type(obj) is dict:
                return {"$dict": items}
            meta = getattr(obj, "_metadata", None)  # Module.state_dict() versions, as torch keeps
            if meta is None:
                return {"$odict": items}
            return {"$state_dict": [items, self.encode(meta, (*path, "_metadata"))]}
        finally:
            self._active.discard(id(obj))

    def _key(self, key, path: tuple):
        if type(key) is tuple:
            return {"$tuple": [self._key(k, path) for k in key]}
        if type(key) not in _KEY_SCALARS:
            raise TypeError(
                f"ember.save: cannot save a dict key of type {type(key).__name__} ({key!r:.60}) "
                f"at {_path_text(path)}"
            )
        return self.encode(key, path)


def encode(obj) -> tuple[object, dict]:
    """Describe ``obj`` as JSON-ready data and a dict of the arrays it holds.

    Returns:
        ``(description, arrays)`` where arrays maps unique names to NumPy arrays.
    """
    enc = _Encoder()
    return enc.encode(obj), enc.arrays


def _bad(node, why: str):
    return CorruptCheckpointError(f"structure: {why}, got {node!r:.100}")


def _decode_items(items, out: dict, make_array: Callable, depth: int) -> dict:
    if not isinstance(items, list) or not all(
        isinstance(kv, list) and len(kv) == 2 for kv in items
    ):
        raise _bad(items, "a dict must be a list of [key, value] pairs")
    for k, v in items:
        key = decode(k, make_array, depth + 1)
        try:
            out[key] = decode(v, make_array, depth + 1)
        except TypeError:
            raise _bad(k, "dict key is not hashable") from None
    return out


def decode(node, make_array: Callable[[str, str], object], depth: int = 0):
    """Rebuild the object from its description.

    Args:
        node: a parsed JSON value produced by ``encode``.
        make_array: ``(tag, name) -> value`` for ``$tensor``/``$ndarray``/``$npscalar`` nodes.
    """
    if depth > MAX_DEPTH * 3:
        raise CorruptCheckpointError(f"structure: nested deeper than {MAX_DEPTH * 3}")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [decode(v, make_array, depth + 1) for v in node]
    if not isinstance(node, dict) or len(node) != 1:
        raise _bad(node, "expected a JSON value or a one-key tagged object")
    ((tag, value),) = node.items()
    if tag in ("$dict", "$odict"):
        return _decode_items(value, {} if tag == "$dict" else OrderedDict(), make_array, depth)
    if tag == "$state_dict" and isinstance(value, list) and len(value) == 2:
        out = _decode_items(value[0], OrderedDict(), make_array, depth)
        out._metadata = decode(value[1], make_array, depth + 1)
        return out
    if tag == "$tuple" and isinstance(value, list):
        return tuple(decode(v, make_array, depth + 1) for v in value)
    if tag == "$float" and value in _FLOAT_NAMES:
        return _FLOAT_NAMES[value]
    if tag in ("$tensor", "$ndarray", "$npscalar") and isinstance(value, str):
        return make_array(tag, value)
    if tag == "$dtype" and value in _dtype._NAMES:
        return _dtype._NAMES[value]
    if tag == "$device" and isinstance(value, str):
        try:
            return device(value)
        except RuntimeError:
            raise _bad(node, "unknown device") from None
    if (
        tag == "$size"
        and isinstance(value, list)
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return Size(value)
    raise _bad(node, f"unknown or malformed tag {tag!r:.40}")
