"""ModelCheckpoint: keep the best k checkpoints by a monitored metric, and the latest one.

Two kinds of file, never the same one:
  * ``last.ckpt`` - the most recent training state, rewritten at every save; resume from it
    with ``Trainer.fit(..., ckpt_path="last")``.
  * best checkpoints, named by ``filename`` (e.g. ``epoch=3-val_loss=0.12.ckpt``) - the
    ``save_top_k`` best by ``monitor``; ``best_model_path`` is the best of them. Without a
    ``monitor`` the latest epochs count as best.
Every file is written atomically by ember.save, so a crash never leaves a half-written file.
"""

from __future__ import annotations

import math
import os
import re

from ember.train._warnings import warn_once
from ember.train.callback import Callback

_FIELD = re.compile(r"{([^{}:]+)(:[^{}]*)?}")


class ModelCheckpoint(Callback):
    """Save checkpoints during training.

    Args:
        dirpath: folder of the files (default: ``<log_dir>/checkpoints``).
        filename: template with metric fields, e.g. ``"{epoch}-{val_loss:.2f}"``; each field
            is written as ``name=value`` (default ``"{epoch}-{step}"``).
        monitor: metric deciding which checkpoints are best (None: the latest are best).
        mode: ``"min"`` or ``"max"``.
        save_top_k: best files kept (-1: all, 0: none).
        save_last: also keep ``last.ckpt`` (default True, which ``ckpt_path="last"`` uses).
        every_n_epochs: save after every n-th training epoch (default 1).
        every_n_train_steps: save every n optimizer steps instead (mid-epoch checkpoints).
        save_weights_only: store only the model's state_dict (cannot resume training).
    """

    CHECKPOINT_NAME_LAST = "last"
    FILE_EXTENSION = ".ckpt"

    def __init__(
        self,
        dirpath: str | None = None,
        filename: str | None = None,
        monitor: str | None = None,
        verbose: bool = False,
        save_last: bool | None = True,
        save_top_k: int = 1,
        save_weights_only: bool = False,
        mode: str = "min",
        every_n_train_steps: int | None = None,
        every_n_epochs: int | None = None,
    ):
        if mode not in ("min", "max"):
            raise ValueError(f"ModelCheckpoint: mode must be 'min' or 'max', got {mode!r}")
        if save_top_k < -1:
            raise ValueError(f"ModelCheckpoint: save_top_k must be >= -1, got {save_top_k}")
        if every_n_train_steps and every_n_epochs:
            raise ValueError(
                "ModelCheckpoint: every_n_train_steps and every_n_epochs are mutually exclusive"
            )
        self.dirpath = os.fspath(dirpath) if dirpath is not None else None
        self.filename, self.monitor, self.verbose = filename, monitor, verbose
        self.save_last, self.save_top_k, self.mode = save_last, save_top_k, mode
        self.save_weights_only = save_weights_only
        self.every_n_train_steps = every_n_train_steps or 0
        self.every_n_epochs = 0 if every_n_train_steps else (every_n_epochs or 1)
        self.best_k_models: dict[str, float] = {}
        self.best_model_path = ""
        self.best_model_score: float | None = None
        self.kth_best_model_path = ""
        self.last_model_path = ""

    @property
    def state_key(self) -> str:
        return f"ModelCheckpoint{{monitor={self.monitor!r}, mode={self.mode!r}}}"

    # -- hooks -----------------------------------------------------------------------------
    def setup(self, trainer, module, stage: str) -> None:
        if self.dirpath is None:
            base = trainer.log_dir if trainer.loggers else trainer.default_root_dir
            self.dirpath = os.path.join(base, "checkpoints")

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        n = self.every_n_train_steps
        if n and trainer.global_step and trainer.global_step % n == 0:
            self._save(trainer)

    def on_train_epoch_end(self, trainer, module) -> None:
        n = self.every_n_epochs
        if n and (trainer.current_epoch + 1) % n == 0:
            self._save(trainer)

    # -- saving ----------------------------------------------------------------------------
    def _save(self, trainer) -> None:
        if trainer.fast_dev_run or trainer.sanity_checking or trainer._nonfinite:
            return  # never overwrite the last good checkpoint with a non-finite state
        metrics = dict(trainer.callback_metrics)
        metrics.update(epoch=trainer.current_epoch, step=trainer.global_step)
        if self.save_top_k != 0:
            self._save_top_k(trainer, metrics)
        if self.save_last:
            path = os.path.join(self.dirpath, self.CHECKPOINT_NAME_LAST + self.FILE_EXTENSION)
            self._write(trainer, path)
            self.last_model_path = path

    def _save_top_k(self, trainer, metrics: dict) -> None:
        if self.monitor is None:
            score = float(trainer.global_step)  # the latest is the best
            better = _Better("max")
        else:
            if self.monitor not in metrics:  # e.g. a mid-epoch save before the first validation
                warn_once(
                    "checkpoint-monitor-missing",
                    f"ModelCheckpoint: monitored metric {self.monitor!r} is not logged yet "
                    f"(available: {sorted(metrics)}); only last.ckpt was written",
                )
                return
            score = float(metrics[self.monitor])
            better = _Better(self.mode)
            if math.isnan(score):
                score = math.inf if self.mode == "min" else -math.inf
        k = self.save_top_k
        if k != -1 and len(self.best_k_models) >= k:
            worst = self.kth_best_model_path
            if not better(score, self.best_k_models[worst]):
                return
        path = self._format_path(metrics)
        self._write(trainer, path)
        self.best_k_models[path] = score
        if k != -1 and len(self.best_k_models) > k:
            worst = self._worst(better)
            del self.best_k_models[worst]
            if worst != path and os.path.exists(worst):
                os.remove(worst)
        self.kth_best_model_path = self._worst(better)
        self.best_model_path = min(
            self.best_k_models,
            key=lambda p: self.best_k_models[p] * (1 if better.mode == "min" else -1),
        )
        self.best_model_score = self.best_k_models[self.best_model_path]
        if self.verbose:
            print(f"ModelCheckpoint: saved {path} ({self.monitor or 'step'}={score:.6g})")

    def _worst(self, better) -> str:
        sign = -1 if better.mode == "min" else 1
        return min(self.best_k_models, key=lambda p: self.best_k_models[p] * sign)

    def _write(self, trainer, path: str) -> None:
        if self.save_weights_only:
            from ember.serialization import save

            os.makedirs(self.dirpath, exist_ok=True)
            save({"state_dict": trainer.module.state_dict()}, path)
        else:
            trainer.save_checkpoint(path)

    def format_checkpoint_name(self, metrics: dict) -> str:
        """The file name ``filename`` gives for these metrics, e.g. ``epoch=2-val_loss=0.31``."""
        template = self.filename or "{epoch}-{step}"

        def field(match) -> str:
            name, spec = match.group(1), match.group(2) or ""
            value = metrics.get(name, math.nan)
            return f"{name}={format(value, spec[1:]) if spec else value}"

        return _FIELD.sub(field, template).replace("/", "_")

    def _format_path(self, metrics: dict) -> str:
        name = self.format_checkpoint_name(metrics)
        path = os.path.join(self.dirpath, name + self.FILE_EXTENSION)
        version = 1
        while path in self.best_k_models:
            path = os.path.join(self.dirpath, f"{name}-v{version}{self.FILE_EXTENSION}")
            version += 1
        return path

    def load_best_weights(self, module) -> None:
        """Load the weights of ``best_model_path`` into ``module`` (one call at the end)."""
        if not self.best_model_path:
            raise RuntimeError("ModelCheckpoint.load_best_weights: no checkpoint saved yet")
        from ember.serialization import load

        module.load_state_dict(load(self.best_model_path)["state_dict"])

    def state_dict(self) -> dict:
        return {
            "monitor": self.monitor,
            "dirpath": self.dirpath,
            "best_model_score": self.best_model_score,
            "best_model_path": self.best_model_path,
            "kth_best_model_path": self.kth_best_model_path,
            "best_k_models": dict(self.best_k_models),
            "last_model_path": self.last_model_path,
        }

    def load_state_dict(self, state_dict: dict) -> None:
        if self.dirpath is None:  # default folder: continue in the checkpoint's own folder
            self.dirpath = state_dict["dirpath"]
        if state_dict.get("dirpath") == self.dirpath:
            self.best_k_models = dict(state_dict["best_k_models"])
            self.kth_best_model_path = state_dict["kth_best_model_path"]
        self.best_model_score = state_dict["best_model_score"]
        self.best_model_path = state_dict["best_model_path"]
        self.last_model_path = state_dict["last_model_path"]


class _Better:
    """``better(a, b)``: whether score ``a`` beats ``b`` in this mode."""

    def __init__(self, mode: str):
        self.mode = mode

    def __call__(self, a: float, b: float) -> bool:
        return a < b if self.mode == "min" else a > b
