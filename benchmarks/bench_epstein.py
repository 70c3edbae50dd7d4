"""Speed of the vectorized Epstein kernel against Mesa's own example.

Both run Epstein's Model I on the same lattice and parameters (Mesa's
defaults, ``EpsteinParams(preset="mesa")``: von Neumann vision 7, round, cop
density 0.074, L = 0.8, Jmax = 1000). Throughput is agent-steps per second,
agents being citizens plus cops, jailed included (they are stepped in both).
One warm-up step is excluded from each timing: Mesa caches neighbourhoods on
first use, and the kernel's first step allocates scratch arrays. Times are
process CPU times (``time.process_time``): the project machine is shared, and
both implementations run single-threaded, so CPU time is the wall time an
idle machine would show, without other users' load.

Mesa's example gets a time budget rather than a step count, because a
200x200 Mesa step takes seconds.

Run: ``python -m benchmarks.bench_epstein`` (prints a Markdown table).

The same module reproduces measurements quoted in ``docs/epstein-docking.md``:
``python -m benchmarks.bench_epstein experiments`` (punctuated equilibrium, deceptive
behaviour, legitimacy, cop reductions). ``python -m benchmarks.bench_epstein dock`` is the
previous round's three-statistic comparison; the docking quoted now (six statistics, both
update orders, TOST) is ``benchmarks/dock_epstein.py``.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
from scipy import stats

from sim.epstein import (
    EpsteinLattice,
    EpsteinParams,
    gradual_schedule,
    mesa_reference_model,
    outbursts,
    run_epstein,
    run_mesa_reference,
    waiting_times,
)


def _time_kernel(params: EpsteinParams, steps: int, seed: int) -> tuple[int, float]:
    lattice = EpsteinLattice(params, np.random.default_rng(seed))
    lattice.step()  # warm-up
    start = time.process_time()
    lattice.run(steps)
    elapsed = time.process_time() - start
    return lattice.n_citizens + lattice.cop_pos.size, elapsed / steps


def _time_mesa(params: EpsteinParams, max_steps: int, budget_s: float, seed: int):
    model = mesa_reference_model(params, seed, max_iters=max_steps + 10)
    model.step()  # warm-up: fills Mesa's neighbourhood cache
    steps = 0
    start = time.process_time()
    while steps < max_steps and (steps < 2 or time.process_time() - start < budget_s):
        model.step()
        steps += 1
    elapsed = time.process_time() - start
    return len(model.agents), steps, elapsed / steps


def bench(
    sizes: tuple[tuple[int, int], ...] = ((40, 40), (100, 100), (200, 200)),
    steps: int = 200,
    mesa_budget_s: float = 20.0,
    seed: int = 1,
    params: EpsteinParams | None = None,
) -> list[dict]:
    """Time both implementations on each lattice size; one dict per size.

    ``steps`` kernel steps are timed; Mesa runs at most ``steps`` steps or
    until ``mesa_budget_s`` seconds have passed (at least 2 steps).
    """
    base = params if params is not None else EpsteinParams(preset="mesa")
    rows = []
    for width, height in sizes:
        p = base.model_copy(update={"width": width, "height": height})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            n_ours, t_ours = _time_kernel(p, steps, seed)
            n_mesa, mesa_steps, t_mesa = _time_mesa(p, steps, mesa_budget_s, seed)
        ours_rate = n_ours / t_ours
        mesa_rate = n_mesa / t_mesa
        rows.append(
            {
                "size": f"{width}x{height}",
                "agents": n_ours,
                "kernel_steps": steps,
                "kernel_ms_per_step": 1e3 * t_ours,
                "kernel_agent_steps_per_s": ours_rate,
                "mesa_agents": n_mesa,
                "mesa_steps": mesa_steps,
                "mesa_ms_per_step": 1e3 * t_mesa,
                "mesa_agent_steps_per_s": mesa_rate,
                "ratio": ours_rate / mesa_rate,
            }
        )
    return rows


def markdown(rows: list[dict]) -> str:
    head = (
        "| lattice | agents (kernel / Mesa) | kernel ms/step | kernel agent-steps/s "
        "| Mesa steps timed | Mesa ms/step | Mesa agent-steps/s | speed-up |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    lines = [
        f"| {r['size']} | {r['agents']} / {r['mesa_agents']} | {r['kernel_ms_per_step']:.2f} "
        f"| {r['kernel_agent_steps_per_s']:,.0f} | {r['mesa_steps']} "
        f"| {r['mesa_ms_per_step']:.1f} | {r['mesa_agent_steps_per_s']:,.0f} "
        f"| {r['ratio']:.0f}x |"
        for r in rows
    ]
    return head + "\n".join(lines)


# ---------------------------------------------------------------------------
# Docking: distributions over seeds (Axtell et al. 1996)
# ---------------------------------------------------------------------------

# "lively": NetLogo's L, cop density and Jmax under Mesa's conventions, the
# setting in which Mesa's example shows outbursts (science-anchors 1.3).
DOCK_SETTINGS = {
    "mesa defaults": {},
    "lively": {"legitimacy": 0.82, "cop_density": 0.04, "max_jail_term": 30},
}


def _run_stats(actives: np.ndarray) -> tuple[float, float, float]:
    """Run mean, run max and share of steps with >= 10 actives (step 0 dropped)."""
    a = actives[1:]
    return float(a.mean()), float(a.max()), float((a >= 10).mean())


def dock(
    cases: tuple[tuple[str, int, int, int], ...] = (
        ("mesa defaults", 20, 200, 10),
        ("lively", 20, 200, 30),
        ("mesa defaults", 40, 300, 10),
        ("lively", 40, 300, 10),
    ),
) -> list[dict]:
    """Kernel (Mesa conventions) against Mesa's example, seeds ``0..n-1`` each.

    ``cases`` holds (setting, lattice side, steps, seeds). For each run-level
    statistic the two samples of runs are compared with Mann-Whitney U
    (location), Kolmogorov-Smirnov (shape) and Levene (spread).
    """
    rows = []
    for setting, side, steps, n_seeds in cases:
        params = EpsteinParams(preset="mesa", width=side, height=side, steps=steps)
        params = params.model_copy(update=DOCK_SETTINGS[setting])
        ours, theirs = [], []
        for seed in range(n_seeds):
            ours.append(
                _run_stats(run_epstein(params, np.random.default_rng(seed)).active.to_numpy())
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs.append(_run_stats(run_mesa_reference(params, seed=seed).active.to_numpy()))
        ours_a, theirs_a = np.array(ours), np.array(theirs)
        for j, name in enumerate(("run mean actives", "run max actives", "share of steps >= 10")):
            o, m = ours_a[:, j], theirs_a[:, j]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mw = stats.mannwhitneyu(o, m).pvalue
                ks = stats.ks_2samp(o, m).pvalue
                lev = stats.levene(o, m).pvalue
            rows.append(
                {
                    "setting": setting,
                    "lattice": f"{side}x{side}",
                    "steps": steps,
                    "seeds": n_seeds,
                    "statistic": name,
                    "ours_mean": o.mean(),
                    "ours_sd": o.std(ddof=1),
                    "mesa_mean": m.mean(),
                    "mesa_sd": m.std(ddof=1),
                    "mw_p": mw,
                    "ks_p": ks,
                    "levene_p": lev,
                }
            )
    return rows


def dock_markdown(rows: list[dict]) -> str:
    head = (
        "| setting | lattice, steps, seeds | statistic | kernel mean (sd) | Mesa mean (sd) "
        "| MW p | KS p | Levene p |\n|---|---|---|---|---|---|---|---|\n"
    )
    return head + "\n".join(
        f"| {r['setting']} | {r['lattice']}, {r['steps']}, {r['seeds']} | {r['statistic']} "
        f"| {r['ours_mean']:.2f} ({r['ours_sd']:.2f}) | {r['mesa_mean']:.2f} ({r['mesa_sd']:.2f}) "
        f"| {r['mw_p']:.2g} | {r['ks_p']:.2g} | {r['levene_p']:.2g} |"
        for r in rows
    )


# ---------------------------------------------------------------------------
# Headline results of Epstein (2002) on the kernel
# ---------------------------------------------------------------------------


def experiments(seeds: range = range(8), legitimacy_seeds: range = range(20)) -> str:
    """Markdown report of the measurements quoted in docs/epstein-docking.md."""
    out = []
    rng = np.random.default_rng

    out.append("### Punctuated equilibrium (NetLogo preset, 1000 steps)\n")
    out.append("Outbursts start above 50 actives and end at 10 or fewer.\n")
    out.append("| seed | median | mean | max | outbursts | median wait | min wait | steps < 10 |")
    out.append("|---|---|---|---|---|---|---|---|")
    for seed in seeds:
        a = run_epstein(EpsteinParams(preset="netlogo", steps=1000), rng(seed)).active.to_numpy()[
            1:
        ]
        w = waiting_times(a, 50, end_level=10)
        out.append(
            f"| {seed} | {np.median(a):.0f} | {a.mean():.1f} | {a.max()} "
            f"| {outbursts(a, 50, end_level=10).size} "
            f"| {np.median(w):.0f} | {w.min()} | {(a < 10).mean():.2f} |"
        )

    out.append("\n### Deceptive behaviour (NetLogo preset, 300 steps, L constant)\n")
    out.append(
        "| seed | citizens | switched >= 2 times | mean dC before going active | before going quiet |"
    )
    out.append("|---|---|---|---|---|")
    for seed in seeds[:3]:
        lat = EpsteinLattice(EpsteinParams(preset="netlogo"), rng(seed))
        switches = np.zeros(lat.n_citizens, dtype=int)
        on, off = [], []
        prev = (lat.active.copy(), lat.free, lat.cops_seen.copy())
        for _ in range(300):
            lat.step()
            both = prev[1] & lat.free & ~np.isnan(prev[2])
            went_on, went_off = both & ~prev[0] & lat.active, both & prev[0] & ~lat.active
            switches += went_on | went_off
            d = lat.cops_seen - prev[2]
            on.append(d[went_on])
            off.append(d[went_off])
            prev = (lat.active.copy(), lat.free, lat.cops_seen.copy())
        out.append(
            f"| {seed} | {lat.n_citizens} | {np.count_nonzero(switches >= 2)} "
            f"| {np.concatenate(on).mean():+.2f} | {np.concatenate(off).mean():+.2f} |"
        )

    n = len(legitimacy_seeds)
    out.append(
        f"\n### Legitimacy: jump 0.9 -> 0.7 at step 80 vs slide 0.9 -> 0.7 over 250 steps "
        f"(NetLogo preset, {n} seeds)\n"
    )
    out.append(
        "| Jmax | jump peak, steps 80-130: mean (range) | slide peak, steps 0-250: mean (range) "
        "| seeds with jump > slide | jump >= 1.5 x slide |"
    )
    out.append("|---|---|---|---|---|")
    for jmax in (30, 100, 300, 1000):
        jump_peaks, slide_peaks = [], []
        for seed in legitimacy_seeds:
            base = dict(preset="netlogo", legitimacy=0.9, max_jail_term=jmax)
            jump = EpsteinParams(**base, legitimacy_schedule=[(80, 0.7)], steps=130)
            slide = EpsteinParams(
                **base, legitimacy_schedule=gradual_schedule(1, 250, 0.9, 0.7), steps=250
            )
            jump_peaks.append(int(run_epstein(jump, rng(seed)).active[80:].max()))
            slide_peaks.append(int(run_epstein(slide, rng(seed)).active.max()))
        j, s_ = np.array(jump_peaks), np.array(slide_peaks)
        out.append(
            f"| {jmax} | {j.mean():.0f} ({j.min()}-{j.max()}) | {s_.mean():.0f} ({s_.min()}-{s_.max()}) "
            f"| {np.count_nonzero(j > s_)}/{n} | {np.count_nonzero(j >= 1.5 * s_)}/{n} |"
        )

    out.append("\n### Cop reduction 0.04 -> 0 over steps 1-300 (NetLogo preset, L = 0.82)\n")
    out.append("| seed | mean actives, steps 1-100, 101-200, 201-300, 301-400 | constant cops |")
    out.append("|---|---|---|")
    ramp = gradual_schedule(1, 300, 0.04, 0.0)
    for seed in seeds[:3]:
        cut = run_epstein(EpsteinParams(preset="netlogo", cop_schedule=ramp, steps=400), rng(seed))
        const = run_epstein(EpsteinParams(preset="netlogo", steps=400), rng(seed))
        blocks = [round(float(cut.active[i : i + 100].mean()), 1) for i in range(1, 401, 100)]
        const_blocks = [
            round(float(const.active[i : i + 100].mean()), 1) for i in range(1, 401, 100)
        ]
        out.append(f"| {seed} | {blocks} | {const_blocks} |")
    return "\n".join(out)


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "bench"
    if command == "dock":
        print(dock_markdown(dock()))
    elif command == "experiments":
        print(experiments())
    else:
        print(markdown(bench()))
