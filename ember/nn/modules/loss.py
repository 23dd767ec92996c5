"""One module per loss function."""

from __future__ import annotations

__all__: list[str] = []
