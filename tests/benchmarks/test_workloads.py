"""The benchmark workloads compute real training steps: losses fall, and ember matches torch."""

import numpy as np
import pytest

from benchmarks import __main__ as bench
from benchmarks.workloads import cnn, lstm, tiny

WORKLOADS = [tiny, lstm, cnn]


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.NAME)
def test_ember_loss_decreases_over_20_steps(workload):
    step = workload.ember_step(0)
    losses = [step() for _ in range(20)]
    assert np.isfinite(losses).all()
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.NAME)
def test_ember_and_torch_agree_step_by_step(workload):
    pytest.importorskip("torch")
    e, t = workload.ember_step(0), workload.torch_step(0)
    for _ in range(3):
        np.testing.assert_allclose(e(), t(), rtol=1e-4)


def test_quick_report_runs(tmp_path):
    rows = bench.run(["tiny"], quick=True)
    assert rows[0]["workload"] == "tiny" and rows[0]["ember_median_ms"] > 0
    assert "| tiny |" in bench.markdown(rows)
