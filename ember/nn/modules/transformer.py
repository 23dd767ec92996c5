"""Transformer encoder/decoder layers and stacks."""

from __future__ import annotations

__all__: list[str] = []
