"""Op cases: elementwise arithmetic and math, comparisons and logic."""

import sys

import numpy as np

from tests.ops.cases import OpCase, args, away_from_zero, positive, randn, register


def ns(t):
    """The library (``ember`` or ``torch``) a tensor belongs to, for module-level functions."""
    return sys.modules[type(t).__module__.partition(".")[0]]


def offgrid(*shape):
    """Integers plus a fraction in [0.1, 0.4]: far from the jumps of floor, ceil and round."""
    return lambda rng: rng.integers(-4, 4, shape) + rng.uniform(0.1, 0.4, shape) * rng.choice(
        [-1.0, 1.0], shape)


def small_ints(*shape, low=-3, high=4):
    """Integer-valued floats: plenty of ties for comparisons."""
    return lambda rng: rng.integers(low, high, shape).astype(np.float64)


def ints(*shape, low=-7, high=8, exclude_zero=False):
    def make(rng):
        a = rng.integers(low, high, shape)
        if exclude_zero:
            a[a == 0] = 1
        return a.astype(np.int64)
    return make


def boolean(*shape):
    return lambda rng: rng.random(shape) < 0.5


def fixed(values):
    return lambda rng: np.array(values, dtype=np.float64)


def near(value, *shape, spread=1.0):
    return lambda rng: value + rng.uniform(-spread, spread, shape)


def np_sigmoid(a):
    return 1 / (1 + np.exp(-a))


NONFINITE = [[0.0, np.nan, np.inf], [-np.inf, -1.5, np.nan]]

