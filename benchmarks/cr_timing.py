"""When the Cultural Revolution's factions fight and when they are demobilized (issue 13.2).

Runs ``scenarios/cultural_revolution_1966_1976.yaml`` on ``--seeds`` consecutive seeds from
``--seed`` and prints, per calendar year 1966-1976, the mean ± standard error over seeds
of factional clashes (people fighting, summed over the year's months), clash casualties and
deaths, qingli persecution deaths and faction members (mean of the months), then each
seed's 1968/1967 ratio of clashes and the share of 1969-76 in all clashes. Historically
armed factional conflict ran through 1967 and most of 1968, until the revolutionary
committees were completed (September 1968), and deaths peaked in 1968 (Walder & Su 2003);
the model's committees are set up unit by unit (docs/ODD.md 7.8.2). Run with

    .venv/bin/python -m benchmarks.cr_timing [--seeds 6] [--seed 100]

Choose parameters on other seeds than those you report (the defaults were chosen on
seeds 0-3). CPU time (``time.process_time``) of the whole is printed last.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from sim.config import load_scenario
from sim.runner import run_scenario

SCENARIO = (
    Path(__file__).resolve().parent.parent / "scenarios" / "cultural_revolution_1966_1976.yaml"
)
SUMS = ("factional_clashes", "faction_casualties", "clash_deaths", "persecution_deaths")
MEANS = ("faction_members",)


def yearly(ts) -> dict[str, dict[str, float]]:
    """Per year: sums of the flows in ``SUMS`` and means of the stocks in ``MEANS``."""
    year = ts["date"].astype(str).str[:4]
    sums = ts.groupby(year)[list(SUMS)].sum()
    means = ts.groupby(year)[list(MEANS)].mean()
    return {y: {**sums.loc[y].to_dict(), **means.loc[y].to_dict()} for y in sums.index}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=6, help="number of seeds")
    ap.add_argument("--seed", type=int, default=100, help="first seed")
    args = ap.parse_args(argv)
    if args.seeds < 2:
        ap.error("--seeds must be at least 2 (a standard error needs two)")
    t0 = time.process_time()
    scn = load_scenario(SCENARIO)
    runs = [
        yearly(run_scenario(scn, seed=s).timeseries)
        for s in range(args.seed, args.seed + args.seeds)
    ]
    years = sorted(runs[0])
    cols = (*SUMS, *MEANS)
    print("| year | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for y in years:
        cells = []
        for c in cols:
            v = np.array([r[y][c] for r in runs])
            cells.append(f"{v.mean():,.0f} ± {v.std(ddof=1) / np.sqrt(v.size):,.0f}")
        print(f"| {y} | " + " | ".join(cells) + " |")
    c67 = np.array([r["1967"]["factional_clashes"] for r in runs])
    c68 = np.array([r["1968"]["factional_clashes"] for r in runs])
    late = np.array([sum(r[y]["factional_clashes"] for y in years if y >= "1969") for r in runs])
    total = np.array([sum(r[y]["factional_clashes"] for y in years) for r in runs])
    ratio = c68 / np.maximum(c67, 1e-9)
    print(f"\n1968/1967 clashes per seed: {np.round(ratio, 2).tolist()}")
    print(f"  mean {ratio.mean():.3f} ± {ratio.std(ddof=1) / np.sqrt(ratio.size):.3f}")
    print(f"share of all clashes in 1969-76: {(late / np.maximum(total, 1e-9)).mean():.3f}")
    print(f"CPU time {time.process_time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
