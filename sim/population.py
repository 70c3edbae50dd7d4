"""Initialization: people, work units, villages and the ties between them.

All draws come from the model's generator, so a seed fixes the whole population.
Distributions are documented in docs/ODD.md ("Initialization"); where a source gives a
figure it is cited inline.
"""

from __future__ import annotations

import random

import numpy as np
from scipy import sparse

from sim.config import Scenario
from sim.grouping import random_member, stable_group_order
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
from sim.submodels import demography
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


def urban_counts(scn: Scenario) -> tuple[int, int]:
    """Retired workers and technicians added to the employed of the population counts.

    The city's population is stationary (docs/ODD.md 5, 7.6.1): beside the
    ``workers`` and ``technicians`` employed at the start it holds the retired of the
    same life table, so deaths (which free rows for school-leavers) balance
    retirements (which open posts) from the first month.
    """
    pop, prm = scn.population, scn.params
    ratio = {
        kind: demography.retirees_per_worker(
            _entry(kind, prm), prm.retirement_age, prm.mortality_60, prm.mortality_slope
        )
        for kind in (Kind.WORKER, Kind.TECHNICIAN)
    }
    return (
        int(round(pop.workers * ratio[Kind.WORKER])),
        int(round(pop.technicians * ratio[Kind.TECHNICIAN])),
    )


def _entry(kind: Kind, prm) -> float:
    return prm.entry_age + (demography.GRADUATE_DELAY if kind == Kind.TECHNICIAN else 0.0)


def _urban_ages(rng, n_employed: int, n_retired: int, kind: Kind, prm) -> np.ndarray:
    """Ages of a stationary urban block: the employed first, then the retired."""
    entry, ret = _entry(kind, prm), prm.retirement_age
    mu, slope = prm.mortality_60, prm.mortality_slope
    return np.concatenate(
        (
            demography.stationary_ages(rng, n_employed, entry, ret, entry, mu, slope),
            demography.stationary_ages(rng, n_retired, ret, demography.MAX_AGE, entry, mu, slope),
        )
    )


