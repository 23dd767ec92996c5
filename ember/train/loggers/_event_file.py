"""TensorBoard event files without TensorBoard: protobuf wire format and TFRecord framing.

Only the messages ember writes are encoded, by hand, with the field numbers of TensorBoard's
``event.proto``, ``summary.proto``, ``tensor.proto``, ``tensor_shape.proto`` and the hparams
plugin's ``plugin_data.proto`` / ``api.proto``. Each message builder returns its serialized
bytes; a field at its default value is left out, as protobuf itself does.

A TFRecord is ``uint64 length | uint32 masked_crc32c(length) | data | uint32
masked_crc32c(data)``, all little-endian.
"""

from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Iterable

import numpy as np

# -- CRC32C (Castagnoli, reflected polynomial 0x82F63B78) ----------------------------------


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    """CRC-32C of ``data`` (``crc32c(b"123456789") == 0xE3069283``)."""
    crc, table = 0xFFFFFFFF, _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC: rotate right by 15 bits, add a constant (mod 2**32)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tf_record(data: bytes) -> bytes:
    """Frame one serialized message as a TFRecord."""
    header = struct.pack("<Q", len(data))
    return (
        header
        + struct.pack("<I", masked_crc32c(header))
        + data
        + struct.pack("<I", masked_crc32c(data))
    )


# -- protobuf wire format --------------------------------------------------------------------
# Wire types: 0 varint, 1 fixed 64-bit, 2 length-delimited, 5 fixed 32-bit.


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int32/int64 are sent as 10-byte two's complement
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return _varint((field << 3) | wire_type)


def _int(field: int, value: int) -> bytes:
    return _key(field, 0) + _varint(int(value)) if value else b""


def _double(field: int, value: float) -> bytes:
    return _key(field, 1) + struct.pack("<d", value) if value else b""


def _float(field: int, value: float) -> bytes:
    return _key(field, 5) + struct.pack("<f", value)


