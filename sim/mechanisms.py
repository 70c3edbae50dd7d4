"""Named feedback mechanisms that a scenario can switch off, for ablation.

Every feedback of the core submodels is registered here once, by name, with what it
does, where it acts and the passage it rests on. A scenario's ``mechanisms:`` section
maps names to ``true``/``false`` (default: all on); unknown names are rejected with the
allowed list and a "did you mean" like any other key. The model holds the enabled names
as ``model.mechanisms`` (an :class:`Enabled` set), and each submodel has one small
guard where the feedback acts. Switching a feedback off gives it its neutral value (no
fear added, a zero weight, no update) and leaves every other computation — including
the random draws — as it was, so an ablation changes only the switched rule.

Guards (file : function — what "off" means):

- ``grievance_memory`` — ``submodels/hardship.py : update`` — memory weight 0.
- ``network_influence`` — ``submodels/protest.py : update`` — network weight 0.
- ``fear_deterrence`` — ``submodels/state_response.py : respond`` — no fear added.
- ``arrests`` — ``submodels/state_response.py : respond`` — arrest capacity 0.
- ``concessions`` — ``submodels/state_response.py : respond`` — concession chance 0.
- ``legitimacy_repression`` — ``submodels/legitimacy.py : update_global`` — weight 0.
- ``legitimacy_concession`` — ``submodels/legitimacy.py : update_global`` — weight 0.
- ``legitimacy_performance`` — ``submodels/legitimacy.py : update_global`` — weight 0.
- ``legitimacy_privilege`` — ``submodels/legitimacy.py : update_global`` — weight 0.
- ``legitimacy_broken_pledges`` — ``submodels/legitimacy.py : update_global`` — weight 0.
- ``legitimacy_unrest`` — ``submodels/legitimacy.py : update_global`` — weight 0.
- ``cadre_presence`` — ``submodels/legitimacy.py : update_local`` — presence bonus 0.
- ``local_corruption`` — ``submodels/legitimacy.py : update_local`` — penalty 0.
- ``protest_disruption`` — ``submodels/production.py : produce`` — protest disrupts nothing.
- ``accident_collusion`` — ``submodels/production.py : accidents`` — slope γ_c = 0.
- ``accident_distance`` — ``submodels/production.py : accidents`` — slope γ_d = 0.
- ``accident_legitimacy`` — ``submodels/production.py : accident_consequences`` — deaths
  cost no local legitimacy.
- ``accident_blame`` — ``submodels/production.py : accident_consequences`` — deaths cost
  no cadre promotion.
- ``promotion_tournament`` — ``submodels/careers.py : promote`` — β_g = β_gf = 0.
- ``promotion_patronage`` — ``submodels/careers.py : promote`` — β_f = β_gf = 0.
- ``promotion_labels`` — ``submodels/careers.py : promote`` — label penalty 0.
- ``loyalty_cooptation`` — ``submodels/careers.py : update_loyalty`` — loyalty not updated.
- ``faction_alignment`` — ``submodels/careers.py : update_factions`` — sides by labels alone.
- ``stipend_expiry`` — ``submodels/economy.py : benefits`` — stipends never run out.
- ``benefit_arrears`` — ``submodels/economy.py : benefits`` — owed benefits always paid.
- ``elite_repression_capacity`` — ``submodels/state_response.py : respond`` — full capacity.
- ``concession_coherence`` — ``submodels/state_response.py : respond`` — no concession reneged.
- ``elite_defection`` — ``submodels/elite.py : update`` — no security cadre defects.
- ``implementation_fidelity`` — ``submodels/elite.py : update`` — fidelity 1.
- ``local_blame`` — ``submodels/legitimacy.py : update_local`` — no blame terms; the
  centre bears all of repression's, broken pledges', unresolved unrest's and privilege's cost.
- ``breadth_response`` — ``submodels/state_response.py : respond`` — the share of units
  protesting as breadth; no isolation.
- ``repression_escalation`` — ``submodels/state_response.py : respond`` — no escalation.
- ``privatization_challenge`` — ``submodels/state_response.py : respond`` — no extra
  repression of protest in sold units.
- ``courts`` — ``submodels/state_response.py : respond`` — no court wins.
- ``police_reluctance`` — ``submodels/state_response.py : respond`` — police fully comply.
- ``emergent_stance`` — ``regimes/repression_concession.py : on_step`` — the stance stays
  at its preset.
- ``activist_commitment`` — ``submodels/protest.py : update`` — own activism lowers no threshold.
- ``protest_leaders`` — ``submodels/protest.py : update`` — leaders lower no one's threshold.
- ``protest_linkage`` — ``submodels/protest.py : locality_links`` — every link weight 0.
- ``factional_violence`` — ``submodels/careers.py : contend`` — clash rate 0.
- ``pla_demobilization`` — ``submodels/careers.py : unit_control`` — military control 0.
- ``promotion_dossiers`` — ``submodels/careers.py : promote`` — dossier penalty 0.
- ``activist_recruitment`` — ``submodels/demography.py : recruit_cadres`` — normal criteria only.
- ``struggle_grievance`` — ``regimes/campaign.py : struggle`` — no grudge from struggle.
- ``cadre_transfer`` — ``regimes/campaign.py : liberate`` — no liberated cadre transferred.
- ``cadre_reinstatement`` — ``regimes/campaign.py : liberate`` — former ranks not restored.
- ``struggle_leniency`` — ``regimes/campaign.py : discipline_term`` — struggled cadres'
  leniency costs no output.
- ``dossier_leaks`` — ``regimes/campaign.py : access`` (and ``leaks``) — no dossier holder is shielded,
  no file leaks to the conservatives.

To add a mechanism: append a :class:`Mechanism` to ``MECHANISMS`` (name, description,
where, source, off) and guard the rule with ``if "<name>" in model.mechanisms`` (or
``model.mechanisms.gain("<name>")`` as a 0/1 factor). Nothing else needs to change: the
scenario schema, ``cadresim effects`` and the docs test read this list.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from pydantic import Field, create_model

from sim.schema import StrictModel


@dataclass(frozen=True)
class Mechanism:
    name: str
    description: str
    where: str
    """``sim/<path>.py:<function>`` holding the guard."""
    source: str
    """Seed file and lines, an extraction's rule id, or a publication."""
    off: str
    """What the rule does when switched off (its neutral value)."""


