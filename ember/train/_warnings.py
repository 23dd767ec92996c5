"""Warnings of the training engine: each has an id, is emitted once, and can be silenced."""

from __future__ import annotations

import warnings


class EmberTrainWarning(UserWarning):
    """Category of every warning the training engine emits."""


_seen: set[str] = set()
_silenced: set[str] = set()


def warn_once(warning_id: str, message: str) -> None:
    """Emit ``message`` the first time ``warning_id`` is seen in this process."""
    if warning_id in _seen or warning_id in _silenced:
        return
    _seen.add(warning_id)
    warnings.warn(f"{message} [ember warning id: {warning_id}]", EmberTrainWarning, stacklevel=3)


def silence_warnings(*warning_ids: str) -> None:
    """Never emit the warnings with these ids (e.g. ``silence_warnings("no-val-loader")``)."""
    _silenced.update(warning_ids)


def reset_warnings() -> None:
    """Forget which warnings were emitted (tests use this)."""
    _seen.clear()
