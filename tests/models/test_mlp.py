import numpy as np
import pytest

import ember
from ember import nn
from ember.models import MLP, LogisticRegression
from ember.nn import functional as F
from tests.models._helpers import assert_step_reduces_loss


def test_mlp_shape_and_layers():
    m = MLP([6, 8, 5, 3], activation="gelu", dropout=0.2, batchnorm=True)
    assert m(ember.randn(4, 6)).shape == (4, 3)
    kinds = [type(layer) for layer in m.layers]
    assert kinds == [
        nn.Linear, nn.BatchNorm1d, nn.GELU, nn.Dropout,
        nn.Linear, nn.BatchNorm1d, nn.GELU, nn.Dropout, nn.Linear,
    ]  # fmt: skip
    # the output layer is plain; an output activation can be appended
    assert isinstance(MLP([2, 3], output_activation="sigmoid").layers[-1], nn.Sigmoid)
    assert MLP([5, 2])(ember.randn(3, 7, 5)).shape == (3, 7, 2)


def test_mlp_activation_class_and_errors():
    assert isinstance(MLP([2, 4, 1], activation=nn.Tanh).layers[1], nn.Tanh)
    with pytest.raises(ValueError, match="MLP: activation must be one of"):
        MLP([2, 4, 1], activation="swishy")
    with pytest.raises(ValueError, match="at least two"):
        MLP([3])
    with pytest.raises(ValueError, match="expected last dimension 4"):
        MLP([4, 2])(ember.randn(2, 5))


def test_mlp_training_step():
    ember.manual_seed(0)
    m = MLP([5, 16, 3], dropout=0.1, batchnorm=True)
    x, y = ember.randn(8, 5), ember.randint(0, 3, (8,))
    assert_step_reduces_loss(m, lambda: F.cross_entropy(m(x), y), lr=0.1)


def test_logistic_regression_binary():
    ember.manual_seed(0)
    m = LogisticRegression(4)
    x = ember.randn(10, 4)
    y = (x[:, 0] > 0).float()
    assert m(x).shape == (10, 1)
    p = m.predict_proba(x)
    assert ((p > 0) & (p < 1)).all().item()
    expected = F.binary_cross_entropy_with_logits(m(x).reshape(-1), y)
    assert np.isclose(m.loss(m(x), y).item(), expected.item())
    assert_step_reduces_loss(m, lambda: m.loss(m(x), y), lr=0.5)


def test_logistic_regression_multinomial():
    ember.manual_seed(0)
    m = LogisticRegression(4, num_classes=3)
    x, y = ember.randn(10, 4), ember.randint(0, 3, (10,))
    assert m(x).shape == (10, 3)
    np.testing.assert_allclose(m.predict_proba(x).sum(dim=1).detach().numpy(), 1.0, rtol=1e-5)
    assert_step_reduces_loss(m, lambda: m.loss(m(x), y), lr=0.5)
    with pytest.raises(ValueError, match="LogisticRegression"):
        LogisticRegression(0)
