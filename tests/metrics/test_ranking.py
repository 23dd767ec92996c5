"""AUROC and average precision against scikit-learn, ties included."""

import numpy as np
import pytest

from ember.metrics import AUROC, AveragePrecision
from ember.metrics import functional as MF

skm = pytest.importorskip("sklearn.metrics")


def _binary(seed, n=500, ties=False):
    rng = np.random.default_rng(seed)
    target = rng.integers(0, 2, n)
    scores = rng.random(n) + 0.3 * target
    if ties:
        scores = np.round(scores * 5) / 5  # few distinct values: many tied pairs
    return scores, target


@pytest.mark.parametrize("ties", [False, True])
def test_binary_auroc_and_ap(ties):
    scores, target = _binary(0, ties=ties)
    np.testing.assert_allclose(AUROC("binary")(scores, target),
                               skm.roc_auc_score(target, scores), rtol=1e-12)  # fmt: skip
    np.testing.assert_allclose(AveragePrecision("binary")(scores, target),
                               skm.average_precision_score(target, scores), rtol=1e-12)  # fmt: skip


def test_binary_logits_give_the_same_auroc():
    scores, target = _binary(1)
    logits = np.log(scores / (1.3 - scores + 1e-9) + 1e-9)  # a monotone map
    assert MF.auroc(logits, target, "binary") == pytest.approx(skm.roc_auc_score(target, scores))


@pytest.mark.parametrize("average", ["macro", "weighted", None])
@pytest.mark.parametrize("ties", [False, True])
def test_multiclass_one_vs_rest(average, ties):
    rng = np.random.default_rng(2)
    target = rng.integers(0, 4, 400)
    logits = rng.standard_normal((400, 4)) + np.eye(4)[target]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    if ties:
        probs = np.round(probs, 1)
    got = AUROC("multiclass", num_classes=4, average=average)(probs, target)
    per_class = [skm.roc_auc_score(target == c, probs[:, c]) for c in range(4)]
    if average is None:
        want = per_class
    elif ties:  # rounded rows no longer sum to 1, which sklearn's multiclass path refuses
        want = np.average(per_class, weights=None if average == "macro" else np.bincount(target))
    else:
        want = skm.roc_auc_score(target, probs, multi_class="ovr", average=average)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    got = AveragePrecision("multiclass", num_classes=4, average=average)(probs, target)
    want = skm.average_precision_score(np.eye(4)[target], probs, average=average)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # logits are turned into probabilities by a softmax
    if not ties:
        np.testing.assert_allclose(
            AUROC("multiclass", num_classes=4, average=average)(logits, target),
            AUROC("multiclass", num_classes=4, average=average)(probs, target),
            rtol=1e-12,
        )


def test_batches_and_shards_keep_every_prediction():
    scores, target = _binary(3, ties=True)
    whole = skm.roc_auc_score(target, scores)
    shards = [AUROC("binary") for _ in range(3)]
    for i, m in enumerate(shards):
        m.update(scores[i::3], target[i::3])
    shards[0].merge_state(shards[1])
    shards[0].merge_state(shards[2].state_dict())
    assert shards[0].compute() == pytest.approx(whole, rel=1e-12)


def test_errors():
    with pytest.raises(ValueError, match="only one class"):
        MF.auroc(np.array([0.1, 0.4]), np.array([1, 1]), "binary")
    with pytest.raises(ValueError, match=r"AUROC: preds and target .* \(3,\) .* \(4,\)"):
        AUROC("binary").update(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"AveragePrecision: expected preds of shape \(N, 3"):
        AveragePrecision("multiclass", num_classes=3).update(np.zeros((5, 4)), np.zeros(5, int))
    with pytest.raises(ValueError, match="binary target must be 0 or 1"):
        AUROC("binary").update(np.zeros(2), np.array([0, 2]))
    with pytest.raises(ValueError, match="task must be 'binary' or 'multiclass'"):
        AUROC("multilabel")
    with pytest.raises(ValueError, match="average must be"):
        AUROC("multiclass", num_classes=3, average="micro")
    with pytest.warns(UserWarning, match="no positive sample"):
        assert MF.average_precision(np.array([0.2, 0.3]), np.array([0, 0]), "binary") == 0.0
