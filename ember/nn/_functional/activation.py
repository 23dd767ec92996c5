"""Activations: relu, gelu, softmax, log_softmax, ... (``F.*``)."""

from __future__ import annotations

__all__: list[str] = []
