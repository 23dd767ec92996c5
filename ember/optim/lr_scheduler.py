"""Learning-rate schedulers with PyTorch's API (``torch.optim.lr_scheduler``).

A scheduler owns no learning rate of its own: it rewrites ``group["lr"]`` in the optimizer's
``param_groups`` each time ``step()`` is called, so the learning-rate sequences (and their
floating-point rounding) follow PyTorch's recursive formulas exactly. ``state_dict()`` holds plain
Python data only (numbers, strings, lists, dicts, None) with PyTorch's keys.
"""

from __future__ import annotations

import copy
import types
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ember.optim._composite_schedulers import ChainedScheduler, ReduceLROnPlateau, SequentialLR
from ember.optim._cyclic_schedulers import (
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    OneCycleLR,
)
from ember.optim._scheduler_base import (
    LRScheduler,
    _group_values,
    _plain_state,
)
from ember.optim.optimizer import Optimizer

__all__ = [
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "SequentialLR",
    "CosineAnnealingLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
    "CyclicLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "PolynomialLR",
    "LRScheduler",
]


class _LRScheduler(LRScheduler):
    """Deprecated alias of :class:`LRScheduler`, kept like PyTorch for old subclasses."""


class _LambdaScheduler(LRScheduler):
    """Shared handling of ``lr_lambda`` (one callable or one per group) and its state."""

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int,
        check_callable: bool,
    ) -> None:
        self.optimizer = optimizer
        n_groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n_groups:
                raise ValueError(
                    f"{type(self).__name__}: expected {n_groups} lr_lambdas, "
                    f"but got {len(lr_lambda)}"
                )
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n_groups
        if check_callable:
            for fn in self.lr_lambdas:
                if not callable(fn):
                    raise TypeError(
                        f"{type(self).__name__}: lr_lambda should be a function, "
                        f"but got {type(fn).__name__}"
                    )
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """Saves lambdas like PyTorch: functions as None, callable objects as their ``__dict__``."""
        state = _plain_state(self, ("lr_lambdas",))
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else copy.deepcopy(fn.__dict__)
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores attributes; saved callable-object state is merged into the current ones."""
        self.__dict__.update(
            copy.deepcopy({k: v for k, v in state_dict.items() if k != "lr_lambdas"})
        )
        for fn, fn_state in zip(self.lr_lambdas, state_dict["lr_lambdas"], strict=True):
            if fn_state is not None:
                fn.__dict__.update(copy.deepcopy(fn_state))


class LambdaLR(_LambdaScheduler):
    """lr = initial_lr * lr_lambda(epoch).

    Args:
        optimizer: The wrapped optimizer.
        lr_lambda: A function of the epoch, or a list of them (one per param group).
        last_epoch: Index of the last epoch (-1 starts fresh).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        super().__init__(optimizer, lr_lambda, last_epoch, check_callable=False)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        return [
            base_lr * fn(self.last_epoch)
            for fn, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)
        ]


class MultiplicativeLR(_LambdaScheduler):
    """lr = previous lr * lr_lambda(epoch), from epoch 1 on.

    Args:
        optimizer: The wrapped optimizer.
        lr_lambda: A function of the epoch giving the factor, or one per param group.
        last_epoch: Index of the last epoch (-1 starts fresh).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        super().__init__(optimizer, lr_lambda, last_epoch, check_callable=True)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [
            group["lr"] * fn(self.last_epoch)
            for fn, group in zip(self.lr_lambdas, self.optimizer.param_groups, strict=True)
        ]


class StepLR(LRScheduler):
    """Multiplies the lr by ``gamma`` every ``step_size`` epochs.

    Args:
        optimizer: The wrapped optimizer.
        step_size: Period of the decay, in epochs.
        gamma: Multiplicative decay factor.
        last_epoch: Index of the last epoch (-1 starts fresh).
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs
        ]


