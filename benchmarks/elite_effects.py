"""``cadresim effects`` on the period scenarios (issue 13): the tables to quote.

Runs the ablation of every regime and every mechanism, with common random numbers, on

- ``scenarios/cultural_revolution_1966_1976.yaml``
- ``scenarios/enterprise_1956_1966.yaml`` (the 1956–66 enterprise under the party committee)
- ``scenarios/reform_privatization.yaml``

and writes, per scenario, the effects folder (``effects.parquet``, ``effects.png``,
``summary.parquet``, resumable) under ``--out`` and a Markdown digest ``effects.md``
listing the effects on the headline outcomes whose 95 % interval excludes zero.
It is the same as running, for each scenario,

    cadresim effects scenarios/<name>.yaml --seeds 20 --workers 2 --out results/effects/<name>

(``--seed`` sets the root of the common seeds, as ``cadresim effects --seed`` does: fresh
seeds for claims, not the ones parameters were chosen on).

Run: ``nice -n 10 .venv/bin/python -m benchmarks.elite_effects [--seeds 20] [--workers 2]``
(about 20 minutes of CPU with 20 seeds; the reform city is most of it).
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import pandas as pd

from sim.config import load_scenario
from sim.effects import FIGURE, run_effects

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ("cultural_revolution_1966_1976", "enterprise_1956_1966", "reform_privatization")
#: the headline outcomes plus the elite's own: layered legitimacy, defection, fidelity,
#: the payments a split elite pays or reneges on, and factional clashes (violence)
COLUMNS = (
    *FIGURE,
    "legitimacy_central_final",
    "legitimacy_local_final",
    "elite_cohesion_mean",
    "defections_total",
    "implementation_fidelity_mean",
    "pacifications_total",
    "contradicted_concessions_total",
    "factional_clashes_total",
)


def _fmt(x: float) -> str:
    return f"{x:+.3g}" if math.isfinite(x) else "–"


def digest(table: pd.DataFrame, columns: tuple[str, ...] = COLUMNS) -> str:
    """Markdown: arms × headline outcomes, effect ± 95 % half-width where it excludes 0."""
    cols = [c for c in columns if c in set(table["column"])]
    index = table.set_index(["arm", "column"])
    lines = [
        "| switched off | " + " | ".join(c.replace("_", " ") for c in cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for arm in dict.fromkeys(table["arm"]):
        cells = []
        for c in cols:
            r = index.loc[(arm, c)]
            sig = math.isfinite(r["ci_low"]) and (r["ci_low"] > 0 or r["ci_high"] < 0)
            half = (r["ci_high"] - r["ci_low"]) / 2
            cells.append(f"{_fmt(r['effect'])} ±{half:.2g}" if sig else "·")
        lines.append(f"| {arm} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "effects")
    ap.add_argument("--only", nargs="*", default=list(SCENARIOS), help="scenario names")
    ap.add_argument(
        "--seed", type=int, default=None, help="root seed of the common seeds (default: scenario's)"
    )
    args = ap.parse_args()
    for name in args.only:
        scn = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        t0 = time.perf_counter()
        table, report = run_effects(
            scn,
            args.out / name,
            seeds=args.seeds,
            workers=args.workers,
            root_seed=args.seed,
            source=f"{name}.yaml",
        )
        text = (
            f"## {name}: {args.seeds} common seeds per arm\n\n"
            f"effect = full − without (mean paired difference); shown where the 95 % "
            f"interval excludes 0 (± its half-width), '·' otherwise.\n\n{digest(table)}\n\n"
            f"{report.n_runs} runs, {report.wall_seconds:.0f} s wall, "
            f"{sum(report.run_seconds):.0f} s in runs, {report.workers} workers "
            f"({report.executor}); {time.perf_counter() - t0:.0f} s in all.\n"
        )
        (args.out / name / "effects.md").write_text(text, encoding="utf-8")
        print(text, flush=True)


if __name__ == "__main__":
    main()
