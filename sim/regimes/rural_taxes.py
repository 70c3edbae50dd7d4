"""Rural taxes and fees, land seizure, violent village protest and central relief.

Seed 003 R7–R8 and rules A9, D9, D10 (``003_34c2b211615d9395.txt``):

- Taxes and fees (R8, line 60): local officials levy "exorbitant taxes and fees"; each
  village's rate scatters around ``tax_rate`` ("rampant corruption at the local level",
  line 60).
- The price scissors (line 58): the gap between the value of farm products and "the
  rising cost of the inputs from urban industries" widens; "the 'scissors' of
  rural/urban price inequalities ... heavily impacted by official policies, including
  government grain purchases". The farm-gate terms of trade (``levers.grain_price``)
  fall by ``scissors`` × min(months / ``scissors_months``, 1); the relief's higher state
  grain price works against it.
  Peasants' ``tax_burden`` is what ``sim.submodels.economy`` takes from farm income.
- Land seizure (R8, lines 40, 60, 100): land is sold "for often dubious 'development'
  projects with little or no compensation". A project takes ``seizure_share`` of the
  land of ``seizure_households`` of a village's households, paying ``compensation``.
- Violent local protest (A9, lines 60, 100): "widespread demonstrations, some of them
  violent" — breaking things, blocking highways. A village event is violent when a
  large share of the village is out (turnout at least ``violence_share``) or land was taken
  there recently; violent events
  are counted (``violent_events``). Their repression is already harsher because rural
  protest is "invisible" (D9, line 100; ``sim.submodels.state_response``).
- Lethal repression, with consequences (A9, D9, line 100): each participant of a violent
  village event is killed with chance ``lethal_share``; the dead leave the household
  (their rows pass to newcomers, ``demography.renew``). The village remembers its dead —
  the killed share of its people, fading at ``memory_fade`` a month — and that memory
  adds to its people's fear (the regime's ``fear`` term, ``lethal_fear`` at a 1 % killed
  share) and lowers the village's legitimacy (its ``local_legitimacy`` term,
  ``lethal_legitimacy`` at a 1 % killed share): killing deters and delegitimizes at once.
- Central concession (D10, lines 60, 62): when the unrest of the last ``window`` months
  — the share of villages that protested, plus ``violence_weight`` × the share whose
  protest turned violent ("explosive") — exceeds ``relief_trigger`` ("boiling point"),
  and a leadership that concedes is in office (``relief_not_before``: the Hu–Wen
  leadership from March 2003; the unrest had built "by the late 1990s, and especially
  after the turn of the century"), the centre enacts the package for the rest of the
  regime, phased in over ``relief_months`` ("by late 2004 … a gradual reduction"): the
  farm tax eliminated and fees reduced, a higher state grain price, a crackdown on land
  sell-offs. The month of the decision is recorded in ``model.tally["rural_relief"]``
  (outcome ``rural_relief``) and in ``relief_step``.
- Land loss pushes peasants into the migrant stream (line 40: "no longer enough land to
  support the former farm population, especially after diversion of farmland to rural
  'development' — the very same situation that drove many into the migrant stream to
  begin with"; line 60, the burdens that made farming "increasingly difficult"): each
  month a peasant household head leaves for the city with chance ``displacement_rate``
  × min(1, lost + ``tax_push`` × burden + ``repression_push`` × killed), where *lost* is
  the share of the household's land taken since the regime began, *burden* its village's
  taxes and fees (after relief) and *killed* the village's memory of its dead on the
  lethal scale (the push of violent repression is an assumption: the text ties flight to
  land and burdens, not to killings; default 0). The person trades places with a migrant
  at home in the village (``sim.submodels.demography.displace_to_city``) and, landless,
  looks for city work at ``landless_search`` a month (outcome ``peasants_displaced``).
- Taxes and fees are the regime's own term of the composed ``tax_burden`` column
  (``sim.terms``): they stop with the regime without resetting anyone's state; land
  already lost stays lost.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from sim import kernels, kernels_regimes
from sim.calendar import Month
from sim.draws import uniform_block
from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.state import Kind
from sim.submodels import demography


class RuralTaxesParams(RegimeParams):
    type: Literal["rural_taxes"]
    tax_rate: float = Field(
        0.2, ge=0, le=1, description="mean share of farm income taken in taxes and fees (share)"
    )
    tax_spread: float = Field(
        0.4, ge=0, le=2, description="sd of log village tax rates (local variation) (log sd)"
    )
    land_seizure_rate: float = Field(
        0.01, ge=0, le=1, description="monthly chance a village loses land to a project (1/month)"
    )
    seizure_households: float = Field(
        0.3, ge=0, le=1, description="share of a village's households a project hits (share)"
    )
    seizure_share: float = Field(
        0.4, ge=0, le=1, description="share of an affected household's land taken (share)"
    )
    compensation: float = Field(
        0.1, ge=0, le=1, description="compensation as a share of the land's 5-year value (share)"
    )
    violence_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="share of villagers out at which an event turns violent (share)",
    )
    window: int = Field(
        12, ge=1, le=240, description="months over which unrest is measured (months)"
    )
    burn_in: int = Field(
        24,
        ge=0,
        le=240,
        description="first months of the scenario not counted (initial transient) (months)",
    )
    relief_trigger: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of villages protesting in the window that forces relief (share)",
    )
    relief_tax_factor: float = Field(
        0.25, ge=0, le=1, description="taxes and fees after relief, relative to before (ratio)"
    )
    relief_grain_price: float = Field(
        1.2, ge=1, le=5, description="state grain price after relief (multiplier)"
    )
    relief_land_protection: float = Field(
        0.8, ge=0, le=1, description="share of land seizures prevented after relief (share)"
    )
    violence_weight: float = Field(
        0.5,
        ge=0,
        le=10,
        description="extra weight of villages with violent events in the unrest that "
        "forces relief ('explosive', line 60) (share per share)",
    )
    relief_not_before: Month | None = Field(
        Month(2003, 3),
        description="first month the centre can concede: the Hu–Wen leadership, in office "
        "from March 2003, brought the relief 'by late 2004' (line 60); null = any time",
    )
    relief_months: int = Field(
        21,
        ge=1,
        le=240,
        description="months over which relief is phased in (2003-03 to late 2004, line 60) (months)",
    )
    scissors: float = Field(
        0.15,
        ge=0,
        le=1,
        description="share of the farm-gate terms of trade lost when the price scissors are "
        "fully open (line 58) (share)",
    )
    scissors_months: int = Field(
        96,
        ge=1,
        le=600,
        description="months over which the scissors open (the 1990s, line 58) (months)",
    )
    lethal_share: float = Field(
        0.01,
        ge=0,
        le=0.5,
        description="chance a participant of a violent village event is killed (line 100) (probability)",
    )
    lethal_fear: float = Field(
        0.3,
        ge=0,
        le=2,
        description="fear added to a village's people at a 1 % killed share (units of R)",
    )
    lethal_legitimacy: float = Field(
        0.1,
        ge=0,
        le=1,
        description="local legitimacy a village loses at a 1 % killed share (legitimacy)",
    )
    memory_fade: float = Field(
        0.05,
        ge=0.001,
        le=1,
        description="monthly fading of a village's memory of its dead (1/month)",
    )
    # Land loss and migration (helper `migration`, issue 18; line 40).
    displacement_rate: float = Field(
        0.01,
        ge=0,
        le=1,
        description="monthly chance a peasant household head leaves for the city at full "
        "push (all land lost; line 40) (prob./month)",
    )
    tax_push: float = Field(
        0.25,
        ge=0,
        le=5,
        description="push from taxes and fees: share-of-land-lost equivalent per unit of "
        "the village's tax burden (line 60) (share per share)",
    )
    repression_push: float = Field(
        0.0,
        ge=0,
        le=5,
        description="push from a village's memory of its dead, at a 1 % killed share "
        "(assumption: the text ties flight to land and burdens) (share-of-land equivalent)",
    )


def village_tax_rates(mean: float, spread: float, z: np.ndarray) -> np.ndarray:
    """Per-village rates, lognormal around ``mean`` (``z`` standard normal), in [0, 0.9]."""
    return np.clip(mean * np.exp(spread * z - spread**2 / 2), 0.0, 0.9)


def seize_land(land: np.ndarray, hit: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Land after a seizure and the land taken from each household (lines 60, 100)."""
    taken = np.where(hit, land * share, 0.0)
    return land - taken, taken


