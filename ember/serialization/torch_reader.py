"""Read PyTorch ``torch.save`` zip archives without PyTorch and without running pickled code.

An archive holds ``<prefix>/data.pkl`` (the object, pickled with tensors as persistent
references to storages), ``<prefix>/data/<key>`` (raw storage bytes), ``<prefix>/byteorder`` and
``<prefix>/version``. ``data.pkl`` is read by ``RestrictedUnpickler``: ``find_class`` resolves
only an explicit allow-list of globals, each mapped to an ember-side function or value, so
REDUCE/NEWOBJ can only call those, and BUILD may only set attributes of an OrderedDict (torch's
``state_dict._metadata``). Everything else raises ``pickle.UnpicklingError`` naming the global.
"""

from __future__ import annotations

import io
import pickle
import re
import struct
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Callable
from typing import BinaryIO

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ember import _dtype
from ember._backend import device
from ember._tensor import Size, Tensor
from ember.serialization.errors import CorruptCheckpointError
from ember.serialization.safetensors_format import read_exact

_DATA_PKL = re.compile(r"^(?:([^/]+)/)?data\.pkl$")


class _StorageType:
    """Stands in for ``torch.<X>Storage`` classes: only carries the element dtype."""

    __slots__ = ("name", "np")

    def __init__(self, name: str, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)

    def __repr__(self) -> str:
        return f"<torch.{self.name} (ember stand-in)>"


