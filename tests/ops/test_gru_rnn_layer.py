"""The fused whole-sequence GRU and Elman RNN ops: equal to the per-step compositions they
replace, in values and in first and second derivatives, for both directions, and used by nn."""

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.nn import modules as nn
from ember.nn.modules.rnn import _gru_step, _rnn_step
from ember.ops.rnn_layer import GRULayer, RNNLayer, gru_layer, rnn_layer

T, B, H = 3, 2, 3
KINDS = ["gru", "tanh", "relu"]


def _args(kind, bias=True, seed=0, dtype=np.float64):
    """(xproj, h0, w_hh_t[, b_hh]) as grad-requiring leaves."""
    g = 3 * H if kind == "gru" else H
    rng = np.random.default_rng(seed)
    shapes = [(T, B, g), (B, H), (H, g)] + ([(g,)] if bias else [])
    return [ember.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in shapes]


def _fused(kind, args, reverse):
    b = args[3] if len(args) == 4 else None
    if kind == "gru":
        return gru_layer(*args[:3], b, reverse=reverse)
    return rnn_layer(*args[:3], b, kind, reverse=reverse)


def _composed(kind, args, reverse):
    """The per-step reference from nn's step functions, outputs stacked in time order."""
    xproj, h, w = args[:3]
    b = args[3] if len(args) == 4 else None
    ys = [None] * T
    for t in range(T - 1, -1, -1) if reverse else range(T):
        if kind == "gru":
            h = _gru_step(xproj[t], h, w, b)
        else:
            h = _rnn_step(xproj[t], h, w, b, kind == "relu")
        ys[t] = h
    return ember.stack(ys, 0), h


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_gradcheck_and_gradgradcheck(kind, reverse):
    args = _args(kind, bias=not reverse, seed=1)

    def fn(*a):
        return _fused(kind, a, reverse)

    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_equals_per_step_composition(kind, reverse, which):
    args = _args(kind, seed=2)
    fused, ref = _fused(kind, args, reverse), _composed(kind, args, reverse)
    for a, r in zip(fused, ref):
        assert a.dtype == r.dtype
        np.testing.assert_allclose(a.detach().numpy(), r.detach().numpy(), rtol=1e-12, atol=1e-15)
    go = ember.tensor(np.random.default_rng(3).standard_normal(tuple(ref[which].shape)))
    got = ember.autograd.grad((fused[which] * go).sum(), args)
    want = ember.autograd.grad((ref[which] * go).sum(), args)
    for g, r in zip(got, want):
        np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("kind", KINDS)
def test_plain_and_recorded_backward_agree(kind):
    args = _args(kind, seed=4)

    def loss():
        out, h = _fused(kind, args, True)
        return (out * out).sum() + (h * 3).sum()

    plain = ember.autograd.grad(loss(), args)
    recorded = ember.autograd.grad(loss(), args, create_graph=True)
    for p, r in zip(plain, recorded):
        assert r.requires_grad
        np.testing.assert_allclose(p.numpy(), r.detach().numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("kind", KINDS)
def test_float32_preserved_and_no_grad_inputs_skipped(kind):
    args = _args(kind, seed=5, dtype=np.float32)
    h0 = args[1].detach()
    out, h = _fused(kind, [args[0], h0, *args[2:]], False)
    assert out.dtype == h.dtype == ember.float32
    assert isinstance(out.grad_fn, GRULayer if kind == "gru" else RNNLayer)
    h.sum().backward()
    assert args[0].grad.dtype == ember.float32 and h0.grad is None
    ref = _composed(kind, _args(kind, seed=5), False)[0]
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_bad_operands_are_refused_with_the_op_name():
    x, h0, w = _args("gru", bias=False)
    with pytest.raises(RuntimeError, match=r"gru_layer: expected xproj \(T>0, B, 3H\)"):
        gru_layer(x, h0, w[:, :6])
    x, h0, w = _args("tanh", bias=False)
    with pytest.raises(ValueError, match="rnn_layer: unknown nonlinearity 'gelu'"):
        rnn_layer(x, h0, w, None, "gelu")


@pytest.mark.parametrize("name,kw", [("GRU", {}), ("RNN", {"nonlinearity": "relu"})])
def test_nn_layers_run_one_node_per_layer_and_direction(name, kw):
    layer = getattr(nn, name)(3, 4, **kw)
    out, h_n = layer(ember.randn(5, 2, 3))
    assert isinstance(out.grad_fn, GRULayer if name == "GRU" else RNNLayer)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("name,kw", [("GRU", {}), ("RNN", {}), ("RNN", {"nonlinearity": "relu"})])
def test_nn_parity_with_torch_when_only_h_n_is_used(name, kw, bidirectional):
    torch = pytest.importorskip("torch")
    kw = dict(kw, num_layers=2, bidirectional=bidirectional)
    t = getattr(torch.nn, name)(3, 4, **kw).double()
    e = getattr(nn, name)(3, 4, dtype=ember.float64, **kw)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(6).standard_normal((5, 2, 3))
    xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    (t(xt)[1] ** 2).sum().backward()
    (e(xe)[1] ** 2).sum().backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    ep = dict(e.named_parameters())
    for n, p in t.named_parameters():
        np.testing.assert_allclose(ep[n].grad.numpy(), p.grad.numpy(), rtol=1e-9, atol=1e-11)