MECHANISMS: tuple[Mechanism, ...] = (
    Mechanism(
        "grievance_memory",
        "last month's grievance carries over with weight params.grievance_memory",
        "sim/submodels/hardship.py:update",
        "003_34c2b211615d9395.txt:49 (G2, delayed reaction)",
        "memory weight 0: Epstein's memoryless G = H(1 - L)",
    ),
    Mechanism(
        "network_influence",
        "active network ties count among the actives a person sees, lowering the "
        "perceived arrest risk (threshold cascade)",
        "sim/submodels/protest.py:update",
        "Granovetter (1978); Kuran (1991); science-anchors.md §2",
        "only co-members in view count (network weight 0)",
    ),
    Mechanism(
        "fear_deterrence",
        "a protest that won nothing leaves fear in its locality",
        "sim/submodels/state_response.py:respond",
        "003_34c2b211615d9395.txt:93 (D7)",
        "no fear is added after a defeat",
    ),
    Mechanism(
        "arrests",
        "enforcers arrest the most active participants, up to their capacity",
        "sim/submodels/state_response.py:respond",
        "003_34c2b211615d9395.txt:25, 100 (D6)",
        "arrest capacity 0: no one is detained",
    ),
    Mechanism(
        "concessions",
        "the state concedes (policy or a payment) with a chance logistic in size and breadth",
        "sim/submodels/state_response.py:respond",
        "003_34c2b211615d9395.txt:21, 93, 97 (D1-D2)",
        "concession chance 0",
    ),
    Mechanism(
        "legitimacy_repression",
        "visible arrests lower global legitimacy",
        "sim/submodels/legitimacy.py:update_global",
        "003_34c2b211615d9395.txt:93, 100 (R5, D8-D9)",
        "arrests cost no legitimacy",
    ),
    Mechanism(
        "legitimacy_concession",
        "concessions raise global legitimacy",
        "sim/submodels/legitimacy.py:update_global",
        "003_34c2b211615d9395.txt:21 (D1)",
        "concessions earn no legitimacy",
    ),
    Mechanism(
        "legitimacy_performance",
        "trend output growth raises global legitimacy (performance legitimacy)",
        "sim/submodels/legitimacy.py:update_global",
        "Li & Zhou (2005); science-anchors.md §3.2",
        "growth moves no legitimacy",
    ),
    Mechanism(
        "legitimacy_privilege",
        "visible cadre privilege lowers global legitimacy",
        "sim/submodels/legitimacy.py:update_global",
        "003_34c2b211615d9395.txt:19 (A8)",
        "privilege costs no legitimacy",
    ),
    Mechanism(
        "legitimacy_broken_pledges",
        "laid-off people still without their jobs (broken pledges) lower global legitimacy",
        "sim/submodels/legitimacy.py:update_global",
        "003_34c2b211615d9395.txt:29",
        "broken pledges cost no legitimacy",
    ),
    Mechanism(
        "legitimacy_unrest",
        "visible protest the state leaves unresolved lowers global legitimacy",
        "sim/submodels/legitimacy.py:update_global",
        "003_34c2b211615d9395.txt:108",
        "unresolved protest costs no legitimacy",
    ),
    Mechanism(
        "cadre_presence",
        "cadres on the line or in communities raise local legitimacy",
        "sim/submodels/legitimacy.py:update_local",
        "000_2ce95af13791697c.txt:24, 34",
        "presence bonus 0",
    ),
    Mechanism(
        "local_corruption",
        "corruption of a locality's own cadres lowers its legitimacy",
        "sim/submodels/legitimacy.py:update_local",
        "002_683259ac5f475297.txt:3146-3152 (K11)",
        "corruption penalty 0",
    ),
    Mechanism(
        "protest_disruption",
        "the share of a unit's staff active in protest is lost from its output",
        "sim/submodels/production.py:produce",
        "002_683259ac5f475297.txt:3059-3075 (K9)",
        "protest disrupts no output (campaign disruption stays)",
    ),
    Mechanism(
        "accident_collusion",
        "collusion between officials and owners raises the accident hazard",
        "sim/submodels/production.py:accidents",
        "Jia & Nie (2017); science-anchors.md §3.9",
        "collusion slope gamma_c = 0",
    ),
    Mechanism(
        "accident_distance",
        "cadres' distance from the shop floor raises the accident hazard",
        "sim/submodels/production.py:accidents",
        "000_2ce95af13791697c.txt:8, 10, 34",
        "distance slope gamma_d = 0",
    ),
    # --- accidents with consequences (regimes_b; issue 13.5) ---
    Mechanism(
        "accident_legitimacy",
        "remembered deaths lower the unit's local legitimacy in proportion to media exposure",
        "sim/submodels/production.py:accident_consequences",
        "000_2ce95af13791697c.txt:10; Jia & Nie (2017); science-anchors.md §3.9",
        "deaths cost no local legitimacy",
    ),
    Mechanism(
        "accident_blame",
        "remembered deaths cost the unit's cadres promotion unless collusion shields them",
        "sim/submodels/production.py:accident_consequences",
        "Fisman & Wang (2015); science-anchors.md §3.9",
        "deaths cost no promotion",
    ),
    Mechanism(
        "promotion_tournament",
        "unit performance raises the promotion hazard (beta_g, beta_gf)",
        "sim/submodels/careers.py:promote",
        "Li & Zhou (2005); science-anchors.md §3.2",
        "beta_g = beta_gf = 0",
    ),
    Mechanism(
        "promotion_patronage",
        "a tie to a higher-ranked patron raises the promotion hazard (beta_f, beta_gf)",
        "sim/submodels/careers.py:promote",
        "Jia, Kudamatsu & Seim (2015); science-anchors.md §3.2",
        "beta_f = beta_gf = 0",
    ),
    Mechanism(
        "promotion_labels",
        "a bad class label lowers the promotion hazard",
        "sim/submodels/careers.py:promote",
        "002_683259ac5f475297.txt:2258-2277 (C1)",
        "label penalty 0",
    ),
    Mechanism(
        "loyalty_cooptation",
        "cadre loyalty relaxes toward what the system gives (rank, privilege) and takes "
        "(persecution, labels)",
        "sim/submodels/careers.py:update_loyalty",
        "002_683259ac5f475297.txt:3601-3604, 3932-3940, 3986-3992 (E1, E10, B1)",
        "loyalty is not updated",
    ),
    Mechanism(
        "faction_alignment",
        "people take the side of their ties, cadres that of their patron",
        "sim/submodels/careers.py:update_factions",
        "002_683259ac5f475297.txt:3008-3014, 3277-3302, 3568-3572 (K2-K3, C7)",
        "sides are chosen by earlier labels alone",
    ),
    Mechanism(
        "stipend_expiry",
        "a xiagang stipend ends after its months, leaving the worker without status",
        "sim/submodels/economy.py:benefits",
        "003_34c2b211615d9395.txt:14-15 (R2, A3)",
        "stipends never run out",
    ),
    Mechanism(
        "benefit_arrears",
        "pensions and stipends attached to a sold unit go unpaid with its hazard",
        "sim/submodels/economy.py:benefits",
        "003_34c2b211615d9395.txt:27 (C1)",
        "owed benefits are always paid",
    ),
    # --- elite dynamics, layered legitimacy, the state's conditional response (elite) ---
    Mechanism(
        "elite_repression_capacity",
        "the elite's split, graded in its cohesion, cuts arrest capacity and the fear a "
        "defeat leaves",
        "sim/submodels/state_response.py:respond",
        "002_683259ac5f475297.txt:245-250 (H1-H2)",
        "enforcers repress at full capacity whatever the elite's cohesion",
    ),
    Mechanism(
        "concession_coherence",
        "a divided elite reneges on concessions, policy and payments (vacillation, broken "
        "promises), more often the more split it is",
        "sim/submodels/state_response.py:respond",
        "002_683259ac5f475297.txt:248-250 (H2); 003_34c2b211615d9395.txt:29",
        "no concession is contradicted",
    ),
    Mechanism(
        "elite_defection",
        "the more split the elite, the more disloyal security cadres facing protest defect: "
        "lost to enforcement, they tilt their locality toward conceding",
        "sim/submodels/elite.py:update",
        "003_34c2b211615d9395.txt:95, 127 (D14); Walder & Lu (2017)",
        "no security cadre defects",
    ),
    Mechanism(
        "implementation_fidelity",
        "the elite's split lowers how faithfully cadres implement regimes (sale rate, "
        "cadre-labour compliance, grassroots visits)",
        "sim/submodels/elite.py:update",
        "002_683259ac5f475297.txt:4298-4305",
        "fidelity 1",
    ),
    Mechanism(
        "local_blame",
        "people blame local officials for repression, for their unit's broken pledges, "
        "for unrest left unresolved and for the privilege of the cadres they see: "
        "per-locality memories lower local legitimacy and spare the centre (rightful "
        "resistance)",
        "sim/submodels/legitimacy.py:update_local",
        "O'Brien & Li (2006); Li (2004); science-anchors.md §3; "
        "003_34c2b211615d9395.txt:15, 19, 23, 29, 108",
        "no blame terms; repression, broken pledges, unrest and privilege cost the centre in full",
    ),
    Mechanism(
        "breadth_response",
        "the state reads breadth from the month's events (linkage across localities, "
        "classes): broad protest wins concessions, isolated protest is paid off",
        "sim/submodels/state_response.py:respond",
        "003_34c2b211615d9395.txt:21, 93, 97 (D1-D2)",
        "breadth is the share of units protesting; no isolation rule",
    ),
    Mechanism(
        "repression_escalation",
        "a win in a sold unit brings escalation there: more arrests, courts bypassed, "
        "concessions resisted",
        "sim/submodels/state_response.py:respond",
        "003_34c2b211615d9395.txt:93 (D4)",
        "no escalation",
    ),
    Mechanism(
        "privatization_challenge",
        "visible protest in a unit being sold challenges privatization and is repressed harder",
        "sim/submodels/state_response.py:respond",
        "003_34c2b211615d9395.txt:100 (D8)",
        "sold units' protest is treated like any other",
    ),
    Mechanism(
        "courts",
        "a defeated unit protest may win its claim in court",
        "sim/submodels/state_response.py:respond",
        "003_34c2b211615d9395.txt:93 (D13)",
        "no court wins",
    ),
    Mechanism(
        "police_reluctance",
        "police act against workers only as far as superiors press them",
        "sim/submodels/state_response.py:respond",
        "003_34c2b211615d9395.txt:95 (D14)",
        "police comply fully",
    ),
    Mechanism(
        "emergent_stance",
        "the repression_concession stance hardens or softens with protest size, breadth and target",
        "sim/regimes/repression_concession.py:on_step",
        "003_34c2b211615d9395.txt:21, 93, 97, 100 (D1, D2, D4, D8)",
        "the stance stays at its preset",
    ),
    # organized protest (helper protest; issue 13 point 6)
    Mechanism(
        "activist_commitment",
        "a person's own activism lowers their protest threshold (params.activism_threshold)",
        "sim/submodels/protest.py:update",
        "003_34c2b211615d9395.txt:25, 73",
        "activism_threshold weight 0",
    ),
    Mechanism(
        "protest_leaders",
        "active leaders (activists, the Cultural Revolution cohort) lower the thresholds of "
        "those who see them; arresting them decapitates the next month's event",
        "sim/submodels/protest.py:update",
        "003_34c2b211615d9395.txt:25, 29 (B1)",
        "leader effect 0",
    ),
    Mechanism(
        "protest_linkage",
        "work units with a history of protest, and villages, link: actives of allied claims "
        "in the other linked localities lower thresholds (claim spill-over, breadth)",
        "sim/submodels/protest.py:locality_links",
        "003_34c2b211615d9395.txt:97, 100 (E4)",
        "every locality's link weight 0: struggles stay isolated",
    ),
    # --- factions that act, careers that remember (helper `factions`) ----------------
    Mechanism(
        "factional_violence",
        "mobilized factions facing each other in and across units clash, with casualties, "
        "revenge among the casualties' ties and lost face for the unit's cadres",
        "sim/submodels/careers.py:contend",
        "002_683259ac5f475297.txt:3264-3270, 3008-3014, 3871-3906 (K2, E7-E8); Walder & Su 2003",
        "no clashes (clash rate 0)",
    ),
    Mechanism(
        "pla_demobilization",
        "PLA work teams and revolutionary committees damp mobilization, suppress clashes "
        "and disband mass organizations unit by unit as the committees are set up (cadres "
        "keep their alignments)",
        "sim/submodels/careers.py:unit_control",
        "002_683259ac5f475297.txt:3233-3242, 4246-4251 (K12, R9); MacFarquhar & Schoenhals 2006",
        "military control has no effect",
    ),
    Mechanism(
        "promotion_dossiers",
        "each dossier entry (up to 3) lowers a cadre's promotion log-odds",
        "sim/submodels/careers.py:promote",
        "002_683259ac5f475297.txt:3346-3356, 2481-2486",
        "dossier penalty 0",
    ),
    Mechanism(
        "activist_recruitment",
        "while a campaign sets activist criteria, faction activists are recruited into "
        "vacant cadre posts (new cadres)",
        "sim/submodels/demography.py:recruit_cadres",
        "002_683259ac5f475297.txt:3675-3678, 3776-3820",
        "recruits are chosen by the normal criteria (class, party, skill) only",
    ),
    Mechanism(
        "struggle_grievance",
        "struggled targets and their kin keep a grudge (added hardship) that fades slowly",
        "sim/regimes/campaign.py:struggle",
        "002_683259ac5f475297.txt:2776-2785 (K1)",
        "struggle leaves no grudge",
    ),
    Mechanism(
        "cadre_transfer",
        "liberated cadres are transferred to another unit, where they recover their "
        "loyalty fully (those who stay, half)",
        "sim/regimes/campaign.py:liberate",
        "002_683259ac5f475297.txt:3609-3621 (E2)",
        "no liberated cadre is transferred",
    ),
    Mechanism(
        "cadre_reinstatement",
        "liberated cadres return to their former rank, over the new cadres who replaced them, "
        "who resent being pushed down",
        "sim/regimes/campaign.py:liberate",
        "002_683259ac5f475297.txt:3242-3245, 3682-3684",
        "liberated cadres stay at rank 0",
    ),
    # --- issue 18, helper `regimes`: leniency (E1), dossier access (O6) ------------------
    Mechanism(
        "struggle_leniency",
        "cadres struggled face to face become too lenient and their units' labour "
        "discipline and output fall, fading in the years after the campaign",
        "sim/regimes/campaign.py:discipline_term",
        "002_683259ac5f475297.txt:3597-3604 (E1)",
        "struggle costs no labour discipline",
    ),
    Mechanism(
        "dossier_leaks",
        "personnel and security cadres hold the dossiers: they escape targeting, and the "
        "files they leak arm the conservatives against targets and rebels with a file",
        "sim/regimes/campaign.py:access",
        "002_683259ac5f475297.txt:3158-3165, 3180-3182 (O6)",
        "no shield for dossier holders, no leaked files",
    ),
)

