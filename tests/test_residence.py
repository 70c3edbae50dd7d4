"""Where people live (sim/submodels/residence.py), whom worker-run units let go, and
land that stays lost (issue 18, helper `residence`)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import CadreModel
from sim.regimes.privatization import Privatization
from sim.state import Kind, Ownership, Status
from sim.submodels import demography as dm
from sim.submodels import residence as rs
from tests.conftest import small_scenario

N_U, N_V = 3, 2
CITY = N_U + N_V


def test_residence_rules():
    unit = np.array([0, 1, 2, -1, -1, -1])
    village = np.array([-1, -1, -1, 1, 0, -1])
    got = rs.residence_of(unit, village, np.array([1]), N_U, N_V)
    # At work: the unit; moved out: the community; still in the unit's housing: the
    # unit; a migrant or peasant at home: the village; a school-leaver: the community.
    assert got.tolist() == [0, CITY, 2, N_U + 1, N_U + 0, CITY]


def test_only_staff_out_of_work_long_enough_move_out():
    scn = small_scenario(end="1993-03")
    m = CadreModel(scn, seed=1)
    p = m.people
    w = p.rows(Kind.WORKER).start
    mig = p.rows(Kind.MIGRANT).start
    p.status[w : w + 4] = [Status.EMPLOYED, Status.XIAGANG, Status.RETIRED, Status.UNEMPLOYED]
    p.unit[w : w + 4] = 0
    p.laid_off[w : w + 4] = [-1, 0, -1, 10]
    p.age[w : w + 4] = [40.0, 40.0, 60.25, 45.0]
    p.status[mig], p.unit[mig] = Status.RETIRED, 0  # (not a state a migrant reaches)
    moved = rs.moved_out(p, 12, 60.0, delay=12).tolist()
    # Laid off 12 months ago: out; retired 3 months: in; laid off 2 months: in.
    assert w + 1 in moved and w not in moved and w + 2 not in moved and w + 3 not in moved
    assert mig not in moved
    assert w + 2 in rs.moved_out(p, 12, 60.0, delay=3).tolist()
    assert rs.moved_out(p, 12, 60.0, delay=1200).size == 0  # no one is 160


def test_months_out_of_work_from_layoff_month_or_age_past_retirement():
    laid_off = np.array([10, -1, -1, 30])
    age = np.array([45.0, 62.5, 50.0, 61.0], dtype=np.float32)
    got = rs.months_out_of_work(laid_off, age, 40, 60.0)
    # A layoff counts from its month, even for someone past retirement age.
    assert got.tolist() == pytest.approx([30, 30, 0, 10])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 40), st.integers(0, 2**31 - 1))
def test_counted_mean_is_a_people_weighted_mean(n, seed):
    rng = np.random.default_rng(seed)
    n_loc = 5
    loc = rng.integers(0, n_loc, n)
    home = rng.integers(0, n_loc, n)
    value = rng.random(n_loc)
    size = np.bincount(loc, minlength=n_loc).astype(np.float64)
    got = rs.counted_mean(value, home, loc, size)
    for k in range(n_loc):
        members = loc == k
        want = value[home[members]].mean() if members.any() else 0.0
        assert got[k] == pytest.approx(want)
    # Where everyone lives where they are counted, the term is the value itself.
    same = rs.counted_mean(value, loc, loc, size)
    np.testing.assert_allclose(same[size > 0], value[size > 0])


def _model(regimes, end="1995-12", **params):
    scn = small_scenario(end=end, regimes=regimes, params={"people_per_agent": 5, **params})
    m = CadreModel(scn, seed=3)
    m.run()
    return m


def test_the_laid_off_and_retired_move_to_the_community_after_the_delay():
    priv = [{"type": "privatization", "start": "1993-03"}]
    m = _model(priv)
    p, city = m.people, m.units.n + m.villages.n
    staff = (p.kind == Kind.WORKER) | (p.kind == Kind.TECHNICIAN)
    off_work = staff & np.isin(p.status, rs.OUT_OF_WORK) & (p.unit >= 0)
    # Counted in their unit (claims stay there) but living in the community.
    assert np.all(m.locality[off_work] == p.unit[off_work])
    assert (p.residence[off_work] == city).mean() > 0.5
    on_job = staff & (p.status == Status.EMPLOYED)
    assert np.all(p.residence[on_job] == p.unit[on_job])
    kept = _model(priv, community_delay=1200)
    staff_k = (kept.people.kind == Kind.WORKER) & (kept.people.unit >= 0)
    assert np.all(kept.people.residence[staff_k] == kept.people.unit[staff_k])


def test_grassroots_reaches_the_laid_off_in_the_community_and_their_units_gain():
    """Visits to the city's residential community reach the laid-off and retired who
    live there, and their units' legitimacy shares in the gain; with no one leaving the
    unit's housing (community_delay = 1200) the units gain next to nothing (only from
    rows that changed hands this month: locality is fixed at the month's start)."""
    regs = [
        {"type": "privatization", "start": "1993-03"},
        {"type": "grassroots", "serving_share": 0.3, "start": "1994-01"},
    ]
    helped, unit_term = {}, {}
    for delay in (12, 1200):
        m = _model(regs, community_delay=delay)
        helped[delay] = m.regimes[1].helped
        by_loc = m.terms.breakdown("local_legitimacy").get("residence", np.zeros(m.n_localities))
        unit_term[delay] = float(np.mean(by_loc[: m.units.n]))
    assert helped[12] > helped[1200]
    assert unit_term[12] > 10 * unit_term[1200] > 0 or unit_term[1200] == 0 < unit_term[12]


