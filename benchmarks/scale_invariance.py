"""Protest outcomes at the same represented city across people_per_agent (issue 12, point 3).

The same city — the same people, the same work units and villages, the reform-era
regimes of ``scenarios/reform_privatization.yaml`` — is represented by agents standing
for 1, 5 and 10 people each. Protest outcomes are defined on represented people, so they
should agree: per-capita participants (people in events per person per year), events
per 100,000 people per year and the shares of size classes I–IV. The table gives the
mean ± standard error over seeds at each scale and, for people_per_agent 5 and 10, the
ratio to the finest scale (people_per_agent 1): paired (the same seed at each scale, mean
± se of the per-seed ratios) and pooled (ratio of the means over seeds); the acceptance
band is ±15 % on the pooled ratio. Run with

    .venv/bin/python -m benchmarks.scale_invariance [--seeds 8] [--people 60000] [--years 6]

CPU time (``time.process_time``) per run is printed too.

The last two rows diagnose the size distribution: events of at least 10 people (one
whole agent at the coarsest scale) and the class II+ share among them. An agent stands
for ``people_per_agent`` people who share its circumstances but each have their own risk
aversion, so its turnout is drawn in single people (sim/submodels/protest.py, docs/ODD.md
7.3); before, an agent was ``people_per_agent`` people deciding alike, groups below one
agent could not occur and the upper tail was fatter.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from sim.config import parse_scenario
from sim.runner import derive_seeds, run_scenario

SCALES = (1.0, 5.0, 10.0)
TOLERANCE = 0.15
# Shares of the represented city by type, as in scenarios/reform_privatization.yaml.
SHARES = {
    "cadres": 300,
    "technicians": 600,
    "workers": 9000,
    "migrants": 4000,
    "peasants": 16000,
}
METRICS = (
    "participants per person-year",
    "events per 100k people-year",
    "share class I",
    "share class II",
    "share class III",
    "share class IV",
    # Resolution diagnostics: events of at least RESOLVED people, which every scale here
    # can represent (one agent at the coarsest scale), and their class II+ share.
    "events >= 10 people per 100k people-year",
    "share class II+ of events >= 10 people",
)
#: The smallest group every compared scale can resolve: one agent at the coarsest scale.
RESOLVED = max(SCALES)


def city(people: int, people_per_agent: float, years: int, units: int, villages: int) -> dict:
    """The scenario of a city of ``people`` represented people at the given scale."""
    total = sum(SHARES.values())
    pop = {k: max(1, int(round(people * v / total / people_per_agent))) for k, v in SHARES.items()}
    return {
        "name": "scale_invariance",
        "start": "1995-01",
        "end": f"{1995 + years - 1}-12",
        "seed": 1,
        "population": {**pop, "units": units, "villages": villages},
        "params": {"legitimacy": 0.8, "people_per_agent": people_per_agent},
        "regimes": [
            {"type": "privatization", "start": "1995-01", "layoff_share": 0.75},
            {"type": "residency", "start": "1995-01"},
            {"type": "repression_concession", "start": "1995-01", "stance": "mixed"},
            {"type": "rural_taxes", "start": "1995-01"},
        ],
        "output": {"events": True},
    }


def measure(scenario: dict, seed: int) -> tuple[np.ndarray, float]:
    """The protest metrics of one run, and its CPU seconds."""
    scn = parse_scenario(scenario)
    ppa = scn.params.people_per_agent
    people = scn.population.total * ppa
    years = scn.n_steps / 12.0
    t0 = time.process_time()
    res = run_scenario(scn, seed)
    cpu = time.process_time() - t0
    ev = res.events
    n_ev = max(len(ev), 1)
    classes = [np.count_nonzero(ev["size_class"].to_numpy() == k) / n_ev for k in (1, 2, 3, 4)]
    size = ev["size"].to_numpy()
    resolved = size >= RESOLVED
    n_res = int(np.count_nonzero(resolved))
    big = np.count_nonzero(size >= 30.0) / max(n_res, 1)
    return (
        np.array(
            [
                res.summary["protest_participants_total"] / people / years,
                res.summary["protest_events_total"] / people * 1e5 / years,
                *classes,
                n_res / people * 1e5 / years,
                big,
            ]
        ),
        cpu,
    )


def run(
    seeds: int, people: int, years: int, units: int, villages: int, base: int = 20260601
) -> dict[float, np.ndarray]:
    """Per scale, a (seeds × metrics) array; row ``k`` is the same seed at every scale."""
    out: dict[float, np.ndarray] = {}
    for ppa in SCALES:
        rows, cpus = [], []
        for sd in derive_seeds(base, seeds):
            r, c = measure(city(people, ppa, years, units, villages), sd)
            rows.append(r)
            cpus.append(c)
        out[ppa] = np.array(rows)
        print(f"  people_per_agent {ppa:g}: {np.mean(cpus):.1f} s CPU per run", file=sys.stderr)
    return out


def paired_ratio(x: np.ndarray, ref: np.ndarray) -> tuple[float, float, int]:
    """Mean ± standard error of the per-seed ratios ``x / ref`` (seeds where ``ref > 0``),
    and how many seeds they are. The same seed at two scales shares the scenario and the
    root of its random streams (paired), so the ratio's spread is that of one city's
    realisations, not of two cities' means."""
    ok = ref > 0
    r = x[ok] / ref[ok]
    if r.size == 0:
        return float("nan"), float("nan"), 0
    se = r.std(ddof=1) / np.sqrt(r.size) if r.size > 1 else float("nan")
    return float(r.mean()), float(se), int(r.size)


