"""Dataset utilities: per-channel statistics and train/val/test splitting."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ember.transforms._stats import channel_mean_std
from ember.transforms.base import iter_inputs


def _batches(loader):
    for batch in loader:
        yield batch[0] if isinstance(batch, (tuple, list)) else batch


def compute_mean_std(data, dim: int = 0):
    """Per-channel mean and (population) std, streamed with float64 accumulation.

    Args:
        data: a dataset (samples ``x`` or ``(x, ...)``), a DataLoader (batches ``x`` or
            ``(x, ...)``), a sequence of inputs, or one stacked array/Tensor (N, ...).
        dim: the channel dimension of ONE sample (0 for CHW tensors, -1 for HWC arrays); for
            loaders and stacked arrays the leading batch dimension is accounted for.

    Returns:
        (mean, std): float64 Tensors of shape (C,).
    """
    from ember._tensor import Tensor
    from ember.utils.data import DataLoader

    batch_dim = dim + 1 if dim >= 0 else dim
    if isinstance(data, DataLoader):
        mean, std = channel_mean_std(_batches(data), batch_dim, "compute_mean_std")
    elif isinstance(data, (np.ndarray, Tensor)):
        mean, std = channel_mean_std([data], batch_dim, "compute_mean_std")
    else:
        mean, std = channel_mean_std(iter_inputs(data), dim, "compute_mean_std")
    return Tensor._make(mean), Tensor._make(std)


def train_val_test_split(
    dataset, fractions: Sequence[float] = (0.8, 0.1, 0.1), generator=None, seed: int | None = None
):
    """Randomly split ``dataset`` into (train, val, test) Subsets.

    Args:
        dataset: a sized map-style dataset.
        fractions: three fractions summing to 1 (sizes are rounded like ``random_split``).
        generator: an ``ember.Generator`` for the permutation (default: ember's global one).
        seed: alternatively, a seed for a fresh generator (reproducible without touching the
            global generator).

    Returns:
        (train, val, test) ``Subset``s.
    """
    from ember.random import Generator
    from ember.utils.data import Subset

    if seed is not None:
        if generator is not None:
            raise ValueError("train_val_test_split: pass generator or seed, not both")
        generator = Generator().manual_seed(seed)
    parts = split_indices(len(dataset), fractions, generator, "train_val_test_split")
    train, val, test = (Subset(dataset, p.tolist()) for p in parts)
    return train, val, test


def split_indices(n: int, fractions: Sequence[float], generator, name: str) -> list[np.ndarray]:
    """A random permutation of range(n) cut into three parts of sizes ``fractions * n``.

    Each size is floored, then the remainder is handed out one by one from the first part
    (PyTorch's ``random_split`` rule).
    """
    from ember.random import rng

    fractions = [float(f) for f in fractions]
    if len(fractions) != 3 or any(f < 0 for f in fractions) or not np.isclose(sum(fractions), 1):
        raise ValueError(f"{name}: expected 3 non-negative fractions summing to 1, got {fractions}")
    lengths = [int(np.floor(n * f)) for f in fractions]
    for i in range(n - sum(lengths)):
        lengths[i % 3] += 1
    perm = rng(generator).permutation(n)
    return np.split(perm, np.cumsum(lengths)[:2])
