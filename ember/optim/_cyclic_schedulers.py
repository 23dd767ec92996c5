"""Annealing and cyclic schedulers: cosine annealing (with warm restarts), CyclicLR, OneCycleLR.

Re-exported by :mod:`ember.optim.lr_scheduler`; import them from there.
"""

from __future__ import annotations

import copy
import math
import types
from collections.abc import Callable
from typing import Any

from ember.optim._scheduler_base import LRScheduler, _check_optimizer, _format_param, _group_values
from ember.optim.optimizer import Optimizer


def _cosine_mix(eta_min: float, base_lr: float, t: float, period: float) -> float:
    """eta_min + (base_lr - eta_min) * (1 + cos(pi * t / period)) / 2."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from the initial lr to ``eta_min`` over ``T_max`` epochs (then back up).

    Stepped recursively like PyTorch, so it composes with other schedulers:
    lr_e = eta_min + (lr_{e-1} - eta_min) * (1 + cos(pi e / T)) / (1 + cos(pi (e - 1) / T)).

    Args:
        optimizer: The wrapped optimizer.
        T_max: Half period, in epochs.
        eta_min: Minimum learning rate.
        last_epoch: Index of the last epoch (-1 starts fresh).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,  # noqa: N803 - PyTorch's argument name
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        epoch, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return _group_values(self.optimizer, "lr")
        if self._step_count == 1 and epoch > 0:
            # First step of a resumed schedule: no previous lr to recurse from.
            return [_cosine_mix(eta_min, base_lr, epoch, t_max) for base_lr in self.base_lrs]
        if (epoch - 1 - t_max) % (2 * t_max) == 0:
            # Leaving the minimum: the ratio form would divide by 1 + cos(pi) = 0.
            bump = (1 - math.cos(math.pi / t_max)) / 2
            return [
                group["lr"] + (base_lr - eta_min) * bump
                for base_lr, group in zip(self.base_lrs, self.optimizer.param_groups, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * epoch / t_max)) / (
            1 + math.cos(math.pi * (epoch - 1) / t_max)
        )
        return [ratio * (group["lr"] - eta_min) + eta_min for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            _cosine_mix(self.eta_min, base_lr, self.last_epoch, self.T_max)
            for base_lr in self.base_lrs
        ]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing restarted every ``T_i`` epochs, with ``T_i`` growing by ``T_mult``.

    Args:
        optimizer: The wrapped optimizer.
        T_0: Length of the first period, in epochs (positive int).
        T_mult: Growth factor of the period after each restart (int >= 1).
        eta_min: Minimum learning rate.
        last_epoch: Index of the last epoch (-1 starts fresh).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,  # noqa: N803 - PyTorch's argument name
        T_mult: int = 1,  # noqa: N803 - PyTorch's argument name
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(
                f"CosineAnnealingWarmRestarts: expected positive integer T_0, but got {T_0}"
            )
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(
                f"CosineAnnealingWarmRestarts: expected integer T_mult >= 1, but got {T_mult}"
            )
        if not isinstance(eta_min, (float, int)):
            raise ValueError(
                "CosineAnnealingWarmRestarts: expected float or int eta_min, "
                f"but got {eta_min} of type {type(eta_min).__name__}"
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        return [
            _cosine_mix(self.eta_min, base_lr, self.T_cur, self.T_i) for base_lr in self.base_lrs
        ]

    def step(self, epoch: float | None = None) -> None:
        """Advances one epoch, or jumps to ``epoch`` (may be fractional, e.g. per batch)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        elif epoch < 0:
            raise ValueError(
                f"CosineAnnealingWarmRestarts.step: expected non-negative epoch, but got {epoch}"
            )
        elif epoch < self.T_0:
            self.T_i = self.T_0
            self.T_cur = epoch
        elif self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        else:
            # Restart n starts at T_0 (T_mult^n - 1) / (T_mult - 1): solve for n.
            n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
            self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
            self.T_i = self.T_0 * self.T_mult**n
        self.last_epoch = math.floor(epoch)
        self._get_lr_called_within_step = True
        try:
            values = self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = _group_values(self.optimizer, "lr")


