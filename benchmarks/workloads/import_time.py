"""import: wall time of ``import ember`` vs ``import torch``, each in a fresh interpreter.

The time is taken inside the child process around the import statement alone (interpreter
start-up is excluded, NumPy's import is included for both), median over several processes.
One untimed import per framework first fills its bytecode cache (``__pycache__``), as any
first import on a user's machine does; without it, an environment that sets
``PYTHONDONTWRITEBYTECODE`` (or a fresh editable checkout) would time the compilation of every
edited source file instead of the import.
"""

from __future__ import annotations

import os
import subprocess
import sys

from benchmarks.workloads._common import Workload

_CHILD = "import time; t = time.perf_counter(); import {mod}; print(time.perf_counter() - t)"


def import_ms(module: str) -> float:
    """Milliseconds ``import module`` takes in a new Python process."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD.format(mod=module)],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
    )
    return float(out.stdout.strip()) * 1e3


def warm_bytecode_cache(module: str) -> None:
    """Import ``module`` once in a new process that may write ``.pyc`` files (warm-up)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, env=env)


def measure(quick: bool, frameworks) -> dict:
    """{framework: [ms, ...]}: fresh-process import times, alternating between frameworks."""
    for fw in frameworks:
        warm_bytecode_cache(fw)
    samples = {fw: [] for fw in frameworks}
    for _ in range(2 if quick else 7):
        for fw in frameworks:
            samples[fw].append(import_ms(fw))
    return samples


WORKLOAD = Workload(
    name="import",
    description="`import ember` vs `import torch` in fresh processes",
    target=0.2,
    measure=measure,
)
