"""Sweep overhead: what running through ``cadresim sweep`` costs beyond the runs themselves.

overhead = (sweep wall time x workers - sum of run times) / sum of run times

Wall time is :func:`sim.sweep.run_sweep` from start to the compacted summary (pool start,
scheduling, shard and record writes, compaction); run times are measured inside the
workers around :func:`sim.runner.run_scenario`. Measured for short runs (~0.1 s: a tiny
scenario, batch sizes 1 and 8) and for runs of at least one second. On a machine whose
cores are shared with other work, idle waiting shows up as overhead, so read the numbers
as an upper bound.

Run: ``.venv/bin/python -m benchmarks.bench_sweep [--quick] [--workers N]``.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from sim.sweep import parse_sweep, run_sweep

SHORT = {
    "name": "bench_short",
    "start": "1993-01",
    "end": "1993-12",
    "population": {
        "cadres": 20,
        "technicians": 20,
        "workers": 300,
        "migrants": 50,
        "peasants": 100,
        "units": 5,
        "villages": 5,
    },
    "output": {"events": False},
}
LONG = {
    "name": "bench_long",
    "start": "1993-01",
    "end": "2004-12",
    # sized so one run takes about 1.5-2 s here (the target is for runs of >= 1 s)
    "population": {
        "cadres": 400,
        "technicians": 800,
        "workers": 12000,
        "migrants": 4000,
        "peasants": 8000,
        "units": 40,
        "villages": 30,
    },
    "params": {"people_per_agent": 80},
    "output": {"events": False},
}


def measure(base: dict, runs: int, workers: int, batch_size: int = 1) -> dict:
    """Run a ``runs``-run LHS sweep over legitimacy on ``base`` and return the overhead."""
    plan = parse_sweep(
        {
            "name": base["name"],
            "base": base,
            "vary": {"params.legitimacy": {"low": 0.5, "high": 0.95}},
            "design": {"method": "lhs", "samples": runs},
            "replicates": 1,
            "seed": 1,
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        rep = run_sweep(plan, Path(tmp) / "out", workers=workers, batch_size=batch_size)
    total = sum(rep.run_seconds)
    return {
        "runs": runs,
        "workers": workers,
        "batch size": batch_size,
        "mean run (s)": round(total / len(rep.run_seconds), 3),
        "sum of runs (s)": round(total, 2),
        "wall (s)": round(rep.wall_seconds, 2),
        "overhead": f"{100 * rep.overhead:.1f} %",
    }


def bench(quick: bool = False, workers: int = 2) -> list[dict]:
    rows = [
        {"case": "short runs", **measure(SHORT, 16 if quick else 64, workers, 1)},
        {"case": "short runs, batched", **measure(SHORT, 16 if quick else 64, workers, 8)},
        {"case": "runs >= 1 s", **measure(LONG, 4 if quick else 24, workers, 1)},
    ]
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    rows = bench(args.quick, args.workers)
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()
