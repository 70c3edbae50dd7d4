"""The state's repertoire of repression and concession, with a switchable stance.

Seed 003 R5 and rules D1–D15, E1, F4 (``003_34c2b211615d9395.txt``). The response to
each protest event is computed in ``sim.submodels.state_response`` (concession logistic
in size and breadth, D1–D2; leaders arrested up to enforcement capacity, D6; fear after
defeat, D7; harsher, less visible repression of peasants, D8–D9). This regime sets the
levers that response reads, as one of three stances:

- ``soft``: fewer enforcers on the street, a readier concession (D1–D2, D12–D13: small
  payments, court rulings, release on "health" grounds, lines 93, 97, 112), little fear.
- ``mixed``: the usual repertoire — some concession, some arrests, some hired proxies.
- ``hard``: more police, leaders arrested (D6, lines 25, 100, 110), concessions resisted,
  defeat made exemplary (D7, line 93: "now everyone is afraid to continue struggling"),
  and repression subcontracted to hired peasant "thugs" (D5, line 93) "to avoid the
  public reaction to the city using police to do its own 'dirty work'".

Proxy enforcers (D5) add arrest capacity whose arrests cost the state less visible
legitimacy (read by ``state_response``), and they breed worker–peasant hostility (F4,
line 95: "we had to fight them"): each month proxies are used against urban protest,
hostility grows, and the network ties between urban workers and peasants or migrants
carry less weight in mobilization — the parallel, unlinked protests of line 100 (F5).

The stance is a *response* (``emergent_stance``): each month the regime's hardness
(soft 0, mixed ½, hard 1; the preset is the starting bias) moves toward the hardness the
month's protest calls for — harder with its size and with the share of it that
challenges privatization, i.e. protest in units being sold (D8, lines 93, 100), softer with
its breadth (D1, lines 21, 93) — and the levers are read off the presets at that hardness.
The defence of residual benefits by the laid-off and retired of units sold more than
``challenge_months`` ago (C1, line 27) is pacified (D2, line 97) and does not harden the
line (``protest_to_harden``). The conditions of the response are levers read by
``state_response``: escalation after a win in a sold unit (D4, line 93), harsher
repression where privatization is challenged (D8), court wins (D13, line 93), and police
reluctance against workers unless pressed from above — pressure is the hardness (D14,
line 95).

The "model" of a successful seizure (E1, line 21): ``model_seizures`` state units are
marked as seized models at the start; the unit itself wins concessions more easily
(``state_response``) and, city-wide, the authorities concede pre-emptively
(``model_effect`` added to the concession log-odds while any model stands).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.state import Kind, Ownership
from sim.submodels.protest import BENEFIT_CLAIMS
from sim.submodels.state_response import challenging_units

#: stance → (repression, concession_bias, deterrence, proxy_enforcers)
STANCES: dict[str, tuple[float, float, float, float]] = {
    "soft": (0.6, 1.0, 0.5, 0.0),
    "mixed": (1.0, 0.0, 1.0, 0.2),
    "hard": (1.6, -1.0, 2.0, 0.4),
}


class RepressionConcessionParams(RegimeParams):
    type: Literal["repression_concession"]
    stance: Literal["soft", "mixed", "hard"] = Field(
        "mixed", description="preset of the four levers below (see STANCES)"
    )
    repression: float | None = Field(
        None, ge=0, le=10, description="enforcement multiplier (default: from stance) (×)"
    )
    concession_bias: float | None = Field(
        None,
        ge=-10,
        le=10,
        description="added log-odds of conceding (default: from stance) (log-odds)",
    )
    deterrence: float | None = Field(
        None,
        ge=0,
        le=10,
        description="multiplier on fear after a defeat, D7 (default: stance) (multiplier)",
    )
    proxy_enforcers: float | None = Field(
        None,
        ge=0,
        le=1,
        description="share of repression by hired proxies, D5 (default: stance) (share)",
    )
    hostility_gain: float = Field(
        0.05,
        ge=0,
        le=1,
        description="worker–peasant hostility added per month of proxy use (F4) (hostility per month)",
    )
    model_seizures: int = Field(
        0,
        ge=0,
        le=100_000,
        description="state units marked as a successful seizure 'model' (E1) (units)",
    )
    model_effect: float = Field(
        0.5,
        ge=0,
        le=10,
        description="city-wide concession log-odds while a model stands (E1) (log-odds)",
    )
    # --- the stance as a response, and the conditions of seed 003 D4, D8, D13, D14 ---
    stance_adapt: float = Field(
        0.1,
        ge=0,
        le=1,
        description="monthly share of the gap to the indicated hardness closed (1/month)",
    )
    stance_size: float = Field(
        0.5,
        ge=0,
        le=10,
        description="hardness per log10(1 + protesters per 1000 people) (D8) (hardness per log10)",
    )
    stance_breadth: float = Field(
        0.6, ge=0, le=10, description="hardness removed at full protest breadth (D1) (hardness)"
    )
    stance_target: float = Field(
        0.5,
        ge=0,
        le=10,
        description="hardness at full share of protest in units being sold (D8) (hardness)",
    )
    escalation: float = Field(
        0.5,
        ge=0,
        le=1,
        description="escalation added by a win in a sold unit (D4, line 93) (escalation)",
    )
    privatization_harshness: float = Field(
        0.5, ge=0, le=10, description="extra repression of visible protest in sold units (D8) (×)"
    )
    court_access: float = Field(
        0.1,
        ge=0,
        le=1,
        description="monthly chance a defeated unit protest wins in court (D13) (1/month)",
    )
    police_reluctance: float = Field(
        0.4,
        ge=0,
        le=1,
        description="police effort withheld from workers without pressure (D14) (share)",
    )
    challenge_months: float = Field(
        12.0,
        ge=0,
        le=600,
        description="months after a unit's sale in which its protest contests the sale "
        "(D8, L93); later it defends benefits (C1, L27) (months)",
    )


def stance_levers(
    stance: str,
    repression: float | None = None,
    concession_bias: float | None = None,
    deterrence: float | None = None,
    proxy: float | None = None,
) -> tuple[float, float, float, float]:
    """The stance's (repression, concession_bias, deterrence, proxy), with overrides."""
    r, c, d, x = STANCES[stance]
    return (
        r if repression is None else repression,
        c if concession_bias is None else concession_bias,
        d if deterrence is None else deterrence,
        x if proxy is None else proxy,
    )