def table(results: dict[float, np.ndarray]) -> tuple[str, bool]:
    """Markdown table: per metric the mean ± se at each scale, and per coarser scale the
    paired ratio to people_per_agent 1 (mean ± se over seeds) and the pooled ratio (of
    the means). A metric passes when every pooled ratio is within ``TOLERANCE``; shares
    below 2 % at people_per_agent 1 are too rare to compare at this size and are shown,
    not judged."""
    fine = results[SCALES[0]]
    head = [f"ppa {s:g}" for s in SCALES]
    head += [f"ratio {s:g}/{SCALES[0]:g} paired (pooled)" for s in SCALES[1:]]
    lines = ["| metric | " + " | ".join(head) + " | judged |", "|---" * (len(head) + 2) + "|"]
    ok = True
    for j, name in enumerate(METRICS):
        cells = []
        for s in SCALES:
            x = results[s][:, j]
            se = x.std(ddof=1) / np.sqrt(x.size) if x.size > 1 else float("nan")
            cells.append(f"{x.mean():.4g} ± {se:.2g}")
        ref = fine[:, j].mean()
        judged = not name.startswith("share") or ref >= 0.02
        within = True
        for s in SCALES[1:]:
            mean, se, _ = paired_ratio(results[s][:, j], fine[:, j])
            pooled = results[s][:, j].mean() / ref if ref > 0 else float("nan")
            within &= bool(abs(pooled - 1.0) <= TOLERANCE)
            cells.append(f"{mean:.3f} ± {se:.3f} ({pooled:.3f})")
        ok &= within or not judged
        mark = ("yes" if within else "NO") if judged else "not judged"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {mark} |")
    return "\n".join(lines), ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--people", type=int, default=60_000, help="represented people")
    ap.add_argument("--years", type=int, default=6)
    ap.add_argument("--units", type=int, default=20)
    ap.add_argument("--villages", type=int, default=20)
    ap.add_argument(
        "--base", type=int, default=20260601, help="root seed (another gives fresh seeds)"
    )
    a = ap.parse_args(argv)
    cmd = (
        f".venv/bin/python -m benchmarks.scale_invariance --seeds {a.seeds} --people "
        f"{a.people} --years {a.years} --units {a.units} --villages {a.villages}"
        + ("" if a.base == 20260601 else f" --base {a.base}")
    )
    print(cmd)
    text, ok = table(run(a.seeds, a.people, a.years, a.units, a.villages, a.base))
    print(text)
    print(f"within ±{TOLERANCE:.0%} of people_per_agent 1: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
