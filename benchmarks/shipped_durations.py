"""How long each shipped sweep and calibration takes: runs, and time estimated from
measured runs (for the README).

    python -m benchmarks.shipped_durations [--sample 3] [--workers 2]

For each sweep in ``scenarios/sweeps/``: its number of runs, and the CPU time of
``--sample`` of its runs (design points spread over the design, their own seeds), so
the sweep takes about ``runs × mean CPU / workers`` plus the sweep overhead measured in
``benchmarks/results.md`` (3.5 % for runs of about 1 s). For each calibration config:
``trials × replicates`` runs of its scenario at the base values, on one worker (the
``cadresim calibrate`` default). CPU time (``time.process_time``), so the estimate does
not depend on what else the machine is doing; a loaded machine takes longer in wall time.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sim.config import Scenario
from sim.runner import run_scenario

ROOT = Path(__file__).resolve().parents[1]
OVERHEAD = 0.035


def _cpu(scenario: Scenario, seed: int) -> float:
    t0 = time.process_time()
    run_scenario(scenario, seed)
    return time.process_time() - t0


def sweeps(sample: int, workers: int) -> list[dict]:
    from sim.sweep import load_sweep

    rows = []
    for f in sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml")):
        plan = load_sweep(f)
        n_points = len(plan.scenarios)
        picks = sorted({round(i * (n_points - 1) / max(sample - 1, 1)) for i in range(sample)})
        cpus = [
            _cpu(Scenario.model_validate(plan.scenarios[p]), plan.seeds[p * plan.spec.replicates])
            for p in picks
        ]
        per_run = sum(cpus) / len(cpus)
        rows.append(
            {
                "file": str(f.relative_to(ROOT)),
                "points": n_points,
                "runs": plan.n_runs,
                "cpu_per_run": per_run,
                "seconds": plan.n_runs * per_run / workers * (1 + OVERHEAD),
            }
        )
    return rows


def calibrations() -> list[dict]:
    from sim.calibration import load_calibration

    rows = []
    for f in sorted((ROOT / "calibration").glob("*.yaml")):
        cal = load_calibration(f)
        per_run = _cpu(Scenario.model_validate(cal.base), cal.config.seed)
        runs = cal.config.trials * cal.config.replicates
        rows.append(
            {
                "file": str(f.relative_to(ROOT)),
                "trials": cal.config.trials,
                "runs": runs,
                "cpu_per_run": per_run,
                "seconds": runs * per_run,
            }
        )
    return rows


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=3, help="runs measured per sweep")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    print(f"| sweep | design points | runs | CPU per run | about, on {args.workers} workers |")
    print("|---|---|---|---|---|")
    for r in sweeps(args.sample, args.workers):
        print(
            f"| `{r['file']}` | {r['points']} | {r['runs']} | {r['cpu_per_run']:.2f} s "
            f"| {_duration(r['seconds'])} |"
        )
    print()
    print("| calibration | trials | runs | CPU per run | about, on 1 worker |")
    print("|---|---|---|---|---|")
    for r in calibrations():
        print(
            f"| `{r['file']}` | {r['trials']} | {r['runs']} | {r['cpu_per_run']:.2f} s "
            f"| {_duration(r['seconds'])} |"
        )


if __name__ == "__main__":
    main()
