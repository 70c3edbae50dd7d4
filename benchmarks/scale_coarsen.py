"""Diagnostic for issue 12 point 3: coarse-grain ONE attribute at people_per_agent 1.

At one person per agent every person is their own agent. An agent of ``g`` people (as
at people_per_agent ``g``) makes some attributes lumpy: its people share them. This
diagnostic keeps the model at people_per_agent 1 and makes one attribute lumpy in
*blocks* of ``g`` consecutive people of the same kind, locality and initial status (the
people an agent of ``g`` would stand for), everything else per person, to see which one
reproduces the class III/IV shares of people_per_agent ``g``. Arms (one each):

- ``layoffs``: a block is laid off together (one retention score, one status draw, the
  block's first person's age for retirement and the buyout).
- ``status``: status changes after the layoff come in blocks (re-employment, and the
  private unit found).
- ``traits``: threshold, fixed hardship H0 and activism shared in blocks (risk aversion
  stays per person, as an agent's others draw theirs).
- ``ties``: ties are built among blocks (as among agents) and a block is seen through
  its first person (as an agent through one person at the tie's end).
- ``arrests``: the state arrests blocks: a block's people in an event are taken together
  while they fit the capacity (the last one with probability capacity left / its size).
- ``jailterm`` (any people_per_agent): a re-arrest of a partly detained agent gives it the
  detained-weighted mean of the remaining and the new jail term instead of the larger.

``--off NAME`` switches a mechanism off and ``--param NAME=VALUE`` sets a parameter, at
every scale alike (e.g. ``--off local_blame``, ``--param detention_activism=0``).

The arms are monkeypatches applied in this process only; the model's code is unchanged.
Run with

    .venv/bin/python -m benchmarks.scale_coarsen --arm layoffs --seeds 16 --base 500

It prints one JSON line per seed (the metrics of benchmarks.scale_invariance).
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from scipy import sparse

from benchmarks import scale_invariance as si
from sim import population
from sim.regimes import privatization as priv
from sim.runner import derive_seeds
from sim.state import Kind, Status
from sim.submodels import state_response as sr

G = 10
STATE: dict = {}


def make_blocks(p, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row its block id, and per block its first row. Cadres are blocks of one."""
    n = p.n
    row = np.arange(n)
    solo = np.where(p.kind == Kind.CADRE, row, -1)
    order = np.lexsort((row, p.status, p.village, p.unit, p.kind, solo))
    keys = np.stack([solo[order], p.kind[order], p.unit[order], p.village[order], p.status[order]])
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = np.any(keys[:, 1:] != keys[:, :-1], axis=0)
    gid = np.cumsum(new_group) - 1
    gstart = np.flatnonzero(new_group)
    pos = np.arange(n) - gstart[gid]
    new_block = new_group | (pos % g == 0)
    bid_sorted = np.cumsum(new_block) - 1
    block = np.empty(n, dtype=np.int64)
    block[order] = bid_sorted
    lead = order[np.flatnonzero(new_block)]
    return block, lead


def first_of_block(block: np.ndarray) -> np.ndarray:
    """For each entry, the position of the first entry of its block (rows sorted)."""
    _, first, inv = np.unique(block, return_index=True, return_inverse=True)
    return first[inv]


# ---------------------------------------------------------------------------- patches
_orig_build_people = population.build_people
_orig_build_ties = population.build_ties


def build_people(scn, units, rng):
    p = _orig_build_people(scn, units, rng)
    block, lead = make_blocks(p, G)
    STATE["block"], STATE["lead"] = block, lead
    if STATE["arm"] == "traits":
        lead_of = lead[block]
        for col in ("threshold", "hardship_base", "activism"):
            a = getattr(p, col)
            a[:] = a[lead_of]
    return p


class _Leads:
    def __init__(self, p, lead):
        self.kind = p.kind[lead]
        self.village = p.village[lead]


