"""Dropout: dropout, dropout1d/2d, alpha_dropout (``F.*``)."""

from __future__ import annotations

__all__: list[str] = []