# -- binary arithmetic: tensor/tensor, tensor/scalar, reflected, broadcasting both ways ----------
register(
    OpCase("add", lambda a, b: a + b, args(randn(3, 4), randn(3, 4)), ref=np.add),
    OpCase("add_broadcast", lambda a, b: a + b, args(randn(3, 1, 4), randn(5, 1)), ref=np.add),
    OpCase("add_broadcast_left", lambda a, b: a + b, args(randn(4), randn(3, 4)), ref=np.add),
    OpCase("add_scalar", lambda a: a + 1.5, args(randn(3, 4)), ref=lambda a: a + 1.5),
    OpCase("add_scalar_int", lambda a: a + 2, args(randn(3, 4)), ref=lambda a: a + 2),
    OpCase("radd_scalar", lambda a: 1.5 + a, args(randn(3, 4)), ref=lambda a: 1.5 + a),
    OpCase("add_alpha", lambda a, b: a.add(b, alpha=2.5), args(randn(3, 4), randn(4)),
           ref=lambda a, b: a + 2.5 * b),
    OpCase("add_fn_alpha", lambda a, b: ns(a).add(a, b, alpha=-2), args(randn(3, 4), randn(3, 4)),
           ref=lambda a, b: a - 2 * b),
    OpCase("sub", lambda a, b: a - b, args(randn(3, 4), randn(3, 4)), ref=np.subtract),
    OpCase("sub_broadcast", lambda a, b: a - b, args(randn(3, 1), randn(1, 4)), ref=np.subtract),
    OpCase("sub_broadcast_left", lambda a, b: a - b, args(randn(4), randn(2, 3, 4)),
           ref=np.subtract),
    OpCase("sub_scalar", lambda a: a - 0.75, args(randn(3, 4)), ref=lambda a: a - 0.75),
    OpCase("rsub_scalar", lambda a: 2.0 - a, args(randn(3, 4)), ref=lambda a: 2.0 - a),
    OpCase("sub_alpha", lambda a, b: a.sub(b, alpha=3), args(randn(3, 4), randn(3, 4)),
           ref=lambda a, b: a - 3 * b),
    OpCase("mul", lambda a, b: a * b, args(randn(3, 4), randn(3, 4)), ref=np.multiply),
    OpCase("mul_broadcast", lambda a, b: a * b, args(randn(2, 1, 4), randn(3, 1)),
           ref=np.multiply),
    OpCase("mul_broadcast_left", lambda a, b: a * b, args(randn(1, 4), randn(3, 4)),
           ref=np.multiply),
    OpCase("mul_scalar", lambda a: a * 2.5, args(randn(3, 4)), ref=lambda a: a * 2.5),
    OpCase("rmul_scalar_int", lambda a: 3 * a, args(randn(3, 4)), ref=lambda a: 3 * a),
    OpCase("mul_self", lambda a: a * a, args(randn(3, 4)), ref=lambda a: a * a),
    OpCase("mul_0d", lambda a, b: a * b, args(randn(3, 4), randn()), ref=np.multiply),
    OpCase("div", lambda a, b: a / b, args(randn(3, 4), positive(4)), ref=np.divide),
    OpCase("div_same_shape", lambda a, b: a / b, args(randn(3, 4), away_from_zero(3, 4)),
           ref=np.divide),
    OpCase("div_broadcast_left", lambda a, b: a / b, args(randn(4), away_from_zero(3, 4)),
           ref=np.divide),
    OpCase("div_scalar", lambda a: a / 4.0, args(randn(3, 4)), ref=lambda a: a / 4.0),
    OpCase("rdiv_scalar", lambda a: 3 / a, args(away_from_zero(3, 4)), ref=lambda a: 3 / a),
    OpCase("div_fn", lambda a, b: ns(a).div(a, b), args(randn(3, 4), away_from_zero(3, 4)),
           ref=np.divide),
    OpCase("div_trunc", lambda a, b: a.div(b, rounding_mode="trunc"),
           args(randn(3, 4), positive(3, 4, low=0.3, high=0.45)),
           ref=lambda a, b: np.trunc(a / b), diff=()),
    OpCase("div_floor", lambda a, b: a.div(b, rounding_mode="floor"),
           args(randn(3, 4), positive(3, 4, low=0.3, high=0.45)),
           ref=lambda a, b: np.floor_divide(a, b), diff=()),
    OpCase("floordiv", lambda a, b: a // b, args(randn(3, 4), away_from_zero(3, 4)),
           ref=np.floor_divide, diff=()),
    OpCase("floordiv_scalar", lambda a: a // 0.7, args(randn(3, 4)),
           ref=lambda a: np.floor_divide(a, 0.7), diff=()),
    OpCase("rfloordiv_scalar", lambda a: 7.0 // a, args(away_from_zero(3, 4)),
           ref=lambda a: np.floor_divide(7.0, a), diff=()),
    OpCase("floordiv_int", lambda a, b: a // b, args(ints(3, 4), ints(4, exclude_zero=True)),
           ref=np.floor_divide, diff=()),
    OpCase("floor_divide_fn", lambda a, b: ns(a).floor_divide(a, b),
           args(randn(3, 4), away_from_zero(3, 1)), ref=np.floor_divide, diff=()),
    OpCase("remainder", lambda a, b: a % b, args(near(0.0, 3, 4, spread=4.0), positive(3, 4)),
           ref=np.remainder),
    OpCase("remainder_neg_divisor", lambda a, b: a % b, args(randn(3, 4), away_from_zero(4)),
           ref=np.remainder),
    OpCase("remainder_scalar", lambda a: a % 1.5, args(randn(3, 4)),
           ref=lambda a: np.remainder(a, 1.5)),
    # PyTorch has no derivative for remainder(Scalar, Tensor): gradcheck here, forward parity below
    OpCase("rremainder_scalar", lambda a: 5.0 % a, args(positive(3, 4)),
           ref=lambda a: np.remainder(5.0, a), parity=False),
    OpCase("rremainder_scalar_forward", lambda a: 5.0 % a, args(positive(3, 4)),
           ref=lambda a: np.remainder(5.0, a), diff=()),
    OpCase("remainder_int", lambda a, b: a % b, args(ints(3, 4), ints(3, 4, exclude_zero=True)),
           ref=np.remainder, diff=()),
    OpCase("pow_scalar", lambda a: a ** 2, args(randn(3, 4)), ref=lambda a: a ** 2),
    OpCase("pow_scalar_int3", lambda a: a ** 3, args(randn(3, 4)), ref=lambda a: a ** 3),
    OpCase("pow_scalar_frac", lambda a: a ** 2.5, args(positive(3, 4)), ref=lambda a: a ** 2.5),
    OpCase("pow_scalar_neg", lambda a: a ** -1.5, args(positive(3, 4)),
           ref=lambda a: a ** -1.5),
    OpCase("pow_tensor", lambda a, b: a ** b, args(positive(3, 4), randn(3, 4)), ref=np.power),
    OpCase("pow_broadcast", lambda a, b: a ** b, args(positive(3, 1), randn(4)), ref=np.power),
    OpCase("rpow_scalar", lambda a: 2 ** a, args(randn(3, 4)), ref=lambda a: 2.0 ** a),
    OpCase("rpow_scalar_float", lambda a: 0.5 ** a, args(randn(3, 4)), ref=lambda a: 0.5 ** a),
    OpCase("pow_fn", lambda a, b: ns(a).pow(a, b), args(positive(3, 4), randn(4)), ref=np.power),
    OpCase("neg", lambda a: -a, args(randn(3, 4)), ref=np.negative),
    OpCase("neg_fn", lambda a: ns(a).neg(a), args(randn(3, 4)), ref=np.negative),
    OpCase("square", lambda a: a.square(), args(randn(3, 4)), ref=np.square),
    OpCase("square_fn", lambda a: ns(a).square(a), args(randn(3, 4)), ref=np.square),
)

