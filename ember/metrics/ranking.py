"""Ranking metrics: AUROC and average precision, computed exactly like scikit-learn.

Both keep every prediction and target in their state (``"cat"`` states, merged by
concatenation) and rank them once in ``compute``; tied scores are handled as sklearn does
(AUROC: a tied positive/negative pair counts 1/2; AP: one precision-recall point per distinct
score).

Inputs:
    - binary: ``preds`` ``(N,)`` scores (probabilities or logits), ``target`` ``(N,)`` in {0, 1}.
    - multiclass: ``preds`` ``(N, C)`` scores and ``target`` ``(N,)`` labels, scored
      one-vs-rest and averaged over classes (``"macro"``, ``"weighted"`` by support, or None).
      Rows that are not probabilities (any value outside [0, 1]) are turned into
      probabilities with a softmax, as torchmetrics does; sklearn expects probabilities.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ember.metrics.classification import format_multiclass_scores
from ember.metrics.metric import Metric, check_same_shape

__all__ = ["AUROC", "AveragePrecision", "binary_auroc", "binary_average_precision"]


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks of ``x`` with ties given their mean rank (``scipy.stats.rankdata``)."""
    _, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)  # rank of the last member of each distinct value
    return (ends - (counts - 1) / 2.0)[inverse]


def binary_auroc(scores: np.ndarray, target: np.ndarray) -> float:
    """Area under the ROC curve by the Mann-Whitney statistic.

    ``AUC = (R_pos - P (P + 1) / 2) / (P N)`` with ``R_pos`` the sum of the (tie-averaged) ranks
    of the P positives among all scores and N negatives: the probability that a random positive
    scores above a random negative, ties counting 1/2, which equals the trapezoidal area.
    """
    pos = target == 1
    n_pos = int(pos.sum())
    n_neg = len(target) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError(
            "AUROC: only one class is present in target; ROC AUC is not defined in that case"
        )
    ranks = _average_ranks(scores)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def binary_average_precision(scores: np.ndarray, target: np.ndarray) -> float:
    """``AP = sum_n (R_n - R_{n-1}) P_n`` over the distinct score thresholds, high to low."""
    order = np.argsort(-scores, kind="mergesort")
    scores, target = scores[order], target[order]
    n_pos = int(target.sum())
    if n_pos == 0:
        warnings.warn(
            "AveragePrecision: no positive sample in target; the value is 0", stacklevel=3
        )
        return 0.0
    # the last index of each run of equal scores is one threshold
    last = np.r_[np.nonzero(np.diff(scores))[0], len(scores) - 1]
    tps = np.cumsum(target)[last]
    precision = tps / (last + 1.0)
    recall = tps / n_pos
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


class _RankingMetric(Metric):
    """Stores preds and targets; computes a binary score, one-vs-rest for multiclass.

    Args:
        task: ``"binary"`` or ``"multiclass"``.
        num_classes: classes C (multiclass).
        average: multiclass averaging: ``"macro"``, ``"weighted"`` or None (per class).
    """

    _binary_fn = staticmethod(binary_auroc)

    def __init__(self, task: str, num_classes: int | None = None, average: str | None = "macro"):
        super().__init__()
        name = type(self).__name__
        if task not in ("binary", "multiclass"):
            raise ValueError(f"{name}: task must be 'binary' or 'multiclass', got {task!r}")
        if task == "multiclass" and (not isinstance(num_classes, int) or num_classes < 2):
            raise ValueError(
                f"{name}: task='multiclass' needs an integer num_classes >= 2, got {num_classes!r}"
            )
        if average not in ("macro", "weighted", None):
            raise ValueError(
                f"{name}: average must be 'macro', 'weighted' or None, got {average!r}"
            )
        self.task, self.num_classes, self.average = task, num_classes, average
        self.add_state("preds", [], reduce="cat")
        self.add_state("target", [], reduce="cat")

    def _update(self, preds: np.ndarray, target: np.ndarray) -> None:
        name = type(self).__name__
        if self.task == "binary":
            check_same_shape(name, preds, target)
            preds, target = preds.reshape(-1), target.reshape(-1)
            if np.any((target != 0) & (target != 1)):
                raise ValueError(f"{name}: binary target must be 0 or 1")
        else:
            preds, target = format_multiclass_scores(name, preds, target, self.num_classes)
            if target.size and (target.min() < 0 or target.max() >= self.num_classes):
                raise ValueError(
                    f"{name}: expected target in [0, {self.num_classes}), got values in "
                    f"[{target.min()}, {target.max()}]"
                )
            if preds.size and (preds.min() < 0 or preds.max() > 1):
                shifted = np.exp(preds - preds.max(axis=1, keepdims=True))
                preds = shifted / shifted.sum(axis=1, keepdims=True)
        # the state stores (M, C) scores flattened with the target so "cat" stays 1-D
        self.preds.append(np.asarray(preds, np.float64).reshape(-1))
        self.target.append(np.asarray(target, np.int64).reshape(-1))

    def _compute(self) -> Any:
        preds, target = np.concatenate(self.preds), np.concatenate(self.target)
        fn = type(self)._binary_fn
        if self.task == "binary":
            return fn(preds, target)
        preds = preds.reshape(-1, self.num_classes)
        # one-vs-rest: a loop over classes (not samples), each a binary problem
        scores = np.array([fn(preds[:, c], target == c) for c in range(self.num_classes)])
        if self.average is None:
            return scores
        if self.average == "weighted":
            return float(np.average(scores, weights=np.bincount(target, minlength=len(scores))))
        return float(scores.mean())

    def extra_repr(self) -> str:
        classes = f", num_classes={self.num_classes}" if self.task == "multiclass" else ""
        return f"task={self.task!r}{classes}"


class AUROC(_RankingMetric):
    """Area under the ROC curve (sklearn ``roc_auc_score``, multiclass ``multi_class="ovr"``).

    Raises ValueError in ``compute`` when a (one-vs-rest) problem has only one class.
    """


class AveragePrecision(_RankingMetric):
    """Average precision, the step-wise area under the PR curve (sklearn
    ``average_precision_score``)."""

    _binary_fn = staticmethod(binary_average_precision)
