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
from pathlib import Path

import pandas as pd

from sim.calibration import load_calibration, synthesize_targets, with_abc_settings
from sim.config import ScenarioError
from sim.posterior import _variant_bases, recheck_posterior


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
    results = recheck_posterior(
        cal,
        post,
        out,
        arms=a.as_variant or None,
        workers=a.workers,
        posterior_from=str(Path(a.run) / "posterior.parquet"),
        tree=commit,
    )
    if len(results) > 1:
        for arm, r in results.items():
            print(f"{arm}: {r['predictive_score']}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
