"""Streaming per-channel mean and standard deviation (float64 accumulation)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ember.transforms._image import is_pil


def as_array(x) -> np.ndarray:
    """The NumPy array behind a Tensor, PIL image, ndarray or nested sequence."""
    from ember._tensor import Tensor

    if isinstance(x, Tensor):
        return x._data
    return np.asarray(x)


def channel_mean_std(arrays: Iterable, dim: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and population std over a stream of arrays.

    Chunks are merged with Chan et al.'s parallel update (mean and sum of squared deviations
    ``M2``), which avoids the cancellation of ``E[x^2] - E[x]^2``.

    Args:
        arrays: arrays (or Tensors / PIL images) that all have the channel axis ``dim``.
        dim: the channel axis of each array.
        name: caller's name for error messages.

    Returns:
        (mean, std), float64 arrays of shape (C,).
    """
    count, mean, m2 = 0, None, None
    for x in arrays:
        x = as_array(x) if not is_pil(x) else np.asarray(x)
        if x.ndim == 0:
            raise ValueError(f"{name}: expected arrays with a channel dimension, got a scalar")
        try:
            x = np.moveaxis(x, dim, 0)
        except np.exceptions.AxisError:
            raise IndexError(
                f"{name}: channel dim {dim} out of range for an item of shape {x.shape}"
            ) from None
        x = x.reshape(x.shape[0], -1).astype(np.float64)
        n = x.shape[1]
        if n == 0:
            continue
        batch_mean = x.mean(axis=1)
        batch_m2 = ((x - batch_mean[:, None]) ** 2).sum(axis=1)
        if mean is None:
            count, mean, m2 = n, batch_mean, batch_m2
            continue
        if batch_mean.shape != mean.shape:
            raise ValueError(
                f"{name}: items have {batch_mean.shape[0]} channels, expected {mean.shape[0]}"
            )
        total = count + n
        delta = batch_mean - mean
        mean = mean + delta * (n / total)
        m2 = m2 + batch_m2 + delta**2 * (count * n / total)
        count = total
    if mean is None:
        raise ValueError(f"{name}: no data to compute statistics from")
    return mean, np.sqrt(m2 / count)
