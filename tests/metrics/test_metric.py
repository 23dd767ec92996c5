"""The Metric protocol for every metric: batches == one shot, shards merge, reset, __call__."""

import copy

import numpy as np
import pytest

from ember import metrics as M


def _classes(rng, n):
    return rng.standard_normal((n, 4)), rng.integers(0, 4, n)


def _binary(rng, n):
    return rng.random(n), rng.integers(0, 2, n)


def _regression(rng, n):
    t = rng.standard_normal(n)
    return t + rng.standard_normal(n), t


def _maps(rng, n):
    return rng.standard_normal((n, 3, 4, 4)), rng.integers(0, 3, (n, 4, 4))


def _labels(rng, n):
    return rng.random((n, 3)), rng.integers(0, 2, (n, 3))


CASES = [
    (lambda: M.Accuracy("multiclass", num_classes=4), _classes),
    (lambda: M.Accuracy("multiclass", num_classes=4, top_k=2), _classes),
    (lambda: M.Accuracy("multilabel", num_labels=3, subset=True), _labels),
    (lambda: M.Precision("multiclass", num_classes=4, average=None), _classes),
    (lambda: M.Recall("binary"), _binary),
    (lambda: M.F1Score("multilabel", num_labels=3, average="weighted"), _labels),
    (lambda: M.FBetaScore("multiclass", beta=2.0, num_classes=4), _classes),
    (lambda: M.ConfusionMatrix("multiclass", num_classes=4, normalize="true"), _classes),
    (lambda: M.AUROC("multiclass", num_classes=4), _classes),
    (lambda: M.AveragePrecision("binary"), _binary),
    (lambda: M.MeanSquaredError(), _regression),
    (lambda: M.RootMeanSquaredError(), _regression),
    (lambda: M.MeanAbsoluteError(), _regression),
    (lambda: M.R2Score(), _regression),
    (lambda: M.JaccardIndex(3, ignore_index=0), _maps),
    (lambda: M.Dice(3, average=None), _maps),
]
IDS = [f"{i}-{type(make()).__name__}" for i, (make, _) in enumerate(CASES)]


def _batches(data_fn, seed=0, sizes=(7, 30, 1, 22)):
    rng = np.random.default_rng(seed)
    return [data_fn(rng, n) for n in sizes]


def _cat(batches):
    return tuple(np.concatenate(parts) for parts in zip(*batches))


@pytest.mark.parametrize("make,data_fn", CASES, ids=IDS)
def test_batches_equal_one_shot(make, data_fn):
    batches = _batches(data_fn)
    acc = make()
    for preds, target in batches:
        acc.update(preds, target)
    once = make()
    once.update(*_cat(batches))
    np.testing.assert_allclose(acc.compute(), once.compute(), rtol=1e-12)


@pytest.mark.parametrize("make,data_fn", CASES, ids=IDS)
def test_shards_merge_to_whole(make, data_fn):
    batches = _batches(data_fn, seed=1)
    whole = make()
    whole.update(*_cat(batches))
    shards = []
    for preds, target in batches:  # one "process" per batch
        m = make()
        m.update(preds, target)
        shards.append(m)
    merged = make()
    merged.merge_state(shards[0])
    merged.merge_state(shards[1].state_dict())  # as received from another process
    for m in shards[2:]:
        merged.merge_state(m)
    np.testing.assert_allclose(merged.compute(), whole.compute(), rtol=1e-12)


@pytest.mark.parametrize("make,data_fn", CASES, ids=IDS)
def test_call_returns_batch_value_and_accumulates(make, data_fn):
    batches = _batches(data_fn, seed=2, sizes=(20, 25))
    m = make()
    first = m(*batches[0])
    alone = make()
    alone.update(*batches[0])
    np.testing.assert_allclose(first, alone.compute(), rtol=1e-12)
    second = m(*batches[1])
    alone.reset()
    alone.update(*batches[1])
    np.testing.assert_allclose(second, alone.compute(), rtol=1e-12)
    both = make()
    both.update(*_cat(batches))
    np.testing.assert_allclose(m.compute(), both.compute(), rtol=1e-12)


@pytest.mark.parametrize("make,data_fn", CASES, ids=IDS)
def test_reset_and_state_dict_round_trip(make, data_fn):
    batches = _batches(data_fn, seed=3)
    m = make()
    m.update(*batches[0])
    m.reset()
    with pytest.raises(RuntimeError, match="before any update"):
        m.compute()
    m.update(*batches[1])
    fresh = make()
    fresh.update(*batches[1])
    np.testing.assert_allclose(m.compute(), fresh.compute(), rtol=1e-12)
    loaded = make()
    loaded.load_state_dict(copy.deepcopy(m.state_dict()))
    np.testing.assert_allclose(loaded.compute(), m.compute(), rtol=1e-12)


def test_merge_refuses_other_kinds_and_shapes():
    a = M.Accuracy("multiclass", num_classes=3)
    with pytest.raises(TypeError, match="Accuracy.merge_state: cannot merge a Precision"):
        a.merge_state(M.Precision("multiclass", num_classes=3))
    with pytest.raises(ValueError, match=r"state 'confmat' has shape \(3, 3\) here but \(4, 4\)"):
        a.merge_state(M.Accuracy("multiclass", num_classes=4))
    with pytest.raises(KeyError, match="missing states"):
        a.load_state_dict({})


def test_error_in_call_keeps_state():
    m = M.Accuracy("multiclass", num_classes=3)
    m.update(np.array([0, 1]), np.array([0, 1]))
    with pytest.raises(ValueError, match="Accuracy"):
        m(np.zeros((2, 5)), np.array([0, 1]))
    assert m.compute() == 1.0 and m._update_count == 1


def test_repr():
    assert repr(M.Accuracy("multiclass", num_classes=3)) == (
        "Accuracy(task='multiclass', num_classes=3)"
    )
    assert repr(M.R2Score(num_outputs=2)) == "R2Score(num_outputs=2)"
    assert repr(M.AUROC("binary")) == "AUROC(task='binary')"
