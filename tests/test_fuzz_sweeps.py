"""Fuzzing sweep folders (issue 15): after random damage — files truncated, deleted,
overwritten with garbage or with single bytes changed — a resume either completes with
exactly the runs of an undamaged sweep, identical to it, or refuses with exit code 2 and
a message. It never exits 0 with less, and never ends in a traceback.

The profile is deterministic (``derandomize=True``, no example database).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.results import load

SWEEP = {
    "name": "fuzz",
    "base": {
        "name": "tiny",
        "start": "1993-01",
        "end": "1993-04",
        "population": {
            "cadres": 10,
            "technicians": 10,
            "workers": 120,
            "migrants": 20,
            "peasants": 30,
            "units": 3,
            "villages": 2,
        },
        "params": {"spinup_months": 0, "people_per_agent": 10},
        "output": {"events": True},
    },
    "vary": {"params.legitimacy": [0.3, 0.6, 0.9]},
    "replicates": 2,
    "seed": 5,
}
ARGS = ["--workers", "1", "--batch-size", "2"]

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 25)),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _tables(out: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    res = load(out)
    return (
        res.summary.sort_values("run_id").reset_index(drop=True),
        res.timeseries(),
        res.events(),
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    from sim.cli import app

    tmp = tmp_path_factory.mktemp("fuzz-sweep")
    f = tmp / "sweep.yaml"
    f.write_text(yaml.safe_dump(SWEEP, sort_keys=False))
    out = tmp / "ref"
    r = CliRunner().invoke(app, ["sweep", str(f), "--out", str(out), *ARGS])
    assert r.exit_code == 0, r.output
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert any(p.startswith("events.parquet/") for p in files)
    return f, out, files, _tables(out)


DAMAGE = st.sampled_from(["truncate", "empty", "delete", "garbage", "byte", "append"])


@FUZZ
@given(data=st.data())
def test_damaged_sweep_resumes_to_the_full_identical_set_or_exits_2(reference, data):
    from sim.cli import app

    f, ref, files, (ref_s, ref_ts, ref_ev) = reference
    n_damage = data.draw(st.integers(1, 3))
    damage = [(data.draw(st.sampled_from(files)), data.draw(DAMAGE)) for _ in range(n_damage)]
    tmp = Path(tempfile.mkdtemp(prefix="fuzz-sweep-"))
    try:
        out = tmp / "out"
        shutil.copytree(ref, out)
        for name, how in damage:
            p = out / name
            if not p.exists():
                continue
            raw = p.read_bytes()
            if how == "truncate":
                p.write_bytes(raw[: data.draw(st.integers(0, max(0, len(raw) - 1)))])
            elif how == "empty":
                p.write_bytes(b"")
            elif how == "delete":
                p.unlink()
            elif how == "garbage":
                p.write_bytes(data.draw(st.binary(min_size=1, max_size=200)))
            elif how == "byte" and raw:
                i = data.draw(st.integers(0, len(raw) - 1))
                new = data.draw(st.integers(0, 255).filter(lambda b, old=raw[i]: b != old))
                p.write_bytes(raw[:i] + bytes([new]) + raw[i + 1 :])
            elif how == "append":
                p.write_bytes(raw + data.draw(st.binary(min_size=1, max_size=50)))
        r = CliRunner().invoke(app, ["sweep", str(f), "--out", str(out), *ARGS])
        event(f"exit {r.exit_code}")
        assert r.exit_code in (0, 2), (damage, r.output, r.exception)
        assert "Traceback" not in r.output
        if r.exit_code == 2:
            assert "--out" in r.output or "invalid" in r.output, r.output
            return
        s, ts, ev = _tables(out)
        pd.testing.assert_frame_equal(s, ref_s)
        pd.testing.assert_frame_equal(ts, ref_ts)
        pd.testing.assert_frame_equal(ev, ref_ev)
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["status"] == "complete" and manifest["finished_runs"] == 6
        assert "6 runs" in r.output
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
