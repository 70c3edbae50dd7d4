"""Composed quantities: per-month named contributions that several rules add to.

A per-person or per-locality quantity that more than one regime or submodel changes —
added hardship, a shift of the protest threshold, campaign fear, cadre time on the line,
taxes and fees, cadre presence in a community — is never stored and restored by a
regime. Instead each source *adds a named term* to it every month it acts, the way
regimes adjust :class:`~sim.levers.Levers`, and the core submodel that reads the
quantity uses the sum. The model clears the terms at the start of every month, so a
regime that ends simply stops adding: ending it removes exactly its own term and nothing
else (docs/ODD.md, "Composition of regimes").

Some effects do not vanish the month their cause ends. A source that ends may hand its
last terms to :meth:`Terms.fade`, which keeps them, shrinking by ``rate`` a month toward
``keep`` × their last value: campaign fear decays after the campaign (``keep = 0``), the
share of problems that stay solved after a programme stops lingers (``keep`` = the
programme's persistence). Persistent consequences — a layoff, a label, a seized unit —
are not terms: they live in agent state.

``breakdown(quantity)`` shows what each source contributes, so a test can check that a
regime's term is present while it runs and gone (or fading) after it ends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: a fading term is dropped once its remaining share of the last value is below this
FADE_FLOOR = 1e-3


@dataclass
class _Fade:
    last: np.ndarray | float
    rate: float
    keep: float
    months: int = 0

    def share(self) -> float:
        """Share of the last value still contributed (1 − rate)^k toward ``keep``."""
        return self.keep + (1.0 - self.keep) * (1.0 - self.rate) ** self.months

    @property
    def done(self) -> bool:
        return self.keep <= 0.0 and self.share() < FADE_FLOOR


class Terms:
    """This month's contributions to each composed quantity, by source.

    ``sizes`` maps each quantity to its length (people or localities). Sources name
    themselves (regimes use :attr:`Regime.key`, e.g. ``"campaign#1"``).
    """

    def __init__(self, sizes: dict[str, int]):
        self.sizes = dict(sizes)
        self._now: dict[str, dict[str, np.ndarray | float]] = {q: {} for q in sizes}
        self._last: dict[str, dict[str, np.ndarray | float]] = {q: {} for q in sizes}
        self._fading: dict[str, dict[str, _Fade]] = {q: {} for q in sizes}
        # Totals already summed this month (read-only arrays), dropped whenever a term of
        # their quantity changes: several rules read the same total in one month.
        self._totals: dict[str, np.ndarray] = {}

    def _check(self, quantity: str) -> None:
        if quantity not in self.sizes:
            known = ", ".join(sorted(self.sizes))
            raise KeyError(f"unknown composed quantity {quantity!r}; known: {known}")

    def new_month(self) -> None:
        """Start a month: last month's terms are kept for :meth:`fade`, fading ones age."""
        self._totals.clear()
        for q in self.sizes:
            self._last[q], self._now[q] = self._now[q], {}
            fading = self._fading[q]
            for src in list(fading):
                fading[src].months += 1
                if fading[src].done:
                    del fading[src]

    def add(self, quantity: str, source: str, value: np.ndarray | float) -> None:
        """Add ``value`` (an array of the quantity's length, or a scalar) to this month's
        term of ``source``. A source may add to a quantity several times a month."""
        self._check(quantity)
        now = self._now[quantity]
        if isinstance(value, np.ndarray) and value.shape != (self.sizes[quantity],):
            raise ValueError(
                f"term {source!r} for {quantity!r} has shape {value.shape}, "
                f"expected ({self.sizes[quantity]},)"
            )
        now[source] = value + now[source] if source in now else value
        self._totals.pop(quantity, None)
        # A source acting again stops fading (e.g. a campaign restarts).
        self._fading[quantity].pop(source, None)

    def set(self, quantity: str, source: str, value: np.ndarray | float) -> None:
        """Replace this month's term of ``source`` (for core submodels that recompute
        their own contribution, so calling them twice in a month does not add twice)."""
        self._check(quantity)
        self._now[quantity].pop(source, None)
        self._totals.pop(quantity, None)
        self.add(quantity, source, value)

    def fade(self, source: str, quantity: str, rate: float, keep: float = 0.0) -> None:
        """Let ``source``'s last term of ``quantity`` linger after the source stops.

        Each following month it contributes ``keep + (1 − keep)(1 − rate)^k`` of its last
        value, ``k`` months after the end. Call it from ``on_end``.
        """
        self._check(quantity)
        if not 0.0 <= rate <= 1.0 or not 0.0 <= keep <= 1.0:
            raise ValueError(f"fade rate and keep must be in [0, 1], got {rate}, {keep}")
        last = self._last[quantity].get(source)
        if last is not None:
            self._fading[quantity][source] = _Fade(last=last, rate=rate, keep=keep, months=1)
            self._totals.pop(quantity, None)

    def breakdown(self, quantity: str) -> dict[str, np.ndarray | float]:
        """Every source's contribution this month; fading ones as ``"<source> (fading)"``."""
        self._check(quantity)
        out = dict(self._now[quantity])
        for src, f in self._fading[quantity].items():
            out[f"{src} (fading)"] = f.last * f.share()
        return out

    def total(self, quantity: str) -> np.ndarray:
        """The sum of all terms of ``quantity`` (zeros when none), as float64.

        The array is read-only: it is summed once and shared by every reader until a term
        of the quantity changes (``add``, ``set``, ``fade``, a new month). A term's values
        are read when it is added: a source that changes them must add them again.
        """
        cached = self._totals.get(quantity)
        if cached is not None:
            return cached
        out = None
        for v in self.breakdown(quantity).values():
            if out is None:
                # 0 + the first term, as adding it to zeros would give (−0.0 becomes +0.0),
                # written in one pass instead of two
                out = np.add(0.0, v, dtype=np.float64)
                if out.shape != (self.sizes[quantity],):
                    out = np.full(self.sizes[quantity], out)
            else:
                out += v
        if out is None:
            out = np.zeros(self.sizes[quantity])
        out.flags.writeable = False
        self._totals[quantity] = out
        return out

    def sources(self, quantity: str) -> list[str]:
        return sorted(self.breakdown(quantity))
