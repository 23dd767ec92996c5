"""GradientAccumulationScheduler: change ``accumulate_grad_batches`` by epoch."""

from __future__ import annotations

from ember.train.callback import Callback


class GradientAccumulationScheduler(Callback):
    """``scheduling={0: 1, 4: 2}`` accumulates 1 batch per step from epoch 0, 2 from epoch 4."""

    def __init__(self, scheduling: dict[int, int]):
        if not scheduling:
            raise TypeError("GradientAccumulationScheduler: scheduling must be a non-empty dict")
        for epoch, factor in scheduling.items():
            if not isinstance(epoch, int) or epoch < 0 or not isinstance(factor, int) or factor < 1:
                raise ValueError(
                    "GradientAccumulationScheduler: scheduling maps epochs >= 0 to "
                    f"factors >= 1, got {epoch!r}: {factor!r}"
                )
        self.scheduling = dict(sorted(scheduling.items()))
        if 0 not in self.scheduling:
            self.scheduling[0] = 1
            self.scheduling = dict(sorted(self.scheduling.items()))

    def factor(self, epoch: int) -> int:
        """The accumulation factor in force at ``epoch``."""
        return [f for e, f in self.scheduling.items() if e <= epoch][-1]

    def on_train_epoch_start(self, trainer, module) -> None:
        trainer.accumulate_grad_batches = self.factor(trainer.current_epoch)
