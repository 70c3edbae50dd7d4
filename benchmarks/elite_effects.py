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


#: the elite's cohesion feedback (sim/submodels/elite.py, docs/ODD.md 7.11)
COHESION_FEEDBACK = (
    "elite_repression_capacity",
    "concession_coherence",
    "implementation_fidelity",
    "elite_defection",
)
#: the outcomes a split elite moves: protest, repression, concession, legitimacy, cohesion
COHESION_COLUMNS = (
    "protest_events_total",
    "protest_participants_total",
    "arrests_total",
    "concessions_total",
    "pacifications_total",
    "contradicted_concessions_total",
    "factional_clashes_total",
    "legitimacy_central_final",
    "legitimacy_local_final",
    "elite_cohesion_mean",
    "defections_total",
    "implementation_fidelity_mean",
)


def _run(task: tuple[dict, int, str, int]) -> dict:
    from sim.config import parse_scenario
    from sim.runner import run_scenario

    data, seed, arm, rep = task
    return {"arm": arm, "replicate": rep, **run_scenario(parse_scenario(data), seed=seed).summary}


def cohesion_effects(scn, seeds: int, root: int | None, workers: int) -> pd.DataFrame:
    """The four cohesion arms and all four off together, on the seeds ``cadresim effects
    --seed root`` would use; paired effects by :func:`sim.effects.paired_effects`, with
    how many seeds agree in sign with the mean (column ``agree``).

    The full ablation runs some fifty arms; this one runs six, for quoting the elite's
    own feedback on more seeds in the same time.
    """
    from concurrent.futures import ProcessPoolExecutor

    import numpy as np

    from sim.effects import FULL, Arm, paired_effects
    from sim.runner import derive_seeds

    base = scn.model_dump(mode="json")
    arm_list = [Arm(FULL, "full", "", base)]
    for name in COHESION_FEEDBACK:
        data = dict(base, mechanisms={**base["mechanisms"], name: False})
        arm_list.append(Arm(f"mechanism:{name}", "mechanism", name, data))
    off = {**base["mechanisms"], **dict.fromkeys(COHESION_FEEDBACK, False)}
    arm_list.append(
        Arm("mechanisms:cohesion_feedback", "mechanism", "all four", dict(base, mechanisms=off))
    )
    common = derive_seeds(scn.seed if root is None else root, seeds)
    tasks = [(a.scenario, s, a.id, r) for a in arm_list for r, s in enumerate(common)]
    with ProcessPoolExecutor(workers) as pool:
        summary = pd.DataFrame(list(pool.map(_run, tasks)))
    table = paired_effects(summary, arm_list)
    full = summary[summary["arm"] == FULL].set_index("replicate").sort_index()
    agree = []
    for row in table.itertuples():
        other = summary[summary["arm"] == row.arm].set_index("replicate").sort_index()
        d = (full[row.column] - other[row.column]).to_numpy(dtype=float)
        agree.append(int(np.sum(np.sign(d) == np.sign(row.effect))) if row.effect else 0)
    return table.assign(agree=agree)


def cohesion_digest(table: pd.DataFrame, seeds: int) -> str:
    """Markdown: cohesion arms × outcomes, effect ± se (seeds agreeing in sign / n)."""
    cols = [c for c in COHESION_COLUMNS if c in set(table["column"])]
    index = table.set_index(["arm", "column"])
    lines = [
        "| outcome | full | "
        + " | ".join(a.split(":")[1] for a in dict.fromkeys(table["arm"]))
        + " |",
        "|---|---|" + "---|" * table["arm"].nunique(),
    ]
    for c in cols:
        cells = []
        for arm in dict.fromkeys(table["arm"]):
            r = index.loc[(arm, c)]
            cells.append(f"{_fmt(r['effect'])} ± {r['se']:.2g} ({r['agree']}/{seeds})")
        full = index.loc[(table["arm"].iloc[0], c), "full_mean"]
        lines.append(f"| {c} | {full:.3g} | " + " | ".join(cells) + " |")
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
    ap.add_argument(
        "--cohesion",
        action="store_true",
        help="only the four cohesion-feedback arms and all four off (faster, more seeds)",
    )
    args = ap.parse_args()
    for name in args.only:
        scn = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        if args.cohesion:
            table = cohesion_effects(scn, args.seeds, args.seed, args.workers)
            args.out.mkdir(parents=True, exist_ok=True)
            table.to_parquet(args.out / f"{name}-cohesion.parquet")
            text = (
                f"## {name}: cohesion feedback, {args.seeds} common seeds (root "
                f"{args.seed if args.seed is not None else scn.seed})\n\n"
                "effect = full − without, mean ± se of the paired differences "
                "(seeds agreeing in sign / n)\n\n"
                f"{cohesion_digest(table, args.seeds)}\n"
            )
            (args.out / f"{name}-cohesion.md").write_text(text, encoding="utf-8")
            print(text, flush=True)
            continue
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