def build_ties(locality, n_localities, people, ties_per_agent, long_share, rng):
    t = _orig_build_ties(locality, n_localities, people, ties_per_agent, long_share, rng)
    if STATE["arm"] != "ties":
        return t
    block, lead = STATE["block"], STATE["lead"]
    nb, n = lead.size, block.size
    bg = _orig_build_ties(
        locality[lead], n_localities, _Leads(people, lead), ties_per_agent, long_share, rng
    )
    bg.setdiag(0)
    bg.eliminate_zeros()
    # Row of a block's lead: the block's ties, seen by every member of the tied blocks.
    r = sparse.csr_matrix((np.ones(nb, np.float32), (lead, np.arange(nb))), shape=(n, nb))
    s = sparse.csr_matrix((np.ones(n, np.float32), (np.arange(n), block)), shape=(n, nb))
    out = (r @ bg @ s.T).tocsr()
    out.data[:] = 1.0
    out.sort_indices()
    out.data = out.data.astype(np.float32)
    return out


_orig_lay_off = priv.Privatization._lay_off


def lay_off(self, model, quota, sale=False):
    prm, p, rng = self.params, model.people, model.rng
    block = STATE["block"]
    idx = self._staff(model, quota > 0)
    unit = p.unit[idx].astype(np.int64)
    score = priv.retention_score(p.age[idx], p.skill[idx], prm.age_weight, prm.education_weight)
    chooser = model.terms.total("worker_selection")[: model.units.n]
    if chooser.any():
        score = score * (1.0 - np.clip(chooser, 0.0, 1.0))[unit]
    score = score + prm.selection_noise * rng.standard_normal(idx.size)
    if idx.size:
        score = score[first_of_block(block[idx])]
    out = idx[priv.select_layoffs(unit, score, quota)]
    f = first_of_block(block[out]) if out.size else np.zeros(0, dtype=np.int64)
    denied = (rng.random(out.size) < prm.status_denial)[f]
    age = p.age[out][f]
    status = priv.layoff_status(age, denied, prm.early_retirement_age)
    p.pension[out] = np.where(status == Status.RETIRED, model.params.pension, p.pension[out])
    young = (status != Status.RETIRED) & (age < prm.buyout_age)
    takes = young & (rng.random(out.size) < prm.buyout_acceptance)[f]
    status = np.where(takes, Status.UNEMPLOYED, status).astype(np.int8)
    p.relief[out] = p.relief[out] + np.where(takes, prm.buyout_months * p.wage[out], 0.0)
    p.status[out] = status
    p.laid_off[out] = model.step_index
    p.stipend_months[out] = int(round(12 * prm.xiagang_years))
    return (out, takes) if sale else out


def reemploy(self, model):
    from sim.state import Ownership

    prm, p, u, rng = self.params, model.people, model.units, model.rng
    private = np.flatnonzero(
        (u.ownership == Ownership.PRIVATE) | (u.ownership == Ownership.SHAREHOLDING)
    )
    if private.size == 0 or prm.reemployment_rate == 0:
        return
    w = p.rows(Kind.WORKER)
    st = p.status[w]
    laid_off = (st == Status.XIAGANG) | (st == Status.UNEMPLOYED)
    can = np.flatnonzero(laid_off & (p.age[w] < prm.reemployment_age)) + w.start
    if can.size == 0:
        return
    f = first_of_block(STATE["block"][can])
    u_hire = rng.random(can.size)[f]
    hired = can[u_hire < prm.reemployment_rate]
    to = private[rng.integers(0, private.size, size=can.size)][f][u_hire < prm.reemployment_rate]
    if hired.size:
        p.unit[hired] = to
        p.status[hired] = Status.EMPLOYED
        p.wage[hired] = p.wage[hired] * np.float32(prm.private_wage)
        p.laid_off[hired] = -1
        model.tally["reemployed"] = int(hired.size)


_orig_arrest = sr.leaders_to_arrest


def arrest(locality, activism, capacity, tiebreak, share=None, accept=None):
    if share is not None or locality.size == 0:
        return _orig_arrest(locality, activism, capacity, tiebreak, share, accept)
    model = STATE["model"]
    members = np.flatnonzero(model.events.rows(model.people.n) >= 0)
    assert members.size == locality.size
    b = STATE["block"][members]
    ub, first, inv = np.unique(b, return_index=True, return_inverse=True)
    size = np.bincount(inv).astype(np.float64)
    act_b = np.full(ub.size, -np.inf)
    np.maximum.at(act_b, inv, activism)
    tb = tiebreak[first]
    acc = model.rng.random(ub.size)
    pick_b = _orig_arrest(locality[first], act_b, capacity, tb, size, acc)
    return pick_b[inv]


