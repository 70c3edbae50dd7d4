"""A population that lives: deaths and entrants, hiring, and migrants who come and go.

Arrays are fixed-size (``sim.state``), so people enter by *row recycling*: the row of
someone who has left the model is reset for the person who takes their place, of the
same type (a Mesa agent stays bound to its row and now stands for that person).

- **Mortality** (Gompertz 1825): the annual death hazard is
  ``mortality_60 · exp(mortality_slope · (age − 60))``; the defaults (1.2 % a year at 60,
  3 % at 70, 7.4 % at 80) are near China's 2000 life table (Banister & Hill 2004).
  Workers, technicians (employed, retired or waiting) and peasant household heads die.
- **Entry**: an urban death frees a row for a school-leaver of the same type (a child of
  the city: same class label, the chushen passed on at birth; seed 002 part 2 §2.1) who
  waits in the city for a job; a peasant death passes the household (land, village,
  cooperative) to a successor (the next generation).
- **Hiring**: each unit fills ``hiring_rate`` of its vacancies a month (posts ``staff0``
  minus employed staff). State units suspend ``levers.hiring_freeze`` of that while a
  restructuring runs (seed 003 line 14: even those still working "are afraid for their
  jobs"; line 86: the state no longer guarantees graduates a post); a sold or converted
  unit hires at ``restructured_hiring`` of the rate to the smaller staff it kept
  (line 14: Siping's combine reopened with 1,000 of 3,000). Non-state units take
  ``migrant_hiring_share`` of their hires from migrants (line 95: new factories "mostly
  get their workers from the countryside"); state posts go to urban school-leavers
  (hukou, line 37), who also fill what migrants do not.
- **Migrants** wear out one by one: on the job health falls by ``migrant_health_decay``
  × frailty × (1.5 − unit safety) a month (line 43: "even three years … is frequently enough to
  destroy the health of young workers, who leave, only to be replaced by others"). A
  worn-out migrant (health < ``migrant_exit_health``) leaves for good with monthly chance
  ``migrant_exhaustion_exit``, and so does one past ``migrant_max_age`` (line 40: older
  migrants "can no longer get even temporary jobs"); a young villager from the same
  village takes the row (lines 35, 63: the villages "send the young and healthy" out, an
  "ever renewing pool of labor"). Others go home for a spell (``migrant_return_rate``)
  and "come out again" (line 40) at ``migrant_remigration`` × ``levers.migrant_supply``
  a month, when a unit hires them.
- **Cadres** (``cadre_turnover``) die on the same table and retire at ``retirement_age``;
  a post left by death, retirement, violence or a purge is filled by a *recruit*: a
  worker or technician of the post's unit, chosen by the period's criteria
  (``recruitment_score``: good class, party membership and skill — seed 002 C1–C2,
  2273–2277; science-anchors §3.2 — and, while a campaign sets
  ``levers.activist_criteria``, faction activism: "new cadres" who "filled posts vacated
  by old cadres", 3675–3678, and the crash recruitment of 1975, 3776–3820). The recruit
  *moves* into the cadre row (``move_into_cadre``): the row takes the recruit's personal
  traits, starts at rank 0 with a patron of higher rank in the unit, and keeps the
  post's cadre network (the ties belong to the post: "personal networks of followers",
  3683–3684). The recruit's old row is renewed for a school-leaver (``renew``), who waits
  to be hired into the post the recruit left, so employment is conserved.
- **Displaced peasants** (``displace_to_city``, driven by ``rural_taxes``): a peasant
  household that lost its land sends its head into the migrant stream — "there is no
  longer enough land to support the former farm population, especially after diversion
  of farmland to rural 'development' — the very same situation that drove many into the
  migrant stream to begin with" (seed 003 line 40). Rows keep their kind, so the person
  *trades places* with a migrant at home in the same village (``swap_people``): the
  displaced peasant takes the migrant row, landless, and the returnee takes over the
  household and its plot (``HOUSEHOLD`` stays with the row), so the counts of each kind
  and of represented people are conserved. A landless migrant at home has no plot to
  fall back on and looks for city work at ``landless_search`` a month instead of
  ``migrant_remigration`` × ``levers.migrant_supply``: migrant labour supply answers
  rural hardship, not only the exogenous schedule. A migrant's ``land`` is the
  household's plot at home, kept while working in the city (read only at home), so a
  plot lost stays lost: a displaced migrant who is hired and later goes home again
  has no land to farm.
"""

