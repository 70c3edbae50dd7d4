"""Fingerprints of run outputs, to check that a speed-up leaves results byte-identical.

    python -m benchmarks.fingerprint                 # print one line per scenario × seed
    python -m benchmarks.fingerprint > before.txt    # ... then diff against after
    python -m benchmarks.fingerprint --reference     # numpy references, no compiled kernel

Each line holds the sha256 of the timeseries, summary and events tables of one run
(``sim.runner.run_scenario``, the function ``cadresim run`` calls) and of the model's
final state arrays, over the shipped scenarios that exercise most of the step
(reform privatization, baseline, the Cultural Revolution) and the all-regimes scaling
scenario of ``benchmarks.model_scaling`` at 3,000 agents.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = (
    "reform_privatization.yaml",
    "baseline.yaml",
    "cultural_revolution_1966_1976.yaml",
)
SEEDS = (1, 2)


def frame_digest(df) -> str:
    """sha256 over a DataFrame's column names, dtypes and values (NaN-exact)."""
    h = hashlib.sha256()
    for name in df.columns:
        col = df[name]
        h.update(f"{name}:{col.dtype}".encode())
        values = col.to_numpy()
        if values.dtype == object:
            h.update("\x00".join(map(repr, values)).encode())
        else:
            h.update(np.ascontiguousarray(values).tobytes())
    return h.hexdigest()[:16]


def state_digest(model) -> str:
    h = hashlib.sha256()
    for cols in (model.people, model.units, model.villages):
        for name in sorted(cols.arrays):
            h.update(name.encode())
            h.update(np.ascontiguousarray(cols.arrays[name]).tobytes())
    return h.hexdigest()[:16]


def fingerprint(scenario, seed: int) -> str:
    import pandas as pd

    from sim.model import CadreModel
    from sim.runner import run_scenario

    res = run_scenario(scenario, seed=seed)
    model = CadreModel(scenario, seed=seed)
    model.run()
    summary = pd.DataFrame([res.summary])
    return " ".join(
        (
            frame_digest(res.timeseries),
            frame_digest(summary),
            frame_digest(res.events),
            state_digest(model),
        )
    )


def main(argv: list[str]) -> None:
    from benchmarks.model_scaling import all_regimes_scenario
    from sim import kernels
    from sim.config import load_scenario, parse_scenario

    if "--reference" in argv:  # every rule on its numpy reference (sim/kernels.py)
        kernels.wanted = lambda n_rows, compiled=None: False
    elif "--compiled" in argv:  # every rule on its compiled kernel
        kernels.wanted = lambda n_rows, compiled=None: True

    cases = [(name, load_scenario(ROOT / "scenarios" / name)) for name in SCENARIOS]
    cases.append(("all_regimes_3000", parse_scenario(all_regimes_scenario(3000, 120))))
    for name, scn in cases:
        for seed in SEEDS:
            print(f"{name} seed={seed} {fingerprint(scn, seed)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