def _init_momentum_cycle(
    owner: str,
    optimizer: Optimizer,
    base_momentum: float | list[float],
    max_momentum: float | list[float],
    fresh: bool,
) -> tuple[bool, list[float], list[float]]:
    """Validates momentum cycling; on a fresh start puts max_momentum into the groups.

    Returns:
        (use_beta1, base_momentums, max_momentums): use_beta1 is True for Adam-like optimizers,
        whose momentum is ``betas[0]``.
    """
    defaults = optimizer.defaults
    if "momentum" not in defaults and "betas" not in defaults:
        raise ValueError(
            f"{owner}: optimizer must support momentum or beta1 with `cycle_momentum` option "
            f"enabled, but {type(optimizer).__name__} has neither"
        )
    use_beta1 = "betas" in defaults
    base_momentums = _format_param(owner, "base_momentum", optimizer, base_momentum)
    max_momentums = _format_param(owner, "max_momentum", optimizer, max_momentum)
    if fresh:
        for m_max, m_base, group in zip(
            max_momentums, base_momentums, optimizer.param_groups, strict=True
        ):
            _set_momentum(group, m_max, use_beta1)
            group["max_momentum"] = m_max
            group["base_momentum"] = m_base
    return use_beta1, base_momentums, max_momentums


def _set_momentum(group: dict[str, Any], value: float, use_beta1: bool) -> None:
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


