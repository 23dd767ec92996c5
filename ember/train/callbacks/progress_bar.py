"""ProgressBar: a tqdm bar per epoch on a terminal, one clean line per epoch elsewhere."""

from __future__ import annotations

import math
import sys
import time

from ember.train._warnings import warn_once
from ember.train.callback import Callback


def _format_metrics(metrics: dict) -> str:
    return ", ".join(f"{k} {v:.4g}" for k, v in metrics.items())


class ProgressBar(Callback):
    """Shows loss, progress-bar metrics, it/s and ETA while training.

    On a terminal with tqdm installed (``pip install ember[train]``) each epoch gets a bar,
    redrawn every ``refresh_rate`` batches. When output is not a terminal (CI logs, files) it
    prints one line per epoch instead of carriage-return noise.
    """

    def __init__(self, refresh_rate: int = 1, leave: bool = True, stream=None):
        if refresh_rate < 0:
            raise ValueError(f"ProgressBar: refresh_rate must be >= 0, got {refresh_rate}")
        self.refresh_rate, self.leave = refresh_rate, leave
        self._stream = stream
        self._bar = None
        self._t0 = 0.0
        self._batches = 0

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stdout

    def _use_tqdm(self) -> bool:
        if not self.refresh_rate or not getattr(self.stream, "isatty", lambda: False)():
            return False
        try:
            import tqdm  # noqa: F401
        except ImportError:
            warn_once(
                "tqdm-missing",
                "ProgressBar: tqdm is not installed, so epochs are shown "
                "as plain lines; pip install ember[train] for progress bars",
            )
            return False
        return True

    def on_train_epoch_start(self, trainer, module) -> None:
        self._t0, self._batches = time.perf_counter(), 0
        if self._use_tqdm():
            from tqdm.auto import tqdm

            total = trainer.num_training_batches
            self._bar = tqdm(
                total=None if total == math.inf else int(total),
                desc=f"Epoch {trainer.current_epoch}",
                leave=self.leave,
                file=self.stream,
                dynamic_ncols=True,
                unit="it",
            )
            self._bar.update(trainer.batch_in_epoch)

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        self._batches += 1
        if self._bar is not None and self._batches % self.refresh_rate == 0:
            self._bar.update(self.refresh_rate)
            self._bar.set_postfix_str(self._postfix(trainer), refresh=False)

    def on_train_epoch_end(self, trainer, module) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(self._postfix(trainer))
            self._bar.close()
            self._bar = None
            return
        seconds = time.perf_counter() - self._t0
        total = trainer.max_epochs if trainer.max_epochs > 0 else "?"
        rate = self._batches / seconds if seconds > 0 else math.inf
        print(
            f"epoch {trainer.current_epoch + 1}/{total}: {self._batches} batches, "
            f"{self._postfix(trainer)}, {rate:.1f} it/s, {seconds:.1f}s",
            file=self.stream,
            flush=True,
        )

    def on_exception(self, trainer, module, exception) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _postfix(self, trainer) -> str:
        metrics = {"loss": trainer.running_loss}
        metrics.update(trainer.progress_bar_metrics)
        return _format_metrics({k: v for k, v in metrics.items() if not math.isnan(v)})
