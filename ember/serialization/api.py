"""``ember.save`` and ``ember.load``: dispatch on the file's content, never on its extension."""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from collections.abc import Callable
from typing import BinaryIO

import numpy as np

from ember import _dtype
from ember._backend import as_device, device
from ember._tensor import Tensor
from ember.serialization import checkpoint, npz, torch_reader
from ember.serialization import safetensors_format as st
from ember.serialization.atomic import atomic_write
from ember.serialization.errors import CorruptCheckpointError

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_NPY_MAGIC = b"\x93NUMPY"


def save(obj, f: str | os.PathLike | BinaryIO) -> None:
    """Save ``obj`` to a file in ember's checkpoint format (a safetensors file).

    ``obj`` may nest dicts (any hashable scalar or tuple keys; OrderedDicts stay OrderedDicts),
    lists and tuples of ember Tensors, NumPy arrays and scalars, ints, floats (nan/inf too),
    bools, strings, None, ember dtypes, devices and Sizes. Tensors are stored once even if they
    appear several times; they load back as plain tensors with ``requires_grad=False``.

    Args:
        obj: what to save.
        f: a path (written atomically: a crash never leaves a partial file at ``f``) or a
            writable binary file object.

    Raises:
        TypeError: naming the path of the first unsupported value, e.g.
            ``cannot save object of type Foo at obj['model']['x']``. Nothing is written then.
    """
    is_path = isinstance(f, (str, os.PathLike))
    if not is_path and not hasattr(f, "write"):
        raise TypeError(
            f"ember.save: f must be a path or a binary file object, got {type(f).__name__}"
        )
    prepared = checkpoint.prepare(obj)  # a TypeError here writes nothing
    if is_path:
        with atomic_write(f) as out:
            checkpoint.write_checkpoint(out, prepared)
    else:
        checkpoint.write_checkpoint(f, prepared)


class _Locator:
    """Applies ``map_location``: every tensor ends on a device ember supports (CPU)."""

    def __init__(self, map_location):
        self.spec = map_location
        if isinstance(map_location, (str, device)):
            as_device(map_location)
        elif isinstance(map_location, dict):
            for target in map_location.values():
                as_device(target)
        elif map_location is not None and not callable(map_location):
            raise TypeError(
                "ember.load: map_location must be None, a string, an ember.device, a dict or a "
                f"callable, got {type(map_location).__name__}"
            )

    def __call__(self, t: Tensor, location: str) -> Tensor:
        spec = self.spec
        if callable(spec):
            moved = spec(t, location)
            if moved is None:
                return self._place(t, location)
            if not isinstance(moved, Tensor):
                raise TypeError(
                    f"ember.load: map_location returned {type(moved).__name__}, "
                    "expected a Tensor or None"
                )
            return moved
        if isinstance(spec, dict):
            return self._place(t, spec.get(location, location))
        return t if spec is not None else self._place(t, location)

    @staticmethod
    def _place(t: Tensor, location) -> Tensor:
        try:
            as_device(location)
        except RuntimeError as exc:
            raise RuntimeError(
                f"ember.load: the checkpoint holds tensors on '{location}': {exc}. Pass "
                "map_location='cpu' to load them on the CPU."
            ) from None
        return t


def _tensor_maker(locator: _Locator) -> Callable:
    def make_tensor(name: str, arr: np.ndarray) -> Tensor:
        try:
            _dtype.from_numpy_dtype(arr.dtype)
        except TypeError as exc:
            raise TypeError(f"ember.load: tensor {name!r}: {exc}") from None
        return locator(Tensor._make(arr), "cpu")

    return make_tensor


