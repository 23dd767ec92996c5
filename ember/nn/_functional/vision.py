"""Resampling and padding: interpolate/upsample, pixel_shuffle, pad (``F.*``)."""

from __future__ import annotations

__all__: list[str] = []
