"""The fused whole-sequence LSTM op: equal to the per-step composition it replaces, in values and
in first and second derivatives, for both directions, and wired into nn.LSTM."""

import warnings

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.nn import modules as nn
from ember.nn.modules.rnn import _lstm_step
from ember.ops.rnn import lstm_cell
from ember.ops.rnn_layer import LSTMLayer, lstm_layer

T, B, H = 3, 2, 3


def _args(bias=True, seed=0, dtype=np.float64, scale=1.0):
    """(xproj, h0, c0, w_hh_t[, b_hh]) as grad-requiring leaves."""
    rng = np.random.default_rng(seed)
    shapes = [(T, B, 4 * H), (B, H), (B, H), (H, 4 * H)] + ([(4 * H,)] if bias else [])
    return [
        ember.tensor((rng.standard_normal(s) * scale).astype(dtype), requires_grad=True)
        for s in shapes
    ]


def _composed(step, xproj, h, c, w, b, reverse):
    """The per-step reference: ``step`` called T times, outputs stacked in time order."""
    ys = [None] * xproj.shape[0]
    order = range(xproj.shape[0] - 1, -1, -1) if reverse else range(xproj.shape[0])
    for t in order:
        h, c = step(xproj[t], h, c, w, b)
        ys[t] = h
    return ember.stack(ys, 0), h, c


def _call(args, reverse):
    b = args[4] if len(args) == 5 else None
    return lstm_layer(*args[:4], b, reverse=reverse)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_gradcheck_and_gradgradcheck(reverse, bias):
    args = _args(bias)

    def fn(*a):
        return _call(a, reverse)

    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


@pytest.mark.parametrize("which", [0, 1, 2])
def test_gradgradcheck_with_one_output_used(which):
    args = _args(seed=which)
    assert gradcheck(lambda *a: _call(a, False)[which], args)
    assert gradgradcheck(lambda *a: _call(a, True)[which], args)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("step", [lstm_cell, _lstm_step], ids=["lstm_cell", "_lstm_step"])
def test_equals_per_step_composition(reverse, step):
    args = _args(seed=3)
    fused = _call(args, reverse)
    ref = _composed(step, *args, reverse)
    for a, r in zip(fused, ref):
        np.testing.assert_allclose(a.detach().numpy(), r.detach().numpy(), rtol=1e-12, atol=1e-15)
    rng = np.random.default_rng(4)
    ws = [ember.tensor(rng.standard_normal(tuple(r.shape))) for r in ref]
    got = ember.autograd.grad(sum((a * w).sum() for a, w in zip(fused, ws)), args)
    want = ember.autograd.grad(sum((r * w).sum() for r, w in zip(ref, ws)), args)
    for g, r in zip(got, want):
        np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("which", [0, 1, 2])
def test_gradient_of_a_single_output_matches_composition(which):
    args = _args(seed=5)
    fused = _call(args, False)[which]
    ref = _composed(lstm_cell, *args, False)[which]
    got = ember.autograd.grad(fused.sum(), args, allow_unused=True)
    want = ember.autograd.grad(ref.sum(), args, allow_unused=True)
    for g, r in zip(got, want):
        np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("reverse", [False, True])
def test_plain_and_recorded_backward_agree(reverse):
    args = _args(seed=6)
    go = [ember.tensor(np.random.default_rng(7).standard_normal(tuple(o.shape))) for o in
          _call(args, reverse)]  # fmt: skip

    def loss():
        return sum((o * g).sum() for o, g in zip(_call(args, reverse), go))

    plain = ember.autograd.grad(loss(), args)
    recorded = ember.autograd.grad(loss(), args, create_graph=True)
    for p, r in zip(plain, recorded):
        assert r.requires_grad
        np.testing.assert_allclose(p.numpy(), r.detach().numpy(), rtol=1e-10, atol=1e-13)


def test_float32_is_preserved_and_matches_float64():
    a64 = _args(seed=8)
    a32 = [ember.tensor(a.detach().numpy().astype(np.float32), requires_grad=True) for a in a64]
    out32, out64 = _call(a32, False), _call(a64, False)
    for o32, o64 in zip(out32, out64):
        assert o32.dtype == ember.float32
        np.testing.assert_allclose(o32.detach().numpy(), o64.detach().numpy(), rtol=1e-5, atol=1e-6)
    g32 = ember.autograd.grad(out32[0].sum() + out32[2].sum(), a32)
    g64 = ember.autograd.grad(out64[0].sum() + out64[2].sum(), a64)
    for g, r in zip(g32, g64):
        assert g.dtype == ember.float32
        np.testing.assert_allclose(g.numpy(), r.numpy(), rtol=1e-4, atol=1e-5)


