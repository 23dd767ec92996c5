"""Learning-rate range test (Smith, 2017): sweep the lr up and watch the loss."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ember.train.callback import Callback


@dataclass
class LRFinderResult:
    """Learning rates tried, the smoothed losses seen, and the suggested rate."""

    lrs: list = field(default_factory=list)
    losses: list = field(default_factory=list)

    def suggestion(self, skip_begin: int = 10, skip_end: int = 1) -> float | None:
        """The lr where the smoothed loss falls fastest (steepest negative slope)."""
        lrs, losses = (
            self.lrs[skip_begin : len(self.lrs) - skip_end],
            self.losses[skip_begin : len(self.losses) - skip_end],
        )
        if len(losses) < 3:
            lrs, losses = self.lrs, self.losses
        if len(losses) < 2:
            return None
        slopes = [
            (losses[i + 1] - losses[i]) / (math.log(lrs[i + 1]) - math.log(lrs[i]))
            for i in range(len(losses) - 1)
        ]
        return lrs[min(range(len(slopes)), key=slopes.__getitem__)]

    def plot(self, path: str | None = None, suggest: bool = True):
        """Loss against lr on a log axis (matplotlib; ``pip install ember[plot]``)."""
        from ember.train.plots import _pyplot

        plt = _pyplot()
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(self.lrs, self.losses)
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss (smoothed)")
        if suggest and self.suggestion() is not None:
            lr = self.suggestion()
            ax.axvline(lr, color="red", linestyle="--", label=f"suggested lr {lr:.2e}")
            ax.legend()
        if path is not None:
            fig.savefig(path, dpi=100, bbox_inches="tight")
            plt.close(fig)
        return fig


class _LRSweep(Callback):
    def __init__(self, min_lr, max_lr, num_training, mode, beta, threshold, result):
        self.min_lr, self.max_lr, self.num = min_lr, max_lr, num_training
        self.mode, self.beta, self.threshold, self.result = mode, beta, threshold, result
        self._avg, self._best = 0.0, math.inf

    def _lr(self, i: int) -> float:
        frac = i / max(1, self.num - 1)
        if self.mode == "exponential":
            return self.min_lr * (self.max_lr / self.min_lr) ** frac
        return self.min_lr + (self.max_lr - self.min_lr) * frac

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        lr = self._lr(trainer.global_step)
        for group in trainer.optimizers[0].param_groups:
            group["lr"] = lr

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        step = len(self.result.losses)
        self._avg = self.beta * self._avg + (1 - self.beta) * float(loss.item())
        smoothed = self._avg / (1 - self.beta ** (step + 1))  # bias-corrected running mean
        self.result.lrs.append(self._lr(trainer.global_step - 1))
        self.result.losses.append(smoothed)
        self._best = min(self._best, smoothed)
        if not math.isfinite(smoothed) or (
            self.threshold is not None and smoothed > self.threshold * self._best
        ):
            trainer.should_stop = True


def lr_find(
    module,
    train_dataloaders,
    min_lr: float = 1e-7,
    max_lr: float = 1.0,
    num_training: int = 100,
    mode: str = "exponential",
    early_stop_threshold: float | None = 4.0,
    beta: float = 0.98,
) -> LRFinderResult:
    """Train ``module`` for up to ``num_training`` steps with the lr rising from ``min_lr`` to
    ``max_lr`` and record the smoothed loss; the weights and optimizer state are restored
    afterwards. Stops early once the loss exceeds ``early_stop_threshold`` x its best.

    Returns:
        An :class:`LRFinderResult`; ``result.suggestion()`` is the suggested learning rate.
    """
    from ember.train.trainer import Trainer

    if mode not in ("exponential", "linear"):
        raise ValueError(f"lr_find: mode must be 'exponential' or 'linear', got {mode!r}")
    if not 0 < min_lr < max_lr:
        raise ValueError(f"lr_find: need 0 < min_lr < max_lr, got {min_lr}, {max_lr}")
    weights = {k: v.detach().clone() for k, v in module.state_dict().items()}
    result = LRFinderResult()
    sweep = _LRSweep(min_lr, max_lr, num_training, mode, beta, early_stop_threshold, result)
    trainer = Trainer(
        max_steps=num_training,
        callbacks=[sweep],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    trainer.fit(module, train_dataloaders)
    module.load_state_dict(weights)
    return result
