"""Identity, Linear, LazyLinear, Flatten, Unflatten and F.linear."""

import math

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd import gradcheck, gradgradcheck


def arr(t):
    return t.detach().numpy()


# -- Linear --------------------------------------------------------------------------------------
def test_linear_parameters_shapes_names_and_repr():
    m = nn.Linear(4, 3)
    assert m.weight.shape == (3, 4) and m.bias.shape == (3,)
    assert type(m.weight) is nn.Parameter and m.weight.dtype == ember.float32
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert repr(m) == "Linear(in_features=4, out_features=3, bias=True)"
    no_bias = nn.Linear(4, 3, bias=False)
    assert no_bias.bias is None and "bias" in no_bias._parameters
    assert no_bias.extra_repr() == "in_features=4, out_features=3, bias=False"
    assert nn.Linear(2, 2, dtype=ember.float64).weight.dtype == ember.float64


def test_linear_default_init_is_uniform_within_one_over_sqrt_fan_in():
    ember.manual_seed(0)
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) gives the same bound
    w, b = arr(m.weight).copy(), arr(m.bias)
    assert -bound <= w.min() < -0.99 * bound and 0.99 * bound < w.max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound
    assert -bound <= b.min() and b.max() <= bound and b.std() > 0.5 * bound / math.sqrt(3)
    ember.manual_seed(0)
    again = nn.Linear(400, 300)
    np.testing.assert_array_equal(arr(again.weight), w)  # seeded
    m.reset_parameters()
    assert not np.array_equal(arr(m.weight), w)


@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4), (2, 1, 3, 4)])
def test_linear_forward_matches_numpy(shape):
    m = nn.Linear(4, 3)
    x = ember.randn(*shape)
    expected = arr(x) @ arr(m.weight).T + arr(m.bias)
    out = m(x)
    assert out.shape == shape[:-1] + (3,)
    np.testing.assert_allclose(arr(out), expected, rtol=1e-5, atol=1e-6)


