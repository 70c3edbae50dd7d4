"""The Mesa agent classes: registered Mesa agents whose attributes are rows of arrays.

An agent object holds only its row number; reading ``worker.grievance`` reads
``model.people.grievance[row]`` and assigning writes it, so Mesa's API
(``model.agents_by_type[Worker]``, ``AgentSet.get``) tells the truth while the rules
run vectorized over whole arrays (docs/ODD.md, "Process overview and scheduling").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import mesa

from sim.state import PEOPLE_COLUMNS, UNIT_COLUMNS, VILLAGE_COLUMNS, Kind

if TYPE_CHECKING:
    from sim.model import CadreModel


class Column:
    """Descriptor mapping an attribute to ``<table>.<name>[agent.row]``."""

    def __init__(self, table: str, name: str):
        self.table, self.name = table, name

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        return getattr(agent.model, self.table).arrays[self.name][agent.row].item()

    def __set__(self, agent, value) -> None:
        getattr(agent.model, self.table).arrays[self.name][agent.row] = value


class ArrayAgent(mesa.Agent):
    """A Mesa agent bound to one row of one of the model's tables."""

    table: ClassVar[str] = "people"

    def __init__(self, model: CadreModel, row: int):
        super().__init__(model)
        self.row = int(row)

    def step(self) -> None:
        """Agents do not step one by one; the model applies vectorized rules."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.unique_id}, row={self.row})"


class Person(ArrayAgent):
    """Common base of the five person types."""

    kind: ClassVar[Kind]


class Cadre(Person):
    """Rank, unit, faction, loyalty (co-optation), political capital, corruption,
    labour share, native or outside, security role (seed 002; seed 000)."""

    kind = Kind.CADRE


class Technician(Person):
    """Expertise (``skill``), class label, dossier, party membership, alienation,
    persecution exposure (seed 002 part 2 §2)."""

    kind = Kind.TECHNICIAN


class Worker(Person):
    """Skill, wage, status (employed, xiagang, retired), pension, arrears, grievance,
    risk aversion, activism, age, dossier (seed 003 §2.1)."""

    kind = Kind.WORKER


class Migrant(Person):
    """Origin village, residency, employer (``unit``), arrears, health, grievance,
    remittances (seed 003 §2.3)."""

    kind = Kind.MIGRANT


class Peasant(Person):
    """Village, land, tax and fee burden, cooperative membership, grievance (seed 003 §2.4)."""

    kind = Kind.PEASANT


class WorkUnit(ArrayAgent):
    """An enterprise / danwei: ownership, sector, output, safety, collusion (seed 001, 003)."""

    table = "units"


class Village(ArrayAgent):
    """A village: taxes, collective status, cooperative share, land lost (seed 003 R7-R14)."""

    table = "villages"


PERSON_CLASSES: dict[Kind, type[Person]] = {
    Kind.CADRE: Cadre,
    Kind.TECHNICIAN: Technician,
    Kind.WORKER: Worker,
    Kind.MIGRANT: Migrant,
    Kind.PEASANT: Peasant,
}


def _bind_columns(cls: type[ArrayAgent], names) -> None:
    for name in names:
        if name != "kind":  # the class attribute already says which kind
            setattr(cls, name, Column(cls.table, name))


_bind_columns(Person, PEOPLE_COLUMNS)
_bind_columns(WorkUnit, UNIT_COLUMNS)
_bind_columns(Village, VILLAGE_COLUMNS)
