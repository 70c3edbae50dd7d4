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

import functools
import hashlib
import json
import os
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


# What each kind of cached run depends on: a change in any of it recomputes the run, so a
# cache filled on an older tree is never read as this tree's result (docs/validation.md
# quotes the docking table of the tree it describes). Mesa's runs depend on Mesa's
# version and on the wrapper functions only, so a kernel change does not recompute them.
_KERNEL_FILES = (
    "sim/epstein.py",
    "sim/epstein_kernels.py",
    "sim/epstein_sequential.py",
    "sim/epstein_params.py",
)
_CITY_FILES = (
    *_KERNEL_FILES,
    "sim/city_docking.py",
    "sim/submodels/protest.py",
    "sim/submodels/state_response.py",
)
_ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def code_key(kind: str) -> str:
    """A short hash of the code the runs of ``kind`` (kernel, mesa, city-...) depend on."""
    import inspect

    import mesa

    import sim.epstein as ep

    h = hashlib.sha1()
    if kind == "mesa":
        h.update(mesa.__version__.encode())
        for f in (
            ep.mesa_reference_model,
            ep.run_mesa_reference,
            ep.docking_metrics,
            ep.outbursts,
        ):
            h.update(inspect.getsource(f).encode())
        h.update((_ROOT / "sim/epstein_params.py").read_bytes())
    else:
        for f in _CITY_FILES if kind.startswith("city") else _KERNEL_FILES:
            h.update((_ROOT / f).read_bytes())
    return h.hexdigest()[:8]


def _cached(kind: str, params: EpsteinParams, seed: int, run, measure=docking_metrics) -> dict:
    """Docking metrics of one run, cached one JSON file per (kind, code, params, seed).

    One file per run, so several processes can fill the cache at once and an interrupted
    benchmark resumes. The key includes :func:`code_key`, so a code change recomputes.
    Delete ``results/docking/`` to recompute anyway.
    """
    key = hashlib.sha1(params.model_dump_json().encode()).hexdigest()[:10]
    path = CACHE / f"{kind}-{code_key(kind)}-{key}-{seed}.json"
    if not path.exists():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row = measure(run(params, seed))
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
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


def mesa_data(n_seeds: int = 20) -> dict:
    """Mesa's conventions: both update orders of the kernel against Mesa's example."""
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
    tost = {}
    for name, rs in (("sequential", seq), ("synchronous", sync)):
        a = np.array([r["mean_actives"] for r in rs])
        tost[name] = {
            "difference": float(a.mean() - ma.mean()),
            "p": float(equivalence_test(a, ma, MARGIN)),
        }
    return {
        "seeds": n_seeds,
        "rows": rows,
        "tost_margin": MARGIN,
        "tost": tost,
        "cpu_s": {"mesa": t_mesa, "sequential": t_seq, "synchronous": t_sync},
    }


def dock_mesa(n_seeds: int = 20) -> str:
    d = mesa_data(n_seeds)
    t = d["cpu_s"]
    lines = [
        f"Mesa conventions, 40x40, L 0.82, cops 0.04, Jmax 30, 500 steps (0-50 dropped), "
        f"seeds 0-{n_seeds - 1}. CPU s: Mesa {t['mesa']:.0f} (0 if cached), sequential "
        f"{t['sequential']:.0f}, synchronous {t['synchronous']:.0f}.\n",
        table(d["rows"]),
        "",
        f"TOST for mean actives, margin +-{MARGIN} actives (Welch, scipy):",
    ]
    for name, r in d["tost"].items():
        lines.append(
            f"- kernel {name} vs Mesa: difference {r['difference']:+.2f}, TOST p = {r['p']:.3g}"
        )
    return "\n".join(lines)


def _reference_behaviour(rows: list[dict]) -> str:
    """Epstein's punctuated equilibrium: outbursts recur, with long quiet waits between."""
    n = len(rows)
    burst = sum(r["outbursts"] >= 2 for r in rows)
    wait = np.nanmedian([r["median_wait"] for r in rows])
    return f"{burst}/{n} runs with >= 2 outbursts; median of run median waits {wait:.0f} steps"