def test_linear_gradients_match_numpy():
    m = nn.Linear(4, 3)
    x = ember.randn(2, 5, 4, requires_grad=True)
    g = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)
    (m(x) * ember.tensor(g)).sum().backward()
    xs = arr(x).reshape(-1, 4)
    gs = g.reshape(-1, 3)
    np.testing.assert_allclose(arr(m.weight.grad), gs.T @ xs, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(arr(m.bias.grad), gs.sum(0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(arr(x.grad), g @ arr(m.weight), rtol=1e-5, atol=1e-5)
    assert type(m.weight.grad) is ember.Tensor


def test_linear_wrong_shape_names_the_layer_and_shapes():
    m = nn.Linear(784, 10)
    with pytest.raises(RuntimeError) as info:
        m(ember.zeros(32, 28, 28))
    assert str(info.value) == (
        "Linear(in_features=784, out_features=10, bias=True): expected last "
        "dimension 784, got input of shape (32, 28, 28)"
    )
    with pytest.raises(RuntimeError, match=r"got input of shape \(\)"):
        m(ember.tensor(1.0))
    with pytest.raises(TypeError, match="must be Tensor, not ndarray"):
        m(np.zeros((1, 784), dtype=np.float32))


def test_wrong_shape_inside_a_model_names_the_path():
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.Linear(12, 2))
    with pytest.raises(
        RuntimeError,
        match=r"^2 \(Linear\): Linear\(in_features=12, "
        r"out_features=2, bias=True\): expected last "
        r"dimension 12, got input of shape \(3, 10\)$",
    ):
        model(ember.zeros(3, 28, 28))


def test_linear_float64_model():
    m = nn.Linear(3, 2).double()
    out = m(ember.randn(4, 3, dtype=ember.float64))
    assert out.dtype == ember.float64


# -- F.linear ------------------------------------------------------------------------------------
def test_functional_linear_gradcheck_float64():
    rng = np.random.default_rng(1)

    def t(*shape):
        return ember.tensor(rng.standard_normal(shape), dtype=ember.float64, requires_grad=True)

    x, w, b = t(2, 3, 4), t(5, 4), t(5)
    assert gradcheck(F.linear, (x, w, b))
    assert gradcheck(lambda x, w: F.linear(x, w), (t(3, 4), w))
    assert gradgradcheck(F.linear, (t(3, 4), t(2, 4), t(2)))


def test_functional_linear_1d_weight_and_errors():
    x = ember.randn(3, 4)
    w = ember.randn(4)
    np.testing.assert_allclose(arr(F.linear(x, w)), arr(x) @ arr(w), rtol=1e-5)
    with pytest.raises(RuntimeError, match=r"input of shape \(3, 4\) and weight of shape \(2, 5\)"):
        F.linear(x, ember.randn(2, 5))
    with pytest.raises(TypeError, match="argument 'input'"):
        F.linear([1.0], w)
    with pytest.raises(TypeError, match="argument 'weight'"):
        F.linear(x, [1.0])


# -- LazyLinear ----------------------------------------------------------------------------------
def test_lazy_linear_infers_in_features_and_becomes_linear():
    m = nn.LazyLinear(3)
    assert isinstance(m.weight, nn.UninitializedParameter)
    assert repr(m) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    assert m.has_uninitialized_params()
    out = m(ember.randn(2, 5))
    assert out.shape == (2, 3) and type(m) is nn.Linear
    assert m.in_features == 5 and m.weight.shape == (3, 5) and type(m.weight) is nn.Parameter
    bound = 1 / math.sqrt(5)
    assert np.abs(arr(m.weight)).max() <= bound and arr(m.weight).std() > 0
    assert repr(m) == "Linear(in_features=5, out_features=3, bias=True)"
    out.sum().backward()
    assert m.weight.grad.shape == (3, 5)


def test_lazy_linear_without_bias_and_with_dtype():
    m = nn.LazyLinear(2, bias=False, dtype=ember.float64)
    assert m.bias is None
    assert m(ember.randn(1, 4, dtype=ember.float64)).dtype == ember.float64


def test_lazy_linear_loads_a_state_dict_before_the_first_call():
    src = nn.Linear(6, 2)
    m = nn.LazyLinear(2)
    m.load_state_dict(src.state_dict())
    x = ember.randn(3, 6)
    np.testing.assert_array_equal(arr(m(x)), arr(src(x)))
    assert type(m) is nn.Linear and m.in_features == 6


def test_lazy_linear_inside_sequential():
    model = nn.Sequential(nn.Flatten(), nn.LazyLinear(4), nn.Linear(4, 1))
    assert model(ember.zeros(2, 3, 3)).shape == (2, 1)
    assert model[1].weight.shape == (4, 9)


# -- Identity, Flatten, Unflatten ----------------------------------------------------------------
def test_identity_ignores_arguments_and_returns_its_input():
    m = nn.Identity(54, unused="x")
    x = ember.randn(2)
    assert m(x) is x and repr(m) == "Identity()"


def test_flatten_and_unflatten():
    x = ember.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 2)(x).shape == (24, 5)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    u = nn.Unflatten(1, (3, 4))
    assert u(ember.randn(2, 12)).shape == (2, 3, 4)
    assert nn.Unflatten(-1, [2, -1])(ember.randn(2, 12)).shape == (2, 2, 6)
    assert repr(u) == "Unflatten(dim=1, unflattened_size=(3, 4))"
    with pytest.raises(TypeError, match="must be a tuple of ints, but found type int"):
        nn.Unflatten(1, 12)
    with pytest.raises(TypeError, match="found element of type float at pos 1"):
        nn.Unflatten(1, (3, 4.0))
    y = nn.Flatten()(ember.randn(2, 3, 4, requires_grad=True))
    assert y.grad_fn is not None


def test_bilinear_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(0)
    x1 = ember.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    x2 = ember.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    w = ember.tensor(rng.standard_normal((5, 3, 4)), requires_grad=True)
    b = ember.tensor(rng.standard_normal(5), requires_grad=True)
    assert ember.autograd.gradcheck(F.bilinear, (x1, x2, w, b))
    assert ember.autograd.gradgradcheck(F.bilinear, (x1, x2, w, b))


def test_bilinear_module_matches_formula_and_names_bad_shapes():
    layer = nn.Bilinear(3, 4, 2)
    assert repr(layer) == "Bilinear(in1_features=3, in2_features=4, out_features=2, bias=True)"
    assert tuple(layer.weight.shape) == (2, 3, 4) and tuple(layer.bias.shape) == (2,)
    x1, x2 = ember.randn(7, 3), ember.randn(7, 4)
    want = np.einsum("ni,oij,nj->no", x1.numpy(), layer.weight.detach().numpy(), x2.numpy())
    np.testing.assert_allclose(layer(x1, x2).detach().numpy(), want + layer.bias.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match=r"Bilinear\(in1_features=3.*\(7, 5\)"):
        layer(x1, ember.randn(7, 5))
