"""Classification metrics against scikit-learn on random data."""

import numpy as np
import pytest

import ember
from ember.metrics import (
    Accuracy,
    ConfusionMatrix,
    F1Score,
    FBeta,
    FBetaScore,
    Precision,
    Recall,
)
from ember.metrics import functional as MF

skm = pytest.importorskip("sklearn.metrics")

C = 5
AVERAGES = ["micro", "macro", "weighted", None]


def _multiclass(seed=0, n=300, c=C):
    rng = np.random.default_rng(seed)
    scores = rng.standard_normal((n, c))
    target = rng.integers(0, c, n)
    return scores, target


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-12, atol=1e-12)


def _sk_labels(average, c=C):
    # sklearn's default labels are those present in y_true or y_pred (our macro rule); for the
    # per-class array we report all C classes
    return None if average in ("macro", "micro", "weighted") else np.arange(c)


@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize(
    "cls,sk_fn",
    [
        (Precision, skm.precision_score),
        (Recall, skm.recall_score),
        (F1Score, skm.f1_score),
    ],
)
def test_multiclass_prf_match_sklearn(cls, sk_fn, average):
    scores, target = _multiclass()
    pred = scores.argmax(1)
    got = cls("multiclass", num_classes=C, average=average)(scores, target)
    want = sk_fn(target, pred, average=average, labels=_sk_labels(average), zero_division=0)
    _close(got, want)
    # labels instead of scores give the same value
    _close(cls("multiclass", num_classes=C, average=average)(pred, target), want)


@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("beta", [0.5, 2.0])
def test_fbeta_and_support_match_sklearn(beta, average):
    scores, target = _multiclass(seed=1)
    pred = scores.argmax(1)
    got = FBetaScore("multiclass", beta=beta, num_classes=C, average=average)(scores, target)
    want = skm.fbeta_score(
        target, pred, beta=beta, average=average, labels=_sk_labels(average), zero_division=0
    )
    _close(got, want)
    p, r, f, _ = skm.precision_recall_fscore_support(
        target, pred, beta=beta, average=average, labels=_sk_labels(average), zero_division=0
    )
    _close(MF.precision(scores, target, "multiclass", num_classes=C, average=average), p)
    _close(MF.recall(scores, target, "multiclass", num_classes=C, average=average), r)
    _close(MF.fbeta_score(scores, target, "multiclass", beta=beta, num_classes=C,
                          average=average), f)  # fmt: skip
    assert FBeta is FBetaScore


def test_macro_skips_absent_class_like_sklearn():
    # class 4 never occurs in target or preds: excluded from macro, 0 in the per-class array
    target = np.array([0, 1, 2, 3, 0, 1, 2, 3, 1])
    pred = np.array([0, 1, 2, 2, 1, 1, 3, 3, 0])
    got = F1Score("multiclass", num_classes=5)(pred, target)
    _close(got, skm.f1_score(target, pred, average="macro"))
    per_class = F1Score("multiclass", num_classes=5, average=None)(pred, target)
    assert per_class[4] == 0.0 and len(per_class) == 5


def test_binary_probabilities_logits_and_labels():
    rng = np.random.default_rng(2)
    probs = rng.random(400)
    target = rng.integers(0, 2, 400)
    pred = (probs > 0.5).astype(int)
    for cls, sk_fn in [
        (Accuracy, skm.accuracy_score),
        (Precision, skm.precision_score),
        (Recall, skm.recall_score),
        (F1Score, skm.f1_score),
    ]:
        want = sk_fn(target, pred)
        _close(cls("binary")(probs, target), want)
        _close(cls("binary")(np.log(probs / (1 - probs)), target), want)  # logits
        _close(cls("binary")(pred, target), want)  # labels
    # a custom threshold
    _close(Accuracy("binary", threshold=0.8)(probs, target),
           skm.accuracy_score(target, probs > 0.8))  # fmt: skip


def test_accuracy_multiclass_and_top_k():
    scores, target = _multiclass(seed=3)
    _close(Accuracy("multiclass", num_classes=C)(scores, target),
           skm.accuracy_score(target, scores.argmax(1)))  # fmt: skip
    for k in (2, 3):
        got = Accuracy("multiclass", num_classes=C, top_k=k)(scores, target)
        _close(got, skm.top_k_accuracy_score(target, scores, k=k, labels=np.arange(C)))
    # macro accuracy is the mean per-class recall = balanced accuracy when every class occurs
    _close(Accuracy("multiclass", num_classes=C, average="macro")(scores, target),
           skm.balanced_accuracy_score(target, scores.argmax(1)))  # fmt: skip


def test_multilabel():
    rng = np.random.default_rng(4)
    probs = rng.random((200, 4))
    target = rng.integers(0, 2, (200, 4))
    pred = (probs > 0.5).astype(int)
    _close(Accuracy("multilabel", num_labels=4, subset=True)(probs, target),
           skm.accuracy_score(target, pred))  # fmt: skip
    _close(Accuracy("multilabel", num_labels=4)(probs, target),
           1 - skm.hamming_loss(target, pred))  # fmt: skip
    for average in AVERAGES:
        got = F1Score("multilabel", num_labels=4, average=average)(probs, target)
        _close(got, skm.f1_score(target, pred, average=average, zero_division=0))
        got = Precision("multilabel", num_labels=4, average=average)(probs, target)
        _close(got, skm.precision_score(target, pred, average=average, zero_division=0))
    cm = ConfusionMatrix("multilabel", num_labels=4)(probs, target)
    np.testing.assert_array_equal(cm, skm.multilabel_confusion_matrix(target, pred))