def build_people(scn: Scenario, units: Columns, rng: np.random.Generator) -> People:
    pop, prm = scn.population, scn.params
    retired_w, retired_t = urban_counts(scn)
    counts = {
        Kind.CADRE: pop.cadres,
        Kind.TECHNICIAN: pop.technicians + retired_t,
        Kind.WORKER: pop.workers + retired_w,
        Kind.MIGRANT: pop.migrants,
        Kind.PEASANT: pop.peasants,
    }
    p = People(counts)
    weights = units.capacity / units.capacity.sum()

    # Cadres: overwhelmingly good class and party members (seed 002 C1-C2, lines 2273-2277).
    c = p.rows(Kind.CADRE)
    nc = pop.cadres
    p.age[c] = rng.uniform(28, 58, size=nc)
    demography.draw_person(p, c, Kind.CADRE, prm, rng)
    p.unit[c] = rng.choice(units.n, size=nc, p=weights)
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
    # Patron: a higher-ranked cadre, drawn among all cadres of higher rank (any unit).
    rank = p.rank[c]
    patron = np.full(nc, -1, dtype=np.int32)
    for r in range(N_RANKS - 1):
        clients = np.flatnonzero(rank == r)
        seniors = np.flatnonzero(rank > r)
        if clients.size and seniors.size:
            patron[clients] = seniors[rng.integers(0, seniors.size, size=clients.size)]
    p.patron[c] = np.where(patron >= 0, patron + c.start, -1)

    # Technicians and workers: the employed of a stationary population, then its retired,
    # attached to their (former) unit. Technicians are more often of bourgeois background,
    # few in the party (part 2 §2); workers' activism rises with age (seed 003 B1, line 29).
    for kind, n_emp, n_ret, good, middle in (
        (Kind.TECHNICIAN, pop.technicians, retired_t, 0.4, 0.35),
        (Kind.WORKER, pop.workers, retired_w, 0.75, 0.2),
    ):
        rows = p.rows(kind)
        n = n_emp + n_ret
        p.age[rows] = _urban_ages(rng, n_emp, n_ret, kind, prm)
        demography.draw_person(p, rows, kind, prm, rng)
        p.unit[rows] = rng.choice(units.n, size=n, p=weights)
        p.class_label[rows] = _labels(rng, n, good, middle)
        p.wage[rows] = demography.starting_wage(p.kind[rows], p.skill[rows], prm)
        retired = np.arange(n) >= n_emp
        p.status[rows] = np.where(retired, Status.RETIRED, Status.EMPLOYED)
        p.pension[rows] = np.where(retired, prm.pension, 0.0)
        if kind == Kind.TECHNICIAN:
            p.dossier[rows] = rng.poisson(0.5, size=n)

    # Migrants: rural residency, from a village, employed by non-state units first. Their
    # ages, health and time on the job are spread as in a steady stream (no cohort): on
    # the job health is uniform between worn out and whole, and tenure is the months it
    # took to get there in their unit; a steady-state share is at home between spells.
    m = p.rows(Kind.MIGRANT)
    nm = pop.migrants
    if nm:
        nonstate = np.flatnonzero(units.ownership != Ownership.STATE)
        hosts = nonstate if nonstate.size else np.arange(units.n)
        lo = prm.migrant_entry_age - demography.MIGRANT_ENTRY_SPREAD
        p.age[m] = rng.uniform(lo, prm.migrant_max_age, size=nm)
        demography.draw_person(p, m, Kind.MIGRANT, prm, rng)
        p.unit[m] = hosts[rng.integers(0, hosts.size, size=nm)]
        p.village[m] = rng.integers(0, max(pop.villages, 1), size=nm)
        p.residency[m] = Residency.RURAL
        p.wage[m] = prm.migrant_wage
        p.status[m] = Status.EMPLOYED
        decay = (
            prm.migrant_health_decay
            * p.frailty[m].astype(np.float64)
            * (demography.SAFETY_PIVOT - units.safety[p.unit[m]].astype(np.float64))
        )
        worn = rng.random(nm) * (1.0 - prm.migrant_exit_health) if prm.migrant_health_decay else 0
        p.health[m] = 1.0 - worn
        months = np.minimum(worn / np.maximum(decay, 1e-9), 12 * (p.age[m] - lo))
        p.tenure[m] = np.clip(np.round(months), 0, np.iinfo(np.int16).max)
        home_share = demography.migrant_home_share(
            prm.migrant_health_decay,
            prm.migrant_exit_health,
            prm.migrant_exhaustion_exit,
            prm.migrant_return_rate,
            prm.migrant_remigration,
        )
        home = np.flatnonzero(rng.random(nm) < home_share) + m.start
        p.status[home] = Status.NONE
        p.unit[home] = -1
        # Every migrant's household keeps a plot at home, farmed between spells in the
        # city; a plot lost stays lost (sim/submodels/demography.py, displace_to_city).
        p.land[m] = prm.migrant_home_land

    # Peasants: a village and land.
    q = p.rows(Kind.PEASANT)
    nq = pop.peasants
    if nq:
        p.age[q] = rng.uniform(18, 70, size=nq)
        demography.draw_person(p, q, Kind.PEASANT, prm, rng)
        p.village[q] = rng.integers(0, max(pop.villages, 1), size=nq)
        p.residency[q] = Residency.RURAL
        p.land[q] = rng.uniform(0.6, 1.4, size=nq)
        p.class_label[q] = _labels(rng, nq, 0.85, 0.1)
        p.status[q] = Status.NONE
    return p


def locality_of(
    people: People, n_units: int, n_villages: int, compiled: bool | None = None
) -> np.ndarray:
    """Each person's locality: their (former) unit, else their village, else the city.

    Compiled in one pass for large models (``sim.kernels.wanted``); :func:`locality_of_numpy`
    is the reference, with the same result (``tests/test_reference.py``).
    """
    from sim import kernels

    if kernels.wanted(people.n, compiled):
        return kernels.locality(people.unit, people.village, n_units, n_villages)
    return locality_of_numpy(people, n_units, n_villages)


def locality_of_numpy(people: People, n_units: int, n_villages: int) -> np.ndarray:
    """The numpy reference of :func:`locality_of`."""
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
        order_v = stable_group_order(pv, int(pv.max()) + 1)
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