def _bytes(field: int, value: bytes | str) -> bytes:
    """A string, bytes or embedded-message field (the message already serialized)."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    return _key(field, 2) + _varint(len(value)) + value


def _packed_doubles(field: int, values) -> bytes:
    return _bytes(field, np.ascontiguousarray(values, dtype="<f8").tobytes())


# -- tensorboard messages --------------------------------------------------------------------

DT_STRING = 7  # tensorboard.DataType


def event(
    wall_time: float,
    step: int = 0,
    *,
    summary: bytes | None = None,
    file_version: str | None = None,
) -> bytes:
    """``Event{wall_time=1, step=2, file_version=3, summary=5}``."""
    out = _double(1, wall_time) + _int(2, step)
    if file_version is not None:
        out += _bytes(3, file_version)
    if summary is not None:
        out += _bytes(5, summary)
    return out


def summary(values: Iterable[bytes]) -> bytes:
    """``Summary{repeated Value value=1}`` from serialized ``Summary.Value`` messages."""
    return b"".join(_bytes(1, v) for v in values)


def summary_value(
    tag: str,
    *,
    simple_value: float | None = None,
    image: bytes | None = None,
    histo: bytes | None = None,
    tensor: bytes | None = None,
    metadata: bytes | None = None,
) -> bytes:
    """``Summary.Value{tag=1, simple_value=2, image=4, histo=5, tensor=8, metadata=9}``.

    At most one of the value fields is given (they form a oneof); hparams summaries carry
    only ``metadata``.
    """
    out = _bytes(1, tag)
    if simple_value is not None:
        out += _float(2, simple_value)
    for field, msg in ((4, image), (5, histo), (8, tensor), (9, metadata)):
        if msg is not None:
            out += _bytes(field, msg)
    return out


def summary_metadata(plugin_name: str, content: bytes = b"") -> bytes:
    """``SummaryMetadata{plugin_data=1: PluginData{plugin_name=1, content=2}}``."""
    plugin = _bytes(1, plugin_name) + (_bytes(2, content) if content else b"")
    return _bytes(1, plugin)


def histogram(
    minimum: float,
    maximum: float,
    num: float,
    total: float,
    sum_squares: float,
    bucket_limit,
    bucket,
) -> bytes:
    """``HistogramProto``; ``bucket[i]`` counts values in ``(bucket_limit[i-1],
    bucket_limit[i]]``."""
    return (
        _double(1, minimum)
        + _double(2, maximum)
        + _double(3, num)
        + _double(4, total)
        + _double(5, sum_squares)
        + _packed_doubles(6, bucket_limit)
        + _packed_doubles(7, bucket)
    )


def image(height: int, width: int, colorspace: int, encoded: bytes) -> bytes:
    """``Summary.Image{height=1, width=2, colorspace=3, encoded_image_string=4}``;
    colorspace 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA."""
    return _int(1, height) + _int(2, width) + _int(3, colorspace) + _bytes(4, encoded)


def string_tensor(strings: list[str]) -> bytes:
    """1-D ``TensorProto`` of dtype DT_STRING (``dtype=1, tensor_shape=2, string_val=8``)."""
    shape = _bytes(2, _int(1, len(strings)))  # TensorShapeProto{dim=2: Dim{size=1}}
    return _int(1, DT_STRING) + _bytes(2, shape) + b"".join(_bytes(8, s) for s in strings)


# -- hparams plugin (tensorboard.hparams) ----------------------------------------------------

HPARAMS_EXPERIMENT_TAG = "_hparams_/experiment"
HPARAMS_SESSION_START_TAG = "_hparams_/session_start_info"
HPARAMS_SESSION_END_TAG = "_hparams_/session_end_info"
HPARAMS_STATUS = {"success": 1, "failed": 2, "interrupted": 2, "running": 3}
_HP_STRING, _HP_BOOL, _HP_FLOAT64 = 1, 2, 3  # tensorboard.hparams.DataType


def _protobuf_value(value: str | bool | float) -> tuple[bytes, int]:
    """``google.protobuf.Value`` (``number_value=2, string_value=3, bool_value=4``) and the
    hparams DataType it maps to."""
    if isinstance(value, bool):  # before the number test: bool is an int
        return _key(4, 0) + _varint(int(value)), _HP_BOOL
    if isinstance(value, (int, float)):
        return _key(2, 1) + struct.pack("<d", float(value)), _HP_FLOAT64
    return _bytes(3, str(value)), _HP_STRING


def _hparams_plugin_data(field: int, message: bytes) -> bytes:
    """``HParamsPluginData{version=1 (0), experiment=2 | session_start_info=3 |
    session_end_info=4}`` wrapped as the ``SummaryMetadata`` of the plugin."""
    return summary_metadata("hparams", _bytes(field, message))


def hparams_experiment(hparams: dict, metric_tags: Iterable[str]) -> bytes:
    """``Experiment{hparam_infos=4: HParamInfo{name=1, type=4},
    metric_infos=5: MetricInfo{name=1: MetricName{tag=2}}}`` as plugin metadata."""
    infos = b"".join(
        _bytes(4, _bytes(1, k) + _int(4, _protobuf_value(v)[1])) for k, v in hparams.items()
    )
    infos += b"".join(_bytes(5, _bytes(1, _bytes(2, tag))) for tag in metric_tags)
    return _hparams_plugin_data(2, infos)


def hparams_session_start(hparams: dict, start_time: float) -> bytes:
    """``SessionStartInfo{hparams=1: map<string, Value>, start_time_secs=5}``."""
    # A map field is a repeated entry message {key=1, value=2}.
    entries = b"".join(
        _bytes(1, _bytes(1, k) + _bytes(2, _protobuf_value(v)[0])) for k, v in hparams.items()
    )
    return _hparams_plugin_data(3, entries + _double(5, start_time))


def hparams_session_end(status: str, end_time: float) -> bytes:
    """``SessionEndInfo{status=1, end_time_secs=2}``."""
    return _hparams_plugin_data(4, _int(1, HPARAMS_STATUS.get(status, 0)) + _double(2, end_time))


# -- the file --------------------------------------------------------------------------------


class EventFileWriter:
    """Appends TFRecord-framed events to ``<log_dir>/events.out.tfevents.<time>.<host>.<pid>``.

    The first record is the ``file_version: "brain.Event:2"`` event. Records go straight to
    the (append-only) file; the OS buffer is flushed every ``max_queue`` records or
    ``flush_secs`` seconds, so a crash loses at most those.
    """

    _count = 0  # distinguishes files opened in the same second by one process

    def __init__(
        self,
        log_dir: str,
        flush_secs: float = 120.0,
        max_queue: int = 10,
        filename_suffix: str = "",
    ):
        os.makedirs(log_dir, exist_ok=True)
        EventFileWriter._count += 1
        name = (
            f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}."
            f"{os.getpid()}.{EventFileWriter._count}{filename_suffix}"
        )
        self.path = os.path.join(log_dir, name)
        self.flush_secs, self.max_queue = flush_secs, max_queue
        self._fh = open(self.path, "ab")  # held open until close()
        self._pending = 0
        self._last_flush = time.monotonic()
        self.add_event(event(time.time(), 0, file_version="brain.Event:2"))
        self.flush()

    @property
    def closed(self) -> bool:
        return self._fh.closed

    def add_event(self, serialized_event: bytes) -> None:
        """Append one serialized ``Event``."""
        if self._fh.closed:
            raise ValueError(f"EventFileWriter: {self.path} is closed")
        self._fh.write(tf_record(serialized_event))
        self._pending += 1
        if (
            self._pending >= self.max_queue
            or time.monotonic() - self._last_flush >= self.flush_secs
        ):
            self.flush()

    def add_summary(self, values: list[bytes], step: int, wall_time: float | None = None) -> None:
        """Append an event holding one ``Summary`` of serialized ``Summary.Value``s."""
        wall = time.time() if wall_time is None else wall_time
        self.add_event(event(wall, step, summary=summary(values)))

    def flush(self) -> None:
        if not self._fh.closed:
            self._fh.flush()
            self._pending, self._last_flush = 0, time.monotonic()

    def close(self) -> None:
        self.flush()
        self._fh.close()
