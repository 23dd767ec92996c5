"""RNN/LSTM/GRU, cells, MultiheadAttention, transformer layers and attention F.* against PyTorch.

Each case builds the torch module, loads its state_dict into ember, and compares outputs, input
gradients and parameter gradients (float64 tight, float32 at rtol 1e-4).
"""

import numpy as np
import pytest

import ember
from ember.nn import functional as F
from ember.nn import modules as nn

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

TOL = {"float64": dict(rtol=1e-9, atol=1e-11), "float32": dict(rtol=1e-4, atol=1e-5)}


def load(e, t):
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})


def arr(x):
    return x.detach().numpy()


def pair_inputs(arrays):
    """The same arrays as grad-requiring torch and ember tensors (None passes through)."""
    ts = [None if a is None else torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    es = [None if a is None else ember.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    return ts, es


def flat(out):
    """Every tensor in a (possibly nested) output tuple."""
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in flat(o)]
    return [] if out is None else [out]


def check(e, t, e_out, t_out, e_in, t_in, tol):
    """Outputs, then gradients of a weighted sum of all outputs w.r.t. inputs and parameters."""
    eo, to = flat(e_out), flat(t_out)
    assert len(eo) == len(to)
    for a, b in zip(eo, to):
        assert tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(arr(a), arr(b), **tol)
    rng = np.random.default_rng(1)
    ws = [rng.standard_normal(tuple(b.shape)) for b in to]
    sum(((b * torch.tensor(w, dtype=b.dtype)).sum() for b, w in zip(to, ws))).backward()
    sum(((a * ember.tensor(w, dtype=a.dtype)).sum() for a, w in zip(eo, ws))).backward()
    for a, b in zip(e_in, t_in):
        if b is not None and b.requires_grad:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)
    ep = dict(e.named_parameters())
    assert list(ep) == [n for n, _ in t.named_parameters()]
    for n, p in t.named_parameters():
        np.testing.assert_allclose(ep[n].grad.numpy(), p.grad.numpy(), err_msg=n, **tol)


# -- RNN / LSTM / GRU ----------------------------------------------------------------------------
RNN_CONFIGS = [
    ("RNN", {}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("RNN", {"bidirectional": True, "bias": False}),
    ("LSTM", {}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"batch_first": True, "num_layers": 2}),
    ("LSTM", {"proj_size": 3, "bidirectional": True}),
    ("LSTM", {"bias": False, "batch_first": True, "bidirectional": True}),
    ("GRU", {}),
    ("GRU", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("GRU", {"bias": False}),
]


# float64 with and without h0 for every config; float32 (rtol 1e-4) with h0
@pytest.mark.parametrize("with_h0,dtype", [(False, "float64"), (True, "float64"),
                                           (True, "float32")])  # fmt: skip
@pytest.mark.parametrize("name,kw", RNN_CONFIGS, ids=lambda c: str(c))
def test_recurrent_layer_parity(name, kw, with_h0, dtype):
    t = getattr(tnn, name)(4, 5, **kw).to(getattr(torch, dtype))
    e = getattr(nn, name)(4, 5, dtype=getattr(ember, dtype), **kw)
    load(e, t)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    rng = np.random.default_rng(0)
    L, N = 6, 3
    shape = (N, L, 4) if kw.get("batch_first") else (L, N, 4)
    d = (2 if kw.get("bidirectional") else 1) * kw.get("num_layers", 1)
    h_size = kw.get("proj_size") or 5
    arrays = [rng.standard_normal(shape).astype(dtype)]
    if with_h0:
        arrays.append(rng.standard_normal((d, N, h_size)).astype(dtype))
        if name == "LSTM":
            arrays.append(rng.standard_normal((d, N, 5)).astype(dtype))
    ts, es = pair_inputs(arrays)
    hx_t = hx_e = None
    if with_h0:
        hx_t = (ts[1], ts[2]) if name == "LSTM" else ts[1]
        hx_e = (es[1], es[2]) if name == "LSTM" else es[1]
    check(e, t, e(es[0], hx_e), t(ts[0], hx_t), es, ts, TOL[dtype])


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_recurrent_layer_unbatched_input_parity(name):
    t = getattr(tnn, name)(3, 4, num_layers=2, bidirectional=True).double()
    e = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True, dtype=ember.float64)
    load(e, t)
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((5, 3)), rng.standard_normal((4, 4))]
    if name == "LSTM":
        arrays.append(rng.standard_normal((4, 4)))
    ts, es = pair_inputs(arrays)
    hx_t = (ts[1], ts[2]) if name == "LSTM" else ts[1]
    hx_e = (es[1], es[2]) if name == "LSTM" else es[1]
    check(e, t, e(es[0], hx_e), t(ts[0], hx_t), es, ts, TOL["float64"])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_h0", [False, True])
