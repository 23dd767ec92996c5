"""Samplers: order, reproducibility, lengths, validation, class rebalancing, sharding."""

import numpy as np
import pytest

import ember
from ember.utils.data import (
    BatchSampler,
    DistributedSampler,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


def test_sequential_sampler():
    s = SequentialSampler(range(5))
    assert list(s) == [0, 1, 2, 3, 4] and len(s) == 5


def test_random_sampler_is_a_reproducible_permutation():
    g = ember.Generator().manual_seed(3)
    s = RandomSampler(range(50), generator=g)
    first, second = list(s), list(s)
    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert first != second  # a new order every epoch
    g.manual_seed(3)
    assert list(s) == first
    ember.manual_seed(0)
    a = list(RandomSampler(range(20)))
    ember.manual_seed(0)
    assert list(RandomSampler(range(20))) == a


def test_random_sampler_num_samples_and_replacement():
    g = ember.Generator().manual_seed(0)
    s = RandomSampler(range(4), num_samples=10, generator=g)
    out = list(s)
    assert len(s) == 10 and len(out) == 10
    assert sorted(out[:4]) == [0, 1, 2, 3] and sorted(out[4:8]) == [0, 1, 2, 3]
    r = list(RandomSampler(range(3), replacement=True, num_samples=300, generator=g))
    assert len(r) == 300 and set(r) == {0, 1, 2}


def test_random_sampler_validation():
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer.*=0"):
        RandomSampler(range(0))
    with pytest.raises(ValueError, match="num_samples=-2"):
        RandomSampler(range(3), num_samples=-2)


def test_subset_random_sampler():
    idx = [10, 20, 30, 40]
    s = SubsetRandomSampler(idx, generator=ember.Generator().manual_seed(1))
    out = list(s)
    assert sorted(out) == idx and len(s) == 4


def test_weighted_sampler_rebalances_classes():
    labels = np.array([0] * 900 + [1] * 100)
    class_weight = 1.0 / np.bincount(labels)
    weights = class_weight[labels]
    s = WeightedRandomSampler(
        weights, num_samples=20000, generator=ember.Generator().manual_seed(0)
    )
    drawn = labels[np.array(list(s))]
    share_minority = (drawn == 1).mean()
    assert len(s) == 20000
    assert 0.47 < share_minority < 0.53  # 10 % of the data, ~50 % of the draws


def test_weighted_sampler_without_replacement_and_validation():
    s = WeightedRandomSampler(
        [0.0, 1.0, 1.0, 0.0, 5.0], 3, replacement=False, generator=ember.Generator().manual_seed(2)
    )
    assert sorted(s) == [1, 2, 4]
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1.0], True)
    with pytest.raises(ValueError, match="replacement should be a boolean"):
        WeightedRandomSampler([1.0], 1, replacement="yes")
    with pytest.raises(ValueError, match=r"1d sequence.*\(2, 2\)"):
        WeightedRandomSampler([[1.0, 2.0], [3.0, 4.0]], 1)
    with pytest.raises(RuntimeError, match="without replacement"):
        list(WeightedRandomSampler([1.0, 2.0], 3, replacement=False))


@pytest.mark.parametrize(
    "n, bs, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (2, 5, True)]
)
def test_batch_sampler(n, bs, drop_last):
    s = BatchSampler(SequentialSampler(range(n)), bs, drop_last)
    batches = list(s)
    assert len(batches) == len(s)
    flat = [i for b in batches for i in b]
    want = list(range(n // bs * bs)) if drop_last else list(range(n))
    assert flat == want and all(isinstance(b, list) for b in batches)
    torch = pytest.importorskip("torch")
    tbs = torch.utils.data.BatchSampler(range(n), bs, drop_last)
    assert list(tbs) == batches and len(tbs) == len(s)


def test_batch_sampler_validation():
    with pytest.raises(ValueError, match="batch_size should be a positive integer.*=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        BatchSampler(range(3), 2, 1)


@pytest.mark.parametrize(
    "n, replicas, drop_last",
    [(10, 3, False), (10, 3, True), (2, 5, False), (12, 4, False), (7, 2, True)],
)
def test_distributed_sampler_shards_like_torch(n, replicas, drop_last):
    shards = [
        list(DistributedSampler(range(n), replicas, r, shuffle=False, drop_last=drop_last))
        for r in range(replicas)
    ]
    sizes = {len(s) for s in shards}
    assert len(sizes) == 1  # every replica gets the same count
    covered = [i for s in shards for i in s]
    if drop_last:
        assert len(set(covered)) == len(covered)  # disjoint
    else:
        assert set(covered) == set(range(n))  # covers the dataset (padding repeats the start)
    torch = pytest.importorskip("torch")
    for r in range(replicas):
        t = torch.utils.data.DistributedSampler(
            range(n), replicas, r, shuffle=False, drop_last=drop_last
        )
        assert list(t) == shards[r] and len(t) == len(shards[r])


def test_distributed_sampler_shuffle_epochs_disjoint_and_validation():
    n, R = 20, 4
    samplers = [DistributedSampler(range(n), R, r, seed=7) for r in range(R)]
    epoch0 = [list(s) for s in samplers]
    assert sorted(i for s in epoch0 for i in s) == list(range(n))
    for s in samplers:
        s.set_epoch(1)
    epoch1 = [list(s) for s in samplers]
    assert sorted(i for s in epoch1 for i in s) == list(range(n))
    assert epoch0 != epoch1
    samplers[0].set_epoch(0)
    assert list(samplers[0]) == epoch0[0]
    with pytest.raises(
        ValueError, match=r"Invalid rank 4, rank should be in the interval \[0, 3\]"
    ):
        DistributedSampler(range(n), 4, 4)
