"""Campaign conditions of issue 18: leniency after struggle (E1) and dossier access (O6).

E1 (seed 002 3597-3604): cadres struggled face to face are "too lenient" afterwards and
labour discipline deteriorates — their units' output falls, in the years after the
campaign too. O6 (3158-3165, 3180-3182): personnel and security cadres hold the dossiers;
they escape criticism, and the files they leak arm the conservatives against targets and
against the opposing faction's members.
"""

from __future__ import annotations

import numpy as np
from conftest import small_scenario

from sim.model import CadreModel
from sim.regimes.campaign import dossier_access, leak_share, shielded, unit_leniency
from sim.state import Kind, Status
from sim.submodels.careers import CONSERVATIVE, REBEL

URBAN = {"cadres": 80, "technicians": 80, "workers": 900, "migrants": 0, "peasants": 0}
URBAN = {**URBAN, "units": 8, "villages": 0}


def _cr(end: str, run_end: str, mechanisms: dict | None = None, **spec):
    regime = {"type": "campaign", "kind": "cultural_revolution", "end": end, **spec}
    return small_scenario(
        start="1966-01",
        end=run_end,
        population=URBAN,
        regimes=[regime],
        mechanisms=mechanisms or {},
    )


# --- pure rules ------------------------------------------------------------------------
def test_dossier_access_is_the_cadres_security_and_personnel_share():
    kind = np.array([Kind.CADRE, Kind.CADRE, Kind.WORKER])
    sec = np.array([0.1, 0.6, 0.5], dtype=np.float32)
    acc = dossier_access(sec, kind, 1.0)
    assert np.allclose(acc, [0.2, 1.0, 0.0])  # capped at 1; workers hold no files
    assert np.allclose(dossier_access(sec, kind, 0.0), [0.1, 0.6, 0.0])


def test_shield_lowers_the_chance_in_proportion_to_access():
    prob = np.array([0.5, 0.5, 0.5])
    out = shielded(prob, np.array([0.0, 0.5, 1.0]), 0.8)
    assert np.allclose(out, [0.5, 0.3, 0.1])
    assert np.array_equal(shielded(prob, np.ones(3), 0.0), prob)


def test_leak_share_is_the_conservatives_share_of_the_aligned():
    unit = np.array([0, 0, 0, 1, 1, 2])
    faction = np.array([CONSERVATIVE, CONSERVATIVE, REBEL, REBEL, -1, -1], dtype=np.int16)
    members = faction >= 0
    assert np.allclose(leak_share(unit, faction, members, 3), [2 / 3, 0.0, 0.0])


def test_unit_leniency_weights_leaders_by_rank():
    len_ = np.array([1.0, 0.0, 0.0, 1.0], dtype=np.float32)
    unit = np.array([0, 0, 1, 1])
    rank = np.array([4, 0, 4, 0], dtype=np.int8)
    out = unit_leniency(len_, unit, np.ones(4, dtype=bool), rank, 2)
    assert np.allclose(out, [5 / 6, 1 / 6])  # a lenient leader weighs five times a clerk
    assert np.allclose(unit_leniency(len_, unit, np.zeros(4, dtype=bool), rank, 2), 0.0)


# --- E1: struggled cadres' units produce less, after the campaign too --------------------
def _post_output(mechanisms: dict, seed: int) -> tuple[float, list[str]]:
    """Output of the units whose cadres were struggled, summed over the months after the
    campaign, and the labour_discipline sources in the first month after it."""
    m = CadreModel(_cr("1968-06", "1970-06", mechanisms, phase_months=[2, 8, 8]), seed=seed)
    reg = m.regimes[0]
    while m.date < m.config.regimes[0].end:
        m.step()
    m.step()
    p = m.people
    cad = (p.kind == Kind.CADRE) & (p.unit >= 0) & (p.status == Status.EMPLOYED)
    struggled = np.zeros(m.units.n, dtype=bool)
    struggled[np.unique(p.unit[cad & (reg.leniency > 0)])] = True
    sources = m.terms.sources("labour_discipline")
    total = 0.0
    while m.running:
        m.step()
        total += float(m.units.output[struggled].sum())
    return total, sources


def test_struggled_cadres_leniency_lowers_their_units_output_after_the_campaign():
    for seed in (1, 2):
        on, sources = _post_output({}, seed)
        off, _ = _post_output({"struggle_leniency": False}, seed)
        assert on < off, seed
    # the campaign's slack outlasts it as a fading term (terms.fade)
    assert any(s.endswith("(fading)") for s in sources), sources


