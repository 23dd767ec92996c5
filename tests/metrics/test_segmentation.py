"""Jaccard index (IoU) and Dice on segmentation maps against scikit-learn."""

import numpy as np
import pytest

import ember
from ember.metrics import Dice, IoU, JaccardIndex
from ember.metrics import functional as MF

skm = pytest.importorskip("sklearn.metrics")

C = 4


def _maps(seed=0):
    rng = np.random.default_rng(seed)
    target = rng.integers(0, C, (3, 16, 16))
    scores = rng.standard_normal((3, C, 16, 16)) + 1.5 * np.moveaxis(np.eye(C)[target], -1, 1)
    return scores, target


def test_iou_and_dice_match_sklearn_on_flattened_maps():
    scores, target = _maps()
    t, p = target.reshape(-1), scores.argmax(1).reshape(-1)
    labels = np.arange(C)
    np.testing.assert_allclose(JaccardIndex(C, average=None)(scores, target),
                               skm.jaccard_score(t, p, average=None, labels=labels))  # fmt: skip
    np.testing.assert_allclose(JaccardIndex(C)(scores, target),
                               skm.jaccard_score(t, p, average="macro"))  # fmt: skip
    np.testing.assert_allclose(JaccardIndex(C, average="micro")(scores, target),
                               skm.jaccard_score(t, p, average="micro"))  # fmt: skip
    np.testing.assert_allclose(JaccardIndex(C, average="weighted")(scores, target),
                               skm.jaccard_score(t, p, average="weighted"))  # fmt: skip
    np.testing.assert_allclose(Dice(C, average=None)(scores, target),
                               skm.f1_score(t, p, average=None, labels=labels))  # fmt: skip
    np.testing.assert_allclose(MF.dice(scores.argmax(1), target, num_classes=C),
                               skm.f1_score(t, p, average="macro"))  # fmt: skip
    assert IoU is JaccardIndex


def test_absent_class_is_left_out_of_the_mean():
    target = np.array([[0, 0, 1], [1, 2, 2]])
    pred = np.array([[0, 1, 1], [1, 2, 0]])  # class 3 never occurs
    got = MF.jaccard_index(pred, target, num_classes=4)
    assert got == pytest.approx(skm.jaccard_score(target.ravel(), pred.ravel(), average="macro"))
    per_class = MF.jaccard_index(pred, target, num_classes=4, average=None)
    np.testing.assert_allclose(per_class, [1 / 3, 2 / 3, 1 / 2, 0.0])


def test_ignore_index_drops_void_pixels():
    scores, target = _maps(1)
    target[:, :4, :] = 255
    keep = target.reshape(-1) != 255
    t, p = target.reshape(-1)[keep], scores.argmax(1).reshape(-1)[keep]
    got = JaccardIndex(C, ignore_index=255, average=None)(ember.tensor(scores), target)
    np.testing.assert_allclose(got, skm.jaccard_score(t, p, average=None, labels=np.arange(C)))
    with pytest.raises(ValueError, match=r"target in \[0, 4\)"):
        JaccardIndex(C)(scores, target)  # 255 without ignore_index


def test_binary_masks():
    rng = np.random.default_rng(2)
    target = rng.integers(0, 2, (2, 8, 8))
    probs = np.clip(target * 0.6 + rng.random((2, 8, 8)) * 0.5, 0, 1)
    p = (probs > 0.5).astype(int).ravel()
    assert Dice(task="binary")(probs, target) == pytest.approx(skm.f1_score(target.ravel(), p))
    assert JaccardIndex(task="binary")(probs, target) == pytest.approx(
        skm.jaccard_score(target.ravel(), p)
    )


def test_shape_error_names_metric_and_shapes():
    with pytest.raises(ValueError, match=r"Dice: expected preds of shape \(N, 4, \.\.\.\).*"
                                         r"\(2, 3, 8, 8\).*\(2, 8, 8\)"):  # fmt: skip
        Dice(4).update(np.zeros((2, 3, 8, 8)), np.zeros((2, 8, 8), int))
    with pytest.raises(ValueError, match=r"JaccardIndex: preds and target .*\(2, 8, 8\).*"):
        JaccardIndex(4).update(np.zeros((2, 8, 8), int), np.zeros((2, 8, 7), int))
