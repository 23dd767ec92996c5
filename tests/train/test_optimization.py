"""Optimization inside the loop: accumulation, clipping, schedulers, manual steps, NaN guard."""

from __future__ import annotations

import gc
import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
import ember.optim.lr_scheduler
from ember import nn
from ember.train import ModelCheckpoint, Trainer, TrainModule
from ember.utils.data import DataLoader, TensorDataset
from tests.train.conftest import TinyModule, loaders, make_data


def _weights(module):
    return [p.detach().numpy().copy() for p in module.parameters()]


def _fit(module, loader, tmp_path, **kw):
    trainer = Trainer(
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=str(tmp_path),
        **kw,
    )
    trainer.fit(module, loader)
    return trainer


class PlainSGD(TinyModule):
    def configure_optimizers(self):
        return ember.optim.SGD(self.parameters(), lr=0.5)


def _dataset(n):
    x, y = make_data(n)
    return TensorDataset(ember.tensor(x), ember.tensor(y))


def test_gradient_accumulation_equals_a_larger_batch(tmp_path):
    ember.manual_seed(0)
    a = PlainSGD()
    b = PlainSGD()
    b.load_state_dict(a.state_dict())
    ds = _dataset(64)
    _fit(a, DataLoader(ds, batch_size=8), tmp_path, max_epochs=2, accumulate_grad_batches=4)
    _fit(b, DataLoader(ds, batch_size=32), tmp_path, max_epochs=2)
    for wa, wb in zip(_weights(a), _weights(b)):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


def test_last_partial_accumulation_group_is_scaled_by_its_own_size(tmp_path):
    # 40 samples, batches of 8 -> 5 batches; accumulating 2: groups (0,1) (2,3) (4)
    ember.manual_seed(0)
    a = PlainSGD()
    b = PlainSGD()
    b.load_state_dict(a.state_dict())
    ds = _dataset(40)
    trainer = _fit(
        a, DataLoader(ds, batch_size=8), tmp_path, max_epochs=1, accumulate_grad_batches=2
    )
    assert trainer.global_step == 3
    # the same updates by hand: mean loss over 16, 16, then 8 samples
    opt = ember.optim.SGD(b.parameters(), lr=0.5)
    x, y = ds.tensors
    for lo, hi in ((0, 16), (16, 32), (32, 40)):
        opt.zero_grad()
        F.cross_entropy(b(x[lo:hi]), y[lo:hi]).backward()
        opt.step()
    for wa, wb in zip(_weights(a), _weights(b)):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


class NormSpy(ember.optim.SGD):
    norms: list

    def step(self, closure=None):
        grads = [p.grad.numpy() for g in self.param_groups for p in g["params"]]
        self.norms.append(math.sqrt(sum(float((gr.astype(np.float64) ** 2).sum()) for gr in grads)))
        self.max_abs = max(getattr(self, "max_abs", 0.0), max(abs(gr).max() for gr in grads))
        return super().step(closure)


class Spied(TinyModule):
    def configure_optimizers(self):
        self.opt = NormSpy(self.parameters(), lr=1.0)
        self.opt.norms = []
        return self.opt


@pytest.mark.parametrize("algorithm", ["norm", "value"])
def test_gradient_clipping_bounds_the_gradient(tmp_path, algorithm):
    module = Spied()
    train, _ = loaders()
    _fit(
        module,
        train,
        tmp_path,
        max_epochs=2,
        gradient_clip_val=0.05,
        gradient_clip_algorithm=algorithm,
    )
    if algorithm == "norm":
        assert max(module.opt.norms) <= 0.05 * (1 + 1e-5)
    else:
        assert module.opt.max_abs <= 0.05


class Scheduled(TinyModule):
    def __init__(self, kind):
        super().__init__()
        self.kind = kind
        self.lrs = []

    def training_step(self, batch, batch_idx):
        self.lrs.append(self.trainer.optimizers[0].param_groups[0]["lr"])
        return super().training_step(batch, batch_idx)

    def configure_optimizers(self):
        opt = ember.optim.SGD(self.parameters(), lr=1.0)
        if self.kind == "step":
            sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
            return {
                "optimizer": opt,
                "lr_scheduler": {"scheduler": sched, "interval": "step", "frequency": 2},
            }
        if self.kind == "epoch":
            return [opt], [ember.optim.lr_scheduler.ExponentialLR(opt, gamma=0.1)]
        sched = ember.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.5)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "constant"}}

    def validation_step(self, batch, batch_idx):
        self.log("constant", 1.0)


