"""Docking the city's protest path on Epstein's lattice (``sim/city_docking.py``).

``python -m benchmarks.dock_city [SEEDS]`` (default 20 seeds; quoted in
``docs/epstein-docking.md`` §7 and ``docs/validation.md``). Issue-14 setting under Mesa's
conventions (40x40, L 0.82, cops 0.04, Jmax 30, 500 steps, steps 0-50 dropped). The
city's rules are swapped in one at a time, cumulatively; each row gives the six docking
metrics' means and the Kolmogorov-Smirnov p against the synchronous kernel and against
Mesa's example (Mesa's runs are read from ``benchmarks.dock_epstein``'s cache, or run).
"""

from __future__ import annotations

import hashlib
import sys
import time

import numpy as np
from scipy import stats

from benchmarks.dock_epstein import LIVELY, _cached, _kernel_rows, _mesa_rows
from sim.city_docking import CityDockingParams, run_city_docking
from sim.epstein import DOCKING_METRICS, EpsteinParams

STEPS: list[tuple[str, dict, dict]] = [
    ("1 city decision functions (exact)", {}, {}),
    ("2 + locality mean-field sensing (10x10 blocks)", {"perception": "locality"}, {}),
    ("3 + capacity arrests in protesting localities", {"arrest": "capacity"}, {}),
    ("4 + no citizen movement", {}, {"movement": False}),
    ("5 + city jail terms U{2..4}", {"jail_min": 2, "jail_max": 4}, {}),
]


def _ks(a: list[dict], b: list[dict], m: str) -> float:
    x = np.array([r[m] for r in a], float)
    y = np.array([r[m] for r in b], float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    return float(stats.ks_2samp(x, y).pvalue) if x.size and y.size else float("nan")


def city_data(n_seeds: int = 20) -> dict:
    """Per step: the six metrics' means, min KS p against the kernel and Mesa, CPU s."""
    seeds = range(n_seeds)
    base = EpsteinParams(preset="mesa", **LIVELY)
    # the city variants first: the kernel's and Mesa's runs may still be filling the cache
    variants = []
    city: dict = {}
    over: dict = {}
    for name, c, o in STEPS:
        city, over = {**city, **c}, {**over, **o}
        cp = CityDockingParams(**city)
        p = base.model_copy(update=over)
        kind = "city-" + hashlib.sha1(cp.model_dump_json().encode()).hexdigest()[:8]

        def run(prm, s, cp=cp):
            return run_city_docking(prm, cp, np.random.default_rng(s))

        t0 = time.process_time()
        rows = [_cached(kind, p, s, run) for s in seeds]
        variants.append((name, rows, time.process_time() - t0))
    kernel = _kernel_rows(base, seeds)
    mesa = _mesa_rows(base, seeds)

    def row(name: str, rows: list[dict], secs: float) -> dict:
        return {
            "step": name,
            "means": {m: float(np.nanmean([r[m] for r in rows])) for m in DOCKING_METRICS},
            "ks_p_kernel_min": min(_ks(rows, kernel, m) for m in DOCKING_METRICS),
            "ks_p_mesa_min": min(_ks(rows, mesa, m) for m in DOCKING_METRICS),
            "cpu_s": secs,
        }

    out = [row("kernel (synchronous)", kernel, 0), row("Mesa example", mesa, 0)]
    return {"seeds": n_seeds, "rows": out + [row(*v) for v in variants]}


def city_table(data: dict) -> str:
    head = (
        "| step | "
        + " | ".join(DOCKING_METRICS)
        + " | KS p vs kernel (min) | KS p vs Mesa (min) | CPU s |"
    )
    lines = [head, "|" + "---|" * (len(DOCKING_METRICS) + 4)]
    for r in data["rows"]:
        lines.append(
            f"| {r['step']} | "
            + " | ".join(f"{r['means'][m]:.1f}" for m in DOCKING_METRICS)
            + f" | {r['ks_p_kernel_min']:.2g} | {r['ks_p_mesa_min']:.2g} | {r['cpu_s']:.0f} |"
        )
    return "\n".join(lines)


def dock_city(n_seeds: int = 20) -> str:
    return city_table(city_data(n_seeds))


if __name__ == "__main__":
    print(dock_city(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
