"""The fit/validate/test/predict loops: hook order, limits, logging, modes."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.train import Callback, DataModule, Trainer
from ember.utils.data import DataLoader, TensorDataset
from tests.train.conftest import TinyModule, loaders


class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def __getattribute__(self, name):
        if name.startswith("on_") or name in ("setup", "teardown"):
            calls = object.__getattribute__(self, "calls")
            return lambda trainer, module, *args: calls.append(name)
        return object.__getattribute__(self, name)


def test_loss_goes_down_and_val_improves(tmp_path, quiet):
    ember.manual_seed(0)
    module = TinyModule()
    train, val = loaders()
    trainer = Trainer(max_epochs=8, default_root_dir=str(tmp_path), **quiet)
    first = trainer.validate(module, val, verbose=False)[0]["val_loss"]
    trainer.fit(module, train, val)
    assert trainer.callback_metrics["val_loss"] < 0.6 * first
    assert trainer.current_epoch == 8 and trainer.global_step == 48
    assert module.training  # the loop restores train mode after validation


def test_hook_order_of_one_epoch(tmp_path, quiet):
    module = TinyModule()
    rec = Recorder()
    train, val = loaders(n=32)
    trainer = Trainer(
        max_epochs=1,
        limit_train_batches=1,
        limit_val_batches=1,
        num_sanity_val_steps=1,
        callbacks=[rec],
        logger=False,
        enable_checkpointing=False,
        default_root_dir=str(tmp_path),
        **quiet,
    )
    trainer.fit(module, train, val)
    val_block = [
        "on_validation_start",
        "on_validation_epoch_start",
        "on_validation_batch_start",
        "on_validation_batch_end",
        "on_validation_epoch_end",
        "on_validation_end",
    ]
    assert rec.calls == [
        "setup",
        "on_fit_start",
        "on_sanity_check_start",
        *val_block,
        "on_sanity_check_end",
        "on_train_start",
        "on_train_epoch_start",
        "on_train_batch_start",
        "on_before_backward",
        "on_after_backward",
        "on_before_optimizer_step",
        "on_train_batch_end",
        *val_block,
        "on_train_epoch_end",
        "on_train_end",
        "on_fit_end",
        "teardown",
    ]


class ConstantLogger(TinyModule):
    """Logs each batch's own mean of x[:, 0], to check the sample-weighted epoch mean."""

    def training_step(self, batch, batch_idx):
        x, y = batch
        self.log("batch_mean", x[:, 0].mean(), on_step=False, on_epoch=True)
        self.log("batch_sum", x[:, 0].sum(), on_step=False, on_epoch=True, reduce_fx="sum")
        self.log("batch_max", x[:, 0].max(), on_step=False, on_epoch=True, reduce_fx="max")
        return F.cross_entropy(self(x), y)


def test_epoch_mean_is_weighted_by_batch_size(tmp_path, quiet):
    x = np.arange(10, dtype=np.float32).repeat(4).reshape(10, 4)
    ds = TensorDataset(ember.tensor(x), ember.tensor(np.zeros(10, dtype=np.int64)))
    trainer = Trainer(
        max_epochs=1,
        logger=False,
        enable_checkpointing=False,
        default_root_dir=str(tmp_path),
        **quiet,
    )
    trainer.fit(ConstantLogger(), DataLoader(ds, batch_size=4))  # batches of 4, 4, 2
    assert trainer.callback_metrics["batch_mean"] == pytest.approx(4.5)  # not (1.5+5.5+8.5)/3
    assert trainer.callback_metrics["batch_sum"] == pytest.approx(45.0)
    assert trainer.callback_metrics["batch_max"] == pytest.approx(9.0)


def test_fast_dev_run_runs_one_batch_and_writes_nothing(tmp_path, quiet):
    module = TinyModule()
    train, val = loaders()
    trainer = Trainer(fast_dev_run=True, default_root_dir=str(tmp_path), **quiet)
    trainer.fit(module, train, val)
    assert trainer.global_step == 1 and len(module.losses) == 1
    assert "val_loss" in trainer.callback_metrics
    assert list(tmp_path.iterdir()) == []


def test_overfit_batches_reuses_the_same_unshuffled_batches(tmp_path, quiet):
    seen = []

    class Spy(TinyModule):
        def training_step(self, batch, batch_idx):
            seen.append(batch[1].numpy().tolist())
            return super().training_step(batch, batch_idx)

    train, val = loaders(shuffle=True)
    trainer = Trainer(
        max_epochs=3,
        overfit_batches=2,
        logger=False,
        enable_checkpointing=False,
        default_root_dir=str(tmp_path),
        **quiet,
    )
    trainer.fit(Spy(), train, val)
    assert len(seen) == 6 and seen[0:2] == seen[2:4] == seen[4:6]
    assert seen[0] == train.dataset.tensors[1][:16].numpy().tolist()


