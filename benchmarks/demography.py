"""A population that lives: employment drift, migrant turnover and demographic periodicity.

    python -m benchmarks.demography            # baseline and reform_privatization, 3 seeds
    python -m benchmarks.demography --seeds 5 --scenarios baseline
    python -m benchmarks.demography --scenario-seed   # each scenario's own seed

For each scenario and seed it reports, over the recorded months:

- employment: first and last month, the largest relative departure from the first month;
- migrant departures per month (for good or for a spell): mean and coefficient of
  variation (a Poisson count has 1/sqrt(mean));
- the largest autocorrelation of the detrended monthly protest participants at lags of
  20–48 months (a migrant's working life) and its lag: the cohort schedule issue 12
  measured shows up here as a recurrence at 26 months;
- the correlation of month-to-month changes in protest participants and in migrant
  departures;
- how many of the 5 largest protest months fall within ±1 month of a departure spike
  (a month above mean + 3 sd of departures).

The model is run directly; nothing is written. Migrant departures are read from the
``migrant_departures`` outcome, or, on code that predates it, from the month's tallies
(``migrants_worn_out`` + ``migrants_returned``), so the same script measures before and
after. CPU time (``time.process_time``) is reported per run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from sim.config import load_scenario
from sim.model import CadreModel
from sim.outcomes import OUTCOME_NAMES

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("baseline", "reform_privatization")


def max_autocorrelation(series: np.ndarray, lags: range) -> tuple[float, int]:
    """Largest autocorrelation of the linearly detrended series over ``lags``, and its lag."""
    x = np.asarray(series, dtype=np.float64)
    t = np.arange(x.size)
    x = x - np.polyval(np.polyfit(t, x, 1), t)
    x = x - x.mean()
    denom = float(np.dot(x, x))
    if denom == 0:
        return 0.0, lags[0]
    acf = [float(np.dot(x[:-k], x[k:]) / denom) for k in lags]
    k = int(np.argmax(acf))
    return acf[k], lags[k]


def measure(name: str, seed: int) -> dict:
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    model = CadreModel(scenario, seed=seed)
    tallied = np.zeros(model.n_steps)
    c0 = time.process_time()
    while model.running:
        model.step()
        t = model.tally
        tallied[model.step_index - 1] = t.get("migrants_worn_out", 0) + t.get(
            "migrants_returned", 0
        )
    cpu = time.process_time() - c0
    rec = model.records
    col = {n: i for i, n in enumerate(OUTCOME_NAMES)}
    departures = rec[:, col["migrant_departures"]] if "migrant_departures" in col else tallied
    emp = rec[:, col["employed"]]
    part = rec[:, col["protest_participants"]]
    acf, lag = max_autocorrelation(part, range(20, 49))
    # Month-to-month changes, so that opposite trends (layoffs up, migrants down) do not
    # pass for co-movement.
    dp, dd = np.diff(part), np.diff(departures)
    corr = float(np.corrcoef(dp, dd)[0, 1]) if dd.std() > 0 and dp.std() > 0 else 0.0
    spike = departures > departures.mean() + 3 * departures.std()
    top5 = np.argsort(part)[::-1][:5]
    near = 0
    if spike.any():
        months = np.flatnonzero(spike)
        near = int(sum(np.min(np.abs(months - m)) <= 1 for m in top5))
    return {
        "scenario": name,
        "seed": seed,
        "employed_first": emp[0],
        "employed_last": emp[-1],
        "max_drift": float(np.max(np.abs(emp / emp[0] - 1.0))),
        "departures_mean": float(departures.mean()),
        "departures_cv": float(departures.std() / departures.mean()) if departures.any() else 0.0,
        "protest_acf": acf,
        "protest_acf_lag": lag,
        "protest_departure_corr": corr,
        "top5_near_spike": near,
        "cpu_s": cpu,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--scenarios", nargs="*", default=list(SCENARIOS))
    ap.add_argument(
        "--scenario-seed", action="store_true", help="run each scenario's own seed only"
    )
    args = ap.parse_args(argv)
    print("command: python -m benchmarks.demography " + " ".join(argv or sys.argv[1:]))
    head = (
        "scenario", "seed", "emp first", "emp last", "max drift", "dep/month", "dep CV",
        "protest ACF 20-48 (lag)", "corr(Δprotest, Δdep)", "top5 near dep spike", "cpu s",
    )  # fmt: skip
    print(" | ".join(head))
    for name in args.scenarios:
        seeds = range(1, args.seeds + 1)
        if args.scenario_seed:
            seeds = [load_scenario(ROOT / "scenarios" / f"{name}.yaml").seed]
        for seed in seeds:
            r = measure(name, seed)
            print(
                f"{r['scenario']} | {r['seed']} | {r['employed_first']:.0f} | "
                f"{r['employed_last']:.0f} | {r['max_drift']:.1%} | {r['departures_mean']:.1f} | "
                f"{r['departures_cv']:.2f} | {r['protest_acf']:.2f} ({r['protest_acf_lag']}) | "
                f"{r['protest_departure_corr']:.2f} | {r['top5_near_spike']}/5 | {r['cpu_s']:.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
