"""DistributedSampler: each of ``num_replicas`` processes reads its own shard of a dataset."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sized

from ember import random as _random
from ember.utils.data.sampler import Sampler


class DistributedSampler(Sampler[int]):
    """Indices for replica ``rank``: every ``num_replicas``-th index of a shared order.

    All replicas build the same order (a permutation seeded by ``seed + epoch`` when
    ``shuffle``), padded by repeating its start (or truncated with ``drop_last``) to a multiple
    of ``num_replicas``; replica r takes positions r, r + R, r + 2R, ...

    Args:
        dataset: a sized dataset of N samples.
        num_replicas: number of replicas R (default: ``$WORLD_SIZE`` or 1).
        rank: this replica, in [0, R) (default: ``$RANK`` or 0).
        shuffle: permute the indices, differently each epoch (call ``set_epoch``).
        seed: base seed, the same on every replica.
        drop_last: truncate to a multiple of R instead of padding.
    """

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None:
            num_replicas = int(os.environ.get("WORLD_SIZE", 1))
        if rank is None:
            rank = int(os.environ.get("RANK", 0))
        if num_replicas <= 0:
            raise ValueError(
                f"DistributedSampler: num_replicas must be positive, got {num_replicas}"
            )
        if rank >= num_replicas or rank < 0:
            raise ValueError(
                f"DistributedSampler: Invalid rank {rank}, rank should be in the interval "
                f"[0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        self.shuffle = shuffle
        self.seed = seed
        n = len(dataset)
        if drop_last and n % num_replicas != 0:
            # the largest per-replica count that needs no padding
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            gen = _random.Generator().manual_seed(self.seed + self.epoch)
            indices = _random.rng(gen).permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad <= len(indices):
                indices += indices[:pad]
            else:  # tiny dataset, many replicas: repeat it whole as often as needed
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank : self.total_size : self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use a different shuffle for ``epoch`` (the same on every replica)."""
        self.epoch = epoch
