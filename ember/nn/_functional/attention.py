"""Attention: scaled_dot_product_attention and distance functions (``F.*``)."""

from __future__ import annotations

__all__: list[str] = []