class CyclicLR(LRScheduler):
    """Cyclical learning rate (Smith, 2017): lr cycles between ``base_lr`` and ``max_lr``.

    Momentum (or Adam's beta1) cycles inversely between ``max_momentum`` and ``base_momentum``.
    Meant to be stepped after every batch.

    Args:
        optimizer: The wrapped optimizer.
        base_lr: Lower lr bound (float or one per group); overrides the groups' lr.
        max_lr: Upper lr bound (float or one per group).
        step_size_up: Iterations in the increasing half of a cycle.
        step_size_down: Iterations in the decreasing half (default: ``step_size_up``).
        mode: 'triangular', 'triangular2' or 'exp_range' (ignored when ``scale_fn`` is given).
        gamma: Base of the 'exp_range' scale, gamma ** iterations.
        scale_fn: Custom amplitude scale, a function of the cycle or iteration number.
        scale_mode: 'cycle' or 'iterations', the argument given to ``scale_fn``.
        cycle_momentum: Whether to cycle momentum too.
        base_momentum: Lower momentum bound.
        max_momentum: Upper momentum bound.
        last_epoch: Index of the last batch (-1 starts fresh).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        base_lrs = _format_param("CyclicLR", "base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                group["lr"] = lr
        self.max_lrs = _format_param("CyclicLR", "max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(
                "CyclicLR: mode is invalid and scale_fn is None: expected mode 'triangular', "
                f"'triangular2' or 'exp_range', but got {mode!r}"
            )
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self._set_builtin_scale_mode()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1, self.base_momentums, self.max_momentums = _init_momentum_cycle(
                "CyclicLR", optimizer, base_momentum, max_momentum, fresh=last_epoch == -1
            )
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _set_builtin_scale_mode(self) -> None:
        # The built-in policies fix what they scale by: cycles for triangular*, iterations else.
        if self._scale_fn_custom is None:
            self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x: float) -> float:
        """Amplitude scale at cycle (or iteration) ``x``."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle  # position within the cycle, [0, 1)
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [
            base_lr + (max_lr - base_lr) * scale_factor * scale
            for base_lr, max_lr in zip(self.base_lrs, self.max_lrs, strict=True)
        ]
        if self.cycle_momentum:
            pairs = zip(
                self.base_momentums, self.max_momentums, self.optimizer.param_groups, strict=True
            )
            for m_base, m_max, group in pairs:
                _set_momentum(
                    group, m_max - (m_max - m_base) * scale_factor * scale, self.use_beta1
                )
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """Saves a custom ``scale_fn`` like PyTorch: None if a function, else its ``__dict__``."""
        state = super().state_dict()
        fn = self._scale_fn_custom
        state["_scale_fn_custom"] = None
        if fn is not None and not isinstance(fn, types.FunctionType):
            state["_scale_fn_custom"] = copy.deepcopy(fn.__dict__)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores attributes, keeping the current ``scale_fn`` object (updated in place)."""
        fn_state = state_dict["_scale_fn_custom"]
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "_scale_fn_custom"})
        if fn_state is not None:
            self._scale_fn_custom.__dict__.update(copy.deepcopy(fn_state))
        self._set_builtin_scale_mode()


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2018), stepped after every batch.

    The lr warms up from ``max_lr / div_factor`` to ``max_lr`` over ``pct_start`` of the steps,
    then anneals to ``initial_lr / final_div_factor``; momentum moves the opposite way. With
    ``three_phase`` the lr first comes back down to the initial lr symmetrically, then anneals.

    Args:
        optimizer: The wrapped optimizer.
        max_lr: Peak learning rate (float or one per group).
        total_steps: Total number of steps; or give ``epochs`` and ``steps_per_epoch``.
        epochs: Number of epochs (with ``steps_per_epoch``).
        steps_per_epoch: Steps per epoch (with ``epochs``).
        pct_start: Fraction of the steps spent increasing the lr.
        anneal_strategy: 'cos' or 'linear'.
        cycle_momentum: Whether to cycle momentum (or Adam's beta1).
        base_momentum: Momentum at the lr peak.
        max_momentum: Momentum at the start and end.
        div_factor: initial_lr = max_lr / div_factor.
        final_div_factor: min_lr = initial_lr / final_div_factor.
        three_phase: Use the three-phase schedule.
        last_epoch: Index of the last batch (-1 starts fresh).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        _check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        self.total_steps = _total_steps(total_steps, epochs, steps_per_epoch)
        if not isinstance(pct_start, float) or pct_start < 0 or pct_start > 1:
            raise ValueError(
                f"OneCycleLR: expected float between 0 and 1 pct_start, but got {pct_start}"
            )
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                "OneCycleLR: anneal_strategy must be one of 'cos' or 'linear', "
                f"instead got {anneal_strategy!r}"
            )
        self._anneal_func_type = anneal_strategy
        self._schedule_phases = _one_cycle_phases(self.total_steps, pct_start, three_phase)
        max_lrs = _format_param("OneCycleLR", "max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for peak, group in zip(max_lrs, optimizer.param_groups, strict=True):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1, _, _ = _init_momentum_cycle(
                "OneCycleLR", optimizer, base_momentum, max_momentum, fresh=last_epoch == -1
            )
        super().__init__(optimizer, last_epoch)

    def _anneal_func(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            # end + (start - end) * (1 + cos(pi pct)) / 2: start at pct 0, end at pct 1.
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        self._warn_outside_step()
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise ValueError(
                f"OneCycleLR: tried to step {step_num} times. The specified number of total "
                f"steps is {self.total_steps}"
            )
        # The phase containing step_num (the last phase takes everything past its start).
        start_step = 0.0
        for i, phase in enumerate(self._schedule_phases):
            if step_num <= phase["end_step"] or i == len(self._schedule_phases) - 1:
                break
            start_step = phase["end_step"]
        pct = (step_num - start_step) / (phase["end_step"] - start_step)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(self._anneal_func(group[phase["start_lr"]], group[phase["end_lr"]], pct))
            if self.cycle_momentum:
                momentum = self._anneal_func(
                    group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                )
                _set_momentum(group, momentum, self.use_beta1)
        return lrs


def _total_steps(total_steps: int | None, epochs: int | None, steps_per_epoch: int | None) -> int:
    if total_steps is not None:
        if not isinstance(total_steps, int) or total_steps <= 0:
            raise ValueError(
                f"OneCycleLR: expected positive integer total_steps, but got {total_steps}"
            )
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ValueError(
            "OneCycleLR: you must define either total_steps OR (epochs AND steps_per_epoch)"
        )
    if not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"OneCycleLR: expected positive integer epochs, but got {epochs}")
    if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
        raise ValueError(
            f"OneCycleLR: expected positive integer steps_per_epoch, but got {steps_per_epoch}"
        )
    return epochs * steps_per_epoch


def _one_cycle_phases(
    total_steps: int, pct_start: float, three_phase: bool
) -> list[dict[str, Any]]:
    """Phase table: the last step of each phase and the group keys it anneals between."""

    def phase(end_step: float, lr: tuple[str, str], momentum: tuple[str, str]) -> dict[str, Any]:
        return {
            "end_step": end_step,
            "start_lr": lr[0],
            "end_lr": lr[1],
            "start_momentum": momentum[0],
            "end_momentum": momentum[1],
        }

    warmup_end = float(pct_start * total_steps) - 1
    if three_phase:
        return [
            phase(warmup_end, ("initial_lr", "max_lr"), ("max_momentum", "base_momentum")),
            phase(
                float(2 * pct_start * total_steps) - 2,
                ("max_lr", "initial_lr"),
                ("base_momentum", "max_momentum"),
            ),
            phase(total_steps - 1, ("initial_lr", "min_lr"), ("max_momentum", "max_momentum")),
        ]
    return [
        phase(warmup_end, ("initial_lr", "max_lr"), ("max_momentum", "base_momentum")),
        phase(total_steps - 1, ("max_lr", "min_lr"), ("base_momentum", "max_momentum")),
    ]