class MultiStepLR(LRScheduler):
    """Multiplies the lr by ``gamma`` at each milestone epoch (repeated milestones compound).

    Args:
        optimizer: The wrapped optimizer.
        milestones: Epoch indices at which to decay.
        gamma: Multiplicative decay factor.
        last_epoch: Index of the last epoch (-1 starts fresh).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self.last_epoch not in self.milestones:
            return _group_values(self.optimizer, "lr")
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        passed = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base_lr * self.gamma**passed for base_lr in self.base_lrs]

    def state_dict(self) -> dict[str, Any]:
        """The milestone Counter is saved as a plain ``{epoch: count}`` dict."""
        state = super().state_dict()
        state["milestones"] = dict(self.milestones)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Accepts milestone keys as ints or as strings (after a JSON round trip)."""
        super().load_state_dict(state_dict)
        self.milestones = Counter({int(k): v for k, v in state_dict["milestones"].items()})


class ConstantLR(LRScheduler):
    """Scales the lr by ``factor`` until epoch ``total_iters``, then restores it.

    Args:
        optimizer: The wrapped optimizer.
        factor: Multiplier in [0, 1] applied before ``total_iters``.
        total_iters: Number of epochs the factor applies.
        last_epoch: Index of the last epoch (-1 starts fresh).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if factor > 1.0 or factor < 0:
            raise ValueError(
                "ConstantLR: constant multiplicative factor expected to be between 0 and 1, "
                f"but got factor={factor}"
            )
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * (1.0 / self.factor) for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        done = self.last_epoch >= self.total_iters
        return [base_lr * (self.factor + done * (1 - self.factor)) for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """Scales the lr by a factor moving linearly from ``start_factor`` to ``end_factor``.

    Args:
        optimizer: The wrapped optimizer.
        start_factor: Factor at epoch 0, in (0, 1].
        end_factor: Factor from epoch ``total_iters`` on, in [0, 1].
        total_iters: Number of epochs of the ramp.
        last_epoch: Index of the last epoch (-1 starts fresh).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                "LinearLR: starting multiplicative factor expected to be greater than 0 and "
                f"less or equal to 1, but got start_factor={start_factor}"
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(
                "LinearLR: ending multiplicative factor expected to be between 0 and 1, "
                f"but got end_factor={end_factor}"
            )
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self.last_epoch == 0:
            return [group["lr"] * self.start_factor for group in self.optimizer.param_groups]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        # Ratio of consecutive factors: f(e)/f(e-1) = 1 + d / (T*s + (e-1)*d), d = end - start.
        delta = self.end_factor - self.start_factor
        ratio = 1.0 + delta / (self.total_iters * self.start_factor + (self.last_epoch - 1) * delta)
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        delta = self.end_factor - self.start_factor
        progress = min(self.total_iters, self.last_epoch)
        return [
            base_lr * (self.start_factor + delta * progress / self.total_iters)
            for base_lr in self.base_lrs
        ]


class ExponentialLR(LRScheduler):
    """Multiplies the lr by ``gamma`` every epoch.

    Args:
        optimizer: The wrapped optimizer.
        gamma: Multiplicative decay factor.
        last_epoch: Index of the last epoch (-1 starts fresh).
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    """lr = initial_lr * (1 - min(epoch, total_iters) / total_iters) ** power.

    Args:
        optimizer: The wrapped optimizer.
        total_iters: Number of epochs until the lr reaches 0.
        power: Exponent of the polynomial.
        last_epoch: Index of the last epoch (-1 starts fresh).
    """

    def __init__(
        self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_values(self.optimizer, "lr")
        # Ratio of consecutive closed-form values, so the update composes with other schedulers.
        now = 1.0 - self.last_epoch / self.total_iters
        before = 1.0 - (self.last_epoch - 1) / self.total_iters
        decay = (now / before) ** self.power
        return [group["lr"] * decay for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        progress = min(self.total_iters, self.last_epoch)
        return [
            base_lr * (1.0 - progress / self.total_iters) ** self.power for base_lr in self.base_lrs
        ]