def test_saturated_gates_give_finite_values_without_warnings():
    args = _args(seed=9, scale=200.0)  # exp(-a) overflows to inf: sigmoid must be exactly 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, h, c = _call(args, False)
        grads = ember.autograd.grad(out.sum() + c.sum(), args)
    assert np.isfinite(out.detach().numpy()).all() and np.isfinite(c.detach().numpy()).all()
    assert all(np.isfinite(g.numpy()).all() for g in grads)
    ref = _composed(_lstm_step, *args, False)
    np.testing.assert_allclose(out.detach().numpy(), ref[0].detach().numpy(), atol=1e-12)


def test_only_needed_gradients_and_in_place_change_is_refused():
    rng = np.random.default_rng(10)
    xproj = ember.tensor(rng.standard_normal((T, B, 4 * H)), requires_grad=True)
    h0, c0 = ember.zeros(B, H, dtype=ember.float64), ember.zeros(B, H, dtype=ember.float64)
    w = ember.tensor(rng.standard_normal((H, 4 * H)))
    out, h, c = lstm_layer(xproj, h0, c0, w)
    assert isinstance(out.grad_fn, LSTMLayer) and h.grad_fn is out.grad_fn
    h.sum().backward()
    assert xproj.grad.shape == (T, B, 4 * H) and w.grad is None and h0.grad is None
    out, h, c = lstm_layer(xproj, h0, c0, w)
    with ember.no_grad():
        out.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()


def test_bad_operands_are_refused_with_the_op_name():
    x, h0, c0, w = _args(bias=False)
    with pytest.raises(RuntimeError, match=r"lstm_layer: expected xproj \(T>0, B, 4H\)"):
        lstm_layer(x, h0, c0, w[:, :8])
    with pytest.raises(RuntimeError, match=r"got shapes \(2, 12\), \(2, 3\)"):
        lstm_layer(x[0], h0, c0, w)
    with pytest.raises(RuntimeError, match="lstm_layer: expected every operand of dtype"):
        lstm_layer(x, h0, c0.float(), w)


# -- nn.LSTM runs on the fused op ------------------------------------------------------------------
def test_nn_lstm_is_one_node_per_layer_and_direction():
    lstm = nn.LSTM(3, 4, dtype=ember.float64)
    out, (h_n, c_n) = lstm(ember.randn(5, 2, 3, dtype=ember.float64))
    assert isinstance(out.grad_fn, LSTMLayer)
    proj = nn.LSTM(3, 4, proj_size=2)  # projection keeps the per-step path
    assert not isinstance(proj(ember.randn(5, 2, 3))[0].grad_fn, LSTMLayer)


CONFIGS = [
    {},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"bias": False, "bidirectional": True},
]


@pytest.mark.parametrize("use", ["all", "h_n", "output", "c_n"])
@pytest.mark.parametrize("kw", CONFIGS, ids=str)
def test_nn_lstm_parity_with_torch(kw, use):
    torch = pytest.importorskip("torch")
    t = torch.nn.LSTM(3, 4, **kw).double()
    e = nn.LSTM(3, 4, dtype=ember.float64, **kw)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    rng = np.random.default_rng(11)
    d = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    x = rng.standard_normal((2, 5, 3) if kw.get("batch_first") else (5, 2, 3))
    hx = [rng.standard_normal((d, 2, 4)) for _ in range(2)]
    xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    ht = [torch.tensor(a, requires_grad=True) for a in hx]
    he = [ember.tensor(a, requires_grad=True) for a in hx]
    ot, (hnt, cnt) = t(xt, tuple(ht))
    oe, (hne, cne) = e(xe, tuple(he))
    for a, b in ((oe, ot), (hne, hnt), (cne, cnt)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)
    pick = {"all": lambda o, h, c: (o * o).sum() + h.sum() + (c * 3).sum(),
            "h_n": lambda o, h, c: (h * h).sum(), "output": lambda o, h, c: (o * o).sum(),
            "c_n": lambda o, h, c: c.sum()}[use]  # fmt: skip
    pick(ot, hnt, cnt).backward()
    pick(oe, hne, cne).backward()
    for a, b in zip([xe, *he], [xt, *ht]):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-11)
    ep = dict(e.named_parameters())
    for n, p in t.named_parameters():
        np.testing.assert_allclose(ep[n].grad.numpy(), p.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_nn_lstm_unbatched_and_default_state_parity():
    torch = pytest.importorskip("torch")
    t = torch.nn.LSTM(3, 4, bidirectional=True).float()
    e = nn.LSTM(3, 4, bidirectional=True)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(12).standard_normal((6, 3)).astype(np.float32)
    xt, xe = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    ot, (hnt, cnt) = t(xt)
    oe, (hne, cne) = e(xe)
    assert oe.shape == (6, 8) and hne.shape == (2, 4) and oe.dtype == ember.float32
    for a, b in ((oe, ot), (hne, hnt), (cne, cnt)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    (ot.sum() + cnt.sum()).backward()
    (oe.sum() + cne.sum()).backward()
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    ep = dict(e.named_parameters())
    for n, p in t.named_parameters():
        np.testing.assert_allclose(ep[n].grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-5)