def _read_zip(f: BinaryIO, start: int, size: int, locator: _Locator, make_tensor: Callable):
    try:
        with zipfile.ZipFile(f) as zf:
            names = zf.namelist()
            if torch_reader.is_torch_archive(names):

                def map_storage(arr: np.ndarray, location: str) -> np.ndarray:
                    return locator(Tensor._make(arr), location)._data

                return torch_reader.read_torch_zip(f, zf, start + size, map_storage)
        if npz.is_npz(names):
            f.seek(start)
            return npz.read_npz(f, make_tensor)
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
        raise CorruptCheckpointError(f"damaged zip archive: {exc}") from None
    raise CorruptCheckpointError(
        f"zip archive is neither a PyTorch checkpoint nor a NumPy .npz (members: {names[:5]})"
    )


def _read_safetensors(f: BinaryIO, size: int, make_tensor: Callable, whole_file: bool):
    header = st.read_header(f, size)
    if whole_file and header.total_bytes != size:
        raise CorruptCheckpointError(
            f"file has {size - header.total_bytes} unexpected bytes after the data section "
            f"(expected {header.total_bytes} bytes, got {size})"
        )
    if checkpoint.is_ember_metadata(header.metadata):
        return checkpoint.read_checkpoint(f, header, make_tensor)
    arrays = st.arrays_from_buffer(header.tensors, checkpoint.read_data(f, header))
    return {name: make_tensor(name, arr) for name, arr in arrays.items()}


def _seekable(f) -> bool:
    seekable = getattr(f, "seekable", None)
    return bool(seekable is not None and seekable())


def _load_stream(f: BinaryIO, locator: _Locator, whole_file: bool):
    if not _seekable(f):
        f = io.BytesIO(f.read())
    start = f.tell()
    size = f.seek(0, io.SEEK_END) - start
    f.seek(start)
    head = f.read(16)
    f.seek(start)
    make_tensor = _tensor_maker(locator)
    if head[:4] in _ZIP_MAGIC:
        return _read_zip(f, start, size, locator, make_tensor)
    if head[:6] == _NPY_MAGIC:
        return npz.read_npy(f, make_tensor)
    if head[8:9] == b"{":
        return _read_safetensors(f, size, make_tensor, whole_file)
    if head[:1] == b"\x80":
        raise pickle.UnpicklingError(
            "ember.load: this is a raw pickle (or a legacy pre-1.6 PyTorch file); ember never "
            "unpickles outside a torch zip archive. Re-save it with a current torch.save."
        )
    if size < 9:
        raise CorruptCheckpointError(f"checkpoint is truncated: only {size} bytes")
    raise CorruptCheckpointError(
        f"not an ember, safetensors, PyTorch or NumPy checkpoint (starts with {head[:12]!r})"
    )


def load(f: str | os.PathLike | BinaryIO, map_location=None, weights_only: bool = True):
    """Load an object saved by ``ember.save``, or a safetensors, PyTorch or NumPy file.

    The format is recognised from the content: ember checkpoints give back the saved object;
    plain ``.safetensors`` files and ``.npz`` archives give ``{name: Tensor}``; ``torch.save``
    zip archives give their object with ember tensors (read by a restricted unpickler that
    refuses any global outside tensors, storages, dtypes and OrderedDict).

    Args:
        f: a path or a readable binary file object.
        map_location: None, ``"cpu"``, an ``ember.device``, a dict mapping saved locations to
            devices, or ``fn(tensor, location) -> Tensor | None``. Devices other than the CPU
            raise RuntimeError.
        weights_only: accepted for PyTorch source compatibility; ember never runs pickled
            code, whatever its value.

    Raises:
        CorruptCheckpointError: the file is truncated, fails a checksum or is malformed.
        pickle.UnpicklingError: a PyTorch archive needs a global outside the allow-list.
    """
    if not isinstance(weights_only, bool):
        raise TypeError(
            f"ember.load: weights_only must be a bool, got {type(weights_only).__name__}"
        )
    locator = _Locator(map_location)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as stream:
            return _load_stream(stream, locator, whole_file=True)
    if not hasattr(f, "read"):
        raise TypeError(
            f"ember.load: f must be a path or a binary file object, got {type(f).__name__}"
        )
    return _load_stream(f, locator, whole_file=False)
