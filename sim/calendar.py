"""Monthly calendar: one model step is one month."""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any

from pydantic_core import core_schema

_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*$")


@dataclass(frozen=True, order=True, slots=True)
class Month:
    """A calendar month such as ``1966-05``; ordered and usable as a pydantic field."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1..12, got {self.month}")
        if not 1900 <= self.year <= 2100:
            raise ValueError(f"year must be 1900..2100, got {self.year}")

    @classmethod
    def parse(cls, value: Any) -> Month:
        """Accept ``"1993-01"``, ``"1993-01-15"`` or a ``date`` (a real day, then
        ignored) or a ``Month``. Scenario files are read with YAML timestamps left as
        strings (``sim.config.read_yaml``), so an impossible day such as ``1995-02-30``
        is reported here, for its field, rather than by the YAML parser."""
        if isinstance(value, Month):
            return value
        if isinstance(value, _dt.date):
            return cls(value.year, value.month)
        if isinstance(value, str):
            m = _MONTH_RE.match(value)
            if not m:
                raise ValueError(f"expected a month as YYYY-MM (e.g. 1993-01), got {value!r}")
            year, month = int(m.group(1)), int(m.group(2))
            if m.group(3) is not None:
                try:
                    _dt.date(year, month, int(m.group(3)))
                except ValueError as err:
                    raise ValueError(f"{value.strip()} is not a real date: {err}") from None
            return cls(year, month)
        raise ValueError(f"expected a month as YYYY-MM (e.g. 1993-01), got {value!r}")

    @property
    def index(self) -> int:
        """Months since year 0, so differences are month counts."""
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    def plus(self, months: int) -> Month:
        return Month.from_index(self.index + months)

    def months_until(self, other: Month) -> int:
        return other.index - self.index

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __repr__(self) -> str:
        return f"Month('{self}')"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> dict:
        return {"type": "string", "pattern": r"^\d{4}-\d{2}$", "examples": ["1993-01"]}
