"""Parameters of Epstein's Model I (the ``epstein:`` section of a scenario file).

Kept apart from the kernel in :mod:`sim.epstein` so that validating a scenario does not
import Mesa, pandas and scipy (``cadresim validate`` starts in well under a second);
:mod:`sim.epstein` re-exports everything here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from sim.schema import StrictModel

Neighborhood = Literal["von_neumann", "moore", "disc"]
Discretization = Literal["floor", "round", "none"]

# Parameter sets of the two executable implementations (science-anchors 1.3).
# Only the fields a preset names are set by it; explicit fields win.
PRESETS: dict[str, dict[str, Any]] = {
    # NetLogo Rebellion defaults. `in-radius vision` is a disc; C/A is floored;
    # the arresting cop moves onto the arrestee's patch, which then counts as
    # empty because jailed agents do not block patches.
    "netlogo": {
        "width": 40,
        "height": 40,
        "citizen_density": 0.7,
        "cop_density": 0.04,
        "citizen_vision": 7,
        "cop_vision": 7,
        "legitimacy": 0.82,
        "max_jail_term": 30,
        "neighborhood": "disc",
        "discretization": "floor",
        "jail_occupies_site": False,
        "cop_moves_to_arrestee": True,
        "placement": "exact",
        "turn_rules": "netlogo",
    },
    # Mesa 3.5 EpsteinScenario defaults. Von Neumann diamond of radius vision,
    # Python round() of C/A, jailed citizens keep their cell, cops stay put.
    "mesa": {
        "width": 40,
        "height": 40,
        "citizen_density": 0.7,
        "cop_density": 0.074,
        "citizen_vision": 7,
        "cop_vision": 7,
        "legitimacy": 0.8,
        "max_jail_term": 1000,
        "neighborhood": "von_neumann",
        "discretization": "round",
        "jail_occupies_site": True,
        "cop_moves_to_arrestee": False,
        "placement": "per_site",
        "turn_rules": "mesa",
    },
}


class EpsteinParams(StrictModel):
    """Parameters of Epstein's Model I.

    Defaults are NetLogo *Rebellion*'s. ``preset="netlogo"`` or ``"mesa"``
    fills every field the preset names (science-anchors 1.3) unless the field
    is given explicitly, e.g. ``EpsteinParams(preset="mesa", legitimacy=0.82)``.
    """

    # StrictModel: unknown keys are rejected with the allowed ones listed.

    preset: Literal["netlogo", "mesa"] | None = Field(
        None, description="Parameter set of an executable twin; explicit fields override it."
    )
    width: int = Field(40, ge=5, le=2000, description="Lattice width (torus).")
    height: int = Field(40, ge=5, le=2000, description="Lattice height (torus).")
    citizen_density: float = Field(
        0.7, ge=0.0, le=1.0, description="Citizens per site at setup (Epstein's agents)."
    )
    cop_density: float = Field(0.04, ge=0.0, le=1.0, description="Cops per site at setup.")
    citizen_vision: int = Field(
        7, ge=1, le=500, description="Radius in which citizens count cops and actives and move."
    )
    cop_vision: int = Field(7, ge=1, le=500, description="Radius in which cops arrest and move.")
    legitimacy: float = Field(
        0.82, ge=0.0, le=1.0, description="Regime legitimacy L at step 0 (global)."
    )
    max_jail_term: int = Field(
        30,
        ge=0,
        le=10_000,
        description="Jmax; a jail term J ~ U{0..Jmax} steps sat out after arrest "
        "(NetLogo's slider stops at 50).",
    )
    arrest_k: float = Field(
        2.3,
        ge=0.0,
        le=100.0,
        description="k in P = 1 - exp(-k disc(C/A)); 1 - exp(-2.3) = 0.8997 "
        "(P is already 1 - 4e-44 at k = 100).",
    )
    threshold: float = Field(0.1, ge=0.0, le=1.0, description="Activation threshold T.")
    threshold_sd: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Granovetter spread: T_i ~ max(0, Normal(threshold, threshold_sd)).",
    )
    discretization: Discretization = Field(
        "floor",
        description=(
            "How C/A enters P. 'floor' (NetLogo): 'Without this change, the model does "
            "not exhibit punctuated equilibrium' - P = 0 whenever A > C, else ~0.9. "
            "'round' (Mesa, half-to-even like Python's round). 'none' (the paper's formula)."
        ),
    )
    neighborhood: Neighborhood = Field(
        "disc",
        description="Vision shape: 'disc' (NetLogo in-radius), 'von_neumann' (Mesa), 'moore'.",
    )
    movement: bool = Field(
        True, description="Citizens move (Rule M). Cops always move, as in NetLogo."
    )
    steps: int = Field(500, ge=0, le=10_000_000, description="Steps run by run_epstein.")
    legitimacy_schedule: list[tuple[int, float]] = Field(
        default_factory=list,
        description="(step, L) pairs; L is set at the start of that step (jump or gradual).",
    )
    cop_schedule: list[tuple[int, float]] | None = Field(
        None,
        description="(step, cop density) pairs; cops are removed at random or added on "
        "random empty sites at the start of that step.",
    )
    jail_occupies_site: bool = Field(
        False,
        description="Jailed citizens keep blocking their site (Mesa) or leave the lattice "
        "and re-enter near their arrest site on release (NetLogo: jailed agents do not "
        "block patches).",
    )
    cop_moves_to_arrestee: bool = Field(
        True,
        description="The arresting cop moves onto the arrestee's site (NetLogo); "
        "ignored when jail_occupies_site, since the site stays taken.",
    )
    placement: Literal["exact", "per_site"] = Field(
        "exact",
        description="Setup: 'exact' places round(density x sites) citizens and cops "
        "(NetLogo's create-agents round(...)); 'per_site' draws each site's occupant "
        "independently (Mesa's random.choices per cell), so the counts vary by seed.",
    )
    update: Literal["synchronous", "sequential"] = Field(
        "synchronous",
        description="Update order. 'synchronous' (default): four phases, each for everyone "
        "at once (fast, vectorized). 'sequential': every agent takes its turn in a fresh "
        "random order each step, as NetLogo's `ask turtles` and Mesa's `shuffle_do` "
        "(sim/epstein_sequential.py; a per-agent loop, for docking).",
    )
    turn_rules: Literal["netlogo", "mesa"] = Field(
        "netlogo",
        description="Within a sequential turn: 'netlogo' moves first, then decides or "
        "arrests, counts its own patch in its vision (an active citizen counts itself in "
        "A twice), draws J ~ U{0..Jmax-1} and counts jail down at the end of the tick; "
        "'mesa' decides or arrests first, then moves, draws J ~ U{0..Jmax} and counts "
        "jail down in the citizen's own turn. Read only when update='sequential'.",
    )

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("preset") is not None:
            preset = PRESETS.get(data["preset"])
            if preset is not None:  # an unknown name is reported by the Literal check
                data = {**preset, **data}
        return data

    @model_validator(mode="after")
    def _check_consistency(self) -> EpsteinParams:
        if self.citizen_density + self.cop_density > 1.0 + 1e-12:
            raise ValueError("citizen_density + cop_density must be <= 1")
        for step, value in self.legitimacy_schedule:
            if step < 0 or not 0.0 <= value <= 1.0:
                raise ValueError(f"legitimacy_schedule entry {(step, value)} out of range")
        for step, value in self.cop_schedule or []:
            if step < 0 or not 0.0 <= value <= 1.0:
                raise ValueError(f"cop_schedule entry {(step, value)} out of range")
            if self.citizen_density + value > 1.0 + 1e-12:
                raise ValueError("citizen_density + scheduled cop density must be <= 1")
        return self

    @classmethod
    def from_preset(cls, preset: Literal["netlogo", "mesa"], **overrides: Any) -> EpsteinParams:
        """``EpsteinParams(preset=preset, **overrides)``, spelled out."""
        return cls(preset=preset, **overrides)
