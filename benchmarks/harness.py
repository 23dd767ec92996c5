"""Timing harness: interleaved repeats of ember and PyTorch steps, warm-up excluded."""

from __future__ import annotations

import statistics
import time


def time_steps(step, n: int) -> list[float]:
    """Milliseconds of each of ``n`` calls of ``step``."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        step()
        out.append((time.perf_counter() - t0) * 1e3)
    return out


def compare(steps: dict, warmup: int = 20, rounds: int = 10, per_round: int = 20) -> dict:
    """Run every framework's step in interleaved rounds; return median/min ms per framework."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    samples = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            samples[name] += time_steps(step, per_round)
    return {
        name: {"median_ms": statistics.median(s), "min_ms": min(s), "n": len(s)}
        for name, s in samples.items()
    }


def torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    return torch
