"""TrainModule (a model that knows how to train itself) and DataModule (its data)."""

from __future__ import annotations

import inspect

from ember import nn


def _batch_size_of(batch) -> int:
    """Samples in ``batch``: the length of its first tensor/array, found depth-first."""
    if hasattr(batch, "shape"):
        return int(batch.shape[0]) if len(batch.shape) else 1
    if isinstance(batch, dict):
        batch = list(batch.values())
    if isinstance(batch, (list, tuple)):
        for item in batch:
            n = _batch_size_of(item)
            if n:
                return n
    return 0


class TrainModule(nn.Module):
    """An ``nn.Module`` that defines its own training, evaluation and optimizers.

    Override ``forward``, ``training_step(batch, batch_idx)`` (returns the loss, or a dict
    with ``"loss"``) and ``configure_optimizers()``; optionally ``validation_step``,
    ``test_step``, ``predict_step`` and any hook of :class:`ember.train.Callback` (without
    the ``trainer, module`` arguments). Set ``self.automatic_optimization = False`` to step
    optimizers yourself (GANs): use ``self.optimizers()`` and ``self.manual_backward(loss)``.
    """

    def __init__(self):
        super().__init__()
        self.automatic_optimization = True
        self.trainer = None
        self.hparams: dict = {}
        self.example_input_array = None

    # -- steps -----------------------------------------------------------------------------
    def training_step(self, batch, batch_idx: int):
        raise NotImplementedError(
            f"{type(self).__name__}.training_step(batch, batch_idx) is required by "
            "Trainer.fit: return the loss tensor or a dict with a 'loss' key"
        )

    def predict_step(self, batch, batch_idx: int, dataloader_idx: int = 0):
        """Default: the model applied to the batch (or to its first element)."""
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        return self(batch)

    def configure_optimizers(self):
        raise NotImplementedError(
            f"{type(self).__name__}.configure_optimizers() is required by Trainer.fit: return "
            "an optimizer, a list of them, (optimizers, schedulers) or a dict with keys "
            "'optimizer' and 'lr_scheduler'"
        )

    # -- logging ---------------------------------------------------------------------------
    def log(
        self,
        name: str,
        value,
        on_step: bool | None = None,
        on_epoch: bool | None = None,
        prog_bar: bool = False,
        logger: bool = True,
        batch_size: int | None = None,
        reduce_fx: str = "mean",
    ) -> None:
        """Record a scalar (or a Metric) under ``name``.

        Defaults follow Lightning: in ``training_step`` ``on_step=True, on_epoch=False``; in
        validation/test ``on_step=False, on_epoch=True``. Epoch means weight every batch by
        ``batch_size`` (inferred from the batch when not given).
        """
        trainer = self.trainer
        if trainer is None or trainer._results is None:
            raise RuntimeError(
                f"{type(self).__name__}.log({name!r}) was called outside a Trainer loop"
            )
        training = trainer._stage == "train"
        on_step = training if on_step is None else on_step
        on_epoch = (not training) if on_epoch is None else on_epoch
        if batch_size is None:
            batch_size = trainer._current_batch_size or 1
        trainer._results.log(
            name,
            value,
            on_step=on_step,
            on_epoch=on_epoch,
            prog_bar=prog_bar,
            logger=logger,
            batch_size=batch_size,
            reduce_fx=reduce_fx,
        )

    def log_dict(self, dictionary: dict, **kwargs) -> None:
        for name, value in dictionary.items():
            self.log(name, value, **kwargs)

    def save_hyperparameters(self, *names: str, ignore=()) -> None:
        """Store the caller's ``__init__`` arguments (or the named ones) in ``self.hparams``.

        They are written to checkpoints and to the logger's hyperparameter file.
        """
        frame = inspect.currentframe().f_back
        init_args = dict(frame.f_locals)
        for key in ("self", "__class__", "frame"):
            init_args.pop(key, None)
        if isinstance(ignore, str):
            ignore = (ignore,)
        keys = names or tuple(init_args)
        missing = [k for k in keys if k not in init_args]
        if missing:
            raise ValueError(
                f"save_hyperparameters: {missing} are not arguments of "
                f"{type(self).__name__}.__init__"
            )
        self.hparams.update(
            {
                k: init_args[k]
                for k in keys
                if k not in ignore and not isinstance(init_args[k], nn.Module)
            }
        )

    # -- manual optimization ----------------------------------------------------------------
    def optimizers(self):
        """The configured optimizer(s): one object, or a list when there are several."""
        opts = self._require_trainer("optimizers")._optimizers_for_step()
        return opts[0] if len(opts) == 1 else list(opts)

    def lr_schedulers(self):
        configs = self._require_trainer("lr_schedulers").lr_scheduler_configs
        if not configs:
            return None
        scheds = [c["scheduler"] for c in configs]
        return scheds[0] if len(scheds) == 1 else scheds

    def manual_backward(self, loss, *args, **kwargs) -> None:
        """``loss.backward()`` with the trainer's backward hooks around it."""
        trainer = self._require_trainer("manual_backward")
        trainer._call("on_before_backward", loss)
        loss.backward(*args, **kwargs)
        trainer._call("on_after_backward")

    def _require_trainer(self, what: str):
        if self.trainer is None:
            raise RuntimeError(
                f"{type(self).__name__}.{what}() needs the module to be attached "
                "to a Trainer (call it from inside a training step)"
            )
        return self.trainer


class DataModule:
    """The data of an experiment: download once, split, and build the loaders.

    Override ``prepare_data()`` (download/write files; called once), ``setup(stage)``
    (stage is "fit", "validate", "test" or "predict") and the ``*_dataloader()`` methods.
    """

    def __init__(self):
        self.trainer = None

    def prepare_data(self) -> None:
        """Download or generate files. Runs once, before ``setup``."""

    def setup(self, stage: str) -> None:
        """Build the datasets needed for ``stage``."""

    def teardown(self, stage: str) -> None:
        """Release what ``setup`` made."""

    def train_dataloader(self):
        raise NotImplementedError(f"{type(self).__name__}.train_dataloader() is not defined")

    def val_dataloader(self):
        return None

    def test_dataloader(self):
        raise NotImplementedError(f"{type(self).__name__}.test_dataloader() is not defined")

    def predict_dataloader(self):
        raise NotImplementedError(f"{type(self).__name__}.predict_dataloader() is not defined")

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what :meth:`state_dict` returned."""
