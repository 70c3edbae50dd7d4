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
- **Technicians' alienation** (E6, 3433–3441, 3459–3463; E10, 3932–3940): with autonomy
  at or above 0.5 alienation heals; below it, it grows, relaxing toward
  ``alienation_target`` = max(0, 1 − 2 × autonomy) at ``alienation_rate`` a month, where
  autonomy is the month's rule plus the unit's own ``technician_authority`` terms (three-in-
  one teams, ``cadre_labour``). Lines 3997–4003 (B2, co-opting professionals with autonomy
  and rewards) describe Soviet professionals under Brezhnev; they are used by analogy only,
  the Chinese evidence being the technicians "no one ... paid any attention to" (3433–3441).
- **The production-oriented leader's own consequences** (O1, 2640–2647): where the leader
  is production-oriented — every one-man manager, and the fused "two hats" leaderships
  (``fusion``) under the party committee — the personnel and security cadres are "excluded
  by the director" and the watchdogs' role is "erased". Two consequences: class labels
  weigh less on promotion (the five elements destigmatized): ``destigma`` × orientation of
  the label penalty is given back through the composed ``merit`` term; and under one-man
  management the security police act "as an autonomous entity" (2356–2359), answering to
  no party committee: repression is multiplied by 1 + ``security_autonomy`` (the direction
  — an unrestrained apparatus represses more — is our assumption; the text says only that
  the party saw it as a problem parallel to the managers').
- **Secretaries dismiss successful managers** (seed 002 part 3 M1–M3, 4466–4482,
  4492–4497): "the most fundamental item at issue between party and managers is control
  over the hiring and firing of cadres"; managers were fired "for being 'too successful'"
  and "not reinstated even though a court reversed the action". Each month a manager (rank
  ≥ ``manager_rank``) whose unit performs above the mean is dismissed with probability
  ``dismissal_rate`` × performance × manager authority × (1 − ``legal_protection``): the
  more authority the manager holds, the more the secretary is threatened. A dismissed
  manager drops to rank 0 and loses ``dismissal_loyalty_loss`` of loyalty; a court
  reverses the dismissal with probability ``reinstatement`` (M3: near zero).
- Dossier access (O6, 3156–3166, 3180–3182) acts through campaign targeting: the
  ``campaign`` regime shields the personnel and security cadres who hold the files and
  lets the files they leak arm the conservatives. Those cadres are party-staffed in both
  modes here (2513–2515); the two enterprises with personnel and security in the
  manager's *xitong* (2536–2548) are not represented.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.state import Kind
from sim.submodels.production import unit_autonomy

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


def alienation_target(autonomy: float | np.ndarray) -> float | np.ndarray:
    """Alienation technicians drift to: none at autonomy ≥ 0.5, rising below (E6)."""
    out = np.clip(1.0 - 2.0 * np.asarray(autonomy, dtype=np.float64), 0.0, 1.0)
    return float(out) if out.ndim == 0 else out


def alienation_pull(alienation: np.ndarray, autonomy: np.ndarray, rate: float) -> np.ndarray:
    """Next month's alienation: relaxes toward the target of each one's autonomy."""
    return alienation + rate * (alienation_target(autonomy) - alienation)


def production_orientation(mode: str, fusion: float) -> float:
    """How far the leadership is production-oriented (O1): every one-man manager; under
    the party committee the fused 'two hats' leaderships."""
    return 1.0 if mode == "one_man" else float(fusion)


def dismissal_probability(
    performance: np.ndarray, authority: float, rate: float, protection: float
) -> np.ndarray:
    """Monthly chance a manager is fired by the secretary (M2): rises with success, not
    protected by it; scaled by the threat the manager's authority poses (M1)."""
    return np.clip(rate * np.maximum(performance, 0.0) * authority * (1.0 - protection), 0, 1)


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
        "roles fuse ('two hats') (share)",
    )
    coherence_rate: float = Field(
        0.03, ge=0, le=1, description="monthly pull of party coherence toward its target (1/month)"
    )
    corruption_rate: float = Field(
        0.02,
        ge=0,
        le=1,
        description="monthly corruption drift per unit of watchdog gap (corruption per unit gap per month)",
    )
    resistance: float = Field(
        0.006,
        ge=0,
        le=1,
        description="one_man: monthly loyalty party cadres lose per unit manager authority (O4) (loyalty per month)",
    )
    manager_rank: int = Field(
        3, ge=0, le=4, description="lowest rank holding managerial posts (not resisting) (rank)"
    )
    alienation_rate: float = Field(
        0.03,
        ge=0,
        le=1,
        description="monthly pull of technicians' alienation to its target (1/month)",
    )
    destigma: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of the class-label penalty on promotion a production-oriented "
        "leadership drops (O1) (share)",
    )
    security_autonomy: float = Field(
        0.2,
        ge=0,
        le=2,
        description="one_man: extra repression of a security apparatus acting on its own "
        "(2356-2359; direction assumed) (multiplier − 1)",
    )
    dismissal_rate: float = Field(
        0.02,
        ge=0,
        le=1,
        description="monthly chance a manager is fired per sd of unit performance at full "
        "authority (M2) (probability)",
    )
    legal_protection: float = Field(
        0.0,
        ge=0,
        le=1,
        description="legal protection of managerial authority (M1, M5: blocked) (share)",
    )
    dismissal_loyalty_loss: float = Field(
        0.3, ge=0, le=1, description="loyalty a dismissed manager loses (index)"
    )
    reinstatement: float = Field(
        0.0,
        ge=0,
        le=1,
        description="chance a court reversal restores a dismissed manager (M3: none) (probability)",
    )


