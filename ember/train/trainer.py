"""Trainer: the loop every project otherwise writes by hand (fit, validate, test, predict)."""

from __future__ import annotations

import math
import os
import warnings
from collections import deque

from ember.train import _data_setup as data_setup
from ember.train import _loops as loops
from ember.train._checkpoint import dump_checkpoint, find_last_checkpoint, restore_checkpoint
from ember.train._optim_config import ManualOptimizer, parse_optimizers
from ember.train._results import StageResults
from ember.train._warnings import warn_once
from ember.train.seed import seed_everything


class Trainer:
    """Runs a :class:`~ember.train.TrainModule`'s steps with callbacks, loggers and checkpoints.

    Args mirror PyTorch Lightning's: ``max_epochs`` (default 1000 unless ``max_steps`` is
    set), ``max_steps`` (-1: no limit), ``min_epochs``, ``callbacks``, ``logger`` (True:
    a CSVLogger; False: none; a logger or a list), ``default_root_dir`` (logs and checkpoints;
    default: the working directory), ``gradient_clip_val`` and ``gradient_clip_algorithm``
    ("norm" or "value"), ``accumulate_grad_batches``, ``check_val_every_n_epoch``,
    ``val_check_interval`` (fraction of an epoch or a number of batches),
    ``limit_{train,val,test,predict}_batches``, ``overfit_batches``, ``fast_dev_run``,
    ``num_sanity_val_steps``, ``seed`` (calls :func:`seed_everything`), ``deterministic``
    (ember on CPU always is), ``enable_progress_bar``, ``enable_checkpointing``,
    ``enable_model_summary``, ``detect_anomaly``, ``log_every_n_steps``, ``max_time``.
    """

    def __init__(
        self,
        max_epochs: int | None = None,
        max_steps: int = -1,
        min_epochs: int | None = None,
        callbacks=None,
        logger=True,
        default_root_dir: str | None = None,
        gradient_clip_val: float | None = None,
        gradient_clip_algorithm: str = "norm",
        accumulate_grad_batches: int = 1,
        check_val_every_n_epoch: int = 1,
        val_check_interval: int | float = 1.0,
        limit_train_batches: int | float = 1.0,
        limit_val_batches: int | float = 1.0,
        limit_test_batches: int | float = 1.0,
        limit_predict_batches: int | float = 1.0,
        overfit_batches: int | float = 0,
        fast_dev_run: bool | int = False,
        num_sanity_val_steps: int = 2,
        deterministic: bool = False,
        seed: int | None = None,
        enable_progress_bar: bool = True,
        enable_checkpointing: bool = True,
        enable_model_summary: bool = True,
        detect_anomaly: bool = False,
        log_every_n_steps: int = 50,
        max_time=None,
        accelerator: str = "cpu",
        devices="auto",
    ):
        if accelerator not in ("cpu", "auto"):
            raise ValueError(
                f"Trainer: accelerator {accelerator!r} is not available; ember "
                "runs on the CPU (a CuPy backend is planned)"
            )
        if gradient_clip_algorithm not in ("norm", "value"):
            raise ValueError(
                "Trainer: gradient_clip_algorithm must be 'norm' or 'value', got "
                f"{gradient_clip_algorithm!r}"
            )
        if not isinstance(accumulate_grad_batches, int) or accumulate_grad_batches < 1:
            raise ValueError(
                "Trainer: accumulate_grad_batches must be a positive int, got "
                f"{accumulate_grad_batches!r}"
            )
        if seed is not None:
            seed_everything(seed)
        self.deterministic = deterministic
        self.default_root_dir = os.fspath(default_root_dir or os.getcwd())
        self.fast_dev_run = int(fast_dev_run)
        if self.fast_dev_run < 0:
            raise ValueError(
                f"Trainer: fast_dev_run must be a bool or a positive int, got {fast_dev_run!r}"
            )
        if self.fast_dev_run:
            n = self.fast_dev_run
            max_epochs, max_steps, num_sanity_val_steps = 1, n, 0
            limit_train_batches = limit_val_batches = limit_test_batches = n
            limit_predict_batches, val_check_interval = n, 1.0
            logger, enable_checkpointing = False, False
        self.max_steps = max_steps
        self.max_epochs = (1000 if max_steps == -1 else -1) if max_epochs is None else max_epochs
        self.min_epochs = min_epochs or 0
        self.gradient_clip_val = gradient_clip_val
        self.gradient_clip_algorithm = gradient_clip_algorithm
        self.accumulate_grad_batches = accumulate_grad_batches
        self.check_val_every_n_epoch = check_val_every_n_epoch
        self.val_check_interval = val_check_interval
        self.limit_train_batches = limit_train_batches
        self.limit_val_batches = limit_val_batches
        self.limit_test_batches = limit_test_batches
        self.limit_predict_batches = limit_predict_batches
        self.overfit_batches = overfit_batches
        self.num_sanity_val_steps = num_sanity_val_steps
        self.detect_anomaly = detect_anomaly
        self.log_every_n_steps = log_every_n_steps
        self.loggers = _make_loggers(logger, self.default_root_dir)
        self.callbacks = _make_callbacks(
            callbacks, enable_progress_bar, enable_checkpointing, enable_model_summary, max_time
        )
        # run state
        self.module = self.datamodule = self.train_dataloader = None
        self.val_dataloaders, self.test_dataloaders = [], []
        self.optimizers, self.lr_scheduler_configs = [], []
        self.current_epoch = self.global_step = self.batch_in_epoch = 0
        self.should_stop = self.interrupted = False
        self.stop_reason: str | None = None
        self.callback_metrics, self.logged_metrics, self.progress_bar_metrics = {}, {}, {}
        self.num_training_batches: float = 0
        self._stage, self._results, self._train_results = None, None, StageResults()
        self._resume_position = self._epoch_start_rng = None
        self._epoch_done = self._nonfinite = False
        self._current_batch_size = 0
        self._recent_losses: deque = deque(maxlen=20)
        self._val_interval: float = math.inf

    # -- public entry points ---------------------------------------------------------------
    def fit(
        self,
        model,
        train_dataloaders=None,
        val_dataloaders=None,
        datamodule=None,
        ckpt_path: str | None = None,
    ) -> None:
        """Train ``model``; ``ckpt_path`` ("last", "best" or a path) resumes exactly."""
        self._attach(model, datamodule, "fit")
        train = train_dataloaders if train_dataloaders is not None else self._from("train")
        if train is None:
            raise ValueError(
                "Trainer.fit: no training data; pass train_dataloaders, a "
                "datamodule, or define train_dataloader() on the module"
            )
        val = val_dataloaders if val_dataloaders is not None else self._from("val")
        self._set_fit_loaders(train, data_setup.as_loader_list(val))
        if self.val_dataloaders and not self._has_step("validation_step"):
            warn_once(
                "val-loader-without-step",
                f"Trainer.fit: validation loaders were given but {type(model).__name__} "
                "defines no validation_step, so validation is skipped",
            )
        self.optimizers, self.lr_scheduler_configs = parse_optimizers(model.configure_optimizers())
        if model.automatic_optimization and len(self.optimizers) > 1:
            raise RuntimeError(
                "Trainer.fit: configure_optimizers returned several optimizers; with automatic "
                "optimization only one is supported. Set self.automatic_optimization = False in "
                "the module and step them yourself in training_step (see self.optimizers())."
            )
        self._train_results = StageResults()
        self.should_stop = self._nonfinite = False
        if ckpt_path is not None:
            path = self._resolve_ckpt(ckpt_path)
            restore_checkpoint(self, path)
        for lg in self.loggers:
            lg.log_hyperparams(dict(getattr(model, "hparams", {})))
        self._run("fit", lambda: loops.run_fit(self))

    def validate(
        self, model=None, dataloaders=None, ckpt_path=None, datamodule=None, verbose: bool = True
    ) -> list[dict]:
        """Run the validation loop once; returns one dict of metrics per loader."""
        return self._evaluate("validate", model, dataloaders, ckpt_path, datamodule, verbose)

    def test(
        self, model=None, dataloaders=None, ckpt_path=None, datamodule=None, verbose: bool = True
    ) -> list[dict]:
        """Run the test loop once; returns one dict of metrics per loader."""
        return self._evaluate("test", model, dataloaders, ckpt_path, datamodule, verbose)

    def predict(self, model=None, dataloaders=None, datamodule=None, ckpt_path=None):
        """``predict_step`` outputs: a list per loader (just the list for one loader)."""
        model = self._attach(model or self.module, datamodule, "predict")
        loaders = dataloaders if dataloaders is not None else self._from("predict")
        if ckpt_path is not None:
            self._load_weights(ckpt_path)
        return self._run(
            "predict", lambda: loops.run_predict(self, data_setup.as_loader_list(loaders))
        )

    def save_checkpoint(self, filepath: str) -> None:
        """Write the full training state atomically with ember.save (safe to load anywhere)."""
        from ember.serialization import save

        os.makedirs(os.path.dirname(os.path.abspath(filepath)), exist_ok=True)
        save(dump_checkpoint(self), filepath)

    # -- properties ------------------------------------------------------------------------
    @property
    def model(self):
        return self.module

    @property
    def logger(self):
        return self.loggers[0] if self.loggers else None

    @property
    def log_dir(self) -> str:
        return self.logger.log_dir if self.logger is not None else self.default_root_dir

    @property
    def checkpoint_callbacks(self) -> list:
        from ember.train.callbacks.model_checkpoint import ModelCheckpoint

        return [cb for cb in self.callbacks if isinstance(cb, ModelCheckpoint)]

    @property
    def checkpoint_callback(self):
        cbs = self.checkpoint_callbacks
        return cbs[0] if cbs else None

    @property
    def early_stopping_callback(self):
        from ember.train.callbacks.early_stopping import EarlyStopping

        return next((cb for cb in self.callbacks if isinstance(cb, EarlyStopping)), None)

    @property
    def sanity_checking(self) -> bool:
        return self._stage == "sanity_check"

    @property
    def training(self) -> bool:
        return self._stage == "train"

    @property
    def running_loss(self) -> float:
        """Mean of the last 20 training losses (what the progress bar shows)."""
        r = self._recent_losses
        return sum(r) / len(r) if r else math.nan

    @property
    def num_val_batches(self) -> list:
        return [
            data_setup.limited_batches(d, self.limit_val_batches, "limit_val_batches")
            for d in self.val_dataloaders
        ]

    @property
    def estimated_stepping_batches(self) -> float:
        """Optimizer steps the whole fit will take (for OneCycleLR's total_steps)."""
        per_epoch = math.ceil(self.num_training_batches / self.accumulate_grad_batches)
        total = per_epoch * self.max_epochs if self.max_epochs > 0 else math.inf
        return min(total, self.max_steps) if self.max_steps != -1 else total

    # -- loop services (used by _loops, callbacks and TrainModule) --------------------------
    def _call(self, hook: str, *args):
        """Run ``hook`` on the module (if it defines it), then on every callback."""
        out = None
        fn = getattr(self.module, hook, None) if hook not in ("setup", "teardown") else None
        if fn is not None:
            out = fn(*args)
        for cb in self.callbacks:
            getattr(cb, hook)(self, self.module, *args)
        return out

    def _has_step(self, name: str) -> bool:
        return callable(getattr(self.module, name, None))

    def _fit_done(self) -> bool:
        if self._nonfinite or self._max_steps_reached():
            return True
        if 0 <= self.max_epochs <= self.current_epoch:
            return True
        if self.should_stop:
            if self.current_epoch >= self.min_epochs:
                return True
            self.should_stop = False
        return False

    def _max_steps_reached(self) -> bool:
        return self.max_steps != -1 and self.global_step >= self.max_steps

    def _val_due(self, batches_done) -> bool:
        if not self.val_dataloaders or not self._has_step("validation_step"):
            return False
        if (self.current_epoch + 1) % self.check_val_every_n_epoch:
            return False
        if batches_done is None:
            return self._val_interval == math.inf
        at_end = batches_done == self.num_training_batches and isinstance(
            self.val_check_interval, float
        )
        return batches_done % self._val_interval == 0 or at_end

    def _accumulation_group(self, batch_idx: int) -> tuple[int, bool]:
        """(batches in this accumulation group, whether this batch closes it)."""
        n = self.accumulate_grad_batches
        start = batch_idx // n * n
        size = (
            n
            if self.num_training_batches == math.inf
            else min(n, int(self.num_training_batches) - start)
        )
        return size, batch_idx - start + 1 == size

    def _clip_gradients(self) -> None:
        if not self.gradient_clip_val:
            return
        from ember.nn.utils import clip_grad_norm_, clip_grad_value_

        params = [p for g in self.optimizers[0].param_groups for p in g["params"]]
        if self.gradient_clip_algorithm == "norm":
            clip_grad_norm_(params, self.gradient_clip_val)
        else:
            clip_grad_value_(params, self.gradient_clip_val)

    def _record_loss(self, value: float) -> None:
        self._recent_losses.append(value)

    def _stop_on_nonfinite(self, value: float, batch_idx: int) -> None:
        self._nonfinite = self.should_stop = True
        self.stop_reason = (
            f"the training loss is {value} at epoch {self.current_epoch}, global step "
            f"{self.global_step} (batch {batch_idx}); training stopped and no checkpoint was "
            "written after this step. Run Trainer(detect_anomaly=True) to name the operation "
            "that produced it."
        )
        for opt in self.optimizers:
            opt.zero_grad()
        warnings.warn(f"Trainer: {self.stop_reason}", RuntimeWarning, stacklevel=2)

    def _log_step_metrics(self) -> None:
        res = self._results
        self.callback_metrics.update(res.step_metrics)
        self.progress_bar_metrics.update(res.step_prog_bar)
        due = self.global_step % max(1, self.log_every_n_steps) == 0
        metrics = res.take_step_logger_metrics()
        if metrics and due:
            self._send_to_loggers(metrics)

    def _publish(self, values: dict, bar: dict, log: dict) -> None:
        self.callback_metrics.update(values)
        self.progress_bar_metrics.update(bar)
        self.logged_metrics.update(log)
        if log:
            self._send_to_loggers(log)

    def _send_to_loggers(self, metrics: dict) -> None:
        row = {**metrics, "epoch": self.current_epoch}
        for lg in self.loggers:
            lg.log_metrics(row, step=self.global_step)

    def _optimizers_for_step(self) -> list:
        if self.module.automatic_optimization:
            return self.optimizers
        return [ManualOptimizer(o, self) for o in self.optimizers]

    # -- setup -----------------------------------------------------------------------------
    def _attach(self, model, datamodule, stage: str):
        if model is None:
            raise ValueError(f"Trainer.{stage}: no model given and none attached by fit()")
        from ember.train.module import TrainModule

        if not isinstance(model, TrainModule):
            raise TypeError(
                f"Trainer.{stage}: expected a TrainModule, got "
                f"{type(model).__name__} (wrap a plain nn.Module in a Learner)"
            )
        self.module, model.trainer = model, self
        if datamodule is not None:
            self.datamodule, datamodule.trainer = datamodule, self
            datamodule.prepare_data()
            datamodule.setup(stage)
        return model

    def _from(self, kind: str):
        """A loader from the datamodule, else from the module's ``*_dataloader`` method."""
        for owner in (self.datamodule, self.module):
            fn = getattr(owner, f"{kind}_dataloader", None)
            if callable(fn):
                return fn()
        return None

    def _set_fit_loaders(self, train, val: list) -> None:
        if self.overfit_batches:
            train = data_setup.sequential_copy(train)
            self.limit_train_batches = self.limit_val_batches = self.overfit_batches
        self.train_dataloader, self.val_dataloaders = train, val
        self.num_training_batches = data_setup.limited_batches(
            train, self.limit_train_batches, "limit_train_batches"
        )
        interval = self.val_check_interval
        if isinstance(interval, float):
            n = self.num_training_batches
            self._val_interval = math.inf if n == math.inf else max(1, int(n * interval))
        else:
            if interval > self.num_training_batches:
                raise ValueError(
                    f"Trainer: val_check_interval={interval} must not exceed the "
                    f"{self.num_training_batches} training batches per epoch"
                )
            self._val_interval = interval

    def _resolve_ckpt(self, ckpt_path: str) -> str:
        if ckpt_path == "last":
            return find_last_checkpoint(self)
        if ckpt_path == "best":
            cb = self.checkpoint_callback
            if cb is None or not cb.best_model_path:
                raise ValueError("ckpt_path='best': no ModelCheckpoint has saved a best model")
            return cb.best_model_path
        if not os.path.exists(ckpt_path):
            raise FileNotFoundError(f"checkpoint {ckpt_path!r} does not exist")
        return ckpt_path

    def _load_weights(self, ckpt_path: str) -> None:
        from ember.serialization import load

        ckpt = load(self._resolve_ckpt(ckpt_path))
        self.module.load_state_dict(ckpt["state_dict"] if "state_dict" in ckpt else ckpt)

    def _evaluate(self, stage, model, dataloaders, ckpt_path, datamodule, verbose):
        model = self._attach(model or self.module, datamodule, stage)
        loaders = (
            dataloaders
            if dataloaders is not None
            else self._from("test" if stage == "test" else "val")
        )
        loaders = data_setup.as_loader_list(loaders)
        if not loaders:
            raise ValueError(f"Trainer.{stage}: no dataloaders given")
        if ckpt_path is not None:
            self._load_weights(ckpt_path)
        limit = self.limit_test_batches if stage == "test" else self.limit_val_batches
        results = self._run(stage, lambda: loops.run_evaluation(self, stage, loaders, limit))
        if verbose:
            _print_results(stage, results)
        return results

    def _run(self, stage: str, fn):
        """Set up callbacks, run ``fn`` (under anomaly detection if asked), tear down."""
        import contextlib

        from ember.autograd.anomaly import detect_anomaly

        self._call("setup", stage)
        status = "success"
        try:
            with detect_anomaly() if self.detect_anomaly else contextlib.nullcontext():
                return fn()
        except KeyboardInterrupt as exc:
            status, self.interrupted = "interrupted", True
            self._call("on_exception", exc)
            warnings.warn("Trainer: interrupted by the user (KeyboardInterrupt)", stacklevel=2)
        except BaseException as exc:
            status = "failed"
            if hasattr(exc, "add_note"):
                exc.add_note(
                    f"ember Trainer: raised during {stage} at epoch "
                    f"{self.current_epoch}, global step {self.global_step}"
                )
            self._call("on_exception", exc)
            raise
        finally:
            for lg in self.loggers:
                lg.finalize(status)
            self._call("teardown", stage)
            if self.datamodule is not None:
                self.datamodule.teardown(stage)


