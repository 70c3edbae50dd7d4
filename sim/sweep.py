"""Parameter sweeps: sweep files, parallel execution, and a resumable Parquet store.

A sweep file (YAML) names a base scenario, optional ``overrides``, the fields to
``vary`` (dotted paths such as ``params.legitimacy`` or, for a regime's parameters,
``regimes.<type>.<param>``), a ``design`` (:mod:`sim.design`), ``replicates`` per
design point and a root ``seed``. :func:`load_sweep` validates all of it, including
every design point as a :class:`~sim.config.Scenario`, before anything runs, raising
:class:`~sim.config.ScenarioError` (exit code 2 in the CLI).

:func:`run_sweep` runs the pending runs in a local process pool (or on a Dask cluster).
Each worker runs a batch of runs, writes its time series as one Parquet shard
``timeseries.parquet/part-<batch>.parquet`` and then, as the commit, one small record
``runs/<batch>.json`` with the summary rows; both writes are atomic. The parent only
counts. ``summary.parquet`` and ``failures.parquet`` are compacted from the records at
the start of a resume and at the end. A resumed sweep skips every committed run and
deletes shards no record refers to, so a ``kill -9`` at any moment leaves exactly one
result per design point and replicate once the sweep is run again.

Nothing damaged is trusted (issue 15): a record holds the sweep's hash, the sha256 of each
shard it commits and a checksum of itself, and :func:`scan` verifies all of it on every
resume. A record that is unreadable, altered, from another sweep or whose shard is
missing or altered is removed with its shard, reported, and its runs run again; a lost
``manifest.json`` is rebuilt from the plan and the intact records. A session reports
``complete`` only when the records on disk hold every run.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from sim import runner, store
from sim.config import Scenario, ScenarioError
from sim.sweepfile import (  # noqa: F401 - the sweep file API, re-exported
    MAX_POINTS,
    MAX_VALUES,
    OWNED,
    OWNED_DIRS,
    RUN_ID,
    SHARD_DIRS,
    FieldKind,
    SweepPlan,
    SweepSpec,
    _check_values,
    _native,
    _parse_vary_value,
    _unknown_path_message,
    check_sweep,
    deep_merge,
    design_seed,
    load_sweep,
    parse_sweep,
    set_path,
    variable_fields,
)

# ---------------------------------------------------------------------------------------
# Workers


_PARENT: int | None = None
_PPID0: int | None = None


def _worker_init(parent_pid: int) -> None:
    """Pool initializer: exit when the sweep process dies (e.g. ``kill -9``), so orphaned
    workers neither linger nor write records for a sweep that is being resumed.

    Workers come from a fork server, so their own parent is the server, not the sweep:
    a worker is orphaned when its parent changes (the server exits with the sweep) or the
    sweep's process is gone.
    """
    global _PARENT, _PPID0
    _PARENT, _PPID0 = parent_pid, os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if _orphaned():
                os._exit(0)

    threading.Thread(target=watch, daemon=True, name="cadresim-parent-watch").start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _orphaned() -> bool:
    if _PARENT is None:
        return False
    return os.getppid() != _PPID0 or not _alive(_PARENT)


def run_batch(out: str, batch_id: str, tasks: list[dict]) -> dict:
    """Run a batch of sweep runs, write its shard(s) and commit its record (atomically).

    Runs inside a worker process (local pool or Dask). A run that raises becomes a
    failure entry; the batch goes on. Returns only counts and timings.
    """
    outp = Path(out)
    entries, frames, events, agents = [], [], [], []
    for t in tasks:
        head = {
            "run_id": t["run_id"],
            "point": t["point"],
            "replicate": t["replicate"],
            "seed": t["seed"],
        }
        head.update(t["params"])
        t0 = time.perf_counter()
        try:
            scn = Scenario.model_validate(t["scenario"])
            res = runner.run_scenario(scn, t["seed"], t["run_id"])
            frames.append(res.timeseries)
            if scn.output.events and len(res.events):
                events.append(res.events)
            if res.snapshots is not None and len(res.snapshots):
                agents.append(res.snapshots)
            row = dict(head)
            row.update({k: _native(v) for k, v in res.summary.items() if k not in head})
            entries.append({"status": "ok", "row": row, "elapsed": res.elapsed})
        except Exception as e:
            entries.append(
                {
                    "status": "failed",
                    "row": head,
                    "error": f"{type(e).__name__}: {e}",
                    "traceback": traceback.format_exc(limit=-8),
                    "elapsed": time.perf_counter() - t0,
                }
            )
    if _orphaned():
        return {"batch": batch_id, "aborted": True}
    shard = f"part-{batch_id}.parquet"
    files: dict[str, str] = {}  # folder -> sha256 of the shard written there
    for folder, parts in zip(SHARD_DIRS, (frames, events, agents), strict=True):
        if parts:
            data = store.table_bytes(pd.concat(parts, ignore_index=True))
            store.atomic_write_bytes(outp / folder / shard, data)
            files[folder] = hashlib.sha256(data).hexdigest()
    if _orphaned():
        return {"batch": batch_id, "aborted": True}
    record = {
        "batch": batch_id,
        "sweep": tasks[0].get("sweep") if tasks else None,
        "shard": shard if frames else None,
        "files": files,
        "runs": entries,
    }
    record["checksum"] = _digest(record)
    store.atomic_write_bytes(
        outp / "runs" / f"{batch_id}.json", json.dumps(record, allow_nan=True).encode()
    )
    return {
        "batch": batch_id,
        "ok": sum(e["status"] == "ok" for e in entries),
        "failed": sum(e["status"] != "ok" for e in entries),
        "elapsed": [e["elapsed"] for e in entries],
    }


# ---------------------------------------------------------------------------------------
# The store


def _digest(record: dict) -> str:
    """Checksum of a run record's content (key order and whitespace do not matter)."""
    return hashlib.sha256(json.dumps(record, sort_keys=True, allow_nan=True).encode()).hexdigest()