def _weighted_jail_terms() -> None:
    """``respond`` with one change: a re-arrest while some of an agent's people are held
    gives the agent the detained-weighted mean of the remaining and the new term, not the
    larger of the two (which keeps the first detainees longer than at one person per
    agent, where each arrested person serves their own term). Diagnostic only."""
    import inspect
    import textwrap

    src = textwrap.dedent(inspect.getsource(sr.respond))
    old = "p.jail[jailed] = np.maximum(p.jail[jailed], term)"
    new = (
        "p.jail[jailed] = np.where(held > 0, np.round((held * p.jail[jailed] + taken * term)"
        " / np.maximum(held + taken, 1e-9)), term).astype(p.jail.dtype)"
    )
    assert old in src
    ns = dict(vars(sr))
    exec(compile(src.replace(old, new), sr.__file__, "exec"), ns)
    sr.respond = ns["respond"]


def install(arm: str) -> None:
    STATE["arm"] = arm
    population.build_people = build_people
    population.build_ties = build_ties
    if arm == "layoffs":
        priv.Privatization._lay_off = lay_off
    if arm == "status":
        priv.Privatization._reemploy = reemploy
    if arm == "jailterm":
        _weighted_jail_terms()
    if arm == "arrests":
        sr.leaders_to_arrest = arrest
        from sim import model as m

        orig_init = m.CadreModel.__init__

        def init(self, *a, **k):
            STATE["model"] = self
            orig_init(self, *a, **k)

        m.CadreModel.__init__ = init


def measure(scenario: dict, seed: int):
    """The metrics of ``benchmarks.scale_invariance.measure``, and the upper tail of event
    sizes: per 100,000 people-year, events of at least 300, 500, 700 and 1,000 people and
    the 99th and 99.9th percentiles of size (people)."""
    from sim.config import parse_scenario

    box = {}
    orig = si.run_scenario

    def keep(scn, sd):
        box["res"] = orig(scn, sd)
        return box["res"]

    si.run_scenario = keep
    try:
        r, cpu = si.measure(scenario, seed)
    finally:
        si.run_scenario = orig
    scn = parse_scenario(scenario)
    people = scn.population.total * scn.params.people_per_agent
    years = scn.n_steps / 12.0
    size = box["res"].events["size"].to_numpy()
    per = 1e5 / people / years
    tail = [float(np.count_nonzero(size >= x)) * per for x in (300, 500, 700, 1000)]
    q = np.quantile(size, [0.99, 0.999]).tolist() if size.size else [0.0, 0.0]
    return r, cpu, tail + q


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arm", default="base")
    ap.add_argument("--ppa", type=float, default=1.0)
    ap.add_argument("--seeds", type=int, default=16)
    ap.add_argument("--base", type=int, default=500)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--people", type=int, default=60_000)
    ap.add_argument("--years", type=int, default=6)
    ap.add_argument("--off", action="append", default=[], help="mechanism switched off")
    ap.add_argument("--param", action="append", default=[], help="NAME=VALUE (a Params field)")
    a = ap.parse_args(argv)
    install(a.arm)
    for k, sd in enumerate(derive_seeds(a.base, a.seeds)):
        if k < a.first:
            continue
        scn = si.city(a.people, a.ppa, a.years, 20, 20)
        if a.off:
            scn["mechanisms"] = dict.fromkeys(a.off, False)
        for kv in a.param:
            name, value = kv.split("=", 1)
            scn["params"][name] = float(value)
        r, cpu, tail = measure(scn, sd)
        rec = {"arm": a.arm, "ppa": a.ppa, "base": a.base, "k": k, "seed": int(sd)}
        rec.update({"m": r.tolist(), "cpu": cpu, "tail": tail})
        print(json.dumps(rec), flush=True)
        print(f"{a.arm} ppa{a.ppa:g} seed {k}: {cpu:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
