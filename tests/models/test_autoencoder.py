import numpy as np
import pytest

import ember
from ember import nn
from ember.models import Autoencoder, ConvAutoencoder, MLPAutoencoder
from ember.nn import functional as F
from tests.models._helpers import assert_step_reduces_loss


def test_mlp_autoencoder_shapes_and_training():
    ember.manual_seed(0)
    m = MLPAutoencoder(16, hidden_sizes=(8,), latent_dim=3, output_activation="sigmoid")
    x = ember.rand(4, 1, 4, 4)
    assert m(x).shape == x.shape
    assert m.encode(x).shape == (4, 3)
    assert m.decode(ember.randn(4, 3)).shape == (4, 16)
    assert_step_reduces_loss(m, lambda: F.mse_loss(m(x), x), lr=1.0)


def test_conv_autoencoder_shapes_and_training():
    ember.manual_seed(0)
    m = ConvAutoencoder(in_channels=1, channels=(4, 8))
    x = ember.rand(2, 1, 8, 8)
    assert m(x).shape == x.shape
    assert m.encoder(x).shape == (2, 8, 2, 2)
    assert_step_reduces_loss(m, lambda: F.mse_loss(m(x), x), lr=1.0)
    with pytest.raises(ValueError, match="divisible by 4"):
        m(ember.rand(2, 1, 6, 6))


def test_frozen_encoder_transfer_learning():
    ember.manual_seed(0)
    ae = ConvAutoencoder(in_channels=1, channels=(4, 8))
    encoder = ae.freeze_encoder()
    assert not encoder.training
    assert all(not p.requires_grad for p in encoder.parameters())
    clf = nn.Sequential(encoder, nn.Flatten(), nn.Linear(8 * 2 * 2, 3))
    x, y = ember.rand(4, 1, 8, 8), ember.randint(0, 3, (4,))
    frozen = [p.detach().clone() for p in encoder.parameters()]
    assert_step_reduces_loss(clf, lambda: F.cross_entropy(clf(x), y), lr=0.5)
    for before, p in zip(frozen, encoder.parameters()):
        assert p.grad is None
        np.testing.assert_array_equal(before.numpy(), p.detach().numpy())


def test_generic_autoencoder():
    m = Autoencoder(nn.Linear(5, 2), nn.Linear(2, 5))
    assert m(ember.randn(3, 5)).shape == (3, 5)
