"""Seed 003's central chain in the shipped reform scenario: more layoffs → more worker
protest (participants and events, at the former work units) and lower legitimacy.

``scenarios/reform_privatization.yaml`` is run at two ``layoff_share`` values (A1, line
14) with the same seeds (common random numbers); the table gives, per outcome over
1993–2004, the mean at each share, the paired difference ± its standard error and on how
many seeds the higher share is higher. Besides the built-in outcomes it decomposes the
protest (read before the state's response, so arrests do not hide who acted):

- by claim (``sim.submodels.protest.CLAIMS``): the employed's wages, xiagang stipends,
  the denied's status, retirees' pensions, migrants, land;
- at the former work units (units sold or converted, ``Unit.restructured ≥ 0``): events
  and people in them, all claims together;
- by who protests: the laid-off themselves (``laid_off ≥ 0``) and the employed staff,
  in people-months (active represented people summed over months);
- event size (people per event) and the state's hardness (``state_hardness``).

``--arm NAME`` repeats the comparison with a suspect switched off (a mechanism by name,
or ``stance_fixed``: ``stance_adapt`` 0, or ``no_job_fear``: ``job_fear`` 0). Run with

    .venv/bin/python -m benchmarks.layoff_chain [--seeds 4] [--base 0] [--low 0.25]
        [--high 0.9] [--arm emergent_stance ...]
"""

from __future__ import annotations

import argparse
import copy
import sys
import time

import numpy as np

from sim.config import parse_scenario, read_yaml
from sim.model import CadreModel
from sim.outcomes import summarize
from sim.state import Kind, Status
from sim.submodels import protest, state_response
from sim.submodels.protest import CLAIMS, N_CLAIMS

SCENARIO = "scenarios/reform_privatization.yaml"
SUMMARY = (
    "protest_events_total",
    "protest_participants_total",
    "benefit_events_total",
    "benefit_participants_total",
    "grievance_worker_mean",
    "legitimacy_mean",
    "arrests_total",
    "concessions_total",
    "pacifications_total",
    "xiagang_final",
)
#: arms: name → (scenario edits as (regime type or None, key, value), mechanisms off)
PARAM_ARMS = {
    "stance_fixed": ("repression_concession", "stance_adapt", 0.0),
    "no_job_fear": ("privatization", "job_fear", 0.0),
}


class Probe:
    """Per-run totals of the decomposed protest, read each month before the response."""

    def __init__(self) -> None:
        self.k = {}

    def add(self, key: str, value: float) -> None:
        self.k[key] = self.k.get(key, 0.0) + float(value)

    def __call__(self, model, events) -> None:
        p, u = model.people, model.units
        ppa = float(model.params.people_per_agent)
        n_u = u.n
        claim_n = np.bincount(events.claim, minlength=N_CLAIMS)
        claim_s = np.bincount(events.claim, weights=events.size, minlength=N_CLAIMS)
        for c, name in enumerate(CLAIMS):
            self.add(f"events_{name}", claim_n[c])
            self.add(f"people_{name}", claim_s[c])
        at_unit = events.locality < n_u
        sold = np.zeros(events.n, dtype=bool)
        sold[at_unit] = u.restructured[events.locality[at_unit]] >= 0
        self.add("events_former_units", np.count_nonzero(sold))
        self.add("people_former_units", events.size[sold].sum())
        rows, share = protest.active_rows(p)
        staff = (p.kind[rows] == Kind.WORKER) | (p.kind[rows] == Kind.TECHNICIAN)
        laid = staff & (p.laid_off[rows] >= 0) & (p.status[rows] != Status.EMPLOYED)
        emp = staff & (p.status[rows] == Status.EMPLOYED)
        self.add("laid_off_protesters", share[laid].sum() * ppa)
        self.add("employed_protesters", share[emp].sum() * ppa)
        all_staff = (p.kind == Kind.WORKER) | (p.kind == Kind.TECHNICIAN)
        self.add(
            "laid_off_people",
            np.count_nonzero(all_staff & (p.laid_off >= 0) & (p.status != Status.EMPLOYED)) * ppa,
        )
        self.add("months", 1)
        self.add("events", events.n)
        self.add("event_people", events.size.sum())
        self.add("hardness", model.tally.get("state_hardness", 0.0))


