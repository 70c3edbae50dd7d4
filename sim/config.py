"""Scenario files: pydantic models and a loader that rejects bad input before anything runs.

Every error names the file, the field path and what is allowed, so a user editing YAML
can fix it without reading code. :func:`load_scenario` raises :class:`ScenarioError`;
the CLI turns that into exit code 2.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from sim.calendar import Month
from sim.epstein_params import EpsteinParams
from sim.mechanisms import Mechanisms
from sim.regimes import RegimeSpec
from sim.reporters import Reporter, Snapshots, outcome_problems
from sim.schema import StrictModel, field_error

#: A city of 10^7 people at one agent per person (issue 17) with room to spare; about
#: 0.55 GiB of memory per 10^6 agents (benchmarks/city.py).
MAX_AGENTS = 20_000_000


class ScenarioError(ValueError):
    """Invalid input; ``problems`` holds one ``(field path, message)`` pair per error."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s)"]
        lines += [f"  {path or '(top level)'}: {msg}" for path, msg in problems]
        super().__init__("\n".join(lines))


class Population(StrictModel):
    """Agent counts per type, and the collectives they belong to."""

    cadres: int = Field(
        300, ge=1, le=MAX_AGENTS, description="cadres (managers, party, security) (agents)"
    )
    technicians: int = Field(
        600, ge=0, le=MAX_AGENTS, description="engineers and technicians (agents)"
    )
    workers: int = Field(
        9000, ge=0, le=MAX_AGENTS, description="urban workers with local residency (agents)"
    )
    migrants: int = Field(
        0, ge=0, le=MAX_AGENTS, description="rural migrants working in the city (agents)"
    )
    peasants: int = Field(0, ge=0, le=MAX_AGENTS, description="peasant households (agents)")
    units: int = Field(40, ge=1, le=100_000, description="work units (enterprises, danwei) (units)")
    villages: int = Field(
        0, ge=0, le=100_000, description="villages (needed for peasants, migrants) (villages)"
    )
    mining_share: float = Field(
        0.1, ge=0, le=1, description="share of units that are mines (share)"
    )
    state_share: float = Field(
        0.9, ge=0, le=1, description="share of units in state ownership at start (share)"
    )

    @model_validator(mode="after")
    def _collectives_present(self) -> Population:
        if (self.peasants > 0 or self.migrants > 0) and self.villages == 0:
            raise field_error("villages", "must be >= 1 when there are peasants or migrants")
        if self.total > MAX_AGENTS:
            raise field_error("cadres", f"total agents {self.total} exceed {MAX_AGENTS}")
        return self

    @property
    def total(self) -> int:
        return self.cadres + self.technicians + self.workers + self.migrants + self.peasants


def _p(default: float, lo: float, hi: float, desc: str) -> Any:
    return Field(default, ge=lo, le=hi, description=desc)


