"""Main outcomes of the elite regimes (campaign, cadre_labour, management, mine_safety),
regime on vs off, mean over seeds.

Run: ``.venv/bin/python -m benchmarks.regime_effects_elite [--seeds 10] [--only LABEL]``
(``--only "→"`` runs the conditional rows of issue 18: one rule off vs on).

Each row runs the same small urban scenario with the same seeds with and without the
regime (the ``+ campaign`` rows add the regime on top of an Anti-Rightist campaign, which
is the baseline there) and prints both means and the mean paired difference with its
standard error. The ``stacked`` columns repeat the paired difference with the other
regimes of the row's period on in both arms (``PERIODS``, from the shipped scenarios:
party-committee management and cadre labour for the campaigns of 1956–1976, a campaign
for management and cadre labour, cadre labour for mine safety in 2009–2016).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from sim.config import parse_scenario
from sim.runner import derive_seeds, run_scenario

POP = {"cadres": 120, "technicians": 240, "workers": 2400, "units": 12}
AR = {"type": "campaign", "kind": "anti_rightist", "start": "1960-01", "end": "1960-06"}
CR62 = {"type": "campaign", "kind": "cultural_revolution", "end": "1962-12"}

# (label, regimes off, regimes on, summary column, extra population)
ROWS = [
    ("CR campaign", [], [{"type": "campaign", "kind": "cultural_revolution"}],
     "cadre_cooptation_final", {}),
    ("CR campaign", [], [{"type": "campaign", "kind": "cultural_revolution"}],
     "elite_cohesion_mean", {}),
    ("CR campaign", [], [{"type": "campaign", "kind": "cultural_revolution"}],
     "factions_final", {}),
    ("CR campaign", [], [{"type": "campaign", "kind": "cultural_revolution"}],
     "alienation_technician_final", {}),
    ("Anti-Rightist 5%", [], [AR], "persecuted_final", {}),
    ("Four Cleanups (Mao)", [], [{"type": "campaign", "kind": "four_cleanups",
                                  "work_team": "mao"}], "cadre_cooptation_final", {}),
    ("Sanfan", [], [{"type": "campaign", "kind": "sanfan", "end": "1961-12"}],
     "output_mean", {}),
    ("cadre_labour 0.2", [], [{"type": "cadre_labour"}], "deaths_total",
     {"mining_share": 0.7}),
    ("cadre_labour 0.2", [], [{"type": "cadre_labour"}], "output_mean",
     {"mining_share": 0.7}),
    ("cadre_labour 0.2", [], [{"type": "cadre_labour"}], "grievance_worker_mean",
     {"mining_share": 0.7}),
    ("one_man + campaign", [AR], [AR, {"type": "management", "mode": "one_man"}],
     "elite_cohesion_mean", {}),
    ("one_man + campaign", [AR], [AR, {"type": "management", "mode": "one_man"}],
     "alienation_technician_final", {}),
    ("party_committee f=0.9 + campaign", [AR],
     [AR, {"type": "management", "mode": "party_committee", "fusion": 0.9}],
     "alienation_technician_final", {}),
    ("party_committee f=0.9", [],
     [{"type": "management", "mode": "party_committee", "fusion": 0.9}],
     "deaths_total", {"mining_share": 0.7}),
    ("mine_safety decentralized", [],
     [{"type": "mine_safety", "decentralized": True}], "mine_deaths_total",
     {"mining_share": 0.7}),
    ("mine_safety decentr. + native 0.8", [],
     [{"type": "mine_safety", "decentralized": True, "native_supervision": 0.8}],
     "mine_deaths_total", {"mining_share": 0.7}),
    # Conditional effects (issue 18): one rule of the regime off vs on.
    ("cadre_labour accuracy 0→0.04", [{"type": "cadre_labour", "accuracy_gain": 0.0}],
     [{"type": "cadre_labour"}], "output_mean", {"mining_share": 0.7}),
    ("cadre_labour merit 0→0.5", [{"type": "cadre_labour", "promotion_weight": 0.0,
                                   "compliance": 0.5}],
     [{"type": "cadre_labour", "compliance": 0.5}], "cadre_cooptation_final",
     {"mining_share": 0.7}),
    ("three-in-one teams 0→1", [{"type": "cadre_labour", "team_share": 0.0}],
     [{"type": "cadre_labour", "team_share": 1.0}], "alienation_technician_final", {}),
    ("three-in-one teams 0→1", [{"type": "cadre_labour", "team_share": 0.0}],
     [{"type": "cadre_labour", "team_share": 1.0}], "output_mean", {}),
    ("one_man dismissals 0→0.02", [{"type": "management", "mode": "one_man",
                                    "dismissal_rate": 0.0}],
     [{"type": "management", "mode": "one_man"}], "cadre_cooptation_final", {}),
    ("one_man destigma 0→0.5", [{"type": "management", "mode": "one_man", "destigma": 0.0}],
     [{"type": "management", "mode": "one_man"}], "cadre_cooptation_final", {}),
    # helper `regimes` (issue 18): E1 leniency after struggle (output over the three years
    # after a 1960-62 CR too), O6 the dossier holders' shield.
    ("CR leniency 0→0.6", [{**CR62, "leniency": 0.0}], [CR62], "output_mean", {}),
    ("CR dossier_shield 0→0.8", [{**CR62, "dossier_shield": 0.0}], [CR62],
     "cadres_overthrown_mean", {}),
]  # fmt: skip


MGMT = {"type": "management", "mode": "party_committee", "fusion": 0.6}
LABOUR = {"type": "cadre_labour", "share": 0.2, "compliance": 0.6, "rank_reluctance": 0.5}
FC = {"type": "campaign", "kind": "four_cleanups", "start": "1964-01"}
PERIODS = {
    "campaign": [MGMT, LABOUR],
    "cadre_labour": [MGMT, FC],
    "management": [LABOUR, FC],
    "mine_safety": [{"type": "cadre_labour", "ranks": [0, 1], "compliance": 0.8}],
}


def stack_for(off_r: list[dict], on_r: list[dict]) -> list[dict]:
    """The period's other regimes for the regime a row adds (not of a type already on)."""
    added = [r for r in on_r if r not in off_r][0]
    present = {r["type"] for r in on_r}
    return [r for r in PERIODS[added["type"]] if r["type"] not in present]


