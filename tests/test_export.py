"""Exports other tools read (sim/export.py, `cadresim export`)."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim import export
from sim.config import parse_scenario
from sim.runner import derive_seeds, write_run_folder
from sim.store import write_json, write_table

TINY = {
    "name": "tiny_export",
    "start": "1995-01",
    "end": "1995-12",
    "seed": 5,
    "population": {
        "cadres": 10,
        "technicians": 10,
        "workers": 120,
        "migrants": 20,
        "peasants": 20,
        "units": 3,
        "villages": 2,
    },
}
VALID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("exp_run")
    write_run_folder(parse_scenario(TINY), out, derive_seeds(5, 2))
    return out


@pytest.fixture(scope="module")
def sweep(tmp_path_factory, run):
    """A sweep-shaped folder: the run's rows with two dotted parameter columns."""
    folder = tmp_path_factory.mktemp("exp_sweep")
    s = pd.read_parquet(run / "summary.parquet").drop(columns=["scenario"], errors="ignore")
    s.insert(1, "point", [0, 1])
    s.insert(4, "params.legitimacy", [0.6, 0.9])
    s.insert(5, "regimes.repression_concession.stance", ["soft", "hard"])
    s["seed"] = [2**62 + 12345, 2**61 + 7]  # beyond a double's exact integers
    write_table(s, folder / "summary.parquet")
    write_table(pd.read_parquet(run / "timeseries.parquet"), folder / "timeseries.parquet")
    write_json(
        {"kind": "sweep", "name": "exp", "parameters": list(s.columns[4:6])},
        folder / "manifest.json",
    )
    return folder


@given(st.lists(st.text(min_size=1, max_size=60), min_size=1, max_size=30))
def test_names_are_valid_unique_and_short(columns):
    names = export.column_names(columns)
    assert len(names) == len(set(columns))
    assert all(VALID.match(n) for n in names.values())
    assert len({n.lower() for n in names.values()}) == len(names)
    assert not set(names.values()) & export.STATA_RESERVED


def test_dotted_parameters_become_par_names():
    names = export.column_names(
        ["params.legitimacy", "regimes.repression_concession.stance", "legitimacy_mean", "in"]
    )
    assert names["params.legitimacy"] == "par_legitimacy"
    assert names["regimes.repression_concession.stance"] == "par_repression_concession_stance"
    assert names["legitimacy_mean"] == "legitimacy_mean"
    assert names["in"] == "in_v"


def test_stata_round_trip_with_dates_labels_and_exact_seeds(sweep, tmp_path):
    paths = export.export_folder(sweep, tmp_path, "stata")
    assert {p.name for p in paths} == {"summary.dta", "timeseries.dta", "codebook.csv"}
    s = pd.read_stata(tmp_path / "summary.dta")
    src = pd.read_parquet(sweep / "summary.parquet")
    assert s["par_legitimacy"].tolist() == [0.6, 0.9]
    assert s["par_repression_concession_stance"].tolist() == ["soft", "hard"]
    assert [int(x) for x in s["seed"]] == src["seed"].tolist()  # exact, not via a double
    assert s["protest_events_total"].tolist() == pytest.approx(src["protest_events_total"])
    ts = pd.read_stata(tmp_path / "timeseries.dta")
    assert pd.api.types.is_datetime64_any_dtype(ts["date"])
    assert str(ts["date"].iloc[0].date()) == "1995-01-01"
    labels = pd.io.stata.StataReader(tmp_path / "summary.dta").variable_labels()
    assert "legitimacy" in labels["par_legitimacy"].lower()
    assert all(len(v) <= 80 for v in labels.values())