from __future__ import annotations

import numpy as np

from sim.state import PEOPLE_COLUMNS, Kind, Ownership, Residency, Status

#: Entrants' ages spread uniformly this far either side of the mean entry age (years).
ENTRY_SPREAD = 2.0
MIGRANT_ENTRY_SPREAD = 3.0
#: Technicians enter after four more years of study (college graduates).
GRADUATE_DELAY = 4.0
#: Oldest age in the life table (years).
MAX_AGE = 110.0
#: Safety is in [0, 1]; health decays faster in unsafe units: × (1.5 − safety).
SAFETY_PIVOT = 1.5

#: Columns a newcomer takes over from the row's previous person: the type, and what
#: belongs to the household rather than the person (residency, village, class label;
#: for peasants also the land and the cooperative).
KEEP = ("kind", "residency", "village", "class_label")
HOUSEHOLD = ("land", "coop", "tax_burden")


def gompertz_hazard(age: np.ndarray, mu60: float, slope: float) -> np.ndarray:
    """Annual death hazard at ``age`` (Gompertz): ``mu60 · exp(slope · (age − 60))``."""
    return mu60 * np.exp(slope * (np.asarray(age, dtype=np.float64) - 60.0))


def death_probability(age: np.ndarray, mu60: float, slope: float) -> np.ndarray:
    """Chance of dying within one month at ``age``."""
    return 1.0 - np.exp(-gompertz_hazard(age, mu60, slope) / 12.0)


def dies(u: np.ndarray, age: np.ndarray, mu60: float, slope: float) -> np.ndarray:
    """``u < death_probability(age, mu60, slope)`` for uniform draws ``u``, the same mask.

    The chance rises with age (``mu60``, ``slope`` ≥ 0), so no one whose draw exceeds the
    oldest person's chance can die: the chance is computed only for the few draws below
    it (with a margin of 10^-6 of it, far above the rounding of ``exp``).
    """
    if age.size == 0:
        return np.zeros(u.size, dtype=bool)
    top = float(death_probability(age.max(), mu60, slope))
    cand = np.flatnonzero(u < top * (1.0 + 1e-6))
    die = np.zeros(u.size, dtype=bool)
    die[cand] = u[cand] < death_probability(age[cand], mu60, slope)
    return die


def survival(age: np.ndarray, entry: float, mu60: float, slope: float) -> np.ndarray:
    """Share of an entry cohort (at age ``entry``) still alive at ``age`` (Gompertz)."""
    a = np.asarray(age, dtype=np.float64)
    if slope == 0:
        return np.exp(-mu60 * (a - entry))
    k = mu60 / slope
    return np.exp(-k * (np.exp(slope * (a - 60.0)) - np.exp(slope * (entry - 60.0))))


def life_years(lo: float, hi: float, entry: float, mu60: float, slope: float) -> float:
    """Person-years lived between ``lo`` and ``hi`` per entrant (stationary population)."""
    if hi <= lo:
        return 0.0
    grid = np.linspace(lo, hi, 2001)
    return float(np.trapezoid(survival(grid, entry, mu60, slope), grid))


def retirees_per_worker(entry: float, retirement: float, mu60: float, slope: float) -> float:
    """Retired per working-age person in a stationary population with this life table."""
    working = life_years(entry, retirement, entry, mu60, slope)
    return life_years(retirement, MAX_AGE, entry, mu60, slope) / max(working, 1e-12)


def stationary_ages(
    rng: np.random.Generator,
    n: int,
    lo: float,
    hi: float,
    entry: float,
    mu60: float,
    slope: float,
) -> np.ndarray:
    """``n`` ages in [lo, hi) from a stationary population's age density (∝ survival)."""
    if n == 0:
        return np.zeros(0)
    grid = np.linspace(lo, hi, 1001)
    dens = survival(grid, entry, mu60, slope)
    cdf = np.concatenate(([0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(grid))))
    return np.interp(rng.random(n) * cdf[-1], cdf, grid)


