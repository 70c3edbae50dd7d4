"""Rural taxes and fees, land seizure, violent village protest and central relief.

Seed 003 R7–R8 and rules A9, D9, D10 (``003_34c2b211615d9395.txt``):

- Taxes and fees (R8, line 60): local officials levy "exorbitant taxes and fees"; each
  village's rate scatters around ``tax_rate`` (local corruption varies, lines 58, 60).
  Peasants' ``tax_burden`` is what ``sim.submodels.economy`` takes from farm income.
- Land seizure (R8, lines 40, 60, 100): land is sold "for often dubious 'development'
  projects with little or no compensation". A project takes ``seizure_share`` of the
  land of ``seizure_households`` of a village's households, paying ``compensation``.
- Violent local protest (A9, lines 60, 100): "widespread demonstrations, some of them
  violent" — breaking things, blocking highways. A village event is violent when its
  villagers' mean grievance is high or land was taken there recently; violent events
  are counted (``violent_events``). Their repression is already harsher because rural
  protest is "invisible" (D9, line 100; ``sim.submodels.state_response``).
- Central concession (D10, lines 60, 62): when the share of villages that protested
  within the last ``window`` months exceeds ``relief_trigger`` ("boiling point"), the
  centre enacts the Hu–Wen package for the rest of the regime: the farm tax eliminated
  and fees reduced, a higher state grain price, a crackdown on land sell-offs. The
  month it happens is recorded in ``model.tally["rural_relief"]`` (outcome
  ``rural_relief``) and in ``relief_step``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.state import Kind


class RuralTaxesParams(RegimeParams):
    type: Literal["rural_taxes"]
    tax_rate: float = Field(
        0.2, ge=0, le=1, description="mean share of farm income taken in taxes and fees"
    )
    tax_spread: float = Field(
        0.4, ge=0, le=2, description="sd of log village tax rates (local variation)"
    )
    land_seizure_rate: float = Field(
        0.01, ge=0, le=1, description="monthly chance a village loses land to a project"
    )
    seizure_households: float = Field(
        0.3, ge=0, le=1, description="share of a village's households a project hits"
    )
    seizure_share: float = Field(
        0.4, ge=0, le=1, description="share of an affected household's land taken"
    )
    compensation: float = Field(
        0.1, ge=0, le=1, description="compensation as a share of the land's 5-year value"
    )
    violence_share: float = Field(
        0.05, ge=0, le=1, description="share of villagers out at which an event turns violent"
    )
    window: int = Field(12, ge=1, le=240, description="months over which unrest is measured")
    burn_in: int = Field(
        24, ge=0, le=240, description="first months of the scenario not counted (initial transient)"
    )
    relief_trigger: float = Field(
        0.5, ge=0, le=1, description="share of villages protesting in the window that forces relief"
    )
    relief_tax_factor: float = Field(
        0.25, ge=0, le=1, description="taxes and fees after relief, relative to before"
    )
    relief_grain_price: float = Field(
        1.2, ge=1, le=5, description="state grain price after relief (multiplier)"
    )
    relief_land_protection: float = Field(
        0.8, ge=0, le=1, description="share of land seizures prevented after relief"
    )


def village_tax_rates(mean: float, spread: float, z: np.ndarray) -> np.ndarray:
    """Per-village rates, lognormal around ``mean`` (``z`` standard normal), in [0, 0.9]."""
    return np.clip(mean * np.exp(spread * z - spread**2 / 2), 0.0, 0.9)


def seize_land(land: np.ndarray, hit: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Land after a seizure and the land taken from each household (lines 60, 100)."""
    taken = np.where(hit, land * share, 0.0)
    return land - taken, taken


def unrest_share(history: np.ndarray) -> float:
    """Share of villages with at least one protest event in the window (rows = months)."""
    if history.size == 0:
        return 0.0
    return float(np.any(history, axis=0).mean())


