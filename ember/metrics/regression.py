"""Regression metrics: MSE, RMSE, MAE and R^2, from per-output sums.

Inputs are ``preds`` and ``target`` of the same shape ``(N,)`` or ``(N, D)`` (D outputs).
``multioutput`` follows scikit-learn: ``"uniform_average"`` (mean over outputs) or
``"raw_values"`` (a ``(D,)`` array); R^2 also takes ``"variance_weighted"``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.metrics.metric import Metric, check_same_shape

__all__ = ["MeanAbsoluteError", "MeanSquaredError", "R2Score", "RootMeanSquaredError"]


_OUTPUTS = ("uniform_average", "raw_values")


def _init_outputs(metric: Metric, num_outputs: int, multioutput: str, allowed=_OUTPUTS) -> None:
    """Validate and store ``num_outputs`` (D) and ``multioutput`` on ``metric``."""
    name = type(metric).__name__
    if not isinstance(num_outputs, int) or num_outputs < 1:
        raise ValueError(f"{name}: num_outputs must be a positive integer, got {num_outputs!r}")
    if multioutput not in allowed:
        raise ValueError(f"{name}: multioutput must be one of {allowed}, got {multioutput!r}")
    metric.num_outputs, metric.multioutput = num_outputs, multioutput


def _columns(metric: Metric, preds: np.ndarray, target: np.ndarray):
    """Check shapes and return both as float64 ``(N, D)``."""
    name, d_expected = type(metric).__name__, metric.num_outputs
    check_same_shape(name, preds, target)
    d = 1 if preds.ndim == 1 else preds.shape[-1]
    if preds.ndim > 2 or d != d_expected:
        raise ValueError(
            f"{name}: expected preds and target of shape (N,) or (N, {d_expected}) "
            f"for num_outputs={d_expected}, got {tuple(preds.shape)}"
        )
    return tuple(x.reshape(len(x), d).astype(np.float64, copy=False) for x in (preds, target))


def _combine(metric: Metric, values: np.ndarray) -> Any:
    """Per-output values as an array (``"raw_values"``) or their mean."""
    return values if metric.multioutput == "raw_values" else float(values.mean())


def _outputs_repr(metric: Metric) -> str:
    return f"num_outputs={metric.num_outputs}" if metric.num_outputs != 1 else ""


class MeanSquaredError(Metric):
    """Mean squared error (sklearn ``mean_squared_error``), or its root with ``squared=False``.

    Args:
        squared: False gives RMSE (per output, then averaged, as sklearn's
            ``root_mean_squared_error``).
        num_outputs: D, the number of outputs (columns of 2-D inputs). Default: 1.
        multioutput: ``"uniform_average"`` or ``"raw_values"``.
    """

    def __init__(
        self, squared: bool = True, num_outputs: int = 1, multioutput: str = "uniform_average"
    ) -> None:
        super().__init__()
        _init_outputs(self, num_outputs, multioutput)
        self.squared = squared
        self.add_state("sum_squared_error", np.zeros(num_outputs))
        self.add_state("count", np.zeros((), np.int64))

    def _update(self, preds: np.ndarray, target: np.ndarray) -> None:
        p, t = _columns(self, preds, target)
        self.sum_squared_error = self.sum_squared_error + np.square(p - t).sum(axis=0)
        self.count = self.count + len(p)

    def extra_repr(self) -> str:
        return _outputs_repr(self)

    def _compute(self) -> Any:
        mse = self.sum_squared_error / self.count
        return _combine(self, mse if self.squared else np.sqrt(mse))


class RootMeanSquaredError(MeanSquaredError):
    """Root mean squared error: ``MeanSquaredError(squared=False)``."""

    def __init__(self, num_outputs: int = 1, multioutput: str = "uniform_average") -> None:
        super().__init__(False, num_outputs, multioutput)


class MeanAbsoluteError(Metric):
    """Mean absolute error (sklearn ``mean_absolute_error``)."""

    def __init__(self, num_outputs: int = 1, multioutput: str = "uniform_average") -> None:
        super().__init__()
        _init_outputs(self, num_outputs, multioutput)
        self.add_state("sum_abs_error", np.zeros(num_outputs))
        self.add_state("count", np.zeros((), np.int64))

    def _update(self, preds: np.ndarray, target: np.ndarray) -> None:
        p, t = _columns(self, preds, target)
        self.sum_abs_error = self.sum_abs_error + np.abs(p - t).sum(axis=0)
        self.count = self.count + len(p)

    def extra_repr(self) -> str:
        return _outputs_repr(self)

    def _compute(self) -> Any:
        return _combine(self, self.sum_abs_error / self.count)


class R2Score(Metric):
    """Coefficient of determination ``1 - SS_res / SS_tot`` (sklearn ``r2_score``).

    The target's variance is accumulated as count, mean and sum of squared deviations per
    output and merged with Chan et al.'s parallel formula, which stays accurate where
    ``sum(y^2) - sum(y)^2 / n`` would cancel. A constant target gives 1 if predicted exactly,
    else 0 (sklearn's ``force_finite=True``).

    Args:
        multioutput: ``"uniform_average"``, ``"raw_values"`` or ``"variance_weighted"``.
    """

    def __init__(self, num_outputs: int = 1, multioutput: str = "uniform_average") -> None:
        super().__init__()
        _init_outputs(self, num_outputs, multioutput, _OUTPUTS + ("variance_weighted",))
        self.add_state("count", np.zeros((), np.int64))
        self.add_state("target_mean", np.zeros(num_outputs))
        self.add_state("target_m2", np.zeros(num_outputs))  # sum of squared deviations
        self.add_state("sum_squared_error", np.zeros(num_outputs))

    def _update(self, preds: np.ndarray, target: np.ndarray) -> None:
        p, t = _columns(self, preds, target)
        mean = t.mean(axis=0) if len(t) else np.zeros(self.num_outputs)
        self._merge(
            {
                "count": np.array(len(t)),
                "target_mean": mean,
                "target_m2": np.square(t - mean).sum(axis=0),
                "sum_squared_error": np.square(p - t).sum(axis=0),
            }
        )

    def _merge(self, states: dict[str, np.ndarray]) -> None:
        n_a, n_b = int(self.count), int(states["count"])
        n = n_a + n_b
        if n_b == 0:
            return
        # Chan et al.: M2 = M2_a + M2_b + delta^2 n_a n_b / n, delta = mean_b - mean_a
        delta = states["target_mean"] - self.target_mean
        self.target_m2 = self.target_m2 + states["target_m2"] + delta**2 * n_a * n_b / n
        self.target_mean = self.target_mean + delta * n_b / n
        self.sum_squared_error = self.sum_squared_error + states["sum_squared_error"]
        self.count = np.array(n)

    def extra_repr(self) -> str:
        return _outputs_repr(self)

    def _compute(self) -> Any:
        ss_res, ss_tot = self.sum_squared_error, self.target_m2
        r2 = np.where(ss_res == 0, 1.0, 0.0)  # constant target (ss_tot == 0), as sklearn
        np.subtract(1.0, ss_res / np.where(ss_tot == 0, 1.0, ss_tot), out=r2, where=ss_tot != 0)
        if self.multioutput == "variance_weighted" and ss_tot.sum() > 0:
            return float(np.average(r2, weights=ss_tot))
        return _combine(self, r2)