# -- unary math ----------------------------------------------------------------------------------
register(
    OpCase("abs", lambda a: a.abs(), args(away_from_zero(3, 4)), ref=np.abs),
    OpCase("abs_builtin", lambda a: abs(a), args(away_from_zero(3, 4)), ref=np.abs),
    OpCase("exp", lambda a: a.exp(), args(randn(2, 3)), ref=np.exp),
    OpCase("exp_fn", lambda a: ns(a).exp(a), args(randn(3, 4)), ref=np.exp),
    OpCase("log", lambda a: a.log(), args(positive(2, 3)), ref=np.log),
    OpCase("log_fn", lambda a: ns(a).log(a), args(positive(3, 4, low=0.1, high=5.0)), ref=np.log),
    OpCase("log1p", lambda a: a.log1p(), args(positive(3, 4, low=-0.5, high=2.0)), ref=np.log1p),
    OpCase("log2", lambda a: a.log2(), args(positive(3, 4, low=0.2, high=8.0)), ref=np.log2),
    OpCase("sqrt", lambda a: a.sqrt(), args(positive(3, 4, low=0.1, high=4.0)), ref=np.sqrt),
    OpCase("rsqrt", lambda a: a.rsqrt(), args(positive(3, 4, low=0.2, high=4.0)),
           ref=lambda a: 1 / np.sqrt(a)),
    OpCase("sin", lambda a: a.sin(), args(randn(3, 4)), ref=np.sin),
    OpCase("cos", lambda a: a.cos(), args(randn(3, 4)), ref=np.cos),
    OpCase("tanh", lambda a: a.tanh(), args(randn(3, 4)), ref=np.tanh),
    OpCase("tanh_fn", lambda a: ns(a).tanh(a), args(randn(3, 4)), ref=np.tanh),
    OpCase("sigmoid", lambda a: a.sigmoid(), args(randn(3, 4)), ref=np_sigmoid),
    OpCase("sigmoid_fn", lambda a: ns(a).sigmoid(a), args(randn(3, 4)), ref=np_sigmoid),
    OpCase("sigmoid_saturated", lambda a: a.sigmoid(),
           args(fixed([[-40.0, -20.0, 0.0, 20.0, 40.0]])), ref=np_sigmoid),
    OpCase("relu", lambda a: a.relu(), args(away_from_zero(3, 4)),
           ref=lambda a: np.maximum(a, 0)),
    OpCase("relu_fn", lambda a: ns(a).relu(a), args(away_from_zero(3, 4)),
           ref=lambda a: np.maximum(a, 0)),
    OpCase("sign", lambda a: a.sign(), args(away_from_zero(3, 4)), ref=np.sign),
    OpCase("sign_zero", lambda a: a.sign(), args(fixed([-2.0, 0.0, 3.0])), ref=np.sign, diff=()),
    OpCase("floor", lambda a: a.floor(), args(offgrid(3, 4)), ref=np.floor),
    OpCase("ceil", lambda a: a.ceil(), args(offgrid(3, 4)), ref=np.ceil),
    OpCase("round", lambda a: a.round(), args(offgrid(3, 4)), ref=np.round),
    OpCase("round_half_even", lambda a: a.round(),
           args(fixed([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5])), ref=np.round, diff=()),
    OpCase("round_decimals", lambda a: a.round(decimals=1), args(fixed([0.12, -1.23, 2.57])),
           ref=lambda a: np.round(a, 1)),
    OpCase("trunc", lambda a: a.trunc(), args(offgrid(3, 4)), ref=np.trunc),
    OpCase("floor_fn", lambda a: ns(a).floor(a), args(offgrid(3, 4)), ref=np.floor),
)

