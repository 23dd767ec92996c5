import pytest

import ember
from ember.models import Discriminator, Generator
from ember.models.dcgan import dcgan_layout
from ember.nn import functional as F
from tests.models._helpers import assert_step_reduces_loss


@pytest.mark.parametrize(("size", "layout"), [(8, (4, 1)), (28, (7, 2)), (32, (4, 3))])
def test_shapes(size, layout):
    assert dcgan_layout(size) == layout
    g = Generator(latent_dim=8, image_size=size, channels=1, base_width=4)
    d = Discriminator(image_size=size, channels=1, base_width=4)
    img = g(ember.randn(2, 8))
    assert img.shape == (2, 1, size, size)
    assert img.abs().max().item() <= 1.0  # tanh output
    assert g(ember.randn(2, 8, 1, 1)).shape == (2, 1, size, size)
    assert d(img).shape == (2,)


def test_training_steps():
    ember.manual_seed(0)
    g = Generator(latent_dim=8, image_size=8, channels=3, base_width=4)
    d = Discriminator(image_size=8, channels=3, base_width=4)
    z, real = ember.randn(4, 8), ember.rand(4, 3, 8, 8) * 2 - 1
    ones, zeros = ember.ones(4), ember.zeros(4)

    def d_loss():
        fake = g(z).detach()
        return F.binary_cross_entropy_with_logits(
            d(real), ones
        ) + F.binary_cross_entropy_with_logits(d(fake), zeros)

    assert_step_reduces_loss(d, d_loss, lr=0.05)
    g_loss = lambda: F.binary_cross_entropy_with_logits(d(g(z)), ones)  # noqa: E731
    assert_step_reduces_loss(g, g_loss, lr=0.05, params=g.parameters())


def test_errors():
    with pytest.raises(ValueError, match="image_size"):
        Generator(image_size=9)
    with pytest.raises(ValueError, match=r"latent_dim=8\): expected z"):
        Generator(latent_dim=8, image_size=8)(ember.randn(2, 7))
    with pytest.raises(ValueError, match=r"Discriminator: expected input of shape \(N, 3, 8, 8\)"):
        Discriminator(image_size=8)(ember.randn(2, 3, 16, 16))
