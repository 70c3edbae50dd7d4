"""Campaigns, cadre labour, enterprise management and mine safety: rules and directions.

Directional tests run a small scenario with the regime on and off under the same seeds
and assert the direction of its main outcomes; they would fail if the mechanism were
missing or reversed. Baseline runs are cached so each is computed once.
"""

from __future__ import annotations

import functools
import json

import numpy as np
import pytest
from scipy import sparse

from sim.config import ScenarioError, parse_scenario
from sim.model import CadreModel
from sim.outcomes import OUTCOME_NAMES
from sim.regimes.cadre_labour import compliance_probability
from sim.regimes.campaign import (
    cr_phase,
    kin_probability,
    pick_in_group,
    quota_select,
    quota_size,
    rightist_score,
    targeting_probability,
)
from sim.regimes.management import alienation_target, coherence_target, corruption_drift
from sim.regimes.mine_safety import draw_native, supervision_levers
from sim.runner import run_scenario
from sim.state import ClassLabel, Kind, Sector, Status

SEEDS = (1, 2, 3)
POP = {"cadres": 80, "technicians": 160, "workers": 1000, "units": 8}


def scenario(regimes: list[dict], start="1960-01", end="1963-12", **pop):
    return parse_scenario(
        {
            "name": "t",
            "start": start,
            "end": end,
            "population": {**POP, **pop},
            "regimes": regimes,
        }
    )


@functools.cache
def _summary(spec: str, seed: int) -> dict:
    d = json.loads(spec)
    return run_scenario(scenario(d["regimes"], d["start"], d["end"], **d["pop"]), seed=seed).summary


def mean_outcomes(regimes, keys, start="1960-01", end="1963-12", **pop) -> dict:
    spec = json.dumps({"regimes": regimes, "start": start, "end": end, "pop": pop}, sort_keys=True)
    return {k: float(np.mean([_summary(spec, s)[k] for s in SEEDS])) for k in keys}


# --- campaign: pure rules ------------------------------------------------------------------
def test_quota_is_exact_per_unit_and_takes_top_scores():
    rng = np.random.default_rng(0)
    group = rng.integers(0, 7, size=2000)
    score = rng.random(2000)
    mask = quota_select(group, score, 0.05)
    sizes = np.bincount(group)
    assert np.array_equal(np.bincount(group[mask], minlength=7), quota_size(sizes, 0.05))
    assert np.array_equal(quota_size(np.array([10, 30, 100]), 0.05), [1, 2, 5])  # half up
    for g in range(7):
        inside = group == g
        if mask[inside].any():
            assert score[mask & inside].min() >= score[~mask & inside].max()


def test_rightist_quota_falls_on_speakers_first_then_innocuous():
    skill = np.array([0.9, 0.9, 0.1, 0.5, 0.5])
    enth = np.array([0.1, 0.9, 0.1, 0.5, 0.5])
    spoke = np.array([True, True, True, False, False])
    s = rightist_score(skill, enth, spoke, np.zeros(5))
    assert s[0] > s[2] and s[0] > s[1]  # articulate and unenthusiastic first (K5)
    assert s[:3].min() > s[3:].max()  # speakers before the innocuous (K4)


def test_targeting_probability_follows_score_and_stays_in_pool():
    score = np.array([0.0, 1.0, 3.0, 5.0])
    pool = np.array([True, True, True, False])
    prob = targeting_probability(score, pool, 0.1)
    assert prob[3] == 0.0 and prob[0] == 0.0
    assert prob[2] == pytest.approx(3 * prob[1])
    assert prob[pool].mean() == pytest.approx(0.1)
    assert np.all((prob >= 0) & (prob <= 1))
    assert not targeting_probability(score, np.zeros(4, bool), 0.5).any()


def test_cr_phases_by_elapsed_months():
    months = (3, 15, 24)
    assert [cr_phase(t, months) for t in (0, 2, 3, 17, 18, 41, 42, 100)] == [
        "initial",
        "initial",
        "power_holders",
        "power_holders",
        "qingli",
        "qingli",
        "liberation",
        "liberation",
    ]


def test_kin_probability_and_group_pick():
    assert kin_probability(np.array([0.0, 1.0, 2.0]), 0.5) == pytest.approx([0.0, 0.5, 0.75])
    cand = np.array([10, 11, 12])
    cand_group = np.array([0, 0, 2])
    got = pick_in_group(
        np.array([0, 1, 2, 0]), cand, cand_group, 3, np.array([0.0, 0.5, 0.9, 0.99])
    )
    assert got.tolist() == [10, -1, 12, 11]


