"""Protest is measured in represented people, and layoffs feed protest (issue 12, points 3–4).

- Scale invariance at small size: the same represented city at 2 and 4 people per agent
  gives the same per-capita participants.
- Events are (locality, claim) groups whose represented people reach the class I floor:
  never a sub-floor group, several per large locality, not capped by the localities.
- The rules that used to depend on the number of agents (arrest capacity rounded to
  whole agents, a whole locality frightened by one crushed agent) are scale-free.
- With paired seeds, more layoffs under privatization give more protest by the laid-off
  at their former units, more protest overall, and lower legitimacy (seed 003 lines 27–29).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config import parse_scenario
from sim.model import CadreModel
from sim.runner import run_scenario
from sim.state import Kind, Status
from sim.submodels import legitimacy, protest, state_response
from sim.submodels.protest import (
    CLAIM_PENSION,
    CLAIM_STATUS,
    CLAIM_STIPEND,
    CLAIM_WAGES,
    MIN_EVENT_SIZE,
    N_CLAIMS,
)

# A represented city of 12,000 people: at 2 people per agent 6,000 agents, at 4 3,000.
CITY = {"cadres": 120, "technicians": 240, "workers": 3600, "migrants": 600, "peasants": 7440}


def city(people_per_agent: float, **params) -> dict:
    pop = {k: int(round(v / people_per_agent)) for k, v in CITY.items()}
    return {
        "name": "scale",
        "start": "1995-01",
        "end": "1997-12",
        "seed": 3,
        "population": {**pop, "units": 8, "villages": 8},
        "params": {"legitimacy": 0.6, "people_per_agent": people_per_agent, **params},
        "regimes": [
            {"type": "privatization", "start": "1995-01"},
            {"type": "repression_concession", "start": "1995-01"},
        ],
    }


ORGANIZED = ("protest_leaders", "protest_linkage")


def per_capita_participants(people_per_agent: float, seed: int, off: tuple = ()) -> float:
    d = city(people_per_agent)
    d["mechanisms"] = {name: False for name in off}
    s = parse_scenario(d)
    r = run_scenario(s, seed)
    people = s.population.total * people_per_agent
    return r.summary["protest_participants_total"] / people / (s.n_steps / 12)


@pytest.mark.parametrize("off", [ORGANIZED, ()], ids=["organized_off", "all_on"])
def test_per_capita_participants_do_not_depend_on_people_per_agent(off):
    # Forty seeds per scale (100-139, not used to set anything): a run's participants vary
    # by about 10 % from seed to seed, so six seeds (as before) gave a ratio whose standard
    # error (6-8 %) let a true 1.07 fail the 15 % bound by chance. Measured on these seeds
    # (pooled; paired mean +- se): 0.980 (0.985 +- 0.018) with leaders and linkage off,
    # 0.978 (0.984 +- 0.020) with everything on. Before arrest capacity was rounded to
    # whole people, an agent's free people were the rest above its detained and its people
    # were kept from month to month (docs/ODD.md 7.3), 1.056 and 1.123: the bound is 10 %,
    # five standard errors, which that bias fails. Before participants were measured in
    # people (vision in agents, arrests rounded to whole agents, security cadres drawn per
    # agent) the same city at 4 people per agent protested about 20 % more than at 2.
    seeds = range(100, 140)
    fine = [per_capita_participants(2.0, k, off) for k in seeds]
    coarse = [per_capita_participants(4.0, k, off) for k in seeds]
    assert np.mean(fine) > 0.001, "the test city must protest"
    assert np.mean(coarse) / np.mean(fine) == pytest.approx(1.0, abs=0.10)


def test_vision_is_in_people():
    a = CadreModel(parse_scenario(city(2.0)), seed=1)
    b = CadreModel(parse_scenario(city(4.0)), seed=1)
    assert a.params.vision == b.params.vision
    # Every locality holds more people than vision, so both see exactly `vision` people.
    big_a = a.loc_size * 2.0 > a.params.vision + 1
    big_b = b.loc_size * 4.0 > b.params.vision + 1
    assert np.all(a.loc_vision[big_a] == a.params.vision)
    assert np.all(b.loc_vision[big_b] == b.params.vision)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, N_CLAIMS - 1)), max_size=80),
    st.sampled_from([0.5, 1.0, 2.0, 4.0, 5.0, 10.0]),
)
def test_events_are_groups_at_or_above_the_floor(actives, ppa):
    loc = np.array([a[0] for a in actives], dtype=np.int64)
    claim = np.array([a[1] for a in actives], dtype=np.int8)
    e_loc, e_claim, agents, size = protest.group_events(loc, claim, 6, ppa)
    assert np.all(size >= MIN_EVENT_SIZE)
    assert np.allclose(size, agents * ppa)
    # Every group at or above the floor is an event, and no other.
    for g_loc in range(6):
        for g_claim in range(N_CLAIMS):
            n = int(np.count_nonzero((loc == g_loc) & (claim == g_claim)))
            is_event = np.any((e_loc == g_loc) & (e_claim == g_claim))
            assert is_event == (n * ppa >= MIN_EVENT_SIZE)


def _quiet_model(people_per_agent: float) -> CadreModel:
    s = small_scenario(params={"people_per_agent": people_per_agent})
    m = CadreModel(s, seed=0)
    m.people.active[:] = False
    return m


def _set_active(m: CadreModel, rows, share: float = 1.0) -> None:
    m.people.active[rows] = True
    m.people.turnout[rows] = share


def test_a_single_agent_below_the_floor_is_not_an_event():
    m = _quiet_model(2.0)
    worker = m.people.rows(Kind.WORKER).start
    _set_active(m, worker)
    ev = protest.aggregate(m)
    assert ev.n == 0 and not ev.member.any()
    # At ten people per agent the same agent, all of whose people are out, is ten people.
    m = _quiet_model(10.0)
    _set_active(m, worker)
    ev = protest.aggregate(m)
    assert ev.n == 1 and ev.size[0] == 10.0 and ev.member[worker]
    # ... but three of its ten people are not an event; with a second such agent, six are.
    _set_active(m, worker, 0.3)
    assert protest.aggregate(m).n == 0
    other = worker + 1 + np.flatnonzero(m.locality[worker + 1 :] == m.locality[worker])[0]
    m.people.status[other] = m.people.status[worker]
    _set_active(m, other, 0.3)
    ev = protest.aggregate(m)
    assert ev.n == 1 and ev.size[0] == pytest.approx(6.0) and ev.size_class[0] == 1


def test_a_large_unit_holds_several_events_in_a_month():
    m = _quiet_model(5.0)
    p = m.people
    workers = np.arange(p.rows(Kind.WORKER).start, p.rows(Kind.WORKER).stop)
    unit0 = workers[p.unit[workers] == 0][:40]
    # Employed, xiagang, denied and retired workers of one unit, ten of each.
    for k, status in enumerate(
        (Status.EMPLOYED, Status.XIAGANG, Status.UNEMPLOYED, Status.RETIRED)
    ):
        p.status[unit0[10 * k : 10 * k + 10]] = status
    _set_active(m, unit0)
    m.refresh_structure()
    ev = protest.aggregate(m)
    assert ev.n == 4 and np.all(ev.locality == m.locality[unit0[0]])
    assert sorted(ev.claim.tolist()) == [CLAIM_WAGES, CLAIM_STIPEND, CLAIM_STATUS, CLAIM_PENSION]
    assert np.all(ev.size == 50.0)
    assert ev.breadth == 1 / m.units.n


def test_events_are_not_capped_by_the_number_of_localities():
    m = _quiet_model(5.0)
    p = m.people
    p.status[p.kind == Kind.WORKER] = np.where(
        np.arange(np.count_nonzero(p.kind == Kind.WORKER)) % 2, Status.EMPLOYED, Status.XIAGANG
    )
    _set_active(m, (p.kind == Kind.WORKER) | (p.kind == Kind.PEASANT))
    m.refresh_structure()
    ev = protest.aggregate(m)
    assert ev.n > m.n_localities - 1  # units × 2 claims + villages > units + villages


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 50), st.integers(0, 10_000))
def test_arrest_capacity_is_unbiased(x, seed):
    u = np.random.default_rng(seed).random(4000)
    cap = state_response.arrest_capacity(np.full(4000, x), 1.0, 1.0, np.ones(4000), u)
    assert np.all(cap >= np.floor(x)) and np.all(cap <= np.floor(x) + 1)
    assert abs(cap.mean() - x) < 0.05


def test_deterrence_grows_with_turnout_not_with_agents():
    loc_people = np.full(4, 10_000.0)
    # The same people defeated give the same fear whatever the agents stood for.
    fear = state_response.deterrence_fear(np.array([0.0, 5.0, 10.0, 500.0]), loc_people, 0.2, 0.01)
    assert fear[0] == 0 and 0 < fear[1] < fear[2] < fear[3]
    assert fear[2] == 2 * fear[1] and fear[3] == 0.2


def test_broken_pledges_weigh_lost_status():
    laid_off = np.array([-1, 3, 3, 3])
    loss = np.array([0.0, 0.6, 1.0, 0.0])  # employed, xiagang, denied, re-employed
    assert legitimacy.broken_pledges(laid_off, loss) == (0.6 + 1.0) / 4
    assert legitimacy.broken_pledges(np.array([-1, -1]), np.array([1.0, 1.0])) == 0.0


def privatization_city(layoff_share: float) -> dict:
    return {
        "name": "layoffs",
        "start": "1995-01",
        "end": "1999-12",
        "seed": 1,
        "population": {
            "cadres": 60,
            "technicians": 120,
            "workers": 1800,
            "migrants": 600,
            "peasants": 2400,
            "units": 10,
            "villages": 10,
        },
        "params": {"legitimacy": 0.8, "people_per_agent": 10},
        "regimes": [
            {"type": "privatization", "start": "1995-01", "layoff_share": layoff_share},
            {"type": "residency", "start": "1995-01"},
            # The preset held (stance_adapt 0): the emergent stance hardens against the
            # larger protest more layoffs bring, which can cut total events (helper elite).
            {
                "type": "repression_concession",
                "start": "1995-01",
                "stance": "mixed",
                "stance_adapt": 0,
            },
            {"type": "rural_taxes", "start": "1995-01"},
        ],
    }


def test_more_layoffs_more_protest_at_former_units_and_lower_legitimacy():
    # Paired seeds: the same four seeds at layoff_share 0.25 and 0.9 (seed 003 A1: 0.7–0.8).
    keys = (
        "benefit_participants_total",
        "benefit_events_total",
        "protest_events_total",
        "legitimacy_mean",
    )
    runs = {
        share: np.array(
            [
                [
                    run_scenario(parse_scenario(privatization_city(share)), k).summary[x]
                    for x in keys
                ]
                for k in range(4)
            ]
        )
        for share in (0.25, 0.9)
    }
    diff = runs[0.9] - runs[0.25]
    benefit_people, benefit_events, events, legit = diff.T
    # The laid-off protest at their former units (L27: "pensions, Xiagang payments"):
    # more of them, in more events, on every seed.
    assert np.all(benefit_people > 0) and benefit_events.sum() > 0
    assert events.sum() > 0
    # ... and legitimacy falls (L29: pledges broken), on every seed.
    assert np.all(legit < 0)


# Within-agent variation: an agent's other people share its circumstances but each has
# their own risk aversion R ~ U(0, 1) (sim/submodels/protest.py, docs/ODD.md 7.3).


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0, 1),  # grievance
    st.floats(0, 1),  # arrest probability
    st.floats(0, 0.5),  # threshold
    st.sampled_from([0.0, 0.6, 1.0]),  # status loss
    st.floats(0, 0.5),  # fear
)
def test_others_active_share_is_the_share_of_people_who_would_decide_to_act(g, pa, t, loss, fear):
    # The closed form against the rule itself applied to many people with R ~ U(0, 1).
    ntl = 0.5
    r = (np.arange(20_000) + 0.5) / 20_000
    risk = protest.effective_risk(r, np.full(r.size, loss), ntl, np.full(r.size, fear), 0.0)
    want = protest.decide(np.full(r.size, g), risk, np.full(r.size, pa), np.full(r.size, t))
    got = protest.others_active_share(
        np.array([g]), np.array([1 - ntl * loss]), np.array([fear]), np.array([pa]), np.array([t])
    )[0]
    assert 0.0 <= got <= 1.0
    assert got == pytest.approx(want.mean(), abs=2e-4)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([2.0, 4.0, 5.0, 10.0, 2.5]), st.integers(0, 10_000))
def test_turnout_is_in_whole_people_and_unbiased(ppa, seed):
    rng = np.random.default_rng(seed)
    n = 4000
    own = rng.random(n) < 0.3
    share = rng.random(n)
    out = protest.represented_turnout(own, share, ppa, rng.random((2, n)))
    assert np.all((out >= 0) & (out <= 1))
    people = out * ppa
    frac = ppa - 1 - np.floor(ppa - 1)
    # Whole people, the last one fractional when people_per_agent is.
    whole = np.isclose(people % 1, 0) | np.isclose(people % 1, frac)
    assert np.all(whole)
    expected = own + (ppa - 1) * share
    assert abs(people.mean() - expected.mean()) < 0.05 * ppa


def test_one_person_per_agent_draws_nothing():
    own = np.array([True, False, True])
    # No uniforms are read at one person per agent: the turnout is the own decision.
    out = protest.represented_turnout(own, np.array([0.5, 0.5, 0.0]), 1.0, None)
    assert out.tolist() == [1.0, 0.0, 1.0]
    m = _quiet_model(1.0)
    state = m.rng.bit_generator.state
    protest.update(m)
    assert m.rng.bit_generator.state == state  # the run's stream is untouched


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(0, 8))
def test_arrests_of_partly_active_agents_take_people_up_to_capacity(seed, cap):
    # One locality, agents with active shares; capacity in agents' worth of people.
    rng = np.random.default_rng(seed)
    n = 30
    share = rng.integers(1, 11, n) / 10.0
    taken = []
    for _ in range(200):
        pick = state_response.leaders_to_arrest(
            np.zeros(n, dtype=np.int64),
            rng.random(n),
            np.array([cap]),
            rng.random(n),
            share,
            rng.random(n),
        )
        assert share[pick].sum() <= cap + share.max()  # at most one agent overflows
        taken.append(share[pick].sum())
    assert np.mean(taken) == pytest.approx(min(cap, share.sum()), abs=0.1 + 0.02 * cap)


def _event_sizes(people_per_agent: float, seeds) -> np.ndarray:
    sizes = []
    for k in seeds:
        d = city(people_per_agent)
        d["output"] = {"events": True}
        sizes.append(run_scenario(parse_scenario(d), k).events["size"].to_numpy())
    return np.concatenate(sizes)


def test_small_groups_occur_at_ten_people_per_agent_and_size_classes_agree():
    # Before, an agent was ten people deciding alike: no event of 5-9 people could occur
    # at ten per agent, though at one per agent they were about half of all events.
    seeds = range(200, 204)
    coarse = _event_sizes(10.0, seeds)
    assert coarse.size > 50
    assert np.mean((coarse >= 5) & (coarse < 10)) > 0.1
    assert np.all(coarse >= MIN_EVENT_SIZE)
    # Size-class shares agree between 2 and 4 people per agent on the same city.
    fine, mid = _event_sizes(2.0, seeds), _event_sizes(4.0, seeds)
    class_1 = [np.mean(protest.size_class(x) == 1) for x in (fine, mid)]
    assert class_1[1] == pytest.approx(class_1[0], rel=0.1)


# What made the coarse scale protest more (issue 12 point 3, the remaining ~10 %): arrest
# capacity rounded to whole agents, an agent's free people drawn as if its detained (the
# most willing) were still among them, and its people reshuffled every month.


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 1), st.floats(0, 0.99))
def test_the_free_people_are_those_above_the_detained(q, held):
    free = protest.free_active_share(np.array([q]), np.array([held]))[0]
    assert 0.0 <= free <= 1.0
    # Detained and free-and-active together are the people who would act, or the detained
    # if more are held: the risk aversions below max(q, held).
    assert held + (1 - held) * free == pytest.approx(max(q, held), abs=1e-9)
    assert protest.free_active_share(np.array([q]), np.array([0.0]))[0] == pytest.approx(q)


def test_an_agent_whose_willing_people_are_detained_does_not_refill_them():
    # At one person per agent, the share q of a crowd with R ~ U(0, 1) who act are
    # arrested; under the same circumstances the free ones (R above q) stay home. At ten
    # people per agent the same must hold of an agent's people, up to the binomial draw.
    rng = np.random.default_rng(5)
    n, ppa, q = 20_000, 10.0, 0.4
    share = np.full(n, q)
    own = np.zeros(n, dtype=bool)
    u = rng.random((2, n))  # who the agents' people are, the same in both months
    first = protest.represented_turnout(own, share, ppa, u)
    held = first  # all its active people were arrested
    free = protest.free_active_share(share, held)
    second = protest.represented_turnout(own, free, ppa, u, ppa * (1 - held))
    assert first.mean() == pytest.approx(0.9 * q, abs=0.01)
    # Drawn as if the willing were still free, 0.24 of the people would act again (0.6 of
    # those who did); only binomial rounding is left.
    assert second.mean() < 0.1 * q


@settings(max_examples=40, deadline=None)
@given(st.floats(0, 3), st.integers(0, 10_000))
def test_arrest_capacity_is_in_whole_people_at_every_scale(x_people, seed):
    # Enforcers able to take x people a month; the protest of 8 people a month is taken up
    # to capacity. Rounded to whole agents at 10 per agent, capacity is 0 or 10 people and
    # the 8 are taken all or none, so fewer are taken on average than at 1 per agent.
    u = np.random.default_rng(seed).random(20_000)
    taken = {}
    for ppa in (1.0, 10.0):
        enforcers = np.full(u.size, x_people / ppa)  # enforcers in agents
        cap = state_response.arrest_capacity(enforcers, 1.0, 1.0, np.ones(u.size), u, ppa)
        people = cap * ppa
        assert np.allclose(people, np.round(people))  # whole people
        assert abs(people.mean() - x_people) < 0.03
        taken[ppa] = np.minimum(people, 8.0).mean()
    assert taken[10.0] == pytest.approx(taken[1.0], abs=0.03)


def test_an_agents_people_are_the_same_people_from_month_to_month():
    # The same circumstances in a later month give the same active people: who they are
    # (their risk aversions) does not change with the month, as at one person per agent.
    s = parse_scenario(city(10.0))
    m = CadreModel(s, seed=4)
    for _ in range(6):
        m.step()
    p = m.people
    before = {k: p.arrays[k].copy() for k in ("active", "turnout")}
    protest.update(m)
    first = p.turnout.copy()
    assert np.count_nonzero((first > 0) & (first < 1)) > 10  # partly active agents
    for k, v in before.items():
        p.arrays[k][...] = v
    m.step_index += 1
    protest.update(m)
    assert np.array_equal(p.turnout, first)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 40),  # agents in the locality at the coarse scale
    st.sampled_from([2.0, 5.0, 10.0]),
    st.floats(0.0, 1.0),  # active share of the locality's other agents
    st.integers(1, 10),  # the viewing agent's active people (whole people, at most ppa)
    st.integers(5, 200),  # vision (people)
)
def test_an_active_crowd_sees_itself_alike_at_every_scale(n_agents, ppa, others_on, own, vision):
    """The people of an active agent see the locality's other actives in people, the rest
    of their own agent's people included: the same crowd at ``ppa`` people per agent and
    at one person per agent gives the same count seen (before rounding to whole people).
    Leaving out the agent's whole active share (the old rule) hid up to ``ppa − 1`` fellow
    protesters from each of them."""
    people = n_agents * ppa
    # Active people: the viewing agent's, and the same people everywhere else.
    own_people = float(min(own, ppa))
    own = own_people / ppa
    act_people = own_people + others_on * (people - ppa)
    view = protest.people_in_view(np.array([people]), float(vision))

    def seen(scale, n_loc, active, w):
        loc_others = protest.others_in_locality(np.array([float(n_loc)]), scale)
        pre = (active - protest.self_seen(np.array([w]), scale)) / loc_others * view
        _, rounded = protest.actives_seen(
            np.array([active]), loc_others, view, np.array([0]), np.array([w]), scale
        )
        return pre[0], rounded[0]

    coarse, coarse_r = seen(ppa, n_agents, act_people / ppa, own)
    # At one person per agent one active person views: the others are all other people.
    fine, fine_r = seen(1.0, people, act_people, 1.0)
    assert coarse == pytest.approx(fine, rel=1e-9, abs=1e-9)
    assert abs(coarse_r - fine_r) <= 1.0  # rounding may differ at exact halves only
    # A quiet agent's people see every active person of the locality.
    quiet, _ = protest.actives_seen(
        np.array([act_people / ppa]),
        protest.others_in_locality(np.array([float(n_agents)]), ppa),
        view,
        np.zeros(0, dtype=np.int64),
        np.zeros(0),
        ppa,
    )
    assert quiet[0] == np.rint(act_people / (people - 1.0) * view[0])


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 400),
    st.integers(1, 12),
    st.integers(0, 2**31 - 1),
)
def test_coarsening_blocks_are_agents_of_alike_people(n, g, seed):
    """The diagnostic's blocks (benchmarks/scale_coarsen.py) stand for agents of ``g``
    people: at most ``g`` of one kind, unit, village and status, as few as that allows,
    each led by its first row; cadres are blocks of one."""
    from types import SimpleNamespace

    from benchmarks.scale_coarsen import make_blocks

    rng = np.random.default_rng(seed)
    p = SimpleNamespace(
        n=n,
        kind=rng.integers(0, 5, n).astype(np.int8),
        unit=rng.integers(-1, 3, n).astype(np.int32),
        village=rng.integers(-1, 2, n).astype(np.int32),
        status=rng.integers(0, 3, n).astype(np.int8),
    )
    block, lead = make_blocks(p, g)
    nb = lead.size
    assert np.array_equal(np.sort(np.unique(block)), np.arange(nb))
    assert np.array_equal(block[lead], np.arange(nb))
    size = np.bincount(block, minlength=nb)
    assert size.max() <= g
    first = np.full(nb, n)
    np.minimum.at(first, block, np.arange(n))
    assert np.array_equal(first, lead)
    for col in ("kind", "unit", "village", "status"):
        a = getattr(p, col)
        assert np.array_equal(a, a[lead[block]])
    assert np.all(size[block[p.kind == Kind.CADRE]] == 1)
    # As few blocks as the groups allow: ceil(group size / g) per group.
    others = p.kind != Kind.CADRE
    keys = np.stack([p.kind, p.unit, p.village, p.status])[:, others]
    _, counts = np.unique(keys, axis=1, return_counts=True)
    expected = int(np.sum(-(-counts // g))) + int(np.count_nonzero(~others))
    assert nb == expected
