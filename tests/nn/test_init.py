"""nn.init: in place under no_grad, PyTorch's formulas for gains, bounds and statistics."""

import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
from ember.nn import init


def arr(t):
    return t.detach().numpy().astype(np.float64)


def param(*shape, dtype=None):
    return nn.Parameter(ember.empty(*shape, dtype=dtype))


@pytest.mark.parametrize(
    "name, param_, gain",
    [
        ("linear", None, 1.0),
        ("conv2d", None, 1.0),
        ("conv_transpose3d", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5.0 / 3),
        ("relu", None, math.sqrt(2.0)),
        ("leaky_relu", None, math.sqrt(2.0 / (1 + 0.01**2))),
        ("leaky_relu", 0.2, math.sqrt(2.0 / 1.04)),
        ("leaky_relu", 1, 1.0),
        ("selu", None, 0.75),
    ],
)
def test_calculate_gain(name, param_, gain):
    assert init.calculate_gain(name, param_) == pytest.approx(gain, rel=1e-12)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)


def test_fan_in_and_fan_out():
    assert init._calculate_fan_in_and_fan_out(ember.empty(7, 3)) == (3, 7)
    assert init._calculate_fan_in_and_fan_out(ember.empty(16, 8, 3, 5)) == (120, 240)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(ember.empty(4))


def test_initialisers_work_in_place_on_parameters_and_return_them():
    p = param(4, 5)
    for fn in (
        init.uniform_,
        init.normal_,
        init.trunc_normal_,
        init.ones_,
        init.zeros_,
        init.eye_,
        init.xavier_uniform_,
        init.xavier_normal_,
        init.kaiming_uniform_,
        init.kaiming_normal_,
        init.orthogonal_,
        lambda t: init.constant_(t, 0.5),
        lambda t: init.sparse_(t, 0.5),
    ):
        data = p._data
        assert fn(p) is p  # no "leaf requires grad used in in-place op" error: no_grad inside
        assert p._data is data and p.requires_grad and p.grad_fn is None


def test_uniform_and_normal_statistics():
    ember.manual_seed(0)
    u = arr(init.uniform_(ember.empty(200, 200), -2.0, 3.0))
    assert u.min() >= -2.0 and u.max() < 3.0
    assert abs(u.mean() - 0.5) < 0.03 and abs(u.std() - 5 / math.sqrt(12)) < 0.02
    n = arr(init.normal_(ember.empty(200, 200), 1.0, 0.5))
    assert abs(n.mean() - 1.0) < 0.01 and abs(n.std() - 0.5) < 0.01


def test_generator_makes_draws_reproducible():
    a = init.kaiming_normal_(ember.empty(5, 5), generator=ember.Generator().manual_seed(3))
    b = init.kaiming_normal_(ember.empty(5, 5), generator=ember.Generator().manual_seed(3))
    np.testing.assert_array_equal(arr(a), arr(b))


def test_constant_ones_zeros_eye():
    np.testing.assert_array_equal(
        arr(init.constant_(ember.empty(2, 3), 0.25)), np.full((2, 3), 0.25)
    )
    np.testing.assert_array_equal(arr(init.ones_(ember.empty(3))), np.ones(3))
    np.testing.assert_array_equal(arr(init.zeros_(ember.ones(3))), np.zeros(3))
    np.testing.assert_array_equal(arr(init.eye_(ember.empty(2, 4))), np.eye(2, 4))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.eye_(ember.empty(2, 2, 2))


def test_dirac_passes_channels_through():
    w = arr(init.dirac_(ember.empty(4, 2, 3, 3), groups=2))
    expected = np.zeros((4, 2, 3, 3))
    for g in range(2):
        for d in range(2):
            expected[g * 2 + d, d, 1, 1] = 1
    np.testing.assert_array_equal(w, expected)
    w3 = arr(init.dirac_(ember.empty(3, 5, 4)))
    assert w3.sum() == 3 and w3[2, 2, 2] == 1
    with pytest.raises(ValueError, match="3, 4, or 5 dimensions"):
        init.dirac_(ember.empty(3, 3))
    with pytest.raises(ValueError, match="divisible by groups"):
        init.dirac_(ember.empty(3, 3, 3), groups=2)