# --- campaign: in the model ------------------------------------------------------------------
def test_anti_rightist_quota_labels_five_percent_and_their_kin():
    scn = scenario([{"type": "campaign", "kind": "anti_rightist", "start": "1960-01"}])
    m = CadreModel(scn, seed=4)
    p = m.people
    label0, dossier0 = p.class_label.copy(), p.dossier.copy()
    wage0, age0 = p.wage.copy(), p.age.copy()
    m.step()
    hit = p.persecuted > 0
    staff = (p.kind <= Kind.WORKER) & (p.unit >= 0) & (p.status == Status.EMPLOYED)
    expected = quota_size(np.bincount(p.unit[staff], minlength=m.units.n), 0.05).sum()
    assert hit.sum() == expected
    assert np.all(p.class_label[hit] == ClassLabel.BAD)
    assert np.all(p.dossier[hit] == dossier0[hit] + 1)
    assert np.all(p.wage[hit] < wage0[hit])
    # Kin and close associates share the risk: a dossier entry for some of them, none
    # for people with no struck tie.
    exposure = np.asarray(m.ties @ hit.astype(np.float32)).ravel()
    kin = (exposure > 0) & ~hit
    assert (p.dossier[kin] > dossier0[kin]).any()
    # (rows whose person died this month pass to a newcomer with a clean file)
    same = (exposure == 0) & ~hit & (p.age >= age0)
    assert np.all(p.dossier[same] == dossier0[same])
    assert np.all(p.class_label[~hit] == label0[~hit])
    # The quota is filled once, not every month.
    m.step()
    assert (p.persecuted > 1).sum() == 0
    # The campaign's fear is its own term on everyone's risk aversion.
    fear = m.terms.breakdown("fear")[m.regimes[0].key]
    assert fear > 0 and m.levers.campaign_intensity > 0


def test_cr_overthrows_power_holders_then_liberates_them():
    scn = scenario(
        [
            {
                "type": "campaign",
                "kind": "cultural_revolution",
                "phase_months": [1, 8, 6],
                "end": "1961-06",
            }
        ],
        end="1961-08",
    )
    m = CadreModel(scn, seed=2)
    p = m.people
    cad = p.rows(Kind.CADRE)
    loyalty0 = p.loyalty.copy()
    tech = p.rows(Kind.TECHNICIAN)
    m.step()  # the one-month initial phase: bourgeois non-party targets
    tech_before = p.persecuted[tech].copy()
    for _ in range(8):
        m.step()
    regime = m.regimes[0]
    assert regime.current_phase == "power_holders"
    over = np.flatnonzero(regime.overthrown)
    power = (p.rank[cad] >= 2).sum() + over.size
    assert over.size > power / 3  # "uniformly overthrown" (3102-3105)
    # They lose their posts (3102-3108): out of rank, their former rank kept for later.
    assert np.all(p.kind[over] == Kind.CADRE) and np.all(regime.former_rank[over] >= 2)
    assert np.all(p.rank[over] == 0)
    assert np.all(p.persecuted[over] >= 1)
    assert p.loyalty[over].mean() < loyalty0[over].mean() - 0.1
    # Technicians "weren't targets, because they had no power" (3495-3497): the
    # power-holder phase strikes none.
    # (a technician who died passes the row on with a clean record: counts never rise)
    assert np.all(p.persecuted[tech] <= tech_before)
    while m.date < scn.end:
        m.step()
    assert regime.current_phase is None
    assert regime.overthrown.sum() == 0  # everyone liberated when the movement ends
    # ... and reinstated at or near their former rank (3242-3245): most power-holders
    # are back at rank 2 or above (a few step down where the posts are full).
    still = over[p.kind[over] == Kind.CADRE]
    assert (p.rank[still] >= 1).mean() > 0.8


