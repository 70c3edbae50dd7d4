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

from pydantic import Field

from sim.regimes.base import REGISTRY, Regime, RegimeParams, Source, register

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name != "base" and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")

_PARAM_MODELS = tuple(cls.Params for cls in REGISTRY.values())
if len(_PARAM_MODELS) >= 2:
    RegimeSpec = Annotated[Union[_PARAM_MODELS], Field(discriminator="type")]  # noqa: UP007
elif _PARAM_MODELS:
    RegimeSpec = _PARAM_MODELS[0]
else:  # pragma: no cover - only while the package is being assembled
    RegimeSpec = RegimeParams


def build(spec: RegimeParams) -> Regime:
    """Instantiate the regime a validated spec describes."""
    return REGISTRY[spec.type](spec)


__all__ = ["REGISTRY", "Regime", "RegimeParams", "RegimeSpec", "Source", "build", "register"]
