"""The cadresim model. ``CadreModel.step`` follows docs/ODD.md's process overview."""

from __future__ import annotations

import mesa
import numpy as np

from sim import population, regimes
from sim.agents import PERSON_CLASSES, Village, WorkUnit
from sim.calendar import Month
from sim.config import Scenario
from sim.grouping import mean_by_group
from sim.levers import Levers
from sim.outcomes import OUTCOMES, observe
from sim.state import Kind, keep_freed_memory
from sim.submodels import (
    careers,
    demography,
    economy,
    elite,
    hardship,
    legitimacy,
    production,
    protest,
    residence,
    state_response,
)
from sim.terms import Terms

#: Per-person quantities composed from named terms each month (see sim/terms.py):
#: ``hardship`` is added to perceived hardship H, ``threshold`` to the protest threshold,
#: ``fear`` to risk aversion, ``merit`` to a cadre's promotion log-odds; the last two
#: are written into their state columns.
COMPOSED_COLUMNS = ("labour_share", "tax_burden")
PERSON_TERMS = ("hardship", "threshold", "fear", "merit", *COMPOSED_COLUMNS)
#: Per-locality quantities composed from named terms: ``presence`` (cadres on the line or
#: in the community) and ``local_legitimacy`` (added to a locality's legitimacy);
#: ``layoff_deferral`` (share of a unit's due layoffs postponed, e.g. by a union agreement
#: for slow layoffs; read by ``privatization``); ``decision_accuracy`` (output gain at full
#: cadre presence on the line) and ``technician_authority`` (added to technicians' autonomy
#: in a unit), both read by ``production.produce``; ``labour_discipline`` (share of a
#: unit's output gained or, where lenient cadres let discipline slip, lost; read by
#: ``production.produce``); ``residence_legitimacy`` (legitimacy earned where people
#: *live*, indexed by residence locality; ``legitimacy.update_local`` carries it to the
#: localities where they are counted, sim/submodels/residence.py); ``worker_selection``
#: (share of a unit's choice of whom to lay off made by its workers, by equal chances
#: instead of the owner's age and education criteria; read by ``privatization._lay_off``);
#: ``military_control`` (PLA and revolutionary-committee control of a unit, added to the
#: city-wide lever; read by ``careers.update_factions`` and ``careers.contend``).
LOCALITY_TERMS = (
    "presence",
    "local_legitimacy",
    "layoff_deferral",
    "decision_accuracy",
    "technician_authority",
    "labour_discipline",
    "residence_legitimacy",
    "worker_selection",
    "military_control",
)


