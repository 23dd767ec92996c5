"""DataLoader in the main process: order, shuffling, batching, len, options and their errors."""

import numpy as np
import pytest

import ember
from ember.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    TensorDataset,
)


class Items(Dataset):
    """Sample i is {"x": float32 array filled with i, "y": i}."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return {"x": np.full(2, i, np.float32), "y": i}

    def __len__(self):
        return self.n


class Stream(IterableDataset):
    def __init__(self, n, sized=True):
        self.n, self.sized = n, sized

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        if not self.sized:
            raise TypeError("Stream has no len()")
        return self.n


def labels(loader):
    return [b["y"].numpy().tolist() for b in loader]


def test_sequential_batches_and_structure():
    batches = list(DataLoader(Items(7), batch_size=3))
    assert [b["y"].numpy().tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches[0]["x"].shape == (3, 2) and batches[0]["x"].dtype == ember.float32


def test_shuffle_with_generator_is_a_reproducible_permutation():
    loader = DataLoader(
        Items(20), batch_size=6, shuffle=True, generator=ember.Generator().manual_seed(0)
    )
    e1, e2 = labels(loader), labels(loader)
    flat1 = [i for b in e1 for i in b]
    assert sorted(flat1) == list(range(20)) and flat1 != list(range(20))
    assert e1 != e2  # a fresh order each epoch
    again = DataLoader(
        Items(20), batch_size=6, shuffle=True, generator=ember.Generator().manual_seed(0)
    )
    assert labels(again) == e1
    ember.manual_seed(11)
    a = labels(DataLoader(Items(20), batch_size=6, shuffle=True))
    ember.manual_seed(11)
    assert labels(DataLoader(Items(20), batch_size=6, shuffle=True)) == a


@pytest.mark.parametrize("n", [0, 1, 9, 10])
@pytest.mark.parametrize(
    "batch_size, drop_last",  # batch_size=None with drop_last=True is an error, tested below
    [(None, False), (1, False), (1, True), (3, False), (3, True), (10, False), (10, True)],
)
def test_len_matches_batches_and_torch(n, batch_size, drop_last):
    loader = DataLoader(list(range(n)), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(list(loader))
    stream = DataLoader(Stream(n), batch_size=batch_size, drop_last=drop_last)
    assert len(stream) == len(list(stream))
    torch = pytest.importorskip("torch")
    tl = torch.utils.data.DataLoader(list(range(n)), batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(tl)


def test_len_of_unsized_stream_raises_typeerror():
    with pytest.raises(TypeError):
        len(DataLoader(Stream(3, sized=False), batch_size=2))


def test_batch_size_none_disables_auto_batching():
    out = list(DataLoader(Items(3), batch_size=None))
    assert len(out) == 3
    assert isinstance(out[1]["x"], ember.Tensor) and out[1]["x"].shape == (2,)
    assert out[1]["y"] == 1  # numbers are not converted without batching


def test_custom_sampler_batch_sampler_and_collate_fn():
    loader = DataLoader(Items(6), batch_size=2, sampler=[5, 0, 3, 1])
    assert labels(loader) == [[5, 0], [3, 1]]
    bs = BatchSampler(SequentialSampler(range(6)), 4, drop_last=True)
    loader = DataLoader(Items(6), batch_sampler=bs)
    assert labels(loader) == [[0, 1, 2, 3]] and len(loader) == 1
    seen = []
    loader = DataLoader(
        TensorDataset(ember.arange(5)), batch_size=2, collate_fn=lambda b: seen.append(b) or len(b)
    )
    assert list(loader) == [2, 2, 1]
    # a vectorised fetch still hands collate_fn a list-like of per-sample tuples
    assert [s[0].item() for s in seen[1]] == [2, 3]


def test_tensor_dataset_fast_path_never_indexes_per_sample():
    class NoSingle(TensorDataset):
        def __getitem__(self, index):
            raise AssertionError("per-sample __getitem__ used")

    x, y = ember.randn(50, 1, 4, 4), ember.arange(50)
    loader = DataLoader(
        NoSingle(x, y), batch_size=8, shuffle=True, generator=ember.Generator().manual_seed(1)
    )
    seen = []
    for xb, yb in loader:
        assert xb.shape[1:] == (1, 4, 4) and yb.dtype == ember.int64
        np.testing.assert_array_equal(xb.numpy(), x.numpy()[yb.numpy()])
        seen += yb.numpy().tolist()
    assert sorted(seen) == list(range(50))


def test_getitems_protocol_is_used_when_present():
    class Batched(Dataset):
        calls = 0

        def __getitems__(self, indices):
            Batched.calls += 1
            return [i * 10 for i in indices]

        def __len__(self):
            return 5

    out = [b.numpy().tolist() for b in DataLoader(Batched(), batch_size=2)]
    assert out == [[0, 10], [20, 30], [40]] and Batched.calls == 3


def test_iterable_dataset_in_main_process():
    assert [b.numpy().tolist() for b in DataLoader(Stream(5), batch_size=2)] == [
        [0, 1],
        [2, 3],
        [4],
    ]
    assert len(list(DataLoader(Stream(5), batch_size=2, drop_last=True))) == 2
    assert list(DataLoader(Stream(3), batch_size=None)) == [0, 1, 2]


def _torch_message(kwargs, iterable=False):
    torch = pytest.importorskip("torch")
    data = torch.utils.data

    class TStream(data.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    ds = TStream() if iterable else list(range(4))
    with pytest.raises(ValueError) as info:
        data.DataLoader(ds, **kwargs)
    return str(info.value)


BAD_OPTIONS = [
    dict(sampler=[0, 1], shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True),
    dict(num_workers=-1),
    dict(timeout=-1),
    dict(prefetch_factor=2),
    dict(num_workers=1, prefetch_factor=-1),
    dict(persistent_workers=True),
    dict(multiprocessing_context="fork"),
    dict(num_workers=1, multiprocessing_context="nope"),
]


@pytest.mark.parametrize("kwargs", BAD_OPTIONS, ids=lambda k: ",".join(k))
def test_incompatible_options_raise_torchs_valueerror(kwargs):
    with pytest.raises(ValueError) as info:
        DataLoader(list(range(4)), **kwargs)
    if "multiprocessing_context" in kwargs:  # the message lists this platform's start methods
        assert "multiprocessing_context" in str(info.value)
        return
    assert str(info.value) == _torch_message(kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])],
    ids=lambda k: ",".join(k),
)
def test_iterable_dataset_refuses_ordering_options(kwargs):
    with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected unspecified"):
        DataLoader(Stream(3), **kwargs)
    if "shuffle" in kwargs:
        assert _torch_message(kwargs, iterable=True).startswith("DataLoader with IterableDataset")


def test_attributes_are_frozen_and_pin_memory_is_accepted():
    loader = DataLoader(Items(4), batch_size=2, pin_memory=True)
    assert labels(loader) == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader"):
        loader.batch_size = 3
    loader.num_workers = 0  # not frozen, as in PyTorch
    assert loader.prefetch_factor is None
    assert DataLoader(Items(4), num_workers=2).prefetch_factor == 2
    with pytest.raises(TypeError, match="multiprocessing_context option should be a valid"):
        DataLoader(Items(4), num_workers=1, multiprocessing_context=3)


def test_ember_data_alias_and_lazy_multiprocessing_import():
    import subprocess
    import sys

    import ember.utils.data

    assert ember.data.DataLoader is ember.utils.data.DataLoader is DataLoader
    code = (
        "import sys, ember; import ember.data; "
        "assert 'multiprocessing' not in sys.modules, 'import ember loaded multiprocessing'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_throughput_benchmark_epoch_closure_runs_a_full_epoch():
    from benchmarks.dataloader_throughput import ember_epoch

    epoch = ember_epoch(dataset_size=1000, batch_size=128)
    assert epoch() == 8 and epoch() == 8