def test_cultural_revolution_splits_and_demoralizes_the_elite():
    cr = [{"type": "campaign", "kind": "cultural_revolution", "start": "1960-03"}]
    keys = (
        "cadre_cooptation_final",
        "elite_cohesion_mean",
        "factions_mean",
        "alienation_technician_final",
        "output_mean",
    )
    off, on = mean_outcomes([], keys), mean_outcomes(cr, keys)
    assert on["cadre_cooptation_final"] < off["cadre_cooptation_final"]
    assert on["elite_cohesion_mean"] < off["elite_cohesion_mean"] - 0.05
    # Factions form (and, under the PLA, are disbanded again: see tests/test_factions.py).
    assert on["factions_mean"] >= 1.0 > off["factions_mean"]
    assert on["alienation_technician_final"] > off["alienation_technician_final"] + 0.1
    assert on["output_mean"] < off["output_mean"]


def test_four_cleanups_mao_mode_hits_cadres_liu_mode_workers():
    def cadre_share(team: str) -> float:
        scn = scenario([{"type": "campaign", "kind": "four_cleanups", "work_team": team}])
        m = CadreModel(scn, seed=5)
        for _ in range(12):
            m.step()
        hit = m.people.persecuted > 0
        return float((m.people.kind[hit] == Kind.CADRE).mean())

    assert cadre_share("mao") > cadre_share("liu")


# --- cadre labour ---------------------------------------------------------------------------
def test_compliance_probability_by_rank():
    rank = np.array([0, 1, 2, 3, 4])
    assert compliance_probability(rank, [0, 1], 0.8, 0.0).tolist() == [0.8, 0.8, 0, 0, 0]
    prob = compliance_probability(rank, None, 1.0, 1.0)
    assert prob[0] == 1.0 and prob[-1] == 0.0 and np.all(np.diff(prob) < 0)


def test_cadre_labour_share_is_its_own_term_and_ends_with_it():
    scn = scenario(
        [{"type": "cadre_labour", "share": 0.2, "ranks": [0, 1], "end": "1960-03"}], end="1960-06"
    )
    m = CadreModel(scn, seed=1)
    p = m.people
    cad = p.rows(Kind.CADRE)
    rank_at_selection = p.rank[cad].copy()  # promotions later in the month may lift some
    m.step()
    on = p.labour_share[cad] > 0
    assert on.any() and np.all(rank_at_selection[on] <= 1)
    assert np.allclose(p.labour_share[cad][on], 0.2)
    assert list(m.terms.breakdown("labour_share")) == ["cadre_labour#0"]
    for _ in range(3):
        m.step()
    assert np.all(p.labour_share == 0) and m.terms.breakdown("labour_share") == {}


def test_cadre_labour_cuts_deaths_and_grievance_at_an_output_cost():
    keys = ("deaths_total", "grievance_worker_mean", "output_mean")
    off = mean_outcomes([], keys, mining_share=0.8)
    on = mean_outcomes([{"type": "cadre_labour"}], keys, mining_share=0.8)
    assert on["deaths_total"] < 0.8 * off["deaths_total"]
    assert on["grievance_worker_mean"] < off["grievance_worker_mean"]
    assert on["output_mean"] < off["output_mean"]


# --- management -------------------------------------------------------------------------------
def test_management_rules():
    assert coherence_target("party_committee", 1.0) < coherence_target("party_committee", 0.0)
    assert coherence_target("one_man", 0.9) == 0.5
    c = np.array([0.0, 0.3, 1.0])
    up, down = corruption_drift(c, 0.2, 0.5), corruption_drift(c, 0.8, 0.5)
    assert np.all(up >= c) and np.all(down <= c) and up[1] > c[1] > down[1]
    assert np.all((up >= 0) & (up <= 1) & (down >= 0) & (down <= 1))
    assert alienation_target(0.75) == 0.0 < alienation_target(0.3)


def test_party_committee_fusion_hollows_the_party_and_corruption_drifts_up():
    def run(regimes):
        m = CadreModel(scenario(regimes, end="1962-12"), seed=3)
        m.run()
        rows = m.people.rows(Kind.CADRE)
        return m, float(m.people.corruption[rows].mean())

    off, c_off = run([])
    on, c_on = run([{"type": "management", "mode": "party_committee", "fusion": 0.9}])
    assert on.regimes[0].coherence < 0.5
    assert on.levers.manager_authority < off.levers.manager_authority
    assert on.levers.repression < 1.0
    assert c_on > c_off


