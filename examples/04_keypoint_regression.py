"""Keypoint regression: a CNN finds the three corners of a triangle in noisy 32x32 images.

The script renders its own data: a filled triangle of random shape, position and brightness on
a noisy background; its vertices are the landmarks. The CNN regresses the six coordinates
(scaled to [-1, 1]) with a mean squared error that ignores the order of the vertices (the
minimum over the 6 orderings: a triangle's corners carry no names). Predictions are drawn on
test images, and the mean distance between predicted and true corners is reported in pixels.

Run: python examples/04_keypoint_regression.py [--out runs/04_keypoints] [--quick]
"""

from __future__ import annotations

import itertools
import os
import time

import numpy as np
from _common import (
    cli,
    epoch_values,
    loader,
    polygon_mask,
    predict,
    prepare_out_dir,
    report,
    trainer_kwargs,
    triangle,
)

import ember
from ember import nn
from ember.optim.lr_scheduler import CosineAnnealingLR
from ember.train import Trainer, TrainModule

SIZE = 32
ORDERINGS = list(itertools.permutations(range(3)))  # the 6 ways to match 3 corners


def make_triangles(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 1, SIZE, SIZE)`` float32 and vertices ``(n, 3, 2)`` as (x, y) pixels."""
    rng = np.random.default_rng(seed)
    images = rng.normal(0.0, 0.15, size=(n, 1, SIZE, SIZE))
    vertices = np.stack([triangle(rng, SIZE, min_side=8.0) for _ in range(n)])
    for img, pts in zip(images, vertices):
        img[0][polygon_mask(SIZE, pts)] += rng.uniform(0.6, 1.0)
    return images.astype(np.float32), vertices.astype(np.float32)


def to_unit(pixels: np.ndarray) -> np.ndarray:
    """Pixel coordinates ``[0, SIZE - 1]`` -> ``[-1, 1]``."""
    return pixels / (SIZE - 1) * 2 - 1


def to_pixels(unit):
    return (unit + 1) / 2 * (SIZE - 1)


def matched_squared_error(pred: ember.Tensor, target: ember.Tensor) -> ember.Tensor:
    """Per-sample squared error ``(N,)`` under the best matching of predicted to true corners.

    Shape: pred and target ``(N, 3, 2)``.
    """
    errors = [(pred[:, list(order)] - target).pow(2).sum(dim=(1, 2)) for order in ORDERINGS]
    return ember.stack(errors, dim=1).min(dim=1).values


class KeypointRegressor(TrainModule):
    """A small CNN: 32x32 -> 16 -> 8 -> 4 feature maps -> MLP head -> 6 coordinates."""

    def __init__(self, width: int = 16, lr: float = 2e-3):
        super().__init__()
        self.lr = lr

        def block(c_in: int, c_out: int) -> list[nn.Module]:
            conv = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
            return [conv, nn.BatchNorm2d(c_out), nn.ReLU(), nn.MaxPool2d(2)]

        self.net = nn.Sequential(
            *block(1, width),
            *block(width, 2 * width),
            *block(2 * width, 4 * width),
            nn.Flatten(),
            nn.Linear(4 * width * 16, 128),
            nn.ReLU(),
            nn.Linear(128, 6),
        )

    def forward(self, x):
        return self.net(x).reshape(-1, 3, 2)

    def _loss(self, batch):
        x, y = batch
        return matched_squared_error(self(x), y).mean() / 6  # MSE per coordinate

    def training_step(self, batch, batch_idx):
        loss = self._loss(batch)
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", self._loss(batch))

    def configure_optimizers(self):
        opt = ember.optim.Adam(self.parameters(), lr=self.lr)
        sched = CosineAnnealingLR(opt, T_max=self.trainer.max_epochs)
        return [opt], [sched]


def draw_predictions(images, true_px, pred_px, path: str, n: int = 16) -> str:
    """Test images with true corners (green triangle) and predicted ones (red crosses)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, n // 2, figsize=(n, 4.4))
    for i, ax in enumerate(axes.flat):
        ax.imshow(images[i, 0], cmap="gray")
        closed = np.vstack([true_px[i], true_px[i][:1]])
        ax.plot(closed[:, 0], closed[:, 1], "g-", lw=1)
        ax.plot(pred_px[i, :, 0], pred_px[i, :, 1], "rx", ms=7, mew=2)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def main(out_dir="runs/04_keypoints", quick: bool = False, seed: int = 0) -> dict:
    out_dir = prepare_out_dir(out_dir)
    start = time.perf_counter()
    ember.manual_seed(seed)
    n_train, n_test, epochs = (256, 64, 3) if quick else (3000, 500, 25)
    x_train, v_train = make_triangles(n_train, seed)
    x_val, v_val = make_triangles(n_test, seed + 1)
    x_test, v_test = make_triangles(n_test, seed + 2)

    module = KeypointRegressor()
    trainer = Trainer(**trainer_kwargs(out_dir, epochs, enable_checkpointing=False))
    trainer.fit(
        module,
        loader(x_train, to_unit(v_train), batch_size=64, shuffle=True, seed=seed),
        loader(x_val, to_unit(v_val), batch_size=256),
    )

    pred_px = to_pixels(predict(module, ember.tensor(x_test)).numpy())
    # match every prediction to its true corners, then measure distances in pixels
    best = [
        min(ORDERINGS, key=lambda o, p=p, t=t: ((p[list(o)] - t) ** 2).sum())
        for p, t in zip(pred_px, v_test)
    ]
    pred_px = np.stack([p[list(o)] for p, o in zip(pred_px, best)])
    errors = np.linalg.norm(pred_px - v_test, axis=-1)
    baseline = np.linalg.norm(v_train.reshape(-1, 2).mean(0) - v_test, axis=-1).mean()
    png = draw_predictions(x_test, v_test, pred_px, os.path.join(out_dir, "keypoints.png"))
    weights = os.path.join(out_dir, "keypoint_cnn.safetensors")
    ember.save(module.state_dict(), weights)
    history = trainer.logger.metrics_file_path
    losses = epoch_values(trainer, "train_loss")
    results = {
        "mean_pixel_error": float(errors.mean()),
        "median_pixel_error": float(np.median(errors)),
        "baseline_pixel_error": float(baseline),
        "train_loss_first": losses[0],
        "train_loss_last": losses[-1],
        "seconds": time.perf_counter() - start,
        "files": [png, weights, history],
    }
    report("triangle corner regression", results, results["files"])
    return results


if __name__ == "__main__":
    cli(main, "runs/04_keypoints", __doc__.splitlines()[0])
