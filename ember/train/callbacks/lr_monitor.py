"""LearningRateMonitor: log every optimizer group's learning rate (and momentum)."""

from __future__ import annotations

from ember.train.callback import Callback


class LearningRateMonitor(Callback):
    """Log ``lr-<Optimizer>`` (``lr-<Optimizer>/pg<i>`` for several groups) to the loggers.

    Args:
        logging_interval: ``"step"``, ``"epoch"`` or None (both).
        log_momentum: also log ``momentum`` (or ``beta1`` of Adam-style optimizers).
    """

    def __init__(self, logging_interval: str | None = None, log_momentum: bool = False):
        if logging_interval not in (None, "step", "epoch"):
            raise ValueError(
                "LearningRateMonitor: logging_interval must be None, 'step' or "
                f"'epoch', got {logging_interval!r}"
            )
        self.logging_interval, self.log_momentum = logging_interval, log_momentum
        self.lrs: dict[str, list[float]] = {}

    def _values(self, trainer) -> dict:
        out = {}
        names = [type(o).__name__ for o in trainer.optimizers]
        for i, opt in enumerate(trainer.optimizers):
            name = f"lr-{names[i]}" + (f"-{i}" if names.count(names[i]) > 1 else "")
            groups = opt.param_groups
            for g, group in enumerate(groups):
                key = name if len(groups) == 1 else f"{name}/pg{g + 1}"
                out[key] = float(group["lr"])
                if self.log_momentum:
                    momentum = group.get("betas", (group.get("momentum", 0.0),))[0]
                    out[key.replace("lr-", "momentum-", 1)] = float(momentum)
        return out

    def _log(self, trainer) -> None:
        values = self._values(trainer)
        for key, value in values.items():
            self.lrs.setdefault(key, []).append(value)
        trainer.callback_metrics.update(values)
        trainer._send_to_loggers(values)

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        if self.logging_interval != "epoch":
            self._log(trainer)

    def on_train_epoch_start(self, trainer, module) -> None:
        if self.logging_interval != "step":
            self._log(trainer)