@pytest.mark.parametrize(
    "name,kw", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu", "bias": False}),
                ("LSTMCell", {}), ("LSTMCell", {"bias": False}), ("GRUCell", {}),
                ("GRUCell", {"bias": False})], ids=lambda c: str(c),
)  # fmt: skip
def test_cell_parity(name, kw, with_h0, batched, dtype):
    t = getattr(tnn, name)(4, 5, **kw).to(getattr(torch, dtype))
    e = getattr(nn, name)(4, 5, dtype=getattr(ember, dtype), **kw)
    load(e, t)
    assert repr(e) == repr(t)
    rng = np.random.default_rng(0)
    lead = (3,) if batched else ()
    arrays = [rng.standard_normal((*lead, 4)).astype(dtype)]
    n_states = 2 if name == "LSTMCell" else 1
    if with_h0:
        arrays += [rng.standard_normal((*lead, 5)).astype(dtype) for _ in range(n_states)]
    ts, es = pair_inputs(arrays)
    hx_t = hx_e = None
    if with_h0:
        hx_t = tuple(ts[1:]) if n_states == 2 else ts[1]
        hx_e = tuple(es[1:]) if n_states == 2 else es[1]
    check(e, t, e(es[0], hx_e), t(ts[0], hx_t), es, ts, TOL[dtype])


# -- MultiheadAttention --------------------------------------------------------------------------
MHA_CONFIGS = [
    {},
    {"kdim": 6, "vdim": 7},
    {"add_bias_kv": True},
    {"add_zero_attn": True},
    {"bias": False},
    {"batch_first": True},
    {"batch_first": True, "kdim": 3, "vdim": 5, "add_bias_kv": True},
]


def _masks(kind, rng, n, tgt, src, heads):
    kpm = rng.random((n, src)) < 0.3
    kpm[:, 0] = False  # every query keeps at least one key
    am = rng.random((tgt, src)) < 0.3
    am[:, 0] = False
    return {
        "none": {},
        "key_padding": {"key_padding_mask": kpm},
        "bool_attn": {"attn_mask": am},
        "float_both": {
            "attn_mask": rng.standard_normal((tgt, src)),
            "key_padding_mask": kpm * -3.0,
        },
        "3d_attn": {"attn_mask": rng.standard_normal((n * heads, tgt, src))},
        "per_head": {"average_attn_weights": False, "key_padding_mask": kpm},
        "no_weights": {"need_weights": False, "attn_mask": am},
    }[kind]


MASKS = ["none", "key_padding", "bool_attn", "float_both", "3d_attn", "per_head", "no_weights"]
# every mask kind on the default layer; every layer config with both masks; float32 spot checks
MHA_CASES = (
    [({}, m, "float64") for m in MASKS]
    + [(kw, "float_both", "float64") for kw in MHA_CONFIGS[1:]]
    + [({}, "key_padding", "float32"), (MHA_CONFIGS[-1], "bool_attn", "float32")]
)


