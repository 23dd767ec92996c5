"""Classification metrics from an accumulated confusion matrix.

Every metric here keeps one state, ``confmat``: ``(C, C)`` counts (rows = target, columns =
prediction) for ``"binary"`` (C = 2) and ``"multiclass"`` tasks, or ``(L, 2, 2)`` per-label counts
(sklearn's ``multilabel_confusion_matrix`` layout) for ``"multilabel"``. It is accumulated with
``np.bincount``, and precision, recall, F-beta and accuracy are read off it.

Inputs follow torchmetrics:
    - binary: ``preds`` ``(N, ...)`` are labels in {0, 1}, or floats: probabilities, or logits
      (any value outside [0, 1] means logits, and a sigmoid is applied), thresholded by
      ``preds > threshold``; ``target`` ``(N, ...)`` in {0, 1}.
    - multiclass: ``preds`` ``(N, C, ...)`` scores (argmax over dim 1) or ``(N, ...)`` labels;
      ``target`` ``(N, ...)`` labels in [0, C).
    - multilabel: ``preds`` and ``target`` ``(N, L, ...)``, thresholded like binary.
Positions whose target equals ``ignore_index`` are left out.

Averages (``average``) follow scikit-learn: ``"micro"`` pools the counts of all classes,
``"macro"`` is the unweighted mean over classes, ``"weighted"`` weights classes by support, and
``None`` returns the per-class array. For multiclass, classes absent from both preds and target
are left out of ``"macro"`` (sklearn's default ``labels=unique_labels(y_true, y_pred)``); their
per-class value is ``zero_division``. Binary tasks report the positive class (sklearn's
``average="binary"``) and ignore ``average``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ember.metrics.metric import Metric, check_same_shape

__all__ = [
    "Accuracy",
    "ConfusionMatrix",
    "F1Score",
    "FBeta",
    "FBetaScore",
    "Precision",
    "Recall",
]

_TASKS = ("binary", "multiclass", "multilabel")
_AVERAGES = ("micro", "macro", "weighted", None)


# -- input formatting ---------------------------------------------------------------------------
def _as_labels(name: str, x: np.ndarray, what: str) -> np.ndarray:
    """Integer labels from an integer, bool or integral-float array."""
    if x.dtype == np.bool_ or np.issubdtype(x.dtype, np.integer):
        return x.astype(np.int64, copy=False)
    if np.issubdtype(x.dtype, np.floating) and np.all(np.mod(x, 1) == 0):
        return x.astype(np.int64)
    raise ValueError(f"{name}: expected {what} to hold integer labels, got dtype {x.dtype}")


def _binarize(name: str, preds: np.ndarray, threshold: float) -> np.ndarray:
    """0/1 labels from labels, probabilities or logits (sigmoid when outside [0, 1])."""
    if not np.issubdtype(preds.dtype, np.floating):
        return _check_range(name, _as_labels(name, preds, "preds"), 2, "preds", None)
    if preds.size and (preds.min() < 0 or preds.max() > 1):
        preds = 1.0 / (1.0 + np.exp(-preds))  # logits -> probabilities
    return (preds > threshold).astype(np.int64)


def _check_range(
    name: str, labels: np.ndarray, n: int, what: str, ignore_index: int | None
) -> np.ndarray:
    valid = labels if ignore_index is None else labels[labels != ignore_index]
    if valid.size and (valid.min() < 0 or valid.max() >= n):
        raise ValueError(
            f"{name}: expected {what} in [0, {n}), got values in [{valid.min()}, {valid.max()}]"
        )
    return labels


def _class_last(x: np.ndarray, n: int) -> np.ndarray:
    """``(N, C, ...)`` -> ``(N * ..., C)``: the class axis last, everything else flattened."""
    return np.moveaxis(x, 1, -1).reshape(-1, n)


def format_multiclass_scores(
    name: str, preds: np.ndarray, target: np.ndarray, num_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Check ``(N, C, ...)`` scores against ``(N, ...)`` labels; return ``(M, C)`` and ``(M,)``."""
    if (
        preds.ndim != target.ndim + 1
        or preds.shape[0] != target.shape[0]
        or preds.shape[2:] != target.shape[1:]
        or preds.shape[1] != num_classes
    ):
        raise ValueError(
            f"{name}: expected preds of shape (N, {num_classes}, ...) for target of shape "
            f"(N, ...), got preds of shape {tuple(preds.shape)} and target of shape "
            f"{tuple(target.shape)}"
        )
    return _class_last(preds, num_classes), _as_labels(name, target, "target").reshape(-1)


