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
class _Rows:
    """A term that is zero outside one block of rows: ``values`` for ``rows`` only.

    A regime whose term concerns one type's rows (cadres' merit, peasants' safety net)
    adds it this way instead of as a full-length array of zeros around the block; the
    total adds it to those rows only, which is the same sum (adding +0.0 changes nothing
    in a total that starts at +0.0).
    """

    rows: slice
    values: np.ndarray

    def full(self, size: int) -> np.ndarray:
        out = np.zeros(size, dtype=self.values.dtype)
        out[self.rows] = self.values
        return out


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

    def add(
        self,
        quantity: str,
        source: str,
        value: np.ndarray | float,
        rows: slice | None = None,
    ) -> None:
        """Add ``value`` (an array of the quantity's length, or a scalar) to this month's
        term of ``source``. A source may add to a quantity several times a month.

        With ``rows`` (a slice with a start and a stop), ``value`` holds the term for those
        rows only and the term is zero elsewhere: the same as a full-length array with
        zeros around the block, without making or summing the zeros.
        """
        self._check(quantity)
        now = self._now[quantity]
        size = self.sizes[quantity]
        if rows is not None:
            start, stop, step = rows.indices(size)
            if step != 1 or not isinstance(value, np.ndarray) or value.ndim != 1:
                raise ValueError(f"term {source!r} for {quantity!r}: rows need a 1-d array")
            if value.shape != (max(stop - start, 0),):
                raise ValueError(
                    f"term {source!r} for {quantity!r} has shape {value.shape}, "
                    f"expected ({max(stop - start, 0)},) for rows {start}:{stop}"
                )
            # (float64, as the full-length zeros such a term was written into)
            value = _Rows(slice(start, stop), np.asarray(value, dtype=np.float64))
        elif isinstance(value, np.ndarray) and value.shape != (size,):
            raise ValueError(
                f"term {source!r} for {quantity!r} has shape {value.shape}, expected ({size},)"
            )
        if source in now:
            old = now[source]
            if isinstance(value, _Rows) and isinstance(old, _Rows) and value.rows == old.rows:
                value = _Rows(value.rows, value.values + old.values)
            else:
                value = _expand(value, size) + _expand(old, size)
        now[source] = value
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
            last = _expand(last, self.sizes[quantity])
            self._fading[quantity][source] = _Fade(last=last, rate=rate, keep=keep, months=1)
            self._totals.pop(quantity, None)

    def breakdown(self, quantity: str) -> dict[str, np.ndarray | float]:
        """Every source's contribution this month; fading ones as ``"<source> (fading)"``."""
        self._check(quantity)
        size = self.sizes[quantity]
        out = {src: _expand(v, size) for src, v in self._now[quantity].items()}
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
        size = self.sizes[quantity]
        terms = list(self._now[quantity].values())
        terms += [f.last * f.share() for f in self._fading[quantity].values()]
        out = None
        for v in terms:
            if isinstance(v, _Rows):
                # a block term adds to its rows only (+0.0 elsewhere changes nothing:
                # the total starts at +0.0 and never holds −0.0)
                if out is None:
                    out = np.zeros(size)
                out[v.rows] += v.values
            elif out is None:
                # 0 + the first term, as adding it to zeros would give (−0.0 becomes +0.0),
                # written in one pass instead of two
                out = np.add(0.0, v, dtype=np.float64)
                if out.shape != (size,):
                    out = np.full(size, out)
            else:
                out += v
        if out is None:
            out = np.zeros(size)
        out.flags.writeable = False
        self._totals[quantity] = out
        return out

    def sources(self, quantity: str) -> list[str]:
        return sorted(self.breakdown(quantity))


def _expand(value, size: int):
    """A term as the full-length array (or scalar) it stands for."""
    return value.full(size) if isinstance(value, _Rows) else value
