"""Damaged and crafted files give CorruptCheckpointError, never wrong tensors or crashes."""

import io
import json
import struct

import numpy as np
import pytest

import ember
from ember.serialization import CorruptCheckpointError


def saved_bytes(obj) -> bytes:
    buf = io.BytesIO()
    ember.save(obj, buf)
    return buf.getvalue()


def load_bytes(raw: bytes, path=None):
    if path is None:
        return ember.load(io.BytesIO(raw))
    path.write_bytes(raw)
    return ember.load(path)


def safetensors_file(header: dict, data: bytes = b"", length: int | None = None) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if length is None else length) + raw + data


SMALL = {
    "w": ember.arange(6, dtype=ember.float32).reshape(2, 3),
    "step": 3,
    "opt": {0: ember.tensor([1, 2], dtype=ember.int64)},
}


def test_truncation_anywhere_is_reported_with_sizes(tmp_path):
    raw = saved_bytes(SMALL)
    for cut in range(len(raw)):
        with pytest.raises(CorruptCheckpointError):
            load_bytes(raw[:cut])
    with pytest.raises(CorruptCheckpointError, match=f"expected {len(raw)} bytes, got"):
        load_bytes(raw[:-5], tmp_path / "t.ember")


def test_every_single_bit_flip_is_detected():
    raw = bytearray(saved_bytes(SMALL))
    for pos in range(len(raw)):
        for bit in range(8):
            raw[pos] ^= 1 << bit
            try:
                with pytest.raises(CorruptCheckpointError):
                    load_bytes(bytes(raw))
            finally:
                raw[pos] ^= 1 << bit
    assert load_bytes(bytes(raw))["step"] == 3  # the undamaged file still loads


def test_error_messages_say_why():
    raw = bytearray(saved_bytes(SMALL))
    raw[-1] ^= 1
    with pytest.raises(CorruptCheckpointError, match="checksum mismatch in the data section"):
        load_bytes(bytes(raw))
    raw[-1] ^= 1
    header = raw.index(b'"shape":[2,3]')
    raw[header + 9] = ord("6")
    raw[header + 11] = ord("1")
    with pytest.raises(CorruptCheckpointError, match="checksum mismatch in the header"):
        load_bytes(bytes(raw))


def test_trailing_garbage_in_a_file_is_refused(tmp_path):
    with pytest.raises(CorruptCheckpointError, match="unexpected bytes after the data"):
        load_bytes(saved_bytes(SMALL) + b"\0" * 8, tmp_path / "x")


GOOD = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}


@pytest.mark.parametrize(
    ("header", "data", "message"),
    [
        (GOOD, b"\0" * 4, "truncated"),
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 2**62]}}, b"", "do not hold"),
        (
            {"a": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 2**82]}},
            b"",
            "truncated",
        ),
        ({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8, "non-negative"),
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, b"\0" * 8, "do not hold"),
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12, "contiguous"),
        (
            {**GOOD, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}},
            b"\0" * 12,
            "contiguous",
        ),
        ({"a": {"dtype": "X99", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, "unknown dtype"),
        (
            {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "x": 1}},
            b"\0" * 8,
            "expected an object",
        ),
        (
            {"a": {"dtype": "F32", "shape": [True], "data_offsets": [0, 4]}},
            b"\0" * 4,
            "non-negative integers",
        ),
        (
            {"a": {"dtype": "F32", "shape": [1] * 100, "data_offsets": [0, 4]}},
            b"\0" * 4,
            "at most 64",
        ),
        ({"__metadata__": {"k": 1}, **GOOD}, b"\0" * 8, "strings to strings"),
        ({"__metadata__": ["x"], **GOOD}, b"\0" * 8, "strings to strings"),
    ],
)
def test_crafted_headers_are_rejected(header, data, message):
    with pytest.raises(CorruptCheckpointError, match=message):
        load_bytes(safetensors_file(header, data))


def test_crafted_lengths_and_json_are_rejected():
    with pytest.raises(CorruptCheckpointError, match="exceeds the limit"):
        load_bytes(safetensors_file(GOOD, b"\0" * 8, length=2**63))
    with pytest.raises(CorruptCheckpointError, match="truncated in the header"):
        load_bytes(safetensors_file(GOOD, b"\0" * 8, length=10_000))
    deep = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(CorruptCheckpointError, match="nested too deeply"):
        load_bytes(struct.pack("<Q", len(deep)) + deep)
    dup = b'{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"a":1}'
    with pytest.raises(CorruptCheckpointError, match="duplicate key"):
        load_bytes(struct.pack("<Q", len(dup)) + dup)
    with pytest.raises(CorruptCheckpointError, match="not valid JSON"):
        load_bytes(struct.pack("<Q", 4) + b"{\xff\xfe}")


def test_crafted_structure_in_a_correctly_hashed_file_is_rejected():
    from ember.serialization import checkpoint, safetensors_format

    for structure in (
        '{"$tensor": "missing"}',
        '{"$nope": 1}',
        '{"$dict": [[1]]}',
        '{"$dict": [[[1], 2]]}',
        "[" * 5000 + "]" * 5000,
    ):
        meta = {
            "ember.format": "ember",
            "ember.format_version": "1",
            "ember.structure": structure,
            "ember.data_sha256": checkpoint.hashlib.sha256(b"").hexdigest(),
        }
        meta["ember.header_sha256"] = checkpoint._header_digest({}, meta)
        with pytest.raises(CorruptCheckpointError, match="structure"):
            load_bytes(safetensors_format.encode_header({}, meta))


def test_unknown_content_and_unsupported_dtypes():
    with pytest.raises(CorruptCheckpointError, match="truncated"):
        load_bytes(b"")
    with pytest.raises(CorruptCheckpointError, match="not an ember"):
        load_bytes(b"hello, this is not a checkpoint")
    bf16 = {"a": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}
    with pytest.raises(TypeError, match="BF16"):
        load_bytes(safetensors_file(bf16, b"\0\0"))
    u16 = {"a": {"dtype": "U16", "shape": [1], "data_offsets": [0, 2]}}
    with pytest.raises(TypeError, match="tensor 'a'.*uint16"):
        load_bytes(safetensors_file(u16, b"\0\0"))


def test_plain_safetensors_zero_size_and_misaligned_buffers():
    header = {
        "e": {"dtype": "F32", "shape": [0, 4], "data_offsets": [0, 0]},
        "u": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]},
        "f": {"dtype": "F32", "shape": [1], "data_offsets": [1, 5]},
    }
    data = b"\x07" + struct.pack("<f", 1.5)
    back = load_bytes(safetensors_file(header, data))
    assert back["e"].shape == (0, 4) and back["u"].item() == 7 and back["f"].item() == 1.5
    np.testing.assert_array_equal(back["f"].numpy(), [1.5])
