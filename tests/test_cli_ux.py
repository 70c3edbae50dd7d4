"""What the CLI shows a user: version, fast start, regimes, readable summaries, suggestions."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim import cli
from sim.cli import app, readable

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]

TINY = """\
name: tiny
start: 1993-01
end: 1993-08
seed: 3
population: {cadres: 20, technicians: 20, workers: 300, migrants: 40, peasants: 60, units: 4, villages: 3}
regimes:
  - {type: privatization, layoff_share: 0.8, form: sale}
outcomes:
  - {name: share_laid_off, statistic: share, attribute: laid_off, group: {type: worker}}
"""

HEAVY = ("mesa", "pandas", "matplotlib", "scipy", "pyarrow", "solara", "SALib", "optuna")


def _imports_after(args: list[str]) -> set[str]:
    """Heavy top-level packages imported by running ``cadresim ARGS`` in a fresh process."""
    code = (
        "import sys\n"
        "from sim.cli import app\n"
        "try:\n"
        f"    app({args!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert res.returncode == 0, res.stderr
    line = res.stdout.rsplit("HEAVY:", 1)[1].strip()
    return {m for m in line.split(",") if m}


def test_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0
    from sim import __version__

    assert f"cadresim {__version__}" in res.output


def test_help_and_validate_import_nothing_heavy(tmp_path):
    """Start-up time is import time (measured in the README); the proxy here is that
    neither --help nor validating a scenario imports Mesa, pandas, scipy or matplotlib."""
    assert _imports_after(["--help"]) == set()
    f = tmp_path / "t.yaml"
    f.write_text(TINY)
    assert _imports_after(["validate", str(f)]) == set()


def test_validate_of_shipped_sweeps_imports_nothing_heavy():
    """A sweep file (LHS design, categorical and range factors) is validated without
    pandas, scipy or Mesa: the design box's corners are checked, not the drawn design."""
    files = sorted(str(p) for p in (ROOT / "scenarios" / "sweeps").glob("*.yaml"))
    assert files
    assert _imports_after(["validate", *files]) == set()


def test_check_sweep_finds_an_interaction_only_a_corner_has(tmp_path):
    """Each factor alone is valid on the base, but entry_age high with retirement_age low
    breaks the life-course rule: validate must say so, as loading the design does."""
    from sim.config import ScenarioError
    from sim.sweepfile import check_sweep, load_sweep

    base = tmp_path / "base.yaml"
    base.write_text(TINY)
    sweep = tmp_path / "s.yaml"
    sweep.write_text(
        "name: s\nbase: base.yaml\nvary:\n"
        "  params.entry_age: {low: 16, high: 30}\n"
        "  params.retirement_age: {low: 34, high: 60}\n"
        "design: {method: lhs, samples: 40}\nseed: 1\n"
    )
    with pytest.raises(ScenarioError, match="design corner .*entry_age"):
        check_sweep(sweep)
    sweep.write_text(sweep.read_text().replace("low: 34", "low: 40"))
    assert check_sweep(sweep) == load_sweep(sweep).n_runs == 40


def test_help_lists_plugin_commands_without_importing_them(monkeypatch):
    imported = []
    fake = types.ModuleType("fake_plugin")

    def register(a):
        imported.append(True)

        @a.command("hello")
        def hello(name: str = "you") -> None:
            """Say hello."""
            print(f"hello {name}")

    fake.register = register
    monkeypatch.setitem(sys.modules, "fake_plugin", fake)
    monkeypatch.setitem(cli.PLUGINS, "hello", ("fake_plugin", "Say hello (a test plugin)."))
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0 and "Say hello (a test plugin)." in res.output
    assert not imported, "--help must not import plugin modules"
    res = runner.invoke(app, ["hello", "--name", "cadre"])
    assert res.exit_code == 0 and "hello cadre" in res.output and imported


def test_mistyped_command_gets_a_suggestion():
    res = runner.invoke(app, ["swep"])
    assert res.exit_code == 2 and "did you mean 'sweep'" in res.output


def test_mistyped_regime_type_gets_a_suggestion(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(TINY.replace("type: privatization", "type: privatisation"))
    res = runner.invoke(app, ["validate", str(f)])
    assert res.exit_code == 2
    assert "regimes[0]" in res.output and "did you mean 'privatization'" in res.output


def test_regimes_json_has_typed_defaults_and_choices():
    res = runner.invoke(app, ["regimes", "--json"])
    assert res.exit_code == 0
    entries = {e["name"]: e for e in json.loads(res.output)}
    prm = {p["name"]: p for p in entries["repression_concession"]["parameters"]}
    assert prm["stance"]["default"] == "mixed"
    assert prm["stance"]["choices"] == ["soft", "mixed", "hard"]
    assert prm["stance"]["type"] == "soft|mixed|hard"
    layoff = {p["name"]: p for p in entries["privatization"]["parameters"]}["layoff_share"]
    assert layoff["default"] == 0.75 and isinstance(layoff["default"], float)
    assert prm["start"]["default"] is None and prm["start"]["type"] == "month YYYY-MM or null"


def test_regimes_text_shows_choices_not_literal():
    res = runner.invoke(app, ["regimes"])
    assert res.exit_code == 0
    assert "soft|mixed|hard" in res.output and "Literal" not in res.output


@pytest.mark.parametrize(
    "x, text",
    [
        (9930.4, "9,930"),
        (1.377e6, "1,377,000"),
        (1753.0, "1,753"),
        (12.345, "12.3"),
        (3.0, "3"),
        (0.0697, "0.0697"),
        (0.00001234, "0.0000123"),
        (float("nan"), "n/a"),
    ],
)
def test_readable_numbers(x, text):
    assert readable(x) == text


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_readable_never_uses_an_exponent_and_keeps_three_digits(x):
    text = readable(x)
    assert "e" not in text.lower()
    back = float(text.replace(",", ""))
    assert abs(back - x) <= max(5e-3 * abs(x), 0.5 if abs(x) >= 1000 else 5e-3 * abs(x) + 1e-300)


def test_run_summary_has_units_and_user_outcomes(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text(TINY)
    res = runner.invoke(app, ["run", str(f), "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert "unit" in res.output and "events / year" in res.output
    assert "share_laid_off (final)" in res.output and "share 0–1" in res.output
    assert "e+0" not in res.output


def test_sweep_ends_with_a_table_of_design_points(tmp_path):
    base = tmp_path / "t.yaml"
    base.write_text(TINY)
    sweep = tmp_path / "s.yaml"
    sweep.write_text(
        "name: s\nbase: t.yaml\nvary:\n  regimes.privatization.layoff_share: [0.2, 0.9]\n"
        "design: {method: grid}\nreplicates: 1\nseed: 1\n"
    )
    res = runner.invoke(app, ["sweep", str(sweep), "--out", str(tmp_path / "o"), "--workers", "1"])
    assert res.exit_code == 0, res.output
    assert "s: design points" in res.output and "layoff_share" in res.output
    assert "share_laid_off" in res.output  # the base scenario's own outcome
    rows = [ln for ln in res.output.splitlines() if ln.strip().startswith(("│ 0", "│ 1"))]
    assert len(rows) == 2 and "0.2" in rows[0] and "0.9" in rows[1]


def test_mistyped_outcome_gets_a_suggestion(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text(TINY)
    assert runner.invoke(app, ["run", str(f), "--out", str(tmp_path / "r")]).exit_code == 0
    res = runner.invoke(app, ["plot", str(tmp_path / "r"), "--outcome", "protest_event"])
    assert res.exit_code == 2 and "did you mean 'protest_events'" in res.output