class CadreModel(mesa.Model):
    """Cadres, technicians, workers, migrants and peasants under policy regimes.

    Parameters
    ----------
    scenario:
        A validated :class:`~sim.config.Scenario`.
    seed:
        The run's seed; defaults to ``scenario.seed``. All randomness flows from
        ``self.rng`` (numpy) and ``self.random`` (stdlib), both seeded by Mesa from it.
    """

    #: Mesa agent objects exist only once someone asks for them (``_register_agents``).
    _agents_registered = False

    def __init__(self, scenario: Scenario, seed: int | None = None):
        seed = scenario.seed if seed is None else int(seed)
        super().__init__(rng=seed)
        self.seed = seed
        self.config = scenario  # (Mesa reserves `scenario` for its own Scenario class)
        self.params = scenario.params
        self.mechanisms = scenario.mechanisms.enabled()  # feedbacks switched on
        self.n_steps = scenario.n_steps
        self.step_index = 0
        self.date: Month = scenario.start

        # --- state (struct of arrays) -----------------------------------------------
        keep_freed_memory(scenario.population.total)  # from 10^4 rows: reuse freed temporaries
        self.units = population.build_units(scenario, self.rng)
        self.villages = population.build_villages(scenario, self.rng)
        self.people = population.build_people(scenario, self.units, self.rng)
        self.n_localities = self.units.n + self.villages.n + 1
        self.locality = population.locality_of(self.people, self.units.n, self.villages.n)
        ties = population.build_ties(
            self.locality,
            self.n_localities,
            self.people,
            self.params.ties_per_agent,
            self.params.long_tie_share,
            self.rng,
        )
        graph_seed = int(self.rng.integers(0, 2**31 - 1))
        self.cadre_edges = population.cadre_network(self.people.count(Kind.CADRE), graph_seed)
        self.ties = population.add_cadre_network(
            ties, self.cadre_edges, self.people.rows(Kind.CADRE).start
        )
        urban_kinds = (Kind.CADRE, Kind.TECHNICIAN, Kind.WORKER)
        self.faction_pool = np.isin(self.people.kind, urban_kinds)
        self.faction_pool_size = int(self.faction_pool.sum())
        self.loc_urban = np.ones(self.n_localities, dtype=bool)
        self.loc_urban[self.units.n : self.units.n + self.villages.n] = False
        self.loc_is_community = np.ones(self.n_localities)
        self.loc_is_community[: self.units.n] = 0.0
        self.loc_model_seizure = np.zeros(self.n_localities)

        # --- Mesa agents: registered on first use, each a view on its row -------------
        # The rules never touch agent objects, and 10^7 of them would cost minutes and
        # gigabytes; ``agents``/``agents_by_type`` register them all when first asked
        # (``_register_agents``).

        # --- collective state ---------------------------------------------------------
        self.levers = Levers()
        n = self.people.n
        #: rows recycled for newcomers since the regimes last acted (sim/submodels/demography.py)
        self.renewed = np.zeros(n, dtype=bool)
        self.terms = Terms(
            {**dict.fromkeys(PERSON_TERMS, n), **dict.fromkeys(LOCALITY_TERMS, self.n_localities)}
        )
        self.legitimacy = float(self.params.legitimacy)
        self.output_growth = 0.0
        self.growth_trend = 0.0
        self.tally: dict[str, float] = {}
        self.unit_growth_ema = np.zeros(self.units.n)
        self.unit_performance = np.zeros(self.units.n)
        self.refresh_structure()
        self.units.staff0 = self.unit_staff()
        self.units.output = self.units.capacity.copy()
        self.local_legitimacy = np.full(self.n_localities, self.legitimacy)
        residence.update(self)  # where people live, before any regime reads it

        self.regimes = [regimes.build(spec) for spec in scenario.regimes]
        for i, regime in enumerate(self.regimes):
            regime.key = f"{regime.name}#{i}"
        self.windows = [scenario.regime_window(spec) for spec in scenario.regimes]
        self.events = protest.aggregate(self)
        # The state's memory of its response (D4 escalation, local blame) and the elite's
        # state (cohesion, defections, the capacities they set): sim/submodels/elite.py.
        self.response = state_response.init(self.n_localities)
        # Legitimacy costs blamed on local officials, per locality (legitimacy.Layers).
        self.layers = legitimacy.init(self.n_localities)
        self.elite = elite.init(self)
        self.records = np.full((self.n_steps, len(OUTCOMES)), np.nan)
        self.user_records = np.full((self.n_steps, len(scenario.outcomes)), np.nan)
        self._spin_up(self.params.spinup_months)

    # --- Mesa agents ----------------------------------------------------------------------
    def _register_agents(self) -> None:
        """Register one Mesa agent per row (people by type, then units, then villages).

        Deferred from ``__init__`` until Mesa's agent API is first used: the order, and so
        every ``unique_id``, is the same as registering them up front, and no random draw
        is involved, so a run's results do not depend on whether anyone looked.
        """
        if self._agents_registered:
            return
        self._agents_registered = True
        for kind, cls in PERSON_CLASSES.items():
            for row in range(self.people.rows(kind).start, self.people.rows(kind).stop):
                cls(self, row)
        for row in range(self.units.n):
            WorkUnit(self, row)
        for row in range(self.villages.n):
            Village(self, row)

    @property
    def agents(self):
        """Mesa's AgentSet of every agent (registered on first access)."""
        self._register_agents()
        return self._all_agents

    @agents.setter
    def agents(self, value) -> None:
        mesa.Model.agents.fset(self, value)  # Mesa's own error message

    @property
    def agents_by_type(self):
        """Mesa's AgentSets by class (registered on first access)."""
        self._register_agents()
        return self._agents_by_type

    @property
    def agent_types(self) -> list[type]:
        self._register_agents()
        return list(self._agents_by_type)

    # --- structure derived from state, recomputed each month ---------------------------
    def refresh_structure(self) -> None:
        """Recompute locality membership and per-locality aggregates from the arrays."""
        p, n_loc = self.people, self.n_localities
        self.locality = population.locality_of(p, self.units.n, self.villages.n)
        self.loc_size = np.bincount(self.locality, minlength=n_loc).astype(np.float64)
        # Vision is in represented people, so perceived risk is free of people_per_agent.
        self.loc_vision = protest.people_in_view(
            self.loc_size * self.params.people_per_agent, self.params.vision
        )
        # People are stored in blocks by type, so a type's rows are a slice (in row order,
        # as a mask would select them).
        cadre = p.rows(Kind.CADRE)
        c_loc = self.locality[cadre]
        self.loc_security = np.bincount(
            c_loc, weights=p.security[cadre].astype(np.float64), minlength=n_loc
        )
        self.loc_cadre_labour = mean_by_group(c_loc, p.labour_share[cadre], n_loc)
        self.loc_cadre_corruption = mean_by_group(c_loc, p.corruption[cadre], n_loc)
        u = self.units.n
        self.unit_native_share = mean_by_group(c_loc, p.native[cadre], n_loc)[:u]
        tech = p.rows(Kind.TECHNICIAN)
        self.unit_tech_alienation = mean_by_group(self.locality[tech], p.alienation[tech], n_loc)[
            :u
        ]
        self.loc_model_seizure[:u] = self.units.model_seizure
        potential = self.units.capacity * np.power(
            np.clip(self.unit_staff() / np.maximum(self.units.staff0, 1), 0, 2), 0.7
        )
        ratio = np.where(potential > 0, self.units.output / np.maximum(potential, 1e-12), 1.0)
        self.unit_distress = np.clip(1.0 - ratio, 0.0, 1.0)
        # Visible cadre privilege: what restructuring left behind in particular units
        # (seed 003 line 19).
        self.unit_privilege = np.clip(self.units.privilege, 0, 1)
        self.visible_privilege = float(np.clip(self.units.privilege.mean(), 0, 1))

    def unit_staff(self) -> np.ndarray:
        """Employed people (all types) per unit."""
        from sim import kernels

        return kernels.unit_staff(self.people.status, self.people.unit, self.units.n)

    # --- regimes --------------------------------------------------------------------
    def _levers_for(self, date: Month) -> Levers:
        """Start and end regimes by date, then let the active ones set this month's rules."""
        levers = Levers()
        for regime, (start, end) in zip(self.regimes, self.windows, strict=True):
            should = start <= date <= end
            if should and not regime.active:
                regime.active = True
                regime.on_start(self)
            elif not should and regime.active:
                regime.active = False
                regime.on_end(self)
        for regime in self.regimes:
            if regime.active:
                regime.apply(self, levers)
        return levers

    def active_regimes(self) -> list[str]:
        return [r.name for r in self.regimes if r.active]

    # --- the month ----------------------------------------------------------------------
    def step(self) -> None:
        """One month, in the order of docs/ODD.md "Process overview and scheduling"."""
        self.date = self.config.start.plus(self.step_index)
        self.tally = {}
        # 1. Policy: regimes switch by date, set the month's rules and terms, act on state.
        self.terms.new_month()
        self.levers = self._levers_for(self.date)
        for regime in self.regimes:
            if regime.active:
                regime.on_step(self)
        self._compose_columns()
        self._processes()
        # 7. Observation (built-in outcomes, then the scenario's own).
        observe(self)
        self.step_index += 1
        if self.step_index >= self.n_steps:
            self.running = False

    def _compose_columns(self) -> None:
        """Write the month's composed columns: each is the sum of its terms, nothing else.

        ``labour_share`` (cadre time on the line) and ``tax_burden`` (taxes and fees) are
        read by core submodels as columns; no regime writes them directly, so stacked
        regimes add up and an ended regime's share disappears with its term.
        """
        p = self.people
        for q in COMPOSED_COLUMNS:
            p.arrays[q][...] = np.clip(self.terms.total(q), 0.0, 1.0)

    def _processes(self) -> None:
        """Steps 2–6 of the month: everything but policy and observation."""
        # The regimes have seen last month's newcomers (``renewed``); start a new record.
        self.renewed[:] = False
        self.refresh_structure()
        # 2. Work: benefits owed, ageing and retirement, deaths and entrants, migrants'
        #    departures, hiring into vacant posts, production, pay.
        economy.benefits(self)
        economy.age_and_retire(self)
        demography.update(self)
        #    Where people live after this month's layoffs, retirements and hires.
        residence.update(self)
        production.produce(self)
        economy.pay(self)
        # 3. Perception: legitimacy where people live (remembered deaths weigh on it and
        #    on the responsible cadres' careers), then hardship and grievance.
        production.accident_consequences(self)
        legitimacy.update_local(self)
        careers.grudges(self)
        hardship.update(self)
        # 4. Contention: protest decisions, events, the state's response.
        state_response.decay(self)
        protest.update(self)
        self.events = protest.aggregate(self)
        state_response.respond(self, self.events)
        # 5. The elite: legitimacy moves, careers, co-optation and factions.
        legitimacy.update_global(self)
        careers.promote(self)
        careers.update_loyalty(self)
        careers.update_factions(self)
        careers.contend(self)
        #    Cohesion and co-optation set next month's capacity of the state; defections.
        elite.update(self)
        # 6. Safety: accidents in every unit.
        production.accidents(self)

    def _spin_up(self, months: int) -> None:
        """Run ``months`` unrecorded months under neutral rules before the start month.

        A freshly drawn population has no fear, no one in detention and no memory of the
        state's response, so its first months hold a burst of protest that deterrence then
        suppresses — an artefact of initialization, not of the period. Spin-up lets that
        settle before anything is recorded; regimes take no part in it.
        """
        for _ in range(months):
            self.tally = {}
            self.levers = Levers()
            self.terms.new_month()
            self._compose_columns()
            self._processes()
        self.tally = {}
        self.levers = Levers()
        self.terms.new_month()

    def run(self) -> None:
        """Run every month of the scenario."""
        while self.running and self.step_index < self.n_steps:
            self.step()
