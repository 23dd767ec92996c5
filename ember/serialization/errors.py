"""The error raised for damaged checkpoint files."""

from __future__ import annotations


class CorruptCheckpointError(RuntimeError):
    """A checkpoint file is damaged (truncated, bit-flipped) or was crafted to be invalid.

    The message says which file part failed and why, e.g. ``truncated: expected 4096 bytes, got
    1000`` or ``checksum mismatch in the data section``. Loading never returns tensors from a
    file that failed a check.
    """