class Params(StrictModel):
    """Global parameters of the submodels (docs/ODD.md, Submodels, gives each its source)."""

    spinup_months: int = Field(
        12,
        ge=0,
        le=600,
        description="unrecorded months under neutral rules before the start (months)",
    )

    # legitimacy (Epstein 2002; seed 002 E7-E8; seed 003 A8)
    legitimacy: float = _p(0.8, 0, 1, "baseline regime legitimacy L0 (Epstein's L) (0–1)")
    legitimacy_reversion: float = _p(
        0.05, 0, 1, "monthly pull of legitimacy back to its target (1/month)"
    )
    legitimacy_performance: float = _p(
        0.5,
        0,
        10,
        "legitimacy gained per unit of trend monthly output growth (legitimacy per unit monthly growth)",
    )
    legitimacy_privilege: float = _p(
        0.02,
        0,
        1,
        "monthly legitimacy lost per unit visible privilege (legitimacy per unit privilege per month)",
    )
    legitimacy_chaos: float = _p(
        0.03,
        0,
        1,
        "monthly legitimacy lost per unit campaign intensity (legitimacy per unit intensity per month)",
    )
    legitimacy_repression: float = _p(
        0.5, 0, 10, "legitimacy lost per share of people arrested (legitimacy per share)"
    )
    legitimacy_concession: float = _p(
        0.2, 0, 10, "legitimacy gained per share of people won policy concessions (per share)"
    )
    legitimacy_broken_pledges: float = _p(
        0.05,
        0,
        1,
        "monthly legitimacy lost per share of people laid off, weighted by status lost "
        "(seed 003 line 29: pledges not kept) (per share per month)",
    )
    legitimacy_unrest: float = _p(
        0.5,
        0,
        10,
        "legitimacy lost per visibility-weighted share of people in protest left "
        "unresolved (seed 003 line 108) (per share)",
    )
    legitimacy_presence: float = _p(
        0.15, 0, 1, "local legitimacy bonus at full cadre presence (legitimacy)"
    )
    legitimacy_corruption: float = _p(
        0.15, 0, 1, "local legitimacy penalty at full cadre corruption (legitimacy)"
    )
    # hardship and grievance (Epstein 2002; seed 003 A1-A10)
    hardship_idiosyncratic: float = _p(
        0.35, 0, 1, "weight of fixed personal hardship H0 ~ U(0,1) (hardship per unit H0)"
    )
    hardship_income: float = _p(
        0.45, 0, 2, "weight of income below subsistence (hardship per unit shortfall)"
    )
    hardship_status: float = _p(
        0.25,
        0,
        2,
        "weight of lost status (laid off, denied status) (hardship per unit status loss)",
    )
    hardship_arrears: float = _p(0.3, 0, 2, "weight of wage arrears (months owed / 6)")
    hardship_land: float = _p(
        0.3, 0, 2, "weight of land lost (peasants) (hardship per share of land)"
    )
    hardship_health: float = _p(
        0.2, 0, 2, "weight of depleted health (migrants) (hardship per unit health)"
    )
    grievance_memory: float = _p(
        0.0, 0, 0.99, "share of last month's grievance carried over (0 = Epstein) (share)"
    )
    subsistence_income: float = _p(
        1.0, 0.01, 100, "monthly income that meets basic needs (wage units)"
    )
    # protest decision (Epstein 2002 Model I; science-anchors §1.2)
    threshold: float = _p(0.1, 0, 1, "Epstein's T: net grievance needed to turn active (grievance)")
    threshold_sd: float = _p(0.0, 0, 1, "spread of individual thresholds (Granovetter) (grievance)")
    activism_threshold: float = _p(
        0.2,
        0,
        1,
        "share of the protest threshold a fully committed activist (activism 1) no "
        "longer needs (seed 003 lines 25, 73) (share)",
    )
    arrest_k: float = _p(2.3, 0, 20, "Epstein's k in P = 1 - exp(-k floor(C/A)) (dimensionless)")
    discretization: Literal["floor", "round", "none"] = Field(
        "none",
        description="how C/A is discretized before the exponential: none = Epstein's printed "
        "formula (default here), floor = NetLogo Rebellion, round = Mesa's example",
    )
    vision: int = Field(
        40,
        ge=1,
        le=10_000,
        description="represented people a person sees in their unit or village (people)",
    )
    network_weight: float = _p(
        1.0, 0, 10, "weight of active network ties in the active count A (agents per active tie)"
    )
    nothing_to_lose: float = _p(
        0.5,
        0,
        1,
        "share of risk aversion shed at full status loss (seed 003 B6, line 100: "
        "'not afraid to die, since they have nothing') (share)",
    )
    police_per_1000: float = _p(
        6.0, 0, 1000, "public-security officers per 1000 people (officers per 1000 people)"
    )
    police_reach: float = _p(
        15.0, 0, 1000, "people one officer or security cadre can watch (people)"
    )
    security_cadre_share: float = _p(0.1, 0, 1, "share of cadres in a security role (share)")
    # state response (seed 003 D1-D15)
    arrests_per_officer: float = _p(
        0.5,
        0,
        100,
        "arrests one enforcer can make per protest month (people per enforcer per month)",
    )
    jail_min: int = Field(2, ge=0, le=600, description="shortest detention (seed 003 L25) (months)")
    jail_max: int = Field(4, ge=0, le=600, description="longest detention (seed 003 L25) (months)")
    concession_base: float = _p(
        -3.0, -20, 20, "log-odds of a concession for a tiny isolated protest (log-odds)"
    )
    concession_size: float = _p(
        0.8, 0, 10, "log-odds per log10 of protest size (log-odds per log10 people)"
    )
    concession_breadth: float = _p(
        3.0, 0, 20, "log-odds per unit breadth (share of units protesting)"
    )
    restored_stipend_months: int = Field(
        12,
        ge=0,
        le=600,
        description="stipend months a policy concession restores to the denied (months)",
    )
    pacification_payment: float = _p(
        3.0, 0, 100, "one-time payment to participants (months of wage)"
    )
    fear_after_defeat: float = _p(
        0.15, 0, 1, "fear added to a locality whose protest was crushed, at full turnout (fear)"
    )
    fear_turnout: float = _p(
        0.01,
        0.001,
        1,
        "turnout (share of the locality's people) at which a crushed protest frightens "
        "everyone there fully; smaller defeats frighten in proportion (seed 003 D7) (share)",
    )
    fear_decay: float = _p(0.1, 0, 1, "monthly decay of fear (1/month)")
    visibility_scale: float = _p(
        1000.0, 1, 1e7, "protest size at which an event is fully visible (people)"
    )
    rural_visibility: float = _p(0.3, 0, 1, "visibility of rural protest relative to urban (ratio)")
    people_per_agent: float = _p(
        1.0, 0.001, 1e6, "real people one agent stands for (size classes) (people per agent)"
    )
    # organized protest: leaders and linkage (seed 003 B1 L25 L29, E4 L97, L100; helper protest)
    leader_activism: float = _p(
        0.3,
        0,
        2,
        "leadership score (activism + cohort bonus) at which an active person leads "
        "others (seed 003 B1, lines 25, 29) (index)",
    )
    leader_cohort_born: int = Field(
        1958,
        ge=1900,
        le=2100,
        description="latest birth year of the experienced cohort, the Cultural Revolution "
        "generation that 'most often leads these struggles' (seed 003 line 29) (year)",
    )
    leader_cohort_bonus: float = _p(
        0.2,
        0,
        1,
        "leadership score the experienced cohort adds to activism (seed 003 line 29: "
        "'consciousness absorbed in earlier periods of ... mobilization') (index)",
    )
    leader_effect: float = _p(
        0.3,
        0,
        1,
        "share of the protest threshold others no longer need once they see active "
        "leaders (saturating, 1 − exp(−leaders seen)) (share)",
    )
    link_memory: float = _p(
        0.5,
        0.001,
        100,
        "organizational memory at which a work unit is fully linked to the others: "
        "person-months of protest per member, the sum of its monthly active shares (0.5 = "
        "ten months with 5 % out; seed 003 E4, line 97: repeated isolated struggle leads "
        "to linking up) (person-months per person)",
    )
    linkage_weight: float = _p(
        0.5,
        0,
        5,
        "threshold lowered per unit active share of allied claims in the other linked "
        "localities (claim spill-over; seed 003 line 97) (threshold units per share)",
    )
    claim_linkage: float = _p(
        0.5,
        0,
        1,
        "affinity between different urban claims (laid-off and employed, retirees) "
        "relative to the same claim (seed 003 E4, line 97: 'both laid-off and employed') "
        "(share)",
    )
    class_linkage: float = _p(
        0.1,
        0,
        1,
        "affinity between worker and peasant claims relative to the same claim (seed 003 "
        "line 100: 'no link between these virtually simultaneous events'; line 97: efforts "
        "toward 'closer ties') (share)",
    )
    village_linkage: float = _p(
        0.25,
        0,
        1,
        "link weight of a village in the linked network (peasants reached through kin "
        "and migrants; seed 003 lines 97, 100) (share)",
    )
    # careers and factions (seed 002 C1-C9, K2-K3; science-anchors §3.2)
    promotion_rate: float = _p(
        0.01, 0, 1, "monthly promotion hazard of an average candidate (1/month)"
    )
    promotion_performance: float = _p(
        1.0, -10, 10, "beta_g: weight of unit performance (log-odds per sd of performance)"
    )
    promotion_ties: float = _p(1.0, -10, 10, "beta_f: weight of a patron tie (log-odds)")
    promotion_interaction: float = _p(
        0.5, -10, 10, "beta_gf: performance x tie (Jia et al.) (log-odds per sd of performance)"
    )
    promotion_label: float = _p(
        1.5, 0, 10, "penalty per step of bad class label (seed 002 C1) (log-odds per label step)"
    )
    faction_min_share: float = _p(
        0.02, 0, 1, "share of cadres, technicians and workers a faction needs to be counted (share)"
    )
    faction_dissolution: float = _p(
        0.01, 0, 1, "monthly chance a member drifts back when quiet (1/month)"
    )
    retirement_age: float = _p(60.0, 30, 90, "age at which workers and cadres retire (years)")
    # production and accidents (seed 000; science-anchors §3.9)
    output_growth: float = _p(
        0.004, -0.1, 0.1, "monthly technical progress in unit capacity (1/month)"
    )
    management_cost: float = _p(
        0.5,
        0,
        1,
        "output lost per unit of cadre time on the line (share of output per unit cadre time)",
    )
    accident_rate: float = _p(
        0.002, 0, 1, "monthly accidents per worker in a mine, before modifiers (1/month per worker)"
    )
    accident_rate_factory: float = _p(
        0.0002, 0, 1, "monthly accidents per worker in a factory (1/month per worker)"
    )
    fatality_share: float = _p(0.5, 0, 1, "deaths per accident (expected) (deaths per accident)")
    collusion_effect: float = _p(
        1.5, 0, 20, "gamma_c: hazard multiplier slope on collusion (multiplier per unit collusion)"
    )
    distance_effect: float = _p(
        0.8,
        0,
        20,
        "gamma_d: hazard slope on cadre distance from the line (multiplier per unit distance)",
    )
    enforcement_effect: float = _p(0.6, 0, 1, "delta: hazard reduction at full enforcement (share)")
    native_cadre_share: float = _p(0.5, 0, 1, "share of unit cadres native to the locality (share)")
    # accidents with consequences (regimes_b; issue 13.5; science-anchors §3.9)
    small_mine_hazard: float = _p(
        4.0,
        1,
        20,
        "base-hazard multiplier of small (non-state) mines (SAWS 2009: 35 % of output, "
        "70 % of deaths, about 4x per unit of output) (multiplier)",
    )
    accident_memory_fade: float = _p(
        0.1, 0.01, 1, "monthly fading of remembered deaths (1/month; assumption: ~10 months)"
    )
    accident_legitimacy: float = _p(
        0.01,
        0,
        1,
        "local legitimacy lost per remembered death per 1,000 workers at full media exposure (legitimacy per death per 1,000 workers)",
    )
    accident_blame: float = _p(
        0.05,
        0,
        5,
        "promotion log-odds a unit's cadres lose per remembered death per 1,000 workers, "
        "unless collusion shields them (log-odds per death per 1,000 workers)",
    )
    # incomes
    wage: float = _p(1.0, 0.01, 100, "urban worker's monthly wage (wage units)")
    cadre_wage: float = _p(1.5, 0.01, 100, "cadre's monthly wage (wage units)")
    migrant_wage: float = _p(0.8, 0.01, 100, "migrant's monthly wage (wage units)")
    farm_income: float = _p(
        0.6, 0.01, 100, "monthly farm income of a household with full land (wage units)"
    )
    pension: float = _p(0.7, 0, 100, "monthly pension of a retiree (wage units)")
    stipend: float = _p(0.4, 0, 100, "monthly xiagang stipend (wage units)")
    informal_income: float = _p(0.25, 0, 100, "income without any job or status (wage units)")
    # demography and hiring (docs/ODD.md 7.6.1; seed 003 lines 14, 15, 35, 40, 43, 86, 95;
    # Gompertz 1825; levels near China's 2000 life table, Banister & Hill 2004)
    mortality_60: float = _p(
        0.012, 0, 0.5, "annual death hazard at age 60 (Gompertz level) (1/year)"
    )
    mortality_slope: float = _p(
        0.09, 0, 0.3, "Gompertz slope: growth of the log death hazard per year of age (1/year)"
    )
    entry_age: float = _p(
        18.0, 14, 30, "mean age school-leavers enter the urban labour force (years; ±2)"
    )
    hiring_rate: float = _p(
        0.5, 0, 1, "monthly share of a unit's vacancies it fills while hiring (share/month)"
    )
    restructured_hiring: float = _p(
        0.5, 0, 1, "hiring rate of a sold or converted unit relative to others (ratio)"
    )
    migrant_hiring_share: float = _p(
        0.8, 0, 1, "share of a non-state unit's hires drawn from migrants, if any (share)"
    )
    migrant_health_decay: float = _p(
        0.02, 0, 1, "health a migrant loses per month on the job at average safety (1/month)"
    )
    migrant_frailty_sd: float = _p(
        0.4, 0, 2, "spread (log sd) of migrants' frailty, the multiplier on health decay (log sd)"
    )
    migrant_exit_health: float = _p(0.3, 0, 1, "health below which a migrant is worn out (0–1)")
    migrant_exhaustion_exit: float = _p(
        0.3, 0, 1, "monthly chance a worn-out migrant leaves the city for good (share/month)"
    )
    migrant_return_rate: float = _p(
        0.01, 0, 1, "monthly chance a migrant goes home for a spell (share/month)"
    )
    migrant_remigration: float = _p(
        0.2, 0, 1, "monthly chance a migrant at home looks for city work again (share/month)"
    )
    migrant_max_age: float = _p(
        45.0, 16, 90, "age after which migrants find no city work and stay home (years)"
    )
    migrant_entry_age: float = _p(19.0, 14, 40, "mean age villagers first migrate (years; ±3)")
    migrant_home_land: float = _p(0.5, 0, 2, "land a migrant at home farms (household plots)")
    # --- migration (helper `migration`, issue 18): displaced peasants (seed 003 line 40)
    landless_search: float = _p(
        0.5,
        0,
        1,
        "monthly chance a migrant at home with no plot (land 0: displaced from the land, "
        "or migrant_home_land = 0) looks for city work (share/month; seed 003 line 40)",
    )
    health_recovery: float = _p(
        0.02, 0, 1, "health regained per month away from the line (1/month)"
    )
    # network
    ties_per_agent: int = Field(6, ge=0, le=100, description="network ties each agent forms (ties)")
    long_tie_share: float = _p(
        0.05, 0, 1, "share of ties outside the agent's own unit or village (share)"
    )
    # --- elite dynamics and layered legitimacy (sim/submodels/elite.py; docs/ODD.md 7.11;
    # seed 002 lines 245-250, 1043-1056, 4298-4305; seed 003 lines 93-97, 127; Walder &
    # Lu 2017; O'Brien & Li 2006; Li 2004)
    elite_division_weight: float = _p(
        1.0, 0, 1, "weight of policy division (2 x sd of cadre loyalty) in elite cohesion (share)"
    )
    cohesion_reference: float = _p(
        0.4,
        0.01,
        1,
        "elite cohesion at which the elite's split is about half, the middle of its logistic (0-1)",
    )
    cohesion_slope: float = _p(
        12.0,
        0,
        100,
        "steepness of the elite's split around cohesion_reference; 0 gives the "
        "linear split 1 - cohesion (log-odds per unit cohesion)",
    )
    repression_capacity_loss: float = _p(
        0.7, 0, 1, "share of arrest capacity and deterrence lost at full split (share)"
    )
    contradiction_rate: float = _p(
        0.5,
        0,
        1,
        "chance a concession (policy or payment) is contradicted (reneged) at full split (share)",
    )
    fidelity_loss: float = _p(0.6, 0, 1, "implementation fidelity lost at full split (share)")
    defection_rate: float = _p(
        0.05,
        0,
        1,
        "monthly defection chance of a disloyal security cadre facing protest at "
        "full split (share/month)",
    )
    defection_months: int = Field(
        6, ge=1, le=120, description="months a defected security cadre stays defected (months)"
    )
    split_concession: float = _p(
        3.0,
        0,
        20,
        "concession log-odds added in a locality whose security is all defected (log-odds)",
    )
    local_blame: float = _p(
        0.6,
        0,
        1,
        "share of visible repression's legitimacy cost blamed on local officials "
        "rather than the centre (rightful resistance) (share)",
    )
    # Layered legitimacy for the reform era's big terms (sim/submodels/legitimacy.py
    # update_global; O'Brien & Li 2006; Li 2004; seed 003 lines 15, 23, 29, 108, 110).
    pledge_blame: float = _p(
        0.6,
        0,
        1,
        "share of a unit's broken pledges' legitimacy cost blamed on the unit's managers "
        "and officials rather than the centre (seed 003 lines 15, 23, 29) (share)",
    )
    unrest_blame: float = _p(
        0.3,
        0,
        1,
        "share of unresolved unrest's legitimacy cost blamed on the officials of the "
        "locality where it happened rather than the centre; lower than pledge_blame as the "
        "protest targets the Party itself (seed 003 lines 108, 110) (share)",
    )
    privilege_blame: float = _p(
        0.6,
        0,
        1,
        "share of visible cadre privilege's legitimacy cost blamed on the cadres people see "
        "(their unit's, else the city's) rather than the centre (seed 003 line 19) (share)",
    )
    blame_gain: float = _p(
        5.0, 0, 1000, "local blame added per share of a locality's people arrested (1/share)"
    )
    blame_decay: float = _p(
        0.02, 0, 1, "monthly decay of a locality's memory of repression (1/month)"
    )
    legitimacy_local_repression: float = _p(
        0.3, 0, 1, "local legitimacy lost at full local blame (share)"
    )
    broad_claim_share: float = _p(
        0.2,
        0.01,
        1,
        "share of localities pressing one claim at which protest is fully broad (share)",
    )
    narrow_breadth: float = _p(
        0.1, 0, 1, "breadth below which an event is isolated: paid off, never policy (0-1)"
    )
    escalation_decay: float = _p(
        0.1, 0, 1, "monthly decay of escalation after a win (D4) (1/month)"
    )
    escalation_repression: float = _p(
        1.0, 0, 10, "extra arrest capacity at full escalation (D4) (multiplier − 1)"
    )
    escalation_concession: float = _p(
        2.0, 0, 20, "concession log-odds removed at full escalation (D4) (log-odds)"
    )
    # --- constants of the state response and careers lifted to parameters (helper
    # `audit`; defaults are the former constants, so outputs are unchanged)
    model_seizure_concession: float = _p(
        1.5,
        0,
        20,
        "concession log-odds added to an event in a locality with a 'model' worker seizure: "
        "the authorities concede pre-emptively, 'afraid that the workers would take "
        "militant action', the 'model' of the paper factory seizure to follow (seed 003 "
        "E1, line 21) (log-odds)",
    )
    policy_concession_size: float = _p(
        300.0,
        1,
        1e6,
        "smallest conceded event that wins policy for its group rather than a one-time "
        "payment: size class III (seed 003 D1, lines 21, 93: 'thousands'; D2, line 97) (people)",
    )
    rural_brutality: float = _p(
        2.0,
        1,
        10,
        "arrest capacity multiplier for an invisible rural event, falling linearly to 1 at "
        "full visibility: small, unseen peasant protest is repressed 'even more brutal[ly]' "
        "(seed 003 D9, line 100) (multiplier)",
    )
    breadth_linkage_weight: float = _p(
        0.5,
        0,
        1,
        "weight of cross-locality linkage in an event's breadth, the rest being cross-class "
        "breadth (seed 003 D1–D2, lines 21, 93, 97) (share)",
    )
    detention_activism: float = _p(
        0.1,
        0,
        1,
        "activism an agent gains per share of its people detained: core activists 'kept "
        "on fighting' after 2–4 months' detention (seed 003 D7, line 25) (activism per share)",
    )
    promotion_political_capital: float = _p(
        0.5,
        0,
        10,
        "promotion log-odds per unit of political capital under full party-committee "
        "authority, scaled by 1 − manager_authority: the party weighs political capital, "
        "the one-man manager performance (seed 002 R1, R3, lines 2341–2359, 2361–2453) "
        "(log-odds per unit capital)",
    )
    promotion_loyalty_gain: float = _p(
        0.1,
        0,
        1,
        "loyalty a cadre gains on promotion, at most 1: co-optation by reward (seed 002 B1, "
        "lines 3986–3992, 'trust in cadres', Soviet case by analogy) (loyalty)",
    )
    promotion_capital_gain: float = _p(
        0.5, 0, 10, "political capital a cadre gains on promotion (capital index)"
    )
    loyalty_base: float = _p(
        0.55,
        0,
        1,
        "loyalty target of a rank-0 cadre with no privilege, persecution or label "
        "(seed 002 B1–B2) (loyalty)",
    )
    loyalty_rank: float = _p(
        0.08,
        0,
        1,
        "loyalty target added per rank (seed 002 B1: trust in cadres) (loyalty per rank)",
    )
    loyalty_privilege: float = _p(
        0.2,
        0,
        2,
        "loyalty target added per unit of the unit's privilege (seed 002 B2: material "
        "rewards) (loyalty per unit privilege)",
    )
    loyalty_persecution: float = _p(
        0.15,
        0,
        1,
        "loyalty target lost per time persecuted, up to 3 (seed 002 E1, E10: humiliation "
        "and disillusion) (loyalty per persecution)",
    )
    loyalty_label: float = _p(
        0.05,
        0,
        1,
        "loyalty target lost per step of bad class label (seed 002 C1) (loyalty per label step)",
    )
    loyalty_adjustment: float = _p(
        0.05, 0, 1, "monthly share of the gap to the loyalty target a cadre closes (1/month)"
    )
    faction_switch_rate: float = _p(
        0.2,
        0,
        1,
        "monthly chance an aligned person reconsiders their side, per unit of mobilization, "
        "before hardening (seed 002 K15) (share/month per unit mobilization)",
    )
    splinter_rate: float = _p(
        0.02,
        0,
        1,
        "monthly chance a person once targeted founds a splinter faction, per unit of "
        "mobilization (seed 002 K3) (share/month per unit mobilization)",
    )
    rebel_loyalty: float = _p(
        0.3,
        0,
        1,
        "loyalty below which an unaligned cadre with no aligned tie sides with the rebels "
        "(seed 002 C5–C6) (loyalty)",
    )
    clash_hardening: float = _p(
        0.05, 0, 1, "activism a fighter gains in a factional clash (seed 002 K2) (activism)"
    )
    # factions that act, careers that remember (helper `factions`; seed 002 K2-K15, R8-R10)
    promotion_dossier: float = _p(
        0.5,
        0,
        10,
        "log-odds of promotion lost per dossier entry, up to 3 (seed 002 3346-3356) (log-odds per entry)",
    )
    clash_rate: float = _p(
        0.6,
        0,
        10,
        "monthly hazard of a factional clash in a unit whose members all belong to two "
        "equal factions, at full contention (1/month; seed 002 3264-3270)",
    )
    clash_cross_unit: float = _p(
        0.3,
        0,
        1,
        "weight of the city-wide balance of factions in a unit's clash hazard: factions "
        "allied across enterprises and bureaus (share; seed 002 3268-3270)",
    )
    clash_turnout: float = _p(
        0.3, 0, 1, "share of a clashing unit's faction members who fight, at activism 0.5 (share)"
    )
    clash_casualty: float = _p(
        0.04, 0, 1, "share of fighters injured or killed in a clash (share; Walder & Su 2003)"
    )
    clash_fatality: float = _p(
        0.1,
        0,
        1,
        "share of clash casualties who die (share; Walder & Su 2003: about as many "
        "killed as permanently injured counts the injured broadly)",
    )
    clash_grievance: float = _p(
        0.2,
        0,
        1,
        "grievance a casualty and each tie of a casualty gain: the revenge cycle "
        "(grievance; seed 002 K2, 3008-3014)",
    )
    clash_loyalty_loss: float = _p(
        0.03,
        0,
        1,
        "loyalty the cadres of a unit lose in a month it sees a clash (party "
        "prestige collapses, seed 002 E7-E8, 3871-3906) (loyalty)",
    )
    pla_dissolution: float = _p(
        0.15,
        0,
        1,
        "monthly share of mass-organization members demobilized at full military control "
        "(PLA and revolutionary committees; seed 002 3233-3242) (1/month)",
    )
    grudge_decay: float = _p(
        0.02,
        0,
        1,
        "monthly decay of the grudge (added hardship) that struggle and factional violence "
        "leave: targets stay in the workplace and relations grow 'more and more complicated' "
        "(1/month; seed 002 K1, 2776-2785)",
    )
    recruit_class: float = _p(
        1.0,
        0,
        10,
        "weight of good class background in recruitment into cadre posts (C1-C2) (score)",
    )
    recruit_party: float = _p(1.0, 0, 10, "weight of party membership in cadre recruitment (score)")
    recruit_skill: float = _p(
        1.0,
        0,
        10,
        "weight of skill (performance) in cadre recruitment (science-anchors §3.2) (score per unit skill)",
    )
    recruit_activism: float = _p(
        3.0,
        0,
        20,
        "weight of faction activism in cadre recruitment at a campaign's full activist "
        "criteria (seed 002 3675-3678, 3776-3820) (score per unit activism)",
    )

    # --- residence (helper `residence`, issue 18; sim/submodels/residence.py; seed 001
    # lines 22, 26; seed 003 line 19)
    community_delay: int = Field(
        12,
        ge=0,
        le=1200,
        description="months out of work (laid off or retired) after which a person lives in "
        "the city's residential community rather than the unit's housing; an assumption, the "
        "text says only that the housing is lost (months; 1200 = never)",
    )

    @model_validator(mode="after")
    def _life_course(self) -> Params:
        # Entrants (school-leavers ±2 years, graduates 4 years later) must reach working
        # age before retirement, and young villagers must be able to migrate at all.
        if self.entry_age + 6 >= self.retirement_age:
            raise field_error(
                "entry_age", f"must be < retirement_age - 6 ({self.retirement_age - 6:g})"
            )
        if self.migrant_entry_age + 3 >= self.migrant_max_age:
            raise field_error(
                "migrant_entry_age", f"must be < migrant_max_age - 3 ({self.migrant_max_age - 3:g})"
            )
        return self