@pytest.mark.parametrize("kw,masks,dtype", MHA_CASES, ids=str)
def test_multihead_attention_parity(kw, masks, dtype):
    E, H, L, S, N = 8, 2, 4, 5, 3
    t = tnn.MultiheadAttention(E, H, **kw).to(getattr(torch, dtype))
    e = nn.MultiheadAttention(E, H, dtype=getattr(ember, dtype), **kw)
    load(e, t)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    rng = np.random.default_rng(0)
    kd, vd = kw.get("kdim", E), kw.get("vdim", E)

    def shape(s, d):
        return (N, s, d) if kw.get("batch_first") else (s, N, d)

    arrays = [rng.standard_normal(shape(L, E)), rng.standard_normal(shape(S, kd)),
              rng.standard_normal(shape(S, vd))]  # fmt: skip
    ts, es = pair_inputs([a.astype(dtype) for a in arrays])
    m = _masks(masks, rng, N, L, S, H)
    tm = {k: torch.tensor(v.astype(dtype) if v.dtype.kind == "f" else v) if isinstance(
        v, np.ndarray) else v for k, v in m.items()}  # fmt: skip
    em = {k: ember.tensor(v.astype(dtype) if v.dtype.kind == "f" else v) if isinstance(
        v, np.ndarray) else v for k, v in m.items()}  # fmt: skip
    check(e, t, e(*es, **em), t(*ts, **tm), es, ts, TOL[dtype])


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_self_attention_causal_and_unbatched_parity(batch_first):
    E, H, L, N = 8, 4, 5, 2
    t = tnn.MultiheadAttention(E, H, batch_first=batch_first).double()
    e = nn.MultiheadAttention(E, H, batch_first=batch_first, dtype=ember.float64)
    load(e, t)
    rng = np.random.default_rng(3)
    causal = np.triu(np.full((L, L), -np.inf), 1)
    ts, es = pair_inputs([rng.standard_normal((N, L, E) if batch_first else (L, N, E))])
    kw = dict(need_weights=False, is_causal=True)
    check(e, t, e(es[0], es[0], es[0], attn_mask=ember.tensor(causal), **kw)[0],
          t(ts[0], ts[0], ts[0], attn_mask=torch.tensor(causal), **kw)[0], es, ts,
          TOL["float64"])  # fmt: skip
    e.zero_grad()
    t.zero_grad()
    ts, es = pair_inputs([rng.standard_normal((L, E)), rng.standard_normal((L + 1, E))])
    kpm = np.zeros(L + 1, dtype=bool)
    kpm[-1] = True
    check(e, t, e(es[0], es[1], es[1], key_padding_mask=ember.tensor(kpm)),
          t(ts[0], ts[1], ts[1], key_padding_mask=torch.tensor(kpm)), es, ts,
          TOL["float64"])  # fmt: skip


# -- Transformer layers --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "norm_first,batch_first,activation,dtype",
    [(False, False, "relu", "float64"), (True, False, "gelu", "float64"),
     (False, True, "gelu", "float64"), (True, True, "relu", "float64"),
     (False, True, "relu", "float32"), (True, False, "gelu", "float32")],
)  # fmt: skip
def test_transformer_encoder_decoder_parity(norm_first, batch_first, activation, dtype):
    E, H, S, T, N = 8, 2, 5, 4, 3
    kw = dict(dim_feedforward=16, dropout=0.0, norm_first=norm_first, batch_first=batch_first,
              activation=activation)  # fmt: skip
    tdt, edt = getattr(torch, dtype), getattr(ember, dtype)
    te = tnn.TransformerEncoder(
        tnn.TransformerEncoderLayer(E, H, **kw), 2, norm=tnn.LayerNorm(E),
        enable_nested_tensor=False,
    ).to(tdt).eval()  # fmt: skip
    ee = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, H, **kw), 2, norm=nn.LayerNorm(E))
    ee = ee.to(edt).eval()
    td = tnn.TransformerDecoder(tnn.TransformerDecoderLayer(E, H, **kw), 2).to(tdt).eval()
    ed = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, H, **kw), 2).to(edt).eval()
    load(ee, te)
    load(ed, td)
    assert repr(ee) == repr(te)
    assert repr(ed) == repr(td)
    rng = np.random.default_rng(0)

    def shape(s):
        return (N, s, E) if batch_first else (s, N, E)

    ts, es = pair_inputs([rng.standard_normal(shape(S)).astype(dtype),
                          rng.standard_normal(shape(T)).astype(dtype)])  # fmt: skip
    kpm = rng.random((N, S)) < 0.3
    kpm[:, 0] = False
    causal = np.triu(np.full((T, T), -np.inf), 1).astype(dtype)

    t_mem = te(ts[0], src_key_padding_mask=torch.tensor(kpm))
    e_mem = ee(es[0], src_key_padding_mask=ember.tensor(kpm))
    t_out = td(ts[1], t_mem, tgt_mask=torch.tensor(causal), tgt_is_causal=True,
               memory_key_padding_mask=torch.tensor(kpm))  # fmt: skip
    e_out = ed(es[1], e_mem, tgt_mask=ember.tensor(causal), tgt_is_causal=True,
               memory_key_padding_mask=ember.tensor(kpm))  # fmt: skip
    np.testing.assert_allclose(arr(e_mem), arr(t_mem), **TOL[dtype])
    # one container holding both stacks, for the parameter-gradient check
    t_all, e_all = tnn.ModuleList([te, td]), nn.ModuleList([ee, ed])
    check(e_all, t_all, e_out, t_out, es, ts, TOL[dtype])


