"""Loss functions and modules: errors, stability, ignore_index, reductions, buffers, training."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ember
import ember.nn.functional as F
import ember.nn.modules as nnm
from tests.ops.helpers import check_error, torch

F64 = ember.float64


def _t(values, dtype=F64, requires_grad=False):
    return ember.tensor(np.asarray(values), dtype=dtype, requires_grad=requires_grad)


def _fn(lib):
    return lib.nn.functional


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
                                  "binary_cross_entropy", "binary_cross_entropy_with_logits",
                                  "multilabel_soft_margin_loss", "hinge_embedding_loss",
                                  "kl_div", "poisson_nll_loss"])
def test_bad_reduction_string_is_a_value_error(name):
    check_error(lambda lib: getattr(_fn(lib), name)(lib.rand(3), lib.rand(3), reduction="avg"),
                ValueError, "avg", "reduction")


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss", "multi_margin_loss"])
def test_bad_reduction_for_class_losses(name):
    check_error(lambda lib: getattr(_fn(lib), name)(lib.rand(2, 3), lib.tensor([0, 1]),
                                                    reduction="x"), ValueError, name)


def test_class_index_out_of_range():
    check_error(lambda lib: _fn(lib).cross_entropy(lib.randn(3, 4), lib.tensor([0, 1, 4])),
                IndexError, "cross_entropy", "Target 4 is out of bounds")
    check_error(lambda lib: _fn(lib).nll_loss(lib.randn(3, 4), lib.tensor([0, -3, 1])),
                IndexError, "nll_loss", "Target -3")
    check_error(lambda lib: _fn(lib).cross_entropy(lib.randn(2, 3, 5), lib.full((2, 5), 3)),
                IndexError, "Target 3")
    check_error(lambda lib: _fn(lib).multi_margin_loss(lib.randn(3, 4), lib.tensor([0, 1, 5])),
                RuntimeError, "target out of range")


def test_target_shape_and_dtype_errors():
    check_error(lambda lib: _fn(lib).cross_entropy(lib.randn(3, 4), lib.tensor([0, 1])),
                ValueError, "cross_entropy", "batch_size (3)", "batch_size (2)")
    check_error(lambda lib: _fn(lib).cross_entropy(lib.randn(3, 4), lib.tensor([0.0, 1.0, 2.0])),
                RuntimeError, "cross_entropy", "Long")
    check_error(lambda lib: _fn(lib).nll_loss(lib.randn(3, 4, 5), lib.zeros(3, 4).long()),
                RuntimeError, "nll_loss", "(3, 5)", "(3, 4)")
    check_error(lambda lib: _fn(lib).cross_entropy(lib.randn(3, 4), lib.zeros(3, 2).long()),
                RuntimeError, "cross_entropy")
    check_error(lambda lib: _fn(lib).nll_loss(lib.randn(3, 4), lib.tensor([0, 1, 2]),
                                              weight=lib.ones(3)),
                RuntimeError, "weight tensor should be defined", "4 classes")
    check_error(lambda lib: _fn(lib).binary_cross_entropy(lib.rand(3), lib.rand(2)), ValueError,
                "binary_cross_entropy", "(2,)", "(3,)")
    check_error(lambda lib: _fn(lib).binary_cross_entropy(lib.tensor([1.5]), lib.rand(1)),
                RuntimeError, "between 0 and 1")
    check_error(lambda lib: _fn(lib).binary_cross_entropy_with_logits(lib.rand(3), lib.rand(2)),
                ValueError, "Target size", "(2,)", "(3,)")
    check_error(lambda lib: _fn(lib).multi_margin_loss(lib.rand(3, 4), lib.tensor([0, 1, 2]),
                                                       p=3), ValueError, "p == 1")
    check_error(lambda lib: _fn(lib).gaussian_nll_loss(lib.rand(3, 4), lib.rand(3, 4),
                                                       lib.rand(3, 3)), ValueError, "var")
    check_error(lambda lib: _fn(lib).gaussian_nll_loss(lib.rand(3, 4), lib.rand(3, 4),
                                                       -lib.rand(3, 4)), ValueError, "negative")
    check_error(lambda lib: _fn(lib).cross_entropy(lib.randn(3, 4), lib.tensor([0, 1, 2]),
                                                   label_smoothing=1.5), RuntimeError,
                "label_smoothing")
    with pytest.raises(TypeError, match="mse_loss"):  # PyTorch: AttributeError on list.size
        F.mse_loss([1.0], ember.ones(1))


def test_module_constructor_errors_match_pytorch():
    check_error(lambda lib: lib.nn.TripletMarginLoss(margin=0) if lib is not ember
                else nnm.TripletMarginLoss(margin=0), ValueError, "margin")
    check_error(lambda lib: lib.nn.MultiMarginLoss(p=3) if lib is not ember
                else nnm.MultiMarginLoss(p=3), ValueError, "p == 1")


# -- numerical stability -----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_cross_entropy_with_huge_logits_is_finite_and_exact(dtype):
    x = _t([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]], dtype, requires_grad=True)
    loss = F.cross_entropy(x, ember.tensor([1, 2]), reduction="sum")
    # row 0: 2000 exactly; row 1: log(1 + e^-1) + 1
    np.testing.assert_allclose(loss.item(), 2000.0 + 1.0 + math.log1p(math.exp(-1)), rtol=1e-6)
    loss.backward()
    g = x.grad.numpy()
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g[0], [1.0, -1.0, 0.0], atol=1e-6)


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_bce_with_logits_with_huge_logits(dtype):
    x = _t([1000.0, -1000.0, 1000.0, -1000.0], dtype, requires_grad=True)
    t = _t([1.0, 0.0, 0.0, 1.0], dtype)
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none",
                                              pos_weight=_t([2.0] * 4, dtype))
    np.testing.assert_allclose(loss.detach().numpy(), [0.0, 0.0, 1000.0, 2000.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 1.0, -2.0])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log(0) before the clamp, as intended
def test_bce_log_is_clamped_at_minus_100():
    loss = F.binary_cross_entropy(_t([0.0, 1.0]), _t([1.0, 0.0]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0])


def test_multilabel_soft_margin_with_huge_logits_is_finite():
    x = _t([[1000.0, -1000.0]], requires_grad=True)
    loss = F.multilabel_soft_margin_loss(x, _t([[0.0, 1.0]]))
    loss.backward()
    assert loss.item() == 1000.0 and np.all(np.isfinite(x.grad.numpy()))


# -- semantics ---------------------------------------------------------------------------------
def test_ignore_index_is_a_weighted_mean_over_kept_targets():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))
    w = np.array([0.2, 1.0, 3.0])
    t = np.array([2, -100, 0, 2])
    loss = F.cross_entropy(_t(x), ember.tensor(t), weight=_t(w)).item()
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    keep = t != -100
    want = -(w[t[keep]] * logp[keep, t[keep]]).sum() / w[t[keep]].sum()
    np.testing.assert_allclose(loss, want, rtol=1e-12)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 0 / 0
def test_all_targets_ignored_gives_nan_like_pytorch():
    out = F.cross_entropy(ember.randn(3, 4), ember.tensor([-100, -100, -100]))
    assert math.isnan(out.item())


def test_legacy_size_average_and_reduce():
    x, t = _t([1.0, 2.0]), _t([0.0, 0.0])
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert F.l1_loss(x, t, size_average=False).item() == 3.0
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert F.mse_loss(x, t, reduce=False).shape == (2,)
    with pytest.warns(UserWarning):
        assert nnm.MSELoss(size_average=False).reduction == "sum"


def test_kl_div_reductions():
    logp = F.log_softmax(_t([[0.1, 0.2, 0.7], [1.0, 0.0, -1.0]]), 1)
    t = F.softmax(_t([[0.3, 0.3, 0.4], [0.0, 1.0, 0.0]]), 1)
    total = F.kl_div(logp, t, reduction="sum").item()
    assert F.kl_div(logp, t, reduction="batchmean").item() == pytest.approx(total / 2)
    with pytest.warns(UserWarning, match="batchmean"):
        assert F.kl_div(logp, t).item() == pytest.approx(total / 6)
    np.testing.assert_allclose(F.kl_div(logp, t.log(), reduction="sum", log_target=True).item(),
                               total, rtol=1e-12)
    # a zero target contributes 0 (xlogy), not nan
    assert F.kl_div(logp, _t([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]]), reduction="sum").item() > 0


def test_gaussian_nll_var_forms_and_clamp_keeps_gradient():
    x, t = _t(np.zeros((2, 3))), _t(np.ones((2, 3)))
    full = F.gaussian_nll_loss(x, t, _t(np.full((2, 3), 2.0)))
    assert F.gaussian_nll_loss(x, t, _t([2.0, 2.0])).item() == pytest.approx(full.item())
    assert F.gaussian_nll_loss(x, t, 2.0).item() == pytest.approx(full.item())
    var = _t([1e-9, 1.0], requires_grad=True)
    F.gaussian_nll_loss(_t([0.0, 0.0]), _t([0.0, 0.0]), var, eps=1e-3).backward()
    # d/dvar of mean(0.5 log var) at the clamp, as if unclamped: 0.5 / eps / 2
    assert var.grad.numpy()[0] == pytest.approx(0.25 / 1e-3)


def test_cross_entropy_class_probabilities_equal_one_hot_indices():
    x = ember.randn(5, 4, dtype=F64)
    t = ember.tensor([0, 3, 1, 1, 2])
    one_hot = _t(np.eye(4)[t.numpy()])
    for red in ("mean", "sum", "none"):
        np.testing.assert_allclose(F.cross_entropy(x, one_hot, reduction=red).numpy(),
                                   F.cross_entropy(x, t, reduction=red).numpy(), rtol=1e-12)


# -- modules -----------------------------------------------------------------------------------
def test_weight_buffers_follow_dtype_and_state_dict():
    m = nnm.CrossEntropyLoss(weight=ember.ones(3), label_smoothing=0.1)
    assert list(m.state_dict()) == ["weight"] and [n for n, _ in m.named_buffers()] == ["weight"]
    assert m.double().weight.dtype == F64
    assert list(nnm.CrossEntropyLoss().state_dict()) == []
    b = nnm.BCEWithLogitsLoss(weight=ember.ones(2), pos_weight=ember.ones(2))
    assert list(b.state_dict()) == ["weight", "pos_weight"]
    assert list(nnm.NLLLoss(weight=ember.ones(2)).state_dict()) == ["weight"]


def test_loss_modules_forward_to_functional():
    x, t = ember.randn(4, 3, dtype=F64), ember.tensor([0, 2, 1, 1])
    m = nnm.CrossEntropyLoss(reduction="sum", ignore_index=1)
    assert m(x, t).item() == F.cross_entropy(x, t, reduction="sum", ignore_index=1).item()
    assert repr(m) == "CrossEntropyLoss()"
    g = nnm.GaussianNLLLoss(full=True)
    v = _t(np.ones((4, 3)))
    assert g(x, x * 0, v).item() == F.gaussian_nll_loss(x, x * 0, v, full=True).item()


def test_training_a_linear_classifier_reduces_cross_entropy():
    ember.manual_seed(0)
    rng = np.random.default_rng(0)
    x = ember.tensor(rng.standard_normal((64, 5)).astype(np.float32))
    y = ember.tensor((x.numpy()[:, 0] > 0).astype(np.int64) + (x.numpy()[:, 1] > 0))
    model = ember.nn.Linear(5, 3)
    loss_fn = nnm.CrossEntropyLoss(label_smoothing=0.05)
    first = None
    for _ in range(30):
        loss = loss_fn(model(x), y)
        first = first if first is not None else loss.item()
        model.zero_grad()
        loss.backward()
        with ember.no_grad():
            for p in model.parameters():
                p -= 0.5 * p.grad
    assert loss.item() < 0.6 * first


@pytest.mark.skipif(torch is None, reason="needs the PyTorch oracle")
def test_segmentation_cross_entropy_matches_torch_with_everything_on():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4, 3, 3))
    t = rng.integers(0, 4, (2, 3, 3))
    t[0, 0, 0] = t[1, 2, 1] = 255
    w = rng.uniform(0.5, 2, 4)
    kw = dict(ignore_index=255, label_smoothing=0.2)
    e = F.cross_entropy(_t(x, requires_grad=True), ember.tensor(t), _t(w), **kw)
    tt = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t), torch.tensor(w), **kw)
    np.testing.assert_allclose(e.item(), tt.item(), rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_when_every_target_counts_equals_the_masked_path(reduction):
    # ignore_index -100 lies outside the targets: the path without a mask; ignore_index 1,
    # which no target equals but lies between them, takes the masked path with the same values
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((9, 5))
    targets = ember.tensor(rng.choice([0, 2, 3, 4], size=9))
    results = []
    for ignore in (-100, 1):
        x = ember.tensor(logits, requires_grad=True)
        loss = F.cross_entropy(x, targets, ignore_index=ignore, reduction=reduction)
        loss.backward(ember.ones_like(loss))
        results.append((loss.detach().numpy(), x.grad.numpy()))
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