BY_NAME: dict[str, Mechanism] = {m.name: m for m in MECHANISMS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
if len(NAMES) != len(MECHANISMS):  # pragma: no cover - a registration mistake
    raise RuntimeError("duplicate mechanism name in sim.mechanisms.MECHANISMS")


class Enabled(frozenset):
    """The enabled mechanism names; asking about an unregistered name is an error.

    A guard that misspells its name would otherwise be silently off forever.
    """

    def __contains__(self, name: object) -> bool:
        if name not in BY_NAME:
            close = difflib.get_close_matches(str(name), NAMES, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise KeyError(f"unknown mechanism '{name}'{hint}; registered: {', '.join(NAMES)}")
        return frozenset.__contains__(self, name)

    def gain(self, name: str) -> float:
        """1.0 if ``name`` is enabled, else 0.0: a factor for a feedback's weight."""
        return 1.0 if name in self else 0.0


ALL = Enabled(NAMES)


def _fields() -> dict[str, Any]:
    return {
        m.name: (bool, Field(True, description=f"{m.description} (on/off; off: {m.off})"))
        for m in MECHANISMS
    }


class _MechanismsBase(StrictModel):
    """The ``mechanisms:`` section: each registered feedback, on (default) or off."""

    def enabled(self) -> Enabled:
        return Enabled(name for name in NAMES if getattr(self, name))

    def disabled(self) -> tuple[str, ...]:
        return tuple(name for name in NAMES if not getattr(self, name))


Mechanisms = create_model("Mechanisms", __base__=_MechanismsBase, **_fields())
Mechanisms.__doc__ = _MechanismsBase.__doc__


def switched_off(names: list[str] | tuple[str, ...]) -> dict[str, bool]:
    """A ``mechanisms:`` mapping that switches ``names`` off (for overrides)."""
    return {name: False for name in names}
