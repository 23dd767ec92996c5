"""Functional forms: each builds the metric, feeds it one batch and returns ``compute()``.

``accuracy(preds, target, task="multiclass", num_classes=3)`` equals
``Accuracy(task="multiclass", num_classes=3)(preds, target)``; the arguments are those of the
metric classes (see their docstrings), so there is one implementation of every metric.
"""

from __future__ import annotations

from typing import Any

from ember.metrics.classification import (
    Accuracy,
    ConfusionMatrix,
    F1Score,
    FBetaScore,
    Precision,
    Recall,
)
from ember.metrics.metric import Metric
from ember.metrics.ranking import AUROC, AveragePrecision
from ember.metrics.regression import (
    MeanAbsoluteError,
    MeanSquaredError,
    R2Score,
    RootMeanSquaredError,
)
from ember.metrics.segmentation import Dice, JaccardIndex

__all__ = [
    "accuracy",
    "auroc",
    "average_precision",
    "confusion_matrix",
    "dice",
    "f1_score",
    "fbeta_score",
    "jaccard_index",
    "mean_absolute_error",
    "mean_squared_error",
    "precision",
    "r2_score",
    "recall",
    "root_mean_squared_error",
]


def _once(metric: Metric, preds: Any, target: Any) -> Any:
    metric.update(preds, target)
    return metric.compute()


def accuracy(preds: Any, target: Any, task: str, **kwargs: Any) -> Any:
    """Fraction correct; see ``Accuracy``."""
    return _once(Accuracy(task, **kwargs), preds, target)


def precision(preds: Any, target: Any, task: str, **kwargs: Any) -> Any:
    """``tp / (tp + fp)``; see ``Precision``."""
    return _once(Precision(task, **kwargs), preds, target)


def recall(preds: Any, target: Any, task: str, **kwargs: Any) -> Any:
    """``tp / (tp + fn)``; see ``Recall``."""
    return _once(Recall(task, **kwargs), preds, target)


def f1_score(preds: Any, target: Any, task: str, **kwargs: Any) -> Any:
    """F1; see ``F1Score``."""
    return _once(F1Score(task, **kwargs), preds, target)


def fbeta_score(preds: Any, target: Any, task: str, beta: float = 1.0, **kwargs: Any) -> Any:
    """F-beta; see ``FBetaScore``."""
    return _once(FBetaScore(task, beta=beta, **kwargs), preds, target)


def confusion_matrix(preds: Any, target: Any, task: str, **kwargs: Any) -> Any:
    """The confusion matrix (rows = target); see ``ConfusionMatrix``."""
    return _once(ConfusionMatrix(task, **kwargs), preds, target)


def auroc(preds: Any, target: Any, task: str, **kwargs: Any) -> Any:
    """Area under the ROC curve; see ``AUROC``."""
    return _once(AUROC(task, **kwargs), preds, target)


def average_precision(preds: Any, target: Any, task: str, **kwargs: Any) -> Any:
    """Average precision; see ``AveragePrecision``."""
    return _once(AveragePrecision(task, **kwargs), preds, target)


def mean_squared_error(preds: Any, target: Any, squared: bool = True, **kwargs: Any) -> Any:
    """MSE (RMSE with ``squared=False``); see ``MeanSquaredError``."""
    return _once(MeanSquaredError(squared, **kwargs), preds, target)


def root_mean_squared_error(preds: Any, target: Any, **kwargs: Any) -> Any:
    """RMSE; see ``RootMeanSquaredError``."""
    return _once(RootMeanSquaredError(**kwargs), preds, target)


def mean_absolute_error(preds: Any, target: Any, **kwargs: Any) -> Any:
    """MAE; see ``MeanAbsoluteError``."""
    return _once(MeanAbsoluteError(**kwargs), preds, target)


def r2_score(preds: Any, target: Any, **kwargs: Any) -> Any:
    """Coefficient of determination; see ``R2Score``."""
    return _once(R2Score(**kwargs), preds, target)


def jaccard_index(preds: Any, target: Any, **kwargs: Any) -> Any:
    """IoU per class or averaged; see ``JaccardIndex``."""
    return _once(JaccardIndex(**kwargs), preds, target)


def dice(preds: Any, target: Any, **kwargs: Any) -> Any:
    """Dice per class or averaged; see ``Dice``."""
    return _once(Dice(**kwargs), preds, target)