def test_xavier_bounds_and_std():
    ember.manual_seed(1)
    fan_in, fan_out = 300, 100
    a = 2.0 * math.sqrt(6.0 / (fan_in + fan_out))
    x = arr(init.xavier_uniform_(ember.empty(fan_out, fan_in), gain=2.0))
    assert -a <= x.min() < -0.95 * a and 0.95 * a < x.max() <= a
    std = math.sqrt(2.0 / (fan_in + fan_out))
    xn = arr(init.xavier_normal_(ember.empty(fan_out, fan_in)))
    assert abs(xn.std() - std) < 0.02 * std


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "FAN_OUT"])
@pytest.mark.parametrize(
    "nonlinearity, a", [("relu", 0), ("leaky_relu", 0.1), ("leaky_relu", math.sqrt(5))]
)
def test_kaiming_bounds_and_std(mode, nonlinearity, a):
    ember.manual_seed(2)
    shape = (64, 32, 3, 3)
    fan = 32 * 9 if mode == "fan_in" else 64 * 9
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    u = arr(init.kaiming_uniform_(ember.empty(*shape), a=a, mode=mode, nonlinearity=nonlinearity))
    assert -bound <= u.min() < -0.99 * bound and 0.99 * bound < u.max() <= bound
    n = arr(init.kaiming_normal_(ember.empty(*shape), a=a, mode=mode, nonlinearity=nonlinearity))
    assert abs(n.std() - std) < 0.03 * std and abs(n.mean()) < 0.03 * std


def test_kaiming_errors_and_zero_element_warning():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(ember.empty(2, 2), mode="fan_avg")
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(ember.empty(0, 3))
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_normal_(ember.empty(3, 0))


@pytest.mark.parametrize(
    "mean, std, a, b",
    [
        (0.0, 1.0, -2.0, 2.0),  # most of the mass inside: redraw out-of-range normals
        (0.0, 1.0, 0.5, 1.5),  # narrow window: rejection from uniform proposals
        (1.0, 0.02, 0.9, 1.1),  # small std, wide window
        (0.0, 1.0, 2.0, 3.0),  # window in the tail
    ],
)
def test_trunc_normal_bounds_and_moments(mean, std, a, b):
    ember.manual_seed(4)
    x = arr(init.trunc_normal_(ember.empty(100_000, dtype=ember.float64), mean, std, a, b))
    assert x.min() >= a and x.max() <= b
    # moments of the truncated normal
    alpha, beta = (a - mean) / std, (b - mean) / std

    def pdf(z):
        return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    def cdf(z):
        return (1 + math.erf(z / math.sqrt(2))) / 2

    z = cdf(beta) - cdf(alpha)
    exp_mean = mean + std * (pdf(alpha) - pdf(beta)) / z
    exp_var = std**2 * (
        1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - ((pdf(alpha) - pdf(beta)) / z) ** 2
    )
    assert abs(x.mean() - exp_mean) < 0.02 * math.sqrt(exp_var) + 1e-12
    assert abs(x.var() - exp_var) < 0.03 * exp_var


def test_trunc_normal_warns_when_mean_is_far_outside():
    with pytest.warns(UserWarning, match="mean is more than 2 std"):
        init.trunc_normal_(ember.empty(10), mean=10.0, a=-1.0, b=1.0)


@pytest.mark.parametrize("shape", [(6, 6), (3, 8), (8, 3), (4, 2, 3, 3), (50, 40), (40, 70)])
def test_orthogonal(shape):
    ember.manual_seed(5)
    w = arr(init.orthogonal_(ember.empty(*shape), gain=2.0)).reshape(shape[0], -1)
    rows, cols = w.shape
    gram = w @ w.T if rows <= cols else w.T @ w
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-5)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(ember.empty(3))


@pytest.mark.parametrize("shape", [(7, 4), (90, 70), (40, 40)])  # 70 > one 32-column block
def test_orthonormal_columns_is_qr_with_positive_diagonal(shape):
    a = np.random.default_rng(0).standard_normal(shape)
    q = arr(init._orthonormal_columns(ember.tensor(a)))
    q_ref, r_ref = np.linalg.qr(a)
    q_ref = q_ref * np.sign(np.diag(r_ref))
    np.testing.assert_allclose(q, q_ref, atol=1e-10)


def test_sparse_zeroes_a_fraction_of_each_column():
    ember.manual_seed(6)
    w = arr(init.sparse_(ember.empty(10, 6), sparsity=0.3, std=0.5))
    assert ((w == 0).sum(axis=0) >= 3).all()
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions"):
        init.sparse_(ember.empty(3), 0.1)


def test_no_warnings_from_normal_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.kaiming_uniform_(ember.empty(3, 3), a=math.sqrt(5))
        init.trunc_normal_(ember.empty(3, 3), std=0.02)
        nn.Linear(3, 3)
