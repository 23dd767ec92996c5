"""Built-in callbacks, loggers and warnings."""

from __future__ import annotations

import io
import json
import os
import warnings

import numpy as np
import pytest

import ember
from ember.train import (
    CSVLogger,
    EarlyStopping,
    GradientAccumulationScheduler,
    LambdaCallback,
    LearningRateMonitor,
    ModelCheckpoint,
    ProgressBar,
    StochasticWeightAveraging,
    Timer,
    Trainer,
    silence_warnings,
)
from ember.train._warnings import EmberTrainWarning, reset_warnings, warn_once
from ember.train.loggers import read_metrics_csv
from tests.train.conftest import TinyModule, loaders


class Scripted(TinyModule):
    """Logs a scripted ``score`` at each validation (one per epoch)."""

    def __init__(self, scores):
        super().__init__()
        self.scores = list(scores)
        self.snapshots = []

    def validation_step(self, batch, batch_idx):
        self.log("score", self.scores[self.trainer.current_epoch])

    def on_train_epoch_end(self):
        self.snapshots.append([p.detach().numpy().copy() for p in self.parameters()])


def _trainer(tmp_path, **kw):
    kw.setdefault("logger", False)
    return Trainer(
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        default_root_dir=str(tmp_path),
        **kw,
    )


def test_early_stopping_stops_at_the_right_epoch(tmp_path):
    # best at epoch 1 (0.5); epochs 2, 3 do not improve by min_delta=0.1 -> stop after epoch 3
    module = Scripted([1.0, 0.5, 0.45, 0.6, 0.1, 0.1])
    es = EarlyStopping(monitor="score", patience=2, min_delta=0.1)
    trainer = _trainer(tmp_path, max_epochs=6, callbacks=[es], enable_checkpointing=False)
    trainer.fit(module, *loaders())
    assert trainer.current_epoch == 4 and es.stopped_epoch == 3
    assert es.best_score == 0.5 and "did not improve" in es.stopping_reason


@pytest.mark.parametrize(
    "scores, best_epoch",
    [([3, 1, 2, 2.5, 2.6], 1), ([3, 2, 1.5, 1, 0.5], 4)],
    ids=["stopped_early", "ran_to_the_end"],
)
def test_restore_best_weights(tmp_path, scores, best_epoch):
    module = Scripted(scores)
    es = EarlyStopping(monitor="score", patience=2, restore_best_weights=True)
    _trainer(tmp_path, max_epochs=5, callbacks=[es], enable_checkpointing=False).fit(
        module, *loaders()
    )
    for p, best in zip(module.parameters(), module.snapshots[best_epoch]):
        np.testing.assert_array_equal(p.detach().numpy(), best)


def test_early_stopping_thresholds_and_errors(tmp_path):
    es = EarlyStopping(monitor="score", stopping_threshold=0.2, mode="min")
    trainer = _trainer(tmp_path, max_epochs=5, callbacks=[es], enable_checkpointing=False)
    trainer.fit(Scripted([1, 0.1, 0.05, 0, 0]), *loaders())
    assert trainer.current_epoch == 2 and "stopping threshold" in es.stopping_reason
    es = EarlyStopping(monitor="score", divergence_threshold=10.0, mode="min")
    trainer = _trainer(tmp_path, max_epochs=5, callbacks=[es], enable_checkpointing=False)
    trainer.fit(Scripted([1, 50, 1, 1, 1]), *loaders())
    assert trainer.current_epoch == 2 and "divergence" in es.stopping_reason
    es = EarlyStopping(monitor="score")
    trainer = _trainer(tmp_path, max_epochs=5, callbacks=[es], enable_checkpointing=False)
    trainer.fit(Scripted([1, float("nan"), 1, 1, 1]), *loaders())
    assert trainer.current_epoch == 2 and "not finite" in es.stopping_reason
    with pytest.raises(RuntimeError, match="'missing' is not logged"):
        _trainer(
            tmp_path,
            max_epochs=1,
            callbacks=[EarlyStopping(monitor="missing")],
            enable_checkpointing=False,
        ).fit(Scripted([1]), *loaders())
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")


def test_model_checkpoint_keeps_top_k_and_a_separate_last(tmp_path):
    scores = [0.9, 0.3, 0.5, 0.2, 0.8]
    ckpt = ModelCheckpoint(
        dirpath=str(tmp_path / "ck"), monitor="score", save_top_k=2, filename="{epoch}-{score:.2f}"
    )
    trainer = _trainer(tmp_path, max_epochs=5, callbacks=[ckpt])
    module = Scripted(scores)
    trainer.fit(module, *loaders())
    files = sorted(os.listdir(tmp_path / "ck"))
    assert files == ["epoch=1-score=0.30.ckpt", "epoch=3-score=0.20.ckpt", "last.ckpt"]
    assert ckpt.best_model_path.endswith("epoch=3-score=0.20.ckpt")
    assert ckpt.best_model_score == pytest.approx(0.2)
    assert ember.load(ckpt.last_model_path)["epoch"] == 5
    best = ember.load(ckpt.best_model_path)
    assert best["epoch"] == 4  # saved after epoch index 3 completed
    for v, w in zip(best["state_dict"].values(), module.snapshots[3]):
        np.testing.assert_array_equal(v.numpy(), w)
    ckpt.load_best_weights(module)
    np.testing.assert_array_equal(module.net[0].weight.detach().numpy(), module.snapshots[3][0])


