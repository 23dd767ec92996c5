"""``python -m benchmarks [--quick] [--no-memory] [--json PATH] [workload ...]``.

Runs every workload in ember and in PyTorch (when installed) in this one process, interleaved,
and prints a markdown table; the rows also go to ``benchmarks/results.json``. Both frameworks
use 2 threads: ``torch.set_num_threads(2)`` and, for NumPy's BLAS, OMP/OPENBLAS/MKL_NUM_THREADS=2
set here before NumPy is first imported (and passed to every subprocess).
"""

from __future__ import annotations

import os

from benchmarks.harness import THREAD_ENV

for _key, _value in THREAD_ENV.items():  # must precede the first NumPy import
    os.environ.setdefault(_key, _value)

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402

from benchmarks import harness, memory  # noqa: E402
from benchmarks.report import markdown, row_for  # noqa: E402
from benchmarks.workloads import ALL  # noqa: E402

MEMORY_STEPS = 5


def run(names, quick: bool = False, with_memory: bool = True) -> dict:
    """Measure the named workloads; returns {"machine": {...}, "rows": [...]}."""
    libs = {fw: harness.import_framework(fw) for fw in ("ember", "torch")}
    libs = {fw: lib for fw, lib in libs.items() if lib is not None}
    # The peak is measured again before every workload and the best kept: one measurement can
    # land in a slow period of a shared machine, and a low peak would flatter every fraction.
    peak_size = 1024 if quick else 2048
    peak = harness.matmul_peak_gflops(peak_size)
    measured = []
    for name in names:
        w = ALL[name]
        if w.peak_fraction is not None:
            peak = max(peak, harness.matmul_peak_gflops(peak_size))
        if w.measure is not None:
            timings = {fw: harness.summary(s) for fw, s in w.measure(quick, list(libs)).items()}
        else:
            steps = {fw: w.build(lib, 0) for fw, lib in libs.items()}
            timings = harness.compare(steps, quick=quick, budget_s=1.0 if quick else 4.0)
            del steps
        mem = {}
        if with_memory and w.memory is not None:
            mem = {fw: memory.measure(name, fw, 2 if quick else MEMORY_STEPS) for fw in libs}
        measured.append((w, timings, mem))
        print(f"measured {name}", file=sys.stderr, flush=True)  # progress: a run takes minutes
    peak = max(peak, harness.matmul_peak_gflops(peak_size))
    rows = [row_for(w, timings, mem, peak) for w, timings, mem in measured]
    machine = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "threads": harness.THREADS,
        "matmul_peak_gflops": peak,
        "torch": getattr(libs.get("torch"), "__version__", None),
    }
    return {"machine": machine, "rows": rows}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workloads", nargs="*", help=f"any of {', '.join(ALL)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="few repeats (smoke test)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-RSS processes")
    parser.add_argument("--json", default="benchmarks/results.json")
    args = parser.parse_args(argv)
    unknown = [n for n in args.workloads if n not in ALL]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; expected some of {list(ALL)}")
    result = run(args.workloads or list(ALL), args.quick, not args.no_memory)
    print(markdown(result))
    with open(args.json, "w") as fh:
        json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
