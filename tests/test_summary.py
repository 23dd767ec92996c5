"""ember.summary: shapes, parameter counts, MACs checked by hand, memory totals, side effects."""

import numpy as np
import pytest

import ember
from ember import nn
from ember.summary import ModelSummary, summary


def _row(result: ModelSummary, name: str):
    (row,) = [r for r in result.layers if r.name == name]
    return row


def test_conv2d_by_hand():
    s = summary(nn.Conv2d(3, 16, 3, padding=1), (1, 3, 32, 32), verbose=False)
    # every one of the 16*32*32 outputs is a dot product over 3 channels x 3x3 taps
    assert s.total_macs == 16 * 32 * 32 * 3 * 9 == 442_368
    assert s.total_flops == 2 * 442_368
    assert s.total_params == 16 * 3 * 9 + 16
    assert s.rows[0].output_shape == [1, 16, 32, 32]
    assert s.saved_bytes == 3 * 32 * 32 * 4  # the float32 input is kept for the weight grad
    assert s.forward_bytes == 16 * 32 * 32 * 4


def test_grouped_and_transposed_conv_by_hand():
    s = summary(nn.Conv2d(4, 8, 3, groups=2), (1, 4, 6, 6), verbose=False)
    assert s.total_macs == (8 * 4 * 4) * (4 // 2) * 9  # outputs x in_channels/groups x taps
    s = summary(nn.ConvTranspose2d(4, 6, 3, stride=2), (1, 4, 5, 5), verbose=False)
    assert s.rows[0].output_shape == [1, 6, 11, 11]
    assert s.total_macs == (4 * 5 * 5) * 6 * 9  # each input element meets 6 kernels of 3x3


def test_mlp_by_hand_and_table(capsys):
    model = nn.Sequential(nn.Linear(20, 30), nn.ReLU(), nn.Linear(30, 5))
    s = summary(model, (4, 20))
    assert s.total_macs == 4 * 20 * 30 + 4 * 30 * 5  # batch x in x out per Linear
    assert s.total_params == 20 * 30 + 30 + 30 * 5 + 5 == s.trainable_params
    assert [r.name for r in s.rows] == ["", "0", "1", "2"]
    assert _row(s, "1").macs == 0 and _row(s, "1").saved_bytes == 4 * 30 * 4  # ReLU keeps output
    printed = capsys.readouterr().out
    assert printed.strip() == s.table.strip() == str(s).strip()
    assert "0 (Linear)" in printed and "Total MACs: 3,000" in printed


def test_batchnorm_by_hand_and_buffers():
    s = summary(nn.BatchNorm2d(8), (2, 8, 4, 4), verbose=False)
    # normalize (1 MAC) + affine (1 MAC) per element
    assert s.total_macs == 2 * (2 * 8 * 4 * 4)
    s = summary(nn.BatchNorm2d(8, affine=False), (2, 8, 4, 4), verbose=False)
    assert s.total_macs == 2 * 8 * 4 * 4 and s.total_params == 0
    assert s.buffer_bytes == 8 * 4 + 8 * 4 + 8  # running_mean, running_var, num_batches_tracked
    s = summary(nn.LayerNorm(6), (3, 6), verbose=False)
    assert s.total_macs == 2 * 3 * 6


def test_lstm_gru_by_hand():
    lstm = nn.LSTM(10, 20, num_layers=2, bidirectional=True, batch_first=True)
    s = summary(lstm, (3, 7, 10), verbose=False)
    # per step, direction and layer: 4 gates x (in + hidden) x hidden; layer 2 reads 2 x 20
    per_step = 4 * (10 + 20) * 20 + 4 * (40 + 20) * 20
    assert s.total_macs == 7 * 3 * 2 * per_step
    assert s.rows[0].output_shape == [[3, 7, 40], [4, 3, 20], [4, 3, 20]]
    s = summary(nn.GRU(10, 20), (7, 3, 10), verbose=False)  # (seq, batch, feature)
    assert s.total_macs == 7 * 3 * 3 * (10 + 20) * 20
    s = summary(nn.LSTMCell(10, 20), (5, 10), verbose=False)
    assert s.total_macs == 5 * 4 * (10 + 20) * 20


class _SelfAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(16, 4, batch_first=True)

    def forward(self, x):
        return self.attn(x, x, x)[0]


def test_attention_by_hand_and_transformer_layer():
    s = summary(_SelfAttention(), (2, 5, 16), verbose=False)
    e, length = 16, 5
    per_item = 3 * length * e * e + 2 * length * length * e + length * e * e  # qkv, QK^T+AV, out
    assert s.total_macs == 2 * per_item
    # out_proj is not called as a module: nothing counted twice
    assert _row(s, "attn.out_proj").calls == 0
    layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True)
    s = summary(layer, (2, 5, 16), verbose=False)
    ffn = 2 * (2 * 5 * 16 * 32)
    norms = 2 * (2 * (2 * 5 * 16))
    assert s.total_macs == 2 * per_item + ffn + norms


