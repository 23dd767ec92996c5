"""Seeding and RNG-state capture for reproducible and exactly resumable runs."""

from __future__ import annotations

import random as _py_random

import numpy as np

from ember import random as _ember_random


def seed_everything(seed: int, workers: bool = False) -> int:
    """Seed ember's default generator, NumPy's global generator and Python's ``random``.

    Args:
        seed: any integer in [0, 2**32); it is reduced modulo 2**32 for NumPy.
        workers: accepted for Lightning compatibility; DataLoader workers are always seeded
            from the loader's generator, so every worker differs and runs are reproducible.

    Returns:
        The seed used.
    """
    seed = int(seed)
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed_everything: seed must be in [0, 2**32), got {seed}")
    _ember_random.manual_seed(seed)
    np.random.seed(seed)
    _py_random.seed(seed)
    return seed


def capture_rng_state(generators=()) -> dict:
    """The states of ember's default generator, NumPy's and Python's, and extra generators."""
    return {
        "ember": _ember_random.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": _py_random.getstate(),
        "generators": [g.get_state() for g in generators],
    }


def restore_rng_state(state: dict, generators=()) -> None:
    """Undo everything drawn since :func:`capture_rng_state` returned ``state``."""
    _ember_random.set_rng_state(state["ember"])
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state(
        (kind, np.asarray(keys, dtype=np.uint32), int(pos), int(has_gauss), float(cached))
    )
    version, internal, gauss = state["python"]
    _py_random.setstate((version, tuple(internal), gauss))
    saved = state.get("generators", [])
    if len(saved) != len(generators):
        raise RuntimeError(
            f"restore_rng_state: checkpoint holds {len(saved)} data-loader generator states, "
            f"the current loaders have {len(generators)}"
        )
    for g, s in zip(generators, saved):
        g.set_state(s)
