"""Timer: stop training after a wall-clock budget."""

from __future__ import annotations

import time
from datetime import timedelta

from ember.train.callback import Callback


def _as_seconds(duration) -> float:
    if isinstance(duration, timedelta):
        return duration.total_seconds()
    if isinstance(duration, dict):
        return timedelta(**duration).total_seconds()
    if isinstance(duration, str):  # "DD:HH:MM:SS"
        parts = duration.split(":")
        if len(parts) != 4 or not all(p.strip().isdigit() for p in parts):
            raise ValueError(f"Timer: duration string must be 'DD:HH:MM:SS', got {duration!r}")
        d, h, m, s = (int(p) for p in parts)
        return timedelta(days=d, hours=h, minutes=m, seconds=s).total_seconds()
    if isinstance(duration, (int, float)):
        return float(duration)
    raise TypeError(
        f"Timer: duration must be seconds, a timedelta, a dict or 'DD:HH:MM:SS', "
        f"got {type(duration).__name__}"
    )


class Timer(Callback):
    """Stop training once ``duration`` of training time has passed (checked every step or
    epoch, per ``interval``). Time already spent is kept in checkpoints."""

    def __init__(self, duration=None, interval: str = "step", verbose: bool = True):
        if interval not in ("step", "epoch"):
            raise ValueError(f"Timer: interval must be 'step' or 'epoch', got {interval!r}")
        self.duration = None if duration is None else _as_seconds(duration)
        self.interval, self.verbose = interval, verbose
        self._offset = 0.0
        self._start: float | None = None

    def time_elapsed(self) -> float:
        """Seconds of training so far, including time before a resume."""
        running = 0.0 if self._start is None else time.monotonic() - self._start
        return self._offset + running

    def time_remaining(self) -> float | None:
        return None if self.duration is None else max(0.0, self.duration - self.time_elapsed())

    def on_train_start(self, trainer, module) -> None:
        self._start = time.monotonic()

    def on_train_end(self, trainer, module) -> None:
        self._offset, self._start = self.time_elapsed(), None

    def _check(self, trainer) -> None:
        if self.duration is not None and self.time_elapsed() >= self.duration:
            trainer.should_stop = True
            trainer.stop_reason = f"Timer: time limit of {self.duration:.0f}s reached"
            if self.verbose:
                print(trainer.stop_reason)

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        if self.interval == "step":
            self._check(trainer)

    def on_train_epoch_end(self, trainer, module) -> None:
        if self.interval == "epoch":
            self._check(trainer)

    def state_dict(self) -> dict:
        return {"time_elapsed": self.time_elapsed()}

    def load_state_dict(self, state_dict: dict) -> None:
        self._offset = state_dict["time_elapsed"]
