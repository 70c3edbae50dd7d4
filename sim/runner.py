"""Running scenarios: one seeded run in memory, or replicates written to a run folder."""

from __future__ import annotations

import datetime as _dt
import multiprocessing
import multiprocessing.context
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim import reporters, store
from sim.config import Scenario, ScenarioError
from sim.model import CadreModel
from sim.outcomes import OUTCOME_NAMES, summarize
from sim.submodels.protest import CLAIMS


def pool_context() -> multiprocessing.context.BaseContext:
    """A process-pool context that is safe here and as cheap as that allows.

    Forking while another Python thread runs (Dask's, a progress bar's, a watcher's) can
    deadlock the child on a lock that thread held. So pools fork only when this process
    runs no other Python thread — the usual case for ``cadresim sweep``, and the cheapest
    start — and otherwise use a fork server that preloads the model (about 2 s once per
    pool). Native pools (OpenBLAS, Arrow) reinitialize themselves after a fork. The
    global start method is never changed, unlike Mesa's ``batch_run``.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" not in methods:  # Windows
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["sim.runner"])
    return ctx


MAX_SEEDS = 10_000_000  # a sweep's limit on runs (sim.sweep: 10 x MAX_POINTS)
MAX_REPLICATES = 100_000  # `cadresim run --replicates`, as a sweep's `replicates`


def derive_seeds(root: int, n: int) -> list[int]:
    """``n`` independent run seeds from a root seed via ``SeedSequence(root).spawn``.

    Each child's state is folded into a 63-bit integer, which is what the run records;
    ``cadresim run --seed <that integer>`` reproduces the run exactly. ``n`` is at most
    ``MAX_SEEDS`` (checked first: spawning 10^8 children exhausts memory).
    """
    if not 0 <= n <= MAX_SEEDS:
        raise ValueError(f"can derive at most {MAX_SEEDS} seeds, got {n}")
    children = np.random.SeedSequence(root).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


@dataclass
class RunResult:
    run_id: str
    seed: int
    timeseries: pd.DataFrame
    summary: dict
    events: pd.DataFrame
    elapsed: float
    snapshots: pd.DataFrame | None = None  # agent-level rows (output.snapshots), else None


def run_scenario(
    scenario: Scenario,
    seed: int | None = None,
    run_id: str = "run-0000",
    progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Run one scenario with one seed and return its tables (nothing is written)."""
    t0 = time.perf_counter()
    seed = scenario.seed if seed is None else int(seed)
    if scenario.epstein is not None:
        return _run_epstein(scenario, seed, run_id, progress, t0)
    model = CadreModel(scenario, seed=seed)
    event_rows: list[tuple] = []
    snap = scenario.output.snapshots
    snapshots: list[pd.DataFrame] = []
    while model.running and model.step_index < model.n_steps:
        model.step()
        if snap is not None and snap.due(model.step_index - 1, model.n_steps):
            snapshots.append(reporters.snapshot_frame(model, snap, run_id))
        ev = model.events
        if scenario.output.events and ev.n:
            # One tuple per event, of Python scalars (``tolist``: the same as int()/float()
            # element by element, without a Python loop over numpy scalars).
            event_rows.extend(
                zip(
                    [model.step_index - 1] * ev.n,
                    ev.locality.tolist(),
                    [CLAIMS[c] for c in ev.claim.tolist()],
                    ev.urban.tolist(),
                    ev.participants.tolist(),
                    ev.size.astype(np.float64).tolist(),
                    ev.size_class.tolist(),
                    ev.link.astype(np.float64).tolist(),
                    ev.claim_breadth.astype(np.float64).tolist(),
                    strict=True,
                )
            )
        if progress:
            progress(1)
    return RunResult(
        run_id=run_id,
        seed=seed,
        timeseries=timeseries_frame(model, run_id),
        summary={
            "run_id": run_id,
            "seed": seed,
            **summarize(model.records, model.n_steps),
            **reporters.summarize(model.user_records, scenario.outcomes),
        },
        events=events_frame(scenario, run_id, event_rows),
        elapsed=time.perf_counter() - t0,
        snapshots=pd.concat(snapshots, ignore_index=True) if snapshots else None,
    )


