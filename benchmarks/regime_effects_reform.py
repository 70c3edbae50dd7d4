"""Main outcomes of the four reform-era regimes (seed 003), regime on vs off.

Each regime is switched on alone in the same base scenario and compared with the base
(regime off) over the same seeds; the table gives the mean over seeds of each main
outcome, the difference and its standard error. The ``stacked`` columns repeat the
comparison with the other regimes of the period on in both arms (the reform scenario's
privatization, residency, rural taxes and mixed stance, ``PERIOD``): a regime's effect
should keep its sign when the rest of its period is stacked on it. Run with

    .venv/bin/python -m benchmarks.regime_effects_reform [--seeds 10] [--conditions]

``--conditions`` prints only the conditional effects of issue 18 (``VARIANTS``: a union
agreement broken by the sale, slow layoffs, broken-pledge awareness; cadres discarded by
new owners, the employed's fear, dependants on pensions), each one rule off vs on.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd

from sim.config import parse_scenario
from sim.runner import derive_seeds, run_scenario

BASE = dict(
    name="regime_effects_reform",
    start="1993-01",
    end="2002-12",
    seed=20040601,
    population=dict(
        cadres=100,
        technicians=200,
        workers=3000,
        migrants=1200,
        peasants=4000,
        units=20,
        villages=20,
    ),
    params=dict(legitimacy=0.8, people_per_agent=10),
)

# regime -> (its spec, the outcomes it is expected to move)
CASES: dict[str, tuple[dict, tuple[str, ...]]] = {
    "privatization": (
        {"type": "privatization", "start": "1995-01"},
        (
            "xiagang_final",
            "unemployed_final",
            "employed_final",
            "grievance_worker_mean",
            "protest_events_total",
            "gini_mean",
        ),
    ),
    "residency": (
        {"type": "residency", "wage_convergence": 0.5, "convergence_start": "1999-01"},
        ("grievance_migrant_mean", "employed_final", "protest_events_total"),
    ),
    "rural_taxes": (
        {"type": "rural_taxes"},
        (
            "grievance_peasant_mean",
            "protest_events_total",
            "violent_events_total",
            "rural_relief_total",
            "gini_mean",
        ),
    ),
    # Stances differ only where there is contention: both arms of these rows restructure
    # (BACKGROUND), as the reform era did.
    "repression_concession (hard)": (
        {"type": "repression_concession", "stance": "hard"},
        ("arrests_total", "concessions_total", "protest_events_total", "legitimacy_mean"),
    ),
    "repression_concession (soft)": (
        {"type": "repression_concession", "stance": "soft"},
        ("arrests_total", "concessions_total", "protest_events_total", "legitimacy_mean"),
    ),
}


BACKGROUND = {"repression": [{"type": "privatization", "start": "1995-01"}]}

# The other regimes of the period (scenarios/reform_privatization.yaml), stacked on each.
PERIOD = [
    {"type": "privatization", "start": "1995-01"},
    {"type": "residency", "wage_convergence": 0.5, "convergence_start": "1999-01"},
    {"type": "rural_taxes"},
    {"type": "repression_concession", "stance": "mixed"},
]


# Conditional effects (issue 18): the same regime with one rule switched off vs on, over
# the background it needs; "stacked" adds the rest of the period as above.
PRIV95 = {"type": "privatization", "start": "1995-01"}
CAPTURED = {"type": "union", "mode": "captured", "start": "1995-01"}
COOPS = {"type": "cooperatives", "start": "1995-01"}
COOPS_EARLY = {**COOPS, "seizure_rate": 1.0, "seizure_min_size": 100.0}
VARIANTS: list[tuple[str, list[dict], dict, dict, tuple[str, ...]]] = [
    ("union captured vs none", [PRIV95], {}, CAPTURED,
     ("protest_participants_total", "protest_max_size_mean")),
    ("union break_on_sale", [PRIV95], {**CAPTURED, "break_on_sale": False}, CAPTURED,
     ("protest_participants_total", "protest_max_size_mean")),
    ("union slow_layoffs 0→0.85", [PRIV95], {**CAPTURED, "slow_layoffs": 0.0}, CAPTURED,
     ("unemployed_mean", "xiagang_mean")),
    ("union pledge_awareness 0→0.15", [PRIV95], {**CAPTURED, "pledge_awareness": 0.0},
     CAPTURED, ("protest_participants_total",)),
    ("privatization cadre_discard 0→0.3", [], {**PRIV95, "cadre_discard": 0.0}, PRIV95,
     ("cadre_cooptation_final", "elite_cohesion_mean")),
    ("privatization job_fear 0→0.3", [], {**PRIV95, "job_fear": 0.0}, PRIV95,
     ("protest_participants_total",)),
    ("privatization dependency 0→0.2", [], {**PRIV95, "dependency_burden": 0.0}, PRIV95,
     ("grievance_worker_mean",)),
    # helper `regimes`: self-managed layoffs in seized units, where a captured union's
    # agreement left layoffs due (the only place layoffs are still due after a sale).
    ("coops self_deferral 0→1", [PRIV95, CAPTURED], {**COOPS, "self_deferral": 0.0}, COOPS,
     ("employed_mean", "xiagang_mean", "grievance_worker_mean")),
    # ... and where workers seize units early, while most of the layoffs are still due
    ("coops self_deferral 0→1 (early seizures)", [PRIV95, CAPTURED],
     {**COOPS_EARLY, "self_deferral": 0.0}, COOPS_EARLY,
     ("employed_mean", "xiagang_mean", "grievance_worker_mean")),
    # helper `residence`: whom a worker-run unit lets go where its workers let the
    # union's slow layoffs go on (self_deferral 0; any larger share plus the union's 0.85
    # postpones them all) — equal chances instead of the owner's youth and education.
    ("coops self_selection 0→1 (early seizures, layoffs go on)", [PRIV95, CAPTURED],
     {**COOPS_EARLY, "self_deferral": 0.0, "self_selection": 0.0},
     {**COOPS_EARLY, "self_deferral": 0.0},
     ("retired_mean", "xiagang_mean", "unemployed_mean", "grievance_worker_mean")),
]  # fmt: skip


def effect_row(label: str, key: str, off, on, s_off, s_on) -> dict:
    """Paired effect of switching a rule on, alone and stacked, with standard errors."""
    d = on[key].to_numpy() - off[key].to_numpy()
    ds = s_on[key].to_numpy() - s_off[key].to_numpy()
    return dict(
        regime=label,
        outcome=key,
        off=off[key].mean(),
        on=on[key].mean(),
        diff=d.mean(),
        se=d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else np.nan,
        stacked_diff=ds.mean(),
        stacked_se=ds.std(ddof=1) / np.sqrt(ds.size) if ds.size > 1 else np.nan,
        # seeds whose paired difference has the sign of the mean (alone, stacked)
        agree=int(np.sum(np.sign(d) == np.sign(d.mean()))),
        stacked_agree=int(np.sum(np.sign(ds) == np.sign(ds.mean()))),
    )


def variant_rows(seeds: list[int], cache: dict, only: str | None = None) -> list[dict]:
    """Paired differences of each conditional rule, alone over its background and with
    the period stacked."""

    def runs(regimes: list[dict]) -> pd.DataFrame:
        key = repr(regimes)
        if key not in cache:
            cache[key] = summaries(regimes, seeds)
        return cache[key]

    rows = []
    for label, background, off_spec, on_spec, keys in VARIANTS:
        if only is not None and only not in label:
            continue
        stack = [*background, *stack_for(on_spec, background)]
        arms = [[*b, *([s] if s else [])] for b in (background, stack) for s in (off_spec, on_spec)]
        off, on, s_off, s_on = (runs(a) for a in arms)
        rows += [effect_row(label, k, off, on, s_off, s_on) for k in keys]
    return rows


def stack_for(spec: dict, background: list[dict]) -> list[dict]:
    """The period's other regimes: all of PERIOD but those of the regime's own type and
    those already in its background."""
    types = {spec["type"], *(b["type"] for b in background)}
    return [r for r in PERIOD if r["type"] not in types]


def summaries(regimes: list[dict], seeds: list[int]) -> pd.DataFrame:
    s = parse_scenario({**BASE, "regimes": regimes})
    return pd.DataFrame([run_scenario(s, seed).summary for seed in seeds])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--root", type=int, default=BASE["seed"], help="root seed")
    ap.add_argument(
        "--conditions", action="store_true", help="only the conditional effects (VARIANTS)"
    )
    ap.add_argument("--only", default=None, help="with --conditions: rows whose label has this")
    args = ap.parse_args()
    print("command: python -m benchmarks.regime_effects_reform " + " ".join(sys.argv[1:]))
    seeds = derive_seeds(args.root, args.seeds)
    t0 = time.perf_counter()
    if args.conditions:
        c0 = time.process_time()
        table = pd.DataFrame(variant_rows(seeds, {}, args.only))
        with pd.option_context("display.width", 160, "display.max_rows", 200):
            print(table.to_string(index=False, float_format=lambda x: f"{x:,.4g}"))
        flips = table[np.sign(table["diff"]) * np.sign(table["stacked_diff"]) < 0]
        print(f"\nsign changes when the period is stacked: {len(flips)} of {len(table)} rows")
        print(f"{args.seeds} seeds per arm; {time.process_time() - c0:.0f} s CPU")
        return
    quiet = summaries([], seeds)
    rows = []
    for label, (spec, keys) in CASES.items():
        background = next((b for k, b in BACKGROUND.items() if k in label), [])
        off = summaries(background, seeds) if background else quiet
        on = summaries([*background, spec], seeds)
        stack = [*background, *stack_for(spec, background)]
        s_off = summaries(stack, seeds)
        s_on = summaries([*stack, spec], seeds)
        rows += [effect_row(label, k, off, on, s_off, s_on) for k in keys]
        if background:
            for k in ("arrests_total", "concessions_total"):
                per = [(f[k] / f["protest_events_total"].clip(lower=1)).mean() for f in (off, on)]
                name = k.replace("_total", "_per_event")
                per_s = [
                    (f[k] / f["protest_events_total"].clip(lower=1)).mean() for f in (s_off, s_on)
                ]
                rows.append(
                    dict(
                        regime=label,
                        outcome=name,
                        off=per[0],
                        on=per[1],
                        diff=per[1] - per[0],
                        se=np.nan,
                        stacked_diff=per_s[1] - per_s[0],
                        stacked_se=np.nan,
                    )
                )
    rows += variant_rows(seeds, {})
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 160, "display.max_rows", 200):
        print(table.to_string(index=False, float_format=lambda x: f"{x:,.4g}"))
    flips = table[np.sign(table["diff"]) * np.sign(table["stacked_diff"]) < 0]
    print(f"\nsign changes when the period is stacked: {len(flips)} of {len(table)} rows")
    print(f"{args.seeds} seeds per arm; {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
