"""The safetensors file layout: header and raw little-endian tensor buffers.

A file is ``<u64 little-endian N><N bytes of JSON header><data section>``. The header maps each
tensor name to ``{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}`` (offsets
relative to the data section) plus an optional ``"__metadata__"`` of string values. Reading
validates everything before allocating or slicing, so a crafted header gives
``CorruptCheckpointError`` instead of a crash, a hang or a huge allocation.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from ember.serialization.errors import CorruptCheckpointError

# safetensors dtype names -> little-endian NumPy dtypes
DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"),
    "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_NAME_OF = {dt: name for name, dt in DTYPES.items()}
# valid safetensors dtypes that NumPy (and so ember) cannot hold
UNSUPPORTED_DTYPES = frozenset(
    {"BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64", "E4M3", "E5M2"}
)
METADATA_KEY = "__metadata__"
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the safetensors library's own bound
MAX_NDIM = 64
CHUNK_BYTES = 16 * 1024 * 1024  # write granularity: bounds temporary memory for big tensors


@dataclass
class Header:
    """A validated header: tensor table in file order, metadata, and section sizes in bytes."""

    tensors: dict
    metadata: dict
    header_bytes: int
    data_bytes: int

    @property
    def total_bytes(self) -> int:
        return 8 + self.header_bytes + self.data_bytes


def dtype_name(np_dtype: np.dtype) -> str | None:
    """The safetensors name of a NumPy dtype (any byte order), or None if it has none."""
    return _NAME_OF.get(np.dtype(np_dtype).newbyteorder("<"))


def layout(arrays: dict) -> tuple[dict, list]:
    """Place arrays in a data section.

    Larger item sizes go first so that every buffer starts aligned to its item size (the
    section itself starts 8-aligned and safetensors forbids gaps between buffers).

    Args:
        arrays: name -> NumPy array of a dtype with a safetensors name.

    Returns:
        ``(table, buffers)``: the header entries and the C-contiguous little-endian arrays in
        data order.
    """
    order = sorted(arrays, key=lambda n: -arrays[n].dtype.itemsize)  # stable: keeps insertion
    table, buffers, offset = {}, [], 0
    for name in order:
        arr = arrays[name]
        le = arr.dtype.newbyteorder("<")
        buf = np.ascontiguousarray(arr, dtype=le)
        table[name] = {
            "dtype": _NAME_OF[le],
            "shape": list(arr.shape),
            "data_offsets": [offset, offset + buf.nbytes],
        }
        buffers.append(buf)
        offset += buf.nbytes
    return table, buffers


def encode_header(table: dict, metadata: dict) -> bytes:
    """The length prefix and JSON header, padded with spaces to a multiple of 8 bytes."""
    header = {METADATA_KEY: metadata, **table} if metadata else dict(table)
    raw = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw


def _write_chunk(f: BinaryIO, chunk: memoryview) -> None:
    f.write(chunk)


def write(f: BinaryIO, header: bytes, buffers: list) -> None:
    """Write an encoded header and the data buffers in chunks of at most ``CHUNK_BYTES``."""
    _write_chunk(f, memoryview(header))
    for buf in buffers:
        if buf.nbytes == 0:
            continue
        view = memoryview(buf.reshape(-1).view(np.uint8))
        for start in range(0, len(view), CHUNK_BYTES):
            _write_chunk(f, view[start : start + CHUNK_BYTES])


def read_exact(f: BinaryIO, n: int, part: str, expected_total: int, offset: int) -> np.ndarray:
    """Read exactly ``n`` bytes into a writable uint8 array, or raise a truncation error.

    ``expected_total`` and ``offset`` (bytes before this part) only serve the error message.
    """
    buf = np.empty(n, dtype=np.uint8)  # not zero-filled: readinto touches each page once
    view = memoryview(buf)
    got = 0
    readinto = getattr(f, "readinto", None)
    while got < n:
        if readinto is not None:
            k = readinto(view[got:])
        else:
            chunk = f.read(n - got)
            k = len(chunk)
            view[got : got + k] = chunk
        if not k:
            raise CorruptCheckpointError(
                f"checkpoint is truncated in the {part}: expected {expected_total} bytes, got "
                f"{offset + got}"
            )
        got += k
    return buf


def parse_json(raw: bytes | str, part: str):
    """Strict JSON parsing for untrusted text: duplicate keys and deep nesting are errors."""

    def no_duplicates(pairs):
        obj = {}
        for k, v in pairs:
            if k in obj:
                raise CorruptCheckpointError(f"{part}: duplicate key {k!r}")
            obj[k] = v
        return obj

    try:
        return json.loads(raw, object_pairs_hook=no_duplicates)
    except RecursionError:
        raise CorruptCheckpointError(f"{part}: JSON nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise CorruptCheckpointError(f"{part} is not valid JSON ({exc})") from None


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _check_entry(name: str, entry) -> tuple[int, int]:
    """Validate one tensor entry; returns its (begin, end) offsets."""
    where = f"header entry {name!r}"
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise CorruptCheckpointError(
            f"{where}: expected an object with keys dtype, shape, data_offsets, got {entry!r:.200}"
        )
    dt, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if dt in UNSUPPORTED_DTYPES:
        raise TypeError(f"ember.load: tensor {name!r} has dtype {dt}, which ember cannot hold")
    if not isinstance(dt, str) or dt not in DTYPES:
        raise CorruptCheckpointError(f"{where}: unknown dtype {dt!r:.50}")
    if (
        not isinstance(shape, list)
        or len(shape) > MAX_NDIM
        or not all(_is_int(s) and s >= 0 for s in shape)
    ):
        raise CorruptCheckpointError(
            f"{where}: shape must be a list of at most {MAX_NDIM} non-negative integers, got "
            f"{shape!r:.200}"
        )
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_int, offsets))):
        raise CorruptCheckpointError(f"{where}: data_offsets must be [begin, end], got {offsets!r}")
    begin, end = offsets
    numel = 1
    for s in shape:
        numel *= s
    if not 0 <= begin <= end or end - begin != numel * DTYPES[dt].itemsize:
        raise CorruptCheckpointError(
            f"{where}: data_offsets {offsets} do not hold shape {shape} of {dt} "
            f"({numel * DTYPES[dt].itemsize} bytes)"
        )
    return begin, end


def read_header(f: BinaryIO, file_bytes: int) -> Header:
    """Read and validate the length prefix and header of a file of ``file_bytes`` bytes.

    Raises:
        CorruptCheckpointError: the header is truncated, not JSON, or describes buffers that are
            out of range, overlapping, non-contiguous or inconsistent with their shape and dtype.
    """
    if file_bytes < 8:
        raise CorruptCheckpointError(
            f"checkpoint is truncated: expected at least 8 bytes, got {file_bytes}"
        )
    (n,) = struct.unpack("<Q", read_exact(f, 8, "length prefix", 8, 0))
    if n > MAX_HEADER_BYTES:
        raise CorruptCheckpointError(
            f"header length {n} exceeds the limit of {MAX_HEADER_BYTES} bytes"
        )
    if 8 + n > file_bytes:
        raise CorruptCheckpointError(
            f"checkpoint is truncated in the header: expected at least {8 + n} bytes, got "
            f"{file_bytes}"
        )
    header = parse_json(bytes(read_exact(f, n, "header", 8 + n, 8)), "header")
    if not isinstance(header, dict):
        raise CorruptCheckpointError(f"header must be a JSON object, got {type(header).__name__}")
    metadata = header.pop(METADATA_KEY, {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise CorruptCheckpointError(f"{METADATA_KEY} must map strings to strings")
    spans = sorted((_check_entry(name, entry), name) for name, entry in header.items())
    pos = 0
    for (begin, end), name in spans:
        if begin != pos:
            raise CorruptCheckpointError(
                f"header entry {name!r}: data_offsets start at {begin}, expected {pos} (buffers "
                "must be contiguous and non-overlapping)"
            )
        pos = end
    out = Header(header, metadata, n, pos)
    if out.total_bytes > file_bytes:
        raise CorruptCheckpointError(
            f"checkpoint is truncated: expected {out.total_bytes} bytes, got {file_bytes}"
        )
    return out


def arrays_from_buffer(tensors: dict, data: np.ndarray) -> dict:
    """NumPy arrays viewing ``data`` (a writable data section) for each validated header entry."""
    out = {}
    for name, entry in tensors.items():
        dt = DTYPES[entry["dtype"]]
        begin, end = entry["data_offsets"]
        arr = np.frombuffer(data, dtype=dt, count=(end - begin) // dt.itemsize, offset=begin)
        if begin % dt.itemsize:
            arr = arr.copy()  # NOTE: misaligned buffers (other writers) are slow in kernels
        out[name] = arr.astype(dt.newbyteorder("="), copy=False).reshape(entry["shape"])
    return out