def test_limits_and_val_check_interval(tmp_path, quiet):
    rec = Recorder()
    train, val = loaders()
    trainer = Trainer(
        max_epochs=1,
        val_check_interval=0.5,
        limit_val_batches=1,
        num_sanity_val_steps=0,
        callbacks=[rec],
        logger=False,
        enable_checkpointing=False,
        default_root_dir=str(tmp_path),
        **quiet,
    )
    trainer.fit(TinyModule(), train, val)
    assert rec.calls.count("on_validation_start") == 2
    assert rec.calls.count("on_validation_batch_start") == 2
    assert rec.calls.count("on_train_batch_start") == 6

    trainer = Trainer(
        max_epochs=4,
        check_val_every_n_epoch=2,
        limit_train_batches=0.5,
        num_sanity_val_steps=0,
        callbacks=[rec2 := Recorder()],
        logger=False,
        enable_checkpointing=False,
        default_root_dir=str(tmp_path),
        **quiet,
    )
    trainer.fit(TinyModule(), train, val)
    assert rec2.calls.count("on_validation_start") == 2
    assert trainer.global_step == 12


def test_max_steps_and_min_epochs(tmp_path, quiet):
    train, val = loaders()
    trainer = Trainer(
        max_steps=8,
        logger=False,
        enable_checkpointing=False,
        default_root_dir=str(tmp_path),
        **quiet,
    )
    trainer.fit(TinyModule(), train, val)
    assert trainer.global_step == 8 and trainer.current_epoch == 2

    class StopAtOnce(Callback):
        def on_train_epoch_end(self, trainer, module):
            trainer.should_stop = True

    trainer = Trainer(
        max_epochs=10,
        min_epochs=3,
        callbacks=[StopAtOnce()],
        logger=False,
        enable_checkpointing=False,
        default_root_dir=str(tmp_path),
        **quiet,
    )
    trainer.fit(TinyModule(), train, val)
    assert trainer.current_epoch == 3


def test_test_and_predict(tmp_path, quiet):
    module = TinyModule()
    train, val = loaders()
    trainer = Trainer(max_epochs=1, default_root_dir=str(tmp_path), **quiet)
    trainer.fit(module, train, val)
    out = trainer.test(module, val, verbose=False)
    assert list(out[0]) == ["test_loss"] and math.isfinite(out[0]["test_loss"])
    preds = trainer.predict(module, val)
    assert len(preds) == 2 and tuple(preds[0].shape) == (24, 3)
    assert not preds[0].requires_grad
    best = trainer.validate(module, val, ckpt_path="best", verbose=False)
    assert "val_loss" in best[0]
    two = trainer.validate(module, [val, val], verbose=False)
    assert set(two[0]) == {"val_loss/dataloader_idx_0", "val_acc/dataloader_idx_0"}


class Data(DataModule):
    def __init__(self):
        super().__init__()
        self.calls = []

    def prepare_data(self):
        self.calls.append("prepare_data")

    def setup(self, stage):
        self.calls.append(f"setup:{stage}")
        self.train, self.val = loaders()

    def train_dataloader(self):
        return self.train

    def val_dataloader(self):
        return self.val


def test_datamodule(tmp_path, quiet):
    dm = Data()
    trainer = Trainer(
        max_epochs=1,
        logger=False,
        enable_checkpointing=False,
        default_root_dir=str(tmp_path),
        **quiet,
    )
    trainer.fit(TinyModule(), datamodule=dm)
    assert dm.calls == ["prepare_data", "setup:fit"]
    assert "val_loss" in trainer.callback_metrics


def test_errors(tmp_path, quiet):
    train, val = loaders()
    kw = dict(logger=False, default_root_dir=str(tmp_path), **quiet)
    with pytest.raises(TypeError, match="expected a TrainModule"):
        Trainer(**kw).fit(ember.nn.Linear(2, 2), train)

    class NoStep(ember.train.TrainModule):
        def configure_optimizers(self):
            return ember.optim.SGD([ember.nn.Parameter(ember.zeros(1))], lr=0.1)

    with pytest.raises(NotImplementedError, match="training_step"):
        Trainer(max_epochs=1, **kw).fit(NoStep(), train)

    class TwoOpts(TinyModule):
        def configure_optimizers(self):
            return [ember.optim.SGD(self.parameters(), lr=0.1), ember.optim.Adam(self.parameters())]

    with pytest.raises(RuntimeError, match="automatic_optimization = False"):
        Trainer(max_epochs=1, **kw).fit(TwoOpts(), train)

    class BadConfig(TinyModule):
        def configure_optimizers(self):
            return "sgd"

    with pytest.raises(TypeError, match="configure_optimizers"):
        Trainer(max_epochs=1, **kw).fit(BadConfig(), train)
    with pytest.raises(ValueError, match="val_check_interval"):
        Trainer(max_epochs=1, val_check_interval=100, **kw).fit(TinyModule(), train, val)
    with pytest.raises(ValueError, match="gradient_clip_algorithm"):
        Trainer(gradient_clip_algorithm="l3")
    with pytest.raises(ValueError, match="accelerator"):
        Trainer(accelerator="gpu")
    with pytest.raises(RuntimeError, match="outside a Trainer"):
        TinyModule().log("x", 1.0)
