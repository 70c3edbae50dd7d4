"""Building blocks shared by every configuration model (scenario, regimes, sweeps)."""

from __future__ import annotations

import difflib
import math
import types
import typing
from typing import Any

import annotated_types
import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

# Any number a config field holds without explicit bounds must lie within +-LIMIT: no
# real use needs more, and larger values overflow int64 columns or run out of memory
# deep inside a run instead of being refused up front (issue 15, case 11).
LIMIT = 1e9


class StrictModel(BaseModel):
    """A pydantic model for files people write: strict types, bounded numbers, and unknown
    keys rejected naming the closest allowed one.

    - Unknown keys: pydantic's own ``extra="forbid"`` says only "Extra inputs are not
      permitted"; users editing YAML need to see what *is* allowed, so the check is here.
    - Strict types (``strict=True``): a quoted ``"0.5"`` is not a number and ``true`` or
      ``yes`` is not a count, so neither is silently converted. Integers are still
      accepted for float fields; YAML lists are accepted for tuple fields (converted
      before validation, since YAML has no tuples); numpy scalars become Python numbers.
    - Numbers are finite (``allow_inf_nan=False``) and, unless a field sets both a lower
      and an upper bound itself, within ``+-LIMIT`` (:func:`_check_limits`).
    """

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, frozen=False, strict=True, allow_inf_nan=False
    )

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
            fields = cls.model_fields
            data = {k: _containers(fields[k].annotation, v) for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _check_limits(self) -> Any:
        for name, f in type(self).model_fields.items():
            value = getattr(self, name)
            explicit = _bounded(f.metadata)
            for v in _numbers(f.annotation, value):
                if explicit and not isinstance(value, list | tuple):
                    continue
                if abs(v) > LIMIT:
                    raise field_error(
                        name, f"{v!r} is out of range; numbers must lie within ±{LIMIT:.0e}"
                    )
        return self


def field_error(path: str, message: str) -> PydanticCustomError:
    """An error for a cross-field check that knows which field is at fault."""
    return PydanticCustomError(
        "field_error", "{path}: {message}", {"path": path, "message": message}
    )


def _unwrap(annotation: Any) -> Any:
    """The annotation without ``Annotated[...]`` and without ``None`` in an Optional."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap(args[0])
    return annotation


def _containers(annotation: Any, value: Any) -> Any:
    """``value`` with YAML lists turned into tuples where ``annotation`` wants a tuple
    (recursively), and numpy scalars into Python numbers; everything else unchanged."""
    if isinstance(value, np.generic):
        return value.item()
    ann = _unwrap(annotation)
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is tuple and isinstance(value, list):
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_containers(args[0], v) for v in value)
        if len(args) == len(value):
            return tuple(_containers(a, v) for a, v in zip(args, value, strict=True))
        return tuple(value)  # wrong length: let pydantic report it
    if origin is list and args and isinstance(value, list):
        return [_containers(args[0], v) for v in value]
    return value


def _bounded(metadata: list) -> bool:
    """Whether field metadata set both a lower and an upper bound."""
    lower = any(isinstance(m, annotated_types.Ge | annotated_types.Gt) for m in metadata)
    upper = any(isinstance(m, annotated_types.Le | annotated_types.Lt) for m in metadata)
    return lower and upper


def _mentions_any(annotation: Any) -> bool:
    if annotation is Any:
        return True
    return any(_mentions_any(a) for a in typing.get_args(annotation))


def _numbers(annotation: Any, value: Any) -> typing.Iterator[float]:
    """The numbers a field value holds (scalars and inside lists and tuples); fields typed
    ``Any`` are skipped, since they are validated again where they are used."""
    if _mentions_any(annotation):
        return
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, bool):
            continue
        if isinstance(v, int | float):
            if isinstance(v, float) and not math.isfinite(v):
                continue  # allow_inf_nan already refused it
            yield v
        elif isinstance(v, list | tuple):
            stack.extend(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
