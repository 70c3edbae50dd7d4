"""One agent per person: the reform-era city at 10^7 people (issue 17, target 2).

``scenarios/reform_privatization.yaml`` with every population count scaled so the model
has ``N`` rows and ``people_per_agent: 1`` — the same regimes (privatization, residency,
repression and concession, rural taxes), the same dates (144 months, 1993–2004). Reports
set-up time (population, ties, cadre network, spin-up), run time and the peak resident
memory of the process (``ru_maxrss``; the target is 12 GiB), in a fresh subprocess per size.

Run: ``nice -n 10 .venv/bin/python -m benchmarks.city 10000000 [months]``. Progress goes
to stderr every 12 months; the last stdout line is the JSON row.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "reform_privatization.yaml"
KINDS = ("cadres", "technicians", "workers", "migrants", "peasants", "units", "villages")


def city_scenario(n_agents: int):
    """The reform-era city scaled to about ``n_agents`` rows at one agent per person."""
    from sim.config import load_scenario, parse_scenario, read_yaml
    from sim.population import urban_counts

    data = read_yaml(SCENARIO)
    base = load_scenario(SCENARIO)
    w, t = urban_counts(base)
    pop = base.population
    rows = pop.cadres + pop.technicians + pop.workers + pop.migrants + pop.peasants + w + t
    f = n_agents / rows
    data["population"] = {k: max(int(round(getattr(pop, k) * f)), 1) for k in KINDS}
    data["params"] = {**data.get("params", {}), "people_per_agent": 1}
    return parse_scenario(data)


def measure(n_agents: int, months: int | None = None) -> dict:
    from sim.model import CadreModel

    scn = city_scenario(n_agents)
    c0, w0 = time.process_time(), time.perf_counter()
    model = CadreModel(scn)
    setup_cpu, setup_wall = time.process_time() - c0, time.perf_counter() - w0
    rss_setup = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    c0 = time.process_time()
    months = model.n_steps if months is None else min(months, model.n_steps)
    while model.step_index < months:  # a shorter run is the first months of the same city
        model.step()
        if model.step_index % 12 == 0:
            print(
                f"month {model.step_index}: {time.process_time() - c0:.0f} s CPU",
                file=sys.stderr,
                flush=True,
            )
    run_cpu = time.process_time() - c0
    n = model.people.n
    return {
        "agents": n,
        "people_per_agent": scn.params.people_per_agent,
        "months": months,
        "setup_cpu_s": round(setup_cpu, 1),
        "setup_wall_s": round(setup_wall, 1),
        "run_cpu_s": round(run_cpu, 1),
        "cpu_us_per_agent_step": round(run_cpu / months / n * 1e6, 4),
        "peak_rss_gib_setup": round(rss_setup, 2),
        "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }


def run(n_agents: int = 10_000_000, months: int | None = None) -> dict:
    """``measure`` in a fresh subprocess, so the peak memory is this run's alone."""
    args = [sys.executable, "-m", "benchmarks.city", str(n_agents)]
    if months is not None:
        args.append(str(months))
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    m = int(sys.argv[2]) if len(sys.argv) > 2 else None
    print(json.dumps(measure(n, m)))
