"""Devices and their array modules: the one seam where a GPU backend (CuPy) plugs in later."""

from __future__ import annotations

import numpy as np


class device:  # noqa: N801 - PyTorch spelling
    """Where a tensor lives, e.g. ``ember.device("cpu")``; compares equal to its string."""

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu", index: int | None = None):
        if isinstance(spec, device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device(): expected a string such as 'cpu', got {type(spec).__name__}")
        kind, _, idx = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(
                f"device(): expected one of cpu, cuda device type at start of device string: {spec}"
            )
        self.type = kind
        self.index = int(idx) if idx else index

    def __repr__(self) -> str:
        return f"device(type='{self.type}')" if self.index is None else (
            f"device(type='{self.type}', index={self.index})"
        )

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:  # not a device string: unequal, as for any other object
                return False
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


CPU = device("cpu")


def as_device(spec) -> device:
    """Normalise a device argument and check that ember can place tensors there."""
    if spec is None:
        return CPU
    d = spec if isinstance(spec, device) else device(spec)
    if d.type == "cuda":
        raise RuntimeError(
            f"device '{d}': ember's CUDA backend is not available in this build; it needs CuPy "
            "(a GPU build of ember is planned), so only 'cpu' tensors can be created now"
        )
    return d


def array_module(dev: device):
    """The array module (numpy, later cupy) that implements kernels for ``dev``."""
    if dev.type == "cpu":
        return np
    raise RuntimeError(f"no array module for device '{dev}'")


# -- allocator tuning ----------------------------------------------------------------------------
# glibc serves blocks above M_MMAP_THRESHOLD with fresh mmap()s and returns them with munmap(),
# and trims the heap top above M_TRIM_THRESHOLD; every new activation or im2col buffer of a
# training step then costs page faults and kernel zeroing of its pages. Keeping freed blocks in
# the heap lets the next step reuse them. Opt out with EMBER_NO_MALLOPT=1.
_M_TRIM_THRESHOLD = -1  # mallopt parameter numbers from glibc's malloc.h
_M_MMAP_THRESHOLD = -3
_KEEP_BYTES = 1 << 30  # blocks up to 1 GiB come from (and go back to) the heap


def tune_allocator() -> bool:
    """Raise glibc's mmap and trim thresholds once; True when they were set.

    A no-op (False) off glibc, or when ``EMBER_NO_MALLOPT=1`` is in the environment.
    """
    import os

    if os.environ.get("EMBER_NO_MALLOPT", "") not in ("", "0"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        ok = libc.mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES) == 1
        return bool(libc.mallopt(_M_TRIM_THRESHOLD, 2 * _KEEP_BYTES) == 1 and ok)
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows): nothing to tune
        return False


ALLOCATOR_TUNED = tune_allocator()
