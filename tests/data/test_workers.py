"""DataLoader with worker processes: determinism, seeding, errors, dead workers, shutdown.

Each worker start costs time, so the tests are few and the datasets tiny.
"""

import gc
import os
import random
import signal
import time

import numpy as np
import pytest

import ember
from ember.utils.data import (
    DataLoader,
    Dataset,
    IterableDataset,
    TensorDataset,
    WorkerInfo,
    get_worker_info,
)

_init_mark = -1  # set by _init_record inside a worker; samples report it


class Items(Dataset):
    def __init__(self, n, fail_at=None, action=None):
        self.n, self.fail_at, self.action = n, fail_at, action

    def __getitem__(self, i):
        if i == self.fail_at:
            if self.action == "raise":
                raise ValueError(f"bad sample {i}")
            if self.action == "sigkill":
                os.kill(os.getpid(), signal.SIGKILL)
            if self.action == "exit":
                os._exit(3)
            if self.action == "sleep":
                time.sleep(3)
        return {"x": np.full(3, i, np.float32), "y": i, "pid": os.getpid(), "init": _init_mark}

    def __len__(self):
        return self.n


class RandomItems(Dataset):
    """Each sample draws from NumPy's global RNG, Python's random and ember's generator."""

    def __getitem__(self, i):
        return np.random.rand(), random.random(), ember.rand(1).item()

    def __len__(self):
        return 8


class Shards(IterableDataset):
    """Yields range(n), each worker taking every num_workers-th item (if shard)."""

    def __init__(self, n, shard=True):
        self.n, self.shard = n, shard

    def __iter__(self):
        info = get_worker_info()
        if not self.shard or info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))


def _batches(loader, epochs=1):
    return [[b["y"].numpy().tolist() for b in loader] for _ in range(epochs)]


def _pids_gone(pids, within=5.0):
    deadline = time.monotonic() + within
    for pid in pids:
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
    return True


def test_two_workers_give_exactly_the_batches_of_zero_workers():
    def make(workers, persistent=False):
        return DataLoader(
            Items(23),
            batch_size=4,
            shuffle=True,
            num_workers=workers,
            generator=ember.Generator().manual_seed(5),
            persistent_workers=persistent,
        )

    want = _batches(make(0), epochs=2)
    assert _batches(make(2), epochs=2) == want
    persistent = make(2, persistent=True)
    assert _batches(persistent, epochs=2) == want
    # a vectorised TensorDataset through workers, with the same order as in-process
    x = ember.arange(40.0).reshape(20, 2)
    tl = [
        DataLoader(
            TensorDataset(x),
            batch_size=6,
            shuffle=True,
            num_workers=w,
            generator=ember.Generator().manual_seed(1),
        )
        for w in (0, 2)
    ]
    a, b = ([bx[0].numpy() for bx in loader] for loader in tl)
    assert len(a) == len(b) == 4
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_workers_are_seeded_per_worker_and_per_epoch_and_reproducibly():
    def run(persistent):
        ember.manual_seed(123)
        loader = DataLoader(
            RandomItems(), batch_size=2, num_workers=2, persistent_workers=persistent
        )
        return [[tuple(c.numpy().tolist()) for c in b] for _ in range(2) for b in loader]

    first = run(persistent=False)
    values = [v for batch in first for column in batch for v in column]
    assert len(values) == 2 * 8 * 3
    assert len(set(values)) == len(values)  # no two workers/epochs/sources repeat a draw
    assert run(persistent=False) == first  # same ember.manual_seed -> identical batches
    persistent = run(persistent=True)
    assert persistent == first  # persistent workers are reseeded the same way each epoch


def test_persistent_workers_are_kept_and_init_fn_is_called_once_each():
    loader = DataLoader(
        Items(6), batch_size=2, num_workers=2, persistent_workers=True, worker_init_fn=_init_record
    )
    it = iter(loader)
    pids = it.worker_pids
    first = next(it)  # abandon the first epoch half-way: its leftovers must not leak into the next
    assert first["init"].numpy().tolist() == [100, 100]  # worker 0 ran worker_init_fn(0)
    assert _batches(loader, epochs=2) == [[[0, 1], [2, 3], [4, 5]]] * 2
    marks = {m for b in loader for m in b["init"].numpy().tolist()}
    assert marks == {100, 101}
    assert iter(loader) is it and it.worker_pids == pids
    assert all(w.is_alive() for w in it._workers)
    del it, loader
    gc.collect()
    assert _pids_gone(pids)


def _init_record(worker_id):
    global _init_mark
    info = get_worker_info()
    assert info.id == worker_id and info.num_workers == 2
    assert isinstance(info.seed, int) and isinstance(info.dataset, Items)
    _init_mark = 100 + worker_id


