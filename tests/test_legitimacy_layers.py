"""Legitimacy in layers: pledges, unrest and privilege blamed in part on local officials.

O'Brien & Li 2006 (rightful resistance), Li 2004 (hierarchical trust); seed 003 lines 15,
19, 23, 29, 108. The shares blamed on localities spare the centre and are kept per
locality (``model.layers``). The tests check the split conserves the cost, that it moves
central and local legitimacy the way the texts say, and that ``local_blame`` off restores
the centre-only accounting.
"""

from __future__ import annotations

import numpy as np
from conftest import hand_events, small_scenario
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.mechanisms import NAMES, Enabled
from sim.model import CadreModel
from sim.submodels import legitimacy, state_response
from sim.submodels.hardship import STATUS_LOSS

CITY = {
    "end": "1996-12",
    "regimes": [
        {"type": "privatization", "start": "1993-03", "layoff_share": 0.75},
        {"type": "repression_concession", "stance": "mixed"},
    ],
}


def _city(months: int, seed: int = 3, **params) -> CadreModel:
    m = CadreModel(small_scenario(**CITY, params=params), seed=seed)
    for _ in range(months):
        m.step()
    return m


@given(
    loc=arrays(np.int64, 40, elements=st.integers(0, 5)),
    w=arrays(np.float64, 40, elements=st.floats(0, 1)),
    left=arrays(np.bool_, 40),
)
@settings(max_examples=60, deadline=None)
def test_per_locality_parts_add_up_to_the_whole(loc, w, left):
    """Shares by locality, weighted by people, are the population share; the unrest
    placed on localities sums to the month's unresolved total and sits only where an
    event was left unresolved."""
    size = np.bincount(loc, minlength=6).astype(float)
    share = legitimacy.per_locality_share(w, loc, size)
    assert np.isclose(np.sum(share * size) / loc.size, w.sum() / loc.size)
    placed = state_response.unresolved_by_locality(loc, w, left, 6)
    assert placed.shape == (6,) and (placed >= 0).all()
    assert np.isclose(placed.sum(), w[left].sum())
    unanswered = np.bincount(loc[left], minlength=6) > 0
    assert (placed[~unanswered] == 0).all()  # no blame where every event was answered


def test_blamed_cost_fades_at_the_centres_reversion_rate():
    mem = legitimacy.blamed(np.array([0.2, 0.0]), np.array([0.0, 0.1]), 0.05)
    assert np.allclose(mem, [0.19, 0.1])
    for _ in range(200):
        mem = legitimacy.blamed(mem, np.zeros(2), 0.05)
    assert (mem < 1e-4).all()


def test_the_split_moves_the_pledge_cost_from_the_centre_to_the_units():
    """One month from the same state: the centre is spared exactly what the units' officials
    are blamed for (people-weighted), and the blame sits where the layoffs are."""
    out = {}
    for s in (0.0, 0.8):
        m = _city(30, pledge_blame=0.0, unrest_blame=0.0, privilege_blame=0.0)
        assert (m.people.laid_off >= 0).any()
        m.params = m.params.model_copy(update={"pledge_blame": s})
        before = m.layers.pledges.copy()
        legitimacy.update_global(m)
        added = m.layers.pledges - before * (1.0 - m.params.legitimacy_reversion)
        out[s] = (m.legitimacy, added, m)
    gain = out[0.8][0] - out[0.0][0]
    added, m = out[0.8][1], out[0.8][2]
    assert gain > 0
    assert np.isclose(gain, np.sum(added * m.loc_size) / m.people.n)
    broken = np.where(m.people.laid_off >= 0, np.take(STATUS_LOSS, m.people.status), 0.0)
    by_loc = np.bincount(m.locality, weights=broken, minlength=m.n_localities)
    assert (added[by_loc == 0] == 0).all() and (added[by_loc > 0] > 0).all()


def test_privilege_is_blamed_on_the_cadres_people_see():
    """One month from the same state: the centre is spared a share of privilege's cost, a
    sold unit's people blame their own cadres for theirs, the rest the city's officials."""
    seen = legitimacy.seen_privilege(np.array([1.0, 0.0]), 0.5, 4)
    assert np.array_equal(seen, [1.0, 0.0, 0.5, 0.5])
    out = {}
    for s in (0.0, 0.6):
        m = _city(30, pledge_blame=0.0, unrest_blame=0.0, privilege_blame=0.0)
        m.params = m.params.model_copy(update={"privilege_blame": s})
        legitimacy.update_global(m)
        out[s] = m
    assert out[0.6].visible_privilege > 0
    gain = out[0.6].legitimacy - out[0.0].legitimacy
    w = out[0.6].params.legitimacy_privilege
    assert np.isclose(gain, 0.6 * w * out[0.6].visible_privilege)
    priv = out[0.6].layers.privilege
    n_units = out[0.6].units.n
    sold = out[0.6].unit_privilege > 0
    assert priv[:n_units][sold].min() > priv[:n_units][~sold].max()
    assert np.allclose(priv[n_units:], 0.6 * w * out[0.6].visible_privilege)


