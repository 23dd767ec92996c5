"""Peak memory of one framework's workload, measured in a fresh process.

``python -m benchmarks.memory WORKLOAD FRAMEWORK STEPS`` imports the framework, records the
process's peak resident set size as the baseline, builds the workload (model, data, optimizer)
and runs STEPS steps, then prints the peak again as JSON.

The peak is ``VmHWM`` from ``/proc/self/status`` where it exists (Linux), else
``getrusage(RUSAGE_SELF).ru_maxrss``. NOTE: on Linux ``ru_maxrss`` survives ``exec``: a child
started by a large parent (the suite's process, with both frameworks and their data loaded)
reports at least the parent's peak, which hid the workload entirely; ``VmHWM`` belongs to the
new address space alone.

What the number means: the growth of the process's high-water mark of resident memory caused
by the workload, i.e. parameters, gradients, optimizer state, input data and the largest set of
live activations and temporaries during a step, plus whatever the allocator kept mapped. It is
not the memory in use at the end, and a framework whose import alone already peaked higher
than the workload's needs would report less than it uses. Each framework runs in its own
process so neither's allocations or caches affect the other's.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys

from benchmarks import harness


def _peak_kib() -> int:
    """This process's peak resident set size in KiB."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])  # "VmHWM:   123456 kB"
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def child(workload: str, framework: str, steps: int) -> dict:
    """Run ``steps`` steps here; returns baseline and peak RSS in MiB."""
    from benchmarks.workloads import ALL

    lib = harness.import_framework(framework)
    if lib is None:
        raise ImportError(f"benchmarks.memory: {framework} is not installed")
    base = _peak_kib()
    step = ALL[workload].build(lib, 0)
    for _ in range(steps):
        step()
    peak = _peak_kib()
    return {"baseline_mib": base / 1024, "peak_mib": peak / 1024, "delta_mib": (peak - base) / 1024}


def measure(workload: str, framework: str, steps: int = 5) -> dict:
    """Run :func:`child` in a fresh process with the suite's thread settings."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", workload, framework, str(steps)],
        capture_output=True,
        text=True,
        check=True,
        env=harness.thread_env(),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    name, fw, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps(child(name, fw, n)))
