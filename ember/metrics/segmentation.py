"""Segmentation metrics: Jaccard index (IoU) and Dice, from an accumulated confusion matrix.

Inputs are label maps ``(N, H, W)`` (or any ``(N, ...)``) for preds and target, or scores
``(N, C, H, W)`` for preds (argmax over dim 1); binary masks use ``task="binary"``. Pixels whose
target equals ``ignore_index`` (e.g. 255 for "void") are left out.

Mean over classes (``average="macro"``, the default) follows scikit-learn's ``jaccard_score``
and ``f1_score`` with their default labels: classes absent from both preds and target (over
everything accumulated) are excluded from the mean; the per-class array (``average=None``) has
``zero_division`` (0 by default) for them.
"""

from __future__ import annotations

from ember.metrics.classification import _StatScores, fbeta_from_counts, safe_divide

__all__ = ["Dice", "IoU", "JaccardIndex"]


class JaccardIndex(_StatScores):
    """Intersection over union per class, ``tp / (tp + fp + fn)``, and its mean.

    Args:
        num_classes: C (multiclass).
        task: ``"multiclass"`` (default) or ``"binary"`` (IoU of the foreground).
        average: ``"macro"`` (mean IoU), ``"micro"`` (pooled counts), ``"weighted"`` (by pixel
            support) or None (per class).
        ignore_index: target label to leave out.
        threshold: for binary float masks.
        zero_division: value of a class that never occurs.
    """

    def __init__(
        self,
        num_classes: int | None = None,
        task: str = "multiclass",
        average: str | None = "macro",
        ignore_index: int | None = None,
        threshold: float = 0.5,
        zero_division: float = 0.0,
    ) -> None:
        super().__init__(task, num_classes, None, threshold, average, ignore_index, zero_division)

    def _score(self, tp, fp, fn, tn):
        return safe_divide(tp, tp + fp + fn, self.zero_division)


IoU = JaccardIndex


class Dice(_StatScores):
    """Dice coefficient per class, ``2 tp / (2 tp + fp + fn)`` (F1 on the flattened masks).

    Args: as ``JaccardIndex``.
    """

    def __init__(
        self,
        num_classes: int | None = None,
        task: str = "multiclass",
        average: str | None = "macro",
        ignore_index: int | None = None,
        threshold: float = 0.5,
        zero_division: float = 0.0,
    ) -> None:
        super().__init__(task, num_classes, None, threshold, average, ignore_index, zero_division)

    def _score(self, tp, fp, fn, tn):
        return fbeta_from_counts(tp, fp, fn, 1.0, self.zero_division)
