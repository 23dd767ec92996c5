"""Convolutions: conv1d/2d, conv_transpose1d/2d, unfold/fold (``F.*``)."""

from __future__ import annotations

__all__: list[str] = []