def netlogo_data(n_seeds: int = 20) -> dict:
    """NetLogo's conventions: the synchronous kernel against the sequential port."""
    seeds = range(n_seeds)
    base = EpsteinParams(preset="netlogo", steps=500)
    t0 = time.process_time()
    seq = _kernel_rows(base.model_copy(update={"update": "sequential"}), seeds)
    t_seq = time.process_time() - t0
    sync = _kernel_rows(base, seeds)
    ma = np.array([r["mean_actives"] for r in seq])
    sa = np.array([r["mean_actives"] for r in sync])
    return {
        "seeds": n_seeds,
        "rows": compare(sync, seq, "kernel synchronous", "NetLogo sequential port"),
        "tost_margin": MARGIN,
        "tost_p": float(equivalence_test(sa, ma, MARGIN)),
        "reference_sequential": _reference_behaviour(seq),
        "reference_synchronous": _reference_behaviour(sync),
        "cpu_s": {"sequential": t_seq},
    }


def dock_netlogo(n_seeds: int = 20) -> str:
    d = netlogo_data(n_seeds)
    return "\n".join(
        [
            f"NetLogo conventions (Rebellion defaults), 500 steps (0-50 dropped), seeds "
            f"0-{n_seeds - 1}; sequential port {d['cpu_s']['sequential']:.0f} CPU s.\n",
            table(d["rows"]),
            "",
            f"TOST mean actives, margin +-{MARGIN}: p = {d['tost_p']:.3g}",
            f"- reference behaviour, sequential port: {d['reference_sequential']}",
            f"- reference behaviour, synchronous: {d['reference_synchronous']}",
        ]
    )


LEGITIMACY_HEAD = (
    "| conventions | update | Jmax | jump peak mean (range) | slide peak mean (range) "
    "| jump > slide | jump >= 1.5 x slide |\n|---|---|---|---|---|---|---|"
)


def _kernel(p: EpsteinParams, seed: int):
    return run_epstein(p, np.random.default_rng(seed))


def _peak_after(step: int):
    def peak(frame) -> int:
        return int(frame["active"].to_numpy()[step:].max())

    return peak


def legitimacy_data(n_seeds: int = 10) -> list[dict]:
    """Jump vs slide peaks for each convention, update order and Jmax (one row each)."""
    rows = []
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
                    j.append(_cached("legit-jump", jump, seed, _kernel, _peak_after(80)))
                    s_.append(_cached("legit-slide", slide, seed, _kernel, _peak_after(0)))
                rows.append(
                    {"preset": preset, "update": update, "jmax": jmax, "jump": j, "slide": s_}
                )
    return rows


def legitimacy_table(rows: list[dict]) -> str:
    out = [LEGITIMACY_HEAD]
    for r in rows:
        j, s_ = np.array(r["jump"]), np.array(r["slide"])
        n = j.size
        out.append(
            f"| {r['preset']} | {r['update']} | {r['jmax']} | {j.mean():.0f} "
            f"({j.min()}-{j.max()}) | {s_.mean():.0f} ({s_.min()}-{s_.max()}) "
            f"| {np.count_nonzero(j > s_)}/{n} | {np.count_nonzero(j >= 1.5 * s_)}/{n} |"
        )
    return "\n".join(out)


def legitimacy(n_seeds: int = 10) -> str:
    return legitimacy_table(legitimacy_data(n_seeds))


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "mesa"
    if what == "fill":  # python -m benchmarks.dock_epstein fill SAMPLE FIRST LAST
        print(fill_cache(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
        sys.exit(0)
    n = int(sys.argv[2]) if len(sys.argv) > 2 else None
    fn = {"mesa": dock_mesa, "netlogo": dock_netlogo, "legitimacy": legitimacy}[what]
    print(fn(n) if n else fn())
