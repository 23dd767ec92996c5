"""Op cases: activations and losses of ``nn.functional`` (names start with ``F_``).

Each lambda calls ``nnf(x)``, the ``nn.functional`` module of the library its tensors come from,
so one case runs on ember and on torch.
"""

import sys

import numpy as np

import ember.nn.functional  # noqa: F401 - makes sys.modules["ember.nn.functional"] present
from tests.ops.cases import OpCase, args, away_from_zero, positive, randn, register


def nnf(t):
    """``ember.nn.functional`` or ``torch.nn.functional``, whichever owns tensor ``t``."""
    return sys.modules[type(t).__module__.partition(".")[0] + ".nn.functional"]


def scaled(scale, *shape):
    return lambda rng: rng.standard_normal(shape) * scale


def uniform(low, high, *shape):
    return lambda rng: rng.uniform(low, high, shape)


def classes(n, *shape):
    return lambda rng: rng.integers(0, n, shape).astype(np.int64)


def fixed_int(values):
    return lambda rng: np.array(values, dtype=np.int64)


def probs(*shape, axis=1):
    def make(rng):
        e = np.exp(rng.standard_normal(shape))
        return e / e.sum(axis=axis, keepdims=True)
    return make


def signs(*shape):
    return lambda rng: rng.choice([-1.0, 1.0], shape)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


X = away_from_zero(3, 4)