def unrest_share(history: np.ndarray, violence_weight: float = 0.0) -> float:
    """Unrest in the window (rows = months; 0 quiet, 1 protest, 2 violent protest): the
    share of villages with a protest event, plus ``violence_weight`` × the share with a
    violent one — violence makes the countryside "explosive" (line 60)."""
    if history.size == 0:
        return 0.0
    worst = history.max(axis=0)
    return float((worst >= 1).mean() + violence_weight * (worst >= 2).mean())


def relief_due(history: np.ndarray, trigger: float, violence_weight: float = 0.0) -> bool:
    """D10 (lines 60, 62): widespread rural unrest forces the centre's hand."""
    return unrest_share(history, violence_weight) > trigger


def relief_phase(months_since: int, ramp: int) -> float:
    """Share of the relief package in force ``months_since`` months after the decision:
    "a gradual reduction of other legal charges" (line 60), linear over ``ramp`` months."""
    if months_since < 0:
        return 0.0
    return float(min((months_since + 1) / max(ramp, 1), 1.0))


def scissors_factor(months: int, gap: float, ramp: int) -> float:
    """Farm-gate terms of trade ``months`` into the regime (1 = no gap, line 58)."""
    return float(1.0 - gap * min(max(months, 0) / ramp, 1.0))


def killed_index(memory: np.ndarray) -> np.ndarray:
    """A village's memory of its dead on the scale of the lethal parameters: 1 at a 1 %
    killed share, capped at 1."""
    return np.minimum(memory / 0.01, 1.0)


