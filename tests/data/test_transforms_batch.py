"""Mixup, CutMix and test-time augmentation."""

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.transforms as T


def _batch(n=6, seed=0):
    x = ember.tensor(np.random.default_rng(seed).random((n, 3, 8, 8)).astype(np.float32))
    return x, ember.tensor(np.arange(n) % 4)


def test_mixup_formula_and_targets():
    x, y = _batch()
    mix = T.Mixup(alpha=0.4, num_classes=4)
    ember.manual_seed(0)
    xm, ym = mix(x, y)
    ember.manual_seed(0)
    lam, perm = mix._draw(6)
    assert lam == mix.lam and 0 <= lam <= 1
    np.testing.assert_allclose(xm.numpy(), lam * x.numpy() + (1 - lam) * x.numpy()[perm], rtol=1e-6)
    onehot = np.eye(4)[y.numpy()]
    np.testing.assert_allclose(ym.numpy(), lam * onehot + (1 - lam) * onehot[perm], rtol=1e-6)
    np.testing.assert_allclose(ym.numpy().sum(axis=1), 1.0, rtol=1e-6)
    assert ym.dtype == ember.float32 and xm.shape == x.shape


def test_mixup_soft_targets_and_errors():
    x, y = _batch()
    soft = ember.tensor(np.eye(4, dtype=np.float32)[y.numpy()])
    _, ym = T.Mixup(1.0)(x, soft)  # one-hot targets need no num_classes
    np.testing.assert_allclose(ym.numpy().sum(axis=1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="num_classes"):
        T.Mixup(1.0)(x, y)
    with pytest.raises(ValueError, match="alpha"):
        T.Mixup(0.0)
    with pytest.raises(IndexError, match="labels"):
        T.Mixup(1.0, num_classes=3)(x, y)
    with pytest.raises(ValueError, match="shapes"):
        T.Mixup(1.0, num_classes=4)(x, y[:3])


def test_cutmix_box_area_matches_lambda():
    x, y = _batch()
    cut = T.CutMix(alpha=1.0, num_classes=4)
    for seed in range(8):
        ember.manual_seed(seed)
        xm, ym = cut(x, y)
        ember.manual_seed(seed)
        _, perm = cut._draw(6)
        top, bottom, left, right = cut.box
        area = (bottom - top) * (right - left)
        assert cut.lam == pytest.approx(1 - area / 64)
        inside = np.zeros((8, 8), bool)
        inside[top:bottom, left:right] = True
        got, src = xm.numpy(), x.numpy()
        np.testing.assert_array_equal(got[:, :, inside], src[perm][:, :, inside])
        np.testing.assert_array_equal(got[:, :, ~inside], src[:, :, ~inside])
        np.testing.assert_allclose(ym.numpy().sum(axis=1), 1.0, rtol=1e-6)
        onehot = np.eye(4)[y.numpy()]
        expect = cut.lam * onehot + (1 - cut.lam) * onehot[perm]
        np.testing.assert_allclose(ym.numpy(), expect, rtol=1e-6)
    with pytest.raises(ValueError, match="N, C, H, W"):
        cut(ember.zeros(6, 8), y)


def test_batch_mix_reproducible():
    x, y = _batch()
    ember.manual_seed(1)
    a = T.CutMix(1.0, 4)(x, y)[0].numpy()
    ember.manual_seed(1)
    np.testing.assert_array_equal(T.CutMix(1.0, 4)(x, y)[0].numpy(), a)


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(3 * 8 * 8, 2)

    def forward(self, x):
        return self.fc(self.drop(x.reshape(x.shape[0], -1)))


def test_tta_averages_in_eval_mode_and_restores():
    ember.manual_seed(0)
    net = _Net()
    x, _ = _batch(4)
    flip = T.RandomHorizontalFlip(p=1.0)
    out = T.tta(net, x, [flip])
    assert net.training and net.drop.training  # restored
    assert not out.requires_grad
    net.eval()
    with ember.no_grad():
        expect = (net(x).numpy() + net(flip(x)).numpy()) / 2
        flipped = net(flip(x)).numpy()
    np.testing.assert_allclose(out.numpy(), expect, rtol=1e-5, atol=1e-6)
    only = T.tta(net, x, [flip], include_original=False)
    np.testing.assert_allclose(only.numpy(), flipped, rtol=1e-5, atol=1e-6)
    assert not net.training  # an eval-mode model stays in eval mode
    with pytest.raises(ValueError, match="tta"):
        T.tta(net, x, [], include_original=False)
