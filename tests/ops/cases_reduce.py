"""Op cases: reductions (sum, mean, prod, var/std, max/min, logsumexp, norm, cumulative ops)."""

import sys

import numpy as np

from tests.ops.cases import OpCase, args, away_from_zero, distinct, positive, randn, register


def ns(t):
    """The library (``ember`` or ``torch``) a tensor belongs to, for module-level functions."""
    return sys.modules[type(t).__module__.partition(".")[0]]


def with_zeros(*shape, at=((0, 1),)):
    """Standard normal values with exact zeros at the positions ``at``."""
    def make(rng):
        a = rng.standard_normal(shape)
        for pos in at:
            a[pos] = 0.0
        return a
    return make


def near(value, *shape, spread=1.0):
    return lambda rng: value + rng.uniform(-spread, spread, shape)


def boolean(*shape, p=0.5):
    return lambda rng: rng.random(shape) < p


def zeros_and_ones(*shape, p=0.7):
    """Floats that are 0 or 1 (truthiness tests of all/any on a float tensor)."""
    return lambda rng: (rng.random(shape) < p).astype(np.float64)


def np_var(a, axis=None, ddof=1, keepdims=False):
    return np.var(a, axis=axis, ddof=ddof, keepdims=keepdims)


def np_logsumexp(a, axis, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def np_pnorm(a, p, axis=None, keepdims=False):
    return np.sum(np.abs(a) ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)


# -- sum / mean ----------------------------------------------------------------------------------
register(
    OpCase("sum_all", lambda a: a.sum(), args(randn(3, 4)), ref=np.sum),
    OpCase("sum_dim_keepdim", lambda a: a.sum(1, keepdim=True), args(randn(3, 4)),
           ref=lambda a: a.sum(1, keepdims=True)),
    OpCase("sum_dim0", lambda a: a.sum(0), args(randn(3, 4)), ref=lambda a: a.sum(0)),
    OpCase("sum_neg_dim", lambda a: a.sum(dim=-1), args(randn(2, 3, 4)), ref=lambda a: a.sum(-1)),
    OpCase("sum_tuple_dim", lambda a: a.sum((0, 2)), args(randn(2, 3, 4)),
           ref=lambda a: a.sum((0, 2))),
    OpCase("sum_tuple_neg_keepdim", lambda a: ns(a).sum(a, (-1, 0), keepdim=True),
           args(randn(2, 3, 4)), ref=lambda a: a.sum((0, 2), keepdims=True)),
    OpCase("sum_list_dim", lambda a: a.sum([1]), args(randn(3, 4)), ref=lambda a: a.sum(1)),
    OpCase("sum_empty_dim", lambda a: a.sum(dim=()), args(randn(3, 4)), ref=np.sum),
    OpCase("sum_0d", lambda a: a.sum(), args(randn()), ref=np.sum),
    OpCase("mean_all", lambda a: a.mean(), args(randn(3, 4)), ref=np.mean),
    OpCase("mean_dim", lambda a: a.mean(1), args(randn(3, 4)), ref=lambda a: a.mean(1)),
    OpCase("mean_neg_dim_keepdim", lambda a: a.mean(-2, keepdim=True), args(randn(2, 3, 4)),
           ref=lambda a: a.mean(-2, keepdims=True)),
    OpCase("mean_tuple_dim", lambda a: ns(a).mean(a, (0, -1)), args(randn(2, 3, 4)),
           ref=lambda a: a.mean((0, 2))),
    OpCase("mean_empty_dim", lambda a: a.mean(dim=()), args(randn(3, 4)), ref=np.mean),
)

# -- prod ----------------------------------------------------------------------------------------
register(
    OpCase("prod_all", lambda a: a.prod(), args(randn(3, 4)), ref=np.prod),
    OpCase("prod_dim", lambda a: a.prod(1), args(randn(3, 4)), ref=lambda a: a.prod(1)),
    OpCase("prod_neg_dim_keepdim", lambda a: a.prod(-2, keepdim=True), args(randn(2, 3, 4)),
           ref=lambda a: a.prod(-2, keepdims=True)),
    OpCase("prod_fn", lambda a: ns(a).prod(a, 0), args(randn(3, 4)), ref=lambda a: a.prod(0)),
    OpCase("prod_all_one_zero", lambda a: a.prod(), args(with_zeros(3, 4)), ref=np.prod),
    OpCase("prod_all_two_zeros", lambda a: a.prod(), args(with_zeros(3, 4, at=((0, 1), (2, 3)))),
           ref=np.prod),
    OpCase("prod_dim_one_zero", lambda a: a.prod(1), args(with_zeros(3, 4)),
           ref=lambda a: a.prod(1)),
    OpCase("prod_dim_two_zeros_same_row", lambda a: a.prod(1),
           args(with_zeros(3, 4, at=((1, 0), (1, 2)))), ref=lambda a: a.prod(1)),
    OpCase("prod_dim_zeros_other_rows", lambda a: a.prod(0),
           args(with_zeros(3, 4, at=((0, 0), (1, 0), (2, 3)))), ref=lambda a: a.prod(0)),
    OpCase("prod_size1_dim", lambda a: a.prod(1), args(randn(3, 1)), ref=lambda a: a.prod(1)),
)

# -- var / std -----------------------------------------------------------------------------------
register(
    OpCase("var_all", lambda a: a.var(), args(randn(3, 4)), ref=np_var),
    OpCase("var_dim", lambda a: a.var(1), args(randn(3, 4)), ref=lambda a: np_var(a, 1)),
    OpCase("var_neg_dim_keepdim", lambda a: a.var(-1, keepdim=True), args(randn(2, 3, 4)),
           ref=lambda a: np_var(a, -1, keepdims=True)),
    OpCase("var_tuple_dim", lambda a: ns(a).var(a, (0, 2)), args(randn(2, 3, 4)),
           ref=lambda a: np_var(a, (0, 2))),
    OpCase("var_correction0", lambda a: a.var(0, correction=0), args(randn(3, 4)),
           ref=lambda a: np_var(a, 0, ddof=0)),
    OpCase("var_correction2", lambda a: a.var(1, correction=2), args(randn(3, 4)),
           ref=lambda a: np_var(a, 1, ddof=2)),
    OpCase("var_unbiased_false", lambda a: a.var(unbiased=False), args(randn(3, 4)),
           ref=lambda a: np_var(a, ddof=0)),
    OpCase("var_unbiased_true_dim", lambda a: a.var(1, unbiased=True, keepdim=True),
           args(randn(3, 4)), ref=lambda a: np_var(a, 1, keepdims=True)),
    OpCase("std_all", lambda a: a.std(), args(randn(3, 4)), ref=lambda a: np.std(a, ddof=1)),
    OpCase("std_dim", lambda a: a.std(0), args(randn(3, 4)), ref=lambda a: np.std(a, 0, ddof=1)),
    OpCase("std_neg_tuple_keepdim", lambda a: ns(a).std(a, (-1, -3), keepdim=True),
           args(randn(2, 3, 4)), ref=lambda a: np.std(a, (0, 2), ddof=1, keepdims=True)),
    OpCase("std_correction0", lambda a: a.std(1, correction=0), args(randn(3, 4)),
           ref=lambda a: np.std(a, 1)),
    OpCase("std_correction2", lambda a: a.std(correction=2), args(randn(3, 4)),
           ref=lambda a: np.std(a, ddof=2)),
    OpCase("std_unbiased_false", lambda a: a.std(-1, unbiased=False), args(randn(3, 4)),
           ref=lambda a: np.std(a, -1)),
    OpCase("var_mean", lambda a: ns(a).var_mean(a, 1), args(randn(3, 4)),
           ref=lambda a: (np_var(a, 1), a.mean(1))),
    OpCase("std_mean_correction0", lambda a: ns(a).std_mean(a, 0, correction=0, keepdim=True),
           args(randn(3, 4)),
           ref=lambda a: (np.std(a, 0, keepdims=True), a.mean(0, keepdims=True))),
)

# -- max / min / amax / amin / argmax / argmin ---------------------------------------------------
register(
    OpCase("max_all", lambda a: a.max(), args(distinct(3, 4)), ref=np.max),
    OpCase("min_all", lambda a: ns(a).min(a), args(distinct(3, 4)), ref=np.min),
    OpCase("max_dim", lambda a: tuple(a.max(1)), args(distinct(3, 4)),
           ref=lambda a: (a.max(1), a.argmax(1))),
    OpCase("max_neg_dim_keepdim", lambda a: tuple(a.max(dim=-2, keepdim=True)),
           args(distinct(2, 3, 4)),
           ref=lambda a: (a.max(-2, keepdims=True), a.argmax(-2, keepdims=True))),
    OpCase("max_dim_values", lambda a: a.max(0).values, args(distinct(3, 4)),
           ref=lambda a: a.max(0)),
    OpCase("min_dim", lambda a: tuple(ns(a).min(a, 0)), args(distinct(3, 4)),
           ref=lambda a: (a.min(0), a.argmin(0))),
    OpCase("min_dim_keepdim_indices", lambda a: a.min(-1, keepdim=True).indices,
           args(distinct(3, 4)), ref=lambda a: a.argmin(-1, keepdims=True), diff=()),
    OpCase("amax_all", lambda a: a.amax(), args(distinct(3, 4)), ref=np.amax),
    OpCase("amax_dim", lambda a: a.amax(1), args(distinct(3, 4)), ref=lambda a: a.max(1)),
    OpCase("amax_tuple_keepdim", lambda a: ns(a).amax(a, (0, -1), keepdim=True),
           args(distinct(2, 3, 4)), ref=lambda a: a.max((0, 2), keepdims=True)),
    OpCase("amin_neg_dim", lambda a: a.amin(-1), args(distinct(3, 4)), ref=lambda a: a.min(-1)),
    OpCase("amin_tuple", lambda a: a.amin(dim=(1, 2)), args(distinct(2, 3, 4)),
           ref=lambda a: a.min((1, 2))),
    OpCase("argmax_all", lambda a: a.argmax(), args(distinct(3, 4)), ref=np.argmax, diff=()),
    OpCase("argmax_dim", lambda a: ns(a).argmax(a, 1), args(distinct(3, 4)),
           ref=lambda a: a.argmax(1), diff=()),
    OpCase("argmax_neg_dim_keepdim", lambda a: a.argmax(dim=-2, keepdim=True),
           args(distinct(2, 3, 4)), ref=lambda a: a.argmax(-2, keepdims=True), diff=()),
    OpCase("argmin_all", lambda a: ns(a).argmin(a), args(distinct(3, 4)), ref=np.argmin,
           diff=()),
    OpCase("argmin_dim_keepdim", lambda a: a.argmin(0, keepdim=True), args(distinct(3, 4)),
           ref=lambda a: a.argmin(0, keepdims=True), diff=()),
)

# -- logsumexp and norm --------------------------------------------------------------------------
register(
    OpCase("logsumexp_dim", lambda a: a.logsumexp(1), args(randn(3, 4)),
           ref=lambda a: np_logsumexp(a, 1)),
    OpCase("logsumexp_neg_dim_keepdim", lambda a: ns(a).logsumexp(a, -1, keepdim=True),
           args(randn(2, 3, 4)), ref=lambda a: np_logsumexp(a, -1, keepdims=True)),
    OpCase("logsumexp_tuple", lambda a: a.logsumexp((0, 2)), args(randn(2, 3, 4)),
           ref=lambda a: np_logsumexp(a, (0, 2))),
    OpCase("logsumexp_large", lambda a: a.logsumexp(1), args(near(1000.0, 3, 4)),
           ref=lambda a: np_logsumexp(a, 1)),
    OpCase("logsumexp_large_negative", lambda a: a.logsumexp(0), args(near(-1000.0, 3, 4)),
           ref=lambda a: np_logsumexp(a, 0)),
    OpCase("norm_default", lambda a: a.norm(), args(randn(3, 4)),
           ref=lambda a: np.sqrt(np.sum(a * a))),
    OpCase("norm_fro_tuple", lambda a: a.norm("fro", dim=(0, 1)), args(randn(3, 4)),
           ref=lambda a: np.sqrt(np.sum(a * a))),
    OpCase("norm_2_dim", lambda a: a.norm(2, dim=1), args(randn(3, 4)),
           ref=lambda a: np.sqrt(np.sum(a * a, 1))),
    OpCase("norm_2_neg_dim_keepdim", lambda a: ns(a).norm(a, p=2, dim=-1, keepdim=True),
           args(randn(2, 3, 4)), ref=lambda a: np.sqrt(np.sum(a * a, -1, keepdims=True))),
    OpCase("norm_1", lambda a: a.norm(p=1), args(away_from_zero(3, 4)),
           ref=lambda a: np.abs(a).sum()),
    OpCase("norm_1_dim", lambda a: a.norm(1, dim=0), args(away_from_zero(3, 4)),
           ref=lambda a: np.abs(a).sum(0)),
    OpCase("norm_inf", lambda a: a.norm(p=float("inf")), args(distinct(3, 4)),
           ref=lambda a: np.abs(a).max()),
    OpCase("norm_inf_dim_signed", lambda a: a.norm(float("inf"), dim=1),
           args(lambda rng: distinct(3, 4)(rng) * rng.choice([-1.0, 1.0], (3, 4))),
           ref=lambda a: np.abs(a).max(1)),
    OpCase("norm_neg_inf_dim", lambda a: a.norm(float("-inf"), dim=1), args(distinct(3, 4)),
           ref=lambda a: np.abs(a).min(1)),
    OpCase("norm_3", lambda a: a.norm(3), args(randn(3, 4)), ref=lambda a: np_pnorm(a, 3)),
    OpCase("norm_3_dim_keepdim", lambda a: a.norm(p=3, dim=1, keepdim=True),
           args(away_from_zero(3, 4)), ref=lambda a: np_pnorm(a, 3, 1, keepdims=True)),
    OpCase("norm_half", lambda a: a.norm(p=0.5, dim=0), args(away_from_zero(3, 4)),
           ref=lambda a: np_pnorm(a, 0.5, 0)),
    OpCase("norm_0", lambda a: a.norm(p=0, dim=1), args(with_zeros(3, 4, at=((0, 1), (0, 2)))),
           ref=lambda a: np.count_nonzero(a, 1).astype(np.float64), diff=()),
)

# -- all / any / count_nonzero (no gradient) -----------------------------------------------------
register(
    OpCase("all_bool", lambda a: a.all(), args(boolean(3, 4, p=0.9)), ref=np.all, diff=()),
    OpCase("all_true", lambda a: ns(a).all(a), args(boolean(3, 4, p=1.1)), ref=np.all, diff=()),
    OpCase("all_dim", lambda a: a.all(1), args(zeros_and_ones(3, 4)),
           ref=lambda a: np.all(a, 1), diff=()),
    OpCase("all_neg_dim_keepdim", lambda a: a.all(dim=-2, keepdim=True),
           args(boolean(3, 4, p=0.7)), ref=lambda a: np.all(a, -2, keepdims=True), diff=()),
    OpCase("all_tuple", lambda a: a.all(dim=(0, 2)), args(boolean(2, 3, 4, p=0.95)),
           ref=lambda a: np.all(a, (0, 2)), diff=()),
    OpCase("any_float", lambda a: a.any(), args(zeros_and_ones(3, 4, p=0.1)), ref=np.any,
           diff=()),
    OpCase("any_none", lambda a: ns(a).any(a), args(boolean(3, 4, p=0.0)), ref=np.any, diff=()),
    OpCase("any_dim_keepdim", lambda a: a.any(0, keepdim=True), args(boolean(3, 4, p=0.2)),
           ref=lambda a: np.any(a, 0, keepdims=True), diff=()),
    OpCase("any_tuple_neg", lambda a: a.any((-1, 0)), args(boolean(2, 3, 4, p=0.05)),
           ref=lambda a: np.any(a, (0, 2)), diff=()),
    OpCase("count_nonzero_dim", lambda a: a.count_nonzero(dim=1),
           args(with_zeros(3, 4, at=((0, 1), (0, 2), (2, 0)))),
           ref=lambda a: np.count_nonzero(a, 1), diff=()),
    OpCase("count_nonzero_all", lambda a: ns(a).count_nonzero(a),
           args(with_zeros(3, 4, at=((0, 1),))), ref=lambda a: np.count_nonzero(a), diff=()),
)

# -- cumulative ----------------------------------------------------------------------------------
register(
    OpCase("cumsum_dim0", lambda a: a.cumsum(0), args(randn(3, 4)), ref=lambda a: a.cumsum(0)),
    OpCase("cumsum_neg_dim", lambda a: ns(a).cumsum(a, dim=-1), args(randn(2, 3, 4)),
           ref=lambda a: a.cumsum(-1)),
    OpCase("cumsum_1d", lambda a: a.cumsum(0), args(randn(5)), ref=lambda a: a.cumsum(0)),
    OpCase("cumprod_dim1", lambda a: a.cumprod(1), args(randn(3, 4)),
           ref=lambda a: a.cumprod(1)),
    OpCase("cumprod_neg_dim", lambda a: ns(a).cumprod(a, -2), args(randn(2, 3, 4)),
           ref=lambda a: a.cumprod(-2)),
    OpCase("cumprod_one_zero", lambda a: a.cumprod(1), args(with_zeros(3, 4, at=((0, 1),))),
           ref=lambda a: a.cumprod(1)),
    OpCase("cumprod_two_zeros", lambda a: a.cumprod(1),
           args(with_zeros(3, 4, at=((0, 1), (0, 3), (2, 0)))), ref=lambda a: a.cumprod(1)),
    OpCase("cumprod_zero_first", lambda a: a.cumprod(0), args(with_zeros(4, 2, at=((0, 0),))),
           ref=lambda a: a.cumprod(0)),
    OpCase("cumprod_positive", lambda a: a.cumprod(0), args(positive(4, 3)),
           ref=lambda a: a.cumprod(0)),
)
