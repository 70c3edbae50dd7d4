"""Where state lives: per-group numpy arrays owned by the model (a struct of arrays).

People of all five types share one set of arrays, stored in contiguous blocks by type
(cadres first, then technicians, workers, migrants, peasants), so a rule that applies
to everyone is one vectorized expression and a rule for one type works on a slice
view. Columns that only mean something for some types hold a neutral value elsewhere
(e.g. ``land`` is 0 for everyone but peasants).
"""

from __future__ import annotations

import ctypes
import sys
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np


class Kind(IntEnum):
    CADRE = 0
    TECHNICIAN = 1
    WORKER = 2
    MIGRANT = 3
    PEASANT = 4


class Status(IntEnum):
    """Employment status (seed 003 R2: xiagang, status denial, retirement)."""

    NONE = 0  # peasants, and migrants between jobs
    EMPLOYED = 1
    XIAGANG = 2  # laid off with a stipend and residual ties to the unit
    RETIRED = 3
    UNEMPLOYED = 4  # laid off and denied any status (seed 003 A3)


class ClassLabel(IntEnum):
    """Class background (chushen) labels (seed 002 part 2 §2.1)."""

    GOOD = 0
    MIDDLE = 1
    BAD = 2


class Ownership(IntEnum):
    STATE = 0
    COLLECTIVE = 1
    PRIVATE = 2
    SHAREHOLDING = 3
    COOPERATIVE = 4
    WORKER_CONTROLLED = 5


class Sector(IntEnum):
    FACTORY = 0
    MINE = 1


class Residency(IntEnum):
    RURAL = 0
    URBAN = 1


# name -> dtype, neutral value. The order is documentation, not layout.
PEOPLE_COLUMNS: dict[str, tuple[type, float]] = {
    "kind": (np.int8, 0),
    "unit": (np.int32, -1),
    "village": (np.int32, -1),
    "age": (np.float32, 30.0),
    "class_label": (np.int8, 0),
    "party": (np.bool_, False),
    "skill": (np.float32, 0.5),
    "wage": (np.float32, 0.0),
    "income": (np.float32, 0.0),
    "arrears": (np.float32, 0.0),
    "pension": (np.float32, 0.0),
    "status": (np.int8, 0),
    "residency": (np.int8, 1),
    "hardship_base": (np.float32, 0.0),
    "hardship": (np.float32, 0.0),
    "grievance": (np.float32, 0.0),
    "risk_aversion": (np.float32, 0.5),
    "threshold": (np.float32, 0.1),
    "activism": (np.float32, 0.0),
    "active": (np.bool_, False),
    # Share of the agent's represented people active this month, and in detention, in
    # [0, 1] (sim/submodels/protest.py: within-agent variation in risk aversion).
    "turnout": (np.float32, 0.0),
    "detained": (np.float32, 0.0),
    "jail": (np.int16, 0),
    "fear": (np.float32, 0.0),
    "relief": (np.float32, 0.0),
    "faction": (np.int16, -1),
    "faction_age": (np.int16, 0),
    "dossier": (np.int16, 0),
    "persecuted": (np.int16, 0),
    "alienation": (np.float32, 0.0),
    "health": (np.float32, 1.0),
    "frailty": (np.float32, 1.0),  # multiplier on health lost per month on the job
    "land": (np.float32, 0.0),
    "tax_burden": (np.float32, 0.0),
    "coop": (np.bool_, False),
    "remittance": (np.float32, 0.0),
    "tenure": (np.int16, 0),
    "laid_off": (np.int32, -1),  # recorded month of layoff, −1 if never laid off
    "stipend_months": (np.int16, 0),  # months of xiagang stipend the layoff entitles to
    # locality where the person lives (unit, village or the city's residential community),
    # recomputed monthly by sim/submodels/residence.py; −1 until first computed
    "residence": (np.int32, -1),
    # cadre-only columns (neutral for others)
    "rank": (np.int8, 0),
    "loyalty": (np.float32, 0.0),
    "political_capital": (np.float32, 0.0),
    "corruption": (np.float32, 0.0),
    "labour_share": (np.float32, 0.0),
    "native": (np.bool_, False),
    "security": (np.float32, 0.0),  # share of the cadres an agent stands for in security roles
    "patron": (np.int32, -1),
    "grudge": (np.float32, 0.0),  # hardship kept from struggle and factional violence
    "new_cadre": (np.bool_, False),  # recruited into the corps by a campaign's activist criteria
}

