"""The elite as a cause: cohesion and co-optation set the state's capacity.

Seed 002's master hypothesis (``002_683259ac5f475297.txt:245-250``, H1–H2): a highly
co-opted, cohesive elite gives a stable orthodox outcome; a low degree of co-optation
gives reform "or protracted conflict or vacillation". This module turns the elite's
state into the capacities the other rules read, once a month (ODD step 5, after careers
and factions have moved):

- **Cohesion** (:func:`cohesion`), redefined so it carries information beyond
  co-optation: mean cadre loyalty (co-optation) × (1 − fractionalization over the
  cadres' blocs: factions, and the new cadres once factions dissolve, :func:`blocs`) ×
  (1 − policy division) × (1 − the share of security cadres who have defected). Policy
  division is the spread of loyalty among cadres (2 × its standard deviation): an elite
  split into gainers and losers of a policy is divided even at the same mean loyalty —
  the "elite dualism" that homogenization erodes (seed 002 lines 1043–1056) and the
  resistance of party cadres who fear the manager reform (lines 4298–4305).
- **Split** (:func:`split`): how divided the elite acts, by degree, in [0, 1] — 0 for a
  fully cohesive elite, 1 for one with no cohesion at all, a logistic in cohesion around
  ``cohesion_reference`` with slope ``cohesion_slope``, rescaled to those ends. H1–H2 ask
  for a *degree* of co-optation deciding between outcomes, so the state's capacity moves
  with every change of cohesion, not only below a threshold; the logistic's steep middle
  is the tipping region between Svolik's established and contested dictatorships and the
  cascade of 1967 (Walder & Lu 2017), and its shallow ends say that a very cohesive elite
  loses little more by a small quarrel. A slope near 0 gives the linear split 1 − cohesion.
- **Repression effectiveness**: the enforcers' arrests and the fear a defeat leaves shrink
  with the split (read by ``state_response.respond``): even a cohesive elite's enforcers
  are not quite at full capacity, and a split one's are far below it.
- **Coherence of concessions**: a divided elite concedes and reneges ("vacillation",
  line 249; "government promises, which are not kept", seed 003 line 29): the chance that
  a concession — policy or payment — is contradicted grows with the split.
- **Implementation fidelity** (``model.elite.fidelity``): how faithfully cadres carry out
  a regime (privatization's sale rate, cadre-labour compliance, grassroots visits read
  it), 1 − ``fidelity_loss`` × split (lines 4298–4305: "the party secretary has nothing
  to do ... who profess love for what they really fear").
- **Defection** (:func:`defection_hazard`): when cohesion falls, security cadres who face
  protest in their locality refuse to repress and side with it — the police chief "under
  pressure" (seed 003 line 95, D14), regiments near Beijing that "resisted" in 1989 (line
  127), and the internal rebellion of bureaucrats against their superiors that cascaded
  in 1967 (Walder & Lu 2017, science-anchors §3.3). Defectors are lost to enforcement
  and tilt their locality's state toward concession (a split elite faces protest that
  can win); their share lowers cohesion in turn, so defection can cascade.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.draws import uniform_where
from sim.state import Kind
from sim.submodels import careers


@dataclass
class EliteState:
    """What the elite rules keep between months (``model.elite``)."""

    cohesion: float
    """Elite cohesion as redefined here, in [0, 1]."""
    split: float = 0.0
    """How divided the elite acts, in [0, 1] (:func:`split`)."""
    fidelity: float = 1.0
    """Implementation fidelity the regimes read, in [0, 1]."""
    defected: np.ndarray | None = None
    """Per person: months a defected security cadre stays defected (0 = loyal)."""
    defected_share: float = 0.0
    """Share of security capacity currently defected."""


def division(loyalty: np.ndarray) -> float:
    """Policy division among cadres in [0, 1]: twice the standard deviation of loyalty.

    0 when every cadre is equally co-opted, 1 when half are fully loyal and half not at
    all (the largest spread a share can have is 0.5).
    """
    if loyalty.size == 0:
        return 0.0
    return float(min(2.0 * np.std(loyalty), 1.0))


def cohesion(
    factions: np.ndarray,
    loyalty: np.ndarray,
    defected_share: float,
    w_division: float,
) -> float:
    """Elite cohesion in [0, 1]: co-optation × unity × agreement × allegiance.

    ``careers.elite_cohesion`` gives (1 − fractionalization) × mean loyalty; this adds
    policy division (weight ``w_division``) and the defected share of security capacity.
    """
    base = careers.elite_cohesion(factions, loyalty)
    agree = 1.0 - w_division * division(loyalty)
    return float(np.clip(base * agree * (1.0 - defected_share), 0.0, 1.0))


def split(cohesion_: float, reference: float, slope: float) -> float:
    """How divided the elite acts, in [0, 1], falling continuously as cohesion rises.

    A logistic ``1 / (1 + exp(-slope × (reference − cohesion)))`` rescaled so that a
    fully cohesive elite (cohesion 1) has split 0 and one with no cohesion split 1:
    ``reference`` is the cohesion at which the elite is about half split, ``slope``
    how sharply it tips there. As ``slope`` → 0 the split is ``1 − cohesion``; as it
    grows, a step at ``reference``.
    """
    c = float(np.clip(cohesion_, 0.0, 1.0))
    if slope < 1e-3:  # the limit of the rescaled logistic (to 1e-7): linear
        return 1.0 - c

    def logistic(x: float) -> float:
        return 1.0 / (1.0 + np.exp(-slope * (reference - x)))

    lo, hi = logistic(1.0), logistic(0.0)
    return float(np.clip((logistic(c) - lo) / (hi - lo), 0.0, 1.0))


def defection_hazard(
    loyalty: np.ndarray,
    facing_protest: np.ndarray,
    split_: float,
    rate: float,
) -> np.ndarray:
    """Monthly chance a security cadre defects: ``rate`` × split × min(2(1 − loyalty), 1).

    Only cadres facing protest in their own locality have anyone to side with; the least
    co-opted go first, and the more divided the elite, the more of them go.
    """
    h = rate * split_ * np.clip(2.0 * (1.0 - loyalty), 0.0, 1.0)
    return np.where(facing_protest, np.clip(h, 0.0, 1.0), 0.0)


def blocs(model) -> np.ndarray:
    """The cadres' blocs cohesion is computed over: their factions, and the new cadres
    as a bloc of their own once the mass factions have dissolved (``careers.cadre_blocs``).

    "Old and new cadres vied for power, drawing in their personal networks of followers"
    (seed 002 3683-3684): the cleavage the Cultural Revolution left divides the corps
    into the 1970s, after the PLA has disbanded the mass organizations (3233-3242).
    Outside a campaign with activist criteria no cadre is a new cadre, and the blocs are
    the factions.
    """
    p = model.people
    rows = p.rows(Kind.CADRE)
    return careers.cadre_blocs(p.faction[rows], p.new_cadre[rows])


def init(model) -> EliteState:
    p = model.people
    rows = p.rows(Kind.CADRE)
    prm = model.params
    c = cohesion(blocs(model), p.loyalty[rows], 0.0, prm.elite_division_weight)
    # The first month's response already meets an elite divided by degree.
    s = split(c, prm.cohesion_reference, prm.cohesion_slope)
    fid = 1.0 - prm.fidelity_loss * s if "implementation_fidelity" in model.mechanisms else 1.0
    return EliteState(cohesion=c, split=s, fidelity=fid, defected=np.zeros(p.n, dtype=np.int16))


def locality_defection(model) -> np.ndarray:
    """Per locality: security capacity (agents) whose cadres have defected."""
    st, p = model.elite, model.people
    gone = st.defected > 0
    return np.bincount(
        model.locality[gone],
        weights=p.security[gone].astype(np.float64),
        minlength=model.n_localities,
    )


def update(model) -> None:
    """Defections, cohesion and the capacities the state's rules read next month."""
    p, prm, st, rng = model.people, model.params, model.elite, model.rng
    rows = p.rows(Kind.CADRE)
    # A newcomer in a recycled row is not a defector.
    st.defected[model.renewed] = 0
    st.defected = np.maximum(st.defected - 1, 0).astype(np.int16)
    # Security cadres facing protest in their own locality may refuse to repress (D14).
    in_protest = np.zeros(model.n_localities, dtype=bool)
    in_protest[model.events.locality] = True
    sec = np.zeros(p.n, dtype=bool)
    sec[rows] = p.security[rows] > 0
    # Drawn whether or not anyone can defect (ablation keeps draws); only security
    # cadres' numbers are generated, the stream left as a full draw leaves it.
    u = uniform_where(rng, sec)
    hazard = defection_hazard(
        p.loyalty, sec & in_protest[model.locality], st.split, prm.defection_rate
    )
    hazard = hazard * model.mechanisms.gain("elite_defection")
    new = sec & (st.defected == 0) & (u < hazard)
    st.defected[new] = prm.defection_months
    model.tally["defections"] = int(np.count_nonzero(new))
    total_security = float(p.security[rows].sum())
    gone = st.defected > 0
    st.defected_share = float(p.security[gone].sum()) / total_security if total_security else 0.0
    st.cohesion = cohesion(
        blocs(model), p.loyalty[rows], st.defected_share, prm.elite_division_weight
    )
    st.split = split(st.cohesion, prm.cohesion_reference, prm.cohesion_slope)
    fid = 1.0 - prm.fidelity_loss * st.split
    st.fidelity = fid if "implementation_fidelity" in model.mechanisms else 1.0