def test_model_checkpoint_max_mode_and_keep_all(tmp_path):
    ckpt = ModelCheckpoint(
        dirpath=str(tmp_path), monitor="score", mode="max", save_top_k=-1, save_last=False
    )
    _trainer(tmp_path, max_epochs=3, callbacks=[ckpt]).fit(Scripted([1, 3, 2]), *loaders())
    assert len(os.listdir(tmp_path)) == 3 and "epoch=1" in ckpt.best_model_path


def test_lr_monitor_logs_every_step(tmp_path):
    class WithSched(TinyModule):
        def configure_optimizers(self):
            opt = ember.optim.SGD(self.parameters(), lr=1.0, momentum=0.9)
            import ember.optim.lr_scheduler as sch

            return {
                "optimizer": opt,
                "lr_scheduler": {"scheduler": sch.StepLR(opt, 1, gamma=0.5), "interval": "step"},
            }

    mon = LearningRateMonitor(logging_interval="step", log_momentum=True)
    _trainer(tmp_path, max_epochs=1, callbacks=[mon], enable_checkpointing=False).fit(
        WithSched(), loaders(n=48)[0]
    )
    assert mon.lrs["lr-SGD"] == [1.0, 0.5, 0.25]
    assert mon.lrs["momentum-SGD"] == [0.9] * 3


def test_gradient_accumulation_scheduler(tmp_path):
    sched = GradientAccumulationScheduler({1: 3})
    trainer = _trainer(tmp_path, max_epochs=2, callbacks=[sched], enable_checkpointing=False)
    trainer.fit(TinyModule(), loaders()[0])  # 6 batches: 6 steps, then 2
    assert trainer.global_step == 8 and sched.factor(0) == 1


def test_timer_and_lambda_callback(tmp_path):
    calls = []
    cb = LambdaCallback(on_train_epoch_end=lambda t, m: calls.append(t.current_epoch))
    trainer = _trainer(
        tmp_path, max_epochs=50, callbacks=[Timer(duration=0), cb], enable_checkpointing=False
    )
    trainer.fit(TinyModule(), loaders()[0])
    assert trainer.global_step == 1 and calls == [0] and "Timer" in trainer.stop_reason
    with pytest.raises(TypeError, match="unknown hooks"):
        LambdaCallback(on_banana=print)
    with pytest.raises(ValueError, match="DD:HH:MM:SS"):
        Timer("12 hours")


def test_stochastic_weight_averaging_averages_epoch_end_weights(tmp_path):
    module = Scripted([0] * 4)
    swa = StochasticWeightAveraging(swa_lrs=0.05, swa_epoch_start=2, annealing_epochs=1)
    _trainer(tmp_path, max_epochs=4, callbacks=[swa], enable_checkpointing=False).fit(
        module, *loaders()
    )
    expected = [(a + b) / 2 for a, b in zip(module.snapshots[2], module.snapshots[3])]
    for p, e in zip(module.parameters(), expected):
        np.testing.assert_allclose(p.detach().numpy(), e, rtol=1e-6, atol=1e-7)
    assert swa.n_averaged == 2


def test_progress_bar_prints_one_line_per_epoch_off_terminal(tmp_path):
    stream = io.StringIO()
    trainer = Trainer(
        max_epochs=3,
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        callbacks=[ProgressBar(stream=stream)],
        default_root_dir=str(tmp_path),
    )
    trainer.fit(TinyModule(), *loaders())
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3 and "\r" not in stream.getvalue()
    assert lines[0].startswith("epoch 1/3: 6 batches, loss ") and "val_loss" in lines[0]
    assert "it/s" in lines[2]


def test_csv_logger_writes_metrics_and_hparams(tmp_path):
    logger = CSVLogger(str(tmp_path))
    trainer = _trainer(
        tmp_path, max_epochs=2, logger=logger, log_every_n_steps=1, enable_checkpointing=False
    )
    trainer.fit(TinyModule(lr=0.05), *loaders())
    assert logger.log_dir == str(tmp_path / "ember_logs" / "version_0")
    rows = read_metrics_csv(logger.metrics_file_path)
    epochs = [r for r in rows if "val_loss" in r]
    assert len(epochs) == 2 and [r["epoch"] for r in epochs] == [0, 1]
    assert sum("train_loss_step" in r for r in rows) == 12
    hp = json.loads((tmp_path / "ember_logs" / "version_0" / "hparams.json").read_text())
    assert hp["lr"] == 0.05 and hp["hidden"] == 16
    assert CSVLogger(str(tmp_path)).version == 1


def test_warnings_are_emitted_once_with_an_id_and_can_be_silenced():
    reset_warnings()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn_once("demo-id", "something odd")
        warn_once("demo-id", "something odd")
        silence_warnings("other-id")
        warn_once("other-id", "never shown")
    assert len(caught) == 1 and "[ember warning id: demo-id]" in str(caught[0].message)
    assert caught[0].category is EmberTrainWarning


def test_model_summary_at_fit_start(tmp_path, capsys):
    from ember.train import ModelSummary

    module = TinyModule()
    _trainer(tmp_path, max_epochs=1, callbacks=[ModelSummary()], enable_checkpointing=False).fit(
        module, loaders()[0]
    )
    text = capsys.readouterr().out
    assert "Sequential" in text and "131 trainable params" in text
    module.example_input_array = ember.zeros(2, 4)
    cb = ModelSummary(max_depth=2)
    _trainer(tmp_path, max_epochs=1, callbacks=[cb], enable_checkpointing=False).fit(
        module, loaders()[0]
    )
    assert "Linear" in cb.text and "(2, 16)" in cb.text.replace("[", "(").replace("]", ")")
