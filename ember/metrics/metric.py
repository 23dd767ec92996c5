"""Metric: the base of stateful metrics (update / compute / reset / merge_state).

A metric keeps *sufficient statistics* as NumPy arrays (counts, sums, or the concatenated
predictions for ranking metrics). Statistics of disjoint shards merge by addition or
concatenation, so a metric computed on shards and merged equals the metric on all the data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Metric", "to_numpy", "check_same_shape"]

_REDUCTIONS = ("sum", "cat")


def to_numpy(x: Any) -> np.ndarray:
    """An ember Tensor, NumPy array, list or scalar as a NumPy array (no copy when possible)."""
    data = getattr(x, "_data", None)  # ember Tensor: its storage, without autograd checks
    if isinstance(data, np.ndarray):
        return data
    return np.asarray(x)


def check_same_shape(name: str, preds: np.ndarray, target: np.ndarray) -> None:
    """Raise ValueError naming ``name`` and both shapes unless ``preds`` and ``target`` match."""
    if preds.shape != target.shape:
        raise ValueError(
            f"{name}: preds and target must have the same shape, got preds of shape "
            f"{tuple(preds.shape)} and target of shape {tuple(target.shape)}"
        )


class Metric:
    """Base class of stateful metrics.

    Subclasses declare their states in ``__init__`` with ``add_state`` and implement
    ``_update(preds, target)`` on NumPy arrays (adding a batch's statistics to the states)
    and ``_compute()`` (turning the states into the value). Values are Python floats, or
    NumPy arrays for per-class results; metrics are not differentiable.

    States merge by ``"sum"`` (counts, sums) or ``"cat"`` (lists of arrays, concatenated), so
    ``merge_state`` combines metrics computed on different shards or processes.
    """

    def __init__(self) -> None:
        self._defaults: dict[str, tuple[Any, str]] = {}
        self._update_count = 0

    # -- states --------------------------------------------------------------------------------
    def add_state(self, name: str, default: Any, reduce: str = "sum") -> None:
        """Declare a state: a NumPy array (merged by ``"sum"``) or ``[]`` (merged by ``"cat"``)."""
        if reduce not in _REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}.add_state: reduce must be one of {_REDUCTIONS}, "
                f"got {reduce!r}"
            )
        if reduce == "cat" and default != []:
            raise ValueError(f"{type(self).__name__}.add_state: a 'cat' state must start as []")
        default = [] if reduce == "cat" else np.array(default)
        self._defaults[name] = (default, reduce)
        setattr(self, name, _fresh(default))

    def reset(self) -> None:
        """Forget everything seen: every state back to its default."""
        for name, (default, _) in self._defaults.items():
            setattr(self, name, _fresh(default))
        self._update_count = 0

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of the sufficient statistics (``"cat"`` states concatenated into one array)."""
        out = {"_update_count": np.array(self._update_count)}
        for name, (_, reduce) in self._defaults.items():
            value = getattr(self, name)
            if reduce == "cat":
                out[name] = np.concatenate(value) if value else np.zeros(0)
            else:
                out[name] = value.copy()
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Replace the states by those of ``state`` (as returned by ``state_dict``)."""
        missing = [k for k in self._defaults if k not in state]
        if missing:
            raise KeyError(f"{type(self).__name__}.load_state_dict: missing states {missing}")
        self.reset()
        self.merge_state(state)

    def merge_state(self, other: Metric | dict[str, Any]) -> None:
        """Add the statistics of ``other`` (a metric of the same kind, or its ``state_dict``).

        After ``a.merge_state(b)``, ``a.compute()`` is the metric over the data of both.
        """
        if isinstance(other, Metric):
            if type(other) is not type(self):
                raise TypeError(
                    f"{type(self).__name__}.merge_state: cannot merge a {type(other).__name__}"
                )
            other = other.state_dict()
        states = {}
        for name, (_, reduce) in self._defaults.items():
            mine, theirs = getattr(self, name), np.asarray(other[name])
            if reduce == "sum" and np.shape(mine) != theirs.shape:
                raise ValueError(
                    f"{type(self).__name__}.merge_state: state '{name}' has shape "
                    f"{np.shape(mine)} here but {theirs.shape} in the other metric "
                    "(were they built with the same arguments?)"
                )
            states[name] = theirs
        self._merge(states)
        self._update_count += int(other.get("_update_count", 1))

    def _merge(self, states: dict[str, np.ndarray]) -> None:
        """Combine validated states into this metric; override for non-additive statistics."""
        for name, value in states.items():
            if self._defaults[name][1] == "cat":
                if value.size:
                    getattr(self, name).append(value)
            else:
                setattr(self, name, getattr(self, name) + value)

    # -- the metric ----------------------------------------------------------------------------
    def update(self, preds: Any, target: Any) -> None:
        """Add a batch (ember Tensors or NumPy arrays) to the states."""
        self._update(to_numpy(preds), to_numpy(target))
        self._update_count += 1

    def compute(self) -> Any:
        """The metric over everything seen since the last ``reset``.

        Raises:
            RuntimeError: if no batch was seen.
        """
        if self._update_count == 0:
            raise RuntimeError(
                f"{type(self).__name__}.compute() was called before any update(); "
                "the metric has seen no data"
            )
        return self._compute()

    def _update(self, preds: np.ndarray, target: np.ndarray) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _update()")

    def _compute(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement _compute()")

    def __call__(self, preds: Any, target: Any) -> Any:
        """Accumulate the batch and return the metric on this batch alone."""
        saved = {name: getattr(self, name) for name in self._defaults}
        saved_count = self._update_count
        self.reset()
        try:
            self.update(preds, target)
            batch_value = self.compute()
            batch_state = self.state_dict()
        finally:
            for name, value in saved.items():
                setattr(self, name, value)
            self._update_count = saved_count
        self.merge_state(batch_state)
        return batch_value

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


def _fresh(default: Any) -> Any:
    return [] if isinstance(default, list) else default.copy()
