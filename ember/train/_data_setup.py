"""Where the Trainer gets its loaders, and how many batches of each it uses."""

from __future__ import annotations

import math


def as_loader_list(loaders) -> list:
    """None -> []; one loader -> [loader]; a list/tuple of loaders stays a list."""
    if loaders is None:
        return []
    if isinstance(loaders, (list, tuple)):
        return list(loaders)
    return [loaders]


def loader_len(loader) -> float:
    """Batches per epoch, or ``inf`` for a loader without a length (an iterable dataset)."""
    try:
        return len(loader)
    except TypeError:
        return math.inf


def limited_batches(loader, limit, what: str) -> float:
    """Batches to use from ``loader`` given ``limit_*_batches`` (an int count or a fraction)."""
    n = loader_len(loader)
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit < 0:
        raise ValueError(
            f"Trainer: {what} must be a non-negative int or a float in [0, 1], got {limit!r}"
        )
    if isinstance(limit, float):
        if limit > 1.0:
            raise ValueError(f"Trainer: {what} as a float must be in [0, 1], got {limit}")
        if limit == 1.0:
            return n
        if n == math.inf:
            raise ValueError(
                f"Trainer: {what}={limit} is a fraction, but the loader has no "
                "length; pass an int number of batches"
            )
        return int(n * limit)
    return min(n, limit)


def sequential_copy(loader):
    """The same loader without shuffling (for ``overfit_batches``)."""
    from ember.utils.data import DataLoader

    return DataLoader(
        loader.dataset,
        batch_size=loader.batch_size,
        shuffle=False,
        collate_fn=loader.collate_fn,
        drop_last=loader.drop_last,
        num_workers=0,
    )


def loader_generators(loaders) -> list:
    """The ember Generators a loader (and its sampler) draws its order from."""
    out = []
    for loader in loaders:
        for owner in (
            loader,
            getattr(loader, "sampler", None),
            getattr(getattr(loader, "batch_sampler", None), "sampler", None),
        ):
            g = getattr(owner, "generator", None)
            if g is not None and hasattr(g, "get_state") and not any(g is h for h in out):
                out.append(g)
    return out
