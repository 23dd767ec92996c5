"""Transformer encoder/decoder layers and stacks: submodules, clones, masks, train/eval."""

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from ember.nn import functional as F
from ember.nn import modules as nn


def arr(t):
    return t.detach().numpy()


def test_encoder_layer_submodule_names_and_defaults():
    layer = nn.TransformerEncoderLayer(8, 2)
    assert [n for n, _ in layer.named_children()] == [
        "self_attn",
        "linear1",
        "dropout",
        "linear2",
        "norm1",
        "norm2",
        "dropout1",
        "dropout2",
    ]
    assert layer.linear1.out_features == 2048 and layer.dropout.p == 0.1
    assert layer.activation is F.relu and layer.norm1.eps == 1e-5 and not layer.norm_first
    assert nn.TransformerEncoderLayer(8, 2, activation="gelu").activation is F.gelu
    no_bias = nn.TransformerEncoderLayer(8, 2, dim_feedforward=4, bias=False)
    assert no_bias.linear1.bias is None and no_bias.self_attn.in_proj_bias is None


def test_decoder_layer_submodule_names():
    layer = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)
    assert [n for n, _ in layer.named_children()] == [
        "self_attn",
        "multihead_attn",
        "linear1",
        "dropout",
        "linear2",
        "norm1",
        "norm2",
        "norm3",
        "dropout1",
        "dropout2",
        "dropout3",
    ]


def test_stack_clones_are_independent_and_keys_match_pytorch_layout():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, dim_feedforward=16), 3)
    assert len(enc.layers) == 3 and enc.num_layers == 3 and enc.norm is None
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    np.testing.assert_array_equal(arr(enc.layers[0].linear1.weight),
                                  arr(enc.layers[2].linear1.weight))  # fmt: skip
    keys = list(enc.state_dict())
    assert keys[0] == "layers.0.self_attn.in_proj_weight"
    assert "layers.2.norm2.bias" in keys


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_shapes_and_eval_is_deterministic(norm_first, batch_first):
    kw = dict(dim_feedforward=16, norm_first=norm_first, batch_first=batch_first)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, **kw), 2, norm=nn.LayerNorm(8))
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, **kw), 2)
    src = ember.randn(*((3, 5, 8) if batch_first else (5, 3, 8)))
    tgt = ember.randn(*((3, 4, 8) if batch_first else (4, 3, 8)))
    enc.eval()
    dec.eval()
    mem = enc(src)
    out = dec(tgt, mem)
    assert mem.shape == src.shape and out.shape == tgt.shape
    np.testing.assert_array_equal(arr(dec(tgt, enc(src))), arr(out))
    enc.train()
    assert not np.allclose(arr(enc(src)), arr(mem))  # dropout 0.1 is active in training


def test_post_norm_output_is_normalized():
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
    out = arr(layer(ember.randn(5, 3, 8)))
    np.testing.assert_allclose(out.mean(-1), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(-1), 1, atol=1e-3)


def test_causal_mask_makes_decoder_ignore_future_targets():
    dec = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
    tgt, mem = ember.randn(4, 1, 8), ember.randn(3, 1, 8)
    causal = ember.tensor(np.triu(np.full((4, 4), -np.inf, dtype=np.float32), 1))
    out = dec(tgt, mem, tgt_mask=causal, tgt_is_causal=True)
    changed = tgt.detach().numpy().copy()
    changed[3] += 5.0  # only the last position changes
    out2 = dec(ember.tensor(changed), mem, tgt_mask=causal)
    np.testing.assert_allclose(arr(out2)[:3], arr(out)[:3], rtol=1e-5, atol=1e-6)


def test_key_padding_mask_excludes_padded_source_positions():
    enc = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0)
    src = ember.randn(5, 1, 8)
    pad = ember.tensor(np.array([[False, False, False, True, True]]))
    out = enc(src, src_key_padding_mask=pad)
    changed = src.numpy().copy()
    changed[3:] = 7.0
    out2 = enc(ember.tensor(changed), src_key_padding_mask=pad)
    np.testing.assert_allclose(arr(out2)[:3], arr(out)[:3], rtol=1e-5, atol=1e-6)


def test_gradcheck_tiny_encoder_layer():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, norm_first=True,
                                       activation="gelu", dtype=ember.float64)  # fmt: skip
    x = ember.randn(3, 2, 4, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda x, *p: layer(x), (x, layer.linear1.weight, layer.norm1.weight))


def test_errors():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.TransformerDecoderLayer(8, 3)


def test_full_transformer_shapes_init_and_square_subsequent_mask():
    m = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=2,
                       dim_feedforward=16)  # fmt: skip
    assert len(m.encoder.layers) == 1 and len(m.decoder.layers) == 2
    assert m.encoder.norm is not None and m.decoder.norm is not None
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    assert mask.dtype == ember.float32
    np.testing.assert_array_equal(mask.numpy(), np.triu(np.full((3, 3), -np.inf), 1))
    out = m(ember.randn(5, 2, 8), ember.randn(3, 2, 8), tgt_mask=mask)
    assert out.shape == (3, 2, 8)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        m(ember.randn(5, 2, 8), ember.randn(3, 1, 8))
    with pytest.raises(RuntimeError, match="must be equal to d_model=8"):
        m(ember.randn(5, 2, 8), ember.randn(3, 2, 4))