def test_leniency_term_is_negative_where_cadres_were_struggled():
    # Overthrown cadres lead nothing; the slack shows once they are liberated (qingli).
    # Whether a seed has a liberated struggled cadre back in post by month 14 is chance
    # (2 of 8 seeds had none on main): the term is never positive, and negative somewhere
    # in the units of three seeds pooled.
    lowest = []
    for seed in (1, 2, 3):
        m = CadreModel(_cr("1967-12", "1967-12", phase_months=[1, 8, 8]), seed=seed)
        for _ in range(14):
            m.step()
        reg = m.regimes[0]
        assert reg.leniency.max() > 0
        term = m.terms.breakdown("labour_discipline")[reg.key][: m.units.n]
        assert term.max() <= 0
        lowest.append(term.min())
    assert min(lowest) < 0, lowest
    m2 = CadreModel(
        _cr("1967-12", "1967-12", {"struggle_leniency": False}, phase_months=[1, 8, 8]), seed=3
    )
    for _ in range(14):
        m2.step()
    assert np.all(m2.terms.breakdown("labour_discipline")[m2.regimes[0].key] == 0)


# --- O6: dossier holders are shielded; leaked files arm the conservatives ------------------
def _holders_overthrown(mechanisms: dict, seed: int) -> tuple[float, float]:
    m = CadreModel(_cr("1967-06", "1967-06", mechanisms, phase_months=[1, 12, 6]), seed=seed)
    p = m.people
    c = np.arange(*p.rows(Kind.CADRE).indices(p.n))
    holders = c[::2]
    p.security[c] = 0.0
    p.security[holders] = 0.5  # with as many personnel cadres: full access
    others = np.setdiff1d(c, holders)
    struck = np.zeros(p.n, dtype=bool)
    for _ in range(13):
        m.step()
        struck |= m.regimes[0].overthrown
    return float(struck[holders].mean()), float(struck[others].mean())


def test_dossier_holders_are_less_often_overthrown():
    # Pooled over four seeds: 40 holders a run, so one seed's share moves in steps of
    # 0.025 and a seed could land at 0.67 of the others' rate as the random stream
    # changed (seeds 1-6: 0.30 of it pooled with leaks, 0.87 without).
    on = np.array([_holders_overthrown({}, seed) for seed in (1, 2, 3, 4)]).sum(axis=0)
    off = np.array([_holders_overthrown({"dossier_leaks": False}, s) for s in (1, 2, 3, 4)])
    h_on, o_on = on
    h_off, o_off = off.sum(axis=0)
    # (0.7: with the graded elite split, docs/ODD.md 7.11, seeds 1-4 pool to 0.62 with
    # leaks; without them holders and others are struck alike)
    assert h_on < 0.7 * o_on, (h_on, o_on)
    assert h_off > 0.7 * o_off, (h_off, o_off)


def _filed_targets(mechanisms: dict, seed: int) -> tuple[int, int]:
    """Targets of the initial phase who had a file and were not conservatives (the side
    the leaked files arm) when struck, and all its targets."""
    scn = _cr("1966-12", "1966-12", mechanisms, phase_months=[12, 1, 1], target_rate=0.1)
    m = CadreModel(scn, seed=seed)
    p = m.people
    w = np.arange(*p.rows(Kind.WORKER).indices(p.n))
    rng = np.random.default_rng(seed)
    filed = w[rng.random(w.size) < 0.15]
    p.dossier[filed] = 2
    labelled = w[rng.random(w.size) < 0.3]
    p.class_label[labelled] = np.maximum(p.class_label[labelled], 1)
    had_file = p.dossier > 0
    hits = exposed = 0
    for _ in range(12):
        before, side = p.persecuted.copy(), p.faction.copy()
        m.step()
        hit = (p.persecuted > before) & ~m.renewed
        hits += int(hit.sum())
        exposed += int((hit & had_file & (side != CONSERVATIVE)).sum())
    return exposed, hits


def test_leaked_files_point_the_targeting_at_non_conservatives_with_a_file():
    # Who is struck varies much from seed to seed (the files, labels and factions are
    # drawn), so the shares are pooled over six paired seeds and ~4,000 targets an arm:
    # 0.32 with leaks vs 0.25 without (main df8405a); three seeds at half the rate gave
    # a gap anywhere from 0.02 to 0.09 as the random stream changed.
    def share(mechanisms: dict) -> float:
        counts = np.array([_filed_targets(mechanisms, s) for s in range(1, 7)])
        return counts[:, 0].sum() / counts[:, 1].sum()

    on, off = share({}), share({"dossier_leaks": False})
    assert on > off + 0.03, (on, off)
