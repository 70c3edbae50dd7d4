"""Mine-safety supervision: decentralization, native supervisors, enforcement and media.

"Over 3000 people were killed in mining related accidents in 2008, down from 6000 in
2004" (``000_2ce95af13791697c.txt:10``). The mechanism studies of science-anchors §3.9:

- Jia & Nie (2017, *REStat* 99(1)): supervision of the key state mines was decentralized
  from March 1998 to February 2001; death rates rose about 25 %, and far more where the
  provincial safety official was *native*; media exposure lowered deaths; collusion
  mattered only in the decentralized window (Nie & Jiang 2011).
- Fisman & Wang (2015, *REStud* 82(4)): politically connected firms had 2–3× the death
  rate.

The regime sets the rules the accident submodel reads
(``sim.submodels.production.accidents``: unit collusion drifts toward
``corruption × (0.5 + native share) + collusion_shift − 0.3 × media``, and the hazard is
``base × (1 + γ_c·collusion) × (1 + γ_d·distance) × (1 − δ·enforcement) × (1.5 − safety)``):

- ``decentralized: true`` adds ``decentralization_shift`` to collusion (local officials
  and mine owners collude once supervision is local) and lowers central enforcement by
  ``enforcement_loss``;
- ``native_supervision`` sets the share of native cadres in mine units (drawn once; the
  previous flags are restored when the regime ends);
- ``enforcement`` and ``media`` set central enforcement and press exposure directly.

Conditions and consequences (issue 18; issue 13.5):

- Collusion and native supervisors raise the hazard of the key state mines only while
  supervision is decentralized (Nie & Jiang 2011): ``decentralized`` sets
  ``levers.supervision_decentralized``, which the accident submodel reads; small,
  collective and private mines are always supervised locally (``Ownership``), and have
  ``small_mine_hazard`` × the base hazard (SAWS: a third of mines, two thirds of deaths).
- Central safety campaigns answer the death toll: when the mines' smoothed death rate
  (deaths per 1,000 mine workers a month) exceeds ``campaign_trigger``, the centre
  raises enforcement by ``campaign_enforcement`` for ``campaign_months``, and the next
  drive waits as long again (the national
  drives that closed 11,155 small mines in 2005–07 and cut deaths from 6,027 in 2004 to
  3,215 in 2008, ``000_2ce95af13791697c.txt:10``; science-anchors §3.9).
- Promotion weighted by the safety record: at ``safety_promotion`` (0 = growth only,
  1 = safety as a veto), a mine cadre's promotion log-odds fall by ``safety_promotion`` ×
  ``accident_blame`` per remembered death per 1,000 workers, *not* shielded by collusion
  (central targets), and collusion falls by ``safety_promotion`` × ``safety_collusion``
  (Fisman & Wang 2015: the connection premium is attenuated where regulators' promotion is
  tied to safety targets).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.state import Kind, Sector

if TYPE_CHECKING:
    from sim.levers import Levers
    from sim.model import CadreModel


def supervision_levers(
    base_enforcement: float,
    decentralized: bool,
    shift: float,
    loss: float,
    enforcement: float | None,
) -> tuple[float, float]:
    """(collusion shift, enforcement) under a supervision regime.

    Decentralization adds ``shift`` to collusion and removes ``loss`` of enforcement
    (Jia & Nie 2017); an explicit ``enforcement`` replaces the base before that loss.
    """
    e = base_enforcement if enforcement is None else enforcement
    if decentralized:
        return shift, float(np.clip(e - loss, 0.0, 1.0))
    return 0.0, float(np.clip(e, 0.0, 1.0))


def mine_death_rate(memory: np.ndarray, workers: np.ndarray, mine: np.ndarray, fade: float):
    """Smoothed deaths per 1,000 mine workers per month, over all mines (worker-weighted).

    ``memory`` is the units' fading sum of monthly rates; × ``fade`` makes it a rate.
    """
    w = np.where(mine, workers, 0).astype(np.float64)
    if w.sum() <= 0:
        return 0.0
    return float(fade * np.sum(memory * w) / w.sum())


def campaign_enforcement(enforcement: float, months_left: int, boost: float) -> float:
    """Enforcement during a central safety campaign (``months_left`` > 0), in [0, 1]."""
    return float(np.clip(enforcement + (boost if months_left > 0 else 0.0), 0.0, 1.0))


def draw_native(n: int, share: float, rng: np.random.Generator) -> np.ndarray:
    """Native flags for ``n`` supervising cadres: exactly round(share × n) natives."""
    flags = np.zeros(n, dtype=bool)
    k = int(np.floor(share * n + 0.5))
    flags[rng.permutation(n)[:k]] = True
    return flags


class MineSafetyParams(RegimeParams):
    type: Literal["mine_safety"]
    decentralized: bool = Field(
        True, description="safety supervision devolved to local governments (1998–2001)"
    )
    decentralization_shift: float = Field(
        0.15, ge=0, le=1, description="collusion added when supervision is local (collusion)"
    )
    enforcement_loss: float = Field(
        0.1,
        ge=0,
        le=1,
        description="central enforcement lost when supervision is local (enforcement)",
    )
    native_supervision: float | None = Field(
        None,
        ge=0,
        le=1,
        description="share of mine-unit cadres native to the locality (default: unchanged) (share)",
    )
    enforcement: float | None = Field(
        None, ge=0, le=1, description="central safety enforcement 0–1 (default: unchanged) (0–1)"
    )
    media: float | None = Field(
        None, ge=0, le=1, description="press exposure of accidents 0–1 (default: unchanged) (0–1)"
    )
    campaign_trigger: float = Field(
        2.0,
        ge=0,
        le=100,
        description="smoothed mine death rate that triggers a central safety campaign "
        "(deaths per 1,000 mine workers per month)",
    )
    campaign_months: int = Field(
        12, ge=1, le=120, description="length of a central safety campaign (months)"
    )
    campaign_enforcement: float = Field(
        0.3, ge=0, le=1, description="central enforcement added during a safety campaign (0–1)"
    )
    safety_promotion: float = Field(
        0.0,
        ge=0,
        le=1,
        description="weight of the safety record in mine cadres' evaluation "
        "(0 = growth only, 1 = safety veto) (share)",
    )
    safety_collusion: float = Field(
        0.2,
        ge=0,
        le=1,
        description="collusion removed at full safety weighting of promotion (0–1; Fisman & Wang)",
    )


@register
class MineSafety(Regime):
    name = "mine_safety"
    title = "Mine-safety decentralization and collusion"
    summary = (
        "Local supervision with native or connected cadres raises collusion and the "
        "accident hazard; central enforcement and media exposure lower it."
    )
    Params = MineSafetyParams
    sources = (
        Source("000_2ce95af13791697c.txt", "10", "mining deaths 6000 in 2004, 3000 in 2008"),
        Source("science-anchors.md", "§3.9", "Jia & Nie 2017: decentralization +25% deaths"),
        Source("science-anchors.md", "§3.9", "Jia & Nie 2017: native vice-governors; media"),
        Source("science-anchors.md", "§3.9", "Fisman & Wang 2015: connected firms 2-3x deaths"),
        Source("science-anchors.md", "§3.9", "Nie & Jiang 2011: collusion only when decentralized"),
        Source("science-anchors.md", "§3.9", "SAWS: small mines a third, two thirds of deaths"),
    )

    def __init__(self, params: MineSafetyParams):
        super().__init__(params)
        self.rows: np.ndarray | None = None
        self.saved: np.ndarray | None = None
        self.campaign_left = 0
        self.next_campaign = 0
        self.campaigns = 0

    def on_start(self, model: CadreModel) -> None:
        share = self.params.native_supervision
        if share is None:
            return
        p = model.people
        c = p.rows(Kind.CADRE)
        unit = p.unit[c]
        in_mine = (unit >= 0) & (model.units.sector[np.maximum(unit, 0)] == Sector.MINE)
        self.rows = np.flatnonzero(in_mine) + c.start
        self.saved = p.native[self.rows].copy()
        p.native[self.rows] = draw_native(self.rows.size, share, model.rng)

    def apply(self, model: CadreModel, levers: Levers) -> None:
        prm = self.params
        shift, enforcement = supervision_levers(
            levers.safety_enforcement,
            prm.decentralized,
            prm.decentralization_shift,
            prm.enforcement_loss,
            prm.enforcement,
        )
        levers.collusion_shift += shift - prm.safety_promotion * prm.safety_collusion
        levers.safety_enforcement = campaign_enforcement(
            enforcement, self.campaign_left, prm.campaign_enforcement
        )
        levers.supervision_decentralized = levers.supervision_decentralized or prm.decentralized
        if prm.media is not None:
            levers.media_exposure = prm.media

    def on_step(self, model: CadreModel) -> None:
        prm, u, p = self.params, model.units, model.people
        mine = u.sector == Sector.MINE
        # A campaign runs its course; a new one answers last month's death toll.
        self.campaign_left = max(self.campaign_left - 1, 0)
        # Weighted by the mines' posts (staff0): a cheap, stable stand-in for their crews.
        rate = mine_death_rate(u.death_memory, u.staff0, mine, model.params.accident_memory_fade)
        # Drives are episodic: the next one waits as long as the last one lasted.
        ready = model.step_index >= self.next_campaign
        if self.campaign_left == 0 and ready and rate > prm.campaign_trigger:
            self.campaign_left = prm.campaign_months
            self.next_campaign = model.step_index + 2 * prm.campaign_months
            self.campaigns += 1
            model.tally["safety_campaigns"] = 1
        # The safety record in mine cadres' evaluation: central targets, not shielded.
        if prm.safety_promotion > 0:
            rows = p.rows(Kind.CADRE)
            unit = p.unit[rows]
            in_mine = (unit >= 0) & mine[np.maximum(unit, 0)]
            record = u.death_memory[np.maximum(unit, 0)]
            merit = np.where(
                in_mine, -prm.safety_promotion * model.params.accident_blame * record, 0.0
            )
            model.terms.add("merit", self.key, merit, rows=rows)  # (the cadres' rows only)

    def on_end(self, model: CadreModel) -> None:
        if self.rows is not None and self.saved is not None:
            model.people.native[self.rows] = self.saved
            self.rows = self.saved = None
