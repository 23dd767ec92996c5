"""Datasets: TensorDataset, Subset, ConcatDataset, StackDataset, ChainDataset, random_split."""

import warnings

import numpy as np
import pytest

import ember
from ember.utils.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i

    def __len__(self):
        return self.n


class Count(IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


def test_tensor_dataset_rows_and_len():
    x = ember.arange(12.0).reshape(6, 2)
    y = ember.arange(6)
    ds = TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi.numpy(), [8.0, 9.0])
    assert yi.item() == 4 and yi.shape == ()


def test_tensor_dataset_size_mismatch_names_sizes():
    with pytest.raises(AssertionError, match=r"Size mismatch.*\[3, 4\]"):
        TensorDataset(ember.zeros(3), ember.zeros(4))
    with pytest.raises(TypeError, match="expected Tensors, got list"):
        TensorDataset(ember.zeros(3), [1, 2, 3])


def test_tensor_dataset_getitems_is_vectorised_and_matches_loop():
    x = ember.randn(10, 3, 4)
    y = ember.arange(10)
    ds = TensorDataset(x, y)
    idx = [7, 2, 2, 9]
    fast = ds.__getitems__(idx)
    # the vectorised batch behaves as the list of samples ...
    assert len(fast) == 4
    for got, i in zip(fast, idx):
        np.testing.assert_array_equal(got[0].numpy(), x.numpy()[i])
        assert got[1].item() == i
    # ... and collates to exactly what the per-sample path gives
    slow = default_collate([ds[i] for i in idx])
    quick = default_collate(fast)
    assert isinstance(quick, list) and len(quick) == 2
    for a, b in zip(quick, slow):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_subset_indexing_and_getitems():
    base = TensorDataset(ember.arange(10))
    sub = Subset(base, [9, 3, 5])
    assert len(sub) == 3
    assert sub[0][0].item() == 9
    batch = default_collate(sub.__getitems__([2, 0]))
    np.testing.assert_array_equal(batch[0].numpy(), [5, 9])
    plain = Subset(Squares(5), [4, 1])
    assert plain.__getitems__([0, 1]) == [16, 1]


def test_concat_dataset_and_add():
    ds = Squares(3) + Squares(2)
    assert isinstance(ds, ConcatDataset)
    assert len(ds) == 5
    assert [ds[i] for i in range(5)] == [0, 1, 4, 0, 1]
    assert ds[-1] == 1 and ds[-5] == 0
    assert ds.cumulative_sizes == [3, 5]
    with pytest.raises(ValueError, match="absolute value of index"):
        ds[-6]
    with pytest.raises(IndexError):
        ds[5]
    with pytest.raises(AssertionError, match="empty"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="IterableDataset"):
        ConcatDataset([Count(0, 2)])


def test_chain_dataset():
    ds = Count(0, 2) + Count(5, 7)
    assert isinstance(ds, ChainDataset)
    assert list(ds) == [0, 1, 5, 6] and len(ds) == 4


def test_stack_dataset_positional_and_keyword():
    images = TensorDataset(ember.randn(4, 2))
    sq = Squares(4)
    pos = StackDataset(images, sq)
    assert len(pos) == 4 and pos[3][1] == 9
    kw = StackDataset(image=ember.arange(4), label=sq)
    sample = kw[2]
    assert set(sample) == {"image", "label"}
    assert sample["image"].item() == 2 and sample["label"] == 4
    batch = default_collate(kw.__getitems__([1, 3]))
    np.testing.assert_array_equal(batch["label"].numpy(), [1, 9])
    with pytest.raises(ValueError, match="both types"):
        StackDataset(sq, label=sq)
    with pytest.raises(ValueError, match="at least one"):
        StackDataset()
    with pytest.raises(ValueError, match="Size mismatch"):
        StackDataset(a=Squares(3), b=Squares(4))


def test_stack_of_tensor_datasets_stays_vectorised():
    a = TensorDataset(ember.arange(5), ember.arange(5) * 10)
    b = TensorDataset(ember.arange(5.0))
    ds = StackDataset(x=a, z=b)
    fast = ds.__getitems__([4, 0])
    assert type(fast).__name__ == "BatchedSamples"
    got = default_collate(fast)
    want = default_collate([ds[4], ds[0]])
    assert set(got) == {"x", "z"}
    for g, w in zip(got["x"] + got["z"], want["x"] + want["z"]):
        np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_base_classes_raise_not_implemented():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__iter__"):
        iter(IterableDataset())


def test_random_split_lengths_is_a_partition_and_reproducible():
    ds = Squares(10)
    parts = random_split(ds, [3, 7], generator=ember.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    again = random_split(ds, [3, 7], generator=ember.Generator().manual_seed(1))
    assert again[0].indices == parts[0].indices
    ember.manual_seed(5)
    a = random_split(ds, [5, 5])
    ember.manual_seed(5)
    b = random_split(ds, [5, 5])
    assert a[1].indices == b[1].indices
    with pytest.raises(ValueError, match=r"sum of input lengths \(9\).*\(10\)"):
        random_split(ds, [4, 5])


@pytest.mark.parametrize(
    "n, fracs, want",
    [(10, [0.5, 0.5], [5, 5]), (11, [0.3, 0.3, 0.4], [4, 3, 4]), (7, [0.1, 0.2, 0.7], [1, 2, 4])],
)
def test_random_split_fractions_round_like_torch(n, fracs, want):
    parts = random_split(Squares(n), fracs, generator=ember.Generator().manual_seed(0))
    assert [len(p) for p in parts] == want
    torch = pytest.importorskip("torch")
    tparts = torch.utils.data.random_split(range(n), fracs)
    assert [len(p) for p in tparts] == want


def test_random_split_zero_length_warns_and_bad_fraction_raises():
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        parts = random_split(Squares(2), [0.1, 0.9])
    assert [len(p) for p in parts] == [1, 1] and not rec
    with pytest.warns(UserWarning, match="index 1 is 0"):
        random_split(Squares(1), [0.6, 0.4])
    with pytest.raises(ValueError, match="index 0 is not between 0 and 1"):
        random_split(Squares(2), [-0.5, 1.5])


def test_generic_subscription_like_torch():
    from ember.utils.data import Sampler

    class Typed(Dataset[int]):
        def __getitem__(self, i):
            return i

    assert Typed()[3] == 3
    assert Sampler[int] is not None and IterableDataset[str] is not None