#: preset → starting hardness (soft 0, mixed ½, hard 1)
HARDNESS = {"soft": 0.0, "mixed": 0.5, "hard": 1.0}


def hardness_levers(h: float) -> tuple[float, float, float, float]:
    """(repression, concession_bias, deterrence, proxy) at hardness ``h`` in [0, 1]:
    linear between the soft, mixed and hard presets (h = 0, ½, 1)."""
    h = float(np.clip(h, 0.0, 1.0))
    lo, hi, w = ("soft", "mixed", 2 * h) if h <= 0.5 else ("mixed", "hard", 2 * h - 1)
    return tuple(a + w * (b - a) for a, b in zip(STANCES[lo], STANCES[hi], strict=True))


def indicated_hardness(
    h0: float,
    protesters_per_1000: float,
    breadth: float,
    sold_share: float,
    w_size: float,
    w_breadth: float,
    w_target: float,
) -> float:
    """The hardness this month's protest calls for, in [0, 1] (seed 003 D1, D2, D8).

    Large visible protest is met harder (D8, line 100: "particularly strong"), the more
    so where it challenges privatization (protest in sold units, D8); broad protest —
    many units and classes at once — is conceded to rather than crushed (D1, lines 21,
    93). The preset ``h0`` is the starting bias the response relaxes back to.
    """
    h = (
        h0
        + w_size * np.log10(1.0 + protesters_per_1000)
        - w_breadth * breadth
        + w_target * sold_share
    )
    return float(np.clip(h, 0.0, 1.0))


def protest_to_harden(
    locality: np.ndarray,
    claim: np.ndarray,
    size: np.ndarray,
    restructured: np.ndarray,
    step_index: int,
    challenge_months: float,
) -> tuple[float, float]:
    """People in the month's events that the stance answers (seed 003 C1, D2, D8):
    ``(all but benefit defence, those challenging privatization)``.

    Protest in a unit being sold (sold within ``challenge_months``) challenges
    privatization itself (D8, lines 93, 100; ``state_response.challenging_units``). The
    laid-off and retired of a unit sold earlier defend residual benefits (C1, line 27:
    "rather than to prevent the loss of the factories themselves"), which the state
    pacifies with payments (D2, line 97) rather than harden its line against: their
    events count in neither.
    """
    n_u = restructured.size
    at_unit = locality < n_u
    unit = np.minimum(locality, max(n_u - 1, 0))
    window = challenging_units(restructured, step_index, challenge_months)
    challenging = at_unit & window[unit] if n_u else np.zeros(locality.size, dtype=bool)
    sold = at_unit & (restructured[unit] >= 0) if n_u else challenging
    defence = sold & ~challenging & np.isin(claim, BENEFIT_CLAIMS)
    return float(size[~defence].sum()), float(size[challenging].sum())


def next_hostility(hostility: float, proxy: float, urban_events: int, gain: float) -> float:
    """Worker–peasant hostility after a month of proxy repression (F4, line 95), in [0, 1]."""
    used = proxy if urban_events > 0 else 0.0
    return float(min(hostility + gain * used * (1.0 - hostility), 1.0))


