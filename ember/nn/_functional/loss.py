"""Losses: mse_loss, cross_entropy, nll_loss, binary_cross_entropy_with_logits, ... (``F.*``)."""

from __future__ import annotations

__all__: list[str] = []
