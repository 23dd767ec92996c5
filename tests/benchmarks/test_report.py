"""The suite's driver, report and memory probe run end to end in quick mode."""

import json

import pytest

from benchmarks import __main__ as bench
from benchmarks import harness, memory
from benchmarks.report import markdown, row_for
from benchmarks.workloads import ALL


def test_quick_run_reports_rows_and_checks():
    result = bench.run(["tiny"], quick=True, with_memory=False)
    rows = {r["workload"]: r for r in result["rows"]}
    assert rows["tiny"]["ember_median_ms"] > 0 and rows["tiny"]["ember_gflops"] > 0
    assert result["machine"]["matmul_peak_gflops"] > 0
    table = markdown(result)
    assert "| tiny |" in table
    if result["machine"]["torch"] is not None:
        assert [c["what"] for c in rows["tiny"]["checks"]] == ["time ratio"]


def test_row_checks_targets():
    w = ALL["cnn"]
    timings = {
        "ember": {"median_ms": 30.0, "min_ms": 25.0, "n": 4},
        "torch": {"median_ms": 20.0, "min_ms": 20.0, "n": 4},
    }
    mem = {"ember": {"delta_mib": 120.0}, "torch": {"delta_mib": 100.0}}
    row = row_for(w, timings, mem, peak_gflops=100.0)
    assert row["ratio_median"] == pytest.approx(1.5)
    assert [c["met"] for c in row["checks"]] == [True, False]  # ratio ok, memory over torch's
    assert row["met"] is False
    assert row["ember_gflops"] == pytest.approx(w.flops / 0.030 / 1e9)
    assert "MISSED" in markdown(
        {
            "machine": {
                "python": "3",
                "machine": "x",
                "threads": 2,
                "matmul_peak_gflops": 100.0,
                "torch": "2",
            },
            "rows": [row],
        }
    )


def test_peak_fraction_is_checked_at_the_median_and_reported_at_the_fastest_step():
    w = ALL["mlp"]
    timings = {
        "ember": {"median_ms": 4.0, "min_ms": 2.0, "n": 4},
        "torch": {"median_ms": 4.0, "min_ms": 3.0, "n": 4},
    }
    peak = w.flops / 2.0e-3 / 1e9  # the fastest step runs exactly at the peak rate
    row = row_for(w, timings, {}, peak_gflops=peak)
    assert row["ember_peak_fraction"] == pytest.approx(0.5)
    assert row["ember_peak_fraction_at_min"] == pytest.approx(1.0)
    check = row["checks"][1]
    assert check["met"] is False and check["value"] == pytest.approx(0.5)
    assert "100% at the fastest step" in check["what"]


def test_memory_probe_reports_growth():
    out = memory.child("tiny", "ember", 2)
    assert out["peak_mib"] >= out["baseline_mib"] > 0
    assert out["delta_mib"] == pytest.approx(out["peak_mib"] - out["baseline_mib"])


def test_memory_subprocess_round_trip():
    out = memory.measure("tiny", "ember", 1)
    assert set(out) == {"baseline_mib", "peak_mib", "delta_mib"}
    json.dumps(out)


def test_thread_env_pins_blas():
    env = harness.thread_env()
    assert env["OPENBLAS_NUM_THREADS"] == "2" and env["OMP_NUM_THREADS"] == "2"


def test_unknown_workload_is_refused(capsys):
    with pytest.raises(SystemExit):
        bench.main(["nosuch"])
    assert "unknown workload" in capsys.readouterr().err


def test_runs_without_torch_and_reports_ember_alone(monkeypatch):
    real = harness.import_framework
    monkeypatch.setattr(harness, "import_framework", lambda n: None if n == "torch" else real(n))
    result = bench.run(["tiny", "import"], quick=True, with_memory=False)
    assert result["machine"]["torch"] is None
    for row in result["rows"]:
        assert "torch_median_ms" not in row and "ratio_median" not in row
        assert row["checks"] == [] and row["met"] is None
    assert "| tiny | " in markdown(result) and "not installed" in markdown(result)


def test_import_workload_fills_the_bytecode_cache_first(tmp_path, monkeypatch):
    # with PYTHONDONTWRITEBYTECODE set, every import would compile the sources again; the
    # warm-up import writes the cache so the timed imports measure importing, not compiling
    from benchmarks.workloads import import_time

    (tmp_path / "bench_probe_mod.py").write_text("VALUE = 1\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    import_time.warm_bytecode_cache("bench_probe_mod")
    assert list((tmp_path / "__pycache__").glob("bench_probe_mod.*.pyc"))
    assert import_time.import_ms("bench_probe_mod") >= 0