class Output(StrictModel):
    """What a run writes besides the contract tables."""

    record_every: int = Field(
        1, ge=1, le=1200, description="record the time series every n months (months)"
    )
    events: bool = Field(True, description="write events.parquet with every protest event")
    plots: bool = Field(False, description="draw plots into the run folder after the run")
    snapshots: Snapshots | None = Field(
        None, description="agent-level rows every K months in agents.parquet (sim.reporters)"
    )


class Scenario(StrictModel):
    """A scenario file: who lives where, for how long, under which regimes."""

    name: Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.\-]+$")]
    description: str = ""
    question: str = Field("", description="the question this scenario answers")
    start: Month
    end: Month
    seed: int = Field(0, ge=0, lt=2**63, description="root seed of the run")
    population: Population = Population()
    params: Params = Params()
    regimes: list[RegimeSpec] = Field(default_factory=list)
    output: Output = Output()
    mechanisms: Mechanisms = Field(
        default_factory=Mechanisms,
        description="feedback mechanisms switched on (default) or off by name (sim.mechanisms)",
    )
    outcomes: list[Reporter] = Field(
        default_factory=list,
        description="user-defined outcomes: a statistic of an agent attribute over a group "
        "(sim.reporters), recorded monthly and summarized per run",
    )
    epstein: EpsteinParams | None = Field(
        None,
        description="run Epstein's Model I on a torus lattice instead of the city model "
        "(docking; one tick per scenario month; population, params and regimes are unused)",
    )

    @model_validator(mode="after")
    def _dates(self) -> Scenario:
        if self.end < self.start:
            raise field_error(
                "end", f"{self.end} is before start {self.start}; end must be >= start"
            )
        if self.start.months_until(self.end) > 12 * 200:
            raise field_error("end", "a scenario may span at most 200 years")
        for i, reg in enumerate(self.regimes):
            where = f"regimes[{i}] ({reg.type})"
            rs, re_ = self.regime_window(reg)
            if not self.start <= rs <= self.end:
                raise field_error(
                    f"{where}.start", f"{rs} is outside the scenario ({self.start} … {self.end})"
                )
            if not self.start <= re_ <= self.end:
                raise field_error(
                    f"{where}.end", f"{re_} is outside the scenario ({self.start} … {self.end})"
                )
            if re_ < rs:
                raise field_error(f"{where}.end", f"{re_} is before the regime's start {rs}")
        self._regime_conflicts()
        if self.params.jail_max < self.params.jail_min:
            raise field_error("params.jail_max", "must be >= params.jail_min")
        for path, msg in outcome_problems(self.outcomes, self.population):
            raise field_error(path, msg)
        if self.epstein is not None and (self.outcomes or self.output.snapshots):
            raise field_error(
                "outcomes", "user outcomes and snapshots need the city model, not epstein:"
            )
        return self

    def _regime_conflicts(self) -> None:
        """Refuse regimes that cannot hold together (issue 15, case 10).

        - A month-valued regime parameter the file sets (``convergence_start``) must fall
          inside the scenario, like the regime's own start and end. Defaults may lie
          outside: ``rural_taxes.relief_not_before`` (2003-03) in a 1978–92 run says
          that the tax-for-fee relief cannot come within it.
        - Two regimes of one type may not be active in the same month: each sets the
          same rules (``Levers``) and state, so overlapping windows would either count
          one policy twice or ask for two incompatible ones at once (``management``
          ``one_man`` and ``party_committee``). Consecutive windows are fine. A regime
          class may opt out with ``exclusive = False``.
        """
        from sim.regimes import REGISTRY

        windows = [self.regime_window(r) for r in self.regimes]
        for i, reg in enumerate(self.regimes):
            where = f"regimes[{i}] ({reg.type})"
            for name in type(reg).model_fields:
                value = getattr(reg, name)
                if name in ("start", "end") or name not in reg.model_fields_set:
                    continue
                if not isinstance(value, Month):
                    continue
                if not self.start <= value <= self.end:
                    raise field_error(
                        f"{where}.{name}",
                        f"{value} is outside the scenario ({self.start} … {self.end})",
                    )
        for j, reg in enumerate(self.regimes):
            if not getattr(REGISTRY.get(reg.type), "exclusive", True):
                continue
            for i in range(j):
                other = self.regimes[i]
                if other.type != reg.type:
                    continue
                (s_i, e_i), (s_j, e_j) = windows[i], windows[j]
                if s_j <= e_i and s_i <= e_j:
                    skip = {"type", "start", "end"}
                    a, b = other.model_dump(mode="json"), reg.model_dump(mode="json")
                    diff = [f"{k}: {a[k]} vs {b[k]}" for k in a if k not in skip and a[k] != b[k]]
                    what = f" ({'; '.join(diff)})" if diff else ""
                    raise field_error(
                        f"regimes[{j}] ({reg.type}).start",
                        f"{s_j} … {e_j} overlaps regimes[{i}] ({s_i} … {e_i}){what}; two "
                        f"{reg.type} regimes cannot be active in the same month: give them "
                        "consecutive windows (start/end) or keep one",
                    )

    @property
    def n_steps(self) -> int:
        """Number of monthly steps, start and end months included."""
        return self.start.months_until(self.end) + 1

    def regime_window(self, spec: Any) -> tuple[Month, Month]:
        return spec.start or self.start, spec.end or self.end


