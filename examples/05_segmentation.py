"""Semantic segmentation of generated scenes with a small U-Net.

Each 32x32 scene holds a few squares, circles and triangles (classes 1-3 over background 0) on
a noisy, shaded background. Pixels on the border between two regions are labelled 255, "void":
the loss (``F.cross_entropy(..., ignore_index=255)`` over ``(N, C, H, W)`` logits) and the mean
IoU (``JaccardIndex(ignore_index=255)``) leave them out, as for the PASCAL VOC borders.
Coloured prediction masks are saved next to the images and the true masks.

Run: python examples/05_segmentation.py [--out runs/05_segmentation] [--quick]
"""

from __future__ import annotations

import os
import time

import numpy as np
from _common import (
    cli,
    disc_mask,
    epoch_values,
    loader,
    polygon_mask,
    predict,
    prepare_out_dir,
    report,
    save_grid,
    trainer_kwargs,
    triangle,
)

import ember
from ember.metrics import JaccardIndex
from ember.models import UNet
from ember.nn import functional as F
from ember.optim.lr_scheduler import CosineAnnealingLR
from ember.train import Trainer, TrainModule

CLASSES = ["background", "square", "circle", "triangle"]
VOID = 255
# RGB per class; void is white
PALETTE = np.array([[0.1, 0.1, 0.1], [0.9, 0.2, 0.2], [0.2, 0.7, 0.2], [0.2, 0.4, 0.95]])


def _square(rng: np.random.Generator, size: int) -> np.ndarray:
    """Vertices ``(4, 2)`` of a randomly rotated square."""
    half = rng.uniform(3.0, 6.0)
    centre = rng.uniform(half + 1, size - half - 2, size=2)
    angle = rng.uniform(0, np.pi / 2)
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * half
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return corners @ rot.T + centre


def _shape_mask(kind: int, rng: np.random.Generator, size: int) -> np.ndarray:
    if kind == 1:
        return polygon_mask(size, _square(rng, size))
    if kind == 2:
        radius = rng.uniform(3.0, 6.5)
        return disc_mask(size, rng.uniform(radius + 1, size - radius - 2, size=2), radius)
    return polygon_mask(size, triangle(rng, size, min_side=7.0))


def make_scenes(n: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images ``(n, 1, size, size)`` float32 and labels ``(n, size, size)`` int64 with void."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:size, 0:size] / size
    images = np.empty((n, 1, size, size), np.float32)
    labels = np.zeros((n, size, size), np.int64)
    for i in range(n):
        # a linear shading gradient plus noise, so intensity alone does not give the class
        img = rng.uniform(-0.3, 0.3) * xs + rng.uniform(-0.3, 0.3) * ys
        for kind in rng.integers(1, 4, size=rng.integers(2, 5)):
            mask = _shape_mask(int(kind), rng, size)
            img[mask] = rng.uniform(0.5, 1.0)  # later shapes cover earlier ones
            labels[i][mask] = kind
        images[i, 0] = img + rng.normal(0, 0.1, size=img.shape)
    # void: pixels whose 4-neighbourhood holds another label (region borders)
    padded = np.pad(labels, ((0, 0), (1, 1), (1, 1)), mode="edge")
    border = np.zeros_like(labels, dtype=bool)
    for dy, dx in ((0, 1), (2, 1), (1, 0), (1, 2)):
        border |= padded[:, dy : dy + size, dx : dx + size] != labels
    labels[border] = VOID
    return images, labels


def colorize(labels: np.ndarray) -> np.ndarray:
    """Label maps ``(N, H, W)`` -> RGB ``(N, H, W, 3)``; void pixels white."""
    rgb = PALETTE[np.where(labels == VOID, 0, labels)]
    rgb[labels == VOID] = 1.0
    return rgb


class Segmenter(TrainModule):
    """A U-Net trained with per-pixel cross-entropy that ignores void; logs the mean IoU."""

    def __init__(self, width: int = 16, depth: int = 2, lr: float = 3e-3):
        super().__init__()
        self.net = UNet(in_channels=1, num_classes=len(CLASSES), depth=depth, width=width)
        self.lr = lr
        self.val_iou = JaccardIndex(num_classes=len(CLASSES), ignore_index=VOID)

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y, ignore_index=VOID)
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y, ignore_index=VOID))
        self.val_iou.update(logits, y)
        self.log("val_miou", self.val_iou)

    def configure_optimizers(self):
        # cosine decay settles the weights: with a constant rate val IoU swings by a few points
        opt = ember.optim.Adam(self.parameters(), lr=self.lr)
        return [opt], [CosineAnnealingLR(opt, T_max=self.trainer.max_epochs)]


def main(out_dir="runs/05_segmentation", quick: bool = False, seed: int = 0) -> dict:
    out_dir = prepare_out_dir(out_dir)
    start = time.perf_counter()
    ember.manual_seed(seed)
    size, n_train, n_test, epochs, width = (16, 96, 32, 3, 8) if quick else (32, 1200, 200, 12, 16)
    x_train, y_train = make_scenes(n_train, size, seed)
    x_val, y_val = make_scenes(n_test, size, seed + 1)
    x_test, y_test = make_scenes(n_test, size, seed + 2)

    module = Segmenter(width=width)
    trainer = Trainer(**trainer_kwargs(out_dir, epochs, enable_checkpointing=False))
    trainer.fit(
        module,
        loader(x_train, y_train, batch_size=32, shuffle=True, seed=seed),
        loader(x_val, y_val, batch_size=64),
    )

    logits = predict(module, ember.tensor(x_test), batch_size=64)
    iou = JaccardIndex(num_classes=len(CLASSES), ignore_index=VOID, average=None)
    iou.update(logits, ember.tensor(y_test))
    per_class = iou.compute()
    pred = logits.argmax(dim=1).numpy()
    n_show = 8
    gray = np.repeat(np.clip(x_test[:n_show, 0, ..., None], 0, 1), 3, axis=-1)
    tiles = np.stack([gray, colorize(y_test[:n_show]), colorize(pred[:n_show])], axis=1)
    masks = save_grid(tiles.reshape(-1, size, size, 3), os.path.join(out_dir, "masks.png"), 6)
    weights = os.path.join(out_dir, "unet.safetensors")
    ember.save(module.net.state_dict(), weights)
    losses = epoch_values(trainer, "train_loss")
    results = {
        "mean_iou": float(per_class.mean()),
        **{f"iou_{name}": float(v) for name, v in zip(CLASSES, per_class)},
        "pixel_acc": float((pred == y_test)[y_test != VOID].mean()),
        "void_fraction": float((y_test == VOID).mean()),
        "train_loss_first": losses[0],
        "train_loss_last": losses[-1],
        "seconds": time.perf_counter() - start,
        "files": [masks, weights, trainer.logger.metrics_file_path],
    }
    report("U-Net segmentation of shapes", results, results["files"])
    return results


if __name__ == "__main__":
    cli(main, "runs/05_segmentation", __doc__.splitlines()[0])
