"""Docking of the Epstein kernel: equivalence with Mesa's example, and the NetLogo twin.

Quoted in ``docs/epstein-docking.md`` §3 and ``docs/validation.md``. Three parts:

``python -m benchmarks.dock_epstein mesa [SEEDS]``
    Mesa conventions (von Neumann vision 7, round, jailed keep their cell, cops stay,
    per-cell placement) at the issue-14 setting: 40x40, citizens 0.7, cops 0.04,
    L 0.82, Jmax 30, 500 steps, steps 0-50 dropped. The kernel in both update orders
    against ``mesa.examples.EpsteinCivilViolence`` on seeds 0..SEEDS-1 (default 20):
    per metric, Kolmogorov-Smirnov and Mann-Whitney p; for mean actives, a TOST
    equivalence test with margin ``MARGIN`` actives. Mesa's runs are cached in
    ``results/docking/`` (they take ~20 s each).
``python -m benchmarks.dock_epstein netlogo [SEEDS]``
    NetLogo conventions (disc, floor, jailed leave the lattice, arresting cop moves),
    the synchronous kernel against the sequential port of ``Rebellion.nlogo``'s ``go``,
    plus Epstein's reference behaviour (punctuated equilibrium) for both.
``python -m benchmarks.dock_epstein legitimacy [SEEDS]``
    Jump (0.9 -> 0.7 at step 80) against slide (0.9 -> 0.7 over 250 steps) for both
    conventions and both update orders, by Jmax.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import stats

from sim.epstein import (
    DOCKING_METRICS,
    EpsteinParams,
    docking_metrics,
    equivalence_test,
    gradual_schedule,
    run_epstein,
    run_mesa_reference,
)

# Issue 14's setting: NetLogo's L, cop density and Jmax, Mesa's conventions.
LIVELY = {"legitimacy": 0.82, "cop_density": 0.04, "max_jail_term": 30, "steps": 500}
MARGIN = 3.0  # actives, about 20 % of Mesa's mean of ~14-16 at this setting
CACHE = Path("results/docking")


def _cached(kind: str, params: EpsteinParams, seed: int, run) -> dict:
    """Docking metrics of one run, cached one JSON file per (kind, params, seed).

    One file per run, so several processes can fill the cache at once and an interrupted
    benchmark resumes. Delete ``results/docking/`` to recompute.
    """
    key = hashlib.sha1(params.model_dump_json().encode()).hexdigest()[:10]
    path = CACHE / f"{kind}-{key}-{seed}.json"
    if not path.exists():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row = docking_metrics(run(params, seed))
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(row))
        tmp.replace(path)
    return json.loads(path.read_text())


def _kernel_rows(params: EpsteinParams, seeds: range) -> list[dict]:
    def run(p, s):
        return run_epstein(p, np.random.default_rng(s))

    return [_cached("kernel", params, s, run) for s in seeds]


def _mesa_rows(params: EpsteinParams, seeds: range) -> list[dict]:
    def run(p, s):
        return run_mesa_reference(p, seed=s)

    return [_cached("mesa", params, s, run) for s in seeds]


def fill_cache(what: str, first: int, last: int) -> str:
    """Compute runs ``first..last-1`` of one docking sample (``what``), e.g. in parallel."""
    mesa = EpsteinParams(preset="mesa", **LIVELY)
    netlogo = EpsteinParams(preset="netlogo", steps=500)
    seeds = range(first, last)
    {
        "mesa": lambda: _mesa_rows(mesa, seeds),
        "mesa-seq": lambda: _kernel_rows(mesa.model_copy(update={"update": "sequential"}), seeds),
        "mesa-sync": lambda: _kernel_rows(mesa, seeds),
        "netlogo-seq": lambda: _kernel_rows(
            netlogo.model_copy(update={"update": "sequential"}), seeds
        ),
        "netlogo-sync": lambda: _kernel_rows(netlogo, seeds),
    }[what]()
    return f"cached {what} seeds {first}-{last - 1}"


def compare(a_rows: list[dict], b_rows: list[dict], name_a: str, name_b: str) -> list[dict]:
    """Per metric: means, sds, KS and MW p (NaN runs, e.g. no outburst, left out)."""
    out = []
    for m in DOCKING_METRICS:
        a = np.array([r[m] for r in a_rows], float)
        b = np.array([r[m] for r in b_rows], float)
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        ks = stats.ks_2samp(a, b).pvalue if a.size and b.size else float("nan")
        mw = stats.mannwhitneyu(a, b).pvalue if a.size and b.size else float("nan")
        out.append(
            {
                "metric": m,
                "a": name_a,
                "b": name_b,
                "a_mean": a.mean() if a.size else float("nan"),
                "a_sd": a.std(ddof=1) if a.size > 1 else float("nan"),
                "b_mean": b.mean() if b.size else float("nan"),
                "b_sd": b.std(ddof=1) if b.size > 1 else float("nan"),
                "n": f"{a.size}/{b.size}",
                "ks_p": ks,
                "mw_p": mw,
            }
        )
    return out


def table(rows: list[dict]) -> str:
    head = (
        "| metric | A | B | A mean (sd) | B mean (sd) | runs A/B | KS p | MW p |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    return head + "\n".join(
        f"| {r['metric']} | {r['a']} | {r['b']} | {r['a_mean']:.1f} ({r['a_sd']:.1f}) "
        f"| {r['b_mean']:.1f} ({r['b_sd']:.1f}) | {r['n']} | {r['ks_p']:.3g} | {r['mw_p']:.3g} |"
        for r in rows
    )


def dock_mesa(n_seeds: int = 20) -> str:
    seeds = range(n_seeds)
    base = EpsteinParams(preset="mesa", **LIVELY)
    t0 = time.process_time()
    mesa = _mesa_rows(base, seeds)
    t_mesa = time.process_time() - t0
    t0 = time.process_time()
    seq = _kernel_rows(base.model_copy(update={"update": "sequential"}), seeds)
    t_seq = time.process_time() - t0
    t0 = time.process_time()
    sync = _kernel_rows(base, seeds)
    t_sync = time.process_time() - t0
    rows = compare(seq, mesa, "kernel sequential", "Mesa") + compare(
        sync, mesa, "kernel synchronous", "Mesa"
    )
    ma = np.array([r["mean_actives"] for r in mesa])
    lines = [
        f"Mesa conventions, 40x40, L 0.82, cops 0.04, Jmax 30, 500 steps (0-50 dropped), "
        f"seeds 0-{n_seeds - 1}. CPU s: Mesa {t_mesa:.0f} (0 if cached), sequential "
        f"{t_seq:.0f}, synchronous {t_sync:.0f}.\n",
        table(rows),
        "",
        f"TOST for mean actives, margin +-{MARGIN} actives (Welch, scipy):",
    ]
    for name, rs in (("sequential", seq), ("synchronous", sync)):
        a = np.array([r["mean_actives"] for r in rs])
        lines.append(
            f"- kernel {name} vs Mesa: difference {a.mean() - ma.mean():+.2f}, "
            f"TOST p = {equivalence_test(a, ma, MARGIN):.3g}"
        )
    return "\n".join(lines)


def _reference_behaviour(rows: list[dict]) -> str:
    """Epstein's punctuated equilibrium: outbursts recur, with long quiet waits between."""
    n = len(rows)
    burst = sum(r["outbursts"] >= 2 for r in rows)
    wait = np.nanmedian([r["median_wait"] for r in rows])
    return f"{burst}/{n} runs with >= 2 outbursts; median of run median waits {wait:.0f} steps"