def watts_strogatz_edges(n: int, k: int, p: float, seed: int) -> np.ndarray:
    """Edges (m × 2, ``u < v``) of ``networkx.watts_strogatz_graph(n, k, p, seed)``.

    The same graph, draw for draw: networkx's algorithm and its ``random.Random(seed)``
    stream, without a Python object per tie. Ring edges are implicit (node ``u`` is tied
    to ``u ± 1 … u ± k/2``) and only rewired ones are kept in sets, since at a city of
    10^7 people the cadre network has 10^5 nodes (Watts & Strogatz 1998; networkx's
    rewiring loop: each ring edge ``(u, u + j)`` in order of ``j`` then ``u`` is replaced
    by ``(u, w)``, ``w`` uniform among nodes not yet tied to ``u``, with probability ``p``).
    """
    if k > n:
        raise ValueError(f"k = {k} > n = {n}")
    if k == n:  # networkx returns the complete graph
        i, j = np.triu_indices(n, 1)
        return np.stack([i, j], axis=1).astype(np.int64)
    rnd = random.Random(seed)
    half = k // 2
    removed: set[tuple[int, int]] = set()  # ring edges rewired away, as (min, max)
    added: set[tuple[int, int]] = set()  # rewired edges, as (min, max)
    degree = [2 * half] * n if n > 2 * half else None  # only needed when the ring wraps

    def ring(a: int, b: int) -> bool:
        d = (b - a) % n
        return 0 < min(d, n - d) <= half

    def has_edge(a: int, b: int) -> bool:
        e = (a, b) if a < b else (b, a)
        return e in added or (ring(a, b) and e not in removed)

    if degree is None:  # tiny n: the ring's degrees, counting wrapped duplicates once
        degree = [0] * n
        for a in range(n):
            degree[a] = sum(1 for b in range(n) if b != a and ring(a, b))
    rand, randbelow = rnd.random, rnd._randbelow  # random.choice(seq) = seq[_randbelow(len)]
    for j in range(1, half + 1):
        for u in range(n):
            if rand() < p:
                v = (u + j) % n
                w = randbelow(n)
                skipped = False
                while w == u or has_edge(u, w):
                    w = randbelow(n)
                    if degree[u] >= n - 1:
                        skipped = True
                        break
                if skipped:
                    continue
                e = (u, v) if u < v else (v, u)
                if e in added:
                    added.discard(e)
                else:
                    removed.add(e)
                added.add((u, w) if u < w else (w, u))
                degree[v] -= 1
                degree[w] += 1
    base = np.arange(n, dtype=np.int64)
    ring_edges = [np.stack([base, (base + j) % n], axis=1) for j in range(1, half + 1)]
    e = np.concatenate(ring_edges) if ring_edges else np.empty((0, 2), np.int64)
    e = np.sort(e, axis=1)
    e = np.unique(e, axis=0)  # a wrapping ring on few nodes repeats edges
    if removed:
        gone = np.array(sorted(removed), dtype=np.int64)
        keep = ~_rows_in(e, gone)
        e = e[keep]
    if added:
        e = np.concatenate([e, np.array(sorted(added), dtype=np.int64)])
    return e


def _rows_in(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each row of ``a`` (m × 2, non-negative), whether it is a row of ``b``."""
    m = max(int(a.max(initial=0)), int(b.max(initial=0))) + 1
    return np.isin(a[:, 0] * m + a[:, 1], b[:, 0] * m + b[:, 1])


def cadre_network(n_cadres: int, seed: int) -> np.ndarray:
    """Cadres' own acquaintance network, as edges (m × 2): a seeded small world
    (Watts–Strogatz, 6 neighbours, rewiring 0.1), complete below 5 cadres."""
    if n_cadres < 5:
        i, j = np.triu_indices(n_cadres, 1)
        return np.stack([i, j], axis=1).astype(np.int64)
    return watts_strogatz_edges(n_cadres, min(6, n_cadres - 1), 0.1, seed)


def add_cadre_network(ties: sparse.csr_matrix, edges: np.ndarray, offset: int) -> sparse.csr_matrix:
    """Merge the cadre network (edges between cadre indices) into the person-level ties."""
    if len(edges) == 0:
        return ties
    e = np.asarray(edges, dtype=np.int64) + offset
    extra = sparse.coo_matrix(
        (np.ones(len(e), dtype=np.float32), (e[:, 0], e[:, 1])), shape=ties.shape
    ).tocsr()
    merged = ties + extra + extra.T
    merged.data[:] = 1.0
    return merged.tocsr()
