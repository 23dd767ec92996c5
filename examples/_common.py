"""Helpers shared by the numbered examples: output folders, a command line, a classifier
TrainModule, evaluation, image grids and shape rasterisation for generated datasets."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence

import numpy as np

import ember
from ember.nn import functional as F
from ember.train import TrainModule
from ember.utils.data import DataLoader, TensorDataset


# -- running ------------------------------------------------------------------------------------
def prepare_out_dir(out_dir) -> str:
    """Create ``out_dir`` (and parents) and return it as a string path."""
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    return out_dir


def cli(main: Callable[..., dict], default_out: str, description: str) -> dict:
    """Parse ``--out``, ``--quick`` and ``--seed`` and call ``main`` with them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", default=default_out, help=f"output folder (default {default_out})")
    parser.add_argument(
        "--quick", action="store_true", help="tiny data and few epochs (smoke test)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    return main(out_dir=args.out, quick=args.quick, seed=args.seed)


def report(title: str, results: dict, written: Sequence[str]) -> None:
    """Print the key results and the files an example wrote."""
    print(f"\n== {title} ==")
    for key, value in results.items():
        if isinstance(value, (int, float, str, bool)):
            shown = f"{value:.4f}" if isinstance(value, float) else value
            print(f"  {key}: {shown}")
    print("wrote:")
    for path in written:
        print(f"  {path}")


def trainer_kwargs(out_dir: str, max_epochs: int, **extra) -> dict:
    """Common Trainer arguments: quiet, logging and checkpointing under ``out_dir``."""
    kwargs = dict(
        max_epochs=max_epochs,
        default_root_dir=out_dir,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    kwargs.update(extra)
    return kwargs


def metric_rows(trainer) -> list[dict]:
    """The rows of the trainer's CSV log (flushed first), as dicts of floats."""
    from ember.train.loggers.csv_logger import read_metrics_csv

    trainer.logger.save()
    return read_metrics_csv(trainer.logger.metrics_file_path)


def epoch_values(trainer, key: str) -> list[float]:
    """Every logged value of ``key`` in epoch order."""
    return [row[key] for row in metric_rows(trainer) if key in row]


# -- data ---------------------------------------------------------------------------------------
def loader(x, y, batch_size: int = 64, shuffle: bool = False, seed: int = 0) -> DataLoader:
    """A DataLoader over arrays or tensors ``x`` and ``y`` (shuffled with a seeded generator)."""
    x = x if isinstance(x, ember.Tensor) else ember.tensor(np.ascontiguousarray(x))
    y = y if isinstance(y, ember.Tensor) else ember.tensor(np.ascontiguousarray(y))
    gen = ember.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle, generator=gen)


def subset(dataset: TensorDataset, n: int | None) -> TensorDataset:
    """The first ``n`` samples of a TensorDataset (all of them when ``n`` is None)."""
    if n is None:
        return dataset
    return TensorDataset(*(t[:n] for t in dataset.tensors))


# -- classification -----------------------------------------------------------------------------
class Classifier(TrainModule):
    """Cross-entropy training of any ``model`` that maps inputs to class logits.

    Logs ``train_loss``/``train_acc`` per epoch and ``val_loss``/``val_acc`` (and ``test_acc``)
    weighted by batch size; optimises with AdamW.
    """

    def __init__(self, model: ember.nn.Module, lr: float = 1e-3, weight_decay: float = 0.0):
        super().__init__()
        self.model = model
        self.lr, self.weight_decay = lr, weight_decay
        self.hparams = {"lr": lr, "weight_decay": weight_decay}

    def forward(self, x):
        return self.model(x)

    def _step(self, batch, stage: str):
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y)
        acc = (logits.argmax(dim=1) == y).float().mean()
        self.log(f"{stage}_loss", loss, on_step=False, on_epoch=True)
        self.log(f"{stage}_acc", acc, on_step=False, on_epoch=True)
        return loss

    def training_step(self, batch, batch_idx):
        return self._step(batch, "train")

    def validation_step(self, batch, batch_idx):
        self._step(batch, "val")

    def test_step(self, batch, batch_idx):
        self._step(batch, "test")

    def configure_optimizers(self):
        return ember.optim.AdamW(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)


