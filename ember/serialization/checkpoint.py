"""ember's checkpoint format: a safetensors file whose metadata carries the object structure.

``__metadata__`` holds string values only (so the safetensors library reads the file):
``ember.format`` ("ember"), ``ember.format_version``, ``ember.structure`` (JSON from
``structure.encode``), ``ember.data_sha256`` (of the data section, see ``data_digest``) and
``ember.header_sha256`` (of the canonical JSON of the tensor table and the other metadata), so
truncation and bit flips anywhere in the file are detected before any tensor is returned.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from ember.serialization import safetensors_format as st
from ember.serialization import structure
from ember.serialization.errors import CorruptCheckpointError

FORMAT = "ember"
VERSION = "1"
_FORMAT_KEY = "ember.format"
_VERSION_KEY = "ember.format_version"
_STRUCTURE_KEY = "ember.structure"
_DATA_HASH_KEY = "ember.data_sha256"
_HEADER_HASH_KEY = "ember.header_sha256"
HASH_PIECE_BYTES = 4 * 1024 * 1024  # part of format version 1: the data digest depends on it
_PARALLEL_HASH_BYTES = 32 * 1024 * 1024
_KEYS = (_FORMAT_KEY, _VERSION_KEY, _STRUCTURE_KEY, _DATA_HASH_KEY, _HEADER_HASH_KEY)


def _header_digest(table: dict, metadata: dict) -> str:
    signed = {k: v for k, v in metadata.items() if k != _HEADER_HASH_KEY}
    canonical = json.dumps(
        {"tensors": table, "metadata": signed},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _sha256(piece: memoryview) -> bytes:
    return hashlib.sha256(piece).digest()


def data_digest(buffers: list) -> str:
    """sha256 of the concatenated sha256 digests of ``HASH_PIECE_BYTES`` pieces of each buffer.

    The two-level form lets the pieces be hashed in parallel threads (hashlib releases the GIL),
    so checksums cost a fraction of the file I/O on multi-core machines.

    Args:
        buffers: byte memoryviews of the tensor buffers in data-section order.
    """
    pieces = [
        b[s : s + HASH_PIECE_BYTES] for b in buffers for s in range(0, len(b), HASH_PIECE_BYTES)
    ]
    workers = min(os.cpu_count() or 1, len(pieces), 8)
    if workers > 1 and sum(map(len, pieces)) >= _PARALLEL_HASH_BYTES:
        with ThreadPoolExecutor(workers) as pool:
            digests = list(pool.map(_sha256, pieces))
    else:
        digests = [_sha256(p) for p in pieces]
    return hashlib.sha256(b"".join(digests)).hexdigest()


@dataclass
class Prepared:
    """An encoded object, ready to write: tensor table, data buffers and metadata sans hashes."""

    table: dict
    buffers: list
    metadata: dict

    def header(self, data_hash: str) -> bytes:
        metadata = {**self.metadata, _DATA_HASH_KEY: data_hash}
        metadata[_HEADER_HASH_KEY] = _header_digest(self.table, metadata)
        return st.encode_header(self.table, metadata)


def prepare(obj) -> Prepared:
    """Encode ``obj`` (see ``ember.save``); raises TypeError before anything is written."""
    description, arrays = structure.encode(obj)
    table, buffers = st.layout(arrays)
    structure_json = json.dumps(
        description, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    metadata = {_FORMAT_KEY: FORMAT, _VERSION_KEY: VERSION, _STRUCTURE_KEY: structure_json}
    return Prepared(table, buffers, metadata)


def write_checkpoint(f: BinaryIO, prepared: Prepared) -> None:
    """Write a prepared checkpoint to ``f``.

    On a seekable file the data is hashed in another thread while it is written, behind a
    header with placeholder hashes of the same length that is rewritten at the end.
    """
    views = [memoryview(b.reshape(-1).view("u1")) for b in prepared.buffers]
    seekable = getattr(f, "seekable", None)
    if not (seekable and seekable() and sum(map(len, views)) >= _PARALLEL_HASH_BYTES):
        st.write(f, prepared.header(data_digest(views)), prepared.buffers)
        return
    start = f.tell()
    placeholder = prepared.header("0" * 64)
    with ThreadPoolExecutor(1) as pool:
        digest = pool.submit(data_digest, views)
        st.write(f, placeholder, prepared.buffers)
        header = prepared.header(digest.result())
    end = f.tell()
    f.seek(start)
    f.write(header)  # hex digests have a fixed length, so the header size is unchanged
    f.seek(end)


def is_ember_metadata(metadata: dict) -> bool:
    """Whether a safetensors header belongs to an ember checkpoint (even a damaged one)."""
    return any(k in metadata for k in _KEYS)


def _verify_header(header: st.Header) -> None:
    meta = header.metadata
    missing = [k for k in _KEYS if k not in meta]
    if missing:
        raise CorruptCheckpointError(f"ember checkpoint metadata is missing {missing}")
    if meta[_FORMAT_KEY] != FORMAT:
        raise CorruptCheckpointError(f"unknown format marker {meta[_FORMAT_KEY]!r:.40}")
    if _header_digest(header.tensors, meta) != meta[_HEADER_HASH_KEY]:
        raise CorruptCheckpointError("checksum mismatch in the header (sha256)")
    if meta[_VERSION_KEY] != VERSION:
        raise RuntimeError(
            f"ember.load: checkpoint format version {meta[_VERSION_KEY]!r:.20} is not supported "
            f"by this ember (it reads version {VERSION}); upgrade ember"
        )


def read_data(f: BinaryIO, header: st.Header) -> np.ndarray:
    """Read the data section that ``header`` describes (its size was checked against the file)."""
    return st.read_exact(
        f, header.data_bytes, "data section", header.total_bytes, 8 + header.header_bytes
    )


def read_checkpoint(f: BinaryIO, header: st.Header, make_tensor: Callable) -> object:
    """Verify and decode an ember checkpoint whose header was just read from ``f``.

    Args:
        make_tensor: ``(name, array) -> Tensor``; applies ``map_location``.
    """
    _verify_header(header)
    description = st.parse_json(header.metadata[_STRUCTURE_KEY], "structure")
    data = read_data(f, header)
    spans = sorted(entry["data_offsets"] for entry in header.tensors.values())
    whole = memoryview(data)
    if data_digest([whole[b:e] for b, e in spans]) != header.metadata[_DATA_HASH_KEY]:
        raise CorruptCheckpointError("checksum mismatch in the data section (sha256)")
    arrays = st.arrays_from_buffer(header.tensors, data)
    built: dict = {}

    def make_array(tag: str, name: str):
        if name not in arrays:
            raise CorruptCheckpointError(f"structure refers to a missing tensor {name!r:.100}")
        key = (tag, name)
        if key not in built:  # the same name twice means the same object twice
            arr = arrays[name]
            if tag == "$tensor":
                built[key] = make_tensor(name, arr)
            elif tag == "$ndarray":
                built[key] = arr
            else:
                built[key] = arr[()]  # 0-d array -> NumPy scalar of the saved dtype
        return built[key]

    return structure.decode(description, make_array)