# Labels pydantic puts in an error's location for the member of a union that was tried.
_UNION_MEMBER = re.compile(
    r"^(function-(after|before|wrap|plain)\[.*\]|[a-z-]+\[.*\]|str|int|float|bool)$"
)


def format_validation_error(err: ValidationError) -> list[tuple[str, str]]:
    """Turn pydantic errors into ``(field path, message)`` pairs a user can act on."""
    problems = []
    for e in err.errors():
        loc = list(e["loc"])
        # Discriminated unions add the tag to the path ("regimes.0.privatization.x").
        path = ""
        for part in loc:
            if isinstance(part, str) and _UNION_MEMBER.match(part):
                continue  # "targets[0].function-after[_known(), Target].sd" -> "targets[0].sd"
            if isinstance(part, int):
                path += f"[{part}]"
            else:
                path += ("." if path else "") + str(part)
        ctx = e.get("ctx") or {}
        msg = e["msg"]
        if e["type"] == "field_error":
            prefix = ctx["path"]
            path = f"{path}.{prefix}" if path else prefix
            msg = ctx["message"]
        elif e["type"] == "unknown_key":
            path = f"{path}.{ctx['key']}" if path else ctx["key"]
            msg = f"unknown key{ctx['hint']}; allowed keys: {ctx['allowed']}"
        elif e["type"] == "union_tag_invalid":
            tag = str(ctx.get("tag")).strip("'")
            allowed = [t.strip(" '") for t in str(ctx.get("expected_tags")).split(",")]
            close = difflib.get_close_matches(tag, allowed, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            msg = f"unknown regime type {ctx.get('tag')}{hint}; allowed: {ctx.get('expected_tags')}"
        elif e["type"] == "union_tag_not_found":
            msg = "each regime needs a 'type' key naming the regime (see `cadresim regimes`)"
        elif "input" in e and not isinstance(e["input"], dict | list):
            msg = f"{msg} (got {e['input']!r}){_type_hint(e['type'], e['input'])}"
        problems.append((path, msg))
    return problems


def _type_hint(kind: str, value: Any) -> str:
    """Why a YAML value has the wrong type, when the value looks right to a reader."""
    numeric = kind.startswith(("int_", "float_")) or kind in ("int_type", "float_type")
    if numeric and isinstance(value, bool):
        return "; true/false/yes/no/on/off are booleans in YAML, not numbers"
    if numeric and isinstance(value, str):
        return "; a quoted value is text: write the number without quotes"
    if kind == "int_from_float" or (kind == "int_type" and isinstance(value, float)):
        return "; this field counts whole things: write an integer"
    if kind == "bool_type":
        return "; write true or false"
    return ""


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Validate a mapping as a scenario, raising :class:`ScenarioError`."""
    if not isinstance(data, dict):
        raise ScenarioError(source, [("", "the file must hold a mapping of scenario fields")])
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(source, format_validation_error(err)) from None


MAX_FILE_BYTES = 16 * 2**20  # a scenario, sweep or calibration file is a few kB
MAX_NODES = 1_000_000  # YAML nodes after expanding aliases ("billion laughs")


class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader, stricter in two ways that matter for scenario files.

    - A key given twice in one mapping is an error naming both lines (PyYAML keeps the
      last value silently: ``seed: 42`` then ``seed: 7`` ran with seed 7). Keys brought
      in by a ``<<`` merge may still be overridden, as YAML intends.
    - Timestamps stay strings: YAML 1.1 turns ``1993-01-15`` into a date and raises a
      bare ``ValueError`` from inside the parser for ``1995-02-30``; as a string the
      date reaches :class:`~sim.calendar.Month`, which names the field at fault.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:  # an unhashable key: the base class reports it
                    continue
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        f"while reading the mapping starting on line {node.start_mark.line + 1}",
                        node.start_mark,
                        f"duplicate key {key!r} on line {seen[key]} and line {line}; "
                        "give each key once",
                        key_node.start_mark,
                    )
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


StrictLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)
# YAML 1.1 (PyYAML) reads 1e-3 and 1e30 as strings (it wants 1.0e-3); YAML 1.2 and every
# reader of these files reads them as numbers, so this loader does too.
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9]+(?:\.[0-9]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _expanded_size(node: yaml.Node, limit: int) -> int:
    """Number of nodes once aliases are expanded, stopping early above ``limit``."""
    memo: dict[int, int] = {}

    def size(n: yaml.Node, depth: int) -> int:
        if id(n) in memo:
            return memo[id(n)]
        if depth > 200:
            raise RecursionError
        total = 1
        if isinstance(n, yaml.SequenceNode):
            for child in n.value:
                total += size(child, depth + 1)
                if total > limit:
                    break
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += size(k, depth + 1) + size(v, depth + 1)
                if total > limit:
                    break
        memo[id(n)] = total
        return total

    return size(node, 0)


def _decode(path: Path, raw: bytes) -> str:
    """The file's text; anything but UTF-8 is refused with a hint (UTF-16 has a BOM)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError(
            str(path), [("", "the file is UTF-16 text; save it as UTF-8 (YAML files are UTF-8)")]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ScenarioError(
            str(path),
            [
                (
                    "",
                    f"not UTF-8 text: byte 0x{raw[err.start]:02x} on line {line} "
                    f"(offset {err.start}) cannot be decoded; is this a binary file? "
                    "Save scenario, sweep and calibration files as UTF-8",
                )
            ],
        ) from None


def read_yaml(path: str | Path) -> Any:
    """Read a YAML file, turning I/O, encoding and syntax errors into :class:`ScenarioError`.

    Uses :class:`StrictLoader` (safe, no duplicate keys, dates as strings) and refuses
    files larger than ``MAX_FILE_BYTES`` or documents that expand beyond ``MAX_NODES``.
    """
    path = Path(path)
    try:
        if path.is_dir():
            raise ScenarioError(str(path), [("", "is a folder; give a YAML file")])
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        raise ScenarioError(str(path), [("", f"cannot read file: {err.strerror or err}")]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(
            str(path), [("", f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB")]
        )
    text = _decode(path, raw)
    loader = None
    try:
        loader = StrictLoader(text)
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, MAX_NODES) > MAX_NODES:
            raise ScenarioError(
                str(path),
                [("", f"the document expands (through aliases) beyond {MAX_NODES} nodes")],
            )
        return loader.construct_document(node)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ScenarioError(str(path), [("", f"malformed YAML: {where}{problem}")]) from None
    except RecursionError:
        raise ScenarioError(str(path), [("", "malformed YAML: nested too deeply")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file."""
    return parse_scenario(read_yaml(path), str(path))