class _Storage:
    """A loaded storage: a 1-D NumPy array of the storage's dtype."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray):
        self.array = array


_STORAGE_DTYPES = {
    "DoubleStorage": "<f8",
    "FloatStorage": "<f4",
    "HalfStorage": "<f2",
    "LongStorage": "<i8",
    "IntStorage": "<i4",
    "ShortStorage": "<i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "?",
    "UntypedStorage": "u1",
}
_UNSUPPORTED_TORCH_DTYPES = (
    "bfloat16",
    "complex32",
    "complex64",
    "complex128",
    "cfloat",
    "cdouble",
    "chalf",
    "qint8",
    "quint8",
    "qint32",
    "uint16",
    "uint32",
    "uint64",
    "float8_e4m3fn",
    "float8_e5m2",
)


def _int_tuple(x, what: str) -> tuple:
    if not isinstance(x, (tuple, list)) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in x
    ):
        raise pickle.UnpicklingError(f"tensor {what} must be non-negative integers, got {x!r:.80}")
    return tuple(x)


def _rebuild_tensor(storage, storage_offset, size, stride) -> Tensor:
    """A tensor viewing ``storage`` (like ``Tensor.set_``), after bounds checks on the view."""
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError(
            f"tensor storage must be a storage record, got {storage!r:.80}"
        )
    size, stride = _int_tuple(size, "size"), _int_tuple(stride, "stride")
    (offset,) = _int_tuple((storage_offset,), "storage offset")
    if len(size) != len(stride):
        raise pickle.UnpicklingError(f"tensor size {size} and stride {stride} differ in length")
    arr = storage.array
    if 0 in size:
        return Tensor._make(np.empty(size, dtype=arr.dtype))
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= arr.size:
        raise CorruptCheckpointError(
            f"tensor view (offset {offset}, size {size}, stride {stride}) reaches element {last} "
            f"of a storage of {arr.size} elements"
        )
    # NOTE: a broadcast (0-stride) view stays a read-only view, as torch refuses writes to it;
    # copying it could also allocate far more than the file holds (crafted huge sizes)
    broadcast = any(s == 0 and n > 1 for n, s in zip(size, stride))
    strides = [s * arr.itemsize for s in stride]
    return Tensor._make(as_strided(arr[offset:], size, strides, writeable=not broadcast))


def _rebuild_tensor_v2(
    storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None
) -> Tensor:
    if metadata:
        raise pickle.UnpicklingError(
            f"tensor metadata {metadata!r:.80} (conj/neg bits) is not supported"
        )
    return _rebuild_tensor(storage, storage_offset, size, stride)


def _rebuild_tensor_v3(
    storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None
) -> Tensor:
    if not isinstance(dtype, _dtype.dtype) or not isinstance(storage, _Storage):
        raise pickle.UnpicklingError(f"_rebuild_tensor_v3: bad dtype {dtype!r:.40} or storage")
    typed = _Storage(storage.array.view(dtype.np))  # v3 views an untyped (byte) storage
    return _rebuild_tensor_v2(typed, storage_offset, size, stride, requires_grad, None, metadata)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, state=None) -> Tensor:
    # Parameters come back as plain tensors, as from a state_dict
    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError(f"_rebuild_parameter: expected a tensor, got {data!r:.80}")
    return data


_REBUILDERS = {
    "_rebuild_tensor": _rebuild_tensor,
    "_rebuild_tensor_v2": _rebuild_tensor_v2,
    "_rebuild_tensor_v3": _rebuild_tensor_v3,
    "_rebuild_parameter": _rebuild_parameter,
    "_rebuild_parameter_with_state": _rebuild_parameter,
}


def _rebuild_from_type_v2(func, new_type, args, state):
    # torch uses this for tensor subclasses; ember rebuilds the plain tensor only
    if func not in _REBUILDERS.values() or not isinstance(args, tuple):
        raise pickle.UnpicklingError(f"_rebuild_from_type_v2: refused function {func!r:.80}")
    return func(*args)


def _latin1_encode(text, encoding="latin1"):
    # protocol-2 pickles spell bytes as _codecs.encode(str, "latin1")
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(
            f"_codecs.encode: only latin1 text is allowed, got {encoding!r:.20}"
        )
    return text.encode("latin1")


def _allowed_globals() -> dict:
    allowed = {
        ("collections", "OrderedDict"): OrderedDict,
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
        ("_codecs", "encode"): _latin1_encode,
        ("torch", "Size"): Size,
        ("torch", "device"): device,
        ("torch", "Tensor"): Tensor,
        ("torch.nn.parameter", "Parameter"): Tensor,
        ("torch._tensor", "_rebuild_from_type_v2"): _rebuild_from_type_v2,
    }
    for name, fn in _REBUILDERS.items():
        allowed[("torch._utils", name)] = fn
    for name, np_dtype in _STORAGE_DTYPES.items():
        allowed[("torch", name)] = _StorageType(name, np_dtype)
    allowed[("torch.storage", "UntypedStorage")] = allowed[("torch", "UntypedStorage")]
    for d in _dtype._ALL:
        allowed[("torch", d.name)] = d
    return allowed


_ALLOWED = _allowed_globals()


class RestrictedUnpickler(pickle._Unpickler):
    """An unpickler that can only build data: allow-listed globals, no arbitrary BUILD.

    It is the pure-Python unpickler so that BUILD can be restricted too (``data.pkl`` is small;
    tensor bytes live outside it).

    Args:
        file: the pickle stream.
        load_storage: ``(dtype, key, location, numel) -> np.ndarray`` for persistent storage
            records; None refuses them.
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, load_storage: Callable | None = None):
        super().__init__(file)
        self._load_storage = load_storage
        self._storages: dict = {}

    def find_class(self, module: str, name: str):
        if module == "torch" and name in _UNSUPPORTED_TORCH_DTYPES + ("BFloat16Storage",):
            raise TypeError(
                f"ember.load: torch.{name} has no ember dtype; convert the tensors "
                "(e.g. .float()) before torch.save"
            )
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"ember.load: refusing to load global {module}.{name}: only tensors, storages, "
                "dtypes, OrderedDict and plain Python data are allowed"
            ) from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r:.100}")
        _, storage_type, key, location, numel = pid
        if (
            not isinstance(storage_type, _StorageType)
            or not isinstance(key, str)
            or not (isinstance(location, str) and isinstance(numel, int) and numel >= 0)
        ):
            raise pickle.UnpicklingError(f"malformed storage record {pid!r:.100}")
        if self._load_storage is None:
            raise pickle.UnpicklingError("this pickle refers to tensor storages outside it")
        if key not in self._storages:  # storages shared by several tensors are read once
            self._storages[key] = _Storage(
                self._load_storage(storage_type.np, key, location, numel)
            )
        return self._storages[key]

    def _load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if (
            type(inst) is not OrderedDict
            or not isinstance(state, dict)
            or not all(isinstance(k, str) for k in state)
        ):
            raise pickle.UnpicklingError(
                f"refusing to set state {state!r:.60} on {type(inst).__name__} (BUILD)"
            )
        inst.__dict__.update(state)

    dispatch[pickle.BUILD[0]] = _load_build


