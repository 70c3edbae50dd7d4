"""Run every benchmark and write ``benchmarks/results.md`` and ``benchmarks/results.json``.

    python -m benchmarks            # everything (about 10 minutes on 2 cores)
    python -m benchmarks --quick    # smaller sizes, for a smoke check

Targets (DESIGN.md "Performance targets"): 100,000 agents × 240 months with all regimes
≤ 60 s; 1,000,000 agents within 8 GiB; Epstein mode ≥ 50× Mesa's example; per-step data
collection ≤ 10 % of step time; sweep overhead ≤ 10 % for runs ≥ 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
from pathlib import Path

from benchmarks import model_scaling
from sim.store import versions

HERE = Path(__file__).resolve().parent


def machine() -> dict:
    import os

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "versions": versions(),
    }


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
    return str(v)


def table(rows: list[dict]) -> str:
    if not rows:
        return "(none)\n"
    cols = list(rows[0])
    out = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
    for r in rows:
        out += "| " + " | ".join(_fmt(r.get(c, "")) for c in cols) + " |\n"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    args = ap.parse_args()
    results: dict = {"machine": machine()}
    sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000, 1_000_000)
    months = 24 if args.quick else 240
    print("full model, all regimes …", flush=True)
    results["model"] = model_scaling.run_sizes(sizes, months)
    try:
        from benchmarks import bench_epstein

        print("Epstein mode vs Mesa's example …", flush=True)
        lattices = ((40, 40),) if args.quick else ((40, 40), (100, 100), (200, 200))
        results["epstein"] = bench_epstein.bench(sizes=lattices)
    except ImportError as err:
        results["epstein"] = [{"skipped": str(err)}]
    try:
        from benchmarks import bench_sweep

        print("sweep overhead …", flush=True)
        results["sweep"] = bench_sweep.bench(quick=args.quick)
    except ImportError as err:
        results["sweep"] = [{"skipped": str(err)}]
    (HERE / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    m = results["machine"]
    md = [
        "# Benchmark results\n",
        f"Commit `{m['commit']}`, {m['date']}, {m['cpu']} ({m['cores']} cores), "
        f"Python {m['versions']['python']}, Mesa {m['versions']['mesa']}, "
        f"numpy {m['versions']['numpy']}.\n",
        "Regenerate with `make bench` (or `.venv/bin/python -m benchmarks`).\n",
        "## Full model, all regimes on\n",
        table(results["model"]),
        "## Protest submodel in Epstein mode vs Mesa's EpsteinCivilViolence\n",
        table(results["epstein"]),
        "## Sweep overhead\n",
        table(results["sweep"]),
    ]
    (HERE / "results.md").write_text("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
