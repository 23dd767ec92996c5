"""Embeddings and encodings: embedding, one_hot (``F.*``)."""

from __future__ import annotations

__all__: list[str] = []