@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
def test_confusion_matrix_normalize(normalize):
    scores, target = _multiclass(seed=5, n=60, c=6)  # small: some rows/columns may be empty
    got = MF.confusion_matrix(scores, target, "multiclass", num_classes=6, normalize=normalize)
    want = skm.confusion_matrix(target, scores.argmax(1), labels=np.arange(6),
                                normalize=normalize)  # fmt: skip
    _close(got, want)
    if normalize is None:
        assert np.issubdtype(got.dtype, np.integer)


def test_confusion_matrix_empty_row_is_zero():
    cm = ConfusionMatrix("multiclass", num_classes=3, normalize="true")
    cm.update(np.array([0, 1]), np.array([0, 0]))
    np.testing.assert_array_equal(cm.compute(), [[0.5, 0.5, 0], [0, 0, 0], [0, 0, 0]])


def test_extra_dims_and_ignore_index():
    rng = np.random.default_rng(6)
    scores = rng.standard_normal((4, 3, 5, 6))
    target = rng.integers(0, 3, (4, 5, 6))
    target[:, 0, :] = -100
    flat_t = target.reshape(-1)
    flat_p = scores.argmax(1).reshape(-1)
    keep = flat_t != -100
    got = Accuracy("multiclass", num_classes=3, ignore_index=-100)(scores, target)
    _close(got, skm.accuracy_score(flat_t[keep], flat_p[keep]))
    got = Recall("multiclass", num_classes=3, ignore_index=-100, average=None)(scores, target)
    _close(got, skm.recall_score(flat_t[keep], flat_p[keep], average=None))


def test_ember_tensor_inputs():
    scores, target = _multiclass(seed=7)
    got = MF.accuracy(ember.tensor(scores.astype(np.float32)), ember.tensor(target),
                      "multiclass", num_classes=C)  # fmt: skip
    _close(got, skm.accuracy_score(target, scores.argmax(1)))
    # a tensor that requires grad is read without autograd complaints
    x = ember.tensor(scores.astype(np.float32), requires_grad=True)
    assert MF.accuracy(x, target, "multiclass", num_classes=C) == got


def test_argument_errors():
    with pytest.raises(ValueError, match="task must be one of"):
        Accuracy("ternary")
    with pytest.raises(ValueError, match="num_classes >= 2"):
        Precision("multiclass")
    with pytest.raises(ValueError, match="num_labels >= 1"):
        Recall("multilabel", num_labels=0)
    with pytest.raises(ValueError, match="average must be one of"):
        F1Score("multiclass", num_classes=3, average="samples")
    with pytest.raises(ValueError, match="beta must be a positive"):
        FBetaScore("binary", beta=0)
    with pytest.raises(ValueError, match="top_k must be an integer in"):
        Accuracy("multiclass", num_classes=3, top_k=4)
    with pytest.raises(ValueError, match="top_k > 1 needs"):
        Accuracy("binary", top_k=2)
    with pytest.raises(ValueError, match="threshold must be in"):
        Accuracy("binary", threshold=1.5)
    with pytest.raises(ValueError, match="normalize must be one of"):
        ConfusionMatrix("binary", normalize="rows")


def test_input_errors():
    m = Precision("multiclass", num_classes=3)
    with pytest.raises(ValueError, match=r"Precision: .*\(8, 4\).*\(8,\)"):
        m.update(np.zeros((8, 4)), np.zeros(8, int))
    with pytest.raises(ValueError, match=r"Precision: preds and target .* \(5,\) .* \(6,\)"):
        m.update(np.zeros(5, int), np.zeros(6, int))
    with pytest.raises(ValueError, match=r"target in \[0, 3\)"):
        m.update(np.zeros(4, int), np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="integer labels"):
        m.update(np.array([0.5, 1.0]), np.array([0, 1]))
    top2 = Accuracy("multiclass", num_classes=3, top_k=2)
    with pytest.raises(ValueError, match=r"Accuracy: top_k=2 needs preds of scores"):
        top2.update(np.zeros(4, int), np.zeros(4, int))
    np.testing.assert_array_equal(top2.confmat, 0)
    assert m._update_count == 0  # nothing half-updated
    np.testing.assert_array_equal(m.confmat, 0)


def test_top_k_with_extra_dims_and_ignore_index():
    rng = np.random.default_rng(8)
    scores = rng.standard_normal((6, 4, 5))
    target = rng.integers(0, 4, (6, 5))
    target[0] = 9
    flat_s = np.moveaxis(scores, 1, -1).reshape(-1, 4)
    flat_t = target.reshape(-1)
    keep = flat_t != 9
    got = Accuracy("multiclass", num_classes=4, top_k=2, ignore_index=9)(scores, target)
    want = skm.top_k_accuracy_score(flat_t[keep], flat_s[keep], k=2, labels=np.arange(4))
    _close(got, want)
