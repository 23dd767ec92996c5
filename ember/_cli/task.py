"""SupervisedModule: the TrainModule behind ``ember train``, ``ember tune`` and ``ember demo``."""

from __future__ import annotations

from collections.abc import Callable

import ember.nn.functional as F
from ember.train import TrainModule


class SupervisedModule(TrainModule):
    """Trains ``model`` on ``(input, target)`` batches.

    Classification (``num_classes`` given): cross-entropy, with ``*_acc`` logged in validation
    and test. Regression (``num_classes=None``): mean squared error.

    Args:
        model: the network; ``(N, ...) -> (N, num_classes)`` logits, or ``(N,)``/``(N, 1)``
            predictions for regression.
        num_classes: number of classes, or None for regression.
        optimizer: ``optimizer(parameters)`` builds the optimizer.
        scheduler: optional ``scheduler(optimizer)``; returns a scheduler, or a Lightning
            scheduler dict (``{"scheduler": ..., "interval": "step"}``).
    """

    def __init__(
        self, model, num_classes: int | None, optimizer: Callable, scheduler: Callable | None = None
    ):
        super().__init__()
        self.model = model
        self.num_classes = num_classes
        self._make_optimizer, self._make_scheduler = optimizer, scheduler
        self._metrics = {}
        if num_classes is not None:
            from ember.metrics import Accuracy

            self._metrics = {
                stage: Accuracy(task="multiclass", num_classes=num_classes)
                for stage in ("val", "test")
            }

    def forward(self, x):
        return self.model(x)

    def _loss(self, out, y):
        if self.num_classes is not None:
            return F.cross_entropy(out, y)
        if out.ndim == y.ndim + 1 and out.shape[-1] == 1:
            out = out.squeeze(-1)
        return F.mse_loss(out, y)

    def training_step(self, batch, batch_idx: int):
        x, y = batch
        loss = self._loss(self(x), y)
        self.log("train_loss", loss, on_step=False, on_epoch=True)
        return loss

    def _evaluate(self, stage: str, batch) -> None:
        x, y = batch
        out = self(x)
        self.log(f"{stage}_loss", self._loss(out, y), prog_bar=True)
        if stage in self._metrics:
            self._metrics[stage].update(out, y)
            self.log(f"{stage}_acc", self._metrics[stage], prog_bar=True)

    def validation_step(self, batch, batch_idx: int) -> None:
        self._evaluate("val", batch)

    def test_step(self, batch, batch_idx: int) -> None:
        self._evaluate("test", batch)

    def configure_optimizers(self):
        opt = self._make_optimizer(self.parameters())
        if self._make_scheduler is None:
            return opt
        sched = self._make_scheduler(opt)
        return {"optimizer": opt, "lr_scheduler": sched}
