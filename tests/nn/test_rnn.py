"""RNN, LSTM, GRU and their cells: parameters, init, shapes, states, errors, gradients."""

import math

import numpy as np
import pytest

import ember
from ember.autograd import gradcheck
from ember.nn import modules as nn


def arr(t):
    return t.detach().numpy()


# -- parameters, init, repr ------------------------------------------------------------------
def test_lstm_parameter_names_shapes_and_order():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    names = [n for n, _ in m.named_parameters()]
    per = ["weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"]
    assert names == [f"{p}_l{layer}{s}" for layer in (0, 1) for s in ("", "_reverse") for p in per]
    assert m.weight_ih_l0.shape == (16, 3) and m.weight_hh_l0.shape == (16, 2)
    assert m.weight_ih_l1_reverse.shape == (16, 4)  # 2 directions x proj_size 2
    assert m.weight_hr_l0.shape == (2, 4) and m.bias_hh_l1.shape == (16,)
    assert len(m.all_weights) == 4 and m.all_weights[1][0] is m.weight_ih_l0_reverse


@pytest.mark.parametrize("cls,gates", [(nn.RNN, 1), (nn.GRU, 3), (nn.LSTM, 4)])
def test_gate_sizes_no_bias_and_init_range(cls, gates):
    m = cls(5, 7, bias=False)
    assert [n for n, _ in m.named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]
    assert m.weight_ih_l0.shape == (gates * 7, 5)
    bound = 1 / math.sqrt(7)
    for p in cls(5, 7).parameters():
        assert np.abs(arr(p)).max() <= bound and p.dtype == ember.float32
    assert cls(2, 3, dtype=ember.float64).weight_hh_l0.dtype == ember.float64


def test_repr():
    assert repr(nn.LSTM(3, 4)) == "LSTM(3, 4)"
    assert (
        repr(nn.GRU(3, 4, num_layers=2, bias=False, batch_first=True, bidirectional=True))
        == "GRU(3, 4, num_layers=2, bias=False, batch_first=True, bidirectional=True)"
    )
    assert repr(nn.LSTM(3, 4, proj_size=2)) == "LSTM(3, 4, proj_size=2)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 4, bias=False)) == "LSTMCell(3, 4, bias=False)"


def test_state_dict_round_trip():
    a, b = nn.GRU(3, 4, num_layers=2), nn.GRU(3, 4, num_layers=2)
    b.load_state_dict(a.state_dict())
    x = ember.randn(5, 2, 3)
    np.testing.assert_array_equal(arr(a(x)[0]), arr(b(x)[0]))


# -- shapes and states -----------------------------------------------------------------------
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_output_and_state_shapes(batch_first, bidirectional):
    d = 2 if bidirectional else 1
    m = nn.LSTM(3, 4, num_layers=2, batch_first=batch_first, bidirectional=bidirectional)
    x = ember.randn(*((2, 5, 3) if batch_first else (5, 2, 3)))
    out, (h, c) = m(x)
    assert out.shape == ((2, 5, 4 * d) if batch_first else (5, 2, 4 * d))
    assert h.shape == (2 * d, 2, 4) and c.shape == (2 * d, 2, 4)
    g_out, g_h = nn.GRU(3, 4, batch_first=batch_first)(x)
    assert g_h.shape == (1, 2, 4)


def test_last_output_is_final_hidden_state_and_reverse_first():
    m = nn.GRU(3, 4, bidirectional=True)
    out, h = m(ember.randn(6, 2, 3))
    np.testing.assert_allclose(arr(out[-1, :, :4]), arr(h[0]), rtol=1e-6)
    np.testing.assert_allclose(arr(out[0, :, 4:]), arr(h[1]), rtol=1e-6)


def test_unbatched_input_and_projection_shapes():
    m = nn.LSTM(3, 5, proj_size=2, num_layers=2)
    out, (h, c) = m(ember.randn(4, 3))
    assert out.shape == (4, 2) and h.shape == (2, 2) and c.shape == (2, 5)


def test_zero_h0_equals_default():
    m = nn.RNN(3, 4, num_layers=2, nonlinearity="relu")
    x = ember.randn(5, 2, 3)
    np.testing.assert_allclose(arr(m(x)[0]), arr(m(x, ember.zeros(2, 2, 4))[0]))


def test_rnn_relu_is_nonnegative_and_float64_stays_float64():
    out, h = nn.RNN(3, 4, nonlinearity="relu", dtype=ember.float64)(
        ember.randn(5, 2, 3, dtype=ember.float64)
    )
    assert (arr(out) >= 0).all() and out.dtype == ember.float64