@register
class Management(Regime):
    name = "management"
    title = "One-man management vs party-committee leadership"
    summary = (
        "Who decides production, personnel and security; fusion hollows the party and lets "
        "corruption drift; managerial autonomy provokes party resistance; production-"
        "oriented leaders let labels weigh less; secretaries fire successful managers; "
        "technicians' autonomy heals or feeds their alienation."
    )
    Params = ManagementParams
    sources = (
        Source(SEED, "2341-2359", "one-man management; party resistance; autonomous professionals"),
        Source(SEED, "2361-2453", "party committee leadership; two hats; fused roles"),
        Source(SEED, "2513-2515", "personnel and security wholly party-staffed"),
        Source(SEED, "2601-2604", "fusion could cost the party its competence (O1)"),
        Source(SEED, "2618-2646", "production-oriented fused leader erases the watchdogs"),
        Source(SEED, "3997-4003", "co-opting professionals (B2; Soviet case, by analogy)"),
        Source(SEED, "3433-3441", "Chinese technicians degraded and ignored (E6)"),
        Source(SEED, "3156-3166", "personnel and security cadres hold the dossiers (O6)"),
        Source(SEED, "4283-4307", "1984 manager responsibility; the party secretary resists"),
        Source(SEED, "4466-4482", "managers fired for success; courts do not reinstate (M2, M3)"),
        Source(SEED, "4492-4497", "hiring and firing of cadres is the crux (M1)"),
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
        else:
            # Security "as an autonomous entity" (2356–2359), answering to no committee.
            levers.repression *= 1.0 + prm.security_autonomy
        # O1: a production-oriented leader sidelines personnel; labels weigh less.
        p, mp = model.people, model.params
        rows = p.rows(Kind.CADRE)
        back = (
            prm.destigma
            * production_orientation(prm.mode, prm.fusion)
            * mp.promotion_label
            * p.class_label[rows].astype(np.float64)
        )
        model.terms.add("merit", self.key, back, rows=rows)  # (the cadres' rows only)

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
        self._dismissals(model)
        t = p.rows(Kind.TECHNICIAN)
        auto = unit_autonomy(
            lv.technician_autonomy, model.terms.total("technician_authority")[: model.units.n]
        )
        unit = p.unit[t]
        mine = np.where(unit >= 0, auto[np.maximum(unit, 0)], lv.technician_autonomy)
        p.alienation[t] = alienation_pull(p.alienation[t], mine, prm.alienation_rate)

    def _dismissals(self, model: CadreModel) -> None:
        """M1–M3: the secretary fires managers whose units do too well."""
        p, prm, rng = model.people, self.params, model.rng
        rows = p.rows(Kind.CADRE)
        unit = p.unit[rows]
        managers = (unit >= 0) & (p.rank[rows] >= prm.manager_rank)
        perf = np.where(unit >= 0, model.unit_performance[np.maximum(unit, 0)], 0.0)
        prob = dismissal_probability(
            perf, model.levers.manager_authority, prm.dismissal_rate, prm.legal_protection
        )
        fired = managers & (rng.random(prob.size) < prob)
        restored = fired & (rng.random(prob.size) < prm.reinstatement)
        gone = rows.start + np.flatnonzero(fired & ~restored)
        p.rank[gone] = 0
        p.loyalty[gone] = np.maximum(p.loyalty[gone] - prm.dismissal_loyalty_loss, 0.0)
        model.tally["managers_dismissed"] = int(gone.size)
        model.tally["managers_reinstated"] = int(np.count_nonzero(restored))
