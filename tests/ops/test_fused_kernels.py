"""Fused kernels of the performance work: fused linear, cross-entropy, MSE, LSTM cell, the
plain-backward fast paths and the allocator tuning. Each must equal the composition it replaces,
in value and in first and second derivatives."""

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import _backend
from ember.autograd import gradcheck, gradgradcheck
from ember.nn.modules.rnn import _lstm_step
from ember.ops.linalg import Linear
from ember.ops.loss import CrossEntropyIndex, Mse
from ember.ops.rnn import lstm_cell


def _leaf(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return ember.tensor(rng.standard_normal(shape), requires_grad=True)  # float64


def test_linear_is_one_node_and_matches_numpy():
    x, w, b = _leaf(5, 3), _leaf(4, 3, seed=1), _leaf(4, seed=2)
    y = F.linear(x, w, b)
    assert isinstance(y.grad_fn, Linear)
    want = x.detach().numpy() @ w.detach().numpy().T + b.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), want)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_gradients_of_first_and_second_order(bias):
    x, w = _leaf(5, 3), _leaf(4, 3, seed=1)
    args = (x, w, _leaf(4, seed=2)) if bias else (x, w)
    assert gradcheck(F.linear, args)
    assert gradgradcheck(F.linear, args)


def test_linear_folds_leading_dims_and_keeps_other_cases():
    x, w, b = _leaf(2, 5, 3), _leaf(4, 3, seed=1), _leaf(4, seed=2)
    assert gradcheck(F.linear, (x, w, b))
    assert F.linear(x, w, b).shape == (2, 5, 4)
    v = F.linear(_leaf(3), w, b)  # 1-D input: the general path
    assert v.shape == (4,) and not isinstance(v.grad_fn, Linear)


def test_linear_plain_backward_skips_unneeded_inputs():
    ember.manual_seed(0)
    x = ember.randn(6, 3)  # data: no gradient wanted
    w = ember.randn(2, 3, requires_grad=True)
    F.linear(x, w).sum().backward()
    # float32 column sums: compare with a float32-sized tolerance (sums can cancel)
    expected = np.ones((6, 2)).T @ x.numpy().astype(np.float64)
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert x.grad is None


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_fused_gradients(reduction):
    x = _leaf(5, 4)
    t = ember.tensor([0, 3, -100, 1, 2])  # one ignored row

    def fn(x):
        return F.cross_entropy(x, t, reduction=reduction)

    assert isinstance(fn(x).grad_fn, CrossEntropyIndex)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_cross_entropy_fused_equals_log_softmax_nll():
    x = _leaf(6, 5)
    t = ember.tensor([4, 0, 2, 2, 1, 3])
    fused = F.cross_entropy(x, t)
    composed = F.nll_loss(F.log_softmax(x, 1), t)
    np.testing.assert_allclose(fused.item(), composed.item(), rtol=1e-12)
    (g1,) = ember.autograd.grad(fused, x)
    (g2,) = ember.autograd.grad(composed, x)
    np.testing.assert_allclose(g1.numpy(), g2.numpy(), rtol=1e-10, atol=1e-14)


def test_cross_entropy_fused_edge_cases():
    x = _leaf(3, 4)
    with pytest.raises(IndexError, match="Target 7 is out of bounds for 4 classes"):
        F.cross_entropy(x, ember.tensor([0, 7, 1]))
    assert np.isnan(F.cross_entropy(x, ember.tensor([-100, -100, -100])).item())  # 0 / 0
    big = ember.tensor([[1e4, 0.0], [0.0, -1e4]])  # stable for huge logits
    np.testing.assert_allclose(F.cross_entropy(big, ember.tensor([0, 1])).item(), 5e3)


def test_cross_entropy_fused_matches_torch():
    torch = pytest.importorskip("torch")
    x = _leaf(7, 3)
    t = np.array([0, 2, 1, 1, -100, 0, 2])
    xt = torch.tensor(x.detach().numpy(), requires_grad=True)
    F.cross_entropy(x, ember.tensor(t)).backward()
    torch.nn.functional.cross_entropy(xt, torch.tensor(t)).backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_fused_gradients(reduction):
    x, y = _leaf(3, 4), _leaf(3, 4, seed=1)

    def fn(x, y):
        return F.mse_loss(x, y, reduction=reduction)

    assert isinstance(fn(x, y).grad_fn, Mse)
    assert gradcheck(fn, (x, y))
    assert gradgradcheck(fn, (x, y))
    want = (x.detach().numpy() - y.detach().numpy()) ** 2
    got = fn(x, y).detach().numpy()
    np.testing.assert_allclose(
        got, {"mean": want.mean(), "sum": want.sum(), "none": want}[reduction]
    )