@dataclass
class Committed:
    """What a sweep folder's intact run records hold (see :func:`scan`)."""

    ok: dict[str, dict] = field(default_factory=dict)  # finished runs by run id
    failed: dict[str, dict] = field(default_factory=dict)  # failed runs by run id
    files: dict[str, set[str]] = field(default_factory=dict)  # folder -> shards referred to
    records: set[str] = field(default_factory=set)  # names of intact records
    damaged: dict[Path, str] = field(default_factory=dict)  # record file -> what is wrong
    foreign: int = 0  # records written by another sweep


def _entries_ok(rec: Any) -> bool:
    if not isinstance(rec, dict) or not isinstance(rec.get("runs"), list):
        return False
    for e in rec["runs"]:
        if not (
            isinstance(e, dict)
            and e.get("status") in ("ok", "failed")
            and isinstance(e.get("row"), dict)
            and isinstance(e["row"].get("run_id"), str)
        ):
            return False
    return isinstance(rec.get("shard"), str | None) and isinstance(rec.get("files", {}), dict)


def _check_record(out: Path, f: Path, plan: SweepPlan | None) -> tuple[str | None, Any]:
    """(what is wrong with run record ``f``, or None; the record)."""
    try:
        rec = json.loads(f.read_bytes())
    except (OSError, ValueError) as e:
        return f"unreadable ({type(e).__name__})", None
    if not _entries_ok(rec):
        return "not a run record", None
    if "checksum" in rec:  # records written before checksums were kept have none
        body_ = {k: v for k, v in rec.items() if k != "checksum"}
        if rec["checksum"] != _digest(body_):
            return "altered since it was written (checksum mismatch)", None
    if plan is not None and rec.get("sweep") not in (None, plan.file_hash):
        return "foreign", rec
    if plan is not None:
        for e in rec["runs"]:
            row = e["row"]
            try:
                i = int(row["run_id"].removeprefix("run-"))
                point, rep = divmod(i, plan.spec.replicates)
                fits = (
                    row["run_id"] == RUN_ID.format(i)
                    and i < plan.n_runs
                    and row.get("seed") == plan.seeds[i]
                    and row.get("point") == point
                    and row.get("replicate") == rep
                )
            except (TypeError, ValueError):
                fits = False
            if not fits:
                return f"holds {row['run_id']}, which does not match this sweep's runs", None
    files = dict(rec.get("files") or {})
    if not files and rec.get("shard"):  # an older record: no checksums
        files = {"timeseries.parquet": None}
    if any(e["status"] == "ok" for e in rec["runs"]) and "timeseries.parquet" not in files:
        return "names no time-series shard for its finished runs", None
    for folder, sha in files.items():
        if folder not in SHARD_DIRS or not rec.get("shard"):
            return "not a run record", None
        path = out / folder / rec["shard"]
        rel = f"{folder}/{rec['shard']}"
        if not path.is_file():
            return f"its shard {rel} is missing", None
        if sha is not None:
            if hashlib.sha256(path.read_bytes()).hexdigest() != sha:
                return f"its shard {rel} is damaged (checksum mismatch)", None
            continue
        want = {e["row"]["run_id"] for e in rec["runs"] if e["status"] == "ok"}
        try:
            import pyarrow.parquet as pq

            got = set(pq.read_table(path, columns=["run_id"]).column(0).to_pylist())
        except Exception as e:  # noqa: BLE001 - any read error means a damaged shard
            return f"its shard {rel} is damaged ({type(e).__name__})", None
        if got != want:
            return f"its shard {rel} does not hold the record's runs", None
    return None, rec


