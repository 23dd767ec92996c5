import numpy as np
import pytest

import ember
from ember.models import (
    StyleGAN2Discriminator,
    StyleGAN2Generator,
    discriminator_loss,
    generator_loss,
    r1_penalty,
)
from ember.models._stylegan2_layers import MappingNetwork, ModulatedConv2d, NoiseInjection
from ember.models.stylegan2 import minibatch_stddev
from ember.nn import functional as F
from tests.models._helpers import assert_step_reduces_loss


def _tiny_pair(res=8, channels=3):
    g = StyleGAN2Generator(
        z_dim=8, w_dim=8, img_resolution=res, img_channels=channels, mapping_layers=2,
        channel_base=32, channel_max=8,
    )  # fmt: skip
    d = StyleGAN2Discriminator(
        img_resolution=res, img_channels=channels, channel_base=32, channel_max=8,
        mbstd_group_size=2,
    )  # fmt: skip
    return g, d


def test_shapes_and_layout():
    ember.manual_seed(0)
    g, d = _tiny_pair(res=16)
    img = g(ember.randn(4, 8))
    assert img.shape == (4, 3, 16, 16)
    assert len(g.blocks) == 2 and len(d.blocks) == 2  # 8x8 and 16x16 blocks
    assert d(img).shape == (4,)
    assert MappingNetwork(8, 6, num_layers=3)(ember.randn(5, 8)).shape == (5, 6)


def test_modulated_conv_matches_per_sample_convolution():
    ember.manual_seed(0)
    conv = ModulatedConv2d(3, 4, 3, style_dim=5)
    x, w = ember.randn(2, 3, 6, 6), ember.randn(2, 5)
    out = conv(x, w)
    styles = conv.modulation(w)
    for n in range(2):
        wn = conv.weight[0] * conv.scale * styles[n].reshape(1, 3, 1, 1)
        wn = wn / (wn.pow(2).sum(dim=(1, 2, 3), keepdim=True) + 1e-8).sqrt()
        ref = F.conv2d(x[n : n + 1], wn, padding=1)
        np.testing.assert_allclose(out[n : n + 1].detach().numpy(), ref.detach().numpy(), atol=1e-5)
    up = ModulatedConv2d(3, 2, 3, style_dim=5, upsample=True, demodulate=False)
    assert up(x, w).shape == (2, 2, 12, 12)


def test_noise_injection_strength_is_learned_per_channel():
    layer = NoiseInjection(3, 4)
    x = ember.zeros(2, 3, 4, 4)
    assert layer.weight.shape == (1, 3, 1, 1)
    np.testing.assert_array_equal(layer(x).detach().numpy(), 0)  # zero strength at init
    layer(x).pow(2).sum().backward()
    assert layer.weight.grad is not None
    with ember.no_grad():
        layer.weight.fill_(1.0)
    const = layer(x, noise_mode="const")
    np.testing.assert_allclose(const[1, 2].detach().numpy(), layer.noise_const[0, 0].numpy())
    np.testing.assert_array_equal(layer(x, noise_mode="none").detach().numpy(), 0)
    with pytest.raises(ValueError, match="noise_mode"):
        layer(x, noise_mode="fixed")


def test_truncation_psi_zero_collapses_to_average_w():
    ember.manual_seed(0)
    g, _ = _tiny_pair()
    g.train()
    g(ember.randn(4, 8))  # updates the running w average
    assert g.w_avg.abs().sum().item() > 0
    g.eval()
    img = g(ember.randn(3, 8), truncation_psi=0.0, noise_mode="const")
    np.testing.assert_allclose(img[0].detach().numpy(), img[2].detach().numpy(), atol=1e-5)


def test_minibatch_stddev():
    x = ember.randn(4, 6, 2, 2)
    out = minibatch_stddev(x, group_size=2, num_channels=1)
    assert out.shape == (4, 7, 2, 2)
    # samples 0 and 2 form a group (i = j mod N/G)
    a = x.numpy()
    expected = np.sqrt(a[[0, 2]].var(axis=0) + 1e-8).mean()
    np.testing.assert_allclose(out[0, 6].numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(out[2, 6].numpy(), expected, rtol=1e-5)
    with pytest.raises(ValueError, match="divisible"):
        minibatch_stddev(ember.randn(3, 6, 2, 2), group_size=2)


def test_generator_step_lowers_nonsaturating_loss():
    ember.manual_seed(0)
    g, d = _tiny_pair()
    z = ember.randn(4, 8)
    loss = lambda: generator_loss(d(g(z, noise_mode="const")))  # noqa: E731
    assert_step_reduces_loss(g, loss, lr=0.05, params=g.parameters())


def test_discriminator_step_with_r1():
    ember.manual_seed(0)
    g, d = _tiny_pair()
    real = ember.rand(4, 3, 8, 8) * 2 - 1
    with ember.no_grad():
        fake = g(ember.randn(4, 8))
    gamma = 1.0

    def loss():
        return discriminator_loss(d(real), d(fake)) + gamma / 2 * r1_penalty(d, real)

    assert_step_reduces_loss(d, loss, lr=0.05)


def test_losses_match_formulas():
    real, fake = ember.tensor([1.0, -2.0]), ember.tensor([0.5, 3.0])
    sp = lambda v: np.log1p(np.exp(v))  # noqa: E731
    assert np.isclose(generator_loss(fake).item(), sp(-fake.numpy()).mean(), rtol=1e-6)
    expected = sp(fake.numpy()).mean() + sp(-real.numpy()).mean()
    assert np.isclose(discriminator_loss(real, fake).item(), expected, rtol=1e-6)


def _r1_value(d, real):
    return r1_penalty(d, real).item()


def test_r1_gradient_matches_finite_differences():
    ember.manual_seed(0)
    d = StyleGAN2Discriminator(
        img_resolution=8, img_channels=1, channel_base=16, channel_max=2, mbstd_group_size=2
    ).double()
    real = ember.randn(2, 1, 8, 8, dtype=ember.float64)
    d.zero_grad()
    r1_penalty(d, real).backward()
    rng = np.random.default_rng(0)
    eps, checked, nonzero = 1e-6, 0, 0
    for name, p in d.named_parameters():
        # biases feed piecewise-linear activations, so R1 (a function of the slopes only)
        # is locally constant in them: a zero (or absent) gradient is the right answer there
        grad = np.zeros(p.numel()) if p.grad is None else p.grad.numpy().reshape(-1)
        if name.endswith("weight"):
            assert np.abs(grad).sum() > 0, f"R1 gives no gradient to {name}"
        for i in rng.choice(p.numel(), size=min(2, p.numel()), replace=False):
            flat = p.data.reshape(-1)
            orig = flat[i].item()
            with ember.no_grad():
                flat[i] = orig + eps
                plus = _r1_value(d, real)
                flat[i] = orig - eps
                minus = _r1_value(d, real)
                flat[i] = orig
            numeric = (plus - minus) / (2 * eps)
            assert np.isclose(grad[i], numeric, rtol=1e-4, atol=1e-7), (name, grad[i], numeric)
            checked += 1
            nonzero += abs(numeric) > 1e-6
    assert checked >= 15 and nonzero >= 8