def test_one_man_management_costs_cohesion_and_heals_technicians():
    base = [{"type": "campaign", "kind": "anti_rightist", "start": "1960-01", "end": "1960-06"}]
    keys = ("elite_cohesion_mean", "cadre_cooptation_final", "alienation_technician_final")
    off = mean_outcomes(base, keys)
    on = mean_outcomes(base + [{"type": "management", "mode": "one_man"}], keys)
    assert on["elite_cohesion_mean"] < off["elite_cohesion_mean"]
    assert on["cadre_cooptation_final"] < off["cadre_cooptation_final"]
    assert on["alienation_technician_final"] < off["alienation_technician_final"]


# --- mine safety ---------------------------------------------------------------------------------
def test_supervision_levers_and_native_draw():
    assert supervision_levers(0.5, True, 0.15, 0.1, None) == (0.15, pytest.approx(0.4))
    assert supervision_levers(0.5, False, 0.15, 0.1, 0.8) == (0.0, 0.8)
    flags = draw_native(40, 0.75, np.random.default_rng(0))
    assert flags.sum() == 30


def test_mine_safety_sets_and_restores_native_flags_and_levers():
    scn = scenario(
        [{"type": "mine_safety", "native_supervision": 1.0, "media": 0.9, "end": "1960-02"}],
        end="1960-04",
        mining_share=0.5,
    )
    m = CadreModel(scn, seed=1)
    p = m.people
    native0 = p.native.copy()
    cad = p.rows(Kind.CADRE)
    in_mine = m.units.sector[p.unit[cad]] == Sector.MINE
    m.step()
    assert np.all(p.native[cad][in_mine])
    assert np.array_equal(p.native[cad][~in_mine], native0[cad][~in_mine])
    assert m.levers.collusion_shift > 0 and m.levers.media_exposure == 0.9
    assert m.levers.safety_enforcement < 0.5
    for _ in range(2):
        m.step()
    assert np.array_equal(p.native, native0)
    assert m.levers.collusion_shift == 0 and m.levers.safety_enforcement == 0.5


def test_decentralized_supervision_raises_mine_deaths():
    keys = ("deaths_total", "mine_deaths_total")
    off = mean_outcomes([], keys, mining_share=0.8)
    on = mean_outcomes(
        [{"type": "mine_safety", "decentralized": True, "native_supervision": 0.8}],
        keys,
        mining_share=0.8,
    )
    assert on["mine_deaths_total"] > 1.1 * off["mine_deaths_total"]


# --- validation ----------------------------------------------------------------------------------
def test_bad_regime_parameters_are_rejected_with_paths():
    with pytest.raises(ScenarioError) as err:
        scenario(
            [
                {"type": "campaign", "kind": "great_leap"},
                {"type": "cadre_labour", "ranks": [9]},
                {"type": "mine_safety", "native_supervision": 1.5},
            ]
        )
    text = str(err.value)
    assert "regimes[0].campaign.kind" in text
    assert "ranks must be in 0..4" in text
    assert "regimes[2].mine_safety.native_supervision" in text


def test_ties_matrix_is_symmetric_so_kin_risk_is_mutual():
    m = CadreModel(scenario([]), seed=1)
    assert sparse.linalg.norm(m.ties - m.ties.T) == 0


# --- issue 18: cadre labour's promotion and accuracy, three-in-one teams, management --------
def _run_model(regimes, end="1963-12", seed=1, **params):
    d = {
        "name": "t",
        "start": "1960-01",
        "end": end,
        "population": {**POP, "mining_share": 0.5},
        "params": params,
        "regimes": regimes,
    }
    m = CadreModel(parse_scenario(d), seed=seed)
    m.run()
    return m


def test_line_performance_counts_for_promotion():
    """000:8 — 'take their performance as a foundation for promotion'."""
    spec = {"type": "cadre_labour", "compliance": 0.5}
    gap = {}
    for w in (0.0, 3.0):
        diffs = []
        for s in SEEDS:
            m = _run_model([{**spec, "promotion_weight": w}], seed=s, retirement_age=45)
            reg, p = m.regimes[0], m.people
            c = p.rows(Kind.CADRE)
            on = reg.participants[c]
            diffs.append(p.rank[c][on].mean() - p.rank[c][~on].mean())
        gap[w] = np.mean(diffs)
    assert gap[3.0] > gap[0.0] + 0.1


