"""Normalization layers: buffers, state_dict keys, repr, train/eval, errors, double backward."""

import numpy as np
import pytest

import ember
from ember.autograd import gradgradcheck
from ember.nn import functional as F
from ember.nn import modules as nn


def test_batchnorm_buffers_and_state_dict_keys():
    bn = nn.BatchNorm2d(4)
    assert list(bn.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert bn.num_batches_tracked.dtype == ember.int64
    assert np.all(bn.running_var.numpy() == 1) and np.all(bn.running_mean.numpy() == 0)
    no_track = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert list(no_track.state_dict()) == []
    assert no_track.running_mean is None and no_track.weight is None


def test_repr_strings():
    assert repr(nn.BatchNorm2d(16)) == (
        "BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    assert repr(nn.InstanceNorm1d(3, affine=True)) == (
        "InstanceNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=False)"
    )
    assert repr(nn.LayerNorm(8)) == "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)"
    assert repr(nn.GroupNorm(2, 4)) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert list(nn.BatchNorm1d(3, bias=False).state_dict())[:2] == ["weight", "running_mean"]
    assert repr(nn.LocalResponseNorm(3)) == "LocalResponseNorm(3, alpha=0.0001, beta=0.75, k=1.0)"


def test_batchnorm_train_updates_and_eval_uses_running_stats():
    ember.manual_seed(0)
    bn = nn.BatchNorm1d(3)
    x = ember.randn(8, 3) * 2 + 1
    y = bn(x)
    assert int(bn.num_batches_tracked) == 1
    np.testing.assert_allclose(y.detach().numpy().mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * x.numpy().mean(0), rtol=1e-5)
    bn.eval()
    y_eval = bn(x)
    expected = (x.numpy() - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + 1e-5)
    np.testing.assert_allclose(y_eval.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    assert int(bn.num_batches_tracked) == 1  # eval does not count batches


def test_batchnorm_running_update_bumps_versions_and_handles_expanded_buffers():
    bn = nn.BatchNorm2d(3)
    x = ember.randn(4, 3, 2, 2)
    versions = bn.running_mean._version, bn.running_var._version
    bn(x)
    assert (bn.running_mean._version, bn.running_var._version) == (versions[0] + 1, versions[1] + 1)
    n = x.numel() // 3
    var = x.numpy().var(axis=(0, 2, 3)) * n / (n - 1)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * var, rtol=1e-5)
    # a float64 running buffer fed float32 statistics keeps its dtype
    stats = ember.zeros(3, dtype=ember.float64)
    F.batch_norm(x, stats, None, training=True)
    assert stats.dtype == ember.float64
    np.testing.assert_allclose(stats.numpy(), 0.1 * x.numpy().mean(axis=(0, 2, 3)), rtol=1e-5)
    # an expanded (read-only) buffer is refused as the in-place ops refuse it
    expanded = ember.zeros(1).expand(3)
    with pytest.raises(RuntimeError, match="expanded"):
        F.batch_norm(x, expanded, None, training=True)


def test_batchnorm_momentum_none_is_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None)
    xs = [ember.randn(5, 2) for _ in range(3)]
    for x in xs:
        bn(x)
    means = np.stack([x.numpy().mean(0) for x in xs])
    np.testing.assert_allclose(bn.running_mean.numpy(), means.mean(0), rtol=1e-5, atol=1e-6)


def test_batchnorm_errors_name_the_layer_and_shape():
    with pytest.raises(
        RuntimeError,
        match=r"BatchNorm2d\(16, \.\.\.\): expected input with 16 "
        r"channels, got input of shape \(8, 3, 32, 32\)",
    ):
        nn.BatchNorm2d(16)(ember.randn(8, 3, 32, 32))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(ember.randn(2, 3))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        nn.BatchNorm1d(3)(ember.randn(1, 3))
    with pytest.raises(RuntimeError, match="expected input with trailing shape"):
        nn.LayerNorm(4)(ember.randn(2, 3))
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(3, 4)


def test_layer_norm_error_message_matches_torch():
    with pytest.raises(
        RuntimeError,
        match=r"Given normalized_shape=\[4\], expected input with "
        r"shape \[\*, 4\], but got input of size\[2, 3\]",
    ):
        F.layer_norm(ember.randn(2, 3), [4])


def test_float32_stays_float32_and_float64_stays_float64():
    for dt in (ember.float32, ember.float64):
        bn = nn.BatchNorm2d(2).to(dt)
        assert bn(ember.randn(3, 2, 2, 2, dtype=dt)).dtype == dt
        assert bn.running_var.dtype == dt


def test_batchnorm_double_backward_through_module():
    x = ember.randn(4, 3, dtype=ember.float64, requires_grad=True)
    w = ember.rand(3, dtype=ember.float64, requires_grad=True)
    assert gradgradcheck(lambda a, b: F.batch_norm(a, None, None, b, None, True), [x, w])


def test_instance_norm_unbatched_and_running_stats():
    m = nn.InstanceNorm1d(3, track_running_stats=True)
    assert list(m.state_dict()) == ["running_mean", "running_var", "num_batches_tracked"]
    y = m(ember.randn(3, 5))  # unbatched (C, L)
    assert tuple(y.shape) == (3, 5)
    assert not np.allclose(m.running_mean.numpy(), 0)
    m.eval()
    m(ember.randn(2, 3, 5))


def test_layer_norm_without_bias():
    m = nn.LayerNorm([2, 3], bias=False)
    assert list(m.state_dict()) == ["weight"]
    assert tuple(m(ember.randn(4, 2, 3)).shape) == (4, 2, 3)


def test_batch_norm_of_an_empty_batch_is_empty_and_keeps_running_stats():
    bn = nn.BatchNorm2d(3)
    x = ember.zeros(0, 3, 2, 2, requires_grad=True)
    y = bn(x)
    assert y.shape == (0, 3, 2, 2)
    np.testing.assert_array_equal(bn.running_mean.numpy(), np.zeros(3))
    np.testing.assert_array_equal(bn.running_var.numpy(), np.ones(3))
    assert bn.num_batches_tracked.item() == 1  # PyTorch counts the batch all the same
    y.sum().backward()
    assert x.grad.shape == (0, 3, 2, 2)
    np.testing.assert_array_equal(bn.weight.grad.numpy(), np.zeros(3))
