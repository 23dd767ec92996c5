"""StochasticWeightAveraging: average the weights of the last epochs (Izmailov et al., 2018)."""

from __future__ import annotations

import math

from ember.autograd.grad_mode import no_grad
from ember.train.callback import Callback


class StochasticWeightAveraging(Callback):
    """From epoch ``swa_epoch_start`` on, anneal every group's learning rate to ``swa_lrs``
    over ``annealing_epochs`` and keep a running mean of the weights at each epoch end; at the
    end of fit the mean replaces the weights and BatchNorm statistics are recomputed with one
    pass over the training data.

    Args:
        swa_lrs: the SWA learning rate (one float or one per param group).
        swa_epoch_start: first SWA epoch (an int) or a fraction of ``max_epochs``.
        annealing_epochs: epochs to reach ``swa_lrs``.
        annealing_strategy: ``"cos"`` or ``"linear"``.
    """

    def __init__(
        self,
        swa_lrs,
        swa_epoch_start: int | float = 0.8,
        annealing_epochs: int = 10,
        annealing_strategy: str = "cos",
    ):
        if annealing_strategy not in ("cos", "linear"):
            raise ValueError(
                "StochasticWeightAveraging: annealing_strategy must be 'cos' or "
                f"'linear', got {annealing_strategy!r}"
            )
        if annealing_epochs < 1:
            raise ValueError(
                f"StochasticWeightAveraging: annealing_epochs must be >= 1, got {annealing_epochs}"
            )
        self.swa_lrs, self.swa_epoch_start = swa_lrs, swa_epoch_start
        self.annealing_epochs, self.annealing_strategy = annealing_epochs, annealing_strategy
        self.n_averaged = 0
        self._start: int | None = None
        self._initial_lrs: list[float] | None = None
        self._average: list | None = None

    def on_fit_start(self, trainer, module) -> None:
        start = self.swa_epoch_start
        self._start = start if isinstance(start, int) else int(trainer.max_epochs * start)

    def on_train_epoch_start(self, trainer, module) -> None:
        epoch = trainer.current_epoch
        if epoch < self._start:
            return
        groups = trainer.optimizers[0].param_groups
        if self._initial_lrs is None:
            self._initial_lrs = [g["lr"] for g in groups]
        trainer.lr_scheduler_configs = []  # SWA owns the learning rate from here on
        swa_lrs = (
            self.swa_lrs
            if isinstance(self.swa_lrs, (list, tuple))
            else [self.swa_lrs] * len(groups)
        )
        t = min(1.0, (epoch - self._start + 1) / self.annealing_epochs)
        alpha = (1 - math.cos(math.pi * t)) / 2 if self.annealing_strategy == "cos" else t
        for group, lr0, lr in zip(groups, self._initial_lrs, swa_lrs):
            group["lr"] = alpha * lr + (1 - alpha) * lr0

    def on_train_epoch_end(self, trainer, module) -> None:
        if trainer.current_epoch < self._start:
            return
        params = [p.detach() for p in module.parameters()]
        if self._average is None:
            self._average = [p.clone() for p in params]
        else:  # running mean: avg += (p - avg) / (n + 1)
            for avg, p in zip(self._average, params):
                avg.add_((p - avg) / (self.n_averaged + 1))
        self.n_averaged += 1

    def on_fit_end(self, trainer, module) -> None:
        if not self.n_averaged:
            return
        with no_grad():
            for p, avg in zip(module.parameters(), self._average):
                p.copy_(avg)
        self._update_batchnorm(trainer, module)

    @staticmethod
    def _update_batchnorm(trainer, module) -> None:
        """Recompute BatchNorm running statistics for the averaged weights (cumulative mean)."""
        from ember.nn.modules.normalization import _BatchNorm

        norms = [m for m in module.modules() if isinstance(m, _BatchNorm)]
        if not norms or trainer.train_dataloader is None:
            return
        saved = [(m.momentum, m.training) for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None
            m.train()
        with no_grad():
            for batch in trainer.train_dataloader:
                module(batch[0] if isinstance(batch, (list, tuple)) else batch)
        for m, (momentum, training) in zip(norms, saved):
            m.momentum = momentum
            m.train(training)

    def state_dict(self) -> dict:
        return {
            "n_averaged": self.n_averaged,
            "initial_lrs": self._initial_lrs,
            "average": self._average,
        }

    def load_state_dict(self, state_dict: dict) -> None:
        self.n_averaged = state_dict["n_averaged"]
        self._initial_lrs = state_dict["initial_lrs"]
        self._average = state_dict["average"]
