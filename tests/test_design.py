"""Experiment designs: sizes, bounds, stratification, determinism (sim/design.py)."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from sim.design import (
    DesignSpec,
    DistSpec,
    Parameter,
    RangeSpec,
    expected_size,
    make_design,
)


def params():
    return [
        Parameter("a", RangeSpec(low=0.2, high=0.8)),
        Parameter("b", RangeSpec(low=10, high=1000, log=True)),
        Parameter("n", RangeSpec(low=100, high=200), integer=True),
    ]


def in_bounds(table):
    assert table["a"].between(0.2, 0.8).all()
    assert table["b"].between(10, 1000).all()
    assert table["n"].between(100, 200).all()
    assert table["n"].dtype == np.int64


def test_grid_is_full_factorial_hitting_the_ends():
    ps = params() + [Parameter("c", ["soft", "mixed", "hard"])]
    spec = DesignSpec(method="grid", levels=4)
    t = make_design(spec, ps, seed=1)
    assert len(t) == 4 * 4 * 4 * 3 == expected_size(spec, ps)
    assert sorted(t["a"].unique()) == pytest.approx([0.2, 0.4, 0.6, 0.8])
    assert sorted(t["b"].unique()) == pytest.approx([10, 46.4158883, 215.443469, 1000])
    assert sorted(t["n"].unique()) == [100, 133, 167, 200]
    assert set(t["c"]) == {"soft", "mixed", "hard"}
    assert not t.duplicated().any()
    in_bounds(t)


def test_lhs_size_bounds_and_one_point_per_stratum():
    spec = DesignSpec(method="lhs", samples=20)
    ps = params()
    t = make_design(spec, ps, seed=3)
    assert len(t) == 20 == expected_size(spec, ps)
    in_bounds(t)
    # Latin hypercube: each of the 20 equal-width strata of 'a' holds exactly one point
    strata = np.floor((t["a"] - 0.2) / 0.6 * 20).clip(0, 19).astype(int)
    assert sorted(strata) == list(range(20))
    # log scale: strata are equal in log space
    logs = np.floor((np.log(t["b"]) - np.log(10)) / (np.log(1000) - np.log(10)) * 20)
    assert sorted(logs.clip(0, 19).astype(int)) == list(range(20))


def test_lhs_categories_appear_equally_often():
    ps = [Parameter("stance", ["soft", "mixed", "hard"]), Parameter("a", RangeSpec(low=0, high=1))]
    t = make_design(DesignSpec(method="lhs", samples=30), ps, seed=11)
    assert t["stance"].value_counts().to_dict() == {"soft": 10, "mixed": 10, "hard": 10}


@pytest.mark.parametrize(
    "second_order, factor", [(True, lambda d: 2 * d + 2), (False, lambda d: d + 2)]
)
def test_sobol_saltelli_sizes(second_order, factor):
    ps = params()
    spec = DesignSpec(method="sobol", samples=16, second_order=second_order)
    t = make_design(spec, ps, seed=5)
    assert len(t) == 16 * factor(3) == expected_size(spec, ps)
    in_bounds(t)


def test_plain_sobol_points():
    spec = DesignSpec(method="sobol", samples=32, saltelli=False)
    t = make_design(spec, params(), seed=5)
    assert len(t) == 32
    in_bounds(t)
    # low discrepancy: every quarter of 'a' holds 8 points
    q = np.floor((t["a"] - 0.2) / 0.6 * 4).clip(0, 3).astype(int)
    assert np.bincount(q, minlength=4).tolist() == [8, 8, 8, 8]


def test_morris_trajectories_on_levels():
    ps = params()[:2]
    spec = DesignSpec(method="morris", samples=10, levels=4)
    t = make_design(spec, ps, seed=2)
    assert len(t) == 10 * (2 + 1) == expected_size(spec, ps)
    allowed = 0.2 + 0.6 * np.arange(4) / 3
    assert np.isclose(t["a"].to_numpy()[:, None], allowed[None, :]).any(axis=1).all()
    # each trajectory step changes exactly one parameter
    for k in range(10):
        traj = t.iloc[3 * k : 3 * k + 3].to_numpy()
        changed = (np.abs(np.diff(traj, axis=0)) > 1e-12).sum(axis=1)
        assert changed.tolist() == [1, 1]


@pytest.mark.parametrize("method", ["lhs", "sobol", "morris"])
def test_designs_are_deterministic_in_the_seed(method):
    spec = DesignSpec(method=method, samples=8)
    a = make_design(spec, params(), seed=42)
    b = make_design(spec, params(), seed=42)
    c = make_design(spec, params(), seed=43)
    assert a.equals(b)
    assert not a.equals(c)


def test_distributions_map_quantiles_within_support():
    ps = [
        Parameter("u", DistSpec(dist="uniform", low=1, high=3)),
        Parameter("n", DistSpec(dist="normal", mean=0.5, sd=0.2, low=0.0, high=1.0)),
        Parameter("ln", DistSpec(dist="lognormal", mu=0.0, sigma=0.5)),
        Parameter("lu", DistSpec(dist="loguniform", low=0.01, high=1)),
    ]
    t = make_design(DesignSpec(method="lhs", samples=200), ps, seed=9)
    assert t["u"].between(1, 3).all()
    assert t["n"].between(0, 1).all()
    assert abs(t["n"].mean() - 0.5) < 0.03
    assert (t["ln"] > 0).all() and abs(np.median(t["ln"]) - 1.0) < 0.1
    assert t["lu"].between(0.01, 1).all()
    assert abs(np.median(np.log10(t["lu"])) + 1.0) < 0.1  # log-uniform: median at 10^-1
    g = make_design(DesignSpec(method="grid", levels=4), ps[:1], seed=0)
    assert g["u"].tolist() == pytest.approx([1.25, 1.75, 2.25, 2.75])


def test_spec_errors_name_the_field():
    with pytest.raises(ValidationError, match="samples"):
        DesignSpec(method="lhs")
    with pytest.raises(ValidationError, match="samples"):
        DesignSpec(method="grid", samples=4)
    with pytest.raises(ValidationError, match="method"):
        DesignSpec(method="factorial")
    with pytest.raises(ValidationError, match="high"):
        RangeSpec(low=1, high=1)
    with pytest.raises(ValidationError, match="sd"):
        DistSpec(dist="normal", mean=0)
    with pytest.raises(ValidationError, match="mean"):
        DistSpec(dist="uniform", low=0, high=1, mean=0.5)
