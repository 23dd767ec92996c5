"""A minimal PNG encoder (8-bit grey, RGB or RGBA) on zlib, so ember needs no Pillow to log
images."""

from __future__ import annotations

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type (grey, grey+A, RGB, RGBA)


def _chunk(kind: bytes, data: bytes) -> bytes:
    """``length | type | data | crc32(type + data)``, big-endian."""
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode_png(image: np.ndarray, compress_level: int = 6) -> bytes:
    """PNG bytes of a uint8 image.

    Args:
        image: uint8 array of shape (H, W), (H, W, 1), (H, W, 2), (H, W, 3) or (H, W, 4).
        compress_level: zlib level 0-9.

    Returns:
        The encoded file.
    """
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise TypeError(f"encode_png: expected a uint8 array, got dtype {image.dtype}")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in _COLOR_TYPE or 0 in image.shape[:2]:
        raise ValueError(
            "encode_png: expected shape (H, W) or (H, W, C) with C in 1..4 and "
            f"H, W > 0, got {tuple(image.shape)}"
        )
    height, width, channels = image.shape
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPE[channels], 0, 0, 0)
    # Every scanline starts with its filter type; 0 (None) keeps the encoder trivial.
    rows = np.zeros((height, 1 + width * channels), dtype=np.uint8)
    rows[:, 1:] = image.reshape(height, width * channels)
    return (
        _SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), compress_level))
        + _chunk(b"IEND", b"")
    )
