"""scaled_dot_product_attention, cosine_similarity, pairwise_distance and MultiheadAttention."""

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck
from ember.nn import functional as F
from ember.nn import modules as nn


def arr(t):
    return t.detach().numpy()


def f64(*shape, grad=True):
    return ember.randn(*shape, dtype=ember.float64, requires_grad=grad)


def np_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# -- scaled_dot_product_attention ------------------------------------------------------------
def test_sdpa_matches_numpy_formula():
    q, k, v = f64(2, 3, 4), f64(2, 5, 4), f64(2, 5, 6)
    want = np_softmax(arr(q) @ arr(k).transpose(0, 2, 1) / math.sqrt(4)) @ arr(v)
    np.testing.assert_allclose(arr(F.scaled_dot_product_attention(q, k, v)), want, rtol=1e-12)


def test_sdpa_bool_mask_keeps_true_and_float_mask_adds():
    q, k, v = f64(1, 2, 3), f64(1, 4, 3), f64(1, 4, 2)
    keep = ember.tensor([[True, False, True, False], [True, True, True, True]])
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=keep)
    add = ember.tensor(np.where(keep.numpy(), 0.0, -np.inf))
    np.testing.assert_allclose(arr(out), arr(F.scaled_dot_product_attention(q, k, v, add)))
    # row 0 only sees keys 0 and 2
    only = F.scaled_dot_product_attention(q[:, :1], k[:, ::2], v[:, ::2])
    np.testing.assert_allclose(arr(out[:, :1]), arr(only), rtol=1e-12)


def test_sdpa_causal_and_scale():
    q, k, v = f64(3, 3), f64(3, 3), f64(3, 2)
    causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    np.testing.assert_allclose(arr(causal[0]), arr(v[0]), rtol=1e-12)  # first query sees key 0
    tril = ember.tensor(np.tril(np.ones((3, 3), dtype=bool)))
    np.testing.assert_allclose(arr(causal), arr(F.scaled_dot_product_attention(q, k, v, tril)))
    scaled = F.scaled_dot_product_attention(q, k, v, scale=1.0)
    want = np_softmax(arr(q) @ arr(k).T) @ arr(v)
    np.testing.assert_allclose(arr(scaled), want, rtol=1e-12)


def test_sdpa_fully_masked_query_gives_zeros_and_finite_grads():
    q, k, v = f64(2, 3), f64(3, 3), f64(3, 2)
    mask = ember.tensor([[False, False, False], [True, False, True]])
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    np.testing.assert_array_equal(arr(out[0]), 0.0)
    out.sum().backward()
    for t in (q, k, v):
        assert np.isfinite(t.grad.numpy()).all()


def test_sdpa_gradcheck_and_gradgradcheck():
    q, k, v = f64(2, 3, 4), f64(2, 5, 4), f64(2, 5, 3)
    mask = ember.tensor(np.random.default_rng(0).standard_normal((3, 5)))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask), (q, k, v))
    assert gradcheck(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), (q, k, v)
    )
    q, k, v = f64(1, 2, 3), f64(1, 3, 3), f64(1, 3, 2)
    assert gradgradcheck(F.scaled_dot_product_attention, (q, k, v))


def test_sdpa_errors():
    q = f64(2, 3, 4)
    with pytest.raises(RuntimeError, match="attn_mask should not be set when is_causal"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=ember.ones(3, 3), is_causal=True)
    with pytest.raises(RuntimeError, match=r"query \(2, 3, 4\), key \(2, 3, 5\)"):
        F.scaled_dot_product_attention(q, f64(2, 3, 5), q)


def test_sdpa_dropout_is_seeded():
    q = f64(2, 4, 4, grad=False)
    ember.manual_seed(0)
    a = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    ember.manual_seed(0)
    b = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), F.scaled_dot_product_attention(q, q, q).numpy())


# -- distances -------------------------------------------------------------------------------
def test_cosine_similarity_values_and_gradcheck():
    a, b = f64(4, 5), f64(4, 5)
    na, nb = np.linalg.norm(arr(a), axis=1), np.linalg.norm(arr(b), axis=1)
    want = (arr(a) * arr(b)).sum(1) / (na * nb)
    np.testing.assert_allclose(arr(F.cosine_similarity(a, b)), want, rtol=1e-12)
    assert F.cosine_similarity(f64(2, 3, 4), f64(3, 4), dim=-1).shape == (2, 3)
    zero = ember.zeros(1, 5, dtype=ember.float64)
    assert arr(F.cosine_similarity(zero, b[:1])).item() == 0.0
    assert gradcheck(lambda a, b: F.cosine_similarity(a, b), (a, b))


