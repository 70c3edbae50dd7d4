"""Main outcome of each social regime, regime on vs off, mean over seeds.

Run: ``.venv/bin/python -m benchmarks.regime_effects_social [--seeds 10] [--only NAME ...]``.

``--only residence`` (or ``--conditions``) prints the conditions of helper `residence`
(issue 18, ``CONDITIONS``): the laid-off and retired moving from the unit's housing to the
city's residential community after ``community_delay`` months (12) vs never (1200), under
each grassroots programme alone and with the other stacked, paired seeds.

``--displacement`` instead measures the land-loss push of ``rural_taxes`` (issue 18; seed
003 line 40) on the shipped reform scenario (``scenarios/reform_privatization.yaml``):
``displacement_rate`` at its default vs 0, alone (rural_taxes the only regime) and stacked
(the scenario's other regimes on), paired seeds, mean ± se of the paired difference.

Each row runs the same scenario and seeds with and without the regime (the union rows
compare captured and independent unions with no union, all under privatization) and
prints the mean of the regime's main outcome over the seeds, with the standard error of
the paired difference. The ``stacked`` columns repeat the paired difference with the other
regimes of the period on in both arms (``stack_for``): residency, rural taxes and the
mixed stance in the reform era; the other grassroots programme in 2009–2016.
"""

from __future__ import annotations

import argparse
import sys
import time
from types import SimpleNamespace

import numpy as np

from sim.config import parse_scenario
from sim.model import CadreModel
from sim.outcomes import OUTCOME_NAMES
from sim.runner import derive_seeds

POP = {
    "cadres": 120,
    "technicians": 240,
    "workers": 3600,
    "migrants": 1200,
    "peasants": 3200,
    "units": 16,
    "villages": 16,
}
PRIV = {"type": "privatization"}
REFORM_PERIOD = [
    {"type": "residency"},
    {"type": "rural_taxes"},
    {"type": "repression_concession", "stance": "mixed"},
]
GRASSROOTS_PERIOD = [{"type": "danwei_reactivation"}, {"type": "grassroots"}]


def stack_for(spec: dict, kw: dict) -> list[dict]:
    """The other regimes of the regime's period (not of its own type)."""
    period = GRASSROOTS_PERIOD if kw.get("start", "1993") >= "2009" else REFORM_PERIOD
    return [r for r in period if r["type"] != spec["type"]]


def scenario(regimes, start="1993-01", end="2004-12", **params):
    return parse_scenario(
        {
            "name": "bench",
            "start": start,
            "end": end,
            "population": POP,
            "params": {"people_per_agent": 10, **params},
            "regimes": regimes,
        }
    )


def outcome(name, part=slice(None), how="mean"):
    def f(m):
        if name not in OUTCOME_NAMES:  # an outcome this version of the model lacks
            return float("nan")
        x = m.records[part, OUTCOME_NAMES.index(name)]
        return float(getattr(np, how)(x))

    return f


