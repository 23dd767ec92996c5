"""EarlyStopping: stop when a monitored metric stops improving (optionally keep the best)."""

from __future__ import annotations

import math

from ember.train.callback import Callback


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved by ``min_delta`` for ``patience`` checks.

    Args:
        monitor: logged metric key, e.g. ``"val_loss"``.
        mode: ``"min"`` or ``"max"``.
        patience: checks without improvement before stopping.
        min_delta: the smallest change that counts as an improvement.
        stopping_threshold: stop as soon as the metric is better than this.
        divergence_threshold: stop as soon as the metric is worse than this.
        check_finite: stop when the metric becomes NaN or infinite.
        restore_best_weights: put the best weights back into the model when training ends,
            whether it stopped early or ran to ``max_epochs``.
        check_on_train_epoch_end: check after each training epoch (default: when validation
            runs once per epoch) instead of after each validation.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 3,
        verbose: bool = False,
        mode: str = "min",
        strict: bool = True,
        check_finite: bool = True,
        stopping_threshold: float | None = None,
        divergence_threshold: float | None = None,
        check_on_train_epoch_end: bool | None = None,
        restore_best_weights: bool = False,
    ):
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor, self.mode, self.patience, self.verbose = monitor, mode, patience, verbose
        self.min_delta = abs(min_delta) * (1 if mode == "max" else -1)
        self.strict, self.check_finite = strict, check_finite
        self.stopping_threshold, self.divergence_threshold = (
            stopping_threshold,
            divergence_threshold,
        )
        self.check_on_train_epoch_end = check_on_train_epoch_end
        self.restore_best_weights = restore_best_weights
        self.wait_count = 0
        self.stopped_epoch = 0
        self.best_score = math.inf if mode == "min" else -math.inf
        self.best_epoch = -1
        self.stopping_reason: str | None = None
        self._best_weights = None

    @property
    def state_key(self) -> str:
        return f"EarlyStopping{{monitor={self.monitor!r}, mode={self.mode!r}}}"

    def _better(self, a: float, b: float) -> bool:
        return a < b if self.mode == "min" else a > b

    # -- hooks -----------------------------------------------------------------------------
    def setup(self, trainer, module, stage: str) -> None:
        if self.check_on_train_epoch_end is None:
            self.check_on_train_epoch_end = (
                trainer.val_check_interval == 1.0 and trainer.check_val_every_n_epoch == 1
            )

    def on_train_epoch_end(self, trainer, module) -> None:
        if self.check_on_train_epoch_end:
            self._run_check(trainer, module)

    def on_validation_end(self, trainer, module) -> None:
        if not self.check_on_train_epoch_end and not trainer.sanity_checking:
            self._run_check(trainer, module)

    def on_fit_end(self, trainer, module) -> None:
        if self.restore_best_weights and self._best_weights is not None:
            module.load_state_dict(self._best_weights)

    def _run_check(self, trainer, module) -> None:
        if trainer.fast_dev_run:
            return
        if self.monitor not in trainer.callback_metrics:
            if self.strict:
                raise RuntimeError(
                    f"EarlyStopping: metric {self.monitor!r} is not logged. Available metrics: "
                    f"{sorted(trainer.callback_metrics)}; pass strict=False to skip the check"
                )
            return
        current = float(trainer.callback_metrics[self.monitor])
        stop, reason = self._evaluate(current, trainer.current_epoch)
        if reason == "improved" and self.restore_best_weights:
            self._best_weights = {k: v.detach().clone() for k, v in module.state_dict().items()}
        if stop:
            trainer.should_stop = True
            self.stopped_epoch = trainer.current_epoch
            self.stopping_reason = reason
            if self.verbose:
                print(f"EarlyStopping: {reason}")

    def _evaluate(self, current: float, epoch: int) -> tuple[bool, str]:
        """(stop?, reason) for the new value ``current`` of the monitored metric."""
        if self.check_finite and not math.isfinite(current):
            return True, (
                f"monitored metric {self.monitor} = {current} is not finite; previous "
                f"best score: {self.best_score:.6g}"
            )
        if self.stopping_threshold is not None and self._better(current, self.stopping_threshold):
            return True, (
                f"stopping threshold reached: {self.monitor} = {current:.6g} is "
                f"better than {self.stopping_threshold}"
            )
        if self.divergence_threshold is not None and self._better(
            self.divergence_threshold, current
        ):
            return True, (
                f"divergence threshold reached: {self.monitor} = {current:.6g} is "
                f"worse than {self.divergence_threshold}"
            )
        if self._better(current - self.min_delta, self.best_score):
            self.best_score, self.best_epoch, self.wait_count = current, epoch, 0
            return False, "improved"
        self.wait_count += 1
        if self.wait_count >= self.patience:
            return True, (
                f"monitored metric {self.monitor} did not improve in the last "
                f"{self.wait_count} checks; best score: {self.best_score:.6g} at "
                f"epoch {self.best_epoch}"
            )
        return False, "waiting"

    def state_dict(self) -> dict:
        return {
            "wait_count": self.wait_count,
            "stopped_epoch": self.stopped_epoch,
            "best_score": self.best_score,
            "best_epoch": self.best_epoch,
            "patience": self.patience,
            "best_weights": self._best_weights,
        }

    def load_state_dict(self, state_dict: dict) -> None:
        self.wait_count = state_dict["wait_count"]
        self.stopped_epoch = state_dict["stopped_epoch"]
        self.best_score = state_dict["best_score"]
        self.best_epoch = state_dict["best_epoch"]
        self.patience = state_dict["patience"]
        self._best_weights = state_dict["best_weights"]
