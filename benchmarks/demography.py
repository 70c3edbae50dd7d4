"""A population that lives: employment drift, migrant turnover and demographic periodicity.

    python -m benchmarks.demography            # baseline and reform_privatization, 3 seeds
    python -m benchmarks.demography --seeds 5

For each scenario and seed it reports, over the recorded months:

- employment: first and last month, the largest relative departure from the first month;
- migrant departures per month (exhaustion + return): mean and coefficient of variation;
- the dominant period of the monthly protest-participant series (periodogram of the
  detrended series) and the share of spectral power at that period;
- how many of the 5 largest protest months fall within ±1 month of a month with a migrant
  departure spike (departures above mean + 2 sd), the artefact issue 12 measured.

The model is run directly; nothing is written. CPU time is reported per run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from sim.config import load_scenario
from sim.model import CadreModel
from sim.outcomes import OUTCOME_NAMES

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("baseline", "reform_privatization")


def dominant_period(series: np.ndarray) -> tuple[float, float]:
    """Period (months) with the most spectral power, and that power's share (detrended)."""
    x = np.asarray(series, dtype=np.float64)
    t = np.arange(x.size)
    if x.size < 8 or np.allclose(x, x[0]):
        return float("nan"), 0.0
    x = x - np.polyval(np.polyfit(t, x, 1), t)
    power = np.abs(np.fft.rfft(x)) ** 2
    freq = np.fft.rfftfreq(x.size)
    power, freq = power[1:], freq[1:]
    k = int(np.argmax(power))
    return float(1.0 / freq[k]), float(power[k] / power.sum())


def measure(name: str, seed: int) -> dict:
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    model = CadreModel(scenario, seed=seed)
    departures = np.zeros(model.n_steps)
    c0 = time.process_time()
    while model.running:
        model.step()
        t = model.tally
        departures[model.step_index - 1] = (
            t.get("migrants_worn_out", 0)
            + t.get("migrants_returned", 0)
            + t.get("migrants_exhausted", 0)
        )
    cpu = time.process_time() - c0
    rec = model.records
    col = {n: i for i, n in enumerate(OUTCOME_NAMES)}
    emp = rec[:, col["employed"]]
    part = rec[:, col["protest_participants"]]
    period, share = dominant_period(part)
    spike = departures > departures.mean() + 2 * departures.std() if departures.any() else None
    top5 = np.argsort(part)[::-1][:5]
    near = 0
    if spike is not None and spike.any():
        spike_months = np.flatnonzero(spike)
        near = int(sum(np.min(np.abs(spike_months - m)) <= 1 for m in top5))
    return {
        "scenario": name,
        "seed": seed,
        "employed_first": emp[0],
        "employed_last": emp[-1],
        "max_drift": float(np.max(np.abs(emp / emp[0] - 1.0))),
        "departures_mean": float(departures.mean()),
        "departures_cv": float(departures.std() / departures.mean()) if departures.any() else 0.0,
        "protest_period": period,
        "protest_period_power": share,
        "top5_near_spike": near,
        "cpu_s": cpu,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--scenarios", nargs="*", default=list(SCENARIOS))
    args = ap.parse_args(argv)
    print(f"command: python -m benchmarks.demography --seeds {args.seeds}")
    head = (
        "scenario", "seed", "emp first", "emp last", "max drift", "dep/month", "dep CV",
        "protest period", "power share", "top5 near dep spike", "cpu s",
    )  # fmt: skip
    print(" | ".join(head))
    for name in args.scenarios:
        for seed in range(1, args.seeds + 1):
            r = measure(name, seed)
            print(
                f"{r['scenario']} | {r['seed']} | {r['employed_first']:.0f} | "
                f"{r['employed_last']:.0f} | {r['max_drift']:.1%} | {r['departures_mean']:.1f} | "
                f"{r['departures_cv']:.2f} | {r['protest_period']:.1f} | "
                f"{r['protest_period_power']:.2f} | {r['top5_near_spike']}/5 | {r['cpu_s']:.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