def test_nested_containers_and_depth():
    inner = nn.Sequential(nn.ReLU(), nn.Linear(8, 8))
    model = nn.Sequential(nn.Sequential(nn.Linear(4, 8), inner), nn.Linear(8, 2))
    s = summary(model, (1, 4), depth=1, verbose=False)
    assert [r.name for r in s.rows] == ["", "0", "1"]
    assert _row(s, "0").macs == 4 * 8 + 8 * 8  # deeper layers fold into their parent
    assert _row(s, "0").params == (4 * 8 + 8) + (8 * 8 + 8)
    assert _row(s, "0.1").depth == 2
    deep = summary(model, (1, 4), depth=5, verbose=False)
    assert [r.name for r in deep.rows] == ["", "0", "0.0", "0.1", "0.1.0", "0.1.1", "1"]
    assert deep.total_macs == s.total_macs == 4 * 8 + 8 * 8 + 8 * 2
    assert "0.1.1 (Linear)" in deep.table and "0.1.1" not in s.table


class _Shared(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = self.a  # the same module under two names

    def forward(self, x):
        return self.b(self.a(x))


def test_shared_module_counted_once():
    s = summary(_Shared(), (3, 4), verbose=False)
    assert [r.name for r in s.rows] == ["", "a"]  # one row, first path
    assert s.total_params == 4 * 4 + 4  # its parameters once
    assert _row(s, "a").calls == 2
    assert s.total_macs == 2 * (3 * 4 * 4)  # but both calls compute


def test_frozen_params_buffers_and_training_step_memory():
    model = nn.Sequential(nn.Linear(5, 6), nn.BatchNorm1d(6), nn.Linear(6, 2))
    model[0].requires_grad_(False)
    s = summary(model, (4, 5), verbose=False, optimizer_slots=2)
    assert s.non_trainable_params == 5 * 6 + 6
    assert s.trainable_params == 2 * 6 + (6 * 2 + 2)
    assert s.param_bytes == 4 * (s.trainable_params + s.non_trainable_params)
    assert s.grad_bytes == 4 * s.trainable_params
    assert s.optimizer_bytes == 2 * s.grad_bytes
    assert s.buffer_bytes == 6 * 4 * 2 + 8
    assert s.train_step_bytes == (
        s.param_bytes + s.buffer_bytes + 3 * s.grad_bytes + s.input_bytes + s.saved_bytes
    )
    assert _row(s, "0").trainable_params == 0 and _row(s, "0").params == 36


class _TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 3)
        self.fc = nn.Linear(4 + 3, 2)

    def forward(self, x, idx):
        return self.fc(ember.cat([x, self.emb(idx).sum(1)], dim=1))


def test_multiple_inputs_sizes_dtypes_and_data():
    model = _TwoInputs()
    s = summary(model, ((2, 4), (2, 5)), dtypes=[ember.float32, ember.long], verbose=False)
    assert _row(s, "emb").output_shape == [2, 5, 3] and _row(s, "emb").macs == 0
    assert s.total_macs == 2 * 7 * 2
    assert s.input_bytes == 2 * 4 * 4 + 2 * 5 * 8
    x, idx = ember.randn(2, 4), ember.zeros(2, 5, dtype=ember.long)
    by_data = summary(model, input_data=(x, idx), verbose=False)
    by_kwargs = summary(model, input_data={"x": x, "idx": idx}, verbose=False)
    assert by_data.total_macs == by_kwargs.total_macs == s.total_macs


def test_model_modes_parameters_and_rng_unchanged():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Dropout(0.5), nn.Linear(4, 1))
    model[3].eval()  # a mixed-mode model
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    modes = [m.training for m in model.modules()]
    ember.manual_seed(7)
    expected = ember.rand(3).numpy()
    ember.manual_seed(7)
    summary(model, (8, 3), verbose=False)
    np.testing.assert_array_equal(ember.rand(3).numpy(), expected)  # global RNG untouched
    assert [m.training for m in model.modules()] == modes
    after = model.state_dict()
    for key, value in before.items():
        np.testing.assert_array_equal(after[key].numpy(), value, err_msg=key)
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


class _CustomLeaf(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(ember.ones(3))

    def forward(self, x):
        return x * self.scale


def test_unknown_leaf_is_reported():
    s = summary(nn.Sequential(_CustomLeaf(), nn.Linear(3, 1)), (2, 3), verbose=False)
    assert s.uncounted_types == ["_CustomLeaf"]
    assert "No MAC rule" in s.table and s.total_macs == 2 * 3


def test_errors_and_cleanup():
    model = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="exactly one of input_size and input_data"):
        summary(model)
    with pytest.raises(ValueError, match="exactly one of input_size and input_data"):
        summary(model, (1, 3), input_data=ember.zeros(1, 3))
    with pytest.raises(ValueError, match="depth must be a non-negative integer"):
        summary(model, (1, 3), depth=-1)
    with pytest.raises(ValueError, match="input_size must be a shape"):
        summary(model, (1, 0))
    with pytest.raises(ValueError, match="got 2 input sizes but 1 dtypes"):
        summary(model, ((1, 3), (1, 3)), dtypes=[ember.float32])
    with pytest.raises(TypeError, match="model must be an ember.nn.Module"):
        summary(lambda x: x, (1, 3))
    with pytest.raises(RuntimeError):
        summary(model, (1, 4), verbose=False)  # the model's own shape error propagates
    assert not model._forward_hooks and not model._forward_pre_hooks and model.training
