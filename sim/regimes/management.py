"""Who runs the enterprise: one-man management or the party committee.

Source: ``002_683259ac5f475297.txt`` (extraction ``sources/seed002-part2.md`` R1, R3,
R11 and rules O1–O7, B2).

- **One-man management** (``mode: one_man``; R1, 2341–2359; the 1984 "factory manager
  assuming all responsibility", 4283–4293): the manager holds authority over production,
  personnel and rewards (``manager_authority`` high, so promotions weigh performance —
  ``careers.promote``), technicians form "an independent group of industrial
  professionals" (2354–2356; ``technician_autonomy`` high), the party committee keeps only
  "ideological leadership" (2347–2348) and the security police act "as an autonomous
  entity" (2356–2359), so security does not answer to the party. Party cadres resist "a
  threat to their positions" (O4, 2350–2351, 4300–4307): each month cadres below
  ``manager_rank`` lose ``resistance`` × authority of loyalty, a cohesion cost.
- **Party-committee leadership** (``mode: party_committee``; R3, 2361–2453, 2513–2515):
  the secretary has the final word, personnel and security are party-staffed
  (``manager_authority`` low: promotion weighs political capital). Roles fuse ("two
  hats", 2447–2453) in a share ``fusion`` of leaderships, and fusion hollows the party
  (O1, 2601–2604, 2643–2646): the party's coherence as a watchdog relaxes toward
  ``coherence_target`` = 0.9 − 0.8 × fusion. A weak watchdog lets cadre corruption drift
  up (and a strong one pushes it down), and the party-staffed security apparatus is only
  as strong as the party (``repression`` × (0.5 + coherence)). A production-oriented
  fused leader invited non-party technicians to speak (2618–2646), so technicians'
  autonomy rises with fusion (0.3 + 0.2 × fusion).
- **Technicians' alienation** (B2, 3997–4003; E6, E10): with autonomy at or above 0.5
  alienation heals; below it, it grows, relaxing toward ``alienation_target`` =
  max(0, 1 − 2 × autonomy) at ``alienation_rate`` a month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.state import Kind

if TYPE_CHECKING:
    from sim.levers import Levers
    from sim.model import CadreModel

SEED = "002_683259ac5f475297.txt"
NEUTRAL_COHERENCE = 0.5


def coherence_target(mode: str, fusion: float) -> float:
    """Party coherence a mode settles at: fusion hollows the party (O1); under one-man
    management the party stays a separate, if sidelined, organisation (neutral)."""
    if mode == "one_man":
        return NEUTRAL_COHERENCE
    return float(np.clip(0.9 - 0.8 * fusion, 0.0, 1.0))


def authority(mode: str, fusion: float) -> tuple[float, float]:
    """(manager_authority, technician_autonomy) under a mode (R1, R3, O1)."""
    if mode == "one_man":
        return 0.9, 0.75
    return 0.2, 0.3 + 0.2 * fusion


def corruption_drift(corruption: np.ndarray, coherence: float, rate: float) -> np.ndarray:
    """Next month's cadre corruption: rises when the watchdog is weaker than neutral
    (coherence < 0.5), falls when it is stronger; stays in [0, 1]."""
    gap = NEUTRAL_COHERENCE - coherence
    room = np.where(gap > 0, 1.0 - corruption, corruption)
    return np.clip(corruption + rate * gap * room, 0.0, 1.0)


def alienation_target(autonomy: float) -> float:
    """Alienation technicians drift to: none at autonomy ≥ 0.5, rising below (B2, E6)."""
    return float(np.clip(1.0 - 2.0 * autonomy, 0.0, 1.0))


class ManagementParams(RegimeParams):
    type: Literal["management"]
    mode: Literal["one_man", "party_committee"] = Field(
        "party_committee", description="one-man management (R1) or party-committee leadership (R3)"
    )
    fusion: float = Field(
        0.6,
        ge=0,
        le=1,
        description="party_committee: share of leaderships where secretary and manager "
        "roles fuse ('two hats')",
    )
    coherence_rate: float = Field(
        0.03, ge=0, le=1, description="monthly pull of party coherence toward its target"
    )
    corruption_rate: float = Field(
        0.02, ge=0, le=1, description="monthly corruption drift per unit of watchdog gap"
    )
    resistance: float = Field(
        0.006,
        ge=0,
        le=1,
        description="one_man: monthly loyalty party cadres lose per unit manager authority (O4)",
    )
    manager_rank: int = Field(
        3, ge=0, le=4, description="lowest rank holding managerial posts (not resisting)"
    )
    alienation_rate: float = Field(
        0.03, ge=0, le=1, description="monthly pull of technicians' alienation to its target"
    )


@register
class Management(Regime):
    name = "management"
    title = "One-man management vs party-committee leadership"
    summary = (
        "Who decides production, personnel and security; fusion hollows the party and lets "
        "corruption drift; managerial autonomy provokes party resistance; technicians' "
        "autonomy heals or feeds their alienation."
    )
    Params = ManagementParams
    sources = (
        Source(SEED, "2341-2359", "one-man management; party resistance; autonomous professionals"),
        Source(SEED, "2361-2453", "party committee leadership; two hats; fused roles"),
        Source(SEED, "2513-2515", "personnel and security wholly party-staffed"),
        Source(SEED, "2601-2604", "fusion could cost the party its competence (O1)"),
        Source(SEED, "2618-2646", "production-oriented fused leader erases the watchdogs"),
        Source(SEED, "3997-4003", "co-opting professionals with autonomy (B2)"),
        Source(SEED, "4283-4307", "1984 manager responsibility; the party secretary resists"),
    )

    def __init__(self, params: ManagementParams):
        super().__init__(params)
        self.coherence = NEUTRAL_COHERENCE

    def on_start(self, model: CadreModel) -> None:
        self.coherence = NEUTRAL_COHERENCE

    def apply(self, model: CadreModel, levers: Levers) -> None:
        prm = self.params
        auth, autonomy = authority(prm.mode, prm.fusion)
        levers.manager_authority = auth
        # A campaign may already have cut technicians' autonomy below neutral: keep the cut.
        cut = levers.technician_autonomy < 0.5
        levers.technician_autonomy = min(levers.technician_autonomy, autonomy) if cut else autonomy
        if prm.mode == "party_committee":
            levers.repression *= 0.5 + self.coherence

    def on_step(self, model: CadreModel) -> None:
        p, prm, lv = model.people, self.params, model.levers
        self.coherence += prm.coherence_rate * (
            coherence_target(prm.mode, prm.fusion) - self.coherence
        )
        rows = p.rows(Kind.CADRE)
        p.corruption[rows] = corruption_drift(
            p.corruption[rows], self.coherence, prm.corruption_rate
        )
        if prm.mode == "one_man":
            party_side = rows.start + np.flatnonzero(p.rank[rows] < prm.manager_rank)
            p.loyalty[party_side] = np.maximum(
                p.loyalty[party_side] - prm.resistance * lv.manager_authority, 0.0
            )
        t = p.rows(Kind.TECHNICIAN)
        a = p.alienation[t]
        p.alienation[t] = a + prm.alienation_rate * (alienation_target(lv.technician_autonomy) - a)
