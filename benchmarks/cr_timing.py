"""When the Cultural Revolution's factions fight and when they are demobilized (issue 13.2).

Runs ``scenarios/cultural_revolution_1966_1976.yaml`` on ``--seeds`` consecutive seeds from
``--seed`` and prints, per calendar year 1966-1976, the mean ± standard error over seeds
of factional clashes (people fighting, summed over the year's months), clash casualties and
deaths, qingli persecution deaths, faction members and the city-wide balance of the two
camps (2 min / sum of conservatives and rebels, 1 = even; means of the months), then each
seed's peak year and 1968/1967 ratio of clashes, the share of 1969-76 in all clashes,
and deaths by cause (clash vs persecution, paired by seed). Historically
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
from sim.model import CadreModel
from sim.runner import timeseries_frame
from sim.state import Kind
from sim.submodels.careers import CONSERVATIVE, REBEL, balance

SCENARIO = (
    Path(__file__).resolve().parent.parent / "scenarios" / "cultural_revolution_1966_1976.yaml"
)
SUMS = ("factional_clashes", "faction_casualties", "clash_deaths", "persecution_deaths")
MEANS = ("faction_members", "camp_balance")


def camp_balance(model) -> float:
    """City-wide balance of the camps among cadres, technicians and workers (rebels with
    their splinters against conservatives): 2 min / sum, 1 when even."""
    f = model.people.faction[: model.people.rows(Kind.WORKER).stop]
    return float(balance(np.count_nonzero(f == CONSERVATIVE), np.count_nonzero(f >= REBEL)))


def run(scn, seed: int):
    """One run's outcome table, with the month's camp balance as a column."""
    model = CadreModel(scn, seed=seed)
    bal = []
    while model.running and model.step_index < model.n_steps:
        model.step()
        bal.append(camp_balance(model))
    ts = timeseries_frame(model, f"run-{seed}")
    ts["camp_balance"] = bal
    return ts


def yearly(ts) -> dict[str, dict[str, float]]:
    """Per year: sums of the flows in ``SUMS`` and means of the stocks in ``MEANS``."""
    year = ts["date"].astype(str).str[:4]
    sums = ts.groupby(year)[list(SUMS)].sum()
    means = ts.groupby(year)[list(MEANS)].mean()
    return {y: {**sums.loc[y].to_dict(), **means.loc[y].to_dict()} for y in sums.index}


def mean_se(v: np.ndarray) -> str:
    return f"{v.mean():,.1f} ± {v.std(ddof=1) / np.sqrt(v.size):,.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=6, help="number of seeds")
    ap.add_argument("--seed", type=int, default=100, help="first seed")
    args = ap.parse_args(argv)
    if args.seeds < 2:
        ap.error("--seeds must be at least 2 (a standard error needs two)")
    t0 = time.process_time()
    scn = load_scenario(SCENARIO)
    runs = [yearly(run(scn, s)) for s in range(args.seed, args.seed + args.seeds)]
    years = sorted(runs[0])
    cols = (*SUMS, *MEANS)
    print("| year | " + " | ".join(cols) + " |")
    print("|---" * (len(cols) + 1) + "|")
    for y in years:
        cells = []
        for c in cols:
            v = np.array([r[y][c] for r in runs])
            fmt = ".2f" if c == "camp_balance" else ",.0f"
            cells.append(f"{v.mean():{fmt}} ± {v.std(ddof=1) / np.sqrt(v.size):{fmt}}")
        print(f"| {y} | " + " | ".join(cells) + " |")
    c67 = np.array([r["1967"]["factional_clashes"] for r in runs])
    c68 = np.array([r["1968"]["factional_clashes"] for r in runs])
    late = np.array([sum(r[y]["factional_clashes"] for y in years if y >= "1969") for r in runs])
    total = np.array([sum(r[y]["factional_clashes"] for y in years) for r in runs])
    ratio = c68 / np.maximum(c67, 1e-9)
    print(f"\n1968/1967 clashes per seed: {np.round(ratio, 2).tolist()}")
    print(f"  mean {ratio.mean():.3f} ± {ratio.std(ddof=1) / np.sqrt(ratio.size):.3f}")
    print(f"share of all clashes in 1969-76: {(late / np.maximum(total, 1e-9)).mean():.3f}")
    peaks = [max((y for y in years), key=lambda y, r=r: r[y]["factional_clashes"]) for r in runs]
    print(f"peak year of clashes per seed: {peaks}")
    clash_d = np.array([sum(r[y]["clash_deaths"] for y in years) for r in runs])
    pers_d = np.array([sum(r[y]["persecution_deaths"] for y in years) for r in runs])
    print(
        f"deaths per run: clashes {mean_se(clash_d)}, persecution {mean_se(pers_d)}, "
        f"persecution - clashes {mean_se(pers_d - clash_d)} "
        f"(persecution higher on {int(np.sum(pers_d > clash_d))} of {pers_d.size} seeds)"
    )
    print(f"CPU time {time.process_time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