# -- clamp, maximum/minimum, where, lerp, addcmul/addcdiv ----------------------------------------
register(
    OpCase("clamp_min", lambda a: a.clamp(min=-0.5), args(randn(3, 4)),
           ref=lambda a: np.maximum(a, -0.5)),
    OpCase("clamp_max", lambda a: a.clamp(max=0.25), args(randn(3, 4)),
           ref=lambda a: np.minimum(a, 0.25)),
    OpCase("clamp_both", lambda a: a.clamp(-0.5, 0.5), args(randn(3, 4)),
           ref=lambda a: np.clip(a, -0.5, 0.5)),
    OpCase("clamp_min_gt_max", lambda a: a.clamp(0.5, -0.5), args(randn(3, 4)),
           ref=lambda a: np.full_like(a, -0.5)),
    OpCase("clamp_fn", lambda a: ns(a).clamp(a, min=-1, max=1), args(randn(3, 4)),
           ref=lambda a: np.clip(a, -1, 1)),
    OpCase("clip", lambda a: a.clip(-0.3, 0.7), args(randn(3, 4)),
           ref=lambda a: np.clip(a, -0.3, 0.7)),
    OpCase("clip_fn", lambda a: ns(a).clip(a, max=0.1), args(randn(3, 4)),
           ref=lambda a: np.minimum(a, 0.1)),
    OpCase("clamp_tensor_bounds", lambda a, lo, hi: a.clamp(lo, hi),
           args(randn(3, 4), near(-0.5, 3, 4, spread=0.4), near(0.5, 4, spread=0.4)),
           ref=lambda a, lo, hi: np.minimum(np.maximum(a, lo), hi)),
    OpCase("clamp_tensor_min", lambda a, lo: a.clamp(min=lo),
           args(randn(3, 4), near(0.0, 3, 1, spread=0.5)), ref=np.maximum),
    OpCase("clamp_tensor_max", lambda a, hi: ns(a).clamp(a, max=hi),
           args(randn(3, 4), near(0.0, 4, spread=0.5)), ref=np.minimum),
    OpCase("maximum", lambda a, b: ns(a).maximum(a, b), args(randn(3, 4), randn(3, 4)),
           ref=np.maximum),
    OpCase("maximum_broadcast", lambda a, b: a.maximum(b), args(randn(3, 1), randn(4)),
           ref=np.maximum),
    OpCase("minimum", lambda a, b: ns(a).minimum(a, b), args(randn(3, 4), randn(3, 4)),
           ref=np.minimum),
    OpCase("minimum_broadcast", lambda a, b: a.minimum(b), args(randn(4), randn(3, 4)),
           ref=np.minimum),
    OpCase("max_binary", lambda a, b: ns(a).max(a, b), args(randn(3, 4), randn(3, 4)),
           ref=np.maximum),
    OpCase("min_binary", lambda a, b: ns(a).min(a, b), args(randn(3, 4), randn(4)),
           ref=np.minimum),
    OpCase("where", lambda c, a, b: ns(a).where(c, a, b),
           args(boolean(3, 4), randn(3, 4), randn(3, 4)), ref=np.where),
    OpCase("where_broadcast", lambda c, a, b: ns(a).where(c, a, b),
           args(boolean(3, 1), randn(4), randn(3, 4)), ref=np.where),
    OpCase("where_scalar", lambda c, a: ns(a).where(c, a, 0.0),
           args(boolean(3, 4), randn(3, 4)), ref=lambda c, a: np.where(c, a, 0.0)),
    OpCase("where_scalar_first", lambda c, b: ns(b).where(c, -1.0, b),
           args(boolean(3, 4), randn(3, 4)), ref=lambda c, b: np.where(c, -1.0, b)),
    OpCase("where_method", lambda a, b: a.where(a > 0, b), args(away_from_zero(3, 4), randn(4)),
           ref=lambda a, b: np.where(a > 0, a, b)),
    OpCase("lerp_scalar", lambda a, b: a.lerp(b, 0.3), args(randn(3, 4), randn(3, 4)),
           ref=lambda a, b: a + 0.3 * (b - a)),
    OpCase("lerp_scalar_high", lambda a, b: ns(a).lerp(a, b, 0.8), args(randn(3, 4), randn(4)),
           ref=lambda a, b: a + 0.8 * (b - a)),
    OpCase("lerp_tensor", lambda a, b, w: a.lerp(b, w),
           args(randn(3, 4), randn(3, 4), positive(3, 4, low=0.0, high=1.0)),
           ref=lambda a, b, w: a + w * (b - a)),
    OpCase("addcmul", lambda a, b, c: a.addcmul(b, c), args(randn(3, 4), randn(3, 4), randn(4)),
           ref=lambda a, b, c: a + b * c),
    OpCase("addcmul_value", lambda a, b, c: ns(a).addcmul(a, b, c, value=-0.5),
           args(randn(3, 1), randn(3, 4), randn(3, 4)), ref=lambda a, b, c: a - 0.5 * b * c),
    OpCase("addcdiv", lambda a, b, c: a.addcdiv(b, c), args(randn(3, 4), randn(3, 4),
                                                           away_from_zero(3, 4)),
           ref=lambda a, b, c: a + b / c),
    OpCase("addcdiv_value", lambda a, b, c: ns(a).addcdiv(a, b, c, value=2.0),
           args(randn(4), randn(3, 4), positive(3, 4)), ref=lambda a, b, c: a + 2.0 * b / c),
)