def test_cells_step_like_one_layer_one_step():
    x = ember.randn(1, 2, 3)
    for layer_cls, cell_cls in ((nn.RNN, nn.RNNCell), (nn.GRU, nn.GRUCell), (nn.LSTM, nn.LSTMCell)):
        layer, cell = layer_cls(3, 4), cell_cls(3, 4)
        cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})  # drop "_l0"
        out = layer(x)[0][0]
        step = cell(x[0])
        step = step[0] if isinstance(step, tuple) else step
        # float32, summed in another order: outputs near 0 need an absolute tolerance too
        np.testing.assert_allclose(arr(out), arr(step), rtol=1e-5, atol=1e-6)
        unbatched = cell(x[0, 0])
        unbatched = unbatched[0] if isinstance(unbatched, tuple) else unbatched
        assert unbatched.shape == (4,)


def test_dropout_between_layers_only_in_training():
    m = nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = ember.randn(5, 2, 3)
    m.eval()
    np.testing.assert_array_equal(arr(m(x)[0]), arr(m(x)[0]))
    m.train()
    ember.manual_seed(0)
    a = arr(m(x)[0])
    ember.manual_seed(1)
    assert not np.allclose(a, arr(m(x)[0]))


# -- errors ----------------------------------------------------------------------------------
def test_wrong_input_size_names_layer_and_shape():
    with pytest.raises(RuntimeError, match=r"LSTM\(3, 4\).*Expected 3.*\(5, 2, 7\)"):
        nn.LSTM(3, 4)(ember.randn(5, 2, 7))
    with pytest.raises(ValueError, match="GRU: Expected input to be 2D or 3D, got 4D"):
        nn.GRU(3, 4)(ember.randn(1, 5, 2, 3))
    with pytest.raises(RuntimeError, match=r"GRUCell\(3, 4\).*\(2, 5\)"):
        nn.GRUCell(3, 4)(ember.randn(2, 5))


def test_wrong_hidden_shape():
    m = nn.RNN(3, 4, num_layers=2)
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(2, 2, 4\), got \[1, 2, 4\]"):
        m(ember.randn(5, 2, 3), ember.zeros(1, 2, 4))
    lstm = nn.LSTM(3, 4)
    with pytest.raises(RuntimeError, match=r"hidden\[1\] size \(1, 2, 4\), got \[1, 2, 5\]"):
        lstm(ember.randn(5, 2, 3), (ember.zeros(1, 2, 4), ember.zeros(1, 2, 5)))
    with pytest.raises(RuntimeError, match="unbatched 2-D input"):
        m(ember.randn(5, 3), ember.zeros(2, 1, 4))
    with pytest.raises(RuntimeError, match=r"LSTMCell\(3, 4\): Expected hx\[0\] of shape"):
        nn.LSTMCell(3, 4)(ember.randn(2, 3), (ember.zeros(3, 4), ember.zeros(2, 4)))


def test_constructor_errors():
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match="proj_size has to be smaller"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(TypeError, match="hidden_size should be of type int"):
        nn.GRU(3, 4.0)
    with pytest.raises(ValueError, match="input_size must be greater than zero"):
        nn.GRU(0, 4)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.2)
    with pytest.raises(ValueError, match="dtype"):
        nn.GRU(3, 4)(ember.randn(5, 2, 3, dtype=ember.float64))


# -- gradients -------------------------------------------------------------------------------
def test_gradcheck_tiny_lstm_with_states():
    m = nn.LSTM(2, 3, bidirectional=True, dtype=ember.float64)
    x = ember.randn(3, 2, 2, dtype=ember.float64, requires_grad=True)
    h0 = ember.randn(2, 2, 3, dtype=ember.float64, requires_grad=True)
    c0 = ember.randn(2, 2, 3, dtype=ember.float64, requires_grad=True)

    def fn(x, h0, c0, *params):  # params are perturbed in place by gradcheck
        out, (h, c) = m(x, (h0, c0))
        return (out.sum(-1), h, c)

    w_hh, b_ih = m.weight_hh_l0, m.bias_ih_l0_reverse
    assert gradcheck(fn, (x, h0, c0, w_hh, b_ih))


def test_gradcheck_gru_cell():
    cell = nn.GRUCell(2, 3, dtype=ember.float64)
    x = ember.randn(2, 2, dtype=ember.float64, requires_grad=True)
    h = ember.randn(2, 3, dtype=ember.float64, requires_grad=True)
    assert gradcheck(lambda x, h: cell(x, h), (x, h))


def test_parameter_gradients_flow_through_every_layer_and_direction():
    m = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2)
    out, (h, c) = m(ember.randn(5, 2, 3))
    (out.sum() + c.sum()).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and np.abs(p.grad.numpy()).sum() > 0, name