def displacement_chance(
    land: np.ndarray,
    land0: np.ndarray,
    burden: np.ndarray,
    killed: np.ndarray,
    tax_push: float,
    repression_push: float,
) -> np.ndarray:
    """The push off the land (0–1; line 40): the share of the household's land lost,
    plus ``tax_push`` × its tax burden and ``repression_push`` × the village's killed
    index, capped at 1."""
    lost = np.where(land0 > 0, 1.0 - land / np.maximum(land0, 1e-12), 0.0)
    push = np.clip(lost, 0.0, 1.0) + tax_push * burden + repression_push * killed
    return np.clip(push, 0.0, 1.0)


def lethal_fear_numpy(
    village: np.ndarray, locality: np.ndarray, first: int, n_v: int, idx: np.ndarray, fear: float
) -> np.ndarray:
    """The fear a village's killings leave (A9): everyone counted in a village (locality
    ``first`` to ``first + n_v``) fears ``fear`` × its killed index ``idx``; 0 elsewhere."""
    vil = np.maximum(village, 0)
    villager = (village >= 0) & (locality >= first) & (locality < first + n_v)
    return np.where(villager, fear * idx[vil], 0.0)


def displacement_numpy(
    vil: np.ndarray,
    land: np.ndarray,
    land0: np.ndarray,
    rates: np.ndarray,
    factor,
    killed: np.ndarray,
    jail: np.ndarray,
    tax_push: float,
    repression_push: float,
    rate: float,
) -> np.ndarray:
    """Per peasant (village ``vil``), the monthly chance of leaving the land (line 40):
    :func:`displacement_chance` at the village's tax rate × relief ``factor`` and killed
    index ``killed`` (per village), times ``rate``; 0 for a peasant in detention."""
    burden = rates[vil].astype(np.float64) * float(factor)
    chance = displacement_chance(land, land0, burden, killed[vil], tax_push, repression_push)
    chance *= rate * (jail == 0)
    return chance


def violent(turnout: np.ndarray, recent_seizure: np.ndarray, threshold: float) -> np.ndarray:
    """A village event is violent when much of the village is out or it just lost land (A9)."""
    return (turnout >= threshold) | recent_seizure