# -- comparisons and logic: no gradient ----------------------------------------------------------
register(
    OpCase("eq", lambda a, b: a == b, args(small_ints(3, 4), small_ints(3, 4)), ref=np.equal,
           diff=()),
    OpCase("eq_scalar", lambda a: a.eq(1.0), args(small_ints(3, 4)), ref=lambda a: a == 1.0,
           diff=()),
    OpCase("ne", lambda a, b: a != b, args(small_ints(3, 4), small_ints(4)), ref=np.not_equal,
           diff=()),
    OpCase("ne_fn", lambda a, b: ns(a).ne(a, b), args(small_ints(3, 4), small_ints(3, 4)),
           ref=np.not_equal, diff=()),
    OpCase("lt", lambda a, b: a < b, args(small_ints(3, 4), small_ints(3, 4)), ref=np.less,
           diff=()),
    OpCase("lt_scalar", lambda a: a < 0, args(small_ints(3, 4)), ref=lambda a: a < 0, diff=()),
    OpCase("le", lambda a, b: a <= b, args(small_ints(3, 1), small_ints(4)), ref=np.less_equal,
           diff=()),
    OpCase("gt", lambda a, b: a > b, args(small_ints(3, 4), small_ints(3, 4)), ref=np.greater,
           diff=()),
    OpCase("rgt_scalar", lambda a: 1 > a, args(small_ints(3, 4)), ref=lambda a: 1 > a, diff=()),
    OpCase("ge", lambda a, b: a.ge(b), args(small_ints(3, 4), small_ints(3, 4)),
           ref=np.greater_equal, diff=()),
    OpCase("ge_fn", lambda a: ns(a).ge(a, 0.5), args(small_ints(3, 4)), ref=lambda a: a >= 0.5,
           diff=()),
    OpCase("eq_int_float", lambda a, b: a == b, args(ints(3, 4, low=-2, high=3), small_ints(3, 4)),
           ref=np.equal, diff=()),
    OpCase("logical_and", lambda a, b: ns(a).logical_and(a, b),
           args(small_ints(3, 4, low=0, high=2), small_ints(3, 4, low=0, high=2)),
           ref=np.logical_and, diff=()),
    OpCase("logical_or", lambda a, b: a.logical_or(b), args(boolean(3, 4), boolean(3, 4)),
           ref=np.logical_or, diff=()),
    OpCase("logical_xor", lambda a, b: ns(a).logical_xor(a, b),
           args(boolean(3, 4), small_ints(4, low=0, high=2)), ref=np.logical_xor, diff=()),
    OpCase("logical_not", lambda a: a.logical_not(), args(small_ints(3, 4, low=0, high=2)),
           ref=np.logical_not, diff=()),
    OpCase("logical_not_bool", lambda a: ns(a).logical_not(a), args(boolean(3, 4)),
           ref=np.logical_not, diff=()),
    OpCase("isnan", lambda a: a.isnan(), args(fixed(NONFINITE)), ref=np.isnan, diff=()),
    OpCase("isinf", lambda a: ns(a).isinf(a), args(fixed(NONFINITE)), ref=np.isinf, diff=()),
    OpCase("isfinite", lambda a: a.isfinite(), args(fixed(NONFINITE)), ref=np.isfinite,
           diff=()),
    OpCase("bitwise_and_bool", lambda a, b: a & b, args(boolean(3, 4), boolean(3, 4)),
           ref=np.logical_and, diff=()),
    OpCase("bitwise_or_int", lambda a, b: a | b, args(ints(3, 4), ints(3, 4)), ref=np.bitwise_or,
           diff=()),
    OpCase("bitwise_not_bool", lambda a: ~a, args(boolean(3, 4)), ref=np.logical_not, diff=()),
)
