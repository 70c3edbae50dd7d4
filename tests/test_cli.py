"""The CLI end to end: run folders, exit codes, byte-identical output, Parquet round trip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
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
