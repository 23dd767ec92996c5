"""Small datasets bundled with scikit-learn, as seeded train/val/test TensorDatasets.

Requires the optional extra ``datasets`` (scikit-learn): ``pip install ember[datasets]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ember.datasets.utils import split_indices


class Splits(NamedTuple):
    """A dataset split three ways.

    Attributes:
        train, val, test: TensorDatasets of (input, target).
        classes: class names (None for regression).
        feature_names: input column names (None for images).
        stats: {"mean": [...], "std": [...]} used to standardise features (None for images).
    """

    train: object
    val: object
    test: object
    classes: list[str] | None
    feature_names: list[str] | None
    stats: dict | None


def _sklearn_datasets(name: str):
    try:
        from sklearn import datasets
    except ImportError as err:
        raise ImportError(f"{name} requires scikit-learn: pip install ember[datasets]") from err
    return datasets


def _make_splits(
    x: np.ndarray,
    y: np.ndarray,
    fractions,
    seed: int,
    name: str,
    classes,
    feature_names,
    standardize: bool,
) -> Splits:
    from ember.random import Generator
    from ember.utils.data import TensorDataset

    parts = split_indices(len(x), fractions, Generator().manual_seed(seed), name)
    stats = None
    if standardize:
        train = x[parts[0]].astype(np.float64)
        mean, std = train.mean(axis=0), train.std(axis=0)
        std = np.where(std > 0, std, 1.0)  # constant feature: centre only
        x = (x - mean) / std
        stats = {"mean": mean.tolist(), "std": std.tolist()}
    x = x.astype(np.float32)
    sets = [TensorDataset(np.ascontiguousarray(x[p]), np.ascontiguousarray(y[p])) for p in parts]
    return Splits(*sets, classes, feature_names, stats)


def load_digits(fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> Splits:
    """The 8x8 handwritten digits (1797 images, 10 classes).

    Returns:
        Splits whose datasets hold images (N, 1, 8, 8) float32 in [0, 1] and int64 labels.
    """
    bunch = _sklearn_datasets("load_digits").load_digits()
    images = (bunch.images / 16.0)[:, None]  # pixel counts are 0..16
    classes = [str(c) for c in bunch.target_names]
    return _make_splits(
        images,
        bunch.target.astype(np.int64),
        fractions,
        seed,
        "load_digits",
        classes,
        None,
        standardize=False,
    )


def _tabular(name: str, fractions, seed: int, regression: bool = False, **kwargs) -> Splits:
    bunch = getattr(_sklearn_datasets(name), name)(**kwargs)
    y = bunch.target.astype(np.float32 if regression else np.int64)
    classes = None if regression else [str(c) for c in bunch.target_names]
    return _make_splits(
        bunch.data,
        y,
        fractions,
        seed,
        name,
        classes,
        [str(f) for f in bunch.feature_names],
        standardize=True,
    )


def load_breast_cancer(fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> Splits:
    """Wisconsin breast cancer: 569 x 30 standardised features, 2 classes (int64 labels)."""
    return _tabular("load_breast_cancer", fractions, seed)


def load_iris(fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> Splits:
    """Iris: 150 x 4 standardised features, 3 classes (int64 labels)."""
    return _tabular("load_iris", fractions, seed)


def load_diabetes(fractions: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> Splits:
    """Diabetes progression: 442 x 10 standardised raw features, float32 regression targets."""
    return _tabular("load_diabetes", fractions, seed, regression=True, scaled=False)
