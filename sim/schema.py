"""Building blocks shared by every configuration model (scenario, regimes, sweeps)."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError


class StrictModel(BaseModel):
    """A pydantic model that rejects unknown keys, naming the closest allowed one.

    Pydantic's own ``extra="forbid"`` says only "Extra inputs are not permitted";
    users editing YAML need to see what *is* allowed, so the check is done here.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = set(cls.model_fields)
            for key in data:
                if key not in allowed:
                    close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    raise PydanticCustomError(
                        "unknown_key",
                        "unknown key '{key}'{hint}; allowed keys: {allowed}",
                        {"key": str(key), "hint": hint, "allowed": ", ".join(sorted(allowed))},
                    )
        return data


def field_error(path: str, message: str) -> PydanticCustomError:
    """An error for a cross-field check that knows which field is at fault."""
    return PydanticCustomError(
        "field_error", "{path}: {message}", {"path": path, "message": message}
    )
