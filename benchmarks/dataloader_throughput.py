"""DataLoader throughput: one shuffled epoch of in-memory MNIST-sized data, ember vs PyTorch.

``python -m benchmarks.dataloader_throughput [--size N] [--batch B] [--repeats R] [--workers W]``

The dataset is a ``TensorDataset`` of N x 1x28x28 float32 images and N int64 labels, iterated
with ``batch_size=B``, ``shuffle=True`` and ``num_workers=W`` (default 0) in both frameworks, so
the time is the loader itself: sampling, fancy-indexing the batch and collation (plus, with
workers, moving batches between processes; persistent workers, so start-up is not timed).
``ember_epoch(...)`` / ``torch_epoch(...)`` build a closure that runs one epoch and returns the
number of batches, for reuse by other benchmark workloads.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def _arrays(dataset_size: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    images = rng.random((dataset_size, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, size=dataset_size, dtype=np.int64)
    return images, labels


def build(lib, dataset_size=60000, batch_size=128, seed=0, num_workers=0):
    """A closure running one shuffled epoch of ``lib``'s DataLoader; returns the batch count."""
    images, labels = _arrays(dataset_size, seed)
    dataset = lib.utils.data.TensorDataset(lib.from_numpy(images), lib.from_numpy(labels))
    generator = lib.Generator().manual_seed(seed)
    loader = lib.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        generator=generator,
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
    )

    def epoch() -> int:
        n = 0
        for _batch in loader:
            n += 1
        return n

    return epoch


def ember_epoch(dataset_size: int = 60000, batch_size: int = 128, seed: int = 0, num_workers=0):
    """One-epoch closure for ember's DataLoader."""
    import ember

    return build(ember, dataset_size, batch_size, seed, num_workers)


def torch_epoch(dataset_size: int = 60000, batch_size: int = 128, seed: int = 0, num_workers=0):
    """One-epoch closure for PyTorch's DataLoader (raises ImportError without torch)."""
    import torch
    import torch.utils.data  # noqa: F401 - makes torch.utils.data an attribute

    torch.set_num_threads(2)
    return build(torch, dataset_size, batch_size, seed, num_workers)


def measure(epochs: dict, repeats: int = 5) -> dict:
    """Interleaved timing; returns {name: {"batches_per_s": median, "best_batches_per_s": max}}."""
    for run in epochs.values():
        run()  # warm-up
    times = {name: [] for name in epochs}
    batches = {}
    for _ in range(repeats):
        for name, run in epochs.items():
            t0 = time.perf_counter()
            batches[name] = run()
            times[name].append(time.perf_counter() - t0)
    return {
        name: {
            "batches_per_s": batches[name] / statistics.median(ts),
            "best_batches_per_s": batches[name] / min(ts),
        }
        for name, ts in times.items()
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=60000)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args(argv)
    epochs = {"ember": ember_epoch(args.size, args.batch, num_workers=args.workers)}
    try:
        epochs["torch"] = torch_epoch(args.size, args.batch, num_workers=args.workers)
    except ImportError:
        print("torch not importable: ember only")
    result = measure(epochs, args.repeats)
    print(f"{args.size} x 1x28x28 float32, batch {args.batch}, shuffle, num_workers={args.workers}")
    for name, r in result.items():
        print(
            f"{name:>6}: {r['batches_per_s']:9.1f} batches/s (best {r['best_batches_per_s']:.1f})"
        )
    if "torch" in result:
        ratio = result["ember"]["batches_per_s"] / result["torch"]["batches_per_s"]
        result["ratio"] = ratio
        print(f"ratio ember/torch throughput (median): {ratio:.2f}x")
    return result


if __name__ == "__main__":
    main()
