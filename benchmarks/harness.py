"""Timing harness: interleaved repeats of each framework's step, warm-up excluded.

Rounds alternate between the frameworks (ember's samples, then torch's, then ember's ...), so
slow drifts of the machine (frequency scaling, other load) hit both alike, and each round starts
after a short pause so the previous framework's spinning worker threads have gone idle. The
number of steps per round is chosen from a warm-up estimate so every workload takes about the
same wall time.
"""

from __future__ import annotations

import os
import statistics
import time

THREADS = 2
# Seconds of idle before each round. After a framework's last matrix product its worker threads
# keep spinning for a while (OpenBLAS's for up to ~0.1 s); without a pause they take cores from
# the framework timed next, and the more often the rounds alternate, the more that skews.
PAUSE_S = 0.15
# NumPy's BLAS reads these when it is first imported; the suite sets them before that (see
# benchmarks/__main__.py) and passes them to every subprocess.
THREAD_ENV = {
    k: str(THREADS) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
}


def thread_env() -> dict:
    """The environment for subprocesses: this one with the BLAS thread counts pinned."""
    return {**os.environ, **THREAD_ENV}


def time_steps(step, n: int) -> list[float]:
    """Milliseconds of each of ``n`` calls of ``step``."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        step()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def summary(samples: list[float]) -> dict:
    return {"median_ms": statistics.median(samples), "min_ms": min(samples), "n": len(samples)}


def compare(steps: dict, quick: bool = False, budget_s: float = 4.0) -> dict:
    """Time every framework's ``step`` in interleaved rounds.

    Args:
        steps: {framework: zero-argument callable}.
        quick: a smoke-test run (1 warm-up step, 2 rounds of 2 steps).
        budget_s: about how long the timed rounds of one framework take.

    Returns:
        {framework: {"median_ms", "min_ms", "n"}}.
    """
    rounds = 2 if quick else 10
    per_round = {}
    for name, step in steps.items():
        warm = time_steps(step, 1 if quick else 5)
        est_s = max(min(warm), 1e-3) / 1e3
        per_round[name] = 2 if quick else max(1, min(50, int(budget_s / (rounds * est_s))))
    # one count for all frameworks, so both take the same number of samples
    n = min(per_round.values())
    samples = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            if not quick:  # let the other framework's BLAS/OpenMP threads stop spinning first
                time.sleep(PAUSE_S)
            samples[name] += time_steps(step, n)
    return {name: summary(s) for name, s in samples.items()}


def matmul_peak_gflops(size: int = 2048, repeats: int = 5) -> float:
    """The machine's float32 matrix-multiply rate in GFLOP/s: best of ``repeats`` NumPy
    ``size`` x ``size`` products (with the BLAS threads this process was started with)."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(np.float32)
    b = rng.standard_normal((size, size)).astype(np.float32)
    a @ b  # warm-up: thread pool start, page faults
    best = min(time_steps(lambda: a @ b, repeats)) / 1e3
    return 2 * size**3 / best / 1e9


def import_framework(name: str):
    """The ``ember`` or ``torch`` module (torch pinned to the suite's threads), or None when it
    is not installed."""
    try:
        if name == "torch":
            import torch

            torch.set_num_threads(THREADS)
            return torch
        import ember

        return ember
    except ImportError:
        return None