def format_classification(
    name: str,
    preds: np.ndarray,
    target: np.ndarray,
    task: str,
    n: int,
    threshold: float = 0.5,
    ignore_index: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predicted and true labels with a validity mask.

    Returns:
        binary/multiclass: ``(pred, target, keep)``, all ``(M,)``;
        multilabel: ``(pred, target, keep)``, all ``(M, L)``.
    """
    if task == "multiclass" and preds.ndim == target.ndim + 1:
        scores, target = format_multiclass_scores(name, preds, target, n)
        preds = scores.argmax(axis=1)
    else:
        check_same_shape(name, preds, target)
        target = _as_labels(name, target, "target")
        if task == "multiclass":
            preds = _check_range(name, _as_labels(name, preds, "preds"), n, "preds", None)
        else:
            preds = _binarize(name, preds, threshold)
        if task == "multilabel":
            if preds.ndim < 2 or preds.shape[1] != n:
                raise ValueError(
                    f"{name}: expected preds and target of shape (N, {n}, ...) for num_labels="
                    f"{n}, got {tuple(preds.shape)}"
                )
            preds, target = _class_last(preds, n), _class_last(target, n)
        else:
            preds, target = preds.reshape(-1), target.reshape(-1)
    _check_range(name, target, n if task == "multiclass" else 2, "target", ignore_index)
    keep = np.ones(target.shape, bool) if ignore_index is None else target != ignore_index
    return preds, target, keep


def confusion_counts(
    preds: np.ndarray, target: np.ndarray, keep: np.ndarray, task: str, n: int
) -> np.ndarray:
    """Counts ``(n, n)`` (binary/multiclass) or ``(n, 2, 2)`` (multilabel) by one bincount."""
    if task == "multilabel":
        # flat index label * 4 + target * 2 + pred into an (L, 2, 2) table
        idx = np.arange(n) * 4 + target * 2 + preds
        return np.bincount(idx[keep], minlength=4 * n).reshape(n, 2, 2)
    return np.bincount((target * n + preds)[keep], minlength=n * n).reshape(n, n)


def safe_divide(num: Any, den: Any, zero_division: float) -> Any:
    """``num / den`` with ``zero_division`` where ``den == 0``."""
    num, den = np.asarray(num, np.float64), np.asarray(den, np.float64)
    out = np.full(np.broadcast(num, den).shape, float(zero_division))
    np.divide(num, den, out=out, where=den != 0)
    return out


def _check_average(name: str, average: Any) -> None:
    if average not in _AVERAGES:
        raise ValueError(
            f"{name}: average must be one of 'micro', 'macro', 'weighted' or None, got {average!r}"
        )


# -- the shared base ----------------------------------------------------------------------------
class _StatScores(Metric):
    """Accumulates the confusion matrix; subclasses define ``_score(tp, fp, fn, tn)``.

    Args:
        task: ``"binary"``, ``"multiclass"`` or ``"multilabel"``.
        num_classes: classes C (multiclass).
        num_labels: labels L (multilabel).
        threshold: probability threshold for binary and multilabel float preds.
        average: ``"micro"``, ``"macro"`` (default; ``"micro"`` for Accuracy), ``"weighted"`` or
            None (per class).
        ignore_index: target value whose positions are left out.
        zero_division: value of a ratio whose denominator is 0.
    """

    def __init__(
        self,
        task: str,
        num_classes: int | None = None,
        num_labels: int | None = None,
        threshold: float = 0.5,
        average: str | None = "macro",
        ignore_index: int | None = None,
        zero_division: float = 0.0,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if task not in _TASKS:
            raise ValueError(f"{name}: task must be one of {_TASKS}, got {task!r}")
        _check_average(name, average)
        n = {"binary": 2, "multiclass": num_classes, "multilabel": num_labels}[task]
        arg = {"binary": "", "multiclass": "num_classes", "multilabel": "num_labels"}[task]
        least = 1 if task == "multilabel" else 2
        if not isinstance(n, int) or isinstance(n, bool) or n < least:
            raise ValueError(f"{name}: task={task!r} needs an integer {arg} >= {least}, got {n!r}")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"{name}: threshold must be in [0, 1], got {threshold}")
        self.task, self.n, self.threshold = task, n, threshold
        self.average, self.ignore_index, self.zero_division = average, ignore_index, zero_division
        shape = (n, 2, 2) if task == "multilabel" else (n, n)
        self.add_state("confmat", np.zeros(shape, np.int64))

    def _update(self, preds: np.ndarray, target: np.ndarray) -> None:
        self._update_confmat(preds, target)

    def _update_confmat(self, preds: np.ndarray, target: np.ndarray) -> tuple:
        """Add the batch's counts; return its formatted ``(pred, target, keep)``."""
        p, t, keep = format_classification(
            type(self).__name__, preds, target, self.task, self.n, self.threshold,
            self.ignore_index,
        )  # fmt: skip
        self.confmat = self.confmat + confusion_counts(p, t, keep, self.task, self.n)
        return p, t, keep

    def _counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per-class ``(tp, fp, fn, tn)``, each ``(C,)`` or ``(L,)``."""
        cm = self.confmat
        if self.task == "multilabel":
            return cm[:, 1, 1], cm[:, 0, 1], cm[:, 1, 0], cm[:, 0, 0]
        tp = np.diag(cm)
        fp, fn = cm.sum(axis=0) - tp, cm.sum(axis=1) - tp
        return tp, fp, fn, cm.sum() - tp - fp - fn

    def _score(self, tp, fp, fn, tn) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement _score()")

    def _compute(self) -> Any:
        tp, fp, fn, tn = self._counts()
        if self.task == "binary":
            return float(self._score(tp[1], fp[1], fn[1], tn[1]))
        if self.average == "micro":
            return float(self._score(tp.sum(), fp.sum(), fn.sum(), tn.sum()))
        scores = self._score(tp, fp, fn, tn)
        if self.average is None:
            return scores
        if self.average == "weighted":
            support = tp + fn
            return float(safe_divide((scores * support).sum(), support.sum(), self.zero_division))
        present = np.ones(len(tp), bool) if self.task == "multilabel" else (tp + fp + fn) > 0
        return float(scores[present].mean()) if present.any() else float(self.zero_division)

    def extra_repr(self) -> str:
        size = {"binary": "", "multiclass": f", num_classes={self.n}"}
        return f"task={self.task!r}{size.get(self.task, f', num_labels={self.n}')}"


# -- the metrics --------------------------------------------------------------------------------
class Accuracy(_StatScores):
    """Fraction of correct predictions (sklearn ``accuracy_score``, ``top_k_accuracy_score``).

    Args:
        top_k: multiclass only: a sample is correct when its target is among the ``top_k``
            highest scores (``preds`` must be scores; a target tied with other scores counts
            as ranked above them).
        subset: multilabel only: a sample is correct only when all its labels are (sklearn's
            ``accuracy_score`` on indicator matrices); otherwise labels count one by one.
        Others as ``_StatScores``. For multiclass, ``"macro"``/``None`` give per-class recall.
    """

    def __init__(
        self,
        task: str,
        num_classes: int | None = None,
        num_labels: int | None = None,
        threshold: float = 0.5,
        average: str | None = "micro",
        top_k: int = 1,
        subset: bool = False,
        ignore_index: int | None = None,
        zero_division: float = 0.0,
    ) -> None:
        super().__init__(
            task, num_classes, num_labels, threshold, average, ignore_index, zero_division
        )
        if not isinstance(top_k, int) or top_k < 1 or (task == "multiclass" and top_k > self.n):
            raise ValueError(f"Accuracy: top_k must be an integer in [1, {self.n}], got {top_k!r}")
        if top_k > 1 and (task != "multiclass" or average != "micro"):
            raise ValueError("Accuracy: top_k > 1 needs task='multiclass' and average='micro'")
        if subset and task != "multilabel":
            raise ValueError("Accuracy: subset=True needs task='multilabel'")
        self.top_k, self.subset = top_k, subset
        self.add_state("hits", np.zeros((), np.int64))  # top-k or exact-match hits
        self.add_state("total", np.zeros((), np.int64))

    def _update(self, preds: np.ndarray, target: np.ndarray) -> None:
        if self.top_k > 1 and preds.ndim != target.ndim + 1:  # checked before any state changes
            raise ValueError(
                f"Accuracy: top_k={self.top_k} needs preds of scores (N, C, ...), got preds "
                f"of shape {tuple(preds.shape)} for target of shape {tuple(target.shape)}"
            )
        p, t, keep = self._update_confmat(preds, target)
        if self.top_k > 1:
            scores, t = _class_last(preds, self.n)[keep], t[keep]
            own = np.take_along_axis(scores, t[:, None], axis=1)
            rank = (scores > own).sum(axis=1)  # how many classes score above the target
            self.hits = self.hits + int((rank < self.top_k).sum())
            self.total = self.total + len(t)
        elif self.subset:
            self.hits = self.hits + int(((p == t) | ~keep).all(axis=1).sum())
            self.total = self.total + len(t)

    def _score(self, tp, fp, fn, tn):
        if self.task == "multiclass":
            return safe_divide(tp, tp + fn, self.zero_division)  # per-class recall
        return safe_divide(tp + tn, tp + tn + fp + fn, self.zero_division)

    def _compute(self) -> Any:
        if self.top_k > 1 or self.subset:
            return float(safe_divide(self.hits, self.total, self.zero_division))
        return super()._compute()


class Precision(_StatScores):
    """``tp / (tp + fp)`` (sklearn ``precision_score``). Args as ``_StatScores``."""

    def _score(self, tp, fp, fn, tn):
        return safe_divide(tp, tp + fp, self.zero_division)


class Recall(_StatScores):
    """``tp / (tp + fn)`` (sklearn ``recall_score``). Args as ``_StatScores``."""

    def _score(self, tp, fp, fn, tn):
        return safe_divide(tp, tp + fn, self.zero_division)


def fbeta_from_counts(tp, fp, fn, beta: float, zero_division: float):
    """F-beta ``(1 + b^2) tp / ((1 + b^2) tp + b^2 fn + fp)``: the weighted harmonic mean of
    precision and recall, written on counts so that it is defined whenever any count is."""
    b2 = beta * beta
    return safe_divide((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp, zero_division)


class FBetaScore(_StatScores):
    """F-beta score (sklearn ``fbeta_score``); ``beta > 1`` favours recall.

    Args:
        beta: positive weight of recall. Others as ``_StatScores``.
    """

    def __init__(self, task: str, beta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(task, **kwargs)
        if not isinstance(beta, (int, float)) or beta <= 0:
            raise ValueError(f"{type(self).__name__}: beta must be a positive number, got {beta!r}")
        self.beta = float(beta)

    def _score(self, tp, fp, fn, tn):
        return fbeta_from_counts(tp, fp, fn, self.beta, self.zero_division)


class F1Score(_StatScores):
    """F1 score, the harmonic mean of precision and recall (sklearn ``f1_score``)."""

    def _score(self, tp, fp, fn, tn):
        return fbeta_from_counts(tp, fp, fn, 1.0, self.zero_division)


FBeta = FBetaScore


class ConfusionMatrix(_StatScores):
    """The confusion matrix (sklearn ``confusion_matrix`` / ``multilabel_confusion_matrix``).

    Args:
        normalize: None (counts), ``"true"`` (rows sum to 1), ``"pred"`` (columns sum to 1) or
            ``"all"`` (the matrix sums to 1); empty rows/columns give 0 as in sklearn.
        Others as ``_StatScores`` (``average`` does not apply).

    Returns from ``compute``: ``(C, C)`` (rows = target) or ``(L, 2, 2)`` for multilabel.
    """

    def __init__(
        self,
        task: str,
        num_classes: int | None = None,
        num_labels: int | None = None,
        threshold: float = 0.5,
        normalize: str | None = None,
        ignore_index: int | None = None,
    ) -> None:
        super().__init__(task, num_classes, num_labels, threshold, "micro", ignore_index)
        if normalize not in (None, "true", "pred", "all"):
            raise ValueError(
                "ConfusionMatrix: normalize must be one of None, 'true', 'pred' or 'all', "
                f"got {normalize!r}"
            )
        self.normalize = normalize

    def _compute(self) -> np.ndarray:
        cm = self.confmat.copy()
        if self.normalize is None:
            return cm
        axis = {"true": -1, "pred": -2, "all": (-2, -1)}[self.normalize]
        return safe_divide(cm, cm.sum(axis=axis, keepdims=True), 0.0)

    def plot(self, ax: Any = None, labels: list[str] | None = None, path: str | None = None):
        """Draw the matrix with matplotlib (extra ``plot``); save to ``path`` if given.

        Returns:
            The matplotlib ``Figure``.
        """
        from ember.metrics.plots import plot_confusion_matrix

        return plot_confusion_matrix(self.compute(), ax=ax, labels=labels, path=path)