def _param_arm(arm: str) -> tuple[str, str, float]:
    """``regime.key=value`` → (regime type, key, value)."""
    lhs, value = arm.split("=")
    kind, key = lhs.split(".")
    return kind, key, float(value)


def scenario_for(base: dict, share: float, arm: str | None):
    d = copy.deepcopy(base)
    for r in d["regimes"]:
        if r["type"] == "privatization":
            r["layoff_share"] = share
    if arm in PARAM_ARMS or (arm and "=" in arm):
        kind, key, value = PARAM_ARMS.get(arm) or _param_arm(arm)
        for r in d["regimes"]:
            if r["type"] == kind:
                r[key] = value
    elif arm:
        d.setdefault("mechanisms", {})[arm] = False
    return parse_scenario(d)


def run_one(scenario, seed: int) -> dict[str, float]:
    """One run's summary outcomes and decomposition (per run totals)."""
    probe = Probe()
    original = state_response.respond

    def respond(model, events):
        probe(model, events)
        original(model, events)

    model = CadreModel(scenario, seed=seed)  # (spin-up months are not probed)
    state_response.respond = respond
    try:
        model.run()
    finally:
        state_response.respond = original
    s = summarize(model.records, model.n_steps)
    out = {k: float(s[k]) for k in SUMMARY}
    k = probe.k
    months = max(k.pop("months"), 1.0)
    out.update(k)
    out["people_per_event"] = k["event_people"] / max(k["events"], 1.0)
    out["hardness"] = k["hardness"] / months
    # The laid-off people's own protest per laid-off person-month (a rate).
    out["laid_off_rate"] = k["laid_off_protesters"] / max(k["laid_off_people"], 1.0)
    return out


def compare(base: dict, seeds: list[int], low: float, high: float, arm: str | None):
    rows = {}
    for share in (low, high):
        sc = scenario_for(base, share, arm)
        rows[share] = [run_one(sc, s) for s in seeds]
    keys = list(rows[low][0])
    a = np.array([[r[k] for k in keys] for r in rows[low]])
    b = np.array([[r[k] for k in keys] for r in rows[high]])
    return keys, a, b


def table(keys, a, b, low, high) -> str:
    n = a.shape[0]
    d = b - a
    se = d.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.zeros(d.shape[1])
    lines = [f"| outcome | {low} | {high} | diff ± se | higher on |", "|---|---|---|---|---|"]
    for j, k in enumerate(keys):
        lines.append(
            f"| {k} | {a[:, j].mean():.4g} | {b[:, j].mean():.4g} | "
            f"{d[:, j].mean():+.4g} ± {se[j]:.2g} | {int(np.sum(d[:, j] > 0))}/{n} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--base", type=int, default=0, help="first seed (seeds base..base+N-1)")
    ap.add_argument("--low", type=float, default=0.25)
    ap.add_argument("--high", type=float, default=0.9)
    ap.add_argument("--scenario", default=SCENARIO)
    ap.add_argument(
        "--arm",
        action="append",
        default=None,
        help="suspect switched off: a mechanism name, 'stance_fixed', 'no_job_fear' or "
        "'<regime type>.<parameter>=<value>' (repeatable; 'shipped' is the scenario as it is)",
    )
    args = ap.parse_args(argv)
    print("$ python -m benchmarks.layoff_chain " + " ".join(argv or sys.argv[1:]))
    base = read_yaml(args.scenario)
    seeds = list(range(args.base, args.base + args.seeds))
    for arm in args.arm or ["shipped"]:
        t0 = time.process_time()
        keys, a, b = compare(base, seeds, args.low, args.high, None if arm == "shipped" else arm)
        print(f"\n## {arm}: layoff_share {args.low} → {args.high}, seeds {seeds}")
        print(table(keys, a, b, args.low, args.high))
        print(f"(CPU {time.process_time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