register(
    # -- activations ------------------------------------------------------------------------
    OpCase("F_relu", lambda x: nnf(x).relu(x), args(X), ref=lambda x: np.maximum(x, 0)),
    OpCase("F_relu_inplace", lambda x: nnf(x).relu(x * 1, inplace=True), args(X),
           ref=lambda x: np.maximum(x, 0)),
    OpCase("F_relu6", lambda x: nnf(x).relu6(x * 4), args(X),
           ref=lambda x: np.clip(4 * x, 0, 6)),
    OpCase("F_hardtanh", lambda x: nnf(x).hardtanh(x, -0.5, 1.5), args(scaled(2, 3, 4)),
           ref=lambda x: np.clip(x, -0.5, 1.5)),
    OpCase("F_leaky_relu", lambda x: nnf(x).leaky_relu(x, 0.2), args(X),
           ref=lambda x: np.where(x > 0, x, 0.2 * x)),
    OpCase("F_leaky_relu_inplace", lambda x: nnf(x).leaky_relu(x * 1, 0.1, inplace=True),
           args(X)),
    OpCase("F_elu", lambda x: nnf(x).elu(x, alpha=1.3), args(X),
           ref=lambda x: np.where(x > 0, x, 1.3 * np.expm1(x))),
    OpCase("F_elu_inplace", lambda x: nnf(x).elu(x * 1, inplace=True), args(X)),
    OpCase("F_selu", lambda x: nnf(x).selu(x), args(X)),
    OpCase("F_celu", lambda x: nnf(x).celu(x, alpha=0.7), args(X),
           ref=lambda x: np.where(x > 0, x, 0.7 * np.expm1(x / 0.7))),
    OpCase("F_gelu", lambda x: nnf(x).gelu(x), args(scaled(2, 3, 4))),
    OpCase("F_gelu_tanh", lambda x: nnf(x).gelu(x, approximate="tanh"), args(scaled(2, 3, 4))),
    OpCase("F_silu", lambda x: nnf(x).silu(x), args(scaled(2, 3, 4)),
           ref=lambda x: x / (1 + np.exp(-x))),
    OpCase("F_silu_inplace", lambda x: nnf(x).silu(x * 1, inplace=True), args(randn(3, 4))),
    OpCase("F_mish", lambda x: nnf(x).mish(x), args(scaled(2, 3, 4)),
           ref=lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    OpCase("F_softplus", lambda x: nnf(x).softplus(x), args(scaled(3, 3, 4)),
           ref=lambda x: np.log1p(np.exp(x))),
    OpCase("F_softplus_beta", lambda x: nnf(x).softplus(x, beta=2, threshold=3),
           args(scaled(2, 3, 4)),
           ref=lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2)),
    OpCase("F_softsign", lambda x: nnf(x).softsign(x), args(X), ref=lambda x: x / (1 + abs(x))),
    OpCase("F_hardsigmoid", lambda x: nnf(x).hardsigmoid(x * 2), args(X),
           ref=lambda x: np.clip(2 * x + 3, 0, 6) / 6),
    OpCase("F_hardswish", lambda x: nnf(x).hardswish(x * 2), args(X),
           ref=lambda x: 2 * x * np.clip(2 * x + 3, 0, 6) / 6),
    OpCase("F_hardswish_inplace", lambda x: nnf(x).hardswish(x * 1, inplace=True), args(X)),
    OpCase("F_sigmoid", lambda x: nnf(x).sigmoid(x), args(randn(3, 4)),
           ref=lambda x: 1 / (1 + np.exp(-x))),
    OpCase("F_tanh", lambda x: nnf(x).tanh(x), args(randn(3, 4)), ref=np.tanh),
    OpCase("F_logsigmoid", lambda x: nnf(x).logsigmoid(x), args(scaled(3, 3, 4)),
           ref=lambda x: -np.log1p(np.exp(-x))),
    OpCase("F_prelu", lambda x, w: nnf(x).prelu(x, w),
           args(away_from_zero(2, 3, 4), positive(3, low=0.1, high=0.5)),
           ref=lambda x, w: np.where(x > 0, x, x * w[:, None])),
    OpCase("F_prelu_single", lambda x, w: nnf(x).prelu(x, w),
           args(away_from_zero(2, 3), positive(1, low=0.1, high=0.5))),
    OpCase("F_glu", lambda x: nnf(x).glu(x, 1), args(randn(2, 4, 3)),
           ref=lambda x: x[:, :2] / (1 + np.exp(-x[:, 2:]))),
    OpCase("F_softmax", lambda x: nnf(x).softmax(x, dim=1), args(randn(2, 3, 4)),
           ref=lambda x: _softmax(x, 1)),
    OpCase("F_softmax_last", lambda x: nnf(x).softmax(x, -1), args(scaled(5, 3, 4)),
           ref=lambda x: _softmax(x, -1)),
    OpCase("F_log_softmax", lambda x: nnf(x).log_softmax(x, dim=0), args(randn(3, 4)),
           ref=lambda x: np.log(_softmax(x, 0))),
    OpCase("F_softmin", lambda x: nnf(x).softmin(x, dim=1), args(randn(3, 4)),
           ref=lambda x: _softmax(-x, 1)),
    # -- regression losses ------------------------------------------------------------------
    OpCase("F_mse_loss", lambda x, t: nnf(x).mse_loss(x, t), args(randn(3, 4), randn(3, 4)),
           ref=lambda x, t: np.mean((x - t) ** 2)),
    OpCase("F_mse_loss_none", lambda x, t: nnf(x).mse_loss(x, t, reduction="none"),
           args(randn(3, 4), randn(3, 4))),
    OpCase("F_mse_loss_weight", lambda x, t, w: nnf(x).mse_loss(x, t, weight=w),
           args(randn(3, 4), randn(3, 4), positive(3, 4))),
    OpCase("F_l1_loss", lambda x, t: nnf(x).l1_loss(x, t, reduction="sum"),
           args(randn(3, 4), randn(3, 4)), ref=lambda x, t: np.abs(x - t).sum()),
    OpCase("F_l1_loss_weight", lambda x, t, w: nnf(x).l1_loss(x, t, weight=w),
           args(randn(3, 4), randn(3, 4), positive(3, 4))),
    OpCase("F_smooth_l1_loss", lambda x, t: nnf(x).smooth_l1_loss(x, t, beta=0.5),
           args(randn(3, 4), randn(3, 4))),
    OpCase("F_huber_loss", lambda x, t: nnf(x).huber_loss(x, t, delta=0.7, reduction="none"),
           args(randn(3, 4), randn(3, 4))),
    OpCase("F_huber_loss_weight", lambda x, t, w: nnf(x).huber_loss(x, t, weight=w),
           args(randn(3, 4), randn(3, 4), positive(3, 4))),
    # -- classification losses --------------------------------------------------------------
    OpCase("F_cross_entropy", lambda x, t: nnf(x).cross_entropy(x, t),
           args(randn(4, 5), classes(5, 4)),
           ref=lambda x, t: -np.mean(np.log(_softmax(x, 1))[np.arange(4), t])),
    OpCase("F_cross_entropy_weight_ignore",
           lambda x, t, w: nnf(x).cross_entropy(x, t, weight=w),
           args(randn(4, 5), fixed_int([1, -100, 3, 0]), positive(5)), diff=(0,)),
    OpCase("F_cross_entropy_smoothing",
           lambda x, t, w: nnf(x).cross_entropy(x, t, w, ignore_index=2, label_smoothing=0.1),
           args(randn(5, 4), fixed_int([1, 2, 3, 0, 2]), positive(4)), diff=(0,)),
    OpCase("F_cross_entropy_smoothing_sum",
           lambda x, t: nnf(x).cross_entropy(x, t, reduction="sum", label_smoothing=0.2),
           args(randn(5, 4), classes(4, 5))),
    OpCase("F_cross_entropy_nd", lambda x, t: nnf(x).cross_entropy(x, t, reduction="none"),
           args(randn(2, 3, 4, 5), classes(3, 2, 4, 5))),
    OpCase("F_cross_entropy_nd_mean", lambda x, t: nnf(x).cross_entropy(x, t, ignore_index=1),
           args(randn(2, 3, 4), classes(3, 2, 4))),
    OpCase("F_cross_entropy_1d", lambda x, t: nnf(x).cross_entropy(x, t),
           args(randn(5), fixed_int(2))),
    OpCase("F_cross_entropy_probs", lambda x, t: nnf(x).cross_entropy(x, t),
           args(randn(4, 5), probs(4, 5))),
    OpCase("F_cross_entropy_probs_weight",
           lambda x, t, w: nnf(x).cross_entropy(x, t, w, reduction="none", label_smoothing=0.3),
           args(randn(2, 3, 4), probs(2, 3, 4), positive(3)), diff=(0, 1)),
    OpCase("F_nll_loss", lambda x, t, w: nnf(x).nll_loss(x, t, w, ignore_index=0),
           args(randn(4, 5), fixed_int([1, 0, 3, 4]), positive(5)), diff=(0,)),
    OpCase("F_nll_loss_nd", lambda x, t: nnf(x).nll_loss(x, t, reduction="sum"),
           args(randn(2, 3, 4), classes(3, 2, 4))),
    OpCase("F_binary_cross_entropy", lambda x, t, w: nnf(x).binary_cross_entropy(x, t, w),
           args(uniform(0.05, 0.95, 3, 4), uniform(0, 1, 3, 4), positive(3, 4)), diff=(0, 1)),
    OpCase("F_binary_cross_entropy_none",
           lambda x, t: nnf(x).binary_cross_entropy(x, t, reduction="none"),
           args(uniform(0.05, 0.95, 3, 4), uniform(0, 1, 3, 4)),
           ref=lambda x, t: -(t * np.log(x) + (1 - t) * np.log(1 - x))),
    OpCase("F_bce_with_logits", lambda x, t: nnf(x).binary_cross_entropy_with_logits(x, t),
           args(scaled(3, 3, 4), uniform(0, 1, 3, 4)),
           ref=lambda x, t: np.mean(-(t * np.log(1 / (1 + np.exp(-x)))
                                      + (1 - t) * np.log(1 - 1 / (1 + np.exp(-x)))))),
    OpCase("F_bce_with_logits_weights",
           lambda x, t, w, p: nnf(x).binary_cross_entropy_with_logits(
               x, t, w, reduction="sum", pos_weight=p),
           args(scaled(3, 3, 4), uniform(0, 1, 3, 4), positive(4), positive(4)), diff=(0, 1)),
    OpCase("F_multi_margin_loss", lambda x, t: nnf(x).multi_margin_loss(x, t),
           args(randn(4, 5), classes(5, 4))),
    OpCase("F_multi_margin_loss_p2",
           lambda x, t, w: nnf(x).multi_margin_loss(x, t, p=2, margin=0.5, weight=w,
                                                    reduction="none"),
           args(randn(4, 5), classes(5, 4), positive(5)), diff=(0,)),
    OpCase("F_multilabel_soft_margin_loss",
           lambda x, t, w: nnf(x).multilabel_soft_margin_loss(x, t, w),
           args(scaled(2, 3, 4), lambda rng: (rng.random((3, 4)) < 0.5) * 1.0, positive(4)),
           diff=(0, 2)),
    OpCase("F_hinge_embedding_loss",
           lambda x, t: nnf(x).hinge_embedding_loss(x, t, margin=0.8, reduction="sum"),
           args(scaled(2, 3, 4), signs(3, 4)), diff=(0,)),
    # -- distribution losses ----------------------------------------------------------------
    OpCase("F_kl_div", lambda x, t: nnf(x).kl_div(x, t, reduction="batchmean"),
           args(lambda rng: np.log(probs(3, 4)(rng)), probs(3, 4)),
           ref=lambda x, t: np.sum(t * (np.log(t) - x)) / 3),
    OpCase("F_kl_div_log_target",
           lambda x, t: nnf(x).kl_div(x, t, reduction="sum", log_target=True),
           args(randn(3, 4), randn(3, 4))),
    OpCase("F_poisson_nll_loss", lambda x, t: nnf(x).poisson_nll_loss(x, t),
           args(randn(3, 4), uniform(0, 4, 3, 4))),
    OpCase("F_poisson_nll_loss_full",
           lambda x, t: nnf(x).poisson_nll_loss(x, t, log_input=False, full=True,
                                                reduction="none"),
           args(positive(3, 4), uniform(0, 4, 3, 4))),
    OpCase("F_gaussian_nll_loss", lambda x, t, v: nnf(x).gaussian_nll_loss(x, t, v, full=True),
           args(randn(3, 4), randn(3, 4), positive(3))),
    OpCase("F_gaussian_nll_loss_none",
           lambda x, t, v: nnf(x).gaussian_nll_loss(x, t, v, reduction="none"),
           args(randn(3, 4), randn(3, 4), positive(3, 4))),
    # -- embedding / ranking losses ---------------------------------------------------------
    OpCase("F_cosine_embedding_loss",
           lambda a, b, t: nnf(a).cosine_embedding_loss(a, b, t, margin=-0.5),
           args(randn(4, 3), randn(4, 3), signs(4)), diff=(0, 1)),
    OpCase("F_margin_ranking_loss",
           lambda a, b, t: nnf(a).margin_ranking_loss(a, b, t, margin=0.1, reduction="none"),
           args(randn(5), randn(5), signs(5)), diff=(0, 1)),
    OpCase("F_triplet_margin_loss",
           lambda a, p, n: nnf(a).triplet_margin_loss(a, p, n, margin=2.0, swap=True),
           args(randn(4, 3), randn(4, 3), randn(4, 3))),
    OpCase("F_triplet_margin_loss_p1",
           lambda a, p, n: nnf(a).triplet_margin_loss(a, p, n, margin=2.0, p=1,
                                                      reduction="none"),
           args(randn(3), randn(3), randn(3))),
)
