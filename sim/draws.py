"""Uniform draws of which a rule reads only some rows, without generating the others.

A rule often draws ``rng.random(n)`` — one uniform per person, so the random stream does
not depend on who is eligible — and reads it only for the rows a mask selects: the
urban block, the peasants, the cadres in detention. Generating the other numbers costs
as much as the rule itself (a quarter of a month's CPU time at 10^5 agents is drawing).
PCG64, the model's generator, can jump ahead (``advance``) in a few microseconds, and
``random`` takes exactly one 64-bit step per number, so the rows a rule reads can be
drawn alone and the generator left exactly where ``rng.random(n)`` leaves it: the same
numbers in the same rows, the same stream afterwards (``tests/test_draws.py``).
"""

from __future__ import annotations

import numpy as np

#: Below this many rows a jump saves less than it costs (Python calls, state reads).
MIN_ROWS = 16_384


def _can_jump(rng: np.random.Generator, n: int) -> bool:
    return n >= MIN_ROWS and hasattr(rng.bit_generator, "advance")


def uniform_span(
    rng: np.random.Generator, n: int, start: int, stop: int, out: np.ndarray | None = None
) -> np.ndarray:
    """``rng.random(n)[start:stop]``, leaving ``rng`` as ``rng.random(n)`` leaves it;
    written into ``out`` (contiguous float64 of the span's length) if given."""
    start, stop = max(int(start), 0), min(int(stop), n)
    stop = max(stop, start)
    if not _can_jump(rng, n):
        u = rng.random(n)[start:stop]
        if out is None:
            return u
        out[...] = u
        return out
    bg = rng.bit_generator
    # ``advance`` also drops a buffered half of a 64-bit step (left by a 32-bit draw, as
    # ``integers`` over a small range makes), which ``random`` leaves in place: it is
    # put back (and a spent one's stale bits), so the state is exactly the one a full
    # draw leaves.
    before = bg.state
    if start:
        bg.advance(start)
    u = rng.random(stop - start) if out is None else rng.random(out=out)
    if n - stop:
        bg.advance(n - stop)
    if before.get("has_uint32") or before.get("uinteger"):  # (a stale one too: same state)
        after = bg.state
        after["has_uint32"], after["uinteger"] = before["has_uint32"], before["uinteger"]
        bg.state = after
    return u


def uniform_where(rng: np.random.Generator, need: np.ndarray) -> np.ndarray:
    """``rng.random(need.size)`` in every row from the first to the last ``need`` row, NaN
    in the rows before and after (which the caller must not read; every comparison with
    NaN is false); ``rng`` is left as ``rng.random(need.size)`` leaves it."""
    n = need.size
    if not _can_jump(rng, n):
        return rng.random(n)
    need = np.ascontiguousarray(need, dtype=bool)
    start = int(np.argmax(need))  # the first ``need`` row (argmax stops at the first True)
    if not need[start]:  # (none)
        return uniform_rows(rng, n, 0, 0)
    return uniform_rows(rng, n, start, _last_true(need) + 1)


def _last_true(mask: np.ndarray) -> int:
    """The last True row of a contiguous boolean array with at least one True, found
    without listing them all: the last nonzero 8-byte word, then its last True byte (a
    reversed argmax over the bytes is as slow as listing them)."""
    n = mask.size
    m = n - n % 8
    tail = np.flatnonzero(mask[m:])
    if tail.size:
        return m + int(tail[-1])
    words = mask[:m].view(np.uint64)
    w = words.size - 1 - int(np.argmax(words[::-1] != 0))
    return 8 * w + int(np.flatnonzero(mask[8 * w : 8 * w + 8])[-1])


def uniform_block(rng: np.random.Generator, n: int, block: slice, need: np.ndarray) -> np.ndarray:
    """``uniform_where(rng, full)[block]`` for the mask ``full`` that is ``need`` on the
    rows of ``block`` (a slice with a start) and False elsewhere, without making ``full``:
    for a rule on one type's block of rows."""
    if not _can_jump(rng, n):
        return rng.random(n)[block]
    need = np.ascontiguousarray(need, dtype=bool)
    out = np.full(need.size, np.nan)
    first = int(np.argmax(need)) if need.size else 0
    if need.size == 0 or not need[first]:  # (none)
        uniform_span(rng, n, 0, 0)
        return out
    stop = _last_true(need) + 1
    uniform_span(rng, n, block.start + first, block.start + stop, out=out[first:stop])
    return out


def uniform_rows(rng: np.random.Generator, n: int, start: int, stop: int) -> np.ndarray:
    """``rng.random(n)`` in rows ``[start, stop)``, NaN elsewhere (see :func:`uniform_where`)."""
    if not _can_jump(rng, n):
        return rng.random(n)
    start, stop = max(int(start), 0), min(int(stop), n)
    stop = max(stop, start)
    out = np.empty(n)
    out[:start] = np.nan
    out[stop:] = np.nan
    uniform_span(rng, n, start, stop, out=out[start:stop])  # (drawn in place)
    return out


def uniform_at(rng: np.random.Generator, n: int, rows: np.ndarray) -> np.ndarray:
    """``rng.random(n)[rows]`` for sorted ``rows``, leaving ``rng`` as ``rng.random(n)``
    leaves it: for a rule that has its candidates' rows (often in one type's block)
    rather than a mask over everyone."""
    if rows.size == 0:
        uniform_span(rng, n, 0, 0)
        return np.zeros(0)
    start = int(rows[0])
    return uniform_span(rng, n, start, int(rows[-1]) + 1)[rows - start]
