"""Activation functions and modules: stability, in-place, errors, dim handling, PReLU state."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F
import ember.nn.modules as nnm
from ember.autograd import gradcheck, gradgradcheck
from ember.ops.activation import _erf_np
from tests.ops.helpers import check_error

BIG = [-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0]


def _grad(fn, values, dtype=ember.float64):
    x = ember.tensor(values, dtype=dtype, requires_grad=True)
    y = fn(x)
    y.sum().backward()
    return y.detach().numpy(), x.grad.numpy()


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
@pytest.mark.parametrize("name", ["softplus", "logsigmoid", "gelu", "elu", "selu", "celu", "silu",
                                  "mish", "sigmoid", "tanh", "softsign", "hardswish"])
def test_large_inputs_give_finite_values_and_gradients(name, dtype):
    out, grad = _grad(getattr(F, name), BIG, dtype)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(grad))


def test_stable_values_at_extremes():
    out, grad = _grad(F.softplus, [-1000.0, 1000.0])
    np.testing.assert_allclose(out, [0.0, 1000.0])
    np.testing.assert_allclose(grad, [0.0, 1.0])
    out, grad = _grad(F.logsigmoid, [-1000.0, 1000.0])
    np.testing.assert_allclose(out, [-1000.0, 0.0])
    np.testing.assert_allclose(grad, [1.0, 0.0])
    out, grad = _grad(lambda x: F.log_softmax(x, 0), [1000.0, 0.0, -1000.0])
    np.testing.assert_allclose(out, [0.0, -1000.0, -2000.0])
    np.testing.assert_allclose(grad, [-2.0, 1.0, 1.0])
    out, grad = _grad(lambda x: F.softmax(x, 0), [1000.0, 0.0, -1000.0])
    np.testing.assert_allclose(out, [1.0, 0.0, 0.0])
    assert np.all(np.isfinite(grad))


def test_softmax_double_backward_with_large_logits():
    x = ember.tensor([[800.0, -3.0, 799.0], [0.1, 0.2, -0.3]], dtype=ember.float64,
                     requires_grad=True)
    assert gradgradcheck(lambda t: F.log_softmax(t, 1), [x])
    assert gradgradcheck(lambda t: F.softmax(t, 1), [x])


def test_erf_matches_math_erf():
    xs = np.concatenate([np.linspace(-8, 8, 4001), [2.5, -2.5, 1e-20, np.inf, -np.inf]])
    want = np.array([math.erf(v) for v in xs])
    np.testing.assert_allclose(_erf_np(xs), want, rtol=1e-14, atol=1e-15)
    assert np.isnan(_erf_np(np.array([np.nan])))[0]
    assert _erf_np(np.zeros(2, np.float32)).dtype == np.float32


def test_gelu_exact_values_and_gradient():
    xs = np.array([-3.0, -0.5, 0.0, 0.7, 2.6])
    want = xs * 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in xs]))
    np.testing.assert_allclose(F.gelu(ember.tensor(xs)).numpy(), want, rtol=1e-13)
    x = ember.tensor(xs, requires_grad=True)
    assert gradcheck(F.gelu, [x]) and gradgradcheck(F.gelu, [x])


def test_dtype_is_preserved():
    for fn in (F.gelu, F.softplus, F.logsigmoid, F.elu, lambda t: F.softmax(t, 0)):
        assert fn(ember.ones(3, dtype=ember.float64)).dtype == ember.float64
        assert fn(ember.ones(3)).dtype == ember.float32


@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "silu",
                                  "mish", "hardtanh", "hardsigmoid", "hardswish"])
def test_inplace_writes_into_input_and_keeps_gradients(name):
    fn = getattr(F, name)
    x = ember.tensor([-2.0, -0.5, 0.5, 3.0], dtype=ember.float64, requires_grad=True)
    want, want_grad = _grad(fn, x.detach().numpy())
    h = x * 1
    out = fn(h, inplace=True)
    assert out is h
    np.testing.assert_allclose(h.detach().numpy(), want)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), want_grad)


def test_inplace_on_leaf_that_requires_grad_is_refused():
    check_error(lambda lib: lib.nn.functional.relu(lib.ones(2, requires_grad=True), inplace=True),
                RuntimeError, "leaf")


def test_inplace_without_grad_modifies_the_tensor():
    x = ember.tensor([-1.0, 2.0])
    nnm.ReLU(inplace=True)(x)
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0])


def test_softmax_implicit_dim_warns_and_follows_pytorch():
    x = ember.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = F.softmax(x)
    np.testing.assert_allclose(out.sum(1).numpy(), [1.0, 1.0], rtol=1e-6)
    with pytest.warns(UserWarning):
        out = nnm.LogSoftmax()(ember.randn(4))
    np.testing.assert_allclose(np.exp(out.numpy()).sum(), 1.0, rtol=1e-6)


def test_softmax_dtype_argument_and_zero_dim():
    out = F.softmax(ember.ones(3), 0, dtype=ember.float64)
    assert out.dtype == ember.float64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert F.softmax(ember.tensor(3.0), 0).item() == 1.0
        assert F.log_softmax(ember.tensor(3.0), -1).item() == 0.0


def test_softmin_is_softmax_of_negation():
    x = ember.randn(3, 4)
    np.testing.assert_allclose(F.softmin(x, 1).numpy(), F.softmax(-x, 1).numpy())


def test_errors_match_pytorch():
    def fn(lib):
        return lib.nn.functional
    check_error(lambda lib: fn(lib).glu(lib.ones(2, 3), 1), RuntimeError, "glu", "size 3")
    check_error(lambda lib: fn(lib).glu(lib.tensor(1.0), 0), RuntimeError, "scalars")
    check_error(lambda lib: fn(lib).prelu(lib.ones(2, 4), lib.ones(3)), RuntimeError, "prelu",
                "parameter numbers = 3", "channel size = 4")
    check_error(lambda lib: fn(lib).gelu(lib.ones(2), approximate="x"), RuntimeError,
                "approximate")
    check_error(lambda lib: fn(lib).hardtanh(lib.ones(2), 2.0, 1.0), ValueError, "min_val")
    check_error(lambda lib: fn(lib).relu([1.0]), TypeError, "relu", "list")
    check_error(lambda lib: fn(lib).softmax(lib.ones(2, 3), 2), IndexError, "range")
    check_error(lambda lib: fn(lib).celu(lib.ones(2), 0.0), RuntimeError, "alpha")
    check_error(lambda lib: fn(lib).prelu(lib.ones(2, 3), lib.ones(3, dtype=lib.float64)),
                RuntimeError, "prelu")


def test_hardtanh_module_rejects_empty_range():
    with pytest.raises(AssertionError, match="max_val"):
        nnm.Hardtanh(1.0, -1.0)


def test_prelu_parameter_and_state_dict():
    m = nnm.PReLU(3, init=0.1)
    assert list(m.state_dict()) == ["weight"]
    assert tuple(m.weight.shape) == (3,) and m.weight.requires_grad
    np.testing.assert_allclose(m.weight.detach().numpy(), [0.1] * 3, rtol=1e-6)
    m.load_state_dict({"weight": ember.tensor([0.5, 1.0, 2.0])})
    x = ember.full((1, 3, 2), -1.0)
    np.testing.assert_allclose(m(x).detach().numpy()[0, :, 0], [-0.5, -1.0, -2.0])
    m(x).sum().backward()
    np.testing.assert_allclose(m.weight.grad.numpy(), [-2.0, -2.0, -2.0])
    assert repr(m) == "PReLU(num_parameters=3)"
    assert nnm.PReLU(dtype=ember.float64).weight.dtype == ember.float64


def test_module_reprs():
    assert repr(nnm.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nnm.ReLU6()) == "ReLU6()"
    assert repr(nnm.LeakyReLU(0.2, True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(nnm.ELU(alpha=2)) == "ELU(alpha=2)"
    assert repr(nnm.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nnm.Softplus(2, 10)) == "Softplus(beta=2, threshold=10)"
    assert repr(nnm.Hardtanh(-2, 2)) == "Hardtanh(min_val=-2, max_val=2)"
    assert repr(nnm.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nnm.Hardswish(inplace=True)) == "Hardswish()"
    assert repr(nnm.GLU()) == "GLU(dim=-1)"


def test_activations_have_no_state():
    for name in ("ReLU", "GELU", "Softmax", "Sigmoid", "Tanh", "Mish", "SiLU"):
        m = getattr(nnm, name)()
        assert list(m.state_dict()) == [] and list(m.parameters()) == []


def test_layers_are_reexported_from_ember_nn_and_tensor_softmax_method():
    import ember.nn as nn

    assert nn.ReLU is ember.nn.modules.ReLU
    assert nn.CrossEntropyLoss is ember.nn.modules.CrossEntropyLoss
    x = ember.randn(2, 3)
    assert ember.allclose(x.softmax(1), ember.nn.functional.softmax(x, 1))
    assert ember.allclose(x.log_softmax(-1, dtype=ember.float64), ember.nn.functional.log_softmax(
        x.double(), -1))
