"""Exact resume: an interrupted run continued from its checkpoint equals an uninterrupted one."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember.train import Callback, ModelCheckpoint, Trainer, seed_everything
from tests.train.conftest import TinyModule, loaders


class CrashAt(Callback):
    """Simulate a crash (an exception) right after global step ``step``."""

    def __init__(self, step: int):
        self.step = step

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
        if trainer.global_step == self.step:
            raise RuntimeError("simulated crash")


def _run(
    root, *, crash=None, ckpt_path=None, every_n_train_steps=None, num_workers=0, max_epochs=4
):
    seed_everything(7)
    module = TinyModule(dropout=0.2, optimizer="adam", lr=0.01)
    train, val = loaders(noisy=True, num_workers=num_workers)
    callbacks = [ModelCheckpoint(dirpath=str(root), every_n_train_steps=every_n_train_steps)]
    if crash is not None:
        callbacks.append(CrashAt(crash))
    trainer = Trainer(
        max_epochs=max_epochs,
        default_root_dir=str(root),
        callbacks=callbacks,
        enable_progress_bar=False,
        enable_model_summary=False,
        logger=False,
    )
    if crash is not None:
        with pytest.raises(RuntimeError, match="simulated crash"):
            trainer.fit(module, train, val, ckpt_path=ckpt_path)
    else:
        trainer.fit(module, train, val, ckpt_path=ckpt_path)
    return module, trainer


def _same_weights(a, b) -> bool:
    return all(
        np.array_equal(p.detach().numpy(), q.detach().numpy())
        for p, q in zip(a.parameters(), b.parameters())
    )


# 6 batches per epoch. A crash at step 12 (last batch of epoch 1) comes before that epoch's
# checkpoint, so the newest one is the end of epoch 0 (step 6); with a checkpoint every step, a
# crash at step 9 (mid-epoch 1) leaves the checkpoint of step 8.
@pytest.mark.parametrize(
    "crash_step, every_n, resumed_from",
    [(12, None, 6), (9, 1, 8)],
    ids=["end_of_epoch", "mid_epoch"],
)
def test_resume_is_bit_exact(tmp_path, crash_step, every_n, resumed_from):
    full, full_trainer = _run(tmp_path / "full", every_n_train_steps=every_n)
    _run(tmp_path / "resumed", crash=crash_step, every_n_train_steps=every_n)
    seed_everything(12345)  # the resumed process starts from a different global RNG state
    ember.randn(10)
    resumed, trainer = _run(tmp_path / "resumed", ckpt_path="last", every_n_train_steps=every_n)
    assert resumed.losses == full.losses[resumed_from:]
    assert _same_weights(resumed, full)
    assert trainer.global_step == full_trainer.global_step == 24
    assert trainer.callback_metrics["val_loss"] == full_trainer.callback_metrics["val_loss"]
    assert (
        trainer.callback_metrics["train_loss_epoch"]
        == full_trainer.callback_metrics["train_loss_epoch"]
    )


def test_resume_mid_epoch_with_worker_processes(tmp_path):
    full, _ = _run(tmp_path / "full", every_n_train_steps=1, num_workers=2, max_epochs=2)
    _run(tmp_path / "resumed", crash=8, every_n_train_steps=1, num_workers=2, max_epochs=2)
    resumed, _ = _run(
        tmp_path / "resumed", ckpt_path="last", every_n_train_steps=1, num_workers=2, max_epochs=2
    )
    assert resumed.losses == full.losses[7:]
    assert _same_weights(resumed, full)


def test_checkpoint_holds_full_state(tmp_path):
    _, trainer = _run(tmp_path, max_epochs=1)
    ckpt = ember.load(trainer.checkpoint_callback.last_model_path)
    assert ckpt["epoch"] == 1 and ckpt["global_step"] == 6 and ckpt["batch_in_epoch"] == 0
    assert set(ckpt["rng"]) == {"ember", "numpy", "python", "generators"}
    assert ckpt["optimizer_states"][0]["param_groups"][0]["lr"] == 0.01
    assert ckpt["hyper_parameters"]["dropout"] == 0.2


def test_ckpt_path_last_without_checkpoint_is_a_clear_error(tmp_path):
    module = TinyModule()
    train, _ = loaders()
    trainer = Trainer(
        max_epochs=1,
        default_root_dir=str(tmp_path),
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    with pytest.raises(FileNotFoundError, match="last"):
        trainer.fit(module, train, ckpt_path="last")


def test_plain_weights_file_is_refused_as_checkpoint(tmp_path):
    module = TinyModule()
    path = tmp_path / "weights.ckpt"
    ember.save(module.state_dict(), str(path))
    train, _ = loaders()
    trainer = Trainer(
        max_epochs=1,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=str(tmp_path),
    )
    with pytest.raises(ValueError, match="not an ember Trainer checkpoint"):
        trainer.fit(module, train, ckpt_path=str(path))
