"""Policy regimes drawn from the source texts, one module each.

Every module in this package that defines a :class:`~sim.regimes.base.Regime` subclass
decorated with :func:`~sim.regimes.base.register` is imported here, so adding a regime
means adding a file. ``RegimeSpec`` is the discriminated union of their parameter
models that scenario files validate against (the ``type`` key picks the regime).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated, Union

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from sim.regimes.base import REGISTRY, Regime, RegimeParams, Source, register

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name != "base" and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")


def _known_type(data):
    """Reject unknown regime names with the list of known ones (pydantic's discriminated
    union does this itself, but only once at least two regimes exist)."""
    if isinstance(data, dict) and "type" in data and data["type"] not in REGISTRY:
        raise PydanticCustomError(
            "union_tag_invalid",
            "unknown regime type {tag}; allowed: {expected_tags}",
            {"tag": repr(data["type"]), "expected_tags": ", ".join(sorted(REGISTRY)) or "(none)"},
        )
    return data


_PARAM_MODELS = tuple(cls.Params for cls in REGISTRY.values())
if len(_PARAM_MODELS) >= 2:
    RegimeSpec = Annotated[Union[_PARAM_MODELS], Field(discriminator="type")]  # noqa: UP007
else:
    RegimeSpec = Annotated[
        _PARAM_MODELS[0] if _PARAM_MODELS else RegimeParams, BeforeValidator(_known_type)
    ]


def build(spec: RegimeParams) -> Regime:
    """Instantiate the regime a validated spec describes."""
    return REGISTRY[spec.type](spec)


__all__ = ["REGISTRY", "Regime", "RegimeParams", "RegimeSpec", "Source", "build", "register"]