def test_transformer_encoder_layer_with_callable_activation_and_no_bias_parity():
    kw = dict(dim_feedforward=6, dropout=0.0, bias=False)
    t = tnn.TransformerEncoderLayer(4, 2, activation=TF.silu, **kw).double().eval()
    e = nn.TransformerEncoderLayer(4, 2, activation=lambda x: x * x.sigmoid(), **kw).double()
    e.eval()
    load(e, t)
    rng = np.random.default_rng(5)
    ts, es = pair_inputs([rng.standard_normal((3, 2, 4))])
    check(e, t, e(es[0]), t(ts[0]), es, ts, TOL["float64"])


@pytest.mark.parametrize("batch_first", [False, True])
def test_full_transformer_parity(batch_first):
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16,
              dropout=0.0, batch_first=batch_first)  # fmt: skip
    t = tnn.Transformer(**kw).double().eval()
    e = nn.Transformer(**kw, dtype=ember.float64).eval()
    load(e, t)
    assert repr(e) == repr(t)
    mask_t = tnn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    mask_e = nn.Transformer.generate_square_subsequent_mask(4, dtype=ember.float64)
    np.testing.assert_array_equal(mask_e.numpy(), mask_t.numpy())
    rng = np.random.default_rng(4)
    shapes = [(2, 5, 8), (2, 4, 8)] if batch_first else [(5, 2, 8), (4, 2, 8)]
    ts, es = pair_inputs([rng.standard_normal(s) for s in shapes])
    check(e, t, e(*es, tgt_mask=mask_e, tgt_is_causal=True),
          t(*ts, tgt_mask=mask_t, tgt_is_causal=True), es, ts, TOL["float64"])  # fmt: skip


# -- functional ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(
    "kind", ["plain", "causal", "causal_rect", "bool", "float", "scale", "masked_row"]
)
def test_scaled_dot_product_attention_parity(kind, dtype):
    rng = np.random.default_rng(0)
    L = 3 if kind == "causal_rect" else 4
    arrays = [rng.standard_normal((2, 3, L, 5)), rng.standard_normal((2, 3, 6, 5)),
              rng.standard_normal((2, 3, 6, 7))]  # fmt: skip
    ts, es = pair_inputs([a.astype(dtype) for a in arrays])
    bool_mask = rng.random((L, 6)) < 0.5
    bool_mask[:, 0] = True
    if kind == "masked_row":
        bool_mask[1] = False  # a query that may attend to nothing: zeros, as in torch
    kw = {
        "plain": {}, "causal": {"is_causal": True}, "causal_rect": {"is_causal": True},
        "scale": {"scale": 0.3}, "bool": {"attn_mask": bool_mask},
        "masked_row": {"attn_mask": bool_mask},
        "float": {"attn_mask": rng.standard_normal((3, L, 6)).astype(dtype)},
    }[kind]  # fmt: skip
    tk = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    ek = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    out_t = TF.scaled_dot_product_attention(*ts, **tk)
    out_e = F.scaled_dot_product_attention(*es, **ek)
    w = rng.standard_normal(tuple(out_t.shape))
    np.testing.assert_allclose(arr(out_e), arr(out_t), **TOL[dtype])
    (out_t * torch.tensor(w, dtype=out_t.dtype)).sum().backward()
    (out_e * ember.tensor(w, dtype=out_e.dtype)).sum().backward()
    for a, b in zip(es, ts):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("shapes,dim", [(((4, 5), (4, 5)), 1), (((2, 3, 4), (3, 4)), -1),
                                        (((3, 1, 6), (1, 5, 6)), 2)])  # fmt: skip
def test_cosine_similarity_parity(shapes, dim):
    rng = np.random.default_rng(0)
    ts, es = pair_inputs([rng.standard_normal(s) for s in shapes])
    out_t, out_e = TF.cosine_similarity(*ts, dim=dim), F.cosine_similarity(*es, dim=dim)
    np.testing.assert_allclose(arr(out_e), arr(out_t), rtol=1e-10)
    out_t.sum().backward()
    out_e.sum().backward()
    for a, b in zip(es, ts):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("p", [2.0, 1.0, 3.0])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_parity(p, keepdim):
    rng = np.random.default_rng(0)
    ts, es = pair_inputs([rng.standard_normal((4, 5)), rng.standard_normal((4, 5))])
    out_t = TF.pairwise_distance(*ts, p=p, keepdim=keepdim)
    out_e = F.pairwise_distance(*es, p=p, keepdim=keepdim)
    np.testing.assert_allclose(arr(out_e), arr(out_t), rtol=1e-10)
    out_t.sum().backward()
    out_e.sum().backward()
    for a, b in zip(es, ts):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)
