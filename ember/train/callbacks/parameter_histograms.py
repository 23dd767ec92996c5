"""ParameterHistograms: weight and gradient histograms for loggers that draw histograms."""

from __future__ import annotations

from ember.train.callback import Callback


class ParameterHistograms(Callback):
    """At the end of every ``every_n_epochs``-th training epoch, log a histogram of each
    parameter (``weights/<name>``) and of its last gradient (``gradients/<name>``).

    Histograms go to every logger with a ``log_histogram(tag, values, step)`` method (such
    as :class:`~ember.train.loggers.TensorBoardLogger`), at the trainer's global step. The
    gradient is the one the optimizer saw last in the epoch (after accumulation and
    clipping), copied in ``on_before_optimizer_step`` since ``zero_grad`` clears it.

    Args:
        every_n_epochs: log after epochs ``n, 2n, ...`` (counting from 1).
        gradients: also log gradients.
    """

    def __init__(self, every_n_epochs: int = 1, gradients: bool = True):
        if (
            isinstance(every_n_epochs, bool)
            or not isinstance(every_n_epochs, int)
            or every_n_epochs < 1
        ):
            raise ValueError(
                "ParameterHistograms: every_n_epochs must be a positive int, "
                f"got {every_n_epochs!r}"
            )
        self.every_n_epochs, self.gradients = every_n_epochs, gradients
        self._grads: dict = {}

    def _due(self, trainer) -> bool:
        return (trainer.current_epoch + 1) % self.every_n_epochs == 0

    def on_train_epoch_start(self, trainer, module) -> None:
        self._grads = {}

    def on_before_optimizer_step(self, trainer, module, optimizer) -> None:
        if not (self.gradients and self._due(trainer)):
            return
        for name, param in module.named_parameters():
            if param.grad is not None:
                self._grads[name] = param.grad.detach().clone()

    def on_train_epoch_end(self, trainer, module) -> None:
        loggers = [lg for lg in trainer.loggers if hasattr(lg, "log_histogram")]
        if not (loggers and self._due(trainer)):
            return
        step = trainer.global_step
        tagged = [(f"weights/{name}", p.detach()) for name, p in module.named_parameters()]
        tagged += [(f"gradients/{name}", g) for name, g in self._grads.items()]
        for tag, values in tagged:
            if not bool(values.isfinite().any().item()):
                continue  # nothing to bin; the Trainer reports non-finite values itself
            for lg in loggers:
                lg.log_histogram(tag, values, step)
        self._grads = {}
