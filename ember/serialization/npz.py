"""Read NumPy ``.npz`` archives and ``.npy`` files as ember tensors (never unpickling)."""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

import numpy as np


def read_npy(f: BinaryIO, make_tensor: Callable) -> object:
    """Load a single ``.npy`` array as a Tensor (object arrays are refused: ValueError)."""
    return make_tensor("array", np.load(f, allow_pickle=False))


def read_npz(f: BinaryIO, make_tensor: Callable) -> dict:
    """Load every array of an ``.npz`` archive.

    Returns:
        dict name -> Tensor, in archive order.
    """
    with np.load(f, allow_pickle=False) as archive:
        return {name: make_tensor(name, archive[name]) for name in archive.files}


def is_npz(names: list) -> bool:
    return bool(names) and all(n.endswith(".npy") for n in names)
