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

import numpy as np
import pandas as pd

from sim import store
from sim.calibration import (
    NAN_PENALTY,
    load_calibration,
    synthesize_targets,
    with_abc_settings,
)
from sim.config import ScenarioError
from sim.posterior import _coverage_summary, _variant_bases, plot_ppc, predictive_checks


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("run", help="folder of an ABC run (posterior.parquet)")
    ap.add_argument("out", help="folder for the checks (created)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument(
        "--as-variant",
        action="append",
        default=[],
        metavar="NAME",
        help="run every particle under this variant of CONFIG (repeatable): a paired "
        "predictive comparison of structural variants, same particles and fresh seeds",
    )
    ap.add_argument(
        "--draws", type=int, default=None, help="posterior draws (default: abc.ppc_draws; >= 10)"
    )
    a = ap.parse_args(argv)
    try:
        cal = load_calibration(a.config)
        if a.draws is not None:
            cal = with_abc_settings(cal, [f"ppc_draws={a.draws}"])  # validated: >= 10
        post = pd.read_parquet(Path(a.run) / "posterior.parquet")
        bases = _variant_bases(cal)
        names = {n for n, _ in bases}
        unknown = sorted((set(a.as_variant) or set(post["model"])) - names)
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
    synthesize_targets(cal)  # a synthetic config's targets come from the model at its truth
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    arms = a.as_variant or [None]
    scores = {}
    for arm in arms:
        where = out / arm if arm else out
        where.mkdir(parents=True, exist_ok=True)
        p = post.assign(model=arm) if arm else post
        t0 = time.time()
        frame, report = predictive_checks(cal, p, bases, cal.config.abc, workers=a.workers)
        result = {
            "kind": "posterior_recheck",
            "posterior_from": str(Path(a.run) / "posterior.parquet"),
            "as_variant": arm,
            "tree": commit,
            "draws": cal.config.abc.ppc_draws,
            "seed_root": cal.config.abc.ppc_seed,
            "statistics": report,
            "coverage_fitted": _coverage_summary(report, held_out=False),
            "coverage_held_out": _coverage_summary(report, held_out=True),
            "predictive_score": predictive_score(cal, frame),
            "wall_s": time.time() - t0,
            "versions": store.versions(),
        }
        scores[arm or "as fitted"] = result["predictive_score"]
        store.write_table(frame, where / "ppc.parquet")
        store.write_json(result, where / "recheck.json")
        plot_ppc(cal, frame, report, where / "ppc.png")
        print(f"== {arm or 'as fitted'} (tree {commit}, {time.time() - t0:.0f} s wall)")
        for name, r in report.items():
            tag = " (held out)" if r["held_out"] else ""
            print(
                f"{name}{tag}: observed {r['observed']:.4g}, median "
                f"{r['predictive_median']:.4g}, 90 % [{r['q05']:.3g}, {r['q95']:.3g}], "
                f"in 90 % {r['in_90']}, +error {r['in_90_with_error']}, "
                f"|z|<=2 {r['share_within_2sd']}"
            )
    if len(arms) > 1:
        store.write_json(scores, out / "comparison.json")
        for arm, sc in scores.items():
            print(f"{arm}: {sc}")
    print(f"wrote {out}")
    return 0


def predictive_score(cal, frame: pd.DataFrame) -> dict[str, float]:
    """Mean squared z over draws, fitted and held-out targets apart (lower predicts better).

    A statistic a draw cannot compute (NaN, or 0 on a log scale) costs the calibration's
    NAN_PENALTY, as in the fit's distance.
    """
    out = {}
    for part, targets in (("fitted", cal.targets), ("held_out", cal.holdout)):
        cells, defined = [], []
        for t in targets:
            for x in frame[t.statistic].to_numpy(float):
                z = t.z(x)
                cells.append(z * z if np.isfinite(z) else NAN_PENALTY)
                if np.isfinite(z):
                    defined.append(z * z)
        out[f"mean_z2_{part}"] = float(np.mean(cells)) if cells else float("nan")
        # the same over the cells where z is defined, and how many were not
        out[f"mean_z2_{part}_defined"] = float(np.mean(defined)) if defined else float("nan")
        out[f"undefined_{part}"] = len(cells) - len(defined)
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
