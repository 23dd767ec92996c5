"""Pooling: max/avg pooling, adaptive pooling, max_unpool (``F.*``)."""

from __future__ import annotations

__all__: list[str] = []