@pytest.mark.parametrize("kind", ["step", "epoch", "plateau"])
def test_scheduler_intervals(tmp_path, kind):
    module = Scheduled(kind)
    train, val = loaders(n=48)  # 3 batches per epoch
    trainer = Trainer(
        max_epochs=2,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        default_root_dir=str(tmp_path),
    )
    trainer.fit(module, train, val)
    expected = {
        "step": [1, 1, 0.5, 0.5, 0.25, 0.25],
        "epoch": [1, 1, 1, 0.1, 0.1, 0.1],
        "plateau": [1, 1, 1, 1, 1, 1],
    }[kind]
    np.testing.assert_allclose(module.lrs, expected)
    if kind == "plateau":  # no improvement at epoch 1 -> halved after it
        assert trainer.optimizers[0].param_groups[0]["lr"] == 0.5


class GAN(TrainModule):
    """Two optimizers stepped by hand (manual optimization)."""

    def __init__(self):
        super().__init__()
        self.automatic_optimization = False
        self.g = nn.Linear(2, 4)
        self.d = nn.Linear(4, 1)

    def training_step(self, batch, batch_idx):
        real = batch[0]
        opt_g, opt_d = self.optimizers()
        fake = self.g(ember.randn(real.shape[0], 2))
        d_loss = (F.softplus(-self.d(real)) + F.softplus(self.d(fake.detach()))).mean()
        opt_d.zero_grad()
        self.manual_backward(d_loss)
        opt_d.step()
        g_loss = F.softplus(-self.d(fake)).mean()
        opt_g.zero_grad()
        self.manual_backward(g_loss)
        opt_g.step()
        self.log("d_loss", d_loss, prog_bar=True)

    def configure_optimizers(self):
        return [
            ember.optim.Adam(self.g.parameters(), lr=1e-2),
            ember.optim.Adam(self.d.parameters(), lr=1e-2),
        ]


def test_manual_optimization_with_two_optimizers(tmp_path):
    module = GAN()
    before = _weights(module)
    data = TensorDataset(ember.randn(32, 4) + 3)
    trainer = _fit(module, DataLoader(data, batch_size=8), tmp_path, max_epochs=1)
    assert trainer.global_step == 8  # two optimizer steps per batch
    assert all(not np.array_equal(a, b) for a, b in zip(before, _weights(module)))


class GoesNaN(TinyModule):
    def training_step(self, batch, batch_idx):
        loss = super().training_step(batch, batch_idx)
        return loss * math.nan if self.trainer.global_step == 3 else loss


def test_nonfinite_loss_stops_and_keeps_last_good_checkpoint(tmp_path):
    module = GoesNaN()
    train, _ = loaders()
    trainer = Trainer(
        max_epochs=3,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=str(tmp_path),
        callbacks=[ModelCheckpoint(dirpath=str(tmp_path), every_n_train_steps=1)],
    )
    with pytest.warns(RuntimeWarning, match=r"nan at epoch 0, global step 3"):
        trainer.fit(module, train)
    assert trainer.global_step == 3 and "detect_anomaly=True" in trainer.stop_reason
    ckpt = ember.load(str(tmp_path / "last.ckpt"))
    assert ckpt["global_step"] == 3
    assert all(np.isfinite(v.numpy()).all() for v in ckpt["state_dict"].values())
    assert all(np.isfinite(w).all() for w in _weights(module))


def test_detect_anomaly_names_the_op_epoch_and_step(tmp_path):
    class LogOfNegative(TinyModule):
        def training_step(self, batch, batch_idx):
            return (self(batch[0]).sum() * 0 - 1).log()

    train, _ = loaders()
    with pytest.raises(RuntimeError) as info:
        _fit(LogOfNegative(), train, tmp_path, max_epochs=1, detect_anomaly=True)
    text = str(info.value) + "".join(getattr(info.value, "__notes__", []))
    assert "Log" in text and "epoch 0, global step 0" in text


def _rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096


def test_memory_stays_flat_over_epochs(tmp_path):
    module = TinyModule()
    train, val = loaders(n=256)
    trainer = Trainer(
        max_epochs=5,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=str(tmp_path),
    )
    trainer.fit(module, train, val)
    gc.collect()
    tensors_before = sum(isinstance(o, ember.Tensor) for o in gc.get_objects())
    rss_before = _rss_bytes()
    trainer = Trainer(
        max_epochs=40,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=str(tmp_path),
    )
    trainer.fit(module, train, val)
    module.losses.clear()
    gc.collect()
    tensors_after = sum(isinstance(o, ember.Tensor) for o in gc.get_objects())
    assert tensors_after <= tensors_before + 50
    assert _rss_bytes() - rss_before < 8 * 2**20