def dock_netlogo(n_seeds: int = 20) -> str:
    seeds = range(n_seeds)
    base = EpsteinParams(preset="netlogo", steps=500)
    t0 = time.process_time()
    seq = _kernel_rows(base.model_copy(update={"update": "sequential"}), seeds)
    t_seq = time.process_time() - t0
    sync = _kernel_rows(base, seeds)
    ma = np.array([r["mean_actives"] for r in seq])
    sa = np.array([r["mean_actives"] for r in sync])
    return "\n".join(
        [
            f"NetLogo conventions (Rebellion defaults), 500 steps (0-50 dropped), seeds "
            f"0-{n_seeds - 1}; sequential port {t_seq:.0f} CPU s.\n",
            table(compare(sync, seq, "kernel synchronous", "NetLogo sequential port")),
            "",
            f"TOST mean actives, margin +-{MARGIN}: p = {equivalence_test(sa, ma, MARGIN):.3g}",
            f"- reference behaviour, sequential port: {_reference_behaviour(seq)}",
            f"- reference behaviour, synchronous: {_reference_behaviour(sync)}",
        ]
    )


def legitimacy(n_seeds: int = 10) -> str:
    """Jump vs slide peaks for each convention, update order and Jmax."""
    out = [
        "| conventions | update | Jmax | jump peak mean (range) | slide peak mean (range) "
        "| jump > slide | jump >= 1.5 x slide |",
        "|---|---|---|---|---|---|---|",
    ]
    for preset in ("netlogo", "mesa"):
        for update in ("synchronous", "sequential"):
            for jmax in (30, 1000):
                j, s_ = [], []
                for seed in range(n_seeds):
                    base = dict(preset=preset, legitimacy=0.9, max_jail_term=jmax, update=update)
                    jump = EpsteinParams(**base, legitimacy_schedule=[(80, 0.7)], steps=130)
                    slide = EpsteinParams(
                        **base, legitimacy_schedule=gradual_schedule(1, 250, 0.9, 0.7), steps=250
                    )
                    rng = np.random.default_rng
                    j.append(int(run_epstein(jump, rng(seed)).active[80:].max()))
                    s_.append(int(run_epstein(slide, rng(seed)).active.max()))
                j, s_ = np.array(j), np.array(s_)
                out.append(
                    f"| {preset} | {update} | {jmax} | {j.mean():.0f} ({j.min()}-{j.max()}) "
                    f"| {s_.mean():.0f} ({s_.min()}-{s_.max()}) "
                    f"| {np.count_nonzero(j > s_)}/{n_seeds} "
                    f"| {np.count_nonzero(j >= 1.5 * s_)}/{n_seeds} |"
                )
    return "\n".join(out)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "mesa"
    if what == "fill":  # python -m benchmarks.dock_epstein fill SAMPLE FIRST LAST
        print(fill_cache(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
        sys.exit(0)
    n = int(sys.argv[2]) if len(sys.argv) > 2 else None
    fn = {"mesa": dock_mesa, "netlogo": dock_netlogo, "legitimacy": legitimacy}[what]
    print(fn(n) if n else fn())