def early_events(m):
    return float(m.records[: m.n_steps // 2, OUTCOME_NAMES.index("protest_events")].sum())


def late_participants(m):
    return float(m.records[m.n_steps // 2 :, OUTCOME_NAMES.index("protest_participants")].sum())


def community_legitimacy(m):
    comm = m.loc_is_community.astype(bool)
    return float(m.local_legitimacy[comm].mean())


def unit_legitimacy(m):
    """Final local legitimacy of the work units (where danwei reactivation works)."""
    comm = m.loc_is_community.astype(bool)
    return float(m.local_legitimacy[~comm].mean())


ROWS = [
    # (regime, outcome label, backdrop regimes, regime spec, scenario kw, measure)
    (
        "cooperatives",
        "coop_members_final",
        [PRIV],
        {"type": "cooperatives"},
        {},
        outcome("coop_members", slice(-1, None)),
    ),
    (
        "cooperatives",
        "grievance_peasant_mean",
        [PRIV],
        {"type": "cooperatives"},
        {},
        outcome("grievance_peasant"),
    ),
    ("cooperatives", "gini_mean", [PRIV], {"type": "cooperatives"}, {}, outcome("gini")),
    (
        "union captured",
        "protest_events first half",
        [PRIV],
        {"type": "union", "mode": "captured"},
        {},
        early_events,
    ),
    (
        "union captured",
        "protest_participants second half",
        [PRIV],
        {"type": "union", "mode": "captured"},
        {},
        late_participants,
    ),
    (
        "union independent",
        "protest_events first half",
        [PRIV],
        {"type": "union", "mode": "independent"},
        {},
        early_events,
    ),
    (
        "union independent",
        "protest_participants second half",
        [PRIV],
        {"type": "union", "mode": "independent"},
        {},
        late_participants,
    ),
    (
        "union independent",
        "arrests_total",
        [PRIV],
        {"type": "union", "mode": "independent"},
        {},
        outcome("arrests", how="sum"),
    ),
    (
        "danwei_reactivation",
        "protest_events_total",
        [],
        {"type": "danwei_reactivation"},
        {"start": "2009-01", "end": "2016-12", "legitimacy": 0.6},
        outcome("protest_events", how="sum"),
    ),
    (
        "danwei_reactivation",
        "community local legitimacy (final)",
        [],
        {"type": "danwei_reactivation"},
        {"start": "2009-01", "end": "2016-12", "legitimacy": 0.6},
        community_legitimacy,
    ),
    (
        "danwei_reactivation",
        "unit local legitimacy (final)",
        [],
        {"type": "danwei_reactivation"},
        {"start": "2009-01", "end": "2016-12", "legitimacy": 0.6},
        unit_legitimacy,
    ),
    (
        "danwei_reactivation",
        "legitimacy_mean (global)",
        [],
        {"type": "danwei_reactivation"},
        {"start": "2009-01", "end": "2016-12", "legitimacy": 0.6},
        outcome("legitimacy"),
    ),
    (
        "grassroots",
        "grievance_peasant_mean",
        [],
        {"type": "grassroots"},
        {"start": "2009-01", "end": "2016-12", "legitimacy": 0.6},
        outcome("grievance_peasant"),
    ),
    (
        "grassroots",
        "community local legitimacy (final)",
        [],
        {"type": "grassroots"},
        {"start": "2009-01", "end": "2016-12", "legitimacy": 0.6},
        community_legitimacy,
    ),
    (
        "grassroots young",
        "promotions_total",
        [],
        {"type": "grassroots", "young_share": 1.0},
        {"start": "2009-01", "end": "2016-12", "legitimacy": 0.6, "retirement_age": 50},
        outcome("promotions", how="sum"),
    ),
    # regimes_b (issue 18): residency on worker grievance (the issue-12 reversal with
    # cooperatives is benchmarks/composition.py --case residency_coops), rural violence.
    (
        "residency",
        "grievance_worker_mean",
        [PRIV],
        {"type": "residency"},
        {},
        outcome("grievance_worker"),
    ),
    (
        "residency",
        "grievance_migrant_mean",
        [PRIV],
        {"type": "residency"},
        {},
        outcome("grievance_migrant"),
    ),
    (
        "rural_taxes",
        "violent_events_total",
        [],
        {"type": "rural_taxes"},
        {"legitimacy": 0.6},
        outcome("violent_events", how="sum"),
    ),
    (
        "grassroots",
        "protest_events_total",
        [],
        {"type": "grassroots"},
        {"start": "2009-01", "end": "2016-12", "legitimacy": 0.6},
        outcome("protest_events", how="sum"),
    ),
]


GRASSROOTS_KW = {"start": "2009-01", "end": "2016-12", "legitimacy": 0.6}
NEVER_MOVE = {"community_delay": 1200}  # the residence rule off: everyone stays in the unit


def retiree_grievance(m):
    """Mean grievance of the retired and laid-off workers (who move out), last month."""
    return float(m.records[-1, OUTCOME_NAMES.index("grievance_worker")])


# (name, outcome label, regimes, scenario kw of the "off" arm, of the "on" arm, measure);
# stacked: the period's other programme on in both arms.
CONDITIONS = [
    (
        f"residence {prog}",
        label,
        [{"type": prog}],
        {**GRASSROOTS_KW, **NEVER_MOVE},
        GRASSROOTS_KW,
        measure,
    )
    for prog in ("grassroots", "danwei_reactivation")
    for label, measure in (
        ("unit local legitimacy (final)", unit_legitimacy),
        ("community local legitimacy (final)", community_legitimacy),
        ("grievance_worker_mean", outcome("grievance_worker")),
        ("protest_participants_total", outcome("protest_participants", how="sum")),
    )
]


def conditions(rows, seeds, cache) -> None:
    """Paired effect of each condition (off → on arm), alone and stacked."""
    for name, label, regimes, kw_off, kw_on, measure in rows:
        stack = regimes + stack_for(regimes[0], kw_on)
        out = []
        for regs in (regimes, stack):
            off = np.array([measure(run_one(regs, s, kw_off, cache)) for s in seeds])
            on = np.array([measure(run_one(regs, s, kw_on, cache)) for s in seeds])
            d = on - off
            se = d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else float("nan")
            agree = int(np.sum(np.sign(d) == np.sign(d.mean())))
            out.append((off.mean(), on.mean(), d.mean(), se, agree))
        (a, b, d, se, n), (_, _, ds, ses, ns) = out
        print(
            f"{name:30s} {label:36s} {a:11.4g} {b:11.4g} {d:10.4g} {se:8.3g} {n:3d}/{len(seeds)}"
            f" {ds:10.4g} {ses:8.3g} {ns:3d}/{len(seeds)}"
        )


DISPLACEMENT_OUTCOMES = (
    "peasants_displaced_total",
    "migrant_labour_supply_mean",
    "grievance_peasant_mean",
    "grievance_migrant_mean",
    "violent_events_total",
    "protest_events_total",
    "legitimacy_local_mean",
)


def displacement(n_seeds: int) -> None:
    """``rural_taxes`` ``displacement_rate`` default vs 0 on the shipped reform scenario."""
    from pathlib import Path

    from sim.config import load_scenario
    from sim.runner import run_scenario

    path = Path(__file__).resolve().parent.parent / "scenarios" / "reform_privatization.yaml"
    data = load_scenario(path).model_dump(mode="json", exclude_none=True)
    specs = data.pop("regimes")
    rural = next(r for r in specs if r["type"] == "rural_taxes")
    others = [r for r in specs if r["type"] != "rural_taxes"]
    seeds = derive_seeds(20240601, n_seeds)

    def summary(regimes, seed):
        return run_scenario(parse_scenario({**data, "regimes": regimes}), seed).summary

    print(f"{'arm':8s} {'outcome':28s} {'rate 0':>11s} {'default':>11s} {'diff':>10s} {'se':>8s}")
    for arm, backdrop in (("alone", []), ("stacked", others)):
        off = [summary(backdrop + [{**rural, "displacement_rate": 0.0}], s) for s in seeds]
        on = [summary(backdrop + [rural], s) for s in seeds]
        for name in DISPLACEMENT_OUTCOMES:
            a = np.array([r.get(name, np.nan) for r in off], dtype=float)
            b = np.array([r.get(name, np.nan) for r in on], dtype=float)
            d = b - a
            se = d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else float("nan")
            print(
                f"{arm:8s} {name:28s} {a.mean():11.4g} {b.mean():11.4g} {d.mean():10.4g} {se:8.3g}"
            )


def run_one(regimes, seed, kw, cache):
    key = (repr(regimes), seed, repr(sorted(kw.items())))
    if key not in cache:
        m = CadreModel(scenario(regimes, **kw), seed=seed)
        m.run()
        # keep only what the measures read, not the whole model
        cache[key] = SimpleNamespace(
            records=m.records,
            n_steps=m.n_steps,
            loc_is_community=m.loc_is_community,
            local_legitimacy=m.local_legitimacy,
        )
    return cache[key]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--only", nargs="*", default=None, help="rows of these regimes only")
    ap.add_argument(
        "--displacement", action="store_true", help="the land-loss push on the reform scenario"
    )
    ap.add_argument(
        "--conditions", action="store_true", help="only the residence conditions (CONDITIONS)"
    )
    ap.add_argument("--root", type=int, default=20240601, help="root seed")
    args = ap.parse_args()
    if args.displacement:
        t0 = time.process_time()
        print("command: python -m benchmarks.regime_effects_social " + " ".join(sys.argv[1:]))
        displacement(args.seeds)
        print(f"({args.seeds} seeds, {time.process_time() - t0:.0f} s CPU)")
        return
    seeds = derive_seeds(args.root, args.seeds)
    cache: dict = {}
    conds = [c for c in CONDITIONS if args.only is None or any(o in c[0] for o in args.only)]
    if args.conditions or (args.only and conds):
        t0 = time.process_time()
        print("command: python -m benchmarks.regime_effects_social " + " ".join(sys.argv[1:]))
        print(
            f"{'condition':30s} {'outcome':36s} {'off':>11s} {'on':>11s} {'on-off':>10s} "
            f"{'se':>8s} {'agree':>5s} {'stacked':>10s} {'se':>8s} {'agree':>5s}"
        )
        conditions(conds, seeds, cache)
        print(f"({len(seeds)} seeds, root {args.root}, {time.process_time() - t0:.0f} s CPU)")
        if args.conditions or not any(r[0] in args.only for r in ROWS):
            return
    t0 = time.perf_counter()
    print("command: python -m benchmarks.regime_effects_social " + " ".join(sys.argv[1:]))
    print(
        f"{'regime':22s} {'outcome':36s} {'off':>11s} {'on':>11s} {'on-off':>10s} {'se':>8s}"
        f" {'stacked':>10s} {'se':>8s}"
    )
    flips = 0
    rows = [r for r in ROWS if args.only is None or r[0] in args.only]
    for name, label, backdrop, spec, kw, measure in rows:
        off = np.array([measure(run_one(backdrop, s, kw, cache)) for s in seeds])
        on = np.array([measure(run_one(backdrop + [spec], s, kw, cache)) for s in seeds])
        d = on - off
        se = d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else float("nan")
        stack = backdrop + stack_for(spec, kw)
        s_off = np.array([measure(run_one(stack, s, kw, cache)) for s in seeds])
        s_on = np.array([measure(run_one(stack + [spec], s, kw, cache)) for s in seeds])
        ds = s_on - s_off
        ses = ds.std(ddof=1) / np.sqrt(ds.size) if ds.size > 1 else float("nan")
        flips += int(np.sign(d.mean()) * np.sign(ds.mean()) < 0)
        print(
            f"{name:22s} {label:36s} {off.mean():11.4g} {on.mean():11.4g} {d.mean():10.4g} "
            f"{se:8.3g} {ds.mean():10.4g} {ses:8.3g}"
        )
    print(f"sign changes when the period is stacked: {flips} of {len(rows)} rows")
    print(f"({len(seeds)} seeds, {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