def test_pairwise_distance_values_and_gradcheck():
    a, b = f64(4, 5), f64(4, 5)
    want = np.linalg.norm(arr(a) - arr(b) + 1e-6, axis=-1)
    np.testing.assert_allclose(arr(F.pairwise_distance(a, b)), want, rtol=1e-12)
    assert F.pairwise_distance(a, b, keepdim=True).shape == (4, 1)
    assert F.pairwise_distance(f64(5), f64(5)).shape == ()
    assert gradcheck(lambda a, b: F.pairwise_distance(a, b, p=3.0), (a, b))


# -- MultiheadAttention ----------------------------------------------------------------------
def test_mha_parameters_names_and_init():
    m = nn.MultiheadAttention(8, 2)
    assert [n for n, _ in m.named_parameters()] == [
        "in_proj_weight",
        "in_proj_bias",
        "out_proj.weight",
        "out_proj.bias",
    ]
    assert m.in_proj_weight.shape == (24, 8) and m.head_dim == 4
    assert np.all(arr(m.in_proj_bias) == 0) and np.all(arr(m.out_proj.bias) == 0)
    bound = math.sqrt(6 / (24 + 8))  # xavier_uniform on (3E, E)
    assert np.abs(arr(m.in_proj_weight)).max() <= bound
    sep = nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True, bias=False)
    assert [n for n, _ in sep.named_parameters()] == [
        "q_proj_weight",
        "k_proj_weight",
        "v_proj_weight",
        "bias_k",
        "bias_v",
        "out_proj.weight",
    ]
    assert sep.k_proj_weight.shape == (8, 3) and sep.v_proj_weight.shape == (8, 5)
    assert sep.in_proj_weight is None and sep.bias_k.shape == (1, 1, 8)
    assert repr(m) == (
        "MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, "
        "out_features=8, bias=True)\n)"
    )


def test_mha_shapes_weights_and_padding():
    m = nn.MultiheadAttention(8, 2)
    q, kv = ember.randn(4, 3, 8), ember.randn(5, 3, 8)
    pad = ember.tensor(np.array([[False] * 5, [False] * 3 + [True] * 2, [False] * 5]))
    out, w = m(q, kv, kv, key_padding_mask=pad)
    assert out.shape == (4, 3, 8) and w.shape == (3, 4, 5)
    np.testing.assert_allclose(arr(w).sum(-1), 1.0, rtol=1e-5)
    assert np.all(arr(w)[1, :, 3:] == 0)
    _, per_head = m(q, kv, kv, average_attn_weights=False)
    assert per_head.shape == (3, 2, 4, 5)
    out2, none = m(q, kv, kv, need_weights=False)
    assert none is None
    out1, w1 = m(q[:, 0], kv[:, 0], kv[:, 0])  # unbatched
    assert out1.shape == (4, 8) and w1.shape == (4, 5)
    np.testing.assert_allclose(arr(out1), arr(out2[:, 0]), rtol=1e-5, atol=1e-6)


def test_mha_batch_first_matches_sequence_first():
    a = nn.MultiheadAttention(8, 4)
    b = nn.MultiheadAttention(8, 4, batch_first=True)
    b.load_state_dict(a.state_dict())
    x = ember.randn(5, 2, 8)
    out_a, w_a = a(x, x, x)
    xb = x.transpose(0, 1)
    out_b, w_b = b(xb, xb, xb)
    np.testing.assert_allclose(arr(out_b.transpose(0, 1)), arr(out_a), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(arr(w_b), arr(w_a), rtol=1e-5, atol=1e-6)


def test_mha_bool_attn_mask_blocks_true_positions():
    m = nn.MultiheadAttention(4, 1)
    x = ember.randn(3, 1, 4)
    block = ember.tensor(np.triu(np.ones((3, 3), dtype=bool), 1))  # True = not allowed
    _, w = m(x, x, x, attn_mask=block)
    np.testing.assert_array_equal(arr(w)[0] * np.triu(np.ones((3, 3)), 1), 0)


def test_mha_gradcheck():
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=2, add_bias_kv=True, dtype=ember.float64)
    q, k, v = f64(2, 1, 4), f64(3, 1, 3), f64(3, 1, 2)
    assert gradcheck(lambda q, k, v, *p: m(q, k, v), (q, k, v, m.k_proj_weight, m.bias_v))


def test_mha_errors():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(6, 4)
    m = nn.MultiheadAttention(8, 2)
    x = ember.randn(4, 2, 8)
    with pytest.raises(AssertionError, match=r"expected key of shape \(\*, kdim=8\)"):
        m(x, ember.randn(4, 2, 5), x)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match=r"2D attn_mask is \(3, 4\), but should be \(4, 4\)"):
        m(x, x, x, attn_mask=ember.zeros(3, 4))
    with pytest.raises(AssertionError, match=r"key_padding_mask shape of \(2, 4\)"):
        m(x, x, x, key_padding_mask=ember.zeros(2, 3, dtype=ember.bool))
