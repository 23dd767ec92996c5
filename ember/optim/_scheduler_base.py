"""LRScheduler, the base of every learning-rate scheduler, and helpers shared by the schedulers.

Public names are re-exported by :mod:`ember.optim.lr_scheduler`; import them from there. The base
lives in its own module so that the scheduler modules can subclass it without import cycles.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Iterable
from typing import Any

from ember.optim.optimizer import Optimizer

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where "
    "possible. Please use `scheduler.step()` to step the scheduler. During the deprecation, if "
    "epoch is different from None, the closed form is used instead of the new chainable form, "
    "where available."
)


def _mark_stepped(optimizer: Optimizer, args: Any, kwargs: Any) -> None:
    optimizer._opt_called = True


def _track_optimizer_steps(optimizer: Optimizer) -> None:
    """Records (once per optimizer, via a step post hook) that ``optimizer.step()`` has run."""
    if not getattr(optimizer, "_opt_step_tracked", False):
        optimizer.register_step_post_hook(_mark_stepped)
        optimizer._opt_step_tracked = True


def _check_optimizer(owner: str, optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: {type(optimizer).__name__} is not an Optimizer")


def _format_param(owner: str, name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """One value per param group: a scalar is repeated, a list/tuple must match the group count."""
    n_groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n_groups:
            raise ValueError(
                f"{owner}: {name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(value)} values, param_groups has {n_groups}."
            )
        return list(value)
    return [value] * n_groups


def _group_values(optimizer: Optimizer, key: str) -> list[Any]:
    return [group[key] for group in optimizer.param_groups]


def _plain_state(obj: Any, exclude: Iterable[str]) -> dict[str, Any]:
    """A deep copy of ``obj.__dict__`` without the ``exclude`` keys (optimizer, callables)."""
    skip = {"optimizer", *exclude}
    return {k: copy.deepcopy(v) for k, v in obj.__dict__.items() if k not in skip}


class LRScheduler:
    """Base class: sets ``initial_lr`` in every param group and applies ``get_lr()`` on ``step()``.

    Args:
        optimizer: The wrapped optimizer.
        last_epoch: Index of the last epoch; -1 starts a fresh schedule, >= 0 resumes one (the
            param groups must then already hold ``initial_lr``).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        _check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"{type(self).__name__}: param 'initial_lr' is not specified in "
                    f"param_groups[{i}] when resuming scheduler with last_epoch >= 0 "
                    f"(got last_epoch={last_epoch}); load the optimizer's state first."
                )
        self.base_lrs: list[float] = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        self._get_lr_called_within_step = False
        self._is_initial = False
        _track_optimizer_steps(optimizer)
        self._initial_step()

    def _initial_step(self) -> None:
        """Step 0: applies the first value (``_is_initial`` lets get_lr tell it apart)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def state_dict(self) -> dict[str, Any]:
        """Every attribute except the optimizer, as plain data."""
        return _plain_state(self, ())

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores the attributes saved by :meth:`state_dict`."""
        self.__dict__.update(copy.deepcopy(state_dict))

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per param group."""
        return self._last_lr

    def get_lr(self) -> list[float]:
        """The learning rates for the current ``last_epoch`` (called by ``step()``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def _get_closed_form_lr(self) -> list[float] | None:
        """Learning rates at ``last_epoch`` computed from ``base_lrs``; None if no closed form."""
        return None

    def _warn_outside_step(self) -> None:
        if not self._get_lr_called_within_step:
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use "
                "`get_last_lr()`.",
                UserWarning,
                stacklevel=3,
            )

    def step(self, epoch: int | None = None) -> None:
        """Advances the schedule by one epoch (or jumps to ``epoch``, deprecated) and sets lrs."""
        if self._step_count == 1 and not getattr(self.optimizer, "_opt_called", False):
            warnings.warn(
                "Detected call of `lr_scheduler.step()` before `optimizer.step()`. Call them in "
                "the opposite order: `optimizer.step()` before `lr_scheduler.step()`, otherwise "
                "the first value of the learning rate schedule is skipped.",
                UserWarning,
                stacklevel=2,
            )
        self._step_count += 1
        if epoch is not None:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                values = self._get_closed_form_lr()
                if values is None:
                    values = self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = _group_values(self.optimizer, "lr")
