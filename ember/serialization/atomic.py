"""Crash-safe file replacement: write a temporary file, fsync it, rename it over the target."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from typing import BinaryIO


def _open_temp(directory: str, base: str) -> tuple[str, BinaryIO]:
    """Create a fresh temporary file next to the target (same filesystem, so rename is atomic)."""
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            # 0o666 lets the process umask decide the final permissions, like a plain open()
            fd = os.open(
                tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666
            )
        except FileExistsError:
            continue
        return tmp, os.fdopen(fd, "wb")


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable; not possible on every platform (e.g. Windows)."""
    flags = getattr(os, "O_DIRECTORY", None)
    if flags is None:
        return
    try:
        fd = os.open(directory, os.O_RDONLY | flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on directories; the data itself is already synced
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Yield a binary file whose content replaces ``path`` only if the block finishes.

    The data goes to a temporary file in the same directory, which is flushed and fsynced, then
    renamed over ``path`` with ``os.replace`` (atomic on POSIX and Windows) and the directory is
    fsynced. On any exception the temporary file is removed and ``path`` is left untouched; a
    process killed mid-write leaves at most a stray ``.<name>.<random>.tmp`` file.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    tmp, f = _open_temp(directory, os.path.basename(path))
    try:
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)
