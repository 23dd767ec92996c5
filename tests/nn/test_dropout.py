"""Dropout: seeded masks reproduce, mask statistics, train/eval, channel dropout, errors."""

import numpy as np
import pytest

import ember
from ember.nn import functional as F
from ember.nn import modules as nn


def test_manual_seed_reproduces_the_mask():
    x = ember.ones(50, 40)
    ember.manual_seed(3)
    a = F.dropout(x, 0.3)
    ember.manual_seed(3)
    b = F.dropout(x, 0.3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_mask_statistics_and_scaling():
    ember.manual_seed(0)
    out = F.dropout(ember.ones(200, 500), 0.3).numpy()
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((out == 0).mean() - 0.3) < 0.01
    assert abs(out.mean() - 1.0) < 0.02


def test_gradient_is_the_mask():
    ember.manual_seed(1)
    x = ember.ones(30, 30, requires_grad=True)
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_train_and_eval():
    m = nn.Dropout(0.5)
    x = ember.randn(10, 10)
    assert not np.array_equal(m(x).numpy(), x.numpy())
    m.eval()
    assert m(x) is x or np.array_equal(m(x).numpy(), x.numpy())
    assert F.dropout(x, 0.5, training=False) is x
    assert np.all(F.dropout(x, 1.0).numpy() == 0)
    assert repr(nn.Dropout(0.2, inplace=True)) == "Dropout(p=0.2, inplace=True)"


def test_inplace():
    ember.manual_seed(2)
    x = ember.ones(8, 8)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x and np.any(x.numpy() == 0)


def test_channel_dropout_zeroes_whole_channels():
    ember.manual_seed(0)
    y = F.dropout2d(ember.ones(6, 8, 3, 3), 0.5).numpy()
    per_channel = y.reshape(6, 8, 9)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0 < (per_channel == 0).all(-1).mean() < 1
    y1 = F.dropout1d(ember.ones(4, 8, 5), 0.5).numpy()
    assert np.all((y1 == 0).all(-1) | (y1 == 2).all(-1))
    y_unbatched = F.dropout2d(ember.ones(8, 3, 3), 0.5).numpy()
    assert np.all((y_unbatched == 0).all((1, 2)) | (y_unbatched == 2).all((1, 2)))
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        F.dropout1d(ember.ones(2, 2, 2, 2))
    assert tuple(nn.Dropout1d()(ember.ones(3, 4)).shape) == (3, 4)


def test_alpha_dropout_keeps_mean_and_variance():
    ember.manual_seed(0)
    x = ember.randn(400_000)
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01
    m = nn.AlphaDropout(0.2).eval()
    np.testing.assert_array_equal(m(x).numpy(), x.numpy())


def test_invalid_p():
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="but got -0.1"):
        F.dropout(ember.ones(2), -0.1)
