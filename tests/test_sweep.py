"""Sweeps: validation, seeds, determinism, failures, kill -9 and resume, Dask (sim/sweep.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from sim import runner as sim_runner
from sim.cli import app
from sim.config import ScenarioError
from sim.results import load
from sim.runner import derive_seeds
from sim.sweep import load_sweep, parse_sweep, run_sweep, variable_fields

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / ".venv" / "bin" / "cadresim"

TINY = {
    "name": "tiny",
    "start": "1993-01",
    "end": "1993-12",
    "population": {
        "cadres": 20,
        "technicians": 20,
        "workers": 200,
        "migrants": 40,
        "peasants": 100,
        "units": 5,
        "villages": 4,
    },
    "output": {"events": False},
}


def sweep_dict(**kw):
    d = {
        "name": "t",
        "base": TINY,
        "vary": {
            "params.legitimacy": {"low": 0.4, "high": 0.9},
            "params.discretization": ["floor", "round"],
        },
        "design": {"method": "lhs", "samples": 4},
        "replicates": 2,
        "seed": 11,
    }
    d.update(kw)
    return d


def write(tmp: Path, data, name="sweep.yaml") -> Path:
    p = tmp / name
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return p


def body(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("run_id").reset_index(drop=True)


# --- plans and seeds ----------------------------------------------------------------------


def test_plan_seeds_are_distinct_deterministic_and_recorded(tmp_path):
    plan = parse_sweep(sweep_dict())
    assert plan.n_runs == 8 and len(plan.design) == 4
    assert plan.seeds == derive_seeds(11, 8)
    assert len(set(plan.seeds)) == 8
    assert parse_sweep(sweep_dict()).seeds == plan.seeds
    assert parse_sweep(sweep_dict(seed=12)).seeds != plan.seeds
    # replicates of one point share the point's parameters but not the seed
    r0, r1 = plan.run(0), plan.run(1)
    assert r0["params"] == r1["params"] and r0["point"] == r1["point"] == 0
    assert r0["seed"] != r1["seed"]
    rep = run_sweep(plan, tmp_path / "out", workers=1)
    s = load(tmp_path / "out").summary
    assert rep.ok == 8 and len(s) == 8
    assert list(s.columns[:6]) == [
        "run_id",
        "point",
        "replicate",
        "seed",
        "params.legitimacy",
        "params.discretization",
    ]
    assert s["seed"].tolist() == plan.seeds
    assert (
        s["params.legitimacy"].tolist() == np.repeat(plan.design["params.legitimacy"], 2).tolist()
    )
    # replicates with distinct seeds give distinct outcomes
    assert s.loc[0, "grievance_worker_mean"] != s.loc[1, "grievance_worker_mean"]


def test_regime_parameters_by_type_and_overrides():
    from sim.regimes import REGISTRY

    rtype, pname = None, None
    for name, cls in sorted(REGISTRY.items()):
        for f, info in cls.Params.model_fields.items():
            if info.annotation is float:
                rtype, pname = name, f
                break
        if rtype:
            break
    if rtype is None:
        pytest.skip("no regime with a float parameter registered")
    assert f"regimes.{rtype}.{pname}" in variable_fields()
    lo = REGISTRY[rtype].Params.model_fields[pname].default
    d = sweep_dict(vary={f"regimes.{rtype}.{pname}": [lo]}, design={"method": "grid"})
    with pytest.raises(ScenarioError, match=f"no '{rtype}' regime"):
        parse_sweep(d)
    d["overrides"] = {"regimes": {rtype: {}}, "params": {"threshold": 0.2}}
    plan = parse_sweep(d)
    regs = plan.scenarios[0]["regimes"]
    assert [r["type"] for r in regs] == [rtype] and regs[0][pname] == lo
    assert plan.scenarios[0]["params"]["threshold"] == 0.2


def test_every_point_is_validated_before_running():
    # an end of a range that is invalid on the base is named with the range's bound
    d = sweep_dict(
        vary={"params.jail_min": {"low": 0, "high": 10}},
        overrides={"params": {"jail_max": 4}},
        design={"method": "grid", "levels": 3},
    )
    with pytest.raises(ScenarioError, match="vary.params.jail_min.high"):
        parse_sweep(d)
    # ends valid one at a time, but jail_min <= jail_max fails for some combinations
    d = sweep_dict(
        vary={"params.jail_min": {"low": 0, "high": 10}, "params.jail_max": {"low": 2, "high": 8}},
        overrides={"params": {"jail_min": 0, "jail_max": 600}},
        design={"method": "grid", "levels": 2},
    )
    with pytest.raises(ScenarioError) as e:
        parse_sweep(d)
    assert "design point 2 (params.jail_min=10, params.jail_max=2)" in str(e.value)
    assert "jail_max" in str(e.value)


# --- determinism, pool vs in-process, Dask ------------------------------------------------


def test_same_sweep_twice_and_pool_vs_in_process_identical(tmp_path):
    plan = parse_sweep(sweep_dict())
    run_sweep(plan, tmp_path / "a", workers=1)
    run_sweep(plan, tmp_path / "b", workers=2, batch_size=3)
    a, b = load(tmp_path / "a"), load(tmp_path / "b")
    pd.testing.assert_frame_equal(body(a.summary), body(b.summary))
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())
    assert a.manifest["kind"] == "sweep" and a.manifest["status"] == "complete"
    assert len(list((tmp_path / "b" / "timeseries.parquet").iterdir())) == 3  # shards per batch
    # running again skips everything and changes nothing
    rep = run_sweep(plan, tmp_path / "a", workers=1)
    assert rep.skipped == 8 and rep.ok == 0
    pd.testing.assert_frame_equal(body(load(tmp_path / "a").summary), body(a.summary))
    # lazy, filtered reads
    ts = a.timeseries(columns=["run_id", "step", "legitimacy"], filters=[("step", ">=", 6)])
    assert list(ts.columns) == ["run_id", "step", "legitimacy"]
    assert ts["step"].min() == 6 and ts["run_id"].nunique() == 8


def test_dask_local_cluster_matches_local_pool(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    plan = parse_sweep(sweep_dict(replicates=1))
    run_sweep(plan, tmp_path / "pool", workers=2)  # the local process pool
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        rep = run_sweep(plan, tmp_path / "dask", dask=cluster.scheduler_address)
    assert rep.executor == "dask" and rep.ok == 4
    pd.testing.assert_frame_equal(
        body(load(tmp_path / "pool").summary), body(load(tmp_path / "dask").summary)
    )


# --- failures -----------------------------------------------------------------------------


def test_a_failing_run_is_recorded_and_the_rest_finish(tmp_path, monkeypatch):
    real = sim_runner.run_scenario
    plan = parse_sweep(sweep_dict())
    bad_seed = plan.seeds[3]

    def flaky(scenario, seed=None, run_id="run-0000", progress=None):
        if seed == bad_seed:
            raise RuntimeError("boom in month 3")
        return real(scenario, seed, run_id, progress)

    monkeypatch.setattr(sim_runner, "run_scenario", flaky)
    rep = run_sweep(plan, tmp_path / "out", workers=1)
    res = load(tmp_path / "out")
    assert rep.failed == 1 and len(res.summary) == 7
    f = res.failures
    assert f["run_id"].tolist() == ["run-000003"]
    assert f["seed"].tolist() == [bad_seed]
    assert f["error"].iloc[0] == "RuntimeError: boom in month 3"
    assert f["params.legitimacy"].iloc[0] == plan.design["params.legitimacy"].iloc[1]
    assert res.manifest["status"] == "complete_with_failures"
    assert "run-000003" not in set(res.timeseries(columns=["run_id"])["run_id"])
    # a resume skips the failure unless asked to retry it
    monkeypatch.setattr(sim_runner, "run_scenario", real)
    assert run_sweep(plan, tmp_path / "out", workers=1).ok == 0
    rep = run_sweep(plan, tmp_path / "out", workers=1, retry_failed=True)
    res = load(tmp_path / "out")
    assert rep.ok == 1 and len(res.summary) == 8 and res.failures.empty


# --- kill -9 and resume -------------------------------------------------------------------


def test_sigkill_midway_then_resume_gives_exactly_the_full_set(tmp_path):
    n_points, reps, months = 8, 3, 24
    d = sweep_dict(
        base={**TINY, "end": "1994-12"},
        design={"method": "lhs", "samples": n_points},
        replicates=reps,
    )
    total = n_points * reps
    sweep_file = write(tmp_path, d)
    out = tmp_path / "out"
    cmd = [str(CLI), "sweep", str(sweep_file), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline:
        n = len(list((out / "runs").glob("run-*.json"))) if (out / "runs").is_dir() else 0
        if n >= 3 or proc.poll() is not None:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)  # the parent only: its pool workers are orphaned
    proc.wait()
    first = len(list((out / "runs").glob("run-*.json")))
    assert 3 <= first < total
    # the same command again (in-process, to spare a second interpreter start)
    r = CliRunner().invoke(app, cmd[1:])
    assert r.exit_code == 0, r.output
    assert f"{total} runs" in r.output
    plan = load_sweep(sweep_file)
    res = load(out)
    s = body(res.summary)
    assert len(s) == total and s["run_id"].is_unique
    assert list(zip(s["point"], s["replicate"], strict=True)) == [
        (p, k) for p in range(n_points) for k in range(reps)
    ]
    assert s["seed"].tolist() == plan.seeds
    ts = res.timeseries(columns=["run_id", "step"])
    assert len(ts) == total * months and not ts.duplicated().any()
    assert res.manifest["status"] == "complete" and len(res.manifest["sessions"]) == 2
    # the resume ran only what was missing (orphaned workers wrote nothing afterwards)
    assert res.manifest["sessions"][1]["pending"] <= total - first
    assert len(list((out / "runs").glob("run-*.json"))) == total


def test_resume_removes_orphan_shards_and_temp_files(tmp_path):
    plan = parse_sweep(sweep_dict(replicates=1))
    out = tmp_path / "out"
    run_sweep(plan, out, workers=1)
    # simulate a kill between a shard write and its record, and a half-written temp file
    (out / "runs" / "run-000002.json").unlink()
    (out / "timeseries.parquet" / ".part-x.parquet.tmp").write_bytes(b"garbage")
    rep = run_sweep(plan, out, workers=1)
    assert rep.skipped == 3 and rep.ok == 1
    names = sorted(p.name for p in (out / "timeseries.parquet").iterdir())
    assert names == [f"part-run-00000{i}.parquet" for i in range(4)]
    assert len(load(out).timeseries()["run_id"].unique()) == 4


# --- the folder contract and the CLI ------------------------------------------------------


def test_changed_sweep_file_is_refused_unless_forced(tmp_path):
    f = write(tmp_path, sweep_dict(replicates=1))
    out = tmp_path / "out"
    cli = CliRunner()
    r = cli.invoke(app, ["sweep", str(f), "--out", str(out), "--workers", "1"])
    assert r.exit_code == 0, r.output
    write(tmp_path, sweep_dict(replicates=1, seed=99))
    r = cli.invoke(app, ["sweep", str(f), "--out", str(out), "--workers", "1"])
    assert r.exit_code == 2
    assert "--force" in r.output and "different sweep file" in r.output
    r = cli.invoke(app, ["sweep", str(f), "--out", str(out), "--workers", "1", "--force"])
    assert r.exit_code == 0, r.output
    assert load(out).summary["seed"].tolist() == derive_seeds(99, 4)
    assert json.loads((out / "manifest.json").read_text())["sweep"]["seed"] == 99


def test_run_folder_loads_with_single_file_timeseries(tmp_path):
    from sim.config import parse_scenario
    from sim.runner import write_run_folder

    write_run_folder(parse_scenario(TINY), tmp_path / "run", [1, 2])
    res = load(tmp_path / "run")
    assert res.kind == "run" and len(res.summary) == 2
    one = res.by_run("run-0001", columns=["run_id", "step"])
    assert set(one["run_id"]) == {"run-0001"} and len(one) == 12


BASE_OK = "name: b\nstart: 1993-01\nend: 1993-06\n"
INVALID = {
    "unknown key": (
        "name: x\nbase: base.yaml\nvary: {params.legitimacy: [0.5]}\nrepeats: 2\n",
        "repeats",
    ),
    "wrong type": (
        "name: x\nbase: base.yaml\nvary: {params.legitimacy: [0.5]}\nreplicates: five\n",
        "replicates",
    ),
    "out-of-range range": (
        "name: x\nbase: base.yaml\nvary: {params.legitimacy: {low: 0.5, high: 1.5}}\n",
        "vary.params.legitimacy.high",
    ),
    "unknown vary path": (
        "name: x\nbase: base.yaml\nvary: {params.legitimacyy: [0.5]}\n",
        "vary.params.legitimacyy",
    ),
    "unknown design method": (
        "name: x\nbase: base.yaml\nvary: {params.legitimacy: [0.5]}\ndesign: {method: factorial}\n",
        "design.method",
    ),
    "bad base path": ("name: x\nbase: nowhere.yaml\nvary: {params.legitimacy: [0.5]}\n", "base"),
    "malformed YAML": (
        "name: x\nbase: base.yaml\nvary: {params.legitimacy: [0.5\n",
        "malformed YAML",
    ),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_sweep_files_exit_2_naming_the_field(tmp_path, case):
    text, field = INVALID[case]
    (tmp_path / "base.yaml").write_text(BASE_OK)
    f = write(tmp_path, text)
    cli = CliRunner()
    r = cli.invoke(app, ["sweep", str(f), "--out", str(tmp_path / "out")])
    assert r.exit_code == 2, r.output
    assert field in r.output
    assert not (tmp_path / "out").exists()  # nothing ran, nothing written
    r = cli.invoke(app, ["validate", str(f)])
    assert r.exit_code == 2 and field in r.output


def test_unknown_path_lists_valid_ones():
    with pytest.raises(ScenarioError) as e:
        parse_sweep(sweep_dict(vary={"params.legitimacyy": [0.5]}))
    msg = str(e.value)
    assert "did you mean params.legitimacy" in msg and "params.threshold" in msg


def test_shipped_sweeps_validate():
    files = sorted((ROOT / "scenarios" / "sweeps").glob("*.yaml"))
    assert len(files) >= 3
    for f in files:
        plan = load_sweep(f)
        assert plan.n_runs >= 50, f
        for sc in plan.scenarios[:1]:
            pop = sc["population"]
            assert (
                sum(pop[k] for k in ("cadres", "technicians", "workers", "migrants", "peasants"))
                <= 6000
            )


# --- issue 15: nothing lost ---------------------------------------------------------------


def _tables(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    res = load(out)
    return body(res.summary), res.timeseries()


def test_retry_failed_with_batches_keeps_every_finished_run(tmp_path, monkeypatch):
    # case 2: the retry's record replaced a batch record that also held finished runs
    real = sim_runner.run_scenario
    plan = parse_sweep(sweep_dict())
    bad_seed = plan.seeds[3]  # batches of 3: run 3 opens the second batch

    def flaky(scenario, seed=None, run_id="run-0000", progress=None):
        if seed == bad_seed:
            raise RuntimeError("boom")
        return real(scenario, seed, run_id, progress)

    monkeypatch.setattr(sim_runner, "run_scenario", flaky)
    run_sweep(plan, tmp_path / "out", workers=1, batch_size=3)
    monkeypatch.setattr(sim_runner, "run_scenario", real)
    rep = run_sweep(plan, tmp_path / "out", workers=1, batch_size=3, retry_failed=True)
    assert rep.ok == 1
    s, ts = _tables(tmp_path / "out")
    assert len(s) == 8 and s["run_id"].is_unique and load(tmp_path / "out").failures.empty
    assert ts["run_id"].nunique() == 8 and not ts[["run_id", "step"]].duplicated().any()
    run_sweep(plan, tmp_path / "ref", workers=1)
    ref_s, ref_ts = _tables(tmp_path / "ref")
    pd.testing.assert_frame_equal(s, ref_s)
    pd.testing.assert_frame_equal(ts, ref_ts)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An undamaged sweep (batches of 2) to damage and compare against."""
    tmp = tmp_path_factory.mktemp("ref")
    plan = parse_sweep(sweep_dict(replicates=1))
    run_sweep(plan, tmp / "ref", workers=1, batch_size=2)
    return plan, tmp / "ref", _tables(tmp / "ref")


