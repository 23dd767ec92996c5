"""``python -m benchmarks [--quick] [--json PATH] [workload ...]``: ember vs PyTorch report."""

from __future__ import annotations

import argparse
import json
import platform

from benchmarks import harness
from benchmarks.workloads import cnn, lstm, tiny

WORKLOADS = {w.NAME: w for w in (tiny, lstm, cnn)}


def run(names, quick: bool = False) -> list[dict]:
    torch = harness.torch_or_none()
    rows = []
    for name in names:
        w = WORKLOADS[name]
        steps = {"ember": w.ember_step(0)}
        if torch is not None:
            steps["torch"] = w.torch_step(0)
        kw = dict(warmup=3, rounds=2, per_round=3) if quick else {}
        result = harness.compare(steps, **kw)
        row = {"workload": name, "description": w.DESCRIPTION, **{
            f"{fw}_{k}": v for fw, r in result.items() for k, v in r.items() if k != "n"}}
        if "torch" in result:
            row["ratio_median"] = result["ember"]["median_ms"] / result["torch"]["median_ms"]
            row["ratio_min"] = result["ember"]["min_ms"] / result["torch"]["min_ms"]
        rows.append(row)
    return rows


def markdown(rows) -> str:
    lines = ["| workload | ember median ms | ember min ms | torch median ms | torch min ms | "
             "ratio (median) | ratio (min) |", "|---|---|---|---|---|---|---|"]
    keys = ("ember_median_ms", "ember_min_ms", "torch_median_ms", "torch_min_ms",
            "ratio_median", "ratio_min")
    for r in rows:
        cells = ["-" if r.get(k) is None else f"{r[k]:.3f}" for k in keys]
        lines.append(f"| {r['workload']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--quick", action="store_true", help="few repeats (smoke test)")
    parser.add_argument("--json", default="benchmarks/results.json")
    args = parser.parse_args(argv)
    rows = run(args.workloads, args.quick)
    print(f"python {platform.python_version()} on {platform.machine()}; ratio = ember / torch\n")
    print(markdown(rows))
    with open(args.json, "w") as fh:
        json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()
