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
        0.15, ge=0, le=1, description="collusion added when supervision is local"
    )
    enforcement_loss: float = Field(
        0.1, ge=0, le=1, description="central enforcement lost when supervision is local"
    )
    native_supervision: float | None = Field(
        None,
        ge=0,
        le=1,
        description="share of mine-unit cadres native to the locality (default: unchanged)",
    )
    enforcement: float | None = Field(
        None, ge=0, le=1, description="central safety enforcement 0–1 (default: unchanged)"
    )
    media: float | None = Field(
        None, ge=0, le=1, description="press exposure of accidents 0–1 (default: unchanged)"
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
    )

    def __init__(self, params: MineSafetyParams):
        super().__init__(params)
        self.rows: np.ndarray | None = None
        self.saved: np.ndarray | None = None

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
        levers.collusion_shift += shift
        levers.safety_enforcement = enforcement
        if prm.media is not None:
            levers.media_exposure = prm.media

    def on_end(self, model: CadreModel) -> None:
        if self.rows is not None and self.saved is not None:
            model.people.native[self.rows] = self.saved
            self.rows = self.saved = None
