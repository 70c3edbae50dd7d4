"""Initialization: people, work units, villages and the ties between them.

All draws come from the model's generator, so a seed fixes the whole population.
Distributions are documented in docs/ODD.md ("Initialization"); where a source gives a
figure it is cited inline.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from scipy import sparse

from sim.config import Scenario
from sim.grouping import random_member
from sim.state import (
    UNIT_COLUMNS,
    VILLAGE_COLUMNS,
    ClassLabel,
    Columns,
    Kind,
    Ownership,
    People,
    Residency,
    Sector,
    Status,
)
from sim.submodels.careers import N_RANKS, RANK_SHARES


def _labels(rng: np.random.Generator, n: int, good: float, middle: float) -> np.ndarray:
    return rng.choice(
        np.array([ClassLabel.GOOD, ClassLabel.MIDDLE, ClassLabel.BAD], dtype=np.int8),
        size=n,
        p=[good, middle, 1.0 - good - middle],
    )


def build_units(scn: Scenario, rng: np.random.Generator) -> Columns:
    pop = scn.population
    u = Columns(pop.units, UNIT_COLUMNS)
    n_mines = int(round(pop.mining_share * pop.units))
    sector = np.zeros(pop.units, dtype=np.int8)
    sector[rng.permutation(pop.units)[:n_mines]] = Sector.MINE
    u.sector = sector
    state = rng.random(pop.units) < pop.state_share
    other = rng.choice([Ownership.COLLECTIVE, Ownership.PRIVATE], size=pop.units, p=[0.6, 0.4])
    u.ownership = np.where(state, Ownership.STATE, other)
    u.capacity = rng.lognormal(0.0, 0.3, size=pop.units)
    u.safety = rng.uniform(0.3, 0.7, size=pop.units)
    return u


def build_villages(scn: Scenario, rng: np.random.Generator) -> Columns:
    v = Columns(scn.population.villages, VILLAGE_COLUMNS)
    return v


def build_people(scn: Scenario, units: Columns, rng: np.random.Generator) -> People:
    pop, prm = scn.population, scn.params
    counts = {
        Kind.CADRE: pop.cadres,
        Kind.TECHNICIAN: pop.technicians,
        Kind.WORKER: pop.workers,
        Kind.MIGRANT: pop.migrants,
        Kind.PEASANT: pop.peasants,
    }
    p = People(counts)
    n = p.n
    p.hardship_base = rng.random(n)
    p.risk_aversion = rng.random(n)
    p.threshold = np.clip(prm.threshold + prm.threshold_sd * rng.standard_normal(n), 0.0, None)
    p.skill = rng.random(n)
    weights = units.capacity / units.capacity.sum()

    # Cadres: overwhelmingly good class and party members (seed 002 C1-C2, lines 2273-2277).
    c = p.rows(Kind.CADRE)
    nc = pop.cadres
    p.unit[c] = rng.choice(units.n, size=nc, p=weights)
    p.age[c] = rng.uniform(28, 58, size=nc)
    p.class_label[c] = _labels(rng, nc, 0.8, 0.15)
    p.party[c] = True
    p.rank[c] = rng.choice(N_RANKS, size=nc, p=RANK_SHARES / RANK_SHARES.sum())
    p.loyalty[c] = rng.uniform(0.5, 0.9, size=nc)
    p.political_capital[c] = rng.exponential(1.0, size=nc)
    p.corruption[c] = rng.beta(2, 5, size=nc)
    p.native[c] = rng.random(nc) < prm.native_cadre_share
    # Security roles as a share of the cadres each agent stands for, not a coin flip: a
    # flip at 10 people per agent leaves most units with no security cadres and a few
    # with ten, which changes perceived risk with the scale (issue 12, point 3).
    p.security[c] = prm.security_cadre_share
    p.wage[c] = prm.cadre_wage
    p.status[c] = Status.EMPLOYED
    # Patron: a higher-ranked cadre, from the same unit when there is one.
    rank = p.rank[c]
    patron = np.full(nc, -1, dtype=np.int32)
    for r in range(N_RANKS - 1):
        clients = np.flatnonzero(rank == r)
        seniors = np.flatnonzero(rank > r)
        if clients.size and seniors.size:
            patron[clients] = seniors[rng.integers(0, seniors.size, size=clients.size)]
    p.patron[c] = np.where(patron >= 0, patron + c.start, -1)

    # Technicians: more often of bourgeois background, few in the party (part 2 §2).
    t = p.rows(Kind.TECHNICIAN)
    nt = pop.technicians
    p.unit[t] = rng.choice(units.n, size=nt, p=weights)
    p.age[t] = rng.uniform(24, 58, size=nt)
    p.class_label[t] = _labels(rng, nt, 0.4, 0.35)
    p.party[t] = rng.random(nt) < 0.25
    p.skill[t] = rng.uniform(0.5, 1.0, size=nt)
    p.dossier[t] = rng.poisson(0.5, size=nt)
    p.wage[t] = prm.wage * 1.3
    p.status[t] = Status.EMPLOYED

    # Workers: urban residency, employed in a unit; older cohorts carry more activism
    # (seed 003 B1, line 29).
    w = p.rows(Kind.WORKER)
    nw = pop.workers
    p.unit[w] = rng.choice(units.n, size=nw, p=weights)
    p.age[w] = rng.uniform(18, 58, size=nw)
    p.class_label[w] = _labels(rng, nw, 0.75, 0.2)
    p.party[w] = rng.random(nw) < 0.1
    p.wage[w] = prm.wage * (0.8 + 0.4 * p.skill[w])
    p.status[w] = Status.EMPLOYED
    p.activism[w] = np.clip(rng.beta(1.2, 6.0, size=nw) + 0.004 * (p.age[w] - 18), 0, 1)

    # Migrants: rural residency, from a village, employed by non-state units first.
    m = p.rows(Kind.MIGRANT)
    nm = pop.migrants
    if nm:
        nonstate = np.flatnonzero(units.ownership != Ownership.STATE)
        hosts = nonstate if nonstate.size else np.arange(units.n)
        p.unit[m] = hosts[rng.integers(0, hosts.size, size=nm)]
        p.village[m] = rng.integers(0, max(pop.villages, 1), size=nm)
        p.age[m] = rng.uniform(16, 40, size=nm)
        p.residency[m] = Residency.RURAL
        p.wage[m] = prm.migrant_wage
        p.status[m] = Status.EMPLOYED
        p.activism[m] = rng.beta(1.0, 8.0, size=nm)

    # Peasants: a village and land.
    q = p.rows(Kind.PEASANT)
    nq = pop.peasants
    if nq:
        p.village[q] = rng.integers(0, max(pop.villages, 1), size=nq)
        p.age[q] = rng.uniform(18, 70, size=nq)
        p.residency[q] = Residency.RURAL
        p.land[q] = rng.uniform(0.6, 1.4, size=nq)
        p.class_label[q] = _labels(rng, nq, 0.85, 0.1)
        p.status[q] = Status.NONE
        p.activism[q] = rng.beta(1.0, 8.0, size=nq)
    return p


def locality_of(people: People, n_units: int, n_villages: int) -> np.ndarray:
    """Each person's locality: their (former) unit, else their village, else the city."""
    return np.where(
        people.unit >= 0,
        people.unit,
        np.where(people.village >= 0, n_units + people.village, n_units + n_villages),
    ).astype(np.int64)