def _make_loggers(logger, root: str) -> list:
    if logger is False or logger is None:
        return []
    if logger is True:
        from ember.train.loggers.csv_logger import CSVLogger

        return [CSVLogger(root)]
    return list(logger) if isinstance(logger, (list, tuple)) else [logger]


def _make_callbacks(callbacks, progress: bool, checkpointing: bool, summary: bool, max_time):
    from ember.train.callbacks import ModelCheckpoint, ModelSummary, ProgressBar, Timer

    cbs = list(callbacks or [])
    if progress and not any(isinstance(c, ProgressBar) for c in cbs):
        cbs.append(ProgressBar())
    if summary and not any(isinstance(c, ModelSummary) for c in cbs):
        cbs.append(ModelSummary())
    if max_time is not None:
        cbs.append(Timer(max_time))
    if checkpointing and not any(isinstance(c, ModelCheckpoint) for c in cbs):
        cbs.append(ModelCheckpoint())
    # checkpoints last, so the state they save includes what the other callbacks did this step
    return [c for c in cbs if not isinstance(c, ModelCheckpoint)] + [
        c for c in cbs if isinstance(c, ModelCheckpoint)
    ]


def _print_results(stage: str, results: list[dict]) -> None:
    for i, metrics in enumerate(results):
        title = f"{stage} metrics" + (f" (dataloader {i})" if len(results) > 1 else "")
        print(title)
        for key, value in metrics.items():
            print(f"  {key:<30} {value:.6g}")