def is_torch_archive(names: list) -> bool:
    return any(_DATA_PKL.match(n) for n in names)


def _read_stored(f: BinaryIO, info: zipfile.ZipInfo, archive_end: int) -> np.ndarray:
    """The bytes of an uncompressed member, read straight into one writable array.

    Skips zipfile's read-then-copy; checks the local header and the CRC-32 itself.
    """
    what = f"storage {info.filename!r:.100}"
    if info.compress_type != zipfile.ZIP_STORED:
        raise CorruptCheckpointError(f"{what} is compressed; torch.save never does that")
    if info.header_offset + 30 + info.file_size > archive_end:
        raise CorruptCheckpointError(
            f"{what}: {info.file_size} bytes at offset {info.header_offset} do not fit in an "
            f"archive of {archive_end} bytes"
        )
    f.seek(info.header_offset)
    local = read_exact(f, 30, f"{what} header", archive_end, info.header_offset)
    if bytes(local[:4]) != b"PK\x03\x04":
        raise CorruptCheckpointError(f"{what}: bad local file header")
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    f.seek(info.header_offset + 30 + name_len + extra_len)
    raw = read_exact(f, info.file_size, what, archive_end, f.tell())
    if zlib.crc32(raw) != info.CRC:
        raise CorruptCheckpointError(f"{what}: CRC-32 mismatch")
    return raw


def read_torch_zip(
    f: BinaryIO, zf: zipfile.ZipFile, archive_end: int, map_storage: Callable
) -> object:
    """Load the object in a ``torch.save`` zip archive.

    Args:
        f: the archive's file object, positioned anywhere.
        zf: the archive opened on ``f``.
        archive_end: the size of ``f``, which bounds every allocation.
        map_storage: ``(array, location) -> np.ndarray``; applies ``map_location``.
    """
    pkl = next(n for n in zf.namelist() if _DATA_PKL.match(n))
    prefix = pkl[: -len("data.pkl")]
    names = set(zf.namelist())
    byteorder = "little"
    if prefix + "byteorder" in names:
        byteorder = zf.read(prefix + "byteorder").decode("ascii", "replace").strip()
        if byteorder not in ("little", "big"):
            raise CorruptCheckpointError(f"unknown byteorder record {byteorder!r:.20}")

    def load_storage(np_dtype: np.dtype, key: str, location: str, numel: int) -> np.ndarray:
        member = prefix + "data/" + key
        if member not in names:
            raise CorruptCheckpointError(f"archive is missing storage {member!r:.100}")
        info = zf.getinfo(member)
        nbytes = numel * np_dtype.itemsize
        if info.file_size != nbytes:
            raise CorruptCheckpointError(
                f"storage {member!r}: expected {nbytes} bytes, got {info.file_size}"
            )
        order = "<" if byteorder == "little" else ">"
        arr = _read_stored(f, info, archive_end).view(np_dtype.newbyteorder(order))
        return map_storage(arr.astype(np_dtype.newbyteorder("="), copy=False), location)

    raw = zf.read(pkl)  # whole, so that its CRC-32 is checked before any opcode runs
    try:
        return RestrictedUnpickler(io.BytesIO(raw), load_storage).load()
    except (IndexError, KeyError, AttributeError, EOFError, ValueError, struct.error) as exc:
        # a crafted stream can trip the unpickler itself (empty stack, bad memo index, ...)
        raise pickle.UnpicklingError(f"ember.load: malformed {pkl}: {exc!r:.200}") from None
