"""Where people live: the work unit while they work there, later a residential community.

Under the danwei system almost everyone lived in their unit, which "generally existed
within strict geographic confines and provided amenities for nearly every aspect of
their members' lives" (seed 001 ``001_7ea81781fc66c4d7.txt:22``); since the reforms work
units "have lost their social functions. Work-unit people are free to choose where they
live" (``:26``), and the city governs them through residents' committees in their
residential communities (``:18-20``). A laid-off worker loses the unit's housing in time:
"the loss of his housing and the divorce that followed his own dismissal"; SOE housing
torn down "to make way for stores" (seed 003 ``003_34c2b211615d9395.txt:19``).

So each person has a ``residence`` locality (a column of ``sim.state``) besides the ``locality`` where they are
counted (claims, protest events, benefit claims and the state's response stay with the
unit, where people worked):

* staff on the job (cadres, technicians, workers) and migrants on the job live in their
  unit (migrants in its dormitories);
* peasants and migrants at home live in their village;
* school-leavers waiting for a post live in the city's residential community (the
  city-at-large locality);
* the laid-off and the retired live in their unit for ``community_delay`` months after
  leaving work, then in the residential community. The months out of work come from
  the state columns: since ``laid_off`` (the recorded month of the layoff) for the
  laid-off, since reaching ``retirement_age`` for those who retired on age (their age
  past it). How long the unit's housing is kept is an assumption (the text says only
  that it is lost).

The residential communities are the existing city-at-large locality (no new localities,
so no outcome depends on how many there are). Programmes that work where people live
(``danwei_reactivation``, ``grassroots``) read the ``residence`` column and add what they earn
to the per-locality term ``residence_legitimacy`` by residence;
``sim.submodels.legitimacy.update_local`` carries it to the localities where people are
counted (the people-weighted mean over each locality's members of the value where they
live), so a unit's laid-off who live in a community that was served bring its gain home.
"""

from __future__ import annotations

import numpy as np

from sim.state import Kind, Status

#: Statuses of people who have left work but keep a tie to their former unit (these are
#: the statuses from XIAGANG up, which ``moved_out`` relies on).
OUT_OF_WORK = (Status.XIAGANG, Status.UNEMPLOYED, Status.RETIRED)
assert min(OUT_OF_WORK) == Status.XIAGANG and max(OUT_OF_WORK) == max(Status)


def months_out_of_work(
    laid_off: np.ndarray, age: np.ndarray, step: int, retirement_age: float
) -> np.ndarray:
    """Months since a person left work: since the layoff month if laid off, else the
    months of age past ``retirement_age`` (0 for anyone younger)."""
    since_layoff = np.maximum(step - laid_off.astype(np.int64), 0)
    since_retirement = np.maximum(12.0 * (age.astype(np.float64) - retirement_age), 0.0)
    return np.where(laid_off >= 0, since_layoff, since_retirement)


def moved_out(p, step: int, retirement_age: float, delay: float) -> np.ndarray:
    """Rows of staff (cadres, technicians, workers) out of work, still tied to a unit,
    for ``delay`` months or more: they live in the residential community. Only the staff
    block is scanned (migrants and peasants never live in a unit's housing out of work)."""
    staff = slice(p.rows(Kind.CADRE).start, p.rows(Kind.WORKER).stop)
    off = (p.status[staff] >= Status.XIAGANG) & (p.unit[staff] >= 0)
    rows = np.flatnonzero(off) + staff.start
    out = months_out_of_work(p.laid_off[rows], p.age[rows], step, retirement_age)
    return rows[out >= delay]


def residence_of(
    unit: np.ndarray, village: np.ndarray, moved: np.ndarray, n_units: int, n_villages: int
) -> np.ndarray:
    """Each person's residence locality: their unit, else their village, else the city's
    residential community (``n_units + n_villages``); the rows ``moved`` (out of work
    long enough, :func:`moved_out`) live in the community too."""
    city = n_units + n_villages
    res = np.where(unit >= 0, unit, np.where(village >= 0, n_units + village, city))
    res[moved] = city
    return res


def counted_mean(
    by_residence: np.ndarray, residence: np.ndarray, locality: np.ndarray, loc_size: np.ndarray
) -> np.ndarray:
    """Per counting locality: the mean over its members of ``by_residence`` at the place
    each of them lives (0 where a locality has no members)."""
    n_loc = loc_size.size
    tot = np.bincount(locality, weights=by_residence[residence], minlength=n_loc)
    return tot / np.maximum(loc_size, 1.0)


def current(model) -> np.ndarray:
    """The residence column as regimes see it during the month: a row renewed since the
    last update (a newcomer from a regime's recruitment or displacement, reset to −1) is
    taken to live where it is counted until the next update."""
    res = model.people.residence
    return np.where(res >= 0, res, model.locality) if (res < 0).any() else res


def update(model) -> None:
    """Recompute the ``residence`` column after this month's layoffs, retirements and hires."""
    p, prm = model.people, model.params
    moved = moved_out(p, model.step_index, prm.retirement_age, prm.community_delay)
    p.residence = residence_of(p.unit, p.village, moved, model.units.n, model.villages.n)
