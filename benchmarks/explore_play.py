"""Play speed of ``cadresim explore`` against a headless run of the same scenario (CPU).

    python -m benchmarks.explore_play [scenario.yaml] [--months N]

Headless: ``CadreModel.step`` only. Play: what the page's play loop does on the server —
``ExploreModel.step`` and, whenever its frame clock says a frame is due
(:func:`sim.explore_app.frame_due`), the map and the four outcome plots redrawn and
encoded as SVG, as the page does. Issue 16 asks for play within
3× of the headless step time. CPU time (``time.process_time``), so other jobs on a
shared machine do not count; the browser's own drawing is not included.
"""

from __future__ import annotations

import argparse
import io
import time

from sim import explore
from sim.config import load_scenario
from sim.model import CadreModel


def measure(path: str, months: int) -> dict:
    from sim.explore_app import PLOTS, ExploreModel, LocalityFigure, OutcomeFigure

    scn = load_scenario(path)
    months = min(months, scn.n_steps)
    headless = CadreModel(scn)
    t0 = time.process_time()
    for _ in range(months):
        headless.step()
    step_cpu = (time.process_time() - t0) / months

    m = ExploreModel(base_scenario=scn, **explore.control_values(explore.controls(scn)))
    figures = [LocalityFigure(m), *(OutcomeFigure(m, s) for s in PLOTS)]

    def draw() -> None:
        for f in figures:
            f.update().savefig(io.BytesIO(), format="svg")

    def frame() -> None:  # drawn in the stepping thread; the page renders in Solara's
        t = time.perf_counter()
        draw()
        m.clock.rendered(t, time.perf_counter())

    m.on_frame = frame
    t0 = time.process_time()
    while m.step_index < months and m.running:  # play batches months per call
        m.step()
    play_cpu = (time.process_time() - t0) / m.step_index
    return {
        "scenario": path,
        "agents": m.people.n,
        "months": m.step_index,
        "frames": m.frame,
        "draw_ms": 1000 * m.clock.draw_seconds,
        "headless_ms_per_month": 1000 * step_cpu,
        "play_ms_per_month": 1000 * play_cpu,
        "ratio": play_cpu / step_cpu,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default="scenarios/reform_privatization.yaml")
    ap.add_argument("--months", type=int, default=48)
    args = ap.parse_args()
    r = measure(args.scenario, args.months)
    print(
        f"{r['scenario']}: {r['agents']:,} agents, {r['months']} months; headless "
        f"{r['headless_ms_per_month']:.1f} ms/month, play {r['play_ms_per_month']:.1f} ms/month "
        f"({r['frames']} frames of {r['draw_ms']:.0f} ms wall): "
        f"{r['ratio']:.2f}× headless (CPU)"
    )


if __name__ == "__main__":
    main()