def _copy(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


@pytest.mark.parametrize(
    "damage",
    ["truncate_half", "truncate_zero", "delete", "flip_byte"],
)
def test_damaged_shards_are_detected_and_rerun(tmp_path, reference, damage):
    # case 3: a truncated shard was reported as done; a deleted one silently lost a run
    plan, ref, (ref_s, ref_ts) = reference
    out = _copy(ref, tmp_path / "out")
    shard = sorted((out / "timeseries.parquet").iterdir())[1]
    data = shard.read_bytes()
    if damage == "truncate_half":
        shard.write_bytes(data[: len(data) // 2])
    elif damage == "truncate_zero":
        shard.write_bytes(b"")
    elif damage == "delete":
        shard.unlink()
    else:
        shard.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
    rep = run_sweep(plan, out, workers=1, batch_size=2)
    assert rep.ok == 2 and rep.skipped == 2
    assert any(shard.name in note for note in rep.repaired), rep.repaired
    s, ts = _tables(out)
    pd.testing.assert_frame_equal(s, ref_s)
    pd.testing.assert_frame_equal(ts, ref_ts)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "edit_value"])
def test_damaged_records_are_detected_and_rerun(tmp_path, reference, damage):
    # case 4: a truncated runs/*.json crashed the resume with JSONDecodeError
    plan, ref, (ref_s, ref_ts) = reference
    out = _copy(ref, tmp_path / "out")
    rec = sorted((out / "runs").iterdir())[0]
    text = rec.read_text()
    if damage == "truncate":
        rec.write_text(text[: len(text) // 2])
    elif damage == "garbage":
        rec.write_bytes(b"\x00\xff garbage")
    else:  # still valid JSON, but not what the worker wrote
        rec.write_text(text.replace('"replicate": 0', '"replicate": 0 ', 1).replace("0.", "1.", 1))
    rep = run_sweep(plan, out, workers=1, batch_size=2)
    assert rep.ok == 2 and rep.skipped == 2 and rep.repaired
    s, ts = _tables(out)
    pd.testing.assert_frame_equal(s, ref_s)
    pd.testing.assert_frame_equal(ts, ref_ts)


@pytest.mark.parametrize("damage", ["garbage", "delete", "truncate"])
def test_a_lost_manifest_is_rebuilt_from_intact_records(tmp_path, reference, damage):
    # case 4: a garbage manifest made the folder "hold no sweep"; only --force helped
    plan, ref, (ref_s, ref_ts) = reference
    out = _copy(ref, tmp_path / "out")
    m = out / "manifest.json"
    if damage == "garbage":
        m.write_bytes(b"\x89PNG garbage")
    elif damage == "delete":
        m.unlink()
    else:
        m.write_text(m.read_text()[:50])
    rep = run_sweep(plan, out, workers=1, batch_size=2)
    assert rep.skipped == 4 and rep.ok == 0
    assert any("manifest.json" in note for note in rep.repaired)
    manifest = json.loads(m.read_text())
    assert manifest["kind"] == "sweep" and manifest["status"] == "complete"
    assert manifest["hash"] == plan.file_hash
    s, ts = _tables(out)
    pd.testing.assert_frame_equal(s, ref_s)
    pd.testing.assert_frame_equal(ts, ref_ts)


def test_resume_says_what_it_repaired(tmp_path):
    f = write(tmp_path, sweep_dict(replicates=1))
    out = tmp_path / "out"
    run_sweep(load_sweep(f), out, workers=1, batch_size=2)
    next(iter(sorted((out / "timeseries.parquet").iterdir()))).write_bytes(b"")
    r = CliRunner().invoke(
        app, ["sweep", str(f), "--out", str(out), "--workers", "1", "--batch-size", "2"]
    )
    assert r.exit_code == 0, r.output
    assert "damaged" in r.output and "part-run-000000.parquet" in r.output
    assert "4 runs: 2 already done, 2 ran" in r.output


def test_records_of_another_sweep_are_not_taken(tmp_path, reference):
    plan, ref, _ = reference
    other = parse_sweep(sweep_dict(replicates=1, seed=12))
    out = _copy(ref, tmp_path / "out")
    (out / "manifest.json").unlink()
    with pytest.raises(ScenarioError, match="another sweep"):
        run_sweep(other, out, workers=1)
    assert len(list((out / "runs").iterdir())) == 2


def test_sweep_refuses_bad_out_and_foreign_folders(tmp_path):
    # cases 1 and 12 for `sweep`
    f = write(tmp_path, sweep_dict(replicates=1))
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    run = tmp_path / "run"
    CliRunner().invoke(app, ["run", str(write(tmp_path, TINY, "tiny.yaml")), "--out", str(run)])
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    for target, words in (
        (afile, "is a file"),
        (afile / "sub", "is under"),
        (run, "run of scenario 'tiny'"),
    ):
        r = CliRunner().invoke(app, ["sweep", str(f), "--out", str(target), "--workers", "1"])
        assert r.exit_code == 2 and words in " ".join(r.output.split()), r.output
    assert afile.read_text() == "x"
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before


def test_huge_design_values_are_refused_before_anything_runs(tmp_path):
    # case 5: a value too large for int64 crashed every compaction
    (tmp_path / "base.yaml").write_text(BASE_OK + "epstein: {width: 10, height: 10}\n")
    texts = [
        "name: x\nbase: base.yaml\nvary: {params.legitimacy: [0.5]}\n"
        "overrides: {epstein: {max_jail_term: 1000000000000000000000000000000}}\n",
        "name: x\nbase: base.yaml\nvary: {params.legitimacy: [0.5]}\n"
        "overrides: {epstein: {max_jail_term: 1.0e+30}}\n",
        "name: x\nbase: base.yaml\nvary: {params.spinup_months: {low: 0, high: 1.0e+30}}\n",
        "name: x\nbase: base.yaml\nvary: {params.legitimacy: {dist: normal, mean: 0.5, sd: 1.0e+300}}\n",
    ]
    for text in texts:
        f = write(tmp_path, text)
        r = CliRunner().invoke(app, ["sweep", str(f), "--out", str(tmp_path / "out")])
        assert r.exit_code == 2, r.output
        assert not (tmp_path / "out").exists()


def test_a_shard_folder_replaced_by_a_file_is_repaired(tmp_path, reference):
    plan, ref, (ref_s, ref_ts) = reference
    out = _copy(ref, tmp_path / "out")
    import shutil

    shutil.rmtree(out / "timeseries.parquet")
    (out / "timeseries.parquet").write_bytes(b"PAR1")
    rep = run_sweep(plan, out, workers=1, batch_size=2)
    assert rep.ok == 4 and any("was a file" in n for n in rep.repaired)
    s, ts = _tables(out)
    pd.testing.assert_frame_equal(ts, ref_ts)


def test_a_vary_list_is_bounded():
    with pytest.raises(ScenarioError, match="at most 10000"):
        parse_sweep(sweep_dict(vary={"params.legitimacy": [0.5] * 20_000}))


def test_worker_and_batch_counts_are_bounded(tmp_path):
    # found while looking for the next fault: --workers 100000 forked that many processes
    f = write(tmp_path, sweep_dict(replicates=1))
    for opt in (["--workers", "100000"], ["--batch-size", "1000000000"]):
        r = CliRunner().invoke(app, ["sweep", str(f), "--out", str(tmp_path / "o"), *opt])
        assert r.exit_code == 2 and opt[0] in r.output
        assert not (tmp_path / "o").exists()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
