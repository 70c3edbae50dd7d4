"""Shared fixtures: small scenarios that run in well under a second."""

from __future__ import annotations

import pytest

from sim.config import parse_scenario


def small_scenario(**overrides):
    data = {
        "name": "small",
        "start": "1993-01",
        "end": "1994-12",
        "seed": 7,
        "population": {
            "cadres": 60,
            "technicians": 60,
            "workers": 900,
            "migrants": 200,
            "peasants": 400,
            "units": 8,
            "villages": 6,
        },
        "params": {"people_per_agent": 5},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return parse_scenario(data)


@pytest.fixture
def small():
    return small_scenario()