def scan(out: Path, plan: SweepPlan | None = None) -> Committed:
    """Read and verify every run record in ``out/runs``.

    A record is intact when it parses, its checksum matches, its runs are this sweep's
    (run id, seed, point and replicate as ``plan`` derives them) and every shard it
    names exists with the checksum recorded (older records: readable, with the record's
    run ids). Anything else is listed in ``damaged``; its runs count as not done. A run
    found finished in two records keeps the first (the second record counts as damaged,
    so its shard cannot duplicate time series).
    """
    c = Committed()
    runs = out / "runs"
    if not runs.is_dir():
        return c
    for f in sorted(runs.glob("*.json")):
        if f.name.startswith("."):
            continue
        problem, rec = _check_record(out, f, plan)
        if problem == "foreign":
            c.foreign += 1
            c.damaged[f] = "written by another sweep"
            continue
        if problem is None:
            dup = [e["row"]["run_id"] for e in rec["runs"] if e["status"] == "ok"]
            dup = [r for r in dup if r in c.ok]
            if dup:
                problem = f"repeats finished run {dup[0]}"
        if problem:
            c.damaged[f] = problem
            continue
        c.records.add(f.stem)
        for folder in rec.get("files") or ({"timeseries.parquet": None} if rec["shard"] else {}):
            c.files.setdefault(folder, set()).add(rec["shard"])
        for e in rec["runs"]:
            rid = e["row"]["run_id"]
            if e["status"] == "ok":
                c.ok[rid] = e
            else:
                c.failed.setdefault(rid, e)
    for rid in c.ok:
        c.failed.pop(rid, None)
    return c


def committed(out: Path) -> tuple[dict[str, dict], dict[str, dict], set[str]]:
    """(ok entries by run id, failed entries by run id, time-series shard names)."""
    c = scan(out)
    return c.ok, c.failed, c.files.get("timeseries.parquet", set())


def tidy(out: Path, plan: SweepPlan | None = None) -> tuple[Committed, list[str]]:
    """Remove what a killed or damaged sweep may leave, and say what was removed:
    temporary files, damaged run records, and shards no intact record refers to (their
    runs will be run again)."""
    notes = []
    for name in OWNED_DIRS:
        if (out / name).is_file():  # a sweep keeps folders there: a file holds nothing of it
            (out / name).unlink()
            notes.append(f"{name} was a file, not a folder of shards: removed")
    c = scan(out, plan)
    for f, problem in sorted(c.damaged.items()):
        n = len(_record_runs(f))
        runs = f"; its {n} run(s) will run again" if n else ""
        notes.append(f"runs/{f.name} {problem}: removed{runs}")
        f.unlink(missing_ok=True)
    for d in (out, *(out / name for name in OWNED_DIRS)):
        if not d.is_dir():
            continue
        for f in d.iterdir():
            if f.name.startswith(".") and f.name.endswith(".tmp"):
                f.unlink(missing_ok=True)
            elif d.name in SHARD_DIRS and f.name not in c.files.get(d.name, set()):
                if f.is_dir():
                    import shutil

                    shutil.rmtree(f)
                else:
                    f.unlink(missing_ok=True)
    return c, notes


