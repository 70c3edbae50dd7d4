"""Cadre participation in manual labour: the Angang "two participations" (1960).

"My country once had a regulation requiring cadres to participate in manual labor once a
week at the front of the production line" (``000_2ce95af13791697c.txt:8``): a cadre
spends ``share`` of working time on the line (0.2 = one day in five). The Angang
Constitution of 22 March 1960 made "cadres participate in productive labour" the first of
its "two participations" (science-anchors §3.5; seed 002 R9, three-in-one teams,
``002_683259ac5f475297.txt:3445-3452``).

The regime writes the ``labour_share`` of participating cadres; the core submodels turn it
into consequences (no separate rule here, so the effects cannot drift apart):

- fewer accidents — the hazard rises with cadres' distance from the shop floor
  (``sim.submodels.production.accidents``; seed 000 lines 8, 10);
- higher local legitimacy — cadre presence "maintain[s] the color of the laborer in the
  cadre ... in intimate contact with the masses" (``000_2ce95af13791697c.txt:24,34``;
  ``sim.submodels.legitimacy.update_local``), hence lower grievance;
- less management time — output falls by ``management_cost`` × share
  (``sim.submodels.production.output``).

Who goes down: ``ranks`` restricts participation to some ranks — "you couldn't expect the
manager of a coal mining group to go down in the mine ... But union chairmen aren't so
busy" (``000_2ce95af13791697c.txt:12-15``) — and each designated cadre complies with
probability ``compliance``, lowered for higher ranks by ``rank_reluctance`` ("would find a
hundred reasons not to"). Compliers are drawn once when the regime starts; their share is
this regime's term of the composed ``labour_share`` (``sim.terms``), so it ends with the
regime and adds to what any other regime asks of the same cadres.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, field_validator

from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.state import Kind
from sim.submodels.careers import N_RANKS

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


class CadreLabourParams(RegimeParams):
    type: Literal["cadre_labour"]
    share: float = Field(
        0.2,
        ge=0,
        le=1,
        description="share of a participating cadre's time on the line (0.2 = one day a week)",
    )
    ranks: list[int] | None = Field(
        None,
        description="cadre ranks (0 = lowest … 4) that take part, e.g. [0, 1] for union "
        "chairmen and shop heads; default: all",
    )
    compliance: float = Field(
        1.0, ge=0, le=1, description="share of designated cadres who actually go down"
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
        description="fall in compliance from the lowest to the top rank (0 = none, 1 = top never goes)",
    )


@register
class CadreLabour(Regime):
    name = "cadre_labour"
    title = "Cadre participation in manual labour (Angang 'two participations')"
    summary = (
        "Cadres spend a share of their time on the production line: less distance, fewer "
        "accidents, more local legitimacy, less management time."
    )
    Params = CadreLabourParams
    sources = (
        Source("000_2ce95af13791697c.txt", "8", "cadres on the production line once a week"),
        Source("000_2ce95af13791697c.txt", "10", "mining deaths: 3000 in 2008, 6000 in 2004"),
        Source("000_2ce95af13791697c.txt", "12-15", "managers won't go down; union chairmen might"),
        Source("000_2ce95af13791697c.txt", "24", "cadres as common labourers, in intimate contact"),
        Source("000_2ce95af13791697c.txt", "34", "labour kept cadres in touch with reality"),
        Source("science-anchors.md", "§3.5", "Angang Constitution 1960: two participations"),
        Source("002_683259ac5f475297.txt", "3445-3452", "three-in-one teams (seed 002 R9)"),
    )

    def __init__(self, params: CadreLabourParams):
        super().__init__(params)
        self.participants: np.ndarray | None = None

    def on_start(self, model: CadreModel) -> None:
        p, prm = model.people, self.params
        rows = p.rows(Kind.CADRE)
        compliance = prm.compliance * model.elite.fidelity  # a divided elite goes down less
        prob = compliance_probability(p.rank[rows], prm.ranks, compliance, prm.rank_reluctance)
        self.participants = np.flatnonzero(model.rng.random(prob.size) < prob) + rows.start

    def apply(self, model: CadreModel, levers: Levers) -> None:
        # The duty is the regime's own term of the composed ``labour_share`` column, added
        # every month (the post keeps it when a retiring cadre is replaced) and gone the
        # month the regime ends — no saving and restoring of anyone's labour share.
        share = np.zeros(model.people.n)
        share[self.participants] = self.params.share
        model.terms.add("labour_share", self.key, share)
