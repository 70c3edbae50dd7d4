"""Do regime effects compose? Each regime's headline effect alone and stacked.

For every pair of regimes whose windows overlap in a shipped scenario
(``scenarios/*.yaml``), the scenario is run (population scaled down by ``--scale``, people
per agent scaled up so the represented city is the same) with neither, each alone and
both, over the same seeds. A regime's *alone* effect is (A) − (none); its *stacked* effect
is (A + B) − (B). Both are paired differences over seeds, reported as mean ± se. A
headline effect composes when its sign survives stacking (``ok``: the stacked mean has the
expected sign, or both are within 2 se of zero).

``--case residency_coops`` reproduces issue 12 point 1: the effect of ``residency`` on mean
worker grievance under privatization, alone and with ``cooperatives`` stacked on it.

Run::

    .venv/bin/python -m benchmarks.composition [--seeds 30] [--seed-root 101] [--scale 4]
    .venv/bin/python -m benchmarks.composition --case residency_coops --seeds 30
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.config import load_scenario, parse_scenario
from sim.runner import run_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def headline(spec: dict) -> tuple[str, int]:
    """The summary column a regime is expected to move and the direction (+1 / −1)."""
    t = spec["type"]
    if t == "privatization":
        return "unemployed_mean", +1
    if t == "residency":
        return "grievance_migrant_mean", +1
    if t == "rural_taxes":
        return "grievance_peasant_mean", +1
    if t == "cooperatives":
        return "grievance_peasant_mean", -1
    if t == "repression_concession":
        stance = spec.get("stance", "mixed")
        return ("concessions_total", +1) if stance == "soft" else ("arrests_total", +1)
    if t == "campaign":
        return "legitimacy_mean", -1
    if t == "management":
        # party committee: fused roles cut technicians' autonomy, so alienation grows
        # (seed 002 O1, B2); one-man management: party cadres resist (O4).
        if spec.get("mode", "party_committee") == "party_committee":
            return "alienation_technician_mean", +1
        return "cadre_cooptation_mean", -1
    if t == "cadre_labour":
        return "accidents_total", -1
    if t == "mine_safety":
        return ("deaths_total", +1) if spec.get("decentralized", True) else ("deaths_total", -1)
    if t == "danwei_reactivation":
        return "grievance_worker_mean", -1
    if t == "grassroots":
        return "grievance_peasant_mean", -1
    if t == "union":
        return "arrests_total", +1 if spec.get("mode") == "independent" else -1
    raise KeyError(t)


@dataclass
class Pair:
    scenario: str
    base: dict  # the scenario as a mapping, without regimes
    a: dict
    b: dict
    backdrop: tuple[dict, ...] = ()
    outcome_a: str | None = None
    sign_a: int | None = None


def overlap(scn, a, b) -> bool:
    (sa, ea), (sb, eb) = scn.regime_window(a), scn.regime_window(b)
    return sa <= eb and sb <= ea


def shipped_pairs() -> list[Pair]:
    """Every pair of regimes with overlapping windows in a shipped scenario."""
    pairs = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        scn = load_scenario(path)
        if getattr(scn, "epstein", None) is not None or len(scn.regimes) < 2:
            continue
        data = scn.model_dump(mode="json", exclude_none=True)
        specs = data.pop("regimes")
        for (i, a), (j, b) in itertools.combinations(enumerate(specs), 2):
            if a["type"] != b["type"] and overlap(scn, scn.regimes[i], scn.regimes[j]):
                pairs.append(Pair(path.stem, data, a, b))
    return pairs


def residency_coops() -> list[Pair]:
    data = load_scenario(SCENARIOS / "privatization_with_coops.yaml").model_dump(
        mode="json", exclude_none=True
    )
    specs = data.pop("regimes")
    priv, _coops = specs
    # Both regimes from the scenario start, as in the measurement.
    return [
        Pair(
            "privatization_with_coops",
            data,
            {"type": "residency"},
            {"type": "cooperatives"},
            backdrop=(priv,),
            outcome_a="grievance_worker_mean",
            sign_a=+1,
        )
    ]


def scaled(base: dict, regimes: list[dict], scale: float) -> dict:
    d = {**base, "regimes": list(regimes)}
    pop = dict(d["population"])
    for k in ("cadres", "technicians", "workers", "migrants", "peasants"):
        if k in pop:
            pop[k] = max(int(pop[k] / scale), 1 if pop[k] else 0)
    for k in ("units", "villages"):
        if pop.get(k):
            pop[k] = max(int(pop[k] / np.sqrt(scale)), 1)
    d["population"] = pop
    params = dict(d.get("params", {}))
    params["people_per_agent"] = params.get("people_per_agent", 10) * scale
    d["params"] = params
    return d


def summaries(base, regimes, seeds, scale, cache) -> list[dict]:
    key = repr((base["name"], regimes))
    if key not in cache:
        s = parse_scenario(scaled(base, regimes, scale))
        cache[key] = [run_scenario(s, seed).summary for seed in seeds]
    return cache[key]


def effect(on: list[dict], off: list[dict], key: str) -> tuple[float, float]:
    d = np.array([a[key] - b[key] for a, b in zip(on, off, strict=True)], dtype=float)
    se = d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else float("nan")
    return float(d.mean()), float(se)


def composes(mean: float, se: float, sign: int) -> bool:
    """The stacked effect keeps its sign (or is indistinguishable from zero)."""
    return np.sign(mean) == sign or abs(mean) <= 2 * se


def measure(pairs: list[Pair], seeds: list[int], scale: float, show=None) -> list[dict]:
    rows, cache = [], {}
    for pr in pairs:
        bd = list(pr.backdrop)
        none = summaries(pr.base, bd, seeds, scale, cache)
        only_a = summaries(pr.base, [*bd, pr.a], seeds, scale, cache)
        only_b = summaries(pr.base, [*bd, pr.b], seeds, scale, cache)
        both = summaries(pr.base, [*bd, pr.a, pr.b], seeds, scale, cache)
        sides = [(pr.a, pr.b, only_a)]
        if pr.outcome_a is None:
            sides.append((pr.b, pr.a, only_b))
        for reg, partner, alone in sides:
            key, sign = headline(reg)
            if reg is pr.a and pr.outcome_a:
                key, sign = pr.outcome_a, pr.sign_a
            partner_alone = only_b if reg is pr.a else only_a
            m0, s0 = effect(alone, none, key)
            m1, s1 = effect(both, partner_alone, key)
            rows.append(
                dict(
                    scenario=pr.scenario,
                    regime=label(reg),
                    partner=label(partner),
                    outcome=key,
                    sign=sign,
                    alone=(m0, s0),
                    stacked=(m1, s1),
                    ok=composes(m1, s1, sign),
                )
            )
            if show is not None:
                show(rows[-1])
    return rows


def label(spec: dict) -> str:
    extra = {
        "campaign": "kind",
        "repression_concession": "stance",
        "management": "mode",
        "union": "mode",
    }.get(spec["type"])
    tag = spec.get(extra) if extra else None
    if spec["type"] == "mine_safety":
        tag = "decentralized" if spec.get("decentralized", True) else "central"
    return f"{spec['type']}({tag})" if tag else spec["type"]


def print_header() -> None:
    head = f"{'scenario':34s} {'regime':28s} {'partner':28s} {'outcome':24s} {'sign':>4s} "
    print(head + f"{'alone (mean ± se)':>22s} {'stacked (mean ± se)':>22s}  ok", flush=True)


def print_row(r: dict) -> None:
    a, s = r["alone"], r["stacked"]
    print(
        f"{r['scenario']:34s} {r['regime']:28s} {r['partner']:28s} {r['outcome']:24s} "
        f"{r['sign']:>+4d} {a[0]:>11.4g} ± {a[1]:<8.2g} {s[0]:>11.4g} ± {s[1]:<8.2g}  "
        f"{'yes' if r['ok'] else 'NO'}",
        flush=True,
    )


def fades(seeds: list[int]) -> None:
    """Issue 12 point 7: protest around the end of the Anti-Rightist campaign, and the
    month the reform scenario's rural relief fires."""
    from sim.calendar import Month
    from sim.model import CadreModel
    from sim.outcomes import OUTCOME_NAMES

    scn = load_scenario(SCENARIOS / "enterprise_1956_1966.yaml")
    end = next(r.end for r in scn.regimes if getattr(r, "kind", None) == "anti_rightist")
    k = scn.start.months_until(end) + 1  # first month after the campaign
    j = OUTCOME_NAMES.index("protest_participants")
    before, after = [], []
    for seed in seeds:
        m = CadreModel(scn, seed=seed)
        m.run()
        before.append(m.records[k - 6 : k, j].sum())
        after.append(m.records[k : k + 6, j].sum())
    d = np.array(after) - np.array(before)
    print(
        f"enterprise_1956_1966: protest participants (agents) in the 6 months after the "
        f"Anti-Rightist campaign ends ({end.plus(1)}…): {np.mean(after):.1f}, 6 months "
        f"before: {np.mean(before):.1f}; after − before {d.mean():.1f} ± "
        f"{d.std(ddof=1) / np.sqrt(d.size):.1f} (n={d.size})"
    )
    scn = load_scenario(SCENARIOS / "reform_privatization.yaml")
    j = OUTCOME_NAMES.index("rural_relief")
    months = []
    for seed in seeds[:10]:
        m = CadreModel(scn, seed=seed)
        m.run()
        hit = np.flatnonzero(m.records[:, j] > 0)
        months.append(str(scn.start.plus(int(hit[0]))) if hit.size else "never")
    print(f"reform_privatization: month rural relief fires, seeds {seeds[0]}–: {months}")
    _ = Month


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=30)
    ap.add_argument("--seed-root", type=int, default=101, help="seeds are root, root+1, …")
    ap.add_argument("--scale", type=float, default=4.0, help="population divisor")
    ap.add_argument("--case", choices=["shipped", "residency_coops", "fades"], default="shipped")
    ap.add_argument("--only", default=None, help="only pairs from this scenario")
    args = ap.parse_args(argv)
    print("command: python -m benchmarks.composition " + " ".join(sys.argv[1:]))
    seeds = list(range(args.seed_root, args.seed_root + args.seeds))
    if args.case == "fades":
        fades(seeds)
        return 0
    pairs = residency_coops() if args.case == "residency_coops" else shipped_pairs()
    if args.only:
        pairs = [p for p in pairs if p.scenario == args.only]
    c0 = time.process_time()
    print_header()
    rows = measure(pairs, seeds, args.scale, show=print_row)
    bad = [r for r in rows if not r["ok"]]
    print(
        f"\n{len(rows)} headline effects, {len(bad)} change sign when stacked; seeds "
        f"{seeds[0]}–{seeds[-1]}, population ÷ {args.scale:g}; "
        f"{time.process_time() - c0:.0f} s CPU"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
