"""What ``TrainModule.log`` records: step values and batch-size-weighted epoch accumulators."""

from __future__ import annotations

import math

from ember.train._warnings import warn_once

_REDUCERS = ("mean", "sum", "max", "min")


def to_float(name: str, value) -> float:
    """A logged value as a Python float (a 1-element tensor/array or a number)."""
    if hasattr(value, "item"):
        numel = value.numel() if callable(getattr(value, "numel", None)) else value.size
        if numel != 1:
            raise ValueError(
                f"self.log({name!r}, ...): expected a scalar or 1-element tensor, got shape "
                f"{tuple(value.shape)}"
            )
        return float(value.item())
    if isinstance(value, (int, float)):
        return float(value)
    raise TypeError(
        f"self.log({name!r}, ...): expected a number, a 1-element tensor or a Metric, got "
        f"{type(value).__name__}"
    )


class _Accumulator:
    """Epoch reduction of one key: weighted sum and weight for 'mean', running value else."""

    __slots__ = ("reduce_fx", "total", "weight", "metric", "prog_bar", "logger")

    def __init__(self, reduce_fx: str, prog_bar: bool, logger: bool, metric=None):
        self.reduce_fx, self.prog_bar, self.logger, self.metric = (
            reduce_fx,
            prog_bar,
            logger,
            metric,
        )
        self.total = 0.0 if reduce_fx in ("mean", "sum") else None
        self.weight = 0.0

    def add(self, value: float, weight: float) -> None:
        if self.reduce_fx == "mean":
            self.total += value * weight
            self.weight += weight
        elif self.reduce_fx == "sum":
            self.total += value
        else:
            pick = max if self.reduce_fx == "max" else min
            self.total = value if self.total is None else pick(self.total, value)

    def value(self) -> float:
        if self.metric is not None:
            out = to_float("metric", self.metric.compute())
            self.metric.reset()
            return out
        if self.reduce_fx == "mean":
            return self.total / self.weight if self.weight else math.nan
        return self.total


class StageResults:
    """Logged values of one stage (train/validate/test) in the current epoch.

    ``on_step`` values go straight to ``step_metrics``; ``on_epoch`` values accumulate here
    and are reduced once by :meth:`epoch_metrics`, weighting each batch by its size so the
    epoch mean equals the mean over samples, not over batches.
    """

    def __init__(self):
        self.accumulators: dict[str, _Accumulator] = {}
        self.step_metrics: dict[str, float] = {}
        self.step_prog_bar: dict[str, float] = {}
        self.step_logger: dict[str, float] = {}

    def log(self, name, value, *, on_step, on_epoch, prog_bar, logger, batch_size, reduce_fx):
        if reduce_fx not in _REDUCERS:
            raise ValueError(
                f"self.log({name!r}): reduce_fx must be one of {_REDUCERS}, got {reduce_fx!r}"
            )
        is_metric = hasattr(value, "compute") and hasattr(value, "reset")
        step_key = f"{name}_step" if on_step and on_epoch else name
        epoch_key = f"{name}_epoch" if on_step and on_epoch else name
        if on_step and is_metric:
            warn_once(
                "metric-on-step",
                f"self.log({name!r}): a Metric object is logged once per "
                "epoch (its compute()); on_step is ignored for it",
            )
        if on_step and not is_metric:
            v = to_float(name, value)
            self.step_metrics[step_key] = v
            if prog_bar:
                self.step_prog_bar[step_key] = v
            if logger:
                self.step_logger[step_key] = v
        if on_epoch:
            acc = self.accumulators.get(epoch_key)
            if acc is None:
                acc = _Accumulator(reduce_fx, prog_bar, logger, value if is_metric else None)
                self.accumulators[epoch_key] = acc
            if not is_metric:
                acc.add(to_float(name, value), float(batch_size))

    def take_step_logger_metrics(self) -> dict[str, float]:
        out, self.step_logger = self.step_logger, {}
        return out

    def epoch_metrics(self) -> tuple[dict, dict, dict]:
        """Reduce the epoch: (all values, values for the progress bar, values for loggers)."""
        values, bar, log = {}, {}, {}
        for key, acc in self.accumulators.items():
            values[key] = v = acc.value()
            if acc.prog_bar:
                bar[key] = v
            if acc.logger:
                log[key] = v
        self.accumulators = {}
        return values, bar, log

    def state_dict(self) -> dict:
        """Accumulators mid-epoch (for exact resume); Metric objects keep their own state."""
        return {
            k: {
                "reduce_fx": a.reduce_fx,
                "total": a.total,
                "weight": a.weight,
                "prog_bar": a.prog_bar,
                "logger": a.logger,
            }
            for k, a in self.accumulators.items()
            if a.metric is None
        }

    def load_state_dict(self, state: dict) -> None:
        self.accumulators = {}
        for key, s in state.items():
            acc = _Accumulator(s["reduce_fx"], s["prog_bar"], s["logger"])
            acc.total, acc.weight = s["total"], s["weight"]
            self.accumulators[key] = acc
