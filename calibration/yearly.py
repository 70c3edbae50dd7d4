"""Yearly protest events, peak active share and legitimacy of the calibration's base scenario.

Usage (from the repository root):
    .venv/bin/python calibration/yearly.py calibration/reform_era.yaml \
        params.legitimacy=0.737 params.threshold=0.214 \
        regimes.privatization.layoff_share=0.311 params.police_reach=13.074

Runs the config's base scenario (with its add_regimes and overrides) at the given dotted-path
values, for the config's replicate seeds, and prints one line per simulated year. Used in
docs/validation.md to show the shape of the protest series that the scale-free endpoint
statistics summarize.
"""

from __future__ import annotations

import sys

import numpy as np
import yaml

from sim.calibration import _IDX, load_calibration, replicate_seeds, scenario_with
from sim.model import CadreModel


def main(argv: list[str]) -> None:
    cal = load_calibration(argv[0])
    values = {k: yaml.safe_load(v) for k, v in (a.split("=", 1) for a in argv[1:])}
    scn = scenario_with(cal.base, values)
    for seed in replicate_seeds(cal.config.seed, cal.config.replicates):
        model = CadreModel(scn, seed=seed)
        while model.running and model.step_index < model.n_steps:
            model.step()
        rec = model.records[: model.step_index]
        n_years = rec.shape[0] // 12
        year0 = scn.start.year
        ev = rec[: 12 * n_years, _IDX["protest_events"]].reshape(n_years, 12)
        act = rec[: 12 * n_years, _IDX["active"]].reshape(n_years, 12) / model.people.n
        leg = rec[: 12 * n_years, _IDX["legitimacy"]].reshape(n_years, 12)
        first = int(rec[0, _IDX["protest_events"]])
        print(f"seed {seed}: {first} protest events in the first recorded month")
        print("  year, protest events, peak active share, min legitimacy")
        for y in range(n_years):
            print(f"  {year0 + y}  {int(ev[y].sum()):5d}  {act[y].max():.4f}  {np.min(leg[y]):.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