def test_worker_info_is_read_only_and_none_in_main_process():
    info = WorkerInfo(id=1, num_workers=2, seed=7, dataset=None)
    assert repr(info) == "WorkerInfo(id=1, num_workers=2, seed=7, dataset=None)"
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo"):
        info.id = 3
    assert get_worker_info() is None


def test_spawn_context_gives_the_same_batches():
    x = ember.arange(12.0).reshape(6, 2)
    loader = DataLoader(
        TensorDataset(x), batch_size=4, num_workers=1, multiprocessing_context="spawn"
    )
    out = [b[0].numpy() for b in loader]
    np.testing.assert_array_equal(np.concatenate(out), x.numpy())


def test_worker_exception_is_reraised_with_its_traceback():
    loader = DataLoader(Items(8, fail_at=5, action="raise"), batch_size=2, num_workers=2)
    got = []
    with pytest.raises(ValueError) as info:
        for b in loader:
            got.append(b["y"].numpy().tolist())
    assert got == [[0, 1], [2, 3]]  # every batch before the failing one, in order
    msg = str(info.value)
    assert "Caught ValueError in DataLoader worker process" in msg
    assert "bad sample 5" in msg and "__getitem__" in msg and "Traceback" in msg


def test_persistent_loader_recovers_after_its_workers_were_stopped_by_a_timeout():
    loader = DataLoader(
        Items(4, fail_at=0, action="sleep"),
        batch_size=2,
        num_workers=1,
        timeout=0.3,
        persistent_workers=True,
    )
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.3 seconds"):
        next(iter(loader))
    loader.dataset.fail_at = None  # the next epoch starts new workers with the fixed dataset
    assert [b["y"].numpy().tolist() for b in loader] == [[0, 1], [2, 3]]


def _failing_init(worker_id):
    raise ZeroDivisionError(f"init of worker {worker_id} failed")


def test_failing_init_fn_and_unpicklable_batch_raise_instead_of_hanging():
    loader = DataLoader(Items(4), batch_size=2, num_workers=1, worker_init_fn=_failing_init)
    with pytest.raises(ZeroDivisionError, match="(?s)Caught ZeroDivisionError.*worker 0 failed"):
        next(iter(loader))
    loader = DataLoader(Items(4), batch_size=2, num_workers=1, collate_fn=lambda b: lambda: b)
    with pytest.raises(Exception, match="(?s)in DataLoader worker process 0.*pickle"):
        next(iter(loader))


@pytest.mark.parametrize(
    "action, code", [("sigkill", r"-9 \(killed by signal SIGKILL\)"), ("exit", "exit code 3")]
)
def test_dead_worker_raises_promptly_naming_worker_and_exit_code(action, code):
    loader = DataLoader(Items(8, fail_at=3, action=action), batch_size=2, num_workers=2)
    start = time.monotonic()
    with pytest.raises(
        RuntimeError,
        match=rf"DataLoader worker 1 \(pid \d+\) exited "
        rf"unexpectedly with .*{code}",
    ):
        list(loader)
    assert time.monotonic() - start < 8.0  # polling finds it; no 5 s status interval


def test_breaking_out_early_leaves_no_worker_processes():
    loader = DataLoader(Items(40), batch_size=2, num_workers=2)
    it = iter(loader)
    pids = it.worker_pids
    next(it)
    del it
    assert _pids_gone(pids)
    seen = set()
    for i, batch in enumerate(loader):
        seen.update(batch["pid"].numpy().tolist())
        if i == 1:
            break
    assert len(seen) == 2 and os.getpid() not in seen
    assert _pids_gone(seen)


def test_iterator_dropped_in_a_reference_cycle_still_stops_its_workers_cleanly():
    # regression: the cycle's queues are finalized before the iterator's __del__ runs, so the
    # None it sends never arrives; workers must still see the done event and exit by
    # themselves (exit code 0), not wait out the join timeout and get terminated (-15)
    it = iter(DataLoader(Items(8), batch_size=2, num_workers=2))
    next(it)
    it.self_reference = it
    procs = list(it._workers)
    del it
    gc.collect()
    assert [p.exitcode for p in procs] == [0, 0]


def test_iterable_dataset_with_workers_sharded_and_unsharded():
    loader = DataLoader(Shards(11), batch_size=3, num_workers=2)
    items = [i for b in loader for i in b.numpy().tolist()]
    assert sorted(items) == list(range(11))  # sharded by get_worker_info: each item once
    unsharded = DataLoader(Shards(5, shard=False), batch_size=2, num_workers=2)
    items = sorted(i for b in unsharded for i in b.numpy().tolist())
    assert items == sorted(list(range(5)) * 2)  # each worker iterates its own full copy
