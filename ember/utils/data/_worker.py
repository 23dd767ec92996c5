"""Worker processes: the loop each worker runs, and the main-process iterator that drives them.

Protocol. The main process sends ``(task_idx, indices)`` round-robin to one index queue per
worker, keeping ``prefetch_factor * num_workers`` tasks in flight. Workers put
``(task_idx, payload)`` on one shared result queue, where payload is the pickled batch, an
``ExceptionWrapper``, or (iterable datasets) an end-of-stream marker. The main process reorders
by ``task_idx`` so batches come out exactly as with ``num_workers=0``. ``None`` on an index
queue tells a worker to exit; ``_ResumeIteration`` starts a new epoch for persistent workers.

``multiprocessing`` is imported only when workers start, to keep ``import ember`` fast.
"""

from __future__ import annotations

import itertools
import os
import pickle
import queue
import random
import signal
import sys
import time
import traceback

import numpy as np

from ember import random as _random
from ember.utils.data.dataloader import ITERABLE, _BaseDataLoaderIter, create_fetcher

_MAIN_POLL_S = 0.1  # the main process checks worker liveness this often while it waits
_WORKER_POLL_S = 0.25  # an idle worker checks its parent and the done event this often
_JOIN_S = 5.0  # how long a clean shutdown waits for a worker before terminating it
_ERROR_JOIN_S = 0.5  # the same after a failure, when a worker may be stuck in user code