def test_more_local_blame_for_pledges_raises_the_centre_and_lowers_the_laid_off_units():
    """Whole runs, same seed: blaming units for their broken pledges keeps the centre's
    legitimacy higher and the gap between centre and localities wider, and local legitimacy
    falls more steeply with a unit's laid-off share than under centre-only accounting."""
    lo = _city(48, pledge_blame=0.0, unrest_blame=0.0, privilege_blame=0.0)
    hi = _city(48, pledge_blame=0.9, unrest_blame=0.0, privilege_blame=0.0)
    assert hi.legitimacy > lo.legitimacy + 0.02

    def local_mean(m):
        return np.average(m.local_legitimacy, weights=np.maximum(m.loc_size, 1e-12))

    assert hi.legitimacy - local_mean(hi) > lo.legitimacy - local_mean(lo) + 0.02

    def slope(m):  # local legitimacy per unit of a unit's laid-off share, across units
        n_units = m.units.n
        laid = (m.people.laid_off >= 0).astype(float)
        share = np.bincount(m.locality, weights=laid, minlength=m.n_localities)[:n_units]
        share = share / np.maximum(m.loc_size[:n_units], 1.0)
        return np.polyfit(share, m.local_legitimacy[:n_units], 1)[0]

    # Which units are sold differs between the runs: compare within each run.
    assert slope(hi) < slope(lo) - 0.1


def test_local_blame_off_restores_centre_only_accounting():
    """With ``local_blame`` off the blame shares are unread: runs are identical whatever
    they are, and no locality keeps any blamed cost."""
    off = Enabled(n for n in NAMES if n != "local_blame")
    runs = []
    for s in (0.0, 0.9):
        m = CadreModel(
            small_scenario(
                **CITY,
                params={"pledge_blame": s, "unrest_blame": s, "privilege_blame": s},
                mechanisms={"local_blame": False},
            ),
            seed=3,
        )
        assert m.mechanisms == off
        for _ in range(30):
            m.step()
        runs.append(m)
    assert runs[0].legitimacy == runs[1].legitimacy
    assert np.array_equal(runs[0].local_legitimacy, runs[1].local_legitimacy)
    layers = runs[1].layers
    assert not (layers.pledges.any() or layers.unrest.any() or layers.privilege.any())


def test_unrest_is_blamed_where_it_was_left_unresolved(monkeypatch):
    """One month, two equal events: the one in unit 1 is conceded, the one in unit 2 is
    left unresolved. Only unit 2's officials
    are blamed, and for all of the locally blamed cost; unit 1 loses no local legitimacy
    to it (the old accounting spread the month's unresolved total over both)."""
    m = CadreModel(
        small_scenario(mechanisms={"courts": False, "concession_coherence": False}), seed=3
    )
    for _ in range(3):
        m.step()
    hand_events(m, [1, 2])
    monkeypatch.setattr(
        state_response, "concession_probability", lambda size, *_: np.array([1.0, 0.0])
    )
    legitimacy.update_local(m)
    before, memory = m.local_legitimacy.copy(), m.layers.unrest.copy()
    state_response.respond(m, m.events)
    assert m.tally["concessions"] + m.tally["pacifications"] == 1
    assert m.tally["unresolved_people"] > 0
    legitimacy.update_global(m)
    legitimacy.update_local(m)
    prm = m.params
    added = m.layers.unrest - memory * (1.0 - prm.legitimacy_reversion)
    assert added[2] > 0 and np.isclose(added[1], 0.0)
    # The whole locally blamed cost, as a share of the city's people, and no more.
    cost = prm.legitimacy_unrest * prm.unrest_blame * m.tally["unresolved_people"]
    assert np.isclose(np.sum(added * m.loc_size), cost)
    term = m.terms.breakdown("local_legitimacy")["unresolved_unrest"]
    assert term[2] < term[1]
    drop = before - m.local_legitimacy
    assert drop[2] > drop[1] + 0.5 * added[2]
