"""calibration/validate_all.py: one command for every number of docs/validation.md.

Fast checks only: the driver end to end on the tiny synthetic config (the reform-era
budget is a long run, quoted in docs/validation.md), its refusals, the yearly
statistics and shape table it relies on, and the ABC progress bar.
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import math
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.calendar import Month
from sim.calibration import RunData, known_statistic, load_calibration, yearly_statistic
from sim.config import ScenarioError
from sim.outcomes import OUTCOME_NAMES

ROOT = Path(__file__).resolve().parents[1]
SYNTHETIC_ABC = ROOT / "calibration" / "synthetic_abc.yaml"


def _driver():
    spec = importlib.util.spec_from_file_location(
        "validate_all", ROOT / "calibration" / "validate_all.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules["validate_all"] = mod
    spec.loader.exec_module(mod)
    return mod


va = _driver()


def _config(tmp_path: Path, edit=None) -> Path:
    cfg = yaml.safe_load(SYNTHETIC_ABC.read_text())
    cfg["scenario"] = str(ROOT / "scenarios" / "baseline.yaml")
    cfg["synthetic"]["replicates"] = 2
    if edit:
        edit(cfg)
    path = tmp_path / "syn.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_driver_writes_report_whose_numbers_are_the_runs(tmp_path, capsys):
    """posterior + compare + report on the six-month synthetic city, tiny budget."""
    cfg = _config(tmp_path)
    out = tmp_path / "v"
    args = ["--config", str(cfg), "--out", str(out), "--tiny"]
    assert va.main([*args, "--stages", "posterior,compare,report"]) == 0
    post = json.loads((out / "posterior" / "posterior.json").read_text())
    md = (out / "validation_generated.md").read_text()
    rec = json.loads((out / "posterior.json").read_text())
    # the tree and the command are beside the tables
    assert rec["tree"]["commit"] and rec["tree"]["commit"] in md
    assert rec["tree"]["model_key"] in md
    assert "--stages posterior,compare,report" in md
    assert rec["cpu_s"] > 0 and rec["wall_s"] > 0
    # the report quotes the run: its epsilon schedule and each parameter's median
    eps = " → ".join(va._f(e) for e in post["epsilon_schedule"])
    assert f"epsilon {eps}" in md
    for name, ci in post["credible_intervals"].items():
        assert f"| {name} | {va._f(ci['median'])} |" in md
    cov = post["predictive_checks"]["coverage_held_out"]["in_90_count"]
    assert "held-out point statistics: in 50 % " in md and f"in 90 % {cov}" in md
    # one model fitted: the models section says so instead of keeping an older table
    assert va.report_sections(out)["models"].startswith("No ABC model selection")
    # the comparison re-ran the posterior's particles on fresh seeds
    cmp_ = json.loads((out / "compare.json").read_text())
    ppc = pd.read_parquet(out / "compare" / "ppc.parquet")
    assert len(ppc) == 10 and ppc["seed"].nunique() == 10
    assert cmp_["result"]["arms"]["as fitted"]["draws"] == 10

    # a model change (another model key) makes the ABC folder refuse to resume
    (out / "posterior" / "model_key.txt").write_text("another-tree")
    before = sorted(p.name for p in (out / "posterior").iterdir())
    assert va.main([*args, "--stages", "posterior"]) == 2
    assert "another model tree" in capsys.readouterr().err
    assert sorted(p.name for p in (out / "posterior").iterdir()) == before
    # and the comparison will not use a posterior of another tree
    assert va.main([*args, "--stages", "compare"]) == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--stages", "posterior,dokcing"], "unknown ['dokcing']"),
        (["--variants", "full,no_such"], "unknown ['no_such']"),
        (["--abc", "popsize=3"], "use KEY=VALUE with KEY in"),
        (["--abc", "ppc_draws=3"], "ppc_draws"),
        (["--compare-draws", "5"], "--compare-draws: must be >= 10"),
        (["--workers", "0"], "--workers: must be >= 1"),
    ],
)
def test_bad_driver_arguments_exit_2_and_write_nothing(tmp_path, capsys, extra, message):
    out = tmp_path / "v"
    code = va.main(["--out", str(out), *extra])
    assert code == 2
    assert message in " ".join(capsys.readouterr().err.split())
    assert not out.exists()


def test_yearly_totals_are_statistics_of_flows_only(tmp_path):
    assert yearly_statistic("protest_events_in_1997") == ("protest_events", 1997)
    assert yearly_statistic("protest_participants_in_2004") == ("protest_participants", 2004)
    assert known_statistic("protest_events_in_1997")
    # a level (not a flow) has no yearly total; nor has an unknown outcome
    level = next(n for n in OUTCOME_NAMES if n == "legitimacy")
    assert yearly_statistic(f"{level}_in_1997") is None
    assert not known_statistic("protest_evnets_in_1997")
    # computed from calendar years of the records
    from sim.calibration import _compute

    rec = np.zeros((24, len(OUTCOME_NAMES)))
    rec[:12, OUTCOME_NAMES.index("protest_events")] = 2.0
    d = RunData(records=rec, start=Month(1999, 1), n_people=10, summary={})
    assert _compute("protest_events_in_1999", d) == 24.0
    assert _compute("protest_events_in_2000", d) == 0.0
    assert math.isnan(_compute("protest_events_in_2001", d))
    # an unknown report: statistic exits the config with its field
    path = _config(tmp_path, lambda c: c.update(report=["protest_events_in_1993", "bogus"]))
    with pytest.raises(ScenarioError) as e:
        load_calibration(path)
    assert any(f == "report[1]" and "bogus" in m for f, m in e.value.problems)


def test_shape_table_is_relative_to_the_reference_year():
    years = range(1993, 2005)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {f"protest_events_in_{y}": rng.poisson(10 + 3 * (y - 1993), 30) for y in years}
        | {f"protest_participants_in_{y}": rng.poisson(100, 30) for y in years}
    )
    t = va.shape_table(frame)
    ev = t["protest_events"]
    assert ev["reference_year"] == 2000
    assert ev["years"][2000]["median"] == 0.0 and ev["years"][2000]["observed"] == 0.0
    assert math.isclose(ev["years"][2004]["observed"], math.log(74_000 / 40_000))
    assert "observed" not in ev["years"][1997]  # no national count that year
    for row in ev["years"].values():
        assert row["q05"] <= row["q25"] <= row["median"] <= row["q75"] <= row["q95"]
    # growing counts: earlier years below the reference, later ones above
    assert ev["years"][1993]["median"] < 0 < ev["years"][2004]["median"]
    assert t["protest_participants"]["reference_year"] == 2003


def test_abc_progress_counts_generations_and_restores_pyabc_logging():
    import pyabc  # noqa: F401
    from rich.console import Console

    import sim.posterior  # noqa: F401  (imports pyabc, which installs its handler)
    from sim.posterior import AbcProgress

    log = logging.getLogger("ABC")
    before = list(log.handlers)
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    with AbcProgress(console, "test", done=1, total=4) as bar:
        assert bar.active and bar not in before and bar in log.handlers
        assert not any(h in log.handlers for h in before)  # pyabc's lines muted
        log.info("t: 1, eps: 3.50000000e+00.")
        log.info("Accepted: 40 / 95 = 4.2105e-01, ESS: 3.1000e+01.")
        log.info("t: 2, eps: 2.10000000e+00.")
        task = bar.bar.tasks[0]
        assert task.completed == 2  # one resumed generation + one finished here
        assert "sampling at epsilon 2.1" in task.fields["note"]
    assert log.handlers == before
    text = console.file.getvalue()
    assert re.search(r"2/4", text)
    # outside a terminal it does nothing (pyabc's own lines stay)
    quiet = AbcProgress(Console(file=io.StringIO()), "t", 0, 3)
    with quiet:
        assert log.handlers == before


def test_paired_differences_tell_an_inert_switch_from_a_real_one():
    cal = load_calibration(SYNTHETIC_ABC)
    for t in cal.targets:  # the synthetic targets' values, set by hand here
        t.value = {"grievance_worker_mean": 0.1, "protest_events_total": 4.0}[t.statistic]
    rng = np.random.default_rng(1)
    base = pd.DataFrame(
        {
            "grievance_worker_mean": rng.normal(0.1, 0.005, 20),
            "protest_events_total": rng.poisson(4, 20).astype(float),
            "peak_active_share": rng.uniform(0, 0.04, 20),
        }
    )
    same = va.paired_differences(cal, base, base.copy())
    assert all(d["p"] is None for d in same["statistics"].values())  # identical: untestable
    worse = base.assign(grievance_worker_mean=base["grievance_worker_mean"] + 0.02)
    d = va.paired_differences(cal, base, worse)
    g = d["statistics"]["worker_grievance"]
    assert math.isclose(g["median_difference"], 0.02) and g["p"] < 0.001
    assert d["statistics"]["protest_events"]["p"] is None  # untouched statistic
    assert d["z2"]["fitted"]["median_difference"] > 0 and d["z2"]["fitted"]["p"] < 0.001


def test_paste_replaces_only_the_marked_blocks(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text(
        "intro 1.5\n<!-- generated:ppc -->\nold table\n<!-- /generated:ppc -->\nprose\n"
        "<!-- generated:cr -->\nkept\n<!-- /generated:cr -->\n"
    )
    assert va.paste(doc, {"ppc": "| new | 2 |", "compare": "x"}) == ["ppc"]
    text = doc.read_text()
    assert "| new | 2 |" in text and "old table" not in text
    assert text.startswith("intro 1.5\n") and "prose\n" in text and "kept" in text
    assert va.paste(doc, {"ppc": "| new | 2 |"}) == ["ppc"]  # idempotent
    assert doc.read_text() == text


def test_paste_fills_an_empty_block(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("a\n<!-- generated:cr -->\n<!-- /generated:cr -->\nb\n")
    assert va.paste(doc, {"cr": "new"}) == ["cr"]
    assert doc.read_text() == "a\n<!-- generated:cr -->\nnew\n<!-- /generated:cr -->\nb\n"
