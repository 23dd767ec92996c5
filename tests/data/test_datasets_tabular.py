"""CSVDataset: column selection, normalisation stats reuse, categorical encoding."""

import numpy as np
import pytest

import ember
from ember.datasets import CSVDataset

TRAIN = """age,city,income,label
20,paris,100,yes
30,london,200,no
40,paris,300,yes
50,tokyo,400,no
"""
VAL = """age,city,income,label
35,tokyo,250,no
45,london,150,yes
"""


def _csv(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_classification_with_categorical_and_normalisation(tmp_path):
    ds = CSVDataset(_csv(tmp_path, "train.csv", TRAIN), target="label")
    assert ds.features == ["age", "city", "income"] and ds.categorical == ["city"]
    assert ds.classes == ["no", "yes"] and ds.stats["task"] == "classification"
    assert len(ds) == 4
    x, y = ds[0]
    assert x.dtype == ember.float32 and x.shape == (3,) and y.dtype == ember.int64 and y.item() == 1
    ages = np.array([20, 30, 40, 50.0])
    np.testing.assert_allclose(ds.data.numpy()[:, 0], (ages - ages.mean()) / ages.std(), rtol=1e-6)
    # city codes follow the sorted vocabulary: london=0, paris=1, tokyo=2 (not standardised)
    np.testing.assert_array_equal(ds.data.numpy()[:, 1], [1, 0, 1, 2])
    np.testing.assert_array_equal(ds.targets.numpy(), [1, 0, 1, 0])


def test_val_split_reuses_training_stats(tmp_path):
    train = CSVDataset(_csv(tmp_path, "train.csv", TRAIN), target="label")
    val = CSVDataset(_csv(tmp_path, "val.csv", VAL), target="label", stats=train.stats)
    mean, std = train.stats["mean"][0], train.stats["std"][0]
    np.testing.assert_allclose(
        val.data.numpy()[:, 0], (np.array([35, 45.0]) - mean) / std, rtol=1e-6
    )
    np.testing.assert_array_equal(val.data.numpy()[:, 1], [2, 0])
    assert val.classes == train.classes
    np.testing.assert_array_equal(val.targets.numpy(), [0, 1])
    bad = _csv(tmp_path, "bad.csv", "age,city,income,label\n1,rome,2,no\n")
    with pytest.raises(ValueError, match="rome"):
        CSVDataset(bad, target="label", stats=train.stats)


def test_regression_feature_selection_and_no_normalisation(tmp_path):
    path = _csv(tmp_path, "train.csv", TRAIN)
    ds = CSVDataset(path, target="income", features=["age"], normalize=False)
    assert ds.stats["task"] == "regression" and ds.classes is None
    np.testing.assert_array_equal(ds.data.numpy()[:, 0], [20, 30, 40, 50])
    assert ds.targets.dtype == ember.float32
    np.testing.assert_array_equal(ds.targets.numpy(), [100, 200, 300, 400])
    multi = CSVDataset(path, target=["age", "income"], features=["city"])
    assert multi.targets.shape == (4, 2)


def test_numeric_column_declared_categorical_and_numeric_classes(tmp_path):
    text = "a,b,y\n1,5,10\n2,5,2\n3,7,10\n"
    ds = CSVDataset(
        _csv(tmp_path, "t.csv", text), target="y", categorical=["b"], task="classification"
    )
    assert ds.classes == ["2", "10"]  # numeric labels sorted by value
    np.testing.assert_array_equal(ds.targets.numpy(), [1, 0, 1])
    np.testing.assert_array_equal(ds.data.numpy()[:, 1], [0, 0, 1])


def test_errors(tmp_path):
    path = _csv(tmp_path, "train.csv", TRAIN)
    with pytest.raises(KeyError, match="nope"):
        CSVDataset(path, target="nope")
    with pytest.raises(ValueError, match="task"):
        CSVDataset(path, target="label", task="ranking")
    ragged = _csv(tmp_path, "r.csv", "a,b\n1,2\n3\n")
    with pytest.raises(ValueError, match="row 2"):
        CSVDataset(ragged, target="b")
    broken = _csv(tmp_path, "n.csv", "a,y\n1,2\nx,3\n")
    with pytest.raises(ValueError, match="'x'"):
        CSVDataset(
            broken,
            target="y",
            stats={
                "features": ["a"],
                "task": "regression",
                "categories": {},
                "classes": None,
                "mean": None,
                "std": None,
            },
        )


def test_works_with_dataloader(tmp_path):
    from ember.utils.data import DataLoader

    ds = CSVDataset(_csv(tmp_path, "train.csv", TRAIN), target="label")
    x, y = next(iter(DataLoader(ds, batch_size=3)))
    assert x.shape == (3, 3) and y.shape == (3,) and y.dtype == ember.int64