@register
class RuralTaxes(Regime):
    name = "rural_taxes"
    title = "Rural taxes and fees, land seizure and central relief"
    summary = (
        "Local taxes and fees and land seized with little compensation raise peasant "
        "hardship; village protest turns violent; widespread unrest brings central relief."
    )
    Params = RuralTaxesParams
    sources = (
        Source("003_34c2b211615d9395.txt", "40", "farmland diverted to development"),
        Source("003_34c2b211615d9395.txt", "58", "the price scissors of rural/urban inequality"),
        Source("003_34c2b211615d9395.txt", "60", "taxes, land sales; violent protest; relief"),
        Source("003_34c2b211615d9395.txt", "62", "after relief incomes stabilize, migrants return"),
        Source("003_34c2b211615d9395.txt", "100", "cheated on land for a road; invisible peasants"),
    )

    def on_start(self, model) -> None:
        v = model.villages
        self.rates = village_tax_rates(
            self.params.tax_rate, self.params.tax_spread, model.rng.standard_normal(v.n)
        ).astype(np.float32)
        self.history = np.zeros((0, v.n), dtype=np.int8)
        self.last_seizure = np.full(v.n, -(10**6), dtype=np.int64)
        self.relief_step = None
        self.start_step = model.step_index
        self.killed_memory = np.zeros(v.n)
        # Each household's land when the regime began: land lost is measured against it.
        self.land0 = model.people.land.copy()
        nb = self.params.relief_not_before
        self.relief_earliest = model.config.start.months_until(nb) if nb is not None else 0

    @property
    def relieved(self) -> bool:
        return self.relief_step is not None

    def relief_progress(self, step: int) -> float:
        """How far the centre's relief has been phased in by month ``step`` (0–1)."""
        if self.relief_step is None:
            return 0.0
        return relief_phase(step - self.relief_step, self.params.relief_months)

    def apply(self, model, levers) -> None:
        prm = self.params
        r = self.relief_progress(model.step_index)
        seizure = prm.land_seizure_rate * (1.0 - r * prm.relief_land_protection)
        levers.land_seizure_rate = max(levers.land_seizure_rate, seizure)
        levers.grain_price = levers.grain_price * (1.0 + r * (prm.relief_grain_price - 1.0))
        # The price scissors: input costs outrun farm prices (line 58).
        levers.grain_price *= scissors_factor(
            model.step_index - self.start_step, prm.scissors, prm.scissors_months
        )

    def _lethal(self, model, is_violent: np.ndarray, first: int) -> None:
        """Lethal repression of violent village events and the village's memory (A9, D9)."""
        prm, p, v, rng = self.params, model.people, model.villages, model.rng
        n_v = v.n
        ev = model.events
        rows = ev.rows(p.n)
        in_violent = np.zeros(p.n, dtype=bool)
        if ev.n and np.any(is_violent):
            ev_village = ev.locality - first
            ev_violent = (ev_village >= 0) & (ev_village < n_v)
            ev_violent &= is_violent[np.clip(ev_village, 0, n_v - 1)]
            in_violent = (rows >= 0) & ev_violent[np.maximum(rows, 0)]
        ps = p.rows(Kind.PEASANT)  # (peasants are a block of rows; drawn there only)
        exposed = in_violent[ps]
        u = uniform_block(rng, p.n, ps, exposed)
        killed = np.flatnonzero(exposed & (u < prm.lethal_share)) + ps.start
        vil_size = np.maximum(model.loc_size[first : first + n_v], 1.0)
        dead_v = np.bincount(model.locality[killed] - first, minlength=n_v)[:n_v]
        self.killed_memory = self.killed_memory * (1.0 - prm.memory_fade) + dead_v / vil_size
        model.tally["rural_killed"] = int(killed.size)
        if killed.size:
            # The dead leave the household: a younger member takes the row.
            demography.renew(model, killed, Kind.PEASANT, rng.uniform(18, 40, killed.size))
        idx = killed_index(self.killed_memory)
        if not idx.any():
            return  # no village remembers a killing: no terms this month
        loc = np.zeros(model.n_localities)
        loc[first : first + n_v] = -prm.lethal_legitimacy * idx
        model.terms.add("local_legitimacy", self.key, loc)
        # (one pass over everyone, compiled from 20,000 rows: sim/kernels_regimes.py)
        fear_of = kernels_regimes.lethal_fear_term if kernels.wanted(p.n) else lethal_fear_numpy
        model.terms.add(
            "fear", self.key, fear_of(p.village, model.locality, first, n_v, idx, prm.lethal_fear)
        )

    def on_step(self, model) -> None:
        prm, p, v, rng, t = self.params, model.people, model.villages, model.rng, model.tally
        n_v = v.n
        if n_v == 0:
            return
        ps = p.rows(Kind.PEASANT)  # (peasants are a block of rows: read there only)
        vil = np.maximum(p.village[ps], 0)
        # Last month's village events: unrest history and violence (A9, D10).
        ev = model.events
        first = model.units.n
        rural = (ev.locality >= first) & (ev.locality < first + n_v)
        protested = np.zeros(n_v, dtype=bool)
        protested[ev.locality[rural] - first] = True
        # Turnout: agents in all the village's events over its agents (a share).
        in_events = ev.agents_by_locality(model.n_localities)[first : first + n_v]
        turnout = in_events / np.maximum(model.loc_size[first : first + n_v], 1)
        recent = model.step_index - self.last_seizure <= 3
        is_violent = protested & violent(turnout, recent, prm.violence_share)
        if model.step_index >= prm.burn_in:
            month = protested.astype(np.int8) + is_violent.astype(np.int8)
            self.history = np.vstack([self.history, month[None, :]])[-prm.window :]
        t["rural_unrest"] = unrest_share(self.history, prm.violence_weight)
        t["violent_events"] = int(np.count_nonzero(is_violent))
        self._lethal(model, is_violent, first)
        # Central relief once unrest is explosive (D10) — but only from the month a
        # leadership that concedes is in office (Hu–Wen, line 60); phased in, it lasts
        # for the rest of the regime.
        if (
            not self.relieved
            and model.step_index >= self.relief_earliest
            and relief_due(self.history, prm.relief_trigger, prm.violence_weight)
        ):
            self.relief_step = model.step_index
            t["rural_relief"] = 1
        r = self.relief_progress(model.step_index)
        factor = np.float32(1.0 - r * (1.0 - prm.relief_tax_factor))
        # Taxes and fees are the regime's own term of the composed ``tax_burden``.
        # (peasants are a block of rows: their rates are gathered there, 0 elsewhere)
        rate = self.rates[vil] * factor
        model.terms.add("tax_burden", self.key, rate, rows=ps)

        # Land seizure for "development" with little compensation (lines 60, 100).
        projects = rng.random(n_v) < model.levers.land_seizure_rate
        if np.any(projects):
            self.last_seizure[projects] = model.step_index
            # (on the peasants' block of rows, where ``peasant`` holds; the draw is the
            # full population's, generated there only: sim/draws.py)
            affected = projects[vil]
            u = uniform_block(rng, p.n, ps, affected)
            hit = affected & (u < prm.seizure_households)
            land_b = p.land[ps]  # a view: written in place
            land, taken = seize_land(land_b, hit, prm.seizure_share)
            land_b[...] = land
            value = taken * model.params.farm_income * 60.0 * prm.compensation
            p.relief[ps] += value.astype(np.float32)
            whole = np.zeros(p.n, dtype=taken.dtype)  # (summed over everyone, as before)
            whole[ps] = taken
            t["land_seized"] = float(whole.sum())
        self._displace(model, factor)

    def _displace(self, model, factor) -> None:
        """Peasants pushed off the land into the migrant stream (line 40)."""
        prm, p, rng = self.params, model.people, model.rng
        ps = p.rows(Kind.PEASANT)
        if prm.displacement_rate <= 0 or ps.stop == ps.start:
            model.tally["peasants_displaced"] = 0
            return
        # The push off the land (displacement_chance); a peasant in detention cannot leave.
        # (one pass over the peasants, compiled from 20,000 rows: sim/kernels_regimes.py)
        chance_of = kernels_regimes.displacement if kernels.wanted(p.n) else displacement_numpy
        chance = chance_of(
            np.maximum(p.village[ps], 0),
            p.land[ps],
            self.land0[ps],
            self.rates,
            factor,
            killed_index(self.killed_memory),
            p.jail[ps],
            prm.tax_push,
            prm.repression_push,
            prm.displacement_rate,
        )
        leaving = np.flatnonzero(rng.random(ps.stop - ps.start) < chance) + ps.start
        model.tally["peasants_displaced"] = demography.displace_to_city(model, leaving)
