"""CSVDataset: tabular regression/classification data read with the csv module."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence

import numpy as np

from ember.utils.data import Dataset


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _sorted_labels(values) -> list[str]:
    """Distinct labels, in numeric order when they are all numbers, else lexicographic."""
    distinct = set(values)
    if all(_is_number(v) for v in distinct):
        return sorted(distinct, key=float)
    return sorted(distinct)


def _encode(values: list[str], vocab: list[str], column: str, path: str) -> np.ndarray:
    lookup = {v: i for i, v in enumerate(vocab)}
    try:
        return np.array([lookup[v] for v in values], dtype=np.int64)
    except KeyError as err:
        raise ValueError(
            f"CSVDataset: column {column!r} of {path} has value {err.args[0]!r} not "
            f"seen when the statistics were fitted (known: {vocab})"
        ) from None


def _parse_floats(values: list[str], column: str, path: str) -> np.ndarray:
    try:
        return np.array([float(v) for v in values], dtype=np.float64)
    except ValueError:
        bad = next(i for i, v in enumerate(values) if not _is_number(v))
        raise ValueError(
            f"CSVDataset: column {column!r} of {path}, data row {bad + 1}: cannot "
            f"parse {values[bad]!r} as a number"
        ) from None


class CSVDataset(Dataset):
    """Rows of a CSV file (with a header) as ``(features float32 (F,), target)`` tensors.

    Numeric features are standardised with ``mean``/``std`` fitted on this file, unless
    ``stats`` from a training split is given: build val/test sets with ``stats=train.stats`` so
    they share the training normalisation, category codes and classes. Categorical features
    become integer codes (stored as floats, not standardised).

    Args:
        path: CSV file path.
        target: the target column name (or several names for multi-output regression).
        features: feature columns (default: every other column).
        categorical: feature columns to encode as codes (non-numeric columns always are).
        normalize: standardise the numeric features.
        stats: statistics of another CSVDataset (``.stats``) to reuse.
        task: "classification" or "regression"; default: classification when the target is
            non-numeric.

    Attributes:
        stats: a JSON-friendly dict of the fitted statistics. classes: class names
        (classification). data: (N, F) float32 Tensor. targets: (N,) int64 Tensor for
        classification, float32 (N,) or (N, T) for regression.
    """

    def __init__(
        self,
        path: str,
        target: str | Sequence[str],
        features: Sequence[str] | None = None,
        categorical: Sequence[str] | None = None,
        normalize: bool = True,
        stats: dict | None = None,
        task: str | None = None,
    ):
        from ember._tensor import Tensor

        self.path = os.fspath(path)
        header, columns = self._read()
        targets = [target] if isinstance(target, str) else list(target)
        if stats is not None:
            features, task = stats["features"], stats["task"]
        elif features is None:
            features = [c for c in header if c not in targets]
        missing = [c for c in [*targets, *features] if c not in columns]
        if missing:
            raise KeyError(f"CSVDataset: columns {missing} not in {self.path} (has {header})")
        if task is None:
            numeric = all(_is_number(v) for t in targets for v in columns[t])
            task = "regression" if numeric else "classification"
        if task not in ("classification", "regression"):
            raise ValueError(
                f"CSVDataset: task must be 'classification' or 'regression', got {task!r}"
            )
        if task == "classification" and len(targets) != 1:
            raise ValueError(f"CSVDataset: classification takes one target column, got {targets}")
        fitted = stats or self._fit(columns, targets, list(features), categorical, normalize, task)
        self.stats = fitted
        self.features = list(fitted["features"])
        self.categorical = list(fitted["categories"])
        self.classes = fitted["classes"]
        x = np.empty((len(columns[header[0]]), len(self.features)), dtype=np.float64)
        for j, name in enumerate(self.features):
            vocab = fitted["categories"].get(name)
            x[:, j] = (
                _encode(columns[name], vocab, name, self.path)
                if vocab is not None
                else _parse_floats(columns[name], name, self.path)
            )
        if fitted["mean"] is not None:
            x = (x - np.asarray(fitted["mean"])) / np.asarray(fitted["std"])
        if task == "classification":
            y = _encode(columns[targets[0]], self.classes, targets[0], self.path)
        else:
            y = np.stack([_parse_floats(columns[t], t, self.path) for t in targets], axis=1)
            y = (y[:, 0] if len(targets) == 1 else y).astype(np.float32)
        self.data = Tensor._make(x.astype(np.float32))
        self.targets = Tensor._make(y)

    def _read(self) -> tuple[list[str], dict[str, list[str]]]:
        """The header and each column's raw strings."""
        with open(self.path, newline="") as f:
            rows = [row for row in csv.reader(f) if row]
        if not rows:
            raise ValueError(f"CSVDataset: {self.path} is empty")
        header = [h.strip() for h in rows[0]]
        for i, row in enumerate(rows[1:], start=1):
            if len(row) != len(header):
                raise ValueError(
                    f"CSVDataset: {self.path} data row {i} has {len(row)} fields, "
                    f"expected {len(header)}"
                )
        return header, {h: [row[j].strip() for row in rows[1:]] for j, h in enumerate(header)}

    def _fit(self, columns, targets, features, categorical, normalize, task) -> dict:
        """Category vocabularies, classes and numeric mean/std of this file."""
        categorical = set(categorical or [])
        unknown = categorical - set(features)
        if unknown:
            raise KeyError(f"CSVDataset: categorical columns {sorted(unknown)} are not features")
        categories = {
            name: _sorted_labels(columns[name])
            for name in features
            if name in categorical or not all(_is_number(v) for v in columns[name])
        }
        mean = std = None
        if normalize:
            mean, std = [], []
            for name in features:
                if name in categories:
                    mean.append(0.0)
                    std.append(1.0)
                    continue
                v = _parse_floats(columns[name], name, self.path)
                mean.append(float(v.mean()) if v.size else 0.0)
                s = float(v.std()) if v.size else 0.0
                std.append(s if s > 0 else 1.0)  # constant column: leave it centred, unscaled
        classes = _sorted_labels(columns[targets[0]]) if task == "classification" else None
        return {
            "features": features,
            "target": targets,
            "task": task,
            "categories": categories,
            "classes": classes,
            "mean": mean,
            "std": std,
        }

    def __getitem__(self, index: int):
        from ember._tensor import Tensor

        # [index, ...] keeps 0-d results as arrays (a bare [index] would give NumPy scalars)
        return (
            Tensor._make(self.data._data[index, ...]),
            Tensor._make(self.targets._data[index, ...]),
        )

    def __len__(self) -> int:
        return self.data.shape[0]

    def __repr__(self) -> str:
        return (
            f"CSVDataset({self.path!r}, samples={len(self)}, features={len(self.features)}, "
            f"task={self.stats['task']!r})"
        )