@register
class RepressionConcession(Regime):
    name = "repression_concession"
    title = "Repression and concession repertoire"
    summary = (
        "Sets how hard the state represses, how readily it concedes, how much fear a "
        "defeat leaves, and whether hired proxies do the dirty work (soft/mixed/hard)."
    )
    Params = RepressionConcessionParams
    sources = (
        Source("003_34c2b211615d9395.txt", "21", "mass support forces roll back; the 'model'"),
        Source("003_34c2b211615d9395.txt", "25", "leaders detained 2 and 4 months"),
        Source("003_34c2b211615d9395.txt", "93", "peasant thugs hired; fear after defeat"),
        Source("003_34c2b211615d9395.txt", "95", "we had to fight them; police under pressure"),
        Source("003_34c2b211615d9395.txt", "97", "isolated protests end in one-time payments"),
        Source("003_34c2b211615d9395.txt", "100", "visible workers, invisible peasants"),
        Source("003_34c2b211615d9395.txt", "93", "D4 escalation after wins; D13 the courts"),
        Source("003_34c2b211615d9395.txt", "100", "D8 'particularly strong' vs privatization"),
        Source("003_34c2b211615d9395.txt", "95", "D14 police chief 'under pressure'"),
    )

    def levers(self) -> tuple[float, float, float, float]:
        """The month's levers: the current hardness, with the file's explicit overrides."""
        prm = self.params
        r, c, d, x = hardness_levers(getattr(self, "hardness", HARDNESS[prm.stance]))
        return stance_levers(
            prm.stance,
            r if prm.repression is None else prm.repression,
            c if prm.concession_bias is None else prm.concession_bias,
            d if prm.deterrence is None else prm.deterrence,
            x if prm.proxy_enforcers is None else prm.proxy_enforcers,
        )

    def on_start(self, model) -> None:
        p, u = model.people, model.units
        self.hostility = 0.0
        self.hardness = HARDNESS[self.params.stance]
        if self.params.model_seizures:
            state = np.flatnonzero(u.ownership == Ownership.STATE)
            pool = state if state.size else np.arange(u.n)
            k = min(self.params.model_seizures, pool.size)
            u.model_seizure[model.rng.choice(pool, size=k, replace=False)] = True
        # Ties between urban workers and peasants or migrants (F4), by stored entry.
        ties = model.ties
        rows = np.repeat(np.arange(ties.shape[0]), np.diff(ties.indptr))
        a, b = p.kind[rows], p.kind[ties.indices]
        rural = (Kind.PEASANT, Kind.MIGRANT)
        self.cross = ((a == Kind.WORKER) & np.isin(b, rural)) | (
            np.isin(a, rural) & (b == Kind.WORKER)
        )
        # (their positions, written each month: a few of all the ties)
        self._cross_at = np.flatnonzero(self.cross)

    def apply(self, model, levers) -> None:
        rep, bias, det, proxy = self.levers()
        levers.repression *= rep
        levers.concession_bias += bias
        if np.any(model.units.model_seizure):
            levers.concession_bias += self.params.model_effect
        levers.deterrence *= det
        levers.proxy_enforcers = max(levers.proxy_enforcers, proxy)
        prm = self.params
        levers.escalation = max(levers.escalation, prm.escalation)
        levers.privatization_harshness = max(
            levers.privatization_harshness, prm.privatization_harshness
        )
        levers.court_access = max(levers.court_access, prm.court_access)
        levers.police_reluctance = max(levers.police_reluctance, prm.police_reluctance)
        levers.challenge_months = min(levers.challenge_months, prm.challenge_months)
        # D14: the harder the line from above, the more the police are pressed to act.
        levers.superior_pressure = min(levers.superior_pressure, self.hardness)

    def on_step(self, model) -> None:
        urban_events = int(np.count_nonzero(model.events.urban))
        self.hostility = next_hostility(
            self.hostility, model.levers.proxy_enforcers, urban_events, self.params.hostility_gain
        )
        model.ties.data[self._cross_at] = np.float32(1.0 - self.hostility)
        model.tally["worker_peasant_hostility"] = self.hostility
        # The stance as a response to protest size, breadth and target (D1, D2, D8).
        ev, prm = model.events, self.params
        h0 = HARDNESS[prm.stance]
        if "emergent_stance" in model.mechanisms:
            people = max(float(model.loc_size.sum()) * model.params.people_per_agent, 1.0)
            hard_people, challenging = protest_to_harden(
                ev.locality,
                ev.claim,
                ev.size,
                model.units.restructured,
                model.step_index,
                model.levers.challenge_months,
            )
            total = float(ev.size.sum())
            target = indicated_hardness(
                h0,
                1000.0 * hard_people / people,
                float(ev.breadth),
                challenging / total if total > 0 else 0.0,
                prm.stance_size,
                prm.stance_breadth,
                prm.stance_target,
            )
            self.hardness += prm.stance_adapt * (target - self.hardness)
        else:
            self.hardness = h0
        model.tally["state_hardness"] = self.hardness
