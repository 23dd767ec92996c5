"""Pictures of a run: loss/metric curves, image grids, confusion matrices (matplotlib)."""

from __future__ import annotations

import os

import numpy as np


def _pyplot():
    """matplotlib.pyplot on a file-only backend, or an ImportError naming the extra."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError("plotting needs matplotlib: pip install ember[plot]") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _history_rows(source) -> list[dict]:
    from ember.train.loggers.csv_logger import CSVLogger, read_metrics_csv

    if hasattr(source, "loggers"):  # a Trainer
        loggers = [lg for lg in source.loggers if isinstance(lg, CSVLogger)]
        if not loggers:
            raise ValueError("plot_history: the trainer has no CSVLogger to read metrics from")
        loggers[0].save()
        source = loggers[0].metrics_file_path
    path = os.fspath(source)
    if os.path.isdir(path):
        path = os.path.join(path, "metrics.csv")
    return read_metrics_csv(path)


def plot_history(source, path: str | None = None, metrics: list[str] | None = None):
    """Epoch curves of every logged metric, train and val of one quantity on one chart.

    Args:
        source: a Trainer (with a CSVLogger), a log folder or a metrics.csv path.
        path: PNG file to write (the figure is returned either way).
        metrics: base names to plot (default: every ``train_*``/``val_*`` epoch metric).
    """
    plt = _pyplot()
    rows = _history_rows(source)
    epoch_keys = sorted(
        {k for r in rows for k in r if k not in ("step", "epoch") and not k.endswith("_step")}
    )
    groups: dict[str, list[str]] = {}
    for key in epoch_keys:
        base = key.removesuffix("_epoch")
        for prefix in ("train_", "val_", "test_"):
            if base.startswith(prefix):
                base = base[len(prefix) :]
        groups.setdefault(base, []).append(key)
    if metrics is not None:
        groups = {k: v for k, v in groups.items() if k in metrics}
    if not groups:
        raise ValueError("plot_history: no epoch metrics found to plot")
    fig, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 3.5), squeeze=False)
    for ax, (base, keys) in zip(axes[0], groups.items()):
        for key in keys:
            pts = [(r["epoch"], r[key]) for r in rows if key in r]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=key)
        ax.set_title(base)
        ax.set_xlabel("epoch")
        ax.legend()
    fig.tight_layout()
    return _finish(plt, fig, path)


def show_images(
    images, labels=None, predictions=None, path: str | None = None, ncols: int = 8, class_names=None
):
    """A grid of images (N,C,H,W or N,H,W, tensors or arrays) titled with label/prediction;
    a wrong prediction is titled in red."""
    plt = _pyplot()
    arr = images.detach().numpy() if hasattr(images, "detach") else np.asarray(images)
    if arr.ndim == 4:
        arr = arr.transpose(0, 2, 3, 1)
        if arr.shape[-1] == 1:
            arr = arr[..., 0]
    n = len(arr)
    rows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(
        rows, min(n, ncols), figsize=(1.6 * min(n, ncols), 1.8 * rows), squeeze=False
    )
    name = (lambda i: class_names[int(i)]) if class_names is not None else (lambda i: str(int(i)))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img = arr[i]
        lo, hi = float(img.min()), float(img.max())
        ax.imshow((img - lo) / (hi - lo) if hi > lo else img * 0, cmap="gray")
        title, color = [], "black"
        if labels is not None:
            title.append(name(labels[i]))
        if predictions is not None:
            title.append(f"pred {name(predictions[i])}")
            if labels is not None and int(predictions[i]) != int(labels[i]):
                color = "red"
        ax.set_title(" / ".join(title), fontsize=8, color=color)
    fig.tight_layout()
    return _finish(plt, fig, path)


def plot_confusion_matrix(
    matrix, class_names=None, path: str | None = None, normalize: bool = False
):
    """A confusion matrix (rows: true class, columns: predicted) with counts in the cells."""
    plt = _pyplot()
    m = np.asarray(matrix.numpy() if hasattr(matrix, "numpy") else matrix, dtype=np.float64)
    if normalize:
        m = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    k = m.shape[0]
    fig, ax = plt.subplots(figsize=(0.6 * k + 2, 0.6 * k + 1.5))
    ax.imshow(m, cmap="Blues")
    names = class_names if class_names is not None else [str(i) for i in range(k)]
    ax.set_xticks(range(k), names, rotation=45)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(k):
        for j in range(k):
            txt = f"{m[i, j]:.2f}" if normalize else f"{int(m[i, j])}"
            ax.text(
                j,
                i,
                txt,
                ha="center",
                va="center",
                color="white" if m[i, j] > m.max() / 2 else "black",
                fontsize=8,
            )
    fig.tight_layout()
    return _finish(plt, fig, path)


def _finish(plt, fig, path):
    if path is not None:
        fig.savefig(path, dpi=100)
        plt.close(fig)
    return fig