UNIT_COLUMNS: dict[str, tuple[type, float]] = {
    "ownership": (np.int8, 0),
    "sector": (np.int8, 0),
    "capacity": (np.float64, 1.0),
    "output": (np.float64, 0.0),
    "output_prev": (np.float64, 0.0),
    "staff0": (np.int32, 0),
    "safety": (np.float32, 0.5),
    "collusion": (np.float32, 0.0),
    "accidents": (np.int32, 0),
    "deaths": (np.int32, 0),
    "death_memory": (np.float32, 0.0),  # remembered deaths per 1,000 line workers (fading)
    "restructured": (np.int32, -1),
    "protest_months": (np.int32, 0),
    # Organizational memory of protest: person-months of protest per member so far (the
    # sum of monthly active shares), read by linkage (sim/submodels/protest.py).
    "protest_memory": (np.float64, 0.0),
    "model_seizure": (np.bool_, False),
    "benefit_arrears": (np.float32, 0.0),  # monthly chance its pensions/stipends go unpaid
    "privilege": (np.float32, 0.0),  # visible enrichment of its cadres (0–1), e.g. after a sale
}

VILLAGE_COLUMNS: dict[str, tuple[type, float]] = {
    "collective": (np.bool_, False),
    "coop_share": (np.float32, 0.0),
}


@dataclass
class Columns:
    """A bag of equally long numpy arrays, one per column."""

    n: int
    spec: dict[str, tuple[type, float]]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, (dtype, neutral) in self.spec.items():
            self.arrays[name] = np.full(self.n, neutral, dtype=dtype)
            # Also an instance attribute, so ``p.grievance`` is a plain attribute read
            # (tens of thousands a run) rather than a ``__getattr__`` call; assignment
            # still goes through ``__setattr__`` and writes into the same array.
            self.__dict__[name] = self.arrays[name]

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["arrays"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: object) -> None:
        if name in ("n", "spec", "arrays") or name not in self.__dict__.get("arrays", {}):
            object.__setattr__(self, name, value)
        else:
            # keep dtype and identity: agents and views hold references to these arrays
            self.arrays[name][...] = value


class People(Columns):
    """All persons; ``blocks[kind]`` is the slice of rows holding that type."""

    def __init__(self, counts: dict[Kind, int]):
        super().__init__(sum(counts.values()), PEOPLE_COLUMNS)
        self.blocks: dict[Kind, slice] = {}
        start = 0
        for kind in Kind:
            n = counts.get(kind, 0)
            self.blocks[kind] = slice(start, start + n)
            self.arrays["kind"][start : start + n] = kind
            start += n

    def rows(self, kind: Kind) -> slice:
        return self.blocks[kind]

    def count(self, kind: Kind) -> int:
        s = self.blocks[kind]
        return s.stop - s.start


#: Rows above which a float64 column (80 KB at 10^4 rows) and its temporaries are large
#: enough that glibc's default thresholds (128 KiB, adjusted dynamically up to 32 MiB)
#: hand them back to the kernel between months.
LARGE_ROWS = 10_000


def keep_freed_memory(n_rows: int) -> bool:
    """Let glibc's allocator reuse freed blocks instead of returning them to the kernel.

    Every numpy temporary over the mmap threshold is otherwise a fresh ``mmap`` whose pages
    the kernel zero-fills on first touch, and then an ``munmap``; below it, freed blocks at
    the top of the heap past the trim threshold are given back (``brk``) and faulted in
    again the next time. At 10^7 agents that system time exceeded the model's own
    arithmetic (measured 6.2 s of system for 2.7 s of user time in 50 ``np.where`` over
    10^7 rows; 0.6 s with this); at 3·10^4–10^5 agents it is 5–20 % of a run's CPU time
    (``reform_privatization``: 2.9 → 2.3 s). Raising the mmap threshold and the trim
    threshold keeps such blocks in the heap for the next month's temporaries. Results do
    not change; the process keeps its peak memory until it exits. Only on glibc (Linux),
    only from ``LARGE_ROWS`` rows; returns whether it applied.
    """
    if n_rows < LARGE_ROWS or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (e.g. musl)
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # <malloc.h>
    ok = libc.mallopt(m_mmap_threshold, ctypes.c_int(1 << 30))
    ok &= libc.mallopt(m_trim_threshold, ctypes.c_int(2**31 - 1))
    return bool(ok)
