"""Run every benchmark and write ``benchmarks/results.md`` and ``benchmarks/results.json``.

    python -m benchmarks                 # everything, the 10^7 city included (long)
    python -m benchmarks --city 0        # everything but the 10^7 city
    python -m benchmarks --quick         # smaller sizes, for a smoke check
    python -m benchmarks --only reform,model   # re-measure some sections, keep the rest

Targets (issue 17 "Speed for inference"; times are process CPU seconds, which the shared
2-core machine stretches less than wall time):

1. ``scenarios/reform_privatization.yaml`` ≤ 0.3 s of CPU per run, set-up included;
   ≤ 1 ms per step at 10^3 agents; ≤ 0.25 µs per agent-step at 10^5 and 10^6, all regimes.
2. A 10^7-agent city at ``people_per_agent: 1`` runs 144 months within 12 GiB.
3. Epstein mode ≥ 100× Mesa's ``EpsteinCivilViolence`` at 40×40, 100×100 and 200×200,
   under Mesa's defaults and NetLogo-style parameters (Jmax 30, cop density 0.04).
4. ``cadresim effects`` on the local pool and on Dask: overhead ≤ 10 % for runs ≥ 0.3 s.

Earlier targets (DESIGN.md): per-step data collection ≤ 10 % of step time; sweep overhead
≤ 10 % for runs ≥ 1 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import time
from pathlib import Path

from benchmarks import model_scaling
from sim.store import versions

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REFORM = ROOT / "scenarios" / "reform_privatization.yaml"
#: NetLogo-style settings of the issue: NetLogo's Jmax and cop density on Mesa's model
NETLOGO_STYLE = {"max_jail_term": 30, "cop_density": 0.04}
#: what ``--only`` can name
SECTIONS = ("reform", "model", "city", "epstein", "effects", "sweep")


def machine() -> dict:
    import os

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    # (a copy of the tree outside git, e.g. `git archive`, names its commit this way)
    commit = commit or os.environ.get("CADRESIM_BENCH_COMMIT", "")
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average_at_start": round(load, 1),
        "versions": versions(),
    }


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
    return str(v)


def table(rows: list[dict]) -> str:
    if not rows:
        return "(none)\n"
    cols = list(dict.fromkeys(k for r in rows for k in r))
    out = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n"
    for r in rows:
        out += "| " + " | ".join(_fmt(r.get(c, "")) for c in cols) + " |\n"
    return out


def reform_runs(repeats: int = 3) -> dict:
    """CPU seconds of one ``reform_privatization`` run, set-up included (best and mean)."""
    from sim.config import load_scenario
    from sim.runner import run_scenario

    scn = load_scenario(REFORM)
    run_scenario(scn, seed=scn.seed)  # warm-up: imports, compiled kernels, caches
    times = []
    for i in range(repeats):
        c0 = time.process_time()
        run_scenario(scn, seed=scn.seed + i)
        times.append(time.process_time() - c0)
    n = scn.population
    agents = n.cadres + n.technicians + n.workers + n.migrants + n.peasants
    return {
        "scenario": REFORM.name,
        "agents (before retirees)": agents,
        "months": scn.n_steps,
        "runs": repeats,
        "best_cpu_s": round(min(times), 3),
        "mean_cpu_s": round(sum(times) / len(times), 3),
    }


def verdict(value: float, limit: float, higher_is_better: bool = False) -> str:
    ok = value >= limit if higher_is_better else value <= limit
    if ok:
        return "met"
    off = limit / value if higher_is_better else value / limit
    return f"missed ({off:.2g}× off)"


def targets(results: dict) -> list[dict]:
    """One row per target of issue 17, with the measured figure and met / missed by how much."""
    rows = []
    r = results.get("reform")
    if r:
        rows.append(
            {
                "target": "reform_privatization ≤ 0.3 s CPU per run (set-up included)",
                "measured": f"{r['best_cpu_s']} s (mean {r['mean_cpu_s']} s)",
                "status": verdict(r["best_cpu_s"], 0.3),
            }
        )
    for m in results.get("model", []):
        if m["agents"] <= 2_000:
            rows.append(
                {
                    "target": f"≤ 1 ms per step at 10^3 agents ({m['agents']})",
                    "measured": f"{m['cpu_ms_per_step']} ms",
                    "status": verdict(m["cpu_ms_per_step"], 1.0),
                }
            )
        elif m["agents"] >= 90_000:
            rows.append(
                {
                    "target": f"≤ 0.25 µs per agent-step, all regimes, {m['agents']:,} agents",
                    "measured": f"{m['cpu_us_per_agent_step']} µs",
                    "status": verdict(m["cpu_us_per_agent_step"], 0.25),
                }
            )
    c = results.get("city")
    if c and "agents" in c:
        rows.append(
            {
                "target": f"{c['agents']:,} agents at people_per_agent 1, 144 months, ≤ 12 GiB",
                "measured": f"{c['months']} months, peak {c['peak_rss_gib']} GiB, set-up "
                f"{c['setup_cpu_s']} s, run {c['run_cpu_s']} s CPU",
                "status": verdict(c["peak_rss_gib"], 12.0)
                + ("" if c["months"] >= 144 else " (memory; fewer months)"),
            }
        )
    for label, epstein in (results.get("epstein") or {}).items():
        for e in epstein:
            if "ratio" in e:
                rows.append(
                    {
                        "target": f"Epstein ≥ 100× Mesa, {label}, {e['size']}",
                        "measured": f"{e['ratio']:.0f}×",
                        "status": verdict(e["ratio"], 100.0, higher_is_better=True),
                    }
                )
    for e in results.get("effects", []):
        if "overhead" in e:
            rows.append(
                {
                    "target": f"effects overhead ≤ 10 %, {e['executor']} "
                    f"(runs of {e['mean run (s)']} s)",
                    "measured": e["sweep overhead"] + f" (total with table and figure: "
                    f"{e['total overhead']})",
                    "status": verdict(e["overhead"], 0.10),
                }
            )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument(
        "--city",
        type=int,
        default=None,
        help="agents of the one-agent-per-person city (default 10^7, --quick 10^5; 0 skips)",
    )
    ap.add_argument("--mesa-budget", type=float, default=20.0, help="CPU s per Mesa timing")
    ap.add_argument(
        "--city-from",
        type=Path,
        default=None,
        help="only add this JSON row of `python -m benchmarks.city` to results.json/md",
    )
    ap.add_argument(
        "--only",
        default=None,
        help="comma-separated sections to measure (" + ", ".join(SECTIONS) + "); the "
        "others are kept from results.json, each with the commit and load it was measured at",
    )
    args = ap.parse_args()
    if args.city_from is not None:
        results = json.loads((HERE / "results.json").read_text())
        results["city"] = json.loads(args.city_from.read_text().strip().splitlines()[-1])
        results["city"]["measured"] = "separately, python -m benchmarks.city 10000000"
        write(results)
        return
    only = set(SECTIONS) if args.only is None else set(args.only.split(","))
    unknown = only - set(SECTIONS)
    if unknown:
        ap.error(f"unknown section(s) {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    results: dict = {}
    if args.only is not None and (HERE / "results.json").exists():
        results = json.loads((HERE / "results.json").read_text())
        results.pop("targets", None)
        old = results.get("machine", {})
        for name in SECTIONS:
            results.setdefault("measured_at", {}).setdefault(name, old)
    results["machine"] = machine()
    at = results.setdefault("measured_at", {})
    for name in only:
        at[name] = results["machine"]
    if "reform" in only:
        print("reform_privatization runs …", flush=True)
        results["reform"] = reform_runs(2 if args.quick else 5)
    sizes = (1_000, 10_000) if args.quick else (1_000, 10_000, 100_000, 1_000_000)
    months = 24 if args.quick else 240
    if "model" in only:
        print("full model, all regimes …", flush=True)
        results["model"] = model_scaling.run_sizes(sizes, months)
    city = args.city if args.city is not None else (100_000 if args.quick else 10_000_000)
    if city and "city" in only:
        from benchmarks import city as city_bench

        print(f"one agent per person, {city:,} agents …", flush=True)
        results["city"] = city_bench.run(city, 12 if args.quick else None)
    if "epstein" in only:
        epstein_section(results, args)
    if "effects" in only:
        effects_section(results, args)
    if "sweep" in only:
        sweep_section(results, args)
    write(results)


def epstein_section(results: dict, args) -> None:
    try:
        from benchmarks import bench_epstein
        from sim.epstein import DEFAULT_KERNEL, EpsteinParams

        print(f"Epstein mode ({DEFAULT_KERNEL} kernel) vs Mesa's example …", flush=True)
        lattices = ((40, 40),) if args.quick else ((40, 40), (100, 100), (200, 200))
        budget = 3.0 if args.quick else args.mesa_budget
        results["epstein_kernel"] = DEFAULT_KERNEL
        results["epstein"] = {
            "Mesa defaults": bench_epstein.bench(sizes=lattices, mesa_budget_s=budget),
            "NetLogo-style (Jmax 30, cop density 0.04)": bench_epstein.bench(
                sizes=lattices,
                mesa_budget_s=budget,
                params=EpsteinParams(preset="mesa", **NETLOGO_STYLE),
            ),
        }
    except ImportError as err:
        results["epstein"] = {"skipped": [{"skipped": str(err)}]}


def effects_section(results: dict, args) -> None:
    try:
        from benchmarks import effects_overhead

        print("effects overhead (process pool, Dask) …", flush=True)
        results["effects"] = effects_overhead.rows(seeds=1 if args.quick else 2, workers=2)
    except ImportError as err:
        results["effects"] = [{"skipped": str(err)}]


def sweep_section(results: dict, args) -> None:
    try:
        from benchmarks import bench_sweep

        print("sweep overhead …", flush=True)
        results["sweep"] = bench_sweep.bench(quick=args.quick)
    except ImportError as err:
        results["sweep"] = [{"skipped": str(err)}]


def _measured_at(results: dict) -> list[str]:
    """A line per section measured at another commit or time than the header's."""
    m, out = results["machine"], []
    for name, at in results.get("measured_at", {}).items():
        if at and (at.get("commit"), at.get("date")) != (m["commit"], m["date"]):
            out.append(
                f"- `{name}` kept from commit `{at.get('commit')}`, {at.get('date')} "
                f"(load average {at.get('load_average_at_start')} at its start)\n"
            )
    return out


