"""Logistic regression on the breast-cancer data, twice: from scratch and with the Trainer.

1. From scratch: the weights are plain tensors with ``requires_grad``; each epoch computes the
   binary cross-entropy by hand, calls ``backward`` and takes a gradient step itself.
2. With the Trainer: ``ember.models.LogisticRegression`` inside a TrainModule, AdamW, a CSV log.

Both report test accuracy, precision, recall and F1 (``ember.metrics``) and a loss-curve PNG.

Run: python examples/01_logistic_regression.py [--out runs/01_logistic_regression] [--quick]
"""

from __future__ import annotations

import os
import time

from _common import cli, loader, metric_rows, predict, prepare_out_dir, report, trainer_kwargs

import ember
from ember.datasets import load_breast_cancer
from ember.metrics import Accuracy, F1Score, Precision, Recall
from ember.models import LogisticRegression
from ember.train import Trainer, TrainModule
from ember.train.plots import plot_history


def binary_scores(logits: ember.Tensor, target: ember.Tensor, prefix: str) -> dict:
    """Accuracy, precision, recall and F1 of logits ``(N,)`` against 0/1 labels ``(N,)``."""
    metrics = {"acc": Accuracy, "precision": Precision, "recall": Recall, "f1": F1Score}
    out = {}
    for name, cls in metrics.items():
        metric = cls(task="binary")
        metric.update(logits.sigmoid(), target)
        out[f"{prefix}_{name}"] = float(metric.compute())
    return out


def train_from_scratch(splits, epochs: int, lr: float, seed: int) -> tuple[dict, list[float]]:
    """Full-batch gradient descent on ``w``, ``b`` with the loss written out by hand."""
    ember.manual_seed(seed)
    x, y = splits.train.tensors
    y = y.float()
    w = (ember.randn(x.shape[1]) * 0.01).requires_grad_()
    b = ember.zeros(1, requires_grad=True)
    losses = []
    for _ in range(epochs):
        z = x @ w + b
        # BCE with logits, stable form: log(1 + e^z) - y z = softplus(z) - y z
        loss = (ember.nn.functional.softplus(z) - y * z).mean()
        loss.backward()
        with ember.no_grad():
            for p in (w, b):
                p -= lr * p.grad
                p.grad = None
        losses.append(loss.item())
    xt, yt = splits.test.tensors
    with ember.no_grad():
        scores = binary_scores(xt @ w + b, yt, "scratch")
    return scores, losses


class BinaryClassifier(TrainModule):
    """``LogisticRegression`` trained with its own ``loss`` (BCE with logits)."""

    def __init__(self, in_features: int, lr: float = 0.01, weight_decay: float = 1e-2):
        super().__init__()
        self.save_hyperparameters()
        self.model = LogisticRegression(in_features)

    def forward(self, x):
        return self.model(x).reshape(-1)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = self.model.loss(self.model(x), y)
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", self.model.loss(logits, y))
        self.log("val_acc", ((logits > 0).long() == y).float().mean())

    def configure_optimizers(self):
        return ember.optim.AdamW(
            self.parameters(), lr=self.hparams["lr"], weight_decay=self.hparams["weight_decay"]
        )


def plot_losses(scratch: list[float], trainer: Trainer, path: str) -> str:
    """Scratch loss per epoch and the Trainer's train/val loss per epoch, side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = metric_rows(trainer)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.plot(range(1, len(scratch) + 1), scratch)
    left.set(title="from scratch (full batch)", xlabel="epoch", ylabel="BCE")
    for key in ("train_loss", "val_loss"):
        pts = [(r["epoch"] + 1, r[key]) for r in rows if key in r]
        right.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=key)
    right.set(title="Trainer (minibatch AdamW)", xlabel="epoch")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(out_dir="runs/01_logistic_regression", quick: bool = False, seed: int = 0) -> dict:
    out_dir = prepare_out_dir(out_dir)
    start = time.perf_counter()
    splits = load_breast_cancer(seed=seed)
    epochs_scratch, epochs_trainer = (60, 5) if quick else (300, 20)

    results, scratch_losses = train_from_scratch(splits, epochs_scratch, lr=0.5, seed=seed)
    results["scratch_loss_first"], results["scratch_loss_last"] = (
        scratch_losses[0],
        scratch_losses[-1],
    )

    ember.manual_seed(seed)
    module = BinaryClassifier(splits.train.tensors[0].shape[1])
    trainer = Trainer(**trainer_kwargs(out_dir, epochs_trainer, enable_checkpointing=False))
    trainer.fit(
        module,
        loader(*splits.train.tensors, batch_size=32, shuffle=True, seed=seed),
        loader(*splits.val.tensors, batch_size=256),
    )
    xt, yt = splits.test.tensors
    results.update(binary_scores(predict(module, xt), yt, "trainer"))

    curves = plot_losses(scratch_losses, trainer, os.path.join(out_dir, "loss_curves.png"))
    history = os.path.join(out_dir, "trainer_history.png")
    plot_history(trainer, history)
    weights = os.path.join(out_dir, "logistic_regression.safetensors")
    ember.save(module.model.state_dict(), weights)
    results["seconds"] = time.perf_counter() - start
    written = [curves, history, weights, trainer.logger.metrics_file_path]
    results["files"] = written
    report("logistic regression (breast cancer)", results, written)
    return results


if __name__ == "__main__":
    cli(main, "runs/01_logistic_regression", __doc__.splitlines()[0])