def build_ties(
    locality: np.ndarray,
    n_localities: int,
    people: People,
    ties_per_agent: int,
    long_share: float,
    rng: np.random.Generator,
) -> sparse.csr_matrix:
    """Symmetric social ties: mostly within the locality, a few across (kin, friends).

    Each person draws ``ties_per_agent // 2`` partners uniformly from their own locality
    (or, with probability ``long_share``, from anyone); migrants also keep a kin tie to
    a household in their home village. Vectorized: partners are drawn by position in
    the locality-sorted order, so no per-agent loop is needed.
    """
    n = locality.size
    if n < 2 or ties_per_agent == 0:
        return sparse.csr_matrix((n, n), dtype=np.float32)
    src, dst = [], []
    me = np.arange(n)
    for _ in range(max(ties_per_agent // 2, 1)):
        partner = random_member(locality, me, locality, n_localities, rng.random(n))
        far = rng.random(n) < long_share
        partner[far] = rng.integers(0, n, size=int(far.sum()))
        src.append(me)
        dst.append(partner)
    mig = np.flatnonzero(people.kind == Kind.MIGRANT)
    peas = np.flatnonzero(people.kind == Kind.PEASANT)
    if mig.size and peas.size:
        pv = people.village[peas]
        order_v = np.argsort(pv, kind="stable")
        vs = np.bincount(pv, minlength=int(people.village.max()) + 1)
        vstart = np.concatenate(([0], np.cumsum(vs)[:-1]))
        home = people.village[mig]
        has = vs[home] > 0
        pos = vstart[home[has]] + np.floor(rng.random(int(has.sum())) * vs[home[has]]).astype(int)
        src.append(mig[has])
        dst.append(peas[order_v[pos]])
    s, d = np.concatenate(src), np.concatenate(dst)
    keep = s != d
    s, d = s[keep], d[keep]
    a = sparse.coo_matrix((np.ones(s.size, dtype=np.float32), (s, d)), shape=(n, n)).tocsr()
    a = a + a.T
    a.data[:] = 1.0
    a.sum_duplicates()
    return a.tocsr()


def cadre_network(n_cadres: int, seed: int) -> nx.Graph:
    """Cadres' own acquaintance network: a seeded small world (Watts–Strogatz)."""
    if n_cadres < 5:
        return nx.complete_graph(n_cadres)
    return nx.watts_strogatz_graph(n_cadres, min(6, n_cadres - 1), 0.1, seed=seed)


def add_cadre_network(ties: sparse.csr_matrix, graph: nx.Graph, offset: int) -> sparse.csr_matrix:
    """Merge the cadre network into the person-level tie matrix."""
    if graph.number_of_edges() == 0:
        return ties
    e = np.array(graph.edges(), dtype=np.int64) + offset
    extra = sparse.coo_matrix(
        (np.ones(len(e), dtype=np.float32), (e[:, 0], e[:, 1])), shape=ties.shape
    ).tocsr()
    merged = ties + extra + extra.T
    merged.data[:] = 1.0
    return merged.tocsr()
