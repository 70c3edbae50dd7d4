"""Epstein's Model I run from a scenario file through the CLI, with the output contract."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from sim.cli import app
from sim.config import load_scenario

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_model_i_scenario_shows_punctuated_equilibrium(tmp_path):
    out = tmp_path / "ep"
    res = runner.invoke(
        app, ["run", str(ROOT / "scenarios/epstein_model_i.yaml"), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    ts = pd.read_parquet(out / "timeseries.parquet")
    s = pd.read_parquet(out / "summary.parquet").iloc[0]
    assert len(ts) == load_scenario(ROOT / "scenarios/epstein_model_i.yaml").n_steps == 1000
    assert list(ts.columns[:3]) == ["run_id", "step", "date"]
    # long quiet spells broken by outbursts (Epstein Figs. 3-5)
    assert ts["active"].median() < 0.02 * 1120 and s["active_max"] > 0.1 * 1120
    assert s["outbursts"] >= 3 and s["waiting_time_median"] > 10


def test_legitimacy_jump_scenario_bursts_after_the_jump(tmp_path):
    out = tmp_path / "jump"
    path = ROOT / "scenarios/epstein_legitimacy_jump.yaml"
    assert runner.invoke(app, ["run", str(path), "--out", str(out)]).exit_code == 0
    ts = pd.read_parquet(out / "timeseries.parquet")
    before, after = ts["active"].iloc[:79], ts["active"].iloc[80:140]
    assert before.max() < 20 and after.max() > 200


def test_invalid_epstein_section_exits_2(tmp_path):
    text = (ROOT / "scenarios/epstein_model_i.yaml").read_text()
    p = tmp_path / "bad.yaml"
    p.write_text(text.replace("\n  preset: netlogo", "\n  preset: netlogo\n  cop_densty: 0.1"))
    res = runner.invoke(app, ["run", str(p), "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "epstein.cop_densty" in res.output
    assert "did you mean 'cop_density'" in res.output
    p.write_text(text.replace("\n  preset: netlogo", "\n  preset: netlogo\n  legitimacy: 1.5"))
    res = runner.invoke(app, ["run", str(p), "--out", str(tmp_path / "y")])
    assert res.exit_code == 2 and "epstein.legitimacy" in res.output