def test_contact_with_the_line_adds_accuracy_to_decisions():
    """000:19, 34 — more accurate decisions where cadres work on the line: output up."""
    lo = _run_model([{"type": "cadre_labour", "accuracy_gain": 0.0}], end="1961-12")
    hi = _run_model([{"type": "cadre_labour", "accuracy_gain": 0.3}], end="1961-12")
    k = OUTCOME_NAMES.index("output")
    assert hi.records[:, k].mean() > 1.05 * lo.records[:, k].mean()


def test_three_in_one_teams_subordinate_technicians_and_give_workers_a_fading_voice():
    """002:3445-3462 (teams, 'we had to obey them'), 4250-4256 (no real power)."""
    keys = ("alienation_technician_final", "output_mean")
    off = mean_outcomes([{"type": "cadre_labour", "team_share": 0.0}], keys)
    on = mean_outcomes([{"type": "cadre_labour", "team_share": 1.0}], keys)
    assert on["alienation_technician_final"] > off["alienation_technician_final"] + 0.05
    assert on["output_mean"] < off["output_mean"]
    # While the representatives still have power (the first year), workers' grievance is
    # lower; later the lost output weighs on legitimacy instead.
    g = ("grievance_worker_mean",)
    g_off = mean_outcomes([{"type": "cadre_labour", "team_share": 0.0}], g, end="1960-12")
    g_on = mean_outcomes([{"type": "cadre_labour", "team_share": 1.0}], g, end="1960-12")
    assert g_on["grievance_worker_mean"] < g_off["grievance_worker_mean"]
    # The representatives' power fades; the technicians' subordination stays.
    m = CadreModel(scenario([{"type": "cadre_labour", "team_share": 1.0}]), seed=1)
    m.step()
    first = m.terms.breakdown("hardship")["cadre_labour#0"].min()
    for _ in range(24):
        m.step()
    later = m.terms.breakdown("hardship")["cadre_labour#0"].min()
    assert first < later < 0
    assert m.terms.breakdown("technician_authority")["cadre_labour#0"].min() < 0


def test_management_rules_for_dismissal_and_orientation():
    from sim.regimes.management import dismissal_probability, production_orientation

    perf = np.array([-1.0, 0.0, 1.0, 2.0])
    p = dismissal_probability(perf, 0.9, 0.1, 0.0)
    assert p[0] == p[1] == 0.0 and 0 < p[2] < p[3]  # success provokes removal (M2)
    assert np.all(dismissal_probability(perf, 0.9, 0.1, 1.0) == 0)  # protected by law
    assert np.all(dismissal_probability(perf, 0.2, 0.1, 0.0) < p + 1e-12)
    assert production_orientation("one_man", 0.0) == 1.0
    assert production_orientation("party_committee", 0.3) == 0.3


def test_secretaries_dismiss_successful_managers_and_courts_do_not_restore():
    """M1-M3 (4466-4497): managers of units that do well are fired; cohesion pays."""
    keys = ("cadre_cooptation_final",)
    spec = {"type": "management", "mode": "one_man"}
    off = mean_outcomes([{**spec, "dismissal_rate": 0.0}], keys)
    on = mean_outcomes([{**spec, "dismissal_rate": 0.5}], keys)
    assert on["cadre_cooptation_final"] < off["cadre_cooptation_final"]
    m = _run_model([{**spec, "dismissal_rate": 0.5}], end="1961-12")
    restored = _run_model([{**spec, "dismissal_rate": 0.5, "reinstatement": 1.0}], end="1961-12")
    c = OUTCOME_NAMES.index("cadre_cooptation")
    assert restored.records[-1, c] > m.records[-1, c]


def test_production_oriented_leaders_destigmatize_labels():
    """O1 (2640-2647): under a production-oriented leader class labels weigh less."""
    spec = {"type": "management", "mode": "one_man"}
    m = CadreModel(scenario([{**spec, "destigma": 1.0}]), seed=1)
    m.step()
    p = m.people
    c = p.rows(Kind.CADRE)
    merit = m.terms.breakdown("merit")["management#0"][c]
    label = p.class_label[c]
    assert np.all(merit[label == 0] == 0)
    if (label > 0).any():
        assert np.all(merit[label > 0] > 0)
    assert np.allclose(merit, m.params.promotion_label * label)
    # A security apparatus on its own represses more (assumption, 2356-2359).
    lo = CadreModel(scenario([{**spec, "security_autonomy": 0.0}]), seed=1)
    lo.step()
    assert m.levers.repression > lo.levers.repression
