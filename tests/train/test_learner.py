"""Learner: the short form on a plain nn.Module, built on the Trainer."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from ember import nn
from ember.train import Learner
from tests.train.conftest import loaders


def _accuracy(out, y):
    return (out.argmax(1) == y).float().mean()


def _learner(tmp_path, **kw):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 3))
    return Learner(
        model,
        loaders(),
        nn.CrossEntropyLoss(),
        metrics=[_accuracy],
        lr=1e-2,
        default_root_dir=str(tmp_path),
        enable_progress_bar=False,
        logger=False,
        enable_checkpointing=False,
        **kw,
    )


def test_fit_records_history_and_improves(tmp_path):
    learn = _learner(tmp_path)
    before = learn.validate()["val_loss"]
    history = learn.fit(3)
    learn.fit(2)  # continues with the same optimizer
    assert [r["epoch"] for r in history] == [0, 1, 2, 3, 4]
    assert history[-1]["val_loss"] < 0.7 * before
    assert 0 <= history[-1]["val__accuracy"] <= 1
    assert learn.opt.state[learn.model[0].weight]["step"].item() == 30


def test_fit_one_cycle_follows_the_1cycle_schedule(tmp_path):
    learn = _learner(tmp_path)
    used = []
    learn.opt.register_step_pre_hook(
        lambda opt, args, kwargs: used.append(opt.param_groups[0]["lr"])
    )
    learn.fit_one_cycle(2, max_lr=0.05)
    # 12 steps: warm up from max_lr/25 to max_lr, anneal to max_lr/25/1e5
    assert len(used) == 12 and max(used) == pytest.approx(0.05)
    assert used[0] == pytest.approx(0.05 / 25) and used[-1] == pytest.approx(0.05 / 25 / 1e5)
    assert learn.history[-1]["val_loss"] < 1.0


def test_lr_find_restores_weights_and_suggests_a_rate(tmp_path):
    learn = _learner(tmp_path)
    w = learn.model[0].weight.detach().numpy().copy()
    result = learn.lr_find(num_it=40, plot_path=str(tmp_path / "lr.png"))
    assert len(result.lrs) == len(result.losses) >= 10
    assert 1e-7 <= result.suggestion() <= 10
    assert np.all(np.diff(result.lrs) > 0)
    np.testing.assert_array_equal(learn.model[0].weight.detach().numpy(), w)
    assert learn.opt.param_groups[0]["lr"] == 1e-2 and not learn.opt.state
    assert (tmp_path / "lr.png").stat().st_size > 0


def test_predict_and_show_results(tmp_path, capsys):
    learn = _learner(tmp_path)
    train, val = loaders()
    x = val.dataset.tensors[0][:5]
    assert tuple(learn.predict(x).shape) == (5, 3)
    assert tuple(learn.predict(val).shape) == (48, 3)
    assert learn.model.training
    xs, preds, ys = learn.show_results(n=4)
    assert len(preds) == 4 and "target" in capsys.readouterr().out


def test_learner_errors():
    with pytest.raises(ValueError, match="loss_func"):
        Learner(nn.Linear(2, 2), loaders())
    with pytest.raises(ValueError, match="train_loader"):
        Learner(nn.Linear(2, 2), loss_func=nn.MSELoss())