def test_relu_plain_and_recorded_backward_agree():
    x = _leaf(4, 5)
    (g1,) = ember.autograd.grad(F.relu(x).sum(), x)
    (g2,) = ember.autograd.grad(F.relu(x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(g1.numpy(), g2.detach().numpy())
    np.testing.assert_array_equal(g1.numpy(), (x.detach().numpy() > 0).astype(float))


def test_lstm_cell_equals_the_composed_step():
    args = (
        _leaf(3, 16),
        _leaf(3, 4, seed=1),
        _leaf(3, 4, seed=2),
        _leaf(4, 16, seed=3),
        _leaf(16, seed=4),
    )
    for fused, composed in zip(lstm_cell(*args), _lstm_step(*args)):
        np.testing.assert_allclose(fused.detach().numpy(), composed.detach().numpy(), rtol=1e-12)
    out = lstm_cell(*args)
    loss = (out[0] * 2).sum() + (out[1] * out[1]).sum()
    ref = _lstm_step(*args)
    loss_ref = (ref[0] * 2).sum() + (ref[1] * ref[1]).sum()
    for a, b in zip(ember.autograd.grad(loss, args), ember.autograd.grad(loss_ref, args)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-14)


def test_lstm_cell_gradients_of_first_and_second_order():
    args = (
        _leaf(2, 8),
        _leaf(2, 2, seed=1),
        _leaf(2, 2, seed=2),
        _leaf(2, 8, seed=3),
        _leaf(8, seed=4),
    )
    assert gradcheck(lstm_cell, args)
    assert gradgradcheck(lstm_cell, args)
    assert gradcheck(lambda xp, h, c, w: lstm_cell(xp, h, c, w, None)[0], args[:4])


def test_allocator_tuning_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("EMBER_NO_MALLOPT", "1")
    assert _backend.tune_allocator() is False
    monkeypatch.delenv("EMBER_NO_MALLOPT")
    assert isinstance(_backend.tune_allocator(), bool)  # True on glibc, False elsewhere


@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_plain_backward_matches_the_recorded_one(affine):
    x = _leaf(4, 3, 5, 5)
    w, b = (_leaf(3, seed=1), _leaf(3, seed=2)) if affine else (None, None)
    go = ember.tensor(np.random.default_rng(3).standard_normal((4, 3, 5, 5)))
    inputs = (x, w, b) if affine else (x,)

    def loss():
        return (F.batch_norm(x, None, None, w, b, training=True) * go).sum()

    plain = ember.autograd.grad(loss(), inputs)
    recorded = ember.autograd.grad(loss(), inputs, create_graph=True)
    for p, r in zip(plain, recorded):
        assert p.shape == r.shape
        np.testing.assert_allclose(p.numpy(), r.detach().numpy(), rtol=1e-10, atol=1e-13)
    if affine:
        assert gradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), inputs)


def test_binary_cross_entropy_gradient_is_finite_at_saturated_probabilities():
    # regression: the composed log-based backward gave 0 * inf = nan at x = 0 or 1; PyTorch
    # clamps x (1 - x) at 1e-12 and returns 0 where the target agrees
    p = ember.tensor([0.0, 1.0, 0.5], requires_grad=True)
    y = ember.tensor([0.0, 1.0, 1.0])
    ember.nn.functional.binary_cross_entropy(p, y, reduction="sum").backward()
    np.testing.assert_allclose(p.grad.numpy(), [0.0, 0.0, -2.0])


def test_binary_cross_entropy_gradcheck_and_double_backward():
    x = ember.tensor(np.array([0.2, 0.7, 0.4]), requires_grad=True)
    t = ember.tensor(np.array([0.0, 1.0, 0.3]), requires_grad=True)
    fn = lambda a, b: ember.nn.functional.binary_cross_entropy(a, b, reduction="none")  # noqa: E731
    assert ember.autograd.gradcheck(fn, (x, t))
    assert ember.autograd.gradgradcheck(fn, (x, t))
