"""load_digits & co (scikit-learn extra), compute_mean_std and train_val_test_split."""

import sys

import numpy as np
import pytest

import ember
from ember.datasets import (
    compute_mean_std,
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    train_val_test_split,
)
from ember.utils.data import DataLoader, TensorDataset


def test_load_digits_shapes_splits_and_determinism():
    pytest.importorskip("sklearn")
    a = load_digits()
    assert (len(a.train), len(a.val), len(a.test)) == (1438, 180, 179)
    x, y = a.train[0]
    assert x.shape == (1, 8, 8) and x.dtype == ember.float32 and y.dtype == ember.int64
    xs = a.train.tensors[0].numpy()
    assert xs.min() == 0.0 and xs.max() == 1.0
    assert a.classes == [str(i) for i in range(10)]
    b = load_digits()
    np.testing.assert_array_equal(a.test.tensors[1].numpy(), b.test.tensors[1].numpy())
    c = load_digits(seed=1)
    assert not np.array_equal(a.test.tensors[1].numpy(), c.test.tensors[1].numpy())
    total = np.concatenate([s.tensors[1].numpy() for s in (a.train, a.val, a.test)])
    assert len(total) == 1797 and np.bincount(total).min() > 150


def test_tabular_loaders_standardise_with_training_stats():
    pytest.importorskip("sklearn")
    bc = load_breast_cancer()
    xtr = bc.train.tensors[0].numpy().astype(np.float64)
    np.testing.assert_allclose(xtr.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(xtr.std(axis=0), 1, atol=1e-4)
    assert bc.classes == ["malignant", "benign"] and len(bc.feature_names) == 30
    assert abs(bc.val.tensors[0].numpy().mean()) > 1e-4  # val uses train stats, not its own
    iris = load_iris(fractions=(0.6, 0.2, 0.2))
    assert (len(iris.train), len(iris.val), len(iris.test)) == (90, 30, 30)
    assert iris.train.tensors[1].dtype == ember.int64
    diab = load_diabetes()
    assert diab.classes is None and diab.train.tensors[1].dtype == ember.float32
    assert len(diab.stats["mean"]) == 10


def test_missing_sklearn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn` fail
    with pytest.raises(ImportError, match=r"pip install ember\[datasets\]"):
        load_digits()
    with pytest.raises(ImportError, match=r"pip install ember\[datasets\]"):
        load_iris()


def test_compute_mean_std_dataset_loader_and_array_agree():
    rng = np.random.default_rng(0)
    x = rng.normal([[[1.0]], [[-2.0]], [[5.0]]], [[[0.5]], [[2.0]], [[3.0]]], (50, 3, 4, 4))
    expect_mean, expect_std = x.mean(axis=(0, 2, 3)), x.std(axis=(0, 2, 3))
    ds = TensorDataset(ember.tensor(x), ember.zeros(50))
    for data in (ds, DataLoader(ds, batch_size=7), ember.tensor(x)):
        mean, std = compute_mean_std(data, dim=0)
        assert mean.dtype == ember.float64 and mean.shape == (3,)
        np.testing.assert_allclose(mean.numpy(), expect_mean, rtol=1e-10)
        np.testing.assert_allclose(std.numpy(), expect_std, rtol=1e-10)
    hwc = [np.moveaxis(v, 0, -1) for v in x]
    mean, _ = compute_mean_std(hwc, dim=-1)
    np.testing.assert_allclose(mean.numpy(), expect_mean, rtol=1e-10)


def test_compute_mean_std_float64_streaming_is_stable():
    # large offset + small spread: naive E[x^2] - E[x]^2 in float32 would lose everything
    x = (1e4 + np.random.default_rng(1).normal(0, 1e-2, (40, 1, 5, 5))).astype(np.float32)
    _, std = compute_mean_std(ember.tensor(x), dim=0)
    np.testing.assert_allclose(std.numpy(), x.astype(np.float64).std(), rtol=1e-6)
    with pytest.raises(ValueError, match="no data"):
        compute_mean_std([], dim=0)


def test_train_val_test_split_sizes_and_seed():
    ds = TensorDataset(ember.arange(10))
    tr, va, te = train_val_test_split(ds, seed=3)
    assert (len(tr), len(va), len(te)) == (8, 1, 1)
    got = sorted(int(s[0].item()) for part in (tr, va, te) for s in part)
    assert got == list(range(10))
    tr2, _, _ = train_val_test_split(ds, seed=3)
    assert list(tr.indices) == list(tr2.indices)
    ember.manual_seed(4)
    a = train_val_test_split(ds, (0.5, 0.25, 0.25))[0].indices
    ember.manual_seed(4)
    assert list(a) == list(train_val_test_split(ds, (0.5, 0.25, 0.25))[0].indices)
    assert [len(p) for p in train_val_test_split(ds, (0.34, 0.33, 0.33), seed=0)] == [4, 3, 3]
    with pytest.raises(ValueError, match="fractions"):
        train_val_test_split(ds, (0.5, 0.5, 0.5))