def scenario(regimes, **pop):
    return parse_scenario(
        {
            "name": "bench",
            "start": "1960-01",
            "end": "1965-12",
            "population": {**POP, **pop},
            "params": {"people_per_agent": 10},
            "regimes": regimes,
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--root", type=int, default=2024)
    ap.add_argument("--only", default=None, help="only rows whose label contains this")
    args = ap.parse_args()
    rows = [r for r in ROWS if args.only is None or args.only in r[0]]
    seeds = derive_seeds(args.root, args.seeds)
    cache: dict[tuple[str, int], dict] = {}

    def summaries(regimes, pop) -> list[dict]:
        key = repr((regimes, sorted(pop.items())))
        out = []
        for s in seeds:
            if (key, s) not in cache:
                cache[(key, s)] = run_scenario(scenario(regimes, **pop), seed=s).summary
            out.append(cache[(key, s)])
        return out

    t0 = time.perf_counter()
    print("command: python -m benchmarks.regime_effects_elite " + " ".join(sys.argv[1:]))
    print(
        f"{'regime':36s} {'outcome':30s} {'off':>9s} {'on':>9s} {'on-off':>9s} {'se':>7s}"
        f" {'stacked':>9s} {'se':>7s}"
    )
    flips = 0
    for label, off_r, on_r, col, pop in rows:
        off = np.array([r[col] for r in summaries(off_r, pop)])
        on = np.array([r[col] for r in summaries(on_r, pop)])
        d = on - off
        se = d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else float("nan")
        stack = stack_for(off_r, on_r)
        s_off = np.array([r[col] for r in summaries(off_r + stack, pop)])
        s_on = np.array([r[col] for r in summaries(on_r + stack, pop)])
        ds = s_on - s_off
        ses = ds.std(ddof=1) / np.sqrt(ds.size) if ds.size > 1 else float("nan")
        flips += int(np.sign(d.mean()) * np.sign(ds.mean()) < 0)
        print(
            f"{label:36s} {col:30s} {off.mean():9.3f} {on.mean():9.3f} {d.mean():9.3f} {se:7.3f}"
            f" {ds.mean():9.3f} {ses:7.3f}"
        )
    print(f"sign changes when the period is stacked: {flips} of {len(rows)} rows")
    print(f"\n{len(seeds)} seeds, 1960-01..1965-12, {sum(POP.values()) - POP['units']} agents, "
          f"{time.perf_counter() - t0:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()
