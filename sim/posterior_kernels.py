"""Proposal kernels for the ABC-SMC of :mod:`sim.posterior` (imported only when pyabc runs).

ABC-SMC weighs each accepted particle by prior density / proposal density (Toni et al.
2009; Beaumont et al. 2009). With a Gaussian kernel around a few dozen particles, the
proposal density is thin in the tails of light particles and near the prior's edges (part
of each kernel there falls outside the prior and is redrawn); a particle accepted there
gets a weight orders of magnitude above the rest and the effective sample size collapses
(the reform-era run of docs/validation.md §4: one particle with 68 % of the weight, drawn
2.9 kernel standard deviations from a light parent, proposal density 0.8 % of the median).

:class:`DefensiveTransition` mixes the kernel with the prior (defensive importance
sampling, Hesterberg 1995, Technometrics 37:185-194): a share ``s`` of proposals come from
the prior, so the proposal density is at least ``s`` times the prior's and no weight
exceeds ``1/s`` (in units of the prior-to-prior weight 1), whatever the kernel does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyabc
from pyabc.parameters import Parameter
from pyabc.transition import Transition

__all__ = ["DefensiveTransition", "make_transition"]


class DefensiveTransition(Transition):
    """``(1 - share) * kernel + share * prior``, a pyabc transition.

    Draws use numpy's global generator, as pyabc's own kernels do (seeded by
    :func:`sim.posterior.run_abc` from the config's seed).
    """

    def __init__(self, kernel: Transition, prior: pyabc.Distribution, share: float):
        if not 0.0 < share < 1.0:
            raise ValueError(f"defensive share must be in (0, 1), got {share}")
        self.kernel = kernel
        self.prior = prior
        self.share = float(share)

    def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:
        self.kernel.fit(X, w)

    def rvs_single(self) -> Parameter:
        if np.random.uniform() < self.share:  # noqa: NPY002 (pyabc's generator)
            draw = self.prior.rvs()
            return Parameter({k: float(draw[k]) for k in self.X.columns})
        return self.kernel.rvs_single()

    def pdf(self, x: Parameter | pd.Series | pd.DataFrame) -> float | np.ndarray:
        k = self.kernel.pdf(x)
        if isinstance(x, pd.DataFrame):
            p = np.array([self.prior.pdf(dict(row)) for _, row in x.iterrows()])
        else:
            p = self.prior.pdf({c: float(x[c]) for c in self.X.columns})
        return (1.0 - self.share) * k + self.share * p


def make_transition(settings, prior: pyabc.Distribution) -> Transition:
    """The proposal kernel that ``settings`` (:class:`sim.posterior.AbcSettings`) names."""
    if settings.transition == "local":
        kernel = pyabc.LocalTransition(scaling=settings.transition_scaling)
    else:
        kernel = pyabc.MultivariateNormalTransition(scaling=settings.transition_scaling)
    if settings.defensive_share > 0:
        return DefensiveTransition(kernel, prior, settings.defensive_share)
    return kernel