EPSTEIN_LEVELS = ("active", "quiet", "jailed", "tension", "legitimacy", "cops")


def _run_epstein(
    scenario: Scenario, seed: int, run_id: str, progress: Callable[[int], None] | None, t0: float
) -> RunResult:
    """Epstein's Model I (``sim.epstein``), written with the same contract as a city run.

    One tick per scenario month; the time series holds the state after each tick. The
    summary adds Epstein's punctuated-equilibrium statistics: outbursts (actives rising
    above 5 % of citizens, ending below 1 %) and the median waiting time between them.
    """
    from sim.epstein import EpsteinModel, outbursts, waiting_times

    params = scenario.epstein.model_copy(update={"steps": scenario.n_steps})
    model = EpsteinModel(params, rng=seed)
    while model.running:
        model.step()
        if progress:
            progress(1)
    frame = model.frame().iloc[1:].reset_index(drop=True)  # row 0 is the initial state
    steps = np.arange(len(frame), dtype=np.int32)
    ts = pd.DataFrame({"run_id": run_id, "step": steps})
    ts["date"] = [str(scenario.start.plus(int(s))) for s in steps]
    for col in (*EPSTEIN_LEVELS, "arrests"):
        ts[col] = frame[col].to_numpy(dtype=np.float64)
    citizens = float(frame["active"].iloc[0] + frame["quiet"].iloc[0] + frame["jailed"].iloc[0])
    active = ts["active"].to_numpy()
    high, low = 0.05 * citizens, 0.01 * citizens
    waits = waiting_times(active, high, low)
    summary: dict = {"run_id": run_id, "seed": seed}
    for col in EPSTEIN_LEVELS:
        summary[f"{col}_mean"] = float(ts[col].mean())
        summary[f"{col}_final"] = float(ts[col].iloc[-1])
    summary["active_max"] = float(active.max())
    summary["arrests_total"] = float(ts["arrests"].sum())
    summary["outbursts"] = float(len(outbursts(active, high, low)))
    summary["waiting_time_median"] = float(np.median(waits)) if waits.size else float("nan")
    return RunResult(
        run_id=run_id,
        seed=seed,
        timeseries=ts,
        summary=summary,
        events=events_frame(scenario, run_id, []),
        elapsed=time.perf_counter() - t0,
    )


def timeseries_frame(model: CadreModel, run_id: str) -> pd.DataFrame:
    every = model.config.output.record_every
    steps = np.arange(0, model.step_index, every)
    start = model.config.start
    df = pd.DataFrame(model.records[steps], columns=list(OUTCOME_NAMES))
    for j, rep in enumerate(model.config.outcomes):
        df[rep.name] = model.user_records[steps, j]
    df.insert(0, "date", [str(start.plus(int(s))) for s in steps])
    df.insert(0, "step", steps.astype(np.int32))
    df.insert(0, "run_id", run_id)
    return df


def events_frame(scenario: Scenario, run_id: str, rows: list[tuple]) -> pd.DataFrame:
    cols = [
        "step",
        "locality",
        "claim",
        "urban",
        "participants",
        "size",
        "size_class",
        "link",
        "claim_breadth",
    ]
    df = pd.DataFrame(rows, columns=cols)
    df = df.astype(
        {
            "step": np.int32,
            "locality": np.int32,
            "claim": str,
            "urban": bool,
            "participants": np.int64,
            "size": np.float64,
            "size_class": np.int8,
            "link": np.float64,
            "claim_breadth": np.float64,
        }
    )
    steps = df["step"].tolist()
    label = {s: str(scenario.start.plus(s)) for s in set(steps)}  # (one per month)
    df.insert(1, "date", [label[s] for s in steps])
    df.insert(0, "run_id", run_id)
    return df