def write(results: dict) -> None:
    """Write results.json and results.md (``--city-from FILE`` re-renders with a city
    measured separately by ``python -m benchmarks.city``)."""
    results["targets"] = targets(results)
    (HERE / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    m = results["machine"]
    md = [
        "# Benchmark results\n",
        f"Commit `{m['commit']}`, {m['date']}, {m['cpu']} ({m['cores']} cores, load average "
        f"{m['load_average_at_start']} at the start), Python {m['versions']['python']}, "
        f"Mesa {m['versions']['mesa']}, numpy {m['versions']['numpy']}. Times are process "
        "CPU seconds unless a column says wall.\n",
        "Regenerate with `make bench` (or `.venv/bin/python -m benchmarks`).\n",
        *_measured_at(results),
        "## Targets (issue 17)\n",
        table(results["targets"]),
        "## reform_privatization, one run, set-up included\n",
        table([results["reform"]]),
        "## Full model, all regimes on\n",
        table(results["model"]),
    ]
    if "city" in results:
        md += ["## One agent per person (benchmarks/city.py)\n", table([results["city"]])]
    for label, rows in results["epstein"].items():
        md += [
            f"## Epstein mode vs Mesa's EpsteinCivilViolence: {label} "
            f"({results.get('epstein_kernel', '')} kernel)\n",
            table(rows),
        ]
    md += [
        "## cadresim effects overhead (benchmarks/effects_overhead.py)\n",
        table(results["effects"]),
        "## Sweep overhead\n",
        table(results["sweep"]),
    ]
    (HERE / "results.md").write_text("\n".join(md))
    print("\n".join(md))


if __name__ == "__main__":
    main()