def predict(model: ember.nn.Module, x: ember.Tensor, batch_size: int = 512) -> ember.Tensor:
    """``model(x)`` in eval mode without gradients, in batches; restores the training flag."""
    was_training = model.training
    model.eval()
    try:
        with ember.no_grad():
            outs = [model(x[i : i + batch_size]) for i in range(0, x.shape[0], batch_size)]
    finally:
        model.train(was_training)
    return ember.cat(outs)


def accuracy(model: ember.nn.Module, dataset: TensorDataset) -> float:
    """Top-1 accuracy of ``model`` on a TensorDataset ``(inputs, labels)``."""
    x, y = dataset.tensors
    return float((predict(model, x).argmax(dim=1) == y).float().mean().item())


# -- images -------------------------------------------------------------------------------------
def save_grid(
    images, path: str, ncols: int = 8, cmap: str = "gray", pad: int = 1, scale: int = 4
) -> str:
    """Tile ``images`` ``(N, H, W)``, ``(N, 1, H, W)`` or ``(N, H, W, 3)`` into one PNG.

    Each image is min-max scaled on its own (grayscale); RGB images must be in [0, 1]. Every
    pixel becomes a ``scale x scale`` block so that tiny images stay visible.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arr = images.detach().numpy() if hasattr(images, "detach") else np.asarray(images)
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = arr[:, 0]
    n, h, w = arr.shape[:3]
    if arr.ndim == 3:
        lo = arr.reshape(n, -1).min(axis=1)[:, None, None]
        hi = arr.reshape(n, -1).max(axis=1)[:, None, None]
        arr = (arr - lo) / np.maximum(hi - lo, 1e-8)
    rows = -(-n // ncols)
    shape = (rows * (h + pad) + pad, ncols * (w + pad) + pad, *arr.shape[3:])
    canvas = np.ones(shape, dtype=np.float64)
    for i, img in enumerate(arr):
        r, c = divmod(i, ncols)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        canvas[top : top + h, left : left + w] = img
    canvas = np.repeat(np.repeat(canvas, scale, axis=0), scale, axis=1)
    plt.imsave(path, np.clip(canvas, 0.0, 1.0), cmap=cmap if canvas.ndim == 2 else None)
    return path


def pixel_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel centre coordinates ``(xs, ys)``, each ``(size, size)`` float."""
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    return xs, ys


def polygon_mask(size: int, vertices: np.ndarray) -> np.ndarray:
    """Boolean ``(size, size)`` mask of pixels inside a convex polygon ``vertices (K, 2)`` (x, y).

    A pixel is inside when it lies on the same side of every edge (cross products share a sign).
    """
    xs, ys = pixel_grid(size)
    crosses = []
    for (x0, y0), (x1, y1) in zip(vertices, np.roll(vertices, -1, axis=0)):
        crosses.append((x1 - x0) * (ys - y0) - (y1 - y0) * (xs - x0))
    crosses = np.stack(crosses)
    return np.all(crosses >= 0, axis=0) | np.all(crosses <= 0, axis=0)


def disc_mask(size: int, center: Sequence[float], radius: float) -> np.ndarray:
    """Boolean ``(size, size)`` mask of pixels within ``radius`` of ``center`` (x, y)."""
    xs, ys = pixel_grid(size)
    return (xs - center[0]) ** 2 + (ys - center[1]) ** 2 <= radius**2


def triangle(rng: np.random.Generator, size: int, min_side: float) -> np.ndarray:
    """Random triangle vertices ``(3, 2)`` inside the image, each side at least ``min_side``."""
    margin = 2.0
    while True:
        pts = rng.uniform(margin, size - 1 - margin, size=(3, 2))
        sides = np.linalg.norm(pts - np.roll(pts, 1, axis=0), axis=1)
        (ax, ay), (bx, by) = pts[1] - pts[0], pts[2] - pts[0]
        area = 0.5 * abs(ax * by - ay * bx)
        # the area bound rejects slivers whose vertices are nearly collinear
        if sides.min() >= min_side and area >= 0.2 * sides.max() ** 2:
            return pts