def test_danwei_legitimacy_follows_residents_to_their_units():
    """The community's gain counts in the units of the laid-off and retired living
    there: a unit's residence term mixes its own and the community's value by how many
    of its members live in each."""
    m = _model([{"type": "danwei_reactivation", "enlist_rate": 0.5}], end="1994-06")
    by_res = m.terms.breakdown("residence_legitimacy")["danwei_reactivation#0"]
    city = m.units.n + m.villages.n
    assert by_res[city] > 0
    term = m.terms.breakdown("local_legitimacy")["residence"]
    p = m.people
    u = 0
    members = m.locality == u
    share_away = float((p.residence[members] == city).mean())
    assert 0 < share_away < 1
    want = (1 - share_away) * by_res[u] + share_away * by_res[city]
    # (up to the few members hired elsewhere this month, counted here until next month)
    assert term[u] == pytest.approx(want, rel=1e-3)


# --- whom a worker-run unit lets go ------------------------------------------------------


def _laid_off_ages(self_selection: float, seed: int) -> float:
    scn = small_scenario(
        end="1994-12",
        regimes=[
            {"type": "privatization", "start": "1994-01"},
            {"type": "cooperatives", "self_selection": self_selection},
        ],
    )
    m = CadreModel(scn, seed=seed)
    m.step()  # regimes start: the privatization is active, nothing sold yet
    m.units.ownership[0] = Ownership.WORKER_CONTROLLED
    m.terms.new_month()
    m._levers_for(m.date)  # this month's terms for the worker-run unit
    priv = next(r for r in m.regimes if isinstance(r, Privatization))
    quota = np.zeros(m.units.n, dtype=np.int64)
    staff = m.unit_staff()
    quota[0] = int(0.4 * staff[0])
    out = priv._lay_off(m, quota)
    assert out.size == quota[0]
    return float(m.people.age[out].mean())


def test_worker_run_units_let_go_by_equal_chances_not_by_age():
    """Owners lay off the old and unskilled first (L15); in a worker-run unit the
    workers choose by equal chances (L110), so those let go are younger on average."""
    owner = [_laid_off_ages(0.0, s) for s in range(3)]
    workers = [_laid_off_ages(1.0, s) for s in range(3)]
    assert all(w < o - 2.0 for w, o in zip(workers, owner, strict=True))


# --- land lost stays lost ------------------------------------------------------------------


def test_a_displaced_migrant_hired_and_home_again_has_no_land():
    scn = small_scenario(
        params={
            "landless_search": 1.0,
            "migrant_return_rate": 1.0,
            "migrant_exhaustion_exit": 0.0,
            "migrant_max_age": 90.0,
            "mortality_60": 0.0,
        }
    )
    m = CadreModel(scn, seed=5)
    p = m.people
    ps, ms = p.rows(Kind.PEASANT), p.rows(Kind.MIGRANT)
    moved = dm.displace_to_city(m, np.arange(ps.start, ps.start + 40))
    assert moved > 0
    displaced = np.flatnonzero(m.renewed[ms] & (p.land[ms] == 0)) + ms.start
    assert displaced.size == moved
    m.units.staff0[:] += 200  # vacancies for everyone looking
    for _ in range(12):
        dm.hire(m)
    hired = displaced[p.status[displaced] == Status.EMPLOYED]
    assert hired.size > 0
    dm.migrants(m)  # every migrant on the job goes home for a spell
    assert np.all(p.status[hired] == Status.NONE)
    assert np.all(p.land[hired] == 0.0)  # the plot was lost with the displacement
    others = np.setdiff1d(np.arange(ms.start, ms.stop), displaced)
    home = others[(p.status[others] == Status.NONE) & (p.unit[others] < 0)]
    assert np.all(p.land[home] == m.params.migrant_home_land)


def test_rows_renewed_by_a_regime_mid_month_live_where_they_are_counted():
    """A regime that renews rows before the programmes act (a campaign's recruits, a
    displacement) leaves them at −1 until the month's update: the programmes take them
    to live where they are counted instead of failing on the negative index."""
    scn = small_scenario(
        end="1993-06", regimes=[{"type": "grassroots"}, {"type": "danwei_reactivation"}]
    )
    m = CadreModel(scn, seed=2)
    m.step()
    rows = np.arange(m.people.rows(Kind.WORKER).start, m.people.rows(Kind.WORKER).start + 5)
    m.people.residence[rows] = -1
    now = rs.current(m)
    np.testing.assert_array_equal(now[rows], m.locality[rows])
    assert now.min() >= 0
    m.step()  # both programmes read the residence of the renewed rows
    assert m.people.residence.min() >= 0