def migrant_departures(
    health: np.ndarray,
    age: np.ndarray,
    draw: np.ndarray,
    exit_health: float,
    exhaustion_exit: float,
    return_rate: float,
    max_age: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Who of the migrants on the job leaves this month: (for good, for a spell).

    For good: worn out (health below ``exit_health``) with chance ``exhaustion_exit``, or
    too old for city work; for a spell: the others with chance ``return_rate``. One
    uniform ``draw`` per person decides both, so the two are exclusive.
    """
    worn = health < exit_health
    old = age >= max_age
    for_good = old | (worn & (draw < exhaustion_exit))
    spell = ~for_good & (draw >= 1.0 - return_rate)
    return for_good, spell


def hiring_quota(vacancies: np.ndarray, rate: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hires per unit this month: each vacancy is filled with chance ``rate``."""
    return rng.binomial(np.maximum(vacancies, 0).astype(np.int64), np.clip(rate, 0.0, 1.0))


def unit_hiring_rate(
    base: float,
    state: np.ndarray,
    restructured: np.ndarray,
    freeze: float,
    restructured_factor: float,
) -> np.ndarray:
    """Monthly fill rate per unit: frozen in state units, lean in restructured ones."""
    rate = np.full(state.size, base, dtype=np.float64)
    rate = np.where(state, rate * (1.0 - freeze), rate)
    return np.where(restructured, rate * restructured_factor, rate)


def match(
    slot_units: np.ndarray, candidates: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fill slots (one entry per post: its unit) with candidates in random order.

    Returns (hired rows, their units, the units of slots left unfilled, candidates left).
    """
    slots = rng.permutation(slot_units)
    order = candidates[rng.permutation(candidates.size)]
    k = min(slots.size, order.size)
    return order[:k], slots[:k], slots[k:], order[k:]


def migrant_home_share(
    decay: float, exit_health: float, exhaustion_exit: float, return_rate: float, comeback: float
) -> float:
    """Share of migrants at home in a steady state of these rates (initialization).

    A spell on the job ends by a return home (monthly chance ``return_rate``) or, once
    worn out after (1 − exit_health)/decay months, by exhaustion; a spell at home lasts
    1/``comeback`` months. The share at home is the home spell's share of the cycle.
    """
    if comeback <= 0:
        return 0.5
    months = int(np.ceil((1.0 - exit_health) / decay)) if decay > 0 else 10**6
    months = min(months, 10**6)
    r = return_rate
    stay = 1.0 - r
    fresh = (1.0 - stay**months) / r if r > 0 else float(months)
    worn_out = stay**months / (1.0 - stay * (1.0 - exhaustion_exit)) if exhaustion_exit > 0 else 0.0
    city = fresh + worn_out
    home = 1.0 / comeback
    return float(np.clip(home / (city + home), 0.0, 0.5))


def starting_wage(kind: np.ndarray, skill: np.ndarray, prm) -> np.ndarray:
    """Monthly wage of a new hire: workers by skill, technicians a premium, migrants less."""
    return np.select(
        [kind == Kind.TECHNICIAN, kind == Kind.MIGRANT, kind == Kind.CADRE],
        [prm.wage * 1.3, prm.migrant_wage, prm.cadre_wage],
        prm.wage * (0.8 + 0.4 * skill),
    ).astype(np.float32)


def draw_person(p, rows: np.ndarray | slice, kind: Kind, prm, rng: np.random.Generator) -> None:
    """Draw the personal traits of people of one ``kind`` whose ``age`` is set.

    Used for the initial population and for every newcomer: fixed hardship H0 ~ U(0, 1),
    risk aversion R ~ U(0, 1), a threshold T + ``threshold_sd``·N(0, 1) (clipped at 0),
    skill (technicians U(0.5, 1), others U(0, 1)), party membership (technicians 25 %,
    workers 10 %) and activism (workers: rising with age, seed 003 B1, line 29; migrants
    and peasants Beta(1, 8)) and, for migrants, frailty ~ lognormal with mean 1 and log sd
    ``migrant_frailty_sd``.
    """
    n = len(p.age[rows])
    if n == 0:
        return
    p.hardship_base[rows] = rng.random(n)
    p.risk_aversion[rows] = rng.random(n)
    p.threshold[rows] = np.clip(prm.threshold + prm.threshold_sd * rng.standard_normal(n), 0, None)
    if kind == Kind.TECHNICIAN:
        p.skill[rows] = rng.uniform(0.5, 1.0, size=n)
        p.party[rows] = rng.random(n) < 0.25
    else:
        p.skill[rows] = rng.random(n)
    if kind == Kind.WORKER:
        p.party[rows] = rng.random(n) < 0.1
        age = p.age[rows].astype(np.float64)
        p.activism[rows] = np.clip(rng.beta(1.2, 6.0, size=n) + 0.004 * (age - 18), 0, 1)
    elif kind in (Kind.MIGRANT, Kind.PEASANT):
        p.activism[rows] = rng.beta(1.0, 8.0, size=n)
    if kind == Kind.MIGRANT:
        # Some bodies give out sooner: three years is "frequently", not always, enough
        # (seed 003 line 43). Lognormal with mean 1.
        sd = prm.migrant_frailty_sd
        p.frailty[rows] = rng.lognormal(-0.5 * sd * sd, sd, size=n)


# --- the month ----------------------------------------------------------------------
def update(model) -> None:
    """Cadre turnover, deaths and successors, migrants' departures, then hiring."""
    cadre_turnover(model)
    deaths(model)
    migrants(model)
    hire(model)


def renew(model, rows: np.ndarray, kind: Kind, ages: np.ndarray) -> None:
    """Reset ``rows`` for newcomers of ``kind`` aged ``ages`` (row recycling).

    Every column returns to its neutral value except what the household passes on
    (``KEEP``, and ``HOUSEHOLD`` for peasants); then the newcomer's own traits are drawn
    as at initialization (:func:`draw_person`).
    """
    if rows.size == 0:
        return
    p = model.people
    # Regimes keep per-row state of their own (labels of a campaign, a grassroots
    # cadre's solved problems ...); they read this mask next month to clear a newcomer's.
    model.renewed[rows] = True
    keep = KEEP + (HOUSEHOLD if kind == Kind.PEASANT else ())
    for name, (_dtype, neutral) in PEOPLE_COLUMNS.items():
        if name not in keep:
            p.arrays[name][rows] = neutral
    p.age[rows] = ages
    draw_person(p, rows, kind, model.params, model.rng)


def deaths(model) -> None:
    """Workers, technicians and peasant household heads die (Gompertz); rows pass on."""
    p, prm, rng, t = model.people, model.params, model.rng, model.tally
    total = 0
    for kind in (Kind.TECHNICIAN, Kind.WORKER, Kind.PEASANT):
        s = p.rows(kind)
        if s.stop == s.start:
            continue
        die = dies(rng.random(s.stop - s.start), p.age[s], prm.mortality_60, prm.mortality_slope)
        rows = np.flatnonzero(die) + s.start
        total += rows.size
        if kind == Kind.PEASANT:
            # The household passes to the next generation: a successor in mid-life.
            ages = rng.uniform(25.0, 40.0, size=rows.size)
        else:
            entry = prm.entry_age + (GRADUATE_DELAY if kind == Kind.TECHNICIAN else 0.0)
            ages = rng.uniform(entry - ENTRY_SPREAD, entry + ENTRY_SPREAD, size=rows.size)
        renew(model, rows, kind, ages)
        if kind != Kind.PEASANT:
            # A school-leaver waits in the city (no unit, no village) to be hired.
            p.status[rows] = Status.NONE
            p.unit[rows] = -1
    t["natural_deaths"] = total


def deplete_health(health: np.ndarray, on_job: np.ndarray, decay: np.ndarray | float) -> np.ndarray:
    """Health after a month: ``decay`` lost on the job (seed 003 line 43), floored at 0."""
    return np.where(on_job, np.maximum(health - decay, 0.0), health).astype(np.float32)


def migrants(model) -> None:
    """Migrants' health wears down on the job; they leave one by one, for good or a spell."""
    p, u, prm, rng, t = model.people, model.units, model.params, model.rng, model.tally
    s = p.rows(Kind.MIGRANT)
    if s.stop == s.start:
        return
    status, unit = p.status[s], p.unit[s]
    on_job = (status == Status.EMPLOYED) & (unit >= 0)
    safety = u.safety[np.maximum(unit, 0)].astype(np.float64)
    decay = prm.migrant_health_decay * p.frailty[s] * (SAFETY_PIVOT - safety)
    p.health[s] = deplete_health(p.health[s], on_job, decay)
    for_good, spell = migrant_departures(
        p.health[s],
        p.age[s],
        rng.random(s.stop - s.start),
        prm.migrant_exit_health,
        prm.migrant_exhaustion_exit,
        prm.migrant_return_rate,
        prm.migrant_max_age,
    )
    for_good &= on_job
    spell &= on_job
    # Returnees who have grown too old at home stay there too.
    at_home = (status == Status.NONE) & (unit < 0) & (p.age[s] >= prm.migrant_max_age)
    home = np.flatnonzero(spell) + s.start
    p.status[home] = Status.NONE
    p.unit[home] = -1
    # Home to the household's plot, if it still has one: ``land`` stays what it was
    # (``migrant_home_land``, or 0 for a household displaced from the land, line 40).
    t["migrants_exhausted"] = int(np.count_nonzero(for_good & (p.age[s] < prm.migrant_max_age)))
    t["migrant_departures"] = int(np.count_nonzero(for_good) + home.size)
    t["migrants_home"] = int(home.size)
    gone = np.flatnonzero(for_good | at_home) + s.start
    lo = prm.migrant_entry_age - MIGRANT_ENTRY_SPREAD
    hi = prm.migrant_entry_age + MIGRANT_ENTRY_SPREAD
    renew(model, gone, Kind.MIGRANT, rng.uniform(lo, hi, size=gone.size))
    # The young villager starts at home, farming the household plot until hired, with
    # the village's rural registration (a predecessor's urban hukou is not inherited).
    p.residency[gone] = Residency.RURAL
    p.status[gone] = Status.NONE
    p.unit[gone] = -1
    p.land[gone] = prm.migrant_home_land


def swap_people(arrays: dict[str, np.ndarray], a: np.ndarray, b: np.ndarray, keep) -> None:
    """Trade the people in rows ``a`` and ``b`` pairwise: every column but ``keep``
    (what belongs to the row — its type, registration, village, household) is exchanged."""
    for name, arr in arrays.items():
        if name in keep:
            continue
        tmp = arr[a].copy()
        arr[a] = arr[b]
        arr[b] = tmp


def displace_to_city(model, peasants: np.ndarray) -> int:
    """Peasant household heads in rows ``peasants`` (in priority order) leave the land
    for the city (seed 003 line 40); returns how many found a place in the stream.

    Each trades places with a migrant at home (not jailed, with a plot, young enough for
    city work) of the same village; a village with no one at home keeps its peasant this
    month. The displaced person arrives landless (land 0), with a migrant's frailty, and
    waits for a job; the returnee farms the household's plot. Both rows are ``renewed``
    so regimes clear their per-row state.
    """
    p, prm, rng = model.people, model.params, model.rng
    ms = p.rows(Kind.MIGRANT)
    if peasants.size == 0 or ms.stop == ms.start:
        return 0
    home = (
        (p.status[ms] == Status.NONE)
        & (p.unit[ms] < 0)
        & (p.land[ms] > 0)
        & (p.jail[ms] == 0)
        & (p.age[ms] < prm.migrant_max_age)
    )
    home = np.flatnonzero(home) + ms.start
    home = home[rng.permutation(home.size)]
    s, c = pair_by_group(
        np.maximum(p.village[peasants], 0).astype(np.int64),
        np.maximum(p.village[home], 0).astype(np.int64),
    )
    a, b = peasants[s], home[c]
    if a.size == 0:
        return 0
    swap_people(p.arrays, a, b, KEEP + HOUSEHOLD)
    model.renewed[a] = True
    model.renewed[b] = True
    # The displaced: no plot at home, a migrant's body (line 43), no job yet.
    p.land[b] = 0.0
    sd = prm.migrant_frailty_sd
    p.frailty[b] = rng.lognormal(-0.5 * sd * sd, sd, size=b.size)
    p.health[b] = 1.0
    p.status[b] = Status.NONE
    p.unit[b] = -1
    p.tenure[b] = 0
    # The returnee farms the household plot: no wage or wage claims in the village.
    for name in ("wage", "arrears", "tenure"):
        p.arrays[name][a] = PEOPLE_COLUMNS[name][1]
    p.status[a] = Status.NONE
    p.unit[a] = -1
    return int(a.size)


def hire(model) -> None:
    """Units fill vacant posts: migrants into non-state units, school-leavers elsewhere."""
    p, u, prm, lv, rng, t = (
        model.people,
        model.units,
        model.params,
        model.levers,
        model.rng,
        model.tally,
    )
    staff = model.unit_staff()
    state = u.ownership == Ownership.STATE
    # Migrants work in non-state units; a city with none employs them anywhere (as at
    # initialization), so there every unit takes migrants as a non-state one would.
    takes_migrants = ~state if np.any(~state) else np.ones(u.n, dtype=bool)
    rate = unit_hiring_rate(
        prm.hiring_rate, state, u.restructured >= 0, lv.hiring_freeze, prm.restructured_hiring
    )
    quota = hiring_quota(u.staff0 - staff, rate, rng)
    t["hires"] = 0
    s = p.rows(Kind.MIGRANT)
    # Technicians and workers (adjacent blocks of rows) and migrants wait for posts.
    urban_rows = slice(p.rows(Kind.TECHNICIAN).start, p.rows(Kind.WORKER).stop)
    # A migrant at home with no plot (displaced from the land, line 40) looks at
    # ``landless_search`` a month; the others come out again at the usual willingness.
    seek = np.where(p.land[s] > 0, prm.migrant_remigration * lv.migrant_supply, prm.landless_search)
    can_seek = (p.status[s] == Status.NONE) & (p.unit[s] < 0) & (p.age[s] < prm.migrant_max_age)
    on_job = (p.status[s] == Status.EMPLOYED) & (p.unit[s] >= 0)
    # Migrant labour supply: migrants on the job plus the expected number looking.
    t["migrant_labour_supply"] = float(np.count_nonzero(on_job) + seek[can_seek].sum())
    if not quota.any():
        return
    mig_quota = np.where(takes_migrants, rng.binomial(quota, prm.migrant_hiring_share), 0)
    units = np.arange(u.n)
    looking = can_seek & (rng.random(s.stop - s.start) < seek)
    urban = (p.status[urban_rows] == Status.NONE) & (p.unit[urban_rows] < 0)
    # School-leavers take the state posts first (urban registration, line 37); migrants
    # the non-state units' share for them (line 95); school-leavers still waiting take
    # the rest and any post no migrant came for; migrants still looking take non-state
    # posts no one else filled.
    first = ~takes_migrants
    young, young_units, _, youth = match(
        np.repeat(units[first], quota[first]), np.flatnonzero(urban) + urban_rows.start, rng
    )
    mig, mig_units, unfilled, rest = match(
        np.repeat(units, mig_quota), np.flatnonzero(looking) + s.start, rng
    )
    slots = np.concatenate((np.repeat(units[~first], (quota - mig_quota)[~first]), unfilled))
    young2, young_units2, unfilled, _ = match(slots, youth, rng)
    mig2, mig_units2, _, _ = match(unfilled, rest, rng)
    young = np.concatenate((young, young2))
    young_units = np.concatenate((young_units, young_units2))
    mig = np.concatenate((mig, mig2))
    mig_units = np.concatenate((mig_units, mig_units2))
    rows = np.concatenate((mig, young))
    p.unit[rows] = np.concatenate((mig_units, young_units))
    p.status[rows] = Status.EMPLOYED
    p.tenure[rows] = 0
    p.wage[rows] = starting_wage(p.kind[rows], p.skill[rows], prm)
    t["hires"] = int(rows.size)


# --- cadres: turnover and recruitment -------------------------------------------------
#: Personal columns a recruit brings into the cadre row (the rest are the post's, or
#: cadre-only and set afresh).
POST_COLUMNS = ("kind", "unit", "village", "patron", "security", "labour_share")
CADRE_ONLY = ("rank", "loyalty", "corruption", "native", "new_cadre")


def recruitment_score(
    label: np.ndarray,
    party: np.ndarray,
    skill: np.ndarray,
    activism: np.ndarray,
    aligned: np.ndarray,
    criteria: float,
    w_class: float,
    w_party: float,
    w_skill: float,
    w_activism: float,
) -> np.ndarray:
    """A candidate's claim to a cadre post: the normal criteria (good class, party,
    skill), and faction activism by the weight a campaign's criteria give it."""
    return (
        w_class * (label == 0)
        + w_party * party
        + w_skill * skill
        + criteria * w_activism * activism * aligned
    )


def pair_by_group(slot_group: np.ndarray, cand_group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Match slots to candidates of the same group, in the given orders.

    Returns indices ``(slots, cands)`` of equal length: within each group the first
    ``min(#slots, #cands)`` of each, paired in order.
    """
    if slot_group.size == 0 or cand_group.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    n = int(max(slot_group.max(), cand_group.max())) + 1

    def ranked(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(g, kind="stable")
        sg = g[order]
        return order, np.arange(g.size) - np.searchsorted(sg, sg, side="left")

    s_order, s_rank = ranked(slot_group)
    c_order, c_rank = ranked(cand_group)
    take = np.minimum(np.bincount(slot_group, minlength=n), np.bincount(cand_group, minlength=n))
    s_keep = s_order[s_rank < take[slot_group[s_order]]]
    c_keep = c_order[c_rank < take[cand_group[c_order]]]
    # Both are sorted by group with equal counts per group, so position i pairs them.
    return s_keep, c_keep


def move_into_cadre(model, src: np.ndarray, dst: np.ndarray, new_cadre: bool = False) -> None:
    """Move the people in rows ``src`` into the cadre rows ``dst``; renew ``src``.

    The cadre row takes the recruit's personal traits (age, labels, file, grievance,
    faction, activism, skill ...); the post keeps its unit, cadre network, patron slot
    and security share. A recruit starts at rank 0, a party member ("recruit ... into the
    party and then promote them", seed 002 3809-3813), fairly loyal, with a patron of
    higher rank in the unit; ``new_cadre`` marks a recruit of a campaign's activist
    criteria.
    """
    if src.size == 0:
        return
    p, prm, rng = model.people, model.params, model.rng
    for name in PEOPLE_COLUMNS:
        if name not in POST_COLUMNS and name not in CADRE_ONLY:
            p.arrays[name][dst] = p.arrays[name][src]
    p.unit[dst] = p.unit[src]
    p.rank[dst] = 0
    p.party[dst] = True
    p.loyalty[dst] = rng.uniform(0.6, 0.9, size=dst.size)
    p.corruption[dst] = rng.beta(1.0, 6.0, size=dst.size)
    p.native[dst] = rng.random(dst.size) < prm.native_cadre_share
    p.new_cadre[dst] = new_cadre
    p.status[dst] = Status.EMPLOYED
    p.wage[dst] = prm.cadre_wage
    p.tenure[dst] = 0
    c = p.rows(Kind.CADRE)
    seniors = np.flatnonzero((p.rank[c] > 0) & (p.status[c] == Status.EMPLOYED)) + c.start
    from sim.grouping import random_member

    patron = random_member(
        p.unit[dst], seniors, p.unit[seniors], model.units.n, rng.random(dst.size)
    )
    p.patron[dst] = patron
    model.renewed[dst] = True
    # The recruit's place in the workforce passes to a school-leaver waiting to be hired.
    for kind in (Kind.TECHNICIAN, Kind.WORKER):
        rows = src[p.kind[src] == kind]
        entry = prm.entry_age + (GRADUATE_DELAY if kind == Kind.TECHNICIAN else 0.0)
        renew(model, rows, kind, rng.uniform(entry - ENTRY_SPREAD, entry + ENTRY_SPREAD, rows.size))
        p.status[rows] = Status.NONE
        p.unit[rows] = -1


def recruit_cadres(model, rows: np.ndarray) -> int:
    """Fill the vacant cadre ``rows`` with recruits from the posts' units; returns the count."""
    p, prm, lv, rng = model.people, model.params, model.levers, model.rng
    if rows.size == 0:
        return 0
    slot_unit = np.where(p.unit[rows] >= 0, p.unit[rows], rng.integers(0, model.units.n, rows.size))
    hiring = np.zeros(model.units.n + 1, dtype=bool)
    hiring[slot_unit] = True
    # Only the units with a vacant post need their candidates scored: workers and
    # technicians (adjacent blocks of rows).
    b = slice(p.rows(Kind.TECHNICIAN).start, p.rows(Kind.WORKER).stop)
    unit, age = p.unit[b], p.age[b]
    pool = (
        np.take(hiring, unit)
        & (p.status[b] == Status.EMPLOYED)
        & (unit >= 0)
        & (p.jail[b] == 0)
        & (age >= 22.0)
        & (age < prm.retirement_age - 10.0)
    )
    cand = np.flatnonzero(pool) + b.start
    criteria = lv.activist_criteria * model.mechanisms.gain("activist_recruitment")
    score = recruitment_score(
        p.class_label[cand],
        p.party[cand],
        p.skill[cand].astype(np.float64),
        p.activism[cand].astype(np.float64),
        p.faction[cand] >= 0,
        criteria,
        prm.recruit_class,
        prm.recruit_party,
        prm.recruit_skill,
        prm.recruit_activism,
    )
    # Rules that weigh on careers (the composed ``merit``, e.g. a campaign's class purity)
    # weigh on recruitment too. Gumbel noise: a logit choice given the score.
    score = score + model.terms.total("merit")[cand] + rng.gumbel(size=cand.size)
    cand = cand[np.argsort(-score, kind="stable")]
    s, c = pair_by_group(slot_unit, p.unit[cand])
    # Recruits chosen under activist criteria are the period's "new cadres" (3675-3678).
    move_into_cadre(model, cand[c], rows[s], new_cadre=criteria > 0)
    return int(s.size)


def cadre_turnover(model) -> None:
    """Cadres die (Gompertz) and retire; vacant posts are filled by recruits.

    A post is vacant when its holder died or retired this month, or was killed (status
    none); a post the unit has no candidate for stays vacant until one is found.
    """
    p, prm, rng, t = model.people, model.params, model.rng, model.tally
    s = p.rows(Kind.CADRE)
    n = s.stop - s.start
    if n == 0 or model.units.n == 0:
        return
    die = rng.random(n) < death_probability(p.age[s], prm.mortality_60, prm.mortality_slope)
    retire = p.age[s] >= prm.retirement_age
    # A vacant post (status none: its holder was killed) is refilled; a cadre let go by
    # a new owner (unemployed, privatization B7) keeps the row, out of post.
    held = p.status[s] == Status.EMPLOYED
    vacant = p.status[s] == Status.NONE
    rows = np.flatnonzero(((die | retire) & held) | vacant) + s.start
    t["cadre_deaths"] = int(np.count_nonzero(die & held))
    t["cadre_turnover"] = int(np.count_nonzero((die | retire) & held))
    p.status[rows] = Status.NONE
    p.rank[rows] = 0
    p.faction[rows] = -1
    t["cadre_recruits"] = recruit_cadres(model, rows)


def violent_deaths(model, rows: np.ndarray) -> None:
    """People killed (factional fighting, persecution) leave the model.

    A worker's or technician's row passes to a school-leaver waiting to be hired, as
    after a natural death; a cadre's post falls vacant and is filled next month.
    """
    p, prm, rng = model.people, model.params, model.rng
    for kind in (Kind.TECHNICIAN, Kind.WORKER):
        r = rows[p.kind[rows] == kind]
        entry = prm.entry_age + (GRADUATE_DELAY if kind == Kind.TECHNICIAN else 0.0)
        renew(model, r, kind, rng.uniform(entry - ENTRY_SPREAD, entry + ENTRY_SPREAD, r.size))
        p.status[r] = Status.NONE
        p.unit[r] = -1
    cad = rows[p.kind[rows] == Kind.CADRE]
    p.status[cad] = Status.NONE
    p.rank[cad] = 0
    p.faction[cad] = -1