class WorkerInfo:
    """What a worker knows about itself: ``id``, ``num_workers``, ``seed``, ``dataset``."""

    def __init__(self, **fields):
        for k, v in fields.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_keys", tuple(fields))

    def __setattr__(self, key, value):
        raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")

    def __repr__(self) -> str:
        body = ", ".join(f"{k}={getattr(self, k)}" for k in self._keys)
        return f"{type(self).__name__}({body})"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker: its ``WorkerInfo`` (the dataset is the worker's own copy).

    In the main process: None. Use it in ``IterableDataset.__iter__`` to shard the stream.
    """
    return _worker_info


class _KeyErrorMessage(str):
    """KeyError quotes its message with repr(); this keeps the traceback text readable."""

    def __repr__(self) -> str:
        return self


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its traceback text."""

    def __init__(self, where: str):
        exc_type, exc, tb = sys.exc_info()
        self.type_name = exc_type.__name__
        try:  # classes defined inside functions cannot cross processes; fall back to the name
            pickle.dumps(exc_type)
            self.exc_type = exc_type
        except Exception:
            self.exc_type = None
        self.where = where
        self.text = "".join(traceback.format_exception(exc_type, exc, tb))

    def reraise(self):
        msg = f"Caught {self.type_name} {self.where}.\nOriginal {self.text}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        if self.exc_type is None:
            raise RuntimeError(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:  # an exception class whose constructor wants other arguments
            exc = None
        if exc is None:
            raise RuntimeError(msg)
        raise exc


class _ResumeIteration:
    """Start a new epoch in a persistent worker, reseeded from ``base_seed``."""

    def __init__(self, base_seed: int):
        self.base_seed = base_seed


class _IterableDatasetStopIteration:
    """A worker's copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id: int):
        self.worker_id = worker_id


def _seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed ember, NumPy's global RNG and ``random`` differently per worker and per epoch."""
    seed = base_seed + worker_id
    random.seed(seed)
    _random.manual_seed(seed)
    # np.random.seed takes 32 bits: mix both numbers through a SeedSequence instead of
    # truncating (a plain truncation would collide for seeds differing only in high bits)
    np.random.seed(int(np.random.SeedSequence([worker_id, base_seed]).generate_state(1)[0]))
    return seed


def _start_epoch_in_worker(worker_id: int, num_workers: int, dataset, base_seed: int) -> None:
    global _worker_info
    seed = _seed_worker(base_seed, worker_id)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)


def _worker_loop(
    kind,
    dataset,
    index_queue,
    result_queue,
    done_event,
    auto_collation,
    collate_fn,
    drop_last,
    base_seed,
    init_fn,
    worker_id,
    num_workers,
):
    """Body of worker process ``worker_id``: fetch the batches it is sent until told to stop."""
    where = f"in DataLoader worker process {worker_id}"
    parent = os.getppid()
    fetch_args = (kind, dataset, auto_collation, collate_fn, drop_last)
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
        init_error, fetcher = None, None
        try:
            _start_epoch_in_worker(worker_id, num_workers, dataset, base_seed)
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(*fetch_args)
        except Exception:
            init_error = ExceptionWrapper(where)
        iteration_end = False
        while os.getppid() == parent:  # an orphaned worker stops instead of lingering
            try:
                task = index_queue.get(timeout=_WORKER_POLL_S)
            except queue.Empty:
                # NOTE: when the main iterator dies in a garbage cycle, its index queues may be
                # finalized before its __del__ sends None; the done event still reaches us
                if done_event.is_set():
                    break
                continue
            if task is None:
                break
            if isinstance(task, _ResumeIteration):
                iteration_end, init_error = False, None
                try:
                    _start_epoch_in_worker(worker_id, num_workers, dataset, task.base_seed)
                    fetcher = create_fetcher(*fetch_args)
                except Exception:
                    init_error = ExceptionWrapper(where)
                result_queue.put((task, None))
                continue
            if done_event.is_set() or iteration_end:
                continue  # shutting down, or nothing left to read: drain without work
            idx, index = task
            if init_error is not None:
                payload = init_error  # every batch of this worker fails the same way
            else:
                try:
                    # pickle here, not in the queue's feeder thread, so an unpicklable batch
                    # becomes an error in the main process instead of a silent hang
                    payload = pickle.dumps(fetcher.fetch(index), protocol=pickle.HIGHEST_PROTOCOL)
                except StopIteration:
                    if kind != ITERABLE:
                        payload = ExceptionWrapper(where)
                    else:
                        payload = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                except Exception:
                    payload = ExceptionWrapper(where)
            result_queue.put((idx, payload))
            del payload, task, index
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        # do not block exit on flushing results nobody will read
        result_queue.cancel_join_thread()
        result_queue.close()


def _default_context():
    import multiprocessing

    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _exit_description(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"exit code {code} (killed by signal {signal.Signals(-code).name})"
        except ValueError:
            pass
    return f"exit code {code}"


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Drive ``num_workers`` worker processes and yield their batches in sampler order."""

    def __init__(self, loader):
        self._shutdown = True  # until workers exist, there is nothing to shut down
        self._owner_pid = os.getpid()
        super().__init__(loader)
        ctx = loader.multiprocessing_context or _default_context()
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._persistent = loader.persistent_workers
        self._timeout = loader.timeout
        self._result_queue = ctx.Queue()
        self._done_event = ctx.Event()
        self._index_queues, self._workers = [], []
        self._shutdown = False
        for i in range(self._num_workers):
            index_queue = ctx.Queue()
            index_queue.cancel_join_thread()
            w = ctx.Process(
                target=_worker_loop,
                args=(
                    self._kind,
                    self._dataset,
                    index_queue,
                    self._result_queue,
                    self._done_event,
                    self._auto_collation,
                    self._collate_fn,
                    self._drop_last,
                    self._base_seed,
                    loader.worker_init_fn,
                    i,
                    self._num_workers,
                ),
                daemon=True,
            )
            w.start()
            self._index_queues.append(index_queue)
            self._workers.append(w)
        self._reset(first_iter=True)

    @property
    def worker_pids(self) -> list[int]:
        return [w.pid for w in self._workers]

    def _reset(self, first_iter: bool = False) -> None:
        """Begin an epoch; for persistent workers, reseed them and drop last epoch's leftovers."""
        if not first_iter:
            self._start_epoch()
        self._send_idx = 0  # next task number to send
        self._rcvd_idx = 0  # next task number to yield
        self._task_info = {}  # task -> (worker_id,) while pending, (worker_id, payload) when early
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            for q in self._index_queues:
                q.put(_ResumeIteration(self._base_seed))
            waiting = self._num_workers
            while waiting:  # queues are FIFO: an ack means that worker's old tasks are gone
                task, _ = self._get_data()
                if isinstance(task, _ResumeIteration):
                    waiting -= 1
        for _ in range(self._prefetch):
            self._try_put_index()

    def _try_put_index(self) -> None:
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return  # every worker's stream has ended
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _get_data(self):
        """Next (task, payload) from any worker; a dead worker or the timeout raises."""
        deadline = None if self._timeout == 0 else time.monotonic() + self._timeout
        while True:
            wait = _MAIN_POLL_S
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            try:
                return self._result_queue.get(timeout=wait)
            except queue.Empty:
                pass
            self._check_workers_alive()
            if deadline is not None and time.monotonic() >= deadline:
                self._shutdown_workers(_ERROR_JOIN_S)
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _check_workers_alive(self) -> None:
        for i, w in enumerate(self._workers):
            if self._workers_status[i] and not w.is_alive():
                code = w.exitcode
                self._shutdown_workers(_ERROR_JOIN_S)
                raise RuntimeError(
                    f"DataLoader worker {i} (pid {w.pid}) exited unexpectedly with "
                    f"{_exit_description(code)}"
                )

    def _next_data(self):
        while True:
            # skip tasks sent to workers whose iterable stream ended before answering them
            while self._rcvd_idx < self._send_idx:
                info = self._task_info[self._rcvd_idx]
                if len(info) == 2 or self._workers_status[info[0]]:
                    break
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            if len(self._task_info[self._rcvd_idx]) == 2:  # arrived earlier, out of order
                return self._process(self._task_info.pop(self._rcvd_idx)[1])
            if self._shutdown:
                raise StopIteration
            idx, payload = self._get_data()
            self._tasks_outstanding -= 1
            if isinstance(payload, _IterableDatasetStopIteration):
                self._workers_status[payload.worker_id] = False
                if not self._persistent:
                    self._index_queues[payload.worker_id].put(None)  # let it exit now
                self._try_put_index()
                continue
            if idx != self._rcvd_idx:
                self._task_info[idx] += (payload,)
                continue
            del self._task_info[idx]
            return self._process(payload)

    def _process(self, payload):
        self._rcvd_idx += 1
        self._try_put_index()
        if isinstance(payload, ExceptionWrapper):
            payload.reraise()
        return pickle.loads(payload)

    def _shutdown_workers(self, join_s: float = _JOIN_S) -> None:
        """Stop every worker and close the queues; safe to call twice and from ``__del__``."""
        if self._shutdown or os.getpid() != self._owner_pid:
            return  # done already, or a forked child finalizing an inherited copy
        self._shutdown = True
        self._done_event.set()
        for q in self._index_queues:
            try:
                q.put(None)
            except (ValueError, OSError):  # queue already closed
                pass
        for w in self._workers:
            w.join(timeout=join_s)
            if w.is_alive():  # stuck in user code: stop it the hard way
                w.terminate()
                w.join(timeout=_JOIN_S)
            if w.is_alive():
                w.kill()
                w.join()
        for q in self._index_queues:
            q.close()
        self._result_queue.cancel_join_thread()
        self._result_queue.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:  # interpreter shutdown may have torn down modules already
            pass
