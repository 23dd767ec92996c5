import pytest

import ember
from ember import models
from tests.models._helpers import count_params, run_summary

# (factory, inputs) pairs of tiny models; summary must run on each
CASES = {
    "mlp": (lambda: models.MLP([4, 8, 2]), lambda: (ember.randn(2, 4),)),
    "logreg": (lambda: models.LogisticRegression(4, 3), lambda: (ember.randn(2, 4),)),
    "lenet": (lambda: models.LeNet5(), lambda: (ember.randn(2, 1, 28, 28),)),
    "vgg": (lambda: models.vgg_cifar_small(width=4), lambda: (ember.randn(2, 3, 16, 16),)),
    "resnet20": (lambda: models.resnet20(), lambda: (ember.randn(2, 3, 16, 16),)),
    "unet": (lambda: models.UNet(1, 2, depth=2, width=4), lambda: (ember.randn(1, 1, 16, 16),)),
    "conv_ae": (lambda: models.ConvAutoencoder(1, (4, 8)), lambda: (ember.rand(2, 1, 8, 8),)),
    "vae": (lambda: models.VAE(16, (8,), 2), lambda: (ember.rand(2, 16),)),
    "dcgan_g": (lambda: models.Generator(8, 8, 1, 4), lambda: (ember.randn(2, 8),)),
    "dcgan_d": (lambda: models.Discriminator(8, 1, 4), lambda: (ember.randn(2, 1, 8, 8),)),
    "stylegan2_g": (
        lambda: models.StyleGAN2Generator(8, 8, 8, 3, 2, channel_base=32, channel_max=8),
        lambda: (ember.randn(2, 8),),
    ),
    "stylegan2_d": (
        lambda: models.StyleGAN2Discriminator(8, 3, channel_base=32, channel_max=8),
        lambda: (ember.randn(4, 3, 8, 8),),
    ),
    "lstm": (
        lambda: models.LSTMClassifier(2, vocab_size=10, embedding_dim=4, hidden_size=4),
        lambda: (ember.randint(0, 10, (2, 5)),),
    ),
    "transformer": (
        lambda: models.TransformerClassifier(10, 2, d_model=8, nhead=2, num_layers=1),
        lambda: (ember.randint(0, 10, (2, 5)),),
    ),
    "collab": (lambda: models.EmbeddingDotBias(4, 4, 2), lambda: (ember.randint(0, 4, (3, 2)),)),
    "tabular": (
        lambda: models.TabularModel([3], 2, 1, layers=(4,)),
        lambda: (ember.randint(0, 3, (3, 1)), ember.randn(3, 2)),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_summary_runs(name):
    factory, inputs = CASES[name]
    model = factory()
    result = run_summary(model, *inputs())
    assert result.total_params == count_params(model)
