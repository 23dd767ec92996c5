"""Elementwise behaviour the op table can't express: dtype promotion, ties and special points,
errors, 0-d results and in-place variants. Expected values are worked out by hand; where
PyTorch is importable the same check also runs on torch, so the hand answers are its answers."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from tests.ops.helpers import dtype_name, grads_of, lib_param, torch

quiet = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 0^-1, log(0) on purpose


# -- dtype promotion -----------------------------------------------------------------------------
DTYPE_CASES = [
    ("int_tensor_times_python_float", lambda lib: lib.tensor([1, 2]) * 1.5, "float32"),
    ("python_float_times_int_tensor", lambda lib: 2.5 * lib.tensor([1, 2]), "float32"),
    ("int_tensor_plus_python_int", lambda lib: lib.tensor([1, 2]) + 3, "int64"),
    ("int_plus_int", lambda lib: lib.tensor([1, 2]) + lib.tensor([3, 4]), "int64"),
    ("int_times_int", lambda lib: lib.tensor([1, 2]) * lib.tensor([3, 4]), "int64"),
    ("int32_plus_python_int", lambda lib: lib.tensor([1, 2], dtype=lib.int32) + 1, "int32"),
    ("int32_plus_int64_0d", lambda lib: lib.tensor([1, 2], dtype=lib.int32) + lib.tensor(1),
     "int32"),
    ("int32_plus_int64", lambda lib: lib.tensor([1], dtype=lib.int32) + lib.tensor([1]), "int64"),
    ("float32_plus_float64_0d",
     lambda lib: lib.tensor([1.0, 2.0]) + lib.tensor(2.0, dtype=lib.float64), "float32"),
    ("float32_plus_float64_1d",
     lambda lib: lib.tensor([1.0, 2.0]) + lib.tensor([2.0], dtype=lib.float64), "float64"),
    ("int_plus_float64_0d", lambda lib: lib.tensor([1, 2]) + lib.tensor(2.0, dtype=lib.float64),
     "float64"),
    ("float32_times_int_tensor", lambda lib: lib.tensor([1.0]) * lib.tensor([2]), "float32"),
    ("float64_times_python_float", lambda lib: lib.tensor([1.0], dtype=lib.float64) * 2.5,
     "float64"),
    ("bool_plus_bool", lambda lib: lib.tensor([True]) + lib.tensor([True]), "bool"),
    ("bool_plus_python_int", lambda lib: lib.tensor([True, False]) + 1, "int64"),
    ("bool_times_python_float", lambda lib: lib.tensor([True, False]) * 1.5, "float32"),
    ("int_div_int", lambda lib: lib.tensor([3, 4]) / lib.tensor([2, 2]), "float32"),
    ("int_div_python_int", lambda lib: lib.tensor([3, 4]) / 2, "float32"),
    ("python_int_div_int", lambda lib: 2 / lib.tensor([3, 4]), "float32"),
    ("int_floordiv_int", lambda lib: lib.tensor([7, -7]) // lib.tensor([2, 2]), "int64"),
    ("int_remainder_int", lambda lib: lib.tensor([7, -7]) % 3, "int64"),
    ("int_pow_int", lambda lib: lib.tensor([2, 3]) ** 2, "int64"),
    ("int_pow_float", lambda lib: lib.tensor([2, 3]) ** 0.5, "float32"),
    ("python_int_pow_int", lambda lib: 2 ** lib.tensor([2, 3]), "int64"),
    ("python_float_pow_int", lambda lib: 2.5 ** lib.tensor([2, 3]), "float32"),
    ("int_maximum_float", lambda lib: lib.maximum(lib.tensor([1, 2]), lib.tensor([1.5, 0.5])),
     "float32"),
    ("int_clamp_float_bound", lambda lib: lib.tensor([0, 1, 2]).clamp(min=0.5), "float32"),
    ("int_clamp_int_bound", lambda lib: lib.tensor([0, 1, 2]).clamp(0, 1), "int64"),
    ("where_float32_python_float", lambda lib: lib.where(lib.tensor([True, False]),
                                                     lib.tensor([1.0, 2.0]), 0.0), "float32"),
    ("where_int_float", lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([1, 2]),
                                          lib.tensor([0.5, 1.5])), "float32"),
    ("int_abs", lambda lib: lib.tensor([-1, 2]).abs(), "int64"),
    ("int_neg", lambda lib: -lib.tensor([-1, 2]), "int64"),
    ("int_sign", lambda lib: lib.tensor([-3, 0, 2]).sign(), "int64"),
    ("int_floor", lambda lib: lib.tensor([-3, 2]).floor(), "int64"),
    ("int_round", lambda lib: lib.tensor([-3, 2]).round(), "int64"),
    ("int_square", lambda lib: lib.tensor([-3, 2]).square(), "int64"),
    ("bool_square", lambda lib: lib.tensor([True, False]).square(), "int64"),
    ("bool_sign", lambda lib: lib.tensor([True, False]).sign(), "bool"),
    ("float_compare", lambda lib: lib.tensor([1.0, 2.0]) > 1.5, "bool"),
    ("int_float_compare", lambda lib: lib.tensor([1, 2]) == lib.tensor([1.0, 2.5]), "bool"),
    ("logical_and_float", lambda lib: lib.logical_and(lib.tensor([0.0, 1.0]), lib.tensor([1, 1])),
     "bool"),
    ("isnan_int", lambda lib: lib.tensor([1, 2]).isnan(), "bool"),
]


@lib_param
@pytest.mark.parametrize("make,expected", [c[1:] for c in DTYPE_CASES],
                         ids=[c[0] for c in DTYPE_CASES])
def test_result_dtype(lib, make, expected):
    assert dtype_name(make(lib)) == expected


UNARY_FLOAT_OPS = {
    "exp": lambda t: t.exp(), "log": lambda t: t.log(), "log1p": lambda t: t.log1p(),
    "log2": lambda t: t.log2(), "sqrt": lambda t: t.sqrt(), "rsqrt": lambda t: t.rsqrt(),
    "sin": lambda t: t.sin(), "cos": lambda t: t.cos(), "tanh": lambda t: t.tanh(),
    "sigmoid": lambda t: t.sigmoid(),
}


@lib_param
@pytest.mark.parametrize("op", sorted(UNARY_FLOAT_OPS))
@pytest.mark.parametrize("in_dtype", ["int64", "int32", "uint8", "bool"])
def test_integer_input_to_float_op_gives_float32(lib, op, in_dtype):
    x = lib.tensor(np.array([1, 2, 4]).astype(in_dtype))
    out = UNARY_FLOAT_OPS[op](x)
    assert dtype_name(out) == "float32"
    want = UNARY_FLOAT_OPS[op](ember.tensor(x.numpy().astype(np.float32))).numpy()
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6)


ALL_FLOAT_OPS = {
    **UNARY_FLOAT_OPS,
    "neg": lambda t: -t, "abs": lambda t: t.abs(), "relu": lambda t: t.relu(),
    "sign": lambda t: t.sign(), "floor": lambda t: t.floor(), "ceil": lambda t: t.ceil(),
    "round": lambda t: t.round(), "trunc": lambda t: t.trunc(), "square": lambda t: t.square(),
    "clamp": lambda t: t.clamp(0.1, 0.5), "clamp_tensor": lambda t: t.clamp(t * 0, t * 0 + 1),
    "add": lambda t: t + t, "add_scalar": lambda t: t + 1, "radd": lambda t: 2.5 + t,
    "sub": lambda t: t - 1.5, "rsub": lambda t: 1 - t, "mul": lambda t: t * t,
    "mul_scalar": lambda t: t * 3, "div": lambda t: t / (t + 1), "rdiv": lambda t: 1 / t,
    "floordiv": lambda t: t // 0.3, "rfloordiv": lambda t: 2 // t, "mod": lambda t: t % 0.3,
    "rmod": lambda t: 2 % t, "pow": lambda t: t ** 2, "pow_tensor": lambda t: t ** t,
    "rpow": lambda t: 2 ** t, "maximum": lambda t: t.maximum(t * 2),
    "minimum": lambda t: t.minimum(t * 2),
    "where": lambda t: t.where(t > 0.5, t * 2), "lerp": lambda t: t.lerp(t * 2, 0.3),
    "addcmul": lambda t: t.addcmul(t, t, value=2), "addcdiv": lambda t: t.addcdiv(t, t + 1),
    "f32_0d_operand": lambda t: t * ember.tensor(2.0) if isinstance(t, ember.Tensor)
    else t * torch.tensor(2.0),
}


@lib_param
@pytest.mark.parametrize("op", sorted(ALL_FLOAT_OPS))
@pytest.mark.parametrize("dt", ["float64", "float32"])
def test_float_dtype_is_kept(lib, op, dt):
    """float64 in, float64 out (and float32 stays float32) for every elementwise op."""
    x = lib.tensor(np.array([0.25, 0.75, 1.5]).astype(dt))
    assert dtype_name(ALL_FLOAT_OPS[op](x)) == dt


# -- 0-d tensors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("op", sorted(ALL_FLOAT_OPS))
def test_zero_dim_result_is_an_array_that_in_place_ops_can_write(op):
    x = ember.tensor(0.75)
    out = ALL_FLOAT_OPS[op](x)
    assert out.shape == ()
    assert isinstance(out.numpy(), np.ndarray)  # NumPy ufuncs return scalars for 0-d input
    before = float(out.item())
    out += 1
    assert out.item() == pytest.approx(before + 1)


def test_zero_dim_scalar_result_in_place_after_reduction():
    y = ember.tensor([1.0, 2.0]).sum() * 2
    y.add_(1)
    y.mul_(2)
    assert y.item() == 14.0 and y._version == 2


# -- ties and special points ---------------------------------------------------------------------
@lib_param
def test_maximum_minimum_ties_split_the_gradient(lib):
    a, b = [1.0, 2.0, 3.0], [1.0, 0.0, 4.0]
    _, (ga, gb) = grads_of(lib, lambda x, y: lib.maximum(x, y), a, b)
    np.testing.assert_array_equal(ga, [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(gb, [0.5, 0.0, 1.0])
    _, (ga, gb) = grads_of(lib, lambda x, y: lib.minimum(x, y), a, b)
    np.testing.assert_array_equal(ga, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(gb, [0.5, 1.0, 0.0])


@lib_param
def test_maximum_with_nan_gives_the_gradient_to_both(lib):
    out, (ga, gb) = grads_of(lib, lambda x, y: lib.maximum(x, y), [np.nan, 0.0], [0.5, np.nan])
    assert np.isnan(out).all()
    np.testing.assert_array_equal(ga, [1.0, 1.0])
    np.testing.assert_array_equal(gb, [1.0, 1.0])


@lib_param
def test_clamp_scalar_bounds_ties_pass_the_gradient(lib):
    out, (g,) = grads_of(lib, lambda x: x.clamp(1.0, 2.0), [1.0, 2.0, 3.0, 0.0, 1.5])
    np.testing.assert_array_equal(out, [1.0, 2.0, 2.0, 1.0, 1.5])
    np.testing.assert_array_equal(g, [1.0, 1.0, 0.0, 0.0, 1.0])


@lib_param
def test_clamp_tensor_bounds_gradients_and_ties(lib):
    x, lo, hi = [1.0, 2.0, 3.0, 0.0, 1.5], [1.0, 0.0, 0.0, 0.5, 0.0], [2.0, 2.0, 2.5, 1.0, 3.0]
    out, (gx, glo, ghi) = grads_of(lib, lambda a, b, c: a.clamp(b, c), x, lo, hi)
    np.testing.assert_array_equal(out, [1.0, 2.0, 2.5, 0.5, 1.5])
    np.testing.assert_array_equal(gx, [1.0, 1.0, 0.0, 0.0, 1.0])  # ties go to x
    np.testing.assert_array_equal(glo, [0.0, 0.0, 0.0, 1.0, 0.0])
    np.testing.assert_array_equal(ghi, [0.0, 0.0, 1.0, 0.0, 0.0])


@lib_param
def test_clamp_min_greater_than_max_gives_max(lib):
    out, (g,) = grads_of(lib, lambda x: x.clamp(2.0, 1.0), [0.0, 1.5, 3.0])
    np.testing.assert_array_equal(out, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


@lib_param
@quiet
def test_pow_zero_exponent_at_zero_base_has_zero_gradient(lib):
    out, (g,) = grads_of(lib, lambda x: x ** 0, [0.0, 2.0])
    np.testing.assert_array_equal(out, [1.0, 1.0])
    np.testing.assert_array_equal(g, [0.0, 0.0])  # 0 * 0^-1 would be nan
    _, (ga, gb) = grads_of(lib, lambda x, y: x ** y, [0.0, 0.0, 2.0], [0.0, 2.0, 0.0])
    np.testing.assert_array_equal(ga, [0.0, 0.0, 0.0])


@lib_param
@quiet
def test_pow_exponent_gradient_at_zero_base(lib):
    # d(a^b)/db = a^b ln a: 0 where a == 0 and b >= 0; a^b ln a = inf * -inf = -inf for b < 0
    _, (ga, gb) = grads_of(lib, lambda x, y: x ** y, [0.0, 0.0, 0.0, 2.0], [0.0, 1.5, -1.0, 3.0])
    np.testing.assert_array_equal(gb[:3], [0.0, 0.0, -np.inf])
    assert gb[3] == pytest.approx(8 * np.log(2))
    _, (g,) = grads_of(lib, lambda y: 0.0 ** y, [0.0, 2.0])
    np.testing.assert_array_equal(g, [0.0, 0.0])


@lib_param
@quiet
def test_pow_square_gradient_and_sqrt_at_zero(lib):
    _, (g,) = grads_of(lib, lambda x: x ** 2, [0.0, -1.5])
    np.testing.assert_array_equal(g, [0.0, -3.0])
    _, (g,) = grads_of(lib, lambda x: x ** 0.5, [0.0, 4.0])
    np.testing.assert_array_equal(g, [np.inf, 0.25])


@lib_param
def test_kinks_take_zero_or_pass_through(lib):
    # abs'(0) = sign(0) = 0; relu'(0) = 0; sign, floor, round are flat
    _, (g,) = grads_of(lib, lambda x: x.abs(), [0.0, -2.0, 3.0])
    np.testing.assert_array_equal(g, [0.0, -1.0, 1.0])
    _, (g,) = grads_of(lib, lambda x: x.relu(), [0.0, -2.0, 3.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])
    for fn in (lambda x: x.sign(), lambda x: x.floor(), lambda x: x.round(),
               lambda x: x.ceil(), lambda x: x.trunc()):
        _, (g,) = grads_of(lib, fn, [0.0, -2.5, 3.2])
        np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


@lib_param
def test_relu_of_negative_is_positive_zero(lib):
    out = lib.tensor([-2.0, -0.5, 1.0]).relu().numpy()
    np.testing.assert_array_equal(np.signbit(out), [False, False, False])


@lib_param
def test_remainder_and_floor_divide_follow_the_divisor_sign(lib):
    a = lib.tensor([7.0, -7.0, 7.0, -7.0])
    b = lib.tensor([2.0, 2.0, -2.0, -2.0])
    np.testing.assert_array_equal((a % b).numpy(), [1.0, 1.0, -1.0, -1.0])
    np.testing.assert_array_equal((a // b).numpy(), [3.0, -4.0, -4.0, 3.0])
    ai, bi = lib.tensor([7, -7, 7, -7]), lib.tensor([2, 2, -2, -2])
    np.testing.assert_array_equal((ai % bi).numpy(), [1, 1, -1, -1])
    np.testing.assert_array_equal((ai // bi).numpy(), [3, -4, -4, 3])
    np.testing.assert_array_equal(ai.div(bi, rounding_mode="trunc").numpy(), [3, -3, -3, 3])
    np.testing.assert_array_equal(a.div(b, rounding_mode="floor").numpy(), [3.0, -4.0, -4.0, 3.0])


@lib_param
def test_remainder_gradient_wrt_divisor(lib):
    # a mod b = a - floor(a/b) b: d/db = -floor(a/b)
    _, (ga, gb) = grads_of(lib, lambda x, y: x % y, [7.5, -7.5], [2.0, 2.0])
    np.testing.assert_array_equal(ga, [1.0, 1.0])
    np.testing.assert_array_equal(gb, [-3.0, 4.0])


@lib_param
def test_round_half_to_even_and_decimals(lib):
    x = lib.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.125])
    np.testing.assert_array_equal(x.round().numpy(), [-2.0, -2.0, -0.0, 0.0, 2.0, 2.0, 0.0])
    np.testing.assert_allclose(lib.tensor([1.25, 1.35, -0.04]).round(decimals=1).numpy(),
                               [1.2, 1.4, -0.0], atol=1e-7)


@lib_param
def test_sigmoid_and_tanh_saturate_without_overflow(lib):
    x = lib.tensor([-1000.0, 1000.0, 0.0])
    np.testing.assert_array_equal(x.sigmoid().numpy(), [0.0, 1.0, 0.5])
    np.testing.assert_array_equal(x.tanh().numpy(), [-1.0, 1.0, 0.0])
    _, (g,) = grads_of(lib, lambda t: t.sigmoid(), [-1000.0, 1000.0, 0.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.25])


@lib_param
def test_where_gradient_goes_to_the_chosen_branch_only(lib):
    _, (ga, gb) = grads_of(lib, lambda a, b: lib.where(a > 0, a, b), [1.0, -1.0, 2.0],
                           [5.0, 6.0, 7.0], weights=[1.0, 2.0, 3.0])
    np.testing.assert_array_equal(ga, [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(gb, [0.0, 2.0, 0.0])


@lib_param
def test_comparisons_with_none_and_nan(lib):
    x = lib.tensor([1.0, np.nan])
    assert (x == None) is False  # noqa: E711 - Python's rule, as in PyTorch
    assert (x != None) is True  # noqa: E711
    np.testing.assert_array_equal((x == x).numpy(), [True, False])
    np.testing.assert_array_equal((x != x).numpy(), [False, True])
    np.testing.assert_array_equal(x.isnan().numpy(), [False, True])


# -- errors --------------------------------------------------------------------------------------
ERROR_CASES = [
    ("int_pow_negative_int", lambda lib: lib.tensor([1, 2]) ** -1),
    ("int_floor_divide_by_zero", lambda lib: lib.tensor([1, 2]) // lib.tensor([1, 0])),
    ("int_remainder_by_zero", lambda lib: lib.tensor([1, 2]) % 0),
    ("int_addcdiv",
     lambda lib: lib.tensor([1.0, 2.0]).addcdiv(lib.tensor([1, 2]), lib.tensor([3, 4]))),
    ("bool_sub", lambda lib: lib.tensor([True, False]) - lib.tensor([True, True])),
    ("python_bool_minus_bool", lambda lib: True - lib.tensor([True, False])),
    ("bool_neg", lambda lib: -lib.tensor([True, False])),
    ("int_add_float_alpha", lambda lib: lib.tensor([1, 2]).add(lib.tensor([1, 2]), alpha=1.5)),
    ("where_float_condition", lambda lib: lib.where(lib.tensor([1.0, 0.0]), lib.tensor([1.0, 2.0]),
                                                lib.tensor([3.0, 4.0]))),
    ("clamp_without_bounds", lambda lib: lib.tensor([1.0]).clamp()),
    ("add_shape_mismatch", lambda lib: lib.tensor([1.0, 2.0]) + lib.tensor([1.0, 2.0, 3.0])),
]


@lib_param
@pytest.mark.parametrize("make", [c[1] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_invalid_arguments_raise_runtime_error(lib, make):
    with pytest.raises(RuntimeError):
        make(lib)


def test_int_pow_negative_int_tensor_raises():
    # NumPy refuses it; PyTorch returns garbage (only a number exponent is checked there)
    with pytest.raises(RuntimeError, match="negative integer powers"):
        ember.tensor([1, 2]) ** ember.tensor([1, -1])


def test_broadcast_error_names_the_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"mul\(\).*\(2, 3\) and \(4,\)"):
        ember.ones(2, 3) * ember.ones(4)
    with pytest.raises(RuntimeError, match="where"):
        ember.where(ember.tensor([True, False]), ember.ones(3), 0.0)


def test_float_divide_by_zero_gives_inf_and_nan():
    with np.errstate(all="ignore"):
        out = (ember.tensor([1.0, -1.0, 0.0]) / 0).numpy()
    np.testing.assert_array_equal(out[:2], [np.inf, -np.inf])
    assert np.isnan(out[2])


# -- results are new tensors ---------------------------------------------------------------------
@pytest.mark.parametrize("op", ["floor", "ceil", "round", "trunc", "sign"])
def test_integer_identity_ops_return_a_copy(op):
    x = ember.tensor([1, -2, 3])
    y = getattr(x, op)()
    y += 10
    np.testing.assert_array_equal(x.numpy(), [1, -2, 3])


# -- backward of ops with a number operand does not read the tensor ------------------------------
@lib_param
def test_scalar_operand_ops_survive_in_place_change_of_their_input(lib):
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y = x * 1
    z = y * 3 + y / 4 - 2 * y + (y - 1) + (5 + y)
    y.add_(1)  # none of the ops above saved y's value
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 0.25 - 2 + 1 + 1] * 2)


@lib_param
def test_in_place_change_of_a_saved_input_is_detected(lib):
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y = x * 1
    z = y * y
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


# -- in-place variants ---------------------------------------------------------------------------
INPLACE = {
    "add_": (lambda t: t.add_(1.5), lambda a: a + 1.5),
    "add_tensor_alpha": (lambda t: t.add_(t.detach() * 0 + 2, alpha=-0.5), lambda a: a - 1.0),
    "sub_": (lambda t: t.sub_(0.5), lambda a: a - 0.5),
    "sub_alpha": (lambda t: t.sub_(2.0, alpha=2), lambda a: a - 4.0),
    "mul_": (lambda t: t.mul_(3), lambda a: a * 3),
    "mul_detached_self": (lambda t: t.mul_(t.detach().clone()), lambda a: a * a),
    "div_": (lambda t: t.div_(4), lambda a: a / 4),
    "clamp_": (lambda t: t.clamp_(-1, 1.5), lambda a: np.clip(a, -1, 1.5)),
    "clamp_min": (lambda t: t.clamp_(min=0), lambda a: np.maximum(a, 0)),
    "clip_max": (lambda t: t.clip_(max=0.5), lambda a: np.minimum(a, 0.5)),
    "exp_": (lambda t: t.exp_(), np.exp),
    "pow_": (lambda t: t.pow_(2), lambda a: a ** 2),
    "neg_": (lambda t: t.neg_(), np.negative),
    "abs_": (lambda t: t.abs_(), np.abs),
    "sigmoid_": (lambda t: t.sigmoid_(), lambda a: 1 / (1 + np.exp(-a))),
    "tanh_": (lambda t: t.tanh_(), np.tanh),
    "relu_": (lambda t: t.relu_(), lambda a: np.maximum(a, 0)),
    "iadd": (lambda t: t.__iadd__(2), lambda a: a + 2),
    "isub": (lambda t: t.__isub__(0.25), lambda a: a - 0.25),
    "imul": (lambda t: t.__imul__(-2), lambda a: a * -2),
    "itruediv": (lambda t: t.__itruediv__(8), lambda a: a / 8),
    "ipow": (lambda t: t.__ipow__(3), lambda a: a ** 3),
    "addcmul_": (lambda t: t.addcmul_(t.detach(), t.detach(), value=0.5),
                 lambda a: a + 0.5 * a * a),
    "lerp_": (lambda t: t.lerp_(t.detach() * 0 + 1, 0.25), lambda a: a + 0.25 * (1 - a)),
}
X0 = np.array([0.5, -1.0, 2.0, 3.0])


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_in_place_values_identity_and_version(name):
    op, ref = INPLACE[name]
    t = ember.tensor(X0.astype(np.float32))
    v0 = t._version
    out = op(t)
    assert out is t
    assert t._version > v0
    assert t.dtype == ember.float32
    np.testing.assert_allclose(t.numpy(), ref(X0).astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_in_place_on_leaf_requiring_grad_raises(name):
    t = ember.tensor(X0.astype(np.float32), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        INPLACE[name][0](t)
    np.testing.assert_array_equal(t.detach().numpy(), X0.astype(np.float32))  # unchanged


@pytest.mark.parametrize("name", ["add_", "mul_", "clamp_", "exp_", "iadd"])
def test_in_place_on_leaf_under_no_grad_is_allowed(name):
    op, ref = INPLACE[name]
    t = ember.tensor(X0.astype(np.float32), requires_grad=True)
    with ember.no_grad():
        op(t)
    assert t.requires_grad and t.is_leaf and t._version == 1
    np.testing.assert_allclose(t.detach().numpy(), ref(X0).astype(np.float32), rtol=1e-6)


def _in_place_on_non_leaf(lib, op):
    x = lib.tensor(X0, dtype=lib.float64, requires_grad=True)
    y = x * 2
    v0 = y._version
    op(y)
    assert y._version > v0
    assert y.requires_grad and not y.is_leaf
    (y * lib.tensor([1.0, 2.0, 3.0, 4.0], dtype=lib.float64)).sum().backward()
    return y.detach().numpy(), x.grad.numpy()


# d/dx sum(w * f(2x)) where f ignores detached operands: addcmul_(t.detach(), t.detach()) is t + c
GRAD_OVERRIDE = {"addcmul_": 2 * np.array([1.0, 2.0, 3.0, 4.0]),
                 "mul_detached_self": 2 * np.array([1.0, 2.0, 3.0, 4.0]) * 2 * X0}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_in_place_on_non_leaf_gradients(name):
    op, ref = INPLACE[name]
    value, grad = _in_place_on_non_leaf(ember, op)
    np.testing.assert_allclose(value, ref(2 * X0), rtol=1e-12)
    # central differences of the same computation in NumPy: d/dx sum(w * ref(2x))
    w, eps = np.array([1.0, 2.0, 3.0, 4.0]), 1e-6
    numeric = np.array([
        (np.sum(w * ref(2 * (X0 + eps * e))) - np.sum(w * ref(2 * (X0 - eps * e)))) / (2 * eps)
        for e in np.eye(4)
    ])
    np.testing.assert_allclose(grad, GRAD_OVERRIDE.get(name, numeric), rtol=1e-5, atol=1e-7)
    if torch is not None:
        t_value, t_grad = _in_place_on_non_leaf(torch, op)
        np.testing.assert_allclose(value, t_value, rtol=1e-12)
        np.testing.assert_allclose(grad, t_grad, rtol=1e-12)


@lib_param
def test_in_place_multiply_by_itself_then_backward_raises(lib):
    # the op saved its operand, which is the tensor it then overwrote
    x = lib.tensor(X0, requires_grad=True)
    y = x * 2
    y.mul_(y)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@lib_param
@pytest.mark.parametrize("op", [lambda t: t.add_(1.5), lambda t: t.mul_(0.5),
                                lambda t: t.div_(2), lambda t: t.exp_(),
                                lambda t: t.__iadd__(0.5)])
def test_in_place_float_result_into_int_tensor_raises(lib, op):
    t = lib.tensor([1, 2, 3])
    with pytest.raises(RuntimeError):
        op(t)
    np.testing.assert_array_equal(t.numpy(), [1, 2, 3])


@lib_param
def test_in_place_keeps_dtype_and_accepts_lower_category(lib):
    t = lib.tensor([1.0, 2.0])  # float32
    t.add_(lib.tensor(1.0, dtype=lib.float64))
    t.mul_(lib.tensor([2, 3]))
    assert dtype_name(t) == "float32"
    np.testing.assert_array_equal(t.numpy(), [4.0, 9.0])
    i = lib.tensor([1, 2])
    i += 3
    i *= lib.tensor([True, False])
    assert dtype_name(i) == "int64"
    np.testing.assert_array_equal(i.numpy(), [4, 0])


@lib_param
def test_in_place_cannot_broadcast_the_destination(lib):
    t = lib.tensor([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError):
        t.add_(lib.tensor([[1.0], [2.0]]))