def test_codebook_gives_meaning_and_unit_of_every_column(sweep, tmp_path):
    export.export_folder(sweep, tmp_path, "csv")
    book = pd.read_csv(tmp_path / "codebook.csv").fillna("")
    summary = pd.read_csv(tmp_path / "summary.csv")
    ts = pd.read_csv(tmp_path / "timeseries.csv")
    assert book.loc[book.table == "summary", "name"].tolist() == summary.columns.tolist()
    assert book.loc[book.table == "timeseries", "name"].tolist() == ts.columns.tolist()
    row = book.set_index(["table", "name"]).loc[("summary", "protest_events_per_year")]
    assert row["unit"] == "events per year" and "protest" in row["meaning"]
    row = book.set_index(["table", "name"]).loc[("summary", "par_legitimacy")]
    assert row["cadresim_name"] == "params.legitimacy" and "Epstein" in row["meaning"]
    assert (book["meaning"] != "").all()
    assert ts["date"].iloc[0] == "1995-01-01"


def test_parquet_export_has_real_dates(run, tmp_path):
    export.export_folder(run, tmp_path, "parquet", ["timeseries"])
    ts = pd.read_parquet(tmp_path / "timeseries.parquet")
    assert pd.api.types.is_datetime64_any_dtype(ts["date"])
    assert len(ts) == 24  # 2 runs × 12 months


def test_cli_export_and_bad_format(run, tmp_path):
    from sim.cli import app

    r = CliRunner().invoke(
        app, ["export", str(run), "--format", "stata", "--out", str(tmp_path / "x")]
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "x" / "summary.dta").exists()
    r = CliRunner().invoke(
        app, ["export", str(run), "--format", "sas", "--out", str(tmp_path / "y")]
    )
    assert r.exit_code == 2 and "csv" in r.output and "stata" in r.output
    assert not (tmp_path / "y").exists()  # nothing written


def test_user_defined_outcomes_are_plotted_and_described(run, tmp_path):
    """A folder whose scenario has an `outcomes:` section: its columns get panels and
    codebook meanings like the built-in ones."""
    import json

    import numpy as np

    from sim import plots

    folder = tmp_path / "user"
    folder.mkdir()
    s = pd.read_parquet(run / "summary.parquet")
    s["grievance_laid_off_mean"] = [0.2, 0.4]
    s["grievance_laid_off_final"] = [0.3, 0.5]
    write_table(s, folder / "summary.parquet")
    ts = pd.read_parquet(run / "timeseries.parquet")
    ts["grievance_laid_off"] = np.linspace(0.1, 0.5, len(ts))
    write_table(ts, folder / "timeseries.parquet")
    m = json.loads((run / "manifest.json").read_text())
    entry = {"name": "grievance_laid_off", "statistic": "mean", "attribute": "grievance"}
    m["scenario"]["outcomes"] = [entry]
    (folder / "manifest.json").write_text(json.dumps(m))
    f = plots.open_folder(folder)
    names = [o.name for o in plots.outcomes_of(f, None)]
    assert names[-1] == "grievance_laid_off" and "protest_events" in names
    fig = plots.plot_envelopes(folder, ["grievance_laid_off", "legitimacy"])
    assert "Grievance laid off" in [ax.get_title() for ax in fig.axes]
    export.export_folder(folder, tmp_path / "x", "csv", ["summary", "timeseries"])
    book = pd.read_csv(tmp_path / "x" / "codebook.csv").set_index(["table", "name"])
    assert book.loc[("summary", "grievance_laid_off_mean"), "meaning"].startswith(
        "run mean of user-defined"
    )
    assert "user-defined" in book.loc[("timeseries", "grievance_laid_off"), "meaning"]


def test_each_analysis_module_registers_only_its_command():
    """A CLI that imports a command's module on first use finds `register` there, and
    importing sim.analysis_commands (what `cadresim --help` needs) pulls no heavy library."""
    import importlib
    import subprocess
    import sys

    import typer

    for module, name in (
        ("sim.plots", "plot"),
        ("sim.report", "report"),
        ("sim.discover", "discover"),
        ("sim.export", "export"),
    ):
        app = typer.Typer()
        importlib.import_module(module).register(app)
        assert [c.callback.__name__ for c in app.registered_commands] == [name]
    code = (
        "import sys, sim.analysis_commands; "
        "print([m for m in ('matplotlib', 'pandas', 'ema_workbench', 'numpy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
