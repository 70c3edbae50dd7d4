"""Cadre participation in manual labour: the Angang "two participations" (1960).

"My country once had a regulation requiring cadres to participate in manual labor once a
week at the front of the production line" (``000_2ce95af13791697c.txt:8``): a cadre
spends ``share`` of working time on the line (0.2 = one day in five). The Angang
Constitution of 22 March 1960 made "cadres participate in productive labour" the first of
its "two participations" (science-anchors §3.5); the other half, workers' participation in
management, is the three-in-one team below.

The regime writes the ``labour_share`` of participating cadres; the core submodels turn it
into consequences (no separate rule here, so the effects cannot drift apart):

- fewer accidents — the hazard rises with cadres' distance from the shop floor
  (``sim.submodels.production.accidents``; seed 000 lines 8, 10);
- higher local legitimacy — cadre presence "maintain[s] the color of the laborer in the
  cadre ... in intimate contact with the masses" (``000_2ce95af13791697c.txt:24,34``;
  ``sim.submodels.legitimacy.update_local``), hence lower grievance;
- less management time — output falls by ``management_cost`` × share
  (``sim.submodels.production.output``);
- more accurate decisions — labour "added accuracy to the cadre's decision making; it made
  the cadre's work go smoothly" (``000_2ce95af13791697c.txt:34``), the remedy for the Great
  Leap, "in which lower-level leadership drastically overstated production"
  (``000_2ce95af13791697c.txt:19``): the regime's term of the per-unit
  ``decision_accuracy`` is ``accuracy_gain``, and output rises by it × cadre presence on
  the line (``production.produce``), against the cost above;
- performance on the line as a basis for promotion — "take their performance as a
  foundation for promotion" (``000_2ce95af13791697c.txt:8``): each cadre who actually goes
  down gets ``promotion_weight`` added to the log-odds of promotion (the composed per-cadre
  ``merit``, read by ``careers.promote``), so compliers rise and shirkers do not.

Workers' participation in management (the three-in-one team, seed 002 R9,
``002_683259ac5f475297.txt:3445-3452, 3453-3463``): in a share ``team_share`` of units,
drawn when the regime starts, technicians, workers and an administrative cadre form a team
"with the cadre having the final say", whose purpose was "to prevent expertise ... from
being an autonomous basis of authority"; "Before the Cultural Revolution, the workers had
to obey (ting hua) the technicians. After it, we had to obey them." Consequences:

- technicians' authority falls by ``team_authority_cut`` in team units (the regime's
  term of the per-unit ``technician_authority``); their expertise counts less in output,
  and their alienation drifts toward the target of their lowered autonomy at
  ``team_alienation_rate`` a month (E6, 3433–3441: "no one was interested or paid any
  attention to them");
- workers in team units gain a voice: a hardship term of −``team_voice`` × the
  representatives' real power, which decays at ``team_power_decay`` a month — the
  revolutionary committees "did not in practice do a great deal to alter authority
  relations" (3454–3457) and "the mass representatives had no real power" once the party
  secretary took over (4250–4256). The subordination of technicians stays.

Who goes down: ``ranks`` restricts participation to some ranks — "you couldn't expect the
manager of a coal mining group to go down in the mine ... But union chairmen aren't so
busy" (``000_2ce95af13791697c.txt:12-15``) — and each designated cadre complies with
probability ``compliance``, lowered for higher ranks by ``rank_reluctance`` ("would find a
hundred reasons not to"). Compliers are drawn once when the regime starts; their share is
this regime's term of the composed ``labour_share`` (``sim.terms``), so it ends with the
regime and adds to what any other regime asks of the same cadres. A row recycled for a
newcomer (``model.renewed``) is no longer a complier: the newcomer is drawn again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, field_validator

from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.regimes.management import alienation_pull
from sim.state import Kind
from sim.submodels.careers import N_RANKS
from sim.submodels.production import unit_autonomy

if TYPE_CHECKING:
    from sim.levers import Levers
    from sim.model import CadreModel


def compliance_probability(
    rank: np.ndarray, ranks: list[int] | None, compliance: float, rank_reluctance: float
) -> np.ndarray:
    """Chance each cadre actually spends time on the line.

    Zero outside ``ranks`` (all ranks when ``None``); otherwise ``compliance`` ×
    (1 − ``rank_reluctance`` × rank / top rank): senior cadres "would find a hundred reasons
    not to" go down (``000_2ce95af13791697c.txt:15``).
    """
    eligible = np.ones(rank.size, dtype=bool) if ranks is None else np.isin(rank, ranks)
    top = max(N_RANKS - 1, 1)
    prob = compliance * (1.0 - rank_reluctance * rank.astype(np.float64) / top)
    return np.where(eligible, np.clip(prob, 0.0, 1.0), 0.0)


def representatives_power(months: int, decay: float) -> float:
    """Real power of the worker representatives ``months`` after the teams were formed."""
    return float((1.0 - decay) ** max(months, 0))


class CadreLabourParams(RegimeParams):
    type: Literal["cadre_labour"]
    share: float = Field(
        0.2,
        ge=0,
        le=1,
        description="share of a participating cadre's time on the line (0.2 = one day a week) (share)",
    )
    ranks: list[int] | None = Field(
        None,
        description="cadre ranks (0 = lowest … 4) that take part, e.g. [0, 1] for union "
        "chairmen and shop heads; default: all",
    )
    compliance: float = Field(
        1.0, ge=0, le=1, description="share of designated cadres who actually go down (share)"
    )

    @field_validator("ranks")
    @classmethod
    def _ranks_in_range(cls, ranks: list[int] | None) -> list[int] | None:
        bad = [r for r in ranks or [] if not 0 <= r < N_RANKS]
        if bad:
            raise ValueError(f"ranks must be in 0..{N_RANKS - 1}, got {bad}")
        return ranks

    rank_reluctance: float = Field(
        0.0,
        ge=0,
        le=1,
        description="fall in compliance from the lowest to the top rank (0 = none, 1 = top never goes) (share)",
    )
    promotion_weight: float = Field(
        0.5,
        ge=0,
        le=5,
        description="added to a complying cadre's promotion log-odds: performance on the "
        "line as a basis for promotion (000:8) (log-odds)",
    )
    accuracy_gain: float = Field(
        0.04,
        ge=0,
        le=0.5,
        description="output gained at full cadre presence from more accurate decisions "
        "(000:19, 34) (share of output)",
    )
    team_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="share of units with three-in-one teams of workers, technicians and "
        "a cadre (002:3445-3452) (share)",
    )
    team_authority_cut: float = Field(
        0.3,
        ge=0,
        le=1,
        description="technicians' autonomy lost in a team unit ('we had to obey them', "
        "002:3460-3462) (index)",
    )
    team_alienation_rate: float = Field(
        0.03,
        ge=0,
        le=1,
        description="monthly pull of team-unit technicians' alienation to its target (E6) "
        "(share/month)",
    )
    team_voice: float = Field(
        0.05,
        ge=0,
        le=1,
        description="hardship removed from workers of a team unit while representatives "
        "have real power (index of H)",
    )
    team_power_decay: float = Field(
        0.05,
        ge=0,
        le=1,
        description="monthly decay of worker representatives' real power (002:4250-4256) "
        "(share/month)",
    )


@register
class CadreLabour(Regime):
    name = "cadre_labour"
    title = "Cadre participation in manual labour (Angang 'two participations')"
    summary = (
        "Cadres spend a share of their time on the production line: less distance, fewer "
        "accidents, more local legitimacy, more accurate decisions, less management time, "
        "promotion for those who go down. Three-in-one teams (workers' participation in "
        "management) subordinate technicians and give workers a fading voice."
    )
    Params = CadreLabourParams
    sources = (
        Source("000_2ce95af13791697c.txt", "8", "cadres on the production line once a week"),
        Source("000_2ce95af13791697c.txt", "10", "mining deaths: 3000 in 2008, 6000 in 2004"),
        Source("000_2ce95af13791697c.txt", "12-15", "managers won't go down; union chairmen might"),
        Source("000_2ce95af13791697c.txt", "24", "cadres as common labourers, in intimate contact"),
        Source("000_2ce95af13791697c.txt", "34", "labour kept cadres in touch with reality"),
        Source("science-anchors.md", "§3.5", "Angang Constitution 1960: two participations"),
        Source("000_2ce95af13791697c.txt", "19", "Great Leap: leadership overstated production"),
        Source("002_683259ac5f475297.txt", "3445-3452", "three-in-one teams: cadre has final say"),
        Source(
            "002_683259ac5f475297.txt", "3453-3463", "RCs change little; workers over technicians"
        ),
        Source("002_683259ac5f475297.txt", "3433-3441", "technicians: no one paid attention (E6)"),
        Source("002_683259ac5f475297.txt", "4250-4256", "mass representatives had no real power"),
    )

    def __init__(self, params: CadreLabourParams):
        super().__init__(params)
        self.participants = np.zeros(0, dtype=bool)
        self.teams = np.zeros(0, dtype=bool)
        self.months = 0

    def on_start(self, model: CadreModel) -> None:
        p, prm = model.people, self.params
        rows = p.rows(Kind.CADRE)
        self.participants = np.zeros(p.n, dtype=bool)
        self._draw(model, np.arange(rows.start, rows.stop))
        # (no draw without teams, so the random stream of a plain cadre-labour run stays)
        n_u = model.units.n
        self.teams = (
            model.rng.random(n_u) < prm.team_share if prm.team_share > 0 else np.zeros(n_u, bool)
        )
        self.months = 0

    def _draw(self, model: CadreModel, idx: np.ndarray) -> None:
        """Which of the cadres ``idx`` comply with the duty (drawn once per person)."""
        p, prm = model.people, self.params
        compliance = prm.compliance * model.elite.fidelity  # a divided elite goes down less
        prob = compliance_probability(p.rank[idx], prm.ranks, compliance, prm.rank_reluctance)
        self.participants[idx] = model.rng.random(idx.size) < prob

    def apply(self, model: CadreModel, levers: Levers) -> None:
        # The duty is the regime's own term of the composed ``labour_share`` column, added
        # every month (the post keeps it when a retiring cadre is replaced) and gone the
        # month the regime ends — no saving and restoring of anyone's labour share.
        prm, p = self.params, model.people
        # Newcomers in recycled cadre rows are drawn afresh (model.renewed).
        cadre = p.rows(Kind.CADRE)
        fresh = cadre.start + np.flatnonzero(model.renewed[cadre])
        if fresh.size:
            self._draw(model, fresh)
        # (participants are cadres: the terms are on the cadres' rows only)
        takes_part = self.participants[cadre]
        share = np.where(takes_part, prm.share, 0.0)
        model.terms.add("labour_share", self.key, share, rows=cadre)
        # Performance on the line counts for promotion (000:8).
        merit = np.where(takes_part, prm.promotion_weight, 0.0)
        model.terms.add("merit", self.key, merit, rows=cadre)
        n_loc, n_u = model.n_localities, model.units.n
        acc = np.zeros(n_loc)
        acc[:n_u] = prm.accuracy_gain
        model.terms.add("decision_accuracy", self.key, acc)
        if self.teams.any():
            cut = np.zeros(n_loc)
            cut[:n_u] = np.where(self.teams, -prm.team_authority_cut, 0.0)
            model.terms.add("technician_authority", self.key, cut)

    def on_step(self, model: CadreModel) -> None:
        prm, p = self.params, model.people
        if not self.teams.any():
            return
        in_team = (p.unit >= 0) & self.teams[np.maximum(p.unit, 0)]
        # Worker representatives' voice, while they still have real power (4250–4256).
        power = representatives_power(self.months, prm.team_power_decay)
        workers = in_team & (p.kind == Kind.WORKER)
        model.terms.add("hardship", self.key, np.where(workers, -prm.team_voice * power, 0.0))
        # Subordinated technicians withdraw (E6).
        t = p.rows(Kind.TECHNICIAN)
        tech = t.start + np.flatnonzero(in_team[t])
        auto = unit_autonomy(
            model.levers.technician_autonomy,
            model.terms.total("technician_authority")[: model.units.n],
        )
        p.alienation[tech] = alienation_pull(
            p.alienation[tech], auto[p.unit[tech]], prm.team_alienation_rate
        )
        self.months += 1
