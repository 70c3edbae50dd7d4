"""The CLI end to end: run folders, exit codes, byte-identical output, Parquet round trip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from sim.cli import app
from sim.outcomes import OUTCOME_NAMES

SMALL = """\
name: tiny
description: a tiny city for tests
start: 1993-01
end: 1994-06
seed: 99
population: {cadres: 30, technicians: 30, workers: 400, migrants: 60, peasants: 100, units: 5, villages: 4}
params: {legitimacy: 0.7, people_per_agent: 5}
"""

runner = CliRunner()


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(SMALL)
    return p


def test_run_writes_the_contract(scenario_file, tmp_path):
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", str(scenario_file), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "protest events / year" in res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["seeds"] == [99]
    assert manifest["scenario"]["name"] == "tiny" and manifest["scenario"]["start"] == "1993-01"
    assert "mesa" in manifest["versions"] and manifest["started"] and manifest["finished"]
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert list(ts.columns) == ["run_id", "step", "date", *OUTCOME_NAMES]
    assert len(ts) == 18 and ts["date"].tolist()[:2] == ["1993-01", "1993-02"]
    summary = pd.read_parquet(out / "summary.parquet")
    assert len(summary) == 1 and summary.loc[0, "seed"] == 99
    assert {"protest_events_total", "legitimacy_final", "gini_mean"} <= set(summary.columns)


def test_same_seed_byte_identical_different_seed_differs(scenario_file, tmp_path):
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        res = runner.invoke(
            app, ["run", str(scenario_file), "--out", str(tmp_path / name), "--seed", seed]
        )
        assert res.exit_code == 0, res.output
    for table in ("timeseries.parquet", "summary.parquet"):
        a = (tmp_path / "a" / table).read_bytes()
        assert a == (tmp_path / "b" / table).read_bytes()
        assert a != (tmp_path / "c" / table).read_bytes()


def test_replicates_get_spawned_seeds(scenario_file, tmp_path):
    out = tmp_path / "reps"
    res = runner.invoke(app, ["run", str(scenario_file), "--out", str(out), "--replicates", "3"])
    assert res.exit_code == 0, res.output
    s = pd.read_parquet(out / "summary.parquet")
    assert s["run_id"].tolist() == ["run-0000", "run-0001", "run-0002"]
    assert s["seed"].nunique() == 3
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 3 * 18


def test_parquet_round_trip(scenario_file, tmp_path):
    from sim import store

    out = tmp_path / "rt"
    runner.invoke(app, ["run", str(scenario_file), "--out", str(out)])
    ts = pd.read_parquet(out / "timeseries.parquet")
    store.write_table(ts, tmp_path / "again.parquet")
    back = pd.read_parquet(tmp_path / "again.parquet")
    pd.testing.assert_frame_equal(ts, back)
    schema = pq.read_schema(out / "timeseries.parquet")
    assert str(schema.field("step").type) == "int32" and str(schema.field("date").type) in (
        "string",
        "large_string",
    )


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (("legitimacy: 0.7", "legitimacy: 7"), "params.legitimacy"),
        (("workers: 400", "workers: lots"), "population.workers"),
        (("name: tiny", "name: tiny\ncolour: red"), "colour"),
        (("start: 1993-01", "start: 1993-00"), "start"),
        (("end: 1994-06", "end: 1992-06"), "end"),
        (("params: {", "regimes: [{type: perestroika}]\nparams: {"), "regimes[0]"),
        (("start: 1993-01", "start: [1993"), ""),
    ],
)
def test_invalid_input_exits_2_naming_field(tmp_path, edit, field):
    p = tmp_path / "bad.yaml"
    p.write_text(SMALL.replace(*edit))
    out = tmp_path / "never"
    res = runner.invoke(app, ["run", str(p), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert str(p) in res.output and field in res.output
    assert not out.exists(), "nothing runs or is written for invalid input"
    res = runner.invoke(app, ["validate", str(p)])
    assert res.exit_code == 2 and field in res.output


def test_validate_ok_and_missing_file(scenario_file, tmp_path):
    assert runner.invoke(app, ["validate", str(scenario_file)]).exit_code == 0
    res = runner.invoke(app, ["validate", str(tmp_path / "missing.yaml")])
    assert res.exit_code == 2 and "cannot read file" in res.output


def test_failure_during_run_exits_1(scenario_file, tmp_path, monkeypatch):
    import sim.runner

    def boom(*a, **k):
        raise RuntimeError("model exploded")

    monkeypatch.setattr(sim.runner, "run_scenario", boom)
    out = tmp_path / "fail"
    res = runner.invoke(app, ["run", str(scenario_file), "--out", str(out)])
    assert res.exit_code == 1 and "model exploded" in res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed" and "model exploded" in manifest["error"]


def test_console_script_runs(scenario_file, tmp_path):
    exe = Path(sys.executable).with_name("cadresim")
    res = subprocess.run(
        [str(exe), "run", str(scenario_file), "--out", str(tmp_path / "cs")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "cs" / "summary.parquet").exists()


def test_shipped_scenarios_validate():
    root = Path(__file__).resolve().parents[1] / "scenarios"
    files = sorted(p for p in root.glob("*.yaml"))
    assert any(p.name == "baseline.yaml" for p in files)
    res = runner.invoke(app, ["validate", *map(str, files)])
    assert res.exit_code == 0, res.output


# --- issue 15: nothing lost, nothing accepted that should not be ---------------------


def _tree(path: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
    }


def _sweep_folder(tmp_path: Path) -> Path:
    from sim.sweep import parse_sweep, run_sweep

    base = yaml.safe_load(SMALL.replace("end: 1994-06", "end: 1993-03"))
    plan = parse_sweep(
        {"name": "s", "base": base, "vary": {"params.legitimacy": [0.6, 0.7]}, "seed": 1}
    )
    out = tmp_path / "sweep"
    run_sweep(plan, out, workers=1)
    return out


def test_run_refuses_a_sweep_folder_and_touches_nothing(scenario_file, tmp_path):
    # case 1: `run --out <sweep>` overwrote the sweep's manifest, then crashed
    sweep = _sweep_folder(tmp_path)
    before = _tree(sweep)
    for extra in ([], ["--force"]):
        res = runner.invoke(app, ["run", str(scenario_file), "--out", str(sweep), *extra])
        assert res.exit_code == 2, res.output
        assert "sweep 's'" in res.output and "2 of 2 runs" in res.output
        assert _tree(sweep) == before


def test_run_refuses_another_run_and_foreign_files_unless_forced(scenario_file, tmp_path):
    out = tmp_path / "run"
    assert runner.invoke(app, ["run", str(scenario_file), "--out", str(out)]).exit_code == 0
    before = _tree(out)
    res = runner.invoke(app, ["run", str(scenario_file), "--out", str(out), "--seed", "5"])
    assert res.exit_code == 2 and "run of scenario 'tiny'" in res.output and "--force" in res.output
    assert _tree(out) == before
    # the same scenario and seed again replaces its own folder (byte-identical tables)
    res = runner.invoke(app, ["run", str(scenario_file), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert _tree(out)["summary.parquet"] == before["summary.parquet"]
    res = runner.invoke(
        app, ["run", str(scenario_file), "--out", str(out), "--seed", "5", "--force"]
    )
    assert res.exit_code == 0 and json.loads((out / "manifest.json").read_text())["seeds"] == [5]
    # a folder with files that are not a cadresim run
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious")
    res = runner.invoke(app, ["run", str(scenario_file), "--out", str(mine)])
    assert res.exit_code == 2 and "notes.txt" in res.output
    assert _tree(mine) == {"notes.txt": b"precious"}


def test_bad_out_exits_2_and_writes_nothing(scenario_file, tmp_path):
    # case 12: an existing file, a path under a file, an unwritable place
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    # root ignores permissions: there, a place nobody can create folders in
    unwritable = Path("/proc/cadresim-test/run") if os.geteuid() == 0 else locked / "run"
    targets = [afile, afile / "sub", unwritable]
    for target in targets:
        for cmd in (["run", str(scenario_file)],):
            res = runner.invoke(app, [*cmd, "--out", str(target)])
            assert res.exit_code == 2, (target, res.output)
            assert "--out" in res.output and "Traceback" not in res.output
    assert afile.read_text() == "x" and list(locked.iterdir()) == []
    locked.chmod(0o700)


def test_outputs_honour_the_umask(scenario_file, tmp_path):
    # case 6: mkstemp made every output file 0600
    old = os.umask(0o022)
    try:
        out = tmp_path / "shared"
        assert runner.invoke(app, ["run", str(scenario_file), "--out", str(out)]).exit_code == 0
        modes = {p.name: p.stat().st_mode & 0o777 for p in out.iterdir()}
        assert set(modes.values()) == {0o644}, modes
        os.umask(0o077)
        out = tmp_path / "private"
        assert runner.invoke(app, ["run", str(scenario_file), "--out", str(out)]).exit_code == 0
        assert {p.stat().st_mode & 0o777 for p in out.iterdir()} == {0o600}
    finally:
        os.umask(old)


def test_replicates_are_bounded_before_seeds_are_drawn(scenario_file, tmp_path):
    # case 11: --replicates 100000000 ran out of memory in derive_seeds
    out = tmp_path / "many"
    res = runner.invoke(
        app, ["run", str(scenario_file), "--out", str(out), "--replicates", "100000000"]
    )
    assert res.exit_code == 2 and "replicates" in res.output
    assert not out.exists()
    from sim.runner import derive_seeds

    with pytest.raises(ValueError, match="at most"):
        derive_seeds(1, 10**8)


BINARY = bytes(range(256)) * 4


@pytest.mark.parametrize(
    "content", [BINARY, SMALL.encode("utf-16"), SMALL.replace("1993-01", "1995-02-30").encode()]
)
def test_undecodable_files_and_impossible_days_exit_2_everywhere(tmp_path, content):
    # case 9: run, validate, calibrate and explore ended in tracebacks
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content)
    cal = tmp_path / "cal.yaml"
    cal.write_text(
        "name: c\nscenario: bad.yaml\nparameters: {params.legitimacy: {low: 0.5, high: 0.9}}\n"
        "targets: [{name: t, statistic: legitimacy_final, value: 0.5, sd: 0.1}]\n"
    )
    for args in (
        ["run", str(bad), "--out", str(tmp_path / "o")],
        ["validate", str(bad)],
        ["explore", str(bad), "--port", "1"],
        ["calibrate", str(cal), "--out", str(tmp_path / "c")],
        ["calibrate", str(bad), "--out", str(tmp_path / "c")],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output, res.exception)
        assert "bad.yaml" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "o").exists() and not (tmp_path / "c").exists()


def test_validate_reports_every_file(scenario_file, tmp_path):
    # case 12: validate stopped at the binary file's traceback
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.replace("legitimacy: 0.7", "legitimacy: 7"))
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(BINARY)
    missing = tmp_path / "missing.yaml"
    files = [scenario_file, binary, bad, missing, scenario_file]
    res = runner.invoke(app, ["validate", *map(str, files)])
    assert res.exit_code == 2
    for f in (binary, bad, missing):
        assert str(f) in res.output
    assert res.output.count(f"ok {scenario_file}") == 2
    assert "3 of 5 files invalid" in res.output