def write_run_folder(
    scenario: Scenario,
    out: str | Path,
    seeds: list[int],
    progress: Callable[[int], None] | None = None,
    source: str | None = None,
    force: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run ``scenario`` once per seed and write the run folder; returns (summary, timeseries).

    ``out`` is checked first (:func:`check_run_out`); :class:`ScenarioError` if refused.
    """
    out = Path(out)
    check_run_out(scenario, out, seeds, force)
    out.mkdir(parents=True, exist_ok=True)
    for name in store.RUN_FILES:  # replacing a run: no table of the old one survives
        if (out / name).is_file():
            (out / name).unlink()
    started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    manifest = {
        "kind": "run",
        "status": "running",
        "scenario": scenario.model_dump(mode="json"),
        "scenario_file": source,
        "seeds": seeds,
        "replicates": len(seeds),
        "versions": store.versions(),
        "started": started,
    }
    store.write_json(manifest, out / "manifest.json")
    results = []
    try:
        for i, seed in enumerate(seeds):
            results.append(run_scenario(scenario, seed, f"run-{i:04d}", progress))
    except BaseException as err:
        manifest.update(
            status="failed",
            error=f"{type(err).__name__}: {err}",
            finished=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        )
        store.write_json(manifest, out / "manifest.json")
        raise
    ts = pd.concat([r.timeseries for r in results], ignore_index=True)
    summary = pd.DataFrame(
        [
            {
                "run_id": r.run_id,
                "scenario": scenario.name,
                "replicate": i,
                **{k: v for k, v in r.summary.items() if k != "run_id"},
            }
            for i, r in enumerate(results)
        ]
    )
    store.write_table(ts, out / "timeseries.parquet")
    store.write_table(summary, out / "summary.parquet")
    if scenario.output.events:
        store.write_table(
            pd.concat([r.events for r in results], ignore_index=True), out / "events.parquet"
        )
    snaps = [r.snapshots for r in results if r.snapshots is not None]
    if snaps:
        store.write_table(pd.concat(snaps, ignore_index=True), out / "agents.parquet")
    manifest.update(
        status="complete",
        finished=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        run_seconds=[round(r.elapsed, 3) for r in results],
    )
    store.write_json(manifest, out / "manifest.json")
    return summary, ts


def check_run_out(scenario: Scenario, out: Path, seeds: list[int], force: bool = False) -> None:
    """Refuse an output folder a run may not write, touching nothing (issue 15, case 1).

    The policy: a run writes into a new or empty folder, or replaces its own run folder
    (a run of the same resolved scenario with the same seeds, whose tables it would
    write byte for byte again). Another run's folder, or a folder with other files, is
    refused unless ``force`` (then only the run files are replaced; other files stay).
    A sweep folder is refused even with ``force``: a run never overwrites a sweep.
    """
    where = str(out)
    problem = store.out_path_problem(out)
    if problem:
        raise ScenarioError(where, [("--out", problem)])
    if not out.is_dir() or store.is_empty(out):
        _make(out)
        return
    manifest = store.read_manifest(out)
    kind = manifest.get("kind") if manifest else None
    what = store.describe_folder(out)
    if kind == "sweep":
        raise ScenarioError(
            where,
            [
                (
                    "--out",
                    f"holds {what}; a run never writes into a sweep folder: choose another --out",
                )
            ],
        )
    if (
        kind == "run"
        and manifest.get("scenario") == scenario.model_dump(mode="json")
        and manifest.get("seeds") == list(seeds)
    ):
        _make(out)
        return
    if force:
        _make(out)
        return
    raise ScenarioError(
        where,
        [
            (
                "--out",
                f"holds {what}; choose another --out, or pass --force to replace "
                + ("that run" if kind == "run" else "the run files in it"),
            )
        ],
    )


def _make(out: Path) -> None:
    problem = store.make_out_dir(out)
    if problem:
        raise ScenarioError(str(out), [("--out", problem)])
