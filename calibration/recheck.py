"""Posterior predictive checks of an existing ABC posterior on the current tree.

Usage (from the repository root):
    .venv/bin/python calibration/recheck.py calibration/reform_era.yaml \
        results/calibration/reform_abc results/calibration/reform_abc_recheck --workers 2

Reads RUN/posterior.parquet (weighted particles written by ``cadresim calibrate``), resamples
``abc.ppc_draws`` of them by weight and re-runs each on a fresh seed with the model *as it is
in this working tree*, on every fitted and held-out statistic of CONFIG (which may list
statistics the run did not have). Writes OUT/ppc.parquet, OUT/ppc.png and OUT/recheck.json.
Used when the model changed after a posterior was fitted (docs/validation.md §4): the old
posterior is a prediction for the new model, and its coverage says whether the fit survived.
Exit 2 (with the file and field) if a particle's variant is not one of CONFIG's variants.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from sim import store
from sim.calibration import load_calibration
from sim.config import ScenarioError
from sim.posterior import _coverage_summary, _variant_bases, plot_ppc, predictive_checks


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("run", help="folder of an ABC run (posterior.parquet)")
    ap.add_argument("out", help="folder for the checks (created)")
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args(argv)
    try:
        cal = load_calibration(a.config)
        post = pd.read_parquet(Path(a.run) / "posterior.parquet")
        bases = _variant_bases(cal)
        names = {n for n, _ in bases}
        unknown = sorted(set(post["model"]) - names)
        if unknown:
            raise ScenarioError(
                str(Path(a.run) / "posterior.parquet"),
                [("model", f"variants {unknown} are not in {a.config}: {sorted(names)}")],
            )
    except (ScenarioError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    t0, c0 = time.time(), time.process_time()
    frame, report = predictive_checks(cal, post, bases, cal.config.abc, workers=a.workers)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    result = {
        "kind": "posterior_recheck",
        "posterior_from": str(Path(a.run) / "posterior.parquet"),
        "tree": commit,
        "draws": cal.config.abc.ppc_draws,
        "seed_root": cal.config.abc.ppc_seed,
        "statistics": report,
        "coverage_fitted": _coverage_summary(report, held_out=False),
        "coverage_held_out": _coverage_summary(report, held_out=True),
        "wall_s": time.time() - t0,
        "cpu_s_main_process": time.process_time() - c0,
        "versions": store.versions(),
    }
    store.write_table(frame, out / "ppc.parquet")
    store.write_json(result, out / "recheck.json")
    plot_ppc(cal, frame, report, out / "ppc.png")
    for name, r in report.items():
        tag = " (held out)" if r["held_out"] else ""
        print(
            f"{name}{tag}: observed {r['observed']:.4g}, median {r['predictive_median']:.4g}, "
            f"90 % [{r['q05']:.3g}, {r['q95']:.3g}], in 90 % {r['in_90']}, "
            f"+error {r['in_90_with_error']}, |z|<=2 {r['share_within_2sd']}"
        )
    print(f"wrote {out}/recheck.json, ppc.parquet, ppc.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
