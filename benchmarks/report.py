"""Rows of the report (targets checked) and their markdown rendering."""

from __future__ import annotations

FRAMEWORKS = ("ember", "torch")


def _check(what: str, target: str, value, met: bool) -> dict:
    return {"what": what, "target": target, "value": value, "met": bool(met)}


def row_for(w, timings: dict, mem: dict, peak_gflops: float) -> dict:
    """One result row: times, ratio, GFLOP/s and peak fraction, memory, target checks.

    Args:
        w: the ``Workload``.
        timings: {framework: {"median_ms", "min_ms", "n"}}.
        mem: {framework: memory.child's dict} (empty when not measured).
        peak_gflops: the machine's float32 matmul rate measured by this run.
    """
    row = {"workload": w.name, "description": w.description, "target_ratio": w.target}
    for fw, t in timings.items():
        row[f"{fw}_median_ms"], row[f"{fw}_min_ms"], row[f"{fw}_samples"] = (
            t["median_ms"],
            t["min_ms"],
            t["n"],
        )
        if w.flops:
            # achieved rate at the median time; its share of the machine's matmul peak
            gflops = w.flops / (t["median_ms"] / 1e3) / 1e9
            row[f"{fw}_gflops"], row[f"{fw}_peak_fraction"] = gflops, gflops / peak_gflops
            # the same at the fastest step: like the peak (a best-of run), free of slow periods
            row[f"{fw}_peak_fraction_at_min"] = w.flops / (t["min_ms"] / 1e3) / 1e9 / peak_gflops
    for fw, m in mem.items():
        row[f"{fw}_peak_rss_mib"] = m["delta_mib"]
    checks = []
    if "torch" in timings:
        row["ratio_median"] = timings["ember"]["median_ms"] / timings["torch"]["median_ms"]
        row["ratio_min"] = timings["ember"]["min_ms"] / timings["torch"]["min_ms"]
        if w.target is not None:
            checks.append(
                _check(
                    "time ratio",
                    f"<= {w.target}",
                    row["ratio_median"],
                    row["ratio_median"] <= w.target,
                )
            )
    if w.peak_fraction is not None and "ember_peak_fraction" in row:
        frac = row["ember_peak_fraction"]
        at_min = row["ember_peak_fraction_at_min"]
        what = f"matmul peak fraction at the median step ({at_min:.0%} at the fastest step)"
        checks.append(_check(what, f">= {w.peak_fraction:.0%}", frac, frac >= w.peak_fraction))
    if w.memory == "target" and len(mem) == 2:
        e, t = mem["ember"]["delta_mib"], mem["torch"]["delta_mib"]
        checks.append(_check("peak RSS (MiB)", f"<= torch {t:.1f}", e, e <= t))
    row["checks"] = checks
    row["met"] = all(c["met"] for c in checks) if checks else None
    return row


def _f(value, fmt: str = ".2f") -> str:
    return "-" if value is None else format(value, fmt)


def _rate(row: dict, fw: str) -> str:
    g = row.get(f"{fw}_gflops")
    return "-" if g is None else f"{g:.1f} ({row[f'{fw}_peak_fraction']:.0%})"


def markdown(result: dict) -> str:
    """The report as markdown: machine line, results table, target checks."""
    m = result["machine"]
    lines = [
        f"python {m['python']} on {m['machine']}, {m['threads']} threads, torch "
        f"{m['torch'] or 'not installed'}; float32 matmul peak {m['matmul_peak_gflops']:.1f} "
        "GFLOP/s (NumPy 2048x2048). ratio = ember / torch median time per step. Peak RSS = "
        "growth of the max resident set over the imported framework, separate process.",
        "",
        "| workload | ember ms median / min | torch ms median / min | ratio median / min | "
        "target | met | ember GFLOP/s (% peak) | torch GFLOP/s (% peak) | "
        "peak RSS MiB ember / torch |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        times = [
            f"{_f(r.get(f'{fw}_median_ms'))} / {_f(r.get(f'{fw}_min_ms'))}" for fw in FRAMEWORKS
        ]
        target = "-" if r["target_ratio"] is None else f"<= {r['target_ratio']}"
        met = {True: "met", False: "MISSED", None: "-"}[r["met"]]
        rss = f"{_f(r.get('ember_peak_rss_mib'), '.1f')} / {_f(r.get('torch_peak_rss_mib'), '.1f')}"
        lines.append(
            f"| {r['workload']} | {times[0]} | {times[1]} | "
            f"{_f(r.get('ratio_median'))} / {_f(r.get('ratio_min'))} | "
            f"{target} | {met} | {_rate(r, 'ember')} | {_rate(r, 'torch')} | {rss} |"
        )
    lines += ["", "Targets:"]
    for r in result["rows"]:
        for c in r["checks"]:
            state = "met" if c["met"] else "MISSED"
            lines.append(
                f"- {r['workload']}: {c['what']} {c['value']:.3g} (target {c['target']}): {state}"
            )
    return "\n".join(lines)