def _record_runs(f: Path) -> list:
    """The run ids a (possibly damaged) record lists, as far as it can be read."""
    try:
        rec = json.loads(f.read_bytes())
        return [e["row"]["run_id"] for e in rec["runs"]]
    except Exception:  # noqa: BLE001 - damaged beyond reading: the count is unknown
        return []


def compact(
    out: Path, plan: SweepPlan, c: Committed | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write ``summary.parquet`` and ``failures.parquet`` from the intact records."""
    c = scan(out, plan) if c is None else c
    ok, failed = c.ok, c.failed
    head = ["run_id", "point", "replicate", "seed"] + [p.name for p in plan.params]
    rows = [ok[k]["row"] for k in sorted(ok)]
    summary = pd.DataFrame(rows, columns=None if rows else head)
    if rows:
        summary = summary[head + [c for c in summary.columns if c not in head]]
    frows = [
        {**failed[k]["row"], "error": failed[k]["error"], "traceback": failed[k]["traceback"]}
        for k in sorted(failed)
    ]
    failures = pd.DataFrame(frows, columns=head + ["error", "traceback"])
    for df in (summary, failures):
        for c in ("point", "replicate", "seed"):
            if c in df:
                df[c] = df[c].astype("int64")
    store.write_table(summary, out / "summary.parquet")
    store.write_table(failures, out / "failures.parquet")
    return summary, failures


class FolderBusy(ScenarioError):
    pass


def _lock(out: Path) -> Any:
    """Hold an exclusive POSIX lock on ``DIR/.lock`` (released when the process dies; not
    inherited by forked workers), so two sweeps never write one folder."""
    import fcntl

    fh = open(out / ".lock", "a+")  # noqa: SIM115 - held for the sweep's lifetime
    try:
        fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise FolderBusy(str(out), [("--out", "another sweep is running in this folder")]) from None
    return fh


def _ours(out: Path) -> bool:
    """Whether every entry of ``out`` is a name a sweep folder holds."""
    names = set(OWNED) | set(OWNED_DIRS) | {"events.parquet", ".lock"}
    return all(
        e.name in names or (e.name.startswith(".") and e.name.endswith(".tmp"))
        for e in out.iterdir()
    )


def check_out(out: Path, force: bool) -> None:
    """Refuse, before anything is created in it, an ``--out`` a sweep may not use: a
    file, a path under a file, an unwritable place, or a non-empty folder that is
    neither a sweep folder nor forced (issue 15, cases 1 and 12)."""
    problem = store.out_path_problem(out)
    if problem:
        raise ScenarioError(str(out), [("--out", problem)])
    if out.is_dir() and not force and not store.is_empty(out):
        kind = (store.read_manifest(out) or {}).get("kind")
        if kind != "sweep" and (kind == "run" or not _ours(out)):
            raise ScenarioError(
                str(out),
                [
                    (
                        "--out",
                        f"holds {store.describe_folder(out)}; choose another --out, or pass "
                        "--force to replace the sweep files in it",
                    )
                ],
            )
    problem = store.make_out_dir(out)
    if problem:
        raise ScenarioError(str(out), [("--out", problem)])


def prepare(out: Path, plan: SweepPlan, force: bool) -> tuple[dict | None, list[str]]:
    """Check the folder against the plan: (previous manifest on a resume, or None for a
    fresh start; notes on what was recovered).

    A folder whose ``manifest.json`` is missing or unreadable but which holds only sweep
    files is resumed from its intact run records (the manifest is rebuilt from the
    plan), unless those records belong to another sweep.
    """
    previous = store.read_manifest(out)
    if store.is_empty(out):
        return None, []
    if previous is not None and previous.get("kind") == "sweep":
        if force:
            _clear(out)
            return None, []
        if previous.get("hash") != plan.file_hash:
            raise ScenarioError(
                str(out),
                [
                    (
                        "--out",
                        f"this folder holds sweep '{previous.get('name')}' started from "
                        f"{previous.get('sweep_file')} with a different sweep file or base "
                        "scenario (hash changed); pass --force to discard its results and "
                        "start afresh, or choose another --out",
                    )
                ],
            )
        return previous, []
    if force:
        _clear(out)
        return None, []
    if not _ours(out) or (previous is not None and previous.get("kind") == "run"):
        raise ScenarioError(
            str(out),
            [("--out", f"holds {store.describe_folder(out)}; choose another or pass --force")],
        )
    c = scan(out, plan)
    if c.foreign and not c.records:
        raise ScenarioError(
            str(out),
            [
                (
                    "--out",
                    f"manifest.json is missing or unreadable and the {c.foreign} run "
                    "record(s) in runs/ belong to another sweep; pass --force to discard "
                    "them, or choose another --out",
                )
            ],
        )
    state = "unreadable" if (out / "manifest.json").exists() else "missing"
    return {}, [
        f"manifest.json was {state}: rebuilt from the sweep file and {len(c.records)} "
        "intact run record(s)"
    ]


def _clear(out: Path) -> None:
    import shutil

    for name in OWNED_DIRS:
        if (out / name).is_dir():
            shutil.rmtree(out / name)
    for name in OWNED + ("events.parquet",):
        if (out / name).is_file():
            (out / name).unlink()


# ---------------------------------------------------------------------------------------
# Running


@dataclass
class SweepReport:
    out: Path
    n_runs: int
    skipped: int
    ok: int
    failed: int
    wall_seconds: float
    run_seconds: list[float] = field(default_factory=list)
    workers: int = 1
    executor: str = "local"
    repaired: list[str] = field(default_factory=list)  # what a resume found damaged
    missing: int = 0  # runs neither finished nor failed when the session ended

    @property
    def overhead(self) -> float:
        """(wall time x workers - sum of run times) / sum of run times."""
        s = sum(self.run_seconds)
        return (self.wall_seconds * self.workers - s) / s if s else float("nan")


def batches(
    plan: SweepPlan, pending: list[int], size: int, taken: set[str] | frozenset = frozenset()
) -> list[tuple[str, list[dict]]]:
    """Pending runs in batches, each named by its first run id. A name an intact record
    already has gets a suffix (``run-000003.1``): a retried run that opened a batch must
    not replace the record of that batch's finished runs (issue 15, case 2)."""
    out = []
    for k in range(0, len(pending), size):
        tasks = [plan.run(i) for i in pending[k : k + size]]
        name, n = tasks[0]["run_id"], 0
        while name in taken:
            n += 1
            name = f"{tasks[0]['run_id']}.{n}"
        out.append((name, tasks))
    return out


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def run_sweep(
    plan: SweepPlan | str | Path,
    out: str | Path,
    workers: int | None = None,
    dask: str | Any | None = None,
    force: bool = False,
    batch_size: int = 1,
    retry_failed: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> SweepReport:
    """Run (or resume) a sweep into folder ``out``.

    ``workers``: local processes (default: CPU count; 1 runs in this process).
    ``dask``: a scheduler address or a ``dask.distributed.Client``. ``progress(done,
    total)`` is called after each batch. Raises :class:`ScenarioError` for invalid input
    or a folder that holds a different sweep.
    """
    if not isinstance(plan, SweepPlan):
        plan = load_sweep(plan)
    out = Path(out).resolve()
    check_out(out, force)
    lock = _lock(out)
    try:
        return _run_locked(plan, out, workers, dask, force, batch_size, retry_failed, progress)
    finally:
        lock.close()


def _manifest(plan: SweepPlan, previous: dict | None) -> dict:
    """The manifest, rebuilt from the plan every session (so a damaged manifest cannot
    carry damage forward); only the start time and past sessions come from before."""
    previous = previous or {}
    started = previous.get("started")
    sessions = previous.get("sessions")
    return {
        "kind": "sweep",
        "status": "running",
        "name": plan.spec.name,
        "sweep_file": plan.source,
        "hash": plan.file_hash,
        "sweep": plan.spec.model_dump(mode="json"),
        "base_scenario": plan.base,
        "parameters": [p.name for p in plan.params],
        "design": {
            "method": plan.spec.design.method,
            "seed": plan.design_seed,
            "points": len(plan.design),
            "table": {p.name: [_native(v) for v in plan.design[p.name]] for p in plan.params},
        },
        "replicates": plan.spec.replicates,
        "runs": plan.n_runs,
        "root_seed": plan.spec.seed,
        "versions": store.versions(),
        "started": started if isinstance(started, str) else _now(),
        "sessions": [x for x in sessions if isinstance(x, dict)]
        if isinstance(sessions, list)
        else [],
    }


def _run_locked(plan, out, workers, dask, force, batch_size, retry_failed, progress):
    t_start = time.perf_counter()
    previous, notes = prepare(out, plan, force)
    c, removed = tidy(out, plan)
    notes += removed
    done = set(c.ok) | (set() if retry_failed else set(c.failed))
    pending = [i for i in range(plan.n_runs) if RUN_ID.format(i) not in done]
    manifest = _manifest(plan, previous)
    if previous is not None:
        compact(out, plan, c)
    workers = workers or os.cpu_count() or 1
    executor = "dask" if dask is not None else ("local" if workers > 1 else "in-process")
    session = {"started": _now(), "pending": len(pending), "workers": workers, "executor": executor}
    if notes:
        session["repaired"] = notes
    manifest["sessions"].append(session)
    store.write_json(manifest, out / "manifest.json")

    report = SweepReport(
        out, plan.n_runs, plan.n_runs - len(pending), 0, 0, 0.0, [], workers, executor
    )
    report.repaired = notes
    jobs = batches(plan, pending, max(1, batch_size), taken=c.records)
    count = report.skipped

    def tick(res: dict) -> None:
        nonlocal count
        report.ok += res.get("ok", 0)
        report.failed += res.get("failed", 0)
        report.run_seconds += res.get("elapsed", [])
        count += res.get("ok", 0) + res.get("failed", 0)
        if progress:
            progress(count, plan.n_runs)

    status = "complete"
    try:
        if not jobs:
            pass
        elif dask is not None:
            _run_dask(dask, str(out), jobs, tick)
        elif workers == 1:
            tick({})
            for bid, tasks in jobs:
                tick(run_batch(str(out), bid, tasks))
        else:
            _run_pool(workers, str(out), jobs, tick)
    except BaseException as e:
        status = "interrupted"
        session["error"] = f"{type(e).__name__}: {e}"
        raise
    finally:
        final = scan(out, plan)
        summary, failures = compact(out, plan, final)
        report.wall_seconds = time.perf_counter() - t_start
        report.missing = plan.n_runs - len(final.ok) - len(final.failed)
        if status == "complete":
            # never report complete with less: count what the records on disk hold
            if report.missing:
                status = "incomplete"
            elif not failures.empty:
                status = "complete_with_failures"
        manifest["status"] = status
        manifest["finished"] = _now()
        manifest["finished_runs"] = int(len(summary))
        manifest["failed_runs"] = int(len(failures))
        session.update(
            finished=_now(),
            wall_seconds=round(report.wall_seconds, 3),
            run_seconds_sum=round(sum(report.run_seconds), 3),
        )
        store.write_json(manifest, out / "manifest.json")
    report.failed = int(len(failures))
    return report


def _run_pool(workers: int, out: str, jobs: list, tick: Callable[[dict], None]) -> None:
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    window = workers * 4
    it = iter(jobs)
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=runner.pool_context(),
        initializer=_worker_init,
        initargs=(os.getpid(),),
    ) as pool:
        try:
            running = set()
            for bid, tasks in it:
                running.add(pool.submit(run_batch, out, bid, tasks))
                if len(running) >= window:
                    break
            tick({})  # workers are forked by now: safe to start a progress display
            while running:
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for fut in finished:
                    tick(fut.result())
                    nxt = next(it, None)
                    if nxt is not None:
                        running.add(pool.submit(run_batch, out, nxt[0], nxt[1]))
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _run_dask(dask: Any, out: str, jobs: list, tick: Callable[[dict], None]) -> None:
    from dask.distributed import Client, as_completed

    client = dask if isinstance(dask, Client) else Client(dask)
    try:
        n = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
        window = max(4, 4 * n)
        it = iter(jobs)
        first = [client.submit(run_batch, out, b, t, pure=False) for b, t in _take(it, window)]
        ac = as_completed(first)
        tick({})
        for fut in ac:
            tick(fut.result())
            nxt = next(it, None)
            if nxt is not None:
                ac.add(client.submit(run_batch, out, nxt[0], nxt[1], pure=False))
    finally:
        if client is not dask:
            client.close()


def _take(it: Iterator, n: int) -> list:
    out = []
    for x in it:
        out.append(x)
        if len(out) >= n:
            break
    return out


# ---------------------------------------------------------------------------------------
# The command


def register(app: Any) -> None:
    """Add ``cadresim sweep`` to the CLI."""

    @app.command("sweep")
    def sweep(
        file: Annotated[Path, typer.Argument(help="sweep YAML file")],
        out_dir: Annotated[
            Path | None, typer.Option("--out", "-o", help="sweep folder (default results/<name>)")
        ] = None,
        workers: Annotated[
            int | None,
            typer.Option(min=1, max=1024, help="local worker processes (default: CPUs)"),
        ] = None,
        dask: Annotated[
            str | None, typer.Option("--dask", help="Dask scheduler address, e.g. tcp://host:8786")
        ] = None,
        force: Annotated[
            bool, typer.Option("--force", help="discard results in --out and start afresh")
        ] = False,
        batch_size: Annotated[
            int,
            typer.Option("--batch-size", min=1, max=100_000, help="runs per worker task and shard"),
        ] = 1,
        retry_failed: Annotated[
            bool, typer.Option("--retry-failed", help="on resume, run failed runs again")
        ] = False,
    ) -> None:
        """Run a parameter sweep (resumable: run the same command again to continue)."""
        from sim.cli import EXIT_FAILURE, err, invalid, out
        from sim.progress import run_progress

        try:
            plan = load_sweep(file)
        except ScenarioError as e:
            raise invalid(e) from None
        target = out_dir or Path("results") / plan.spec.name
        bar, progress = run_progress(plan.spec.name, plan.n_runs, err)

        err.print(
            f"sweep {plan.spec.name}: {len(plan.design)} points x {plan.spec.replicates} "
            f"replicates = {plan.n_runs} runs ({plan.spec.design.method}) -> {target}",
            highlight=False,
        )
        try:
            report = run_sweep(
                plan, target, workers, dask, force, batch_size, retry_failed, progress
            )
        except ScenarioError as e:
            raise invalid(e) from None
        except KeyboardInterrupt:
            err.print("interrupted; run the same command again to resume")
            raise typer.Exit(EXIT_FAILURE) from None
        finally:
            bar.stop()
        for note in report.repaired:
            err.print(f"[bold yellow]damaged or missing[/]: {note}", highlight=False)
        out.print(
            f"{report.n_runs} runs: {report.skipped} already done, {report.ok} ran, "
            f"{report.failed} failed in total; {report.wall_seconds:.1f} s wall "
            f"({report.executor}, {report.workers} workers)",
            highlight=False,
        )
        from sim.cli import sweep_table

        summary_file = Path(target) / "summary.parquet"
        if summary_file.exists():
            summary = pd.read_parquet(summary_file)
            outcomes = plan.spec.outcomes or Scenario.model_validate(plan.base).outcomes
            names = [p.name for p in plan.params]
            out.print(sweep_table(summary, names, outcomes, f"{plan.spec.name}: design points"))
        out.print(f"wrote {target}/manifest.json, summary.parquet, timeseries.parquet/")
        if report.missing:
            err.print(
                f"[bold red]{report.missing} run(s) have no result[/]: run the same command "
                "again to resume",
            )
            raise typer.Exit(EXIT_FAILURE)
        if report.failed:
            err.print(f"[bold red]{report.failed} run(s) failed[/]: see {target}/failures.parquet")
            raise typer.Exit(EXIT_FAILURE)


__all__ = [
    "SweepPlan",
    "SweepReport",
    "SweepSpec",
    "compact",
    "deep_merge",
    "load_sweep",
    "parse_sweep",
    "register",
    "run_batch",
    "run_sweep",
    "variable_fields",
]
