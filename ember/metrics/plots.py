"""Plots of metric results (matplotlib, the optional extra ``plot``)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_confusion_matrix"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt  # picks a headless backend by itself when needed
    except ImportError as exc:
        raise ImportError("plotting metrics needs matplotlib: pip install ember[plot]") from exc
    return plt


def plot_confusion_matrix(
    matrix: np.ndarray,
    ax: Any = None,
    labels: list[str] | None = None,
    path: str | None = None,
) -> Any:
    """Draw a ``(C, C)`` confusion matrix (rows = true, columns = predicted) as a heat map.

    Each cell is annotated with its count (or its fraction for a normalized matrix). A
    multilabel ``(L, 2, 2)`` stack is drawn as L small panels.

    Args:
        matrix: the matrix from ``ConfusionMatrix.compute()``.
        ax: a matplotlib Axes to draw into (one matrix only); a new figure when None.
        labels: class names for the ticks (default ``0..C-1``).
        path: if given, the figure is saved there.

    Returns:
        The matplotlib ``Figure``.
    """
    plt = _pyplot()
    matrix = np.asarray(matrix)
    stack = matrix if matrix.ndim == 3 else matrix[None]
    if ax is not None and len(stack) != 1:
        raise ValueError(f"plot_confusion_matrix: ax holds one matrix, got a stack of {len(stack)}")
    if ax is None:
        n = len(stack)
        fig, axes = plt.subplots(1, n, figsize=(4 * n + 1, 4), squeeze=False)
        axes = list(axes[0])
    else:
        fig, axes = ax.figure, [ax]
    size = stack.shape[-1]
    multilabel = matrix.ndim == 3
    n_names = len(stack) if multilabel else size  # class names, or one name per label panel
    if labels is not None and len(labels) != n_names:
        raise ValueError(f"plot_confusion_matrix: expected {n_names} labels, got {len(labels)}")
    names = list(labels) if labels is not None else [str(i) for i in range(n_names)]
    ticks = ["0", "1"] if multilabel else names
    fmt = "d" if np.issubdtype(matrix.dtype, np.integer) else ".2f"
    for k, (axis, cm) in enumerate(zip(axes, stack)):
        image = axis.imshow(cm, cmap="Blues")
        mid = (cm.max() + cm.min()) / 2.0
        rows, cols = np.indices(cm.shape)
        for i, j, v in zip(rows.ravel(), cols.ravel(), cm.ravel()):
            axis.text(j, i, format(v, fmt), ha="center", va="center",
                      color="white" if v > mid else "black")  # fmt: skip
        axis.set_xticks(range(size), ticks)
        axis.set_yticks(range(size), ticks)
        axis.set_xlabel("Predicted label")
        axis.set_ylabel("True label")
        if multilabel:
            axis.set_title(f"label {names[k]}")
        fig.colorbar(image, ax=axis)
    if path is not None:
        fig.savefig(path)
    return fig
