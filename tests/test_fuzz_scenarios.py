"""Fuzzing scenario files (issue 15): every mutated file either runs cleanly or is refused
with exit code 2, naming the file and the field, with no traceback and nothing written.

Mutations start from a small valid scenario and change it the ways people and tools do:
wrong types, out-of-range and non-finite values, deleted, duplicated and unknown keys,
impossible dates, flipped bytes and whole random files. The profile is deterministic
(``derandomize=True``, no example database), so CI sees the same examples every time.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.config import Params

BASE = {
    "name": "fuzz",
    "start": "1993-01",
    "end": "1993-04",
    "seed": 3,
    "population": {
        "cadres": 10,
        "technicians": 10,
        "workers": 120,
        "migrants": 20,
        "peasants": 30,
        "units": 3,
        "villages": 2,
    },
    "params": {"legitimacy": 0.7, "spinup_months": 0, "people_per_agent": 10, "jail_max": 4},
    "regimes": [
        {"type": "privatization", "start": "1993-02", "end": "1993-04", "layoff_share": 0.5},
        {"type": "residency", "convergence_start": "1993-03"},
        {"type": "repression_concession", "stance": "mixed"},
    ],
    "output": {"events": True},
}

FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 45)),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# values that are wrong somewhere (and sometimes right): types, ranges, dates
VALUES = st.one_of(
    st.sampled_from(
        [
            "0.5",
            "12",
            "",
            "abc",
            True,
            False,
            None,
            -1,
            0,
            1,
            2,
            10**12,
            1e30,
            -1e30,
            float("nan"),
            float("inf"),
            0.5,
            [],
            [1, 2],
            {},
            {"a": 1},
            "1993-01-32",
            "1995-02-30",
            "1993-13",
            "2050-01",
            "1992-12",
            "1993-03",
            "one_man",
        ]
    ),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)


def _leaves(d, prefix=()):
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _leaves(v, (*prefix, k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield from _leaves(v, (*prefix, i))
    if prefix:
        yield prefix


def _set(d, path, value):
    node = d
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


def _delete(d, path):
    node = d
    for p in path[:-1]:
        node = node[p]
    del node[path[-1]]


LEAVES = sorted(set(_leaves(BASE)), key=str)
PARAM_NAMES = sorted(Params.model_fields)
NUMERIC_PARAMS = [n for n in PARAM_NAMES if Params.model_fields[n].annotation in (int, float)]
NUMERIC_PARAMS.remove("people_per_agent")  # its lower end makes a run of millions of people


def _bounds(name: str) -> tuple[float, float]:
    lo, hi = -1e9, 1e9
    for m in Params.model_fields[name].metadata:
        lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
        hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
    return float(lo), float(min(hi, 1e6))


@st.composite
def mutated(draw):
    """(file bytes, the key names a refusal should mention or None, description)."""
    kind = draw(
        st.sampled_from(
            ["set", "set", "param", "in_range", "in_range", "delete", "duplicate", "unknown"]
            + ["flip", "bytes"]
        )
    )
    data = json.loads(json.dumps(BASE))
    if kind == "bytes":
        return draw(st.binary(min_size=0, max_size=300)), None, kind
    if kind == "set":
        path = draw(st.sampled_from(LEAVES))
        value = draw(VALUES)
        _set(data, path, value)
        names = {str(p) for p in path if isinstance(p, str)}
    elif kind == "param":
        name = draw(st.sampled_from(PARAM_NAMES))
        data["params"][name] = draw(VALUES)
        names = {name, "params"}
    elif kind == "in_range":  # a legal but unusual value: must run, or be refused cleanly
        name = draw(st.sampled_from(NUMERIC_PARAMS))
        lo, hi = _bounds(name)
        value = draw(st.sampled_from([lo, hi]) | st.floats(lo, hi))
        data["params"][name] = int(value) if Params.model_fields[name].annotation is int else value
        names = {"params"}
    elif kind == "delete":
        path = draw(st.sampled_from(LEAVES))
        _delete(data, path)
        names = {str(p) for p in path if isinstance(p, str)}
    elif kind == "unknown":
        section = draw(st.sampled_from([(), ("population",), ("params",), ("regimes", 0)]))
        key = draw(st.sampled_from(["colour", "legitimcy", "seeds", "layoff"]))
        node = data
        for p in section:
            node = node[p]
        node[key] = 1
        names = {key}
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if kind == "duplicate":
        lines = text.splitlines(keepends=True)
        i = draw(st.integers(0, len(lines) - 1))
        lines.insert(i + 1, lines[i])
        if lines[i].lstrip().startswith("- "):  # a second list item, not a repeated key
            return "".join(lines).encode(), {"regimes"}, kind
        key = lines[i].strip().split(":")[0]
        return "".join(lines).encode(), {key}, kind
    raw = text.encode()
    if kind == "flip":
        i = draw(st.integers(0, len(raw) - 1))
        raw = raw[:i] + bytes([draw(st.integers(0, 255))]) + raw[i + 1 :]
        return raw, None, kind
    return raw, names, kind


@FUZZ
@given(mutated())
def test_mutated_scenarios_run_cleanly_or_exit_2(case):
    from sim.cli import app

    raw, names, kind = case
    tmp = Path(tempfile.mkdtemp(prefix="fuzz-scn-"))
    try:
        f = tmp / "scenario.yaml"
        f.write_bytes(raw)
        out = tmp / "out"
        res = CliRunner().invoke(app, ["run", str(f), "--out", str(out)])
        text = " ".join(res.output.split())
        event(f"{kind}: exit {res.exit_code}")
        assert res.exit_code in (0, 2), (kind, raw[:300], res.output, res.exception)
        assert "Traceback" not in res.output
        if res.exit_code == 2:
            assert "scenario.yaml" in text, res.output
            assert re.search(r"problem\(s\)", text), res.output
            if names:
                assert any(n in text for n in names), (kind, names, res.output)
            assert not out.exists(), "nothing is written for invalid input"
        else:
            manifest = json.loads((out / "manifest.json").read_text())
            assert manifest["status"] == "complete"
            ts = pd.read_parquet(out / "timeseries.parquet")
            n = manifest["scenario"]
            assert len(ts) > 0 and ts["step"].is_monotonic_increasing, n
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