def relief_due(history: np.ndarray, trigger: float) -> bool:
    """D10 (lines 60, 62): widespread rural unrest forces the centre's hand."""
    return unrest_share(history) > trigger


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
        Source("003_34c2b211615d9395.txt", "58", "local officials levy illegal taxes and fees"),
        Source("003_34c2b211615d9395.txt", "60", "taxes, land sales; violent protest; relief"),
        Source("003_34c2b211615d9395.txt", "62", "after relief incomes stabilize, migrants return"),
        Source("003_34c2b211615d9395.txt", "100", "cheated on land for a road; invisible peasants"),
    )

    def on_start(self, model) -> None:
        v = model.villages
        self.rates = village_tax_rates(
            self.params.tax_rate, self.params.tax_spread, model.rng.standard_normal(v.n)
        ).astype(np.float32)
        self.history = np.zeros((0, v.n), dtype=bool)
        self.last_seizure = np.full(v.n, -(10**6), dtype=np.int64)
        self.relief_step = None

    @property
    def relieved(self) -> bool:
        return self.relief_step is not None

    def apply(self, model, levers) -> None:
        prm = self.params
        factor = prm.relief_tax_factor if self.relieved else 1.0
        levers.tax_rate = max(levers.tax_rate, prm.tax_rate * factor)
        seizure = prm.land_seizure_rate * (
            (1.0 - prm.relief_land_protection) if self.relieved else 1
        )
        levers.land_seizure_rate = max(levers.land_seizure_rate, seizure)
        if self.relieved:
            levers.grain_price = levers.grain_price * prm.relief_grain_price
        levers.extra["rural_relief"] = self.relieved

    def on_step(self, model) -> None:
        prm, p, v, rng, t = self.params, model.people, model.villages, model.rng, model.tally
        n_v = v.n
        if n_v == 0:
            return
        peasant = p.kind == Kind.PEASANT
        vil = np.maximum(p.village, 0)
        # Last month's village events: unrest history and violence (A9, D10).
        ev = model.events
        first = model.units.n
        rural = (ev.locality >= first) & (ev.locality < first + n_v)
        protested = np.zeros(n_v, dtype=bool)
        protested[ev.locality[rural] - first] = True
        # Turnout: agents in all the village's events over its agents (a share).
        in_events = ev.agents_by_locality(model.n_localities)[first : first + n_v]
        turnout = in_events / np.maximum(model.loc_size[first : first + n_v], 1)
        if model.step_index >= prm.burn_in:
            self.history = np.vstack([self.history, protested[None, :]])[-prm.window :]
        recent = model.step_index - self.last_seizure <= 3
        t["rural_unrest"] = unrest_share(self.history)
        t["violent_events"] = int(
            np.count_nonzero(protested & violent(turnout, recent, prm.violence_share))
        )
        # Central relief once unrest is widespread (D10); it lasts for the regime.
        if not self.relieved and relief_due(self.history, prm.relief_trigger):
            self.relief_step = model.step_index
            t["rural_relief"] = 1
            model.levers.tax_rate *= prm.relief_tax_factor
            model.levers.grain_price *= prm.relief_grain_price
        factor = prm.relief_tax_factor if self.relieved else 1.0
        v.tax_rate = self.rates * np.float32(factor)
        p.tax_burden = np.where(peasant, v.tax_rate[vil], p.tax_burden)

        # Land seizure for "development" with little compensation (lines 60, 100).
        projects = rng.random(n_v) < model.levers.land_seizure_rate
        if np.any(projects):
            self.last_seizure[projects] = model.step_index
            hit = peasant & projects[vil] & (rng.random(p.n) < prm.seizure_households)
            land, taken = seize_land(p.land, hit, prm.seizure_share)
            p.land = land
            value = taken * model.params.farm_income * 60.0 * prm.compensation
            p.relief = p.relief + value.astype(np.float32)
            v.land_lost = v.land_lost + np.bincount(vil[hit], weights=taken[hit], minlength=n_v)
            t["land_seized"] = float(taken.sum())

    def on_end(self, model) -> None:
        """Taxes and fees stop with the regime; land already lost stays lost."""
        p = model.people
        p.tax_burden = np.where(p.kind == Kind.PEASANT, 0.0, p.tax_burden)
        model.villages.tax_rate = 0.0
