"""Policy levers: the rule settings that regimes change.

Every step the model starts from the neutral levers derived from the scenario's
``params`` and lets each active regime adjust them (``Regime.apply``). Because they
are rebuilt each step, switching a regime off restores the rules it changed
without any bookkeeping; persistent consequences (layoffs, labels, factions) live in
agent state instead, where the texts say they stick.

Levers are the month's *rules*, one scalar each, combined across regimes by commutative
operations (max, min, sums, products), so the order regimes run in does not matter.
Per-person and per-locality quantities that several rules touch are composed from named
terms instead (:mod:`sim.terms`). Every lever here is read by a core submodel.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Levers:
    # --- legitimacy and campaigns --------------------------------------------------
    legitimacy_target_shift: float = 0.0
    """Added to the baseline legitimacy that global legitimacy reverts to."""
    campaign_intensity: float = 0.0
    """0..1: how much of life a political campaign consumes (chaos, disruption, fear)."""
    mobilization: float = 0.0
    """0..1: monthly chance an unaligned person takes sides when factions are mobilizing."""
    faction_hardening: float = 0.0
    """0..1: how strongly time in a faction suppresses switching (seed 002 K3, K15)."""
    # --- authority in the enterprise -----------------------------------------------
    manager_authority: float = 0.5
    """0 = party committee decides production/personnel/security, 1 = one-man management."""
    technician_autonomy: float = 0.5
    """0..1: how far technicians' expertise governs production decisions."""
    # --- state response ---------------------------------------------------------------
    repression: float = 1.0
    """Multiplier on enforcement capacity (security cadres and police)."""
    concession_bias: float = 0.0
    """Added to the log-odds of conceding to a protest."""
    proxy_enforcers: float = 0.0
    """0..1: share of repression done by hired proxies (less visible, breeds division)."""
    deterrence: float = 1.0
    """Multiplier on the fear left behind by a defeated protest."""
    # --- economy -------------------------------------------------------------------------
    migrant_arrears_rate: float = 0.0
    """Extra monthly arrears probability for migrants without local rights."""
    migrant_rights: float = 1.0
    """0..1: local rights of migrants (residency, schooling, claims on employers)."""
    hiring_freeze: float = 0.0
    """0..1: share of state units' replacement hiring suspended (restructuring, seed 003 L14)."""
    migrant_supply: float = 1.0
    """0..1: villagers' willingness to (re)migrate to the city (wage convergence lowers it)."""
    land_seizure_rate: float = 0.0
    """Monthly probability a peasant household loses part of its land."""
    grain_price: float = 1.0
    """Multiplier on the state grain price paid to peasants."""
    coop_support: float = 0.0
    """0..1: state and NGO support for cooperatives."""
    # --- safety --------------------------------------------------------------------------
    collusion_shift: float = 0.0
    """Added to unit collusion between local officials and mine owners."""
    safety_enforcement: float = 0.5
    """0..1: strength of central safety enforcement and inspection."""
    media_exposure: float = 0.3
    """0..1: press and media exposure of accidents."""
    supervision_decentralized: bool = False
    """Safety of the key state mines supervised by local governments (1998–2001); other
    units are always locally supervised (the mine_safety regime)."""
    # --- grassroots reach -------------------------------------------------------------
    monitoring: float = 0.0
    """0..1: grassroots monitoring reach (danwei people, residents' committees)."""
    # --- state response conditions (repression_concession; seed 003 D4, D8, D13, D14) ---
    escalation: float = 0.0
    """0..1: escalation after a temporary win where the buyer has leverage (D4, line 93)."""
    privatization_harshness: float = 0.0
    """Extra repression (and resistance to conceding) where privatization is challenged (D8)."""
    court_access: float = 0.0
    """0..1: monthly chance a defeated unit protest wins its claim in court (D13, line 93)."""
    police_reluctance: float = 0.0
    """0..1: police reluctance to act against workers absent pressure from above (D14)."""
    superior_pressure: float = 1.0
    """0..1: pressure from superiors on the police (D14: "they will skin me")."""
    # --- the challenge to privatization (helper `layoffs`; seed 003 C1, D8) ---------------
    challenge_months: float = 1e9
    """Months after a unit's sale in which protest there still contests the sale (D8, line
    93); later, its laid-off and retired defend residual benefits (C1, line 27)."""
    # --- factions and careers (helper `factions`) ------------------------------------
    faction_contention: float = 0.0
    """0..1: how far the month's politics set mobilized factions against each other."""
    military_control: float = 0.0
    """0..1: PLA work teams and revolutionary committees demobilizing mass organizations."""
    activist_criteria: float = 0.0
    """0..1: how far cadre recruitment rewards faction activism over the normal criteria."""
