"""Full-model scaling: all regimes on, 10^3 … 10^6 agents.

Each size runs in a fresh subprocess so peak memory (ru_maxrss) belongs to that size alone.
Run one size by hand: ``python -m benchmarks.model_scaling 100000 240``.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

# Population shares of the reform-era scenario (DESIGN.md "Scenario files").
SHARES = {"cadres": 0.01, "technicians": 0.02, "workers": 0.45, "migrants": 0.17, "peasants": 0.35}


def all_regimes_scenario(n_agents: int, months: int) -> dict:
    """A scenario with every registered regime active for the whole run, at defaults."""
    from sim.config import Params, parse_scenario
    from sim.population import urban_counts
    from sim.regimes import REGISTRY
    from sim.submodels.demography import GRADUATE_DELAY, retirees_per_worker

    # The shares are of rows. Technician and worker rows also hold their retired
    # (docs/ODD.md 5), so the population counts (the employed) are their share of the
    # block; peasants take up the rounding so the model has exactly ``n_agents`` rows.
    prm = Params()

    def employed(share: float, entry: float) -> int:
        r = retirees_per_worker(entry, prm.retirement_age, prm.mortality_60, prm.mortality_slope)
        return max(int(round(share * n_agents / (1.0 + r))), 1)

    pop = {k: max(int(round(v * n_agents)), 1) for k, v in SHARES.items()}
    pop["technicians"] = employed(SHARES["technicians"], prm.entry_age + GRADUATE_DELAY)
    pop["workers"] = employed(SHARES["workers"], prm.entry_age)
    pop["units"] = max(n_agents // 250, 2)
    pop["villages"] = max(n_agents // 300, 1)
    end_year, end_month = 1993 + (months - 1) // 12, (months - 1) % 12 + 1
    data = {
        "name": f"scaling_{n_agents}",
        "start": "1993-01",
        "end": f"{end_year}-{end_month:02d}",
        "seed": 1,
        "population": pop,
        "params": {"people_per_agent": max(1.0, 1e6 / n_agents)},
        "regimes": [{"type": name} for name in sorted(REGISTRY)],
    }
    retired_w, retired_t = urban_counts(parse_scenario(data))
    others = sum(pop[k] for k in ("cadres", "technicians", "workers", "migrants"))
    pop["peasants"] = max(n_agents - others - retired_w - retired_t, 1)
    return data


def measure(n_agents: int, months: int) -> dict:
    """Time set-up and steps, and the share of step time spent recording outcomes."""
    from sim.config import parse_scenario
    from sim.model import CadreModel
    from sim.outcomes import OUTCOMES

    scenario = parse_scenario(all_regimes_scenario(n_agents, months))
    t0, c0 = time.perf_counter(), time.process_time()
    model = CadreModel(scenario, seed=1)
    setup, setup_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    model.run()
    run, cpu = time.perf_counter() - t0, time.process_time() - c0
    reps = 20
    t0 = time.perf_counter()
    for _ in range(reps):
        [o.compute(model) for o in OUTCOMES]
    collect = (time.perf_counter() - t0) / reps
    n = model.people.n
    step = run / months
    return {
        "agents": n,
        "months": months,
        "regimes": len(scenario.regimes),
        "setup_s": round(setup, 3),
        "setup_cpu_s": round(setup_cpu, 3),
        "run_s": round(run, 3),
        "run_cpu_s": round(cpu, 3),
        "cpu_s_per_240_months": round(cpu * 240 / months, 2),
        "ms_per_step": round(step * 1e3, 2),
        "cpu_ms_per_step": round(cpu / months * 1e3, 3),
        "us_per_agent_step": round(step / n * 1e6, 4),
        "cpu_us_per_agent_step": round(cpu / months / n * 1e6, 4),
        "collect_share": round(collect / step, 4),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_sizes(sizes=(1_000, 10_000, 100_000, 1_000_000), months: int = 240) -> list[dict]:
    rows = []
    for n in sizes:
        m = months if n <= 100_000 else min(months, 60)
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.model_scaling", str(n), str(m)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]), int(sys.argv[2]))))
