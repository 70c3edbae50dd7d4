"""The regime interface: what every policy regime is and how it plugs into the model.

A regime is a class with a name, a pydantic parameter model with defaults and ranges,
hooks for when it starts, each month it runs and when it ends, and the source passages
it rests on. Regimes compose: several can be active at once, each adjusting the
:class:`~sim.levers.Levers` and acting on agent state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from sim.calendar import Month
from sim.schema import StrictModel

if TYPE_CHECKING:
    from sim.levers import Levers
    from sim.model import CadreModel


@dataclass(frozen=True)
class Source:
    """A passage a mechanism rests on: a seed file and line range, or a publication."""

    file: str
    lines: str
    note: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.lines}" if self.lines else self.file
        return f"{where} — {self.note}"


class RegimeParams(StrictModel):
    """Fields every regime has. Subclasses add ``type: Literal[name]`` and parameters."""

    type: str
    start: Month | None = Field(None, description="first active month (default: scenario start)")
    end: Month | None = Field(None, description="last active month (default: scenario end)")


class Regime:
    """Base class; subclasses set the class attributes and override the hooks they need."""

    name: ClassVar[str]
    title: ClassVar[str]
    summary: ClassVar[str]
    Params: ClassVar[type[RegimeParams]]
    sources: ClassVar[tuple[Source, ...]] = ()

    def __init__(self, params: RegimeParams):
        self.params = params
        self.active = False
        #: the name its terms carry (``model.terms``); the model sets ``"<name>#<index>"``
        self.key = self.name

    # The hooks. ``apply`` changes rules (levers) and is undone automatically when the
    # regime ends; ``on_step`` changes state, which persists. A per-person or
    # per-locality quantity that other rules touch too is never written here: the
    # regime adds its own named term (``model.terms.add(quantity, self.key, value)``),
    # which stops when the regime ends, or lingers if ``on_end`` calls
    # ``model.terms.fade``. No regime snapshots or restores state.
    def on_start(self, model: CadreModel) -> None:
        """Called once, in the first month the regime is active."""

    def apply(self, model: CadreModel, levers: Levers) -> None:
        """Called every active month before the submodels run: adjust the rules."""

    def on_step(self, model: CadreModel) -> None:
        """Called every active month before the submodels run: act on agent state."""

    def on_end(self, model: CadreModel) -> None:
        """Called once, in the first month after the regime's last active month."""


REGISTRY: dict[str, type[Regime]] = {}


def register(cls: type[Regime]) -> type[Regime]:
    """Class decorator adding a regime to the registry under its ``name``."""
    type_field = cls.Params.model_fields.get("type")
    literal = getattr(type_field.annotation, "__args__", (None,)) if type_field else (None,)
    if literal != (cls.name,):
        raise TypeError(f"{cls.__name__}.Params.type must be Literal['{cls.name}']")
    if cls.name in REGISTRY:
        raise TypeError(f"regime name '{cls.name}' registered twice")
    REGISTRY[cls.name] = cls
    return cls
