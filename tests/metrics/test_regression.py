"""Regression metrics against scikit-learn."""

import numpy as np
import pytest

import ember
from ember.metrics import MeanAbsoluteError, MeanSquaredError, R2Score, RootMeanSquaredError
from ember.metrics import functional as MF

skm = pytest.importorskip("sklearn.metrics")


def _data(seed=0, shape=(300,)):
    rng = np.random.default_rng(seed)
    target = rng.standard_normal(shape) * 3 + 100.0  # an offset that punishes naive variance
    return target + rng.standard_normal(shape), target


@pytest.mark.parametrize("shape", [(300,), (300, 3)])
@pytest.mark.parametrize("multioutput", ["uniform_average", "raw_values"])
def test_match_sklearn(shape, multioutput):
    preds, target = _data(shape=shape)
    d = 1 if len(shape) == 1 else shape[1]
    kw = {"num_outputs": d, "multioutput": multioutput}
    cases = [
        (MeanSquaredError(**kw), skm.mean_squared_error),
        (RootMeanSquaredError(**kw), skm.root_mean_squared_error),
        (MeanSquaredError(squared=False, **kw), skm.root_mean_squared_error),
        (MeanAbsoluteError(**kw), skm.mean_absolute_error),
        (R2Score(**kw), skm.r2_score),
    ]
    for metric, sk_fn in cases:
        for i in range(0, 300, 70):  # uneven batches
            metric.update(preds[i : i + 70], target[i : i + 70])
        want = sk_fn(target, preds, multioutput=multioutput)
        np.testing.assert_allclose(metric.compute(), want, rtol=1e-10)


def test_r2_variance_weighted_and_functional():
    preds, target = _data(1, (200, 2))
    target[:, 1] *= 10
    got = MF.r2_score(preds, target, num_outputs=2, multioutput="variance_weighted")
    want = skm.r2_score(target, preds, multioutput="variance_weighted")
    assert got == pytest.approx(want, rel=1e-10)
    assert MF.mean_squared_error(preds[:, 0], target[:, 0], squared=False) == pytest.approx(
        MF.root_mean_squared_error(preds[:, 0], target[:, 0]), rel=1e-14
    )
    assert MF.mean_absolute_error(ember.tensor(preds[:, 0]), ember.tensor(target[:, 0])) == (
        pytest.approx(skm.mean_absolute_error(target[:, 0], preds[:, 0]), rel=1e-12)
    )


def test_r2_constant_target_like_sklearn():
    target = np.full(5, 2.0)
    assert MF.r2_score(target.copy(), target) == 1.0 == skm.r2_score(target, target)
    assert MF.r2_score(target + 1, target) == 0.0 == skm.r2_score(target, target + 1)


def test_r2_shards_merge_exactly():
    preds, target = _data(2)
    shards = [R2Score() for _ in range(4)]
    for k, m in enumerate(shards):
        m.update(preds[k * 75 : (k + 1) * 75], target[k * 75 : (k + 1) * 75])
    for m in shards[1:]:
        shards[0].merge_state(m)
    assert shards[0].compute() == pytest.approx(skm.r2_score(target, preds), rel=1e-12)


def test_errors():
    with pytest.raises(ValueError, match=r"MeanSquaredError: preds and target .*\(3,\).*\(4,\)"):
        MeanSquaredError().update(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"R2Score: expected .*\(N, 2\).*got \(5, 3\)"):
        R2Score(num_outputs=2).update(np.zeros((5, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="multioutput must be one of"):
        MeanAbsoluteError(multioutput="variance_weighted")
    with pytest.raises(ValueError, match="num_outputs must be a positive integer"):
        R2Score(num_outputs=0)
