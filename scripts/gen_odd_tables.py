"""Write the generated blocks of docs/ODD.md from the code: the parameter tables and the
list of mechanism switches.

Usage::

    .venv/bin/python scripts/gen_odd_tables.py          # rewrite the blocks in docs/ODD.md
    .venv/bin/python scripts/gen_odd_tables.py --check  # exit 1 if a block is stale

Each block sits between ``<!-- generated: NAME ... -->`` and ``<!-- end generated: NAME -->``
in docs/ODD.md; everything outside the markers is hand-written and left alone. The blocks
hold what reviewers compare against the code field by field — every field of ``Population``
(section 5), ``Output`` (4.11) and ``Params`` (7.9) with its default, bounds and
description, every lever of ``sim.levers.Levers`` with its neutral value (7.7) and every
entry of ``sim.mechanisms.MECHANISMS`` (7.10) — so they are copied
from the pydantic models and the registry rather than kept by hand (the hand-kept table
had drifted from the code's descriptions). ``tests/test_docs.py`` checks they are current.
"""

from __future__ import annotations

import ast
import re
import sys
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"
BLOCK = re.compile(
    r"(<!-- generated: (?P<name>\w+)[^\n]*-->\n)(?P<body>.*?)(<!-- end generated: (?P=name) -->)",
    re.DOTALL,
)
SYMBOLS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}


def default_text(value) -> str:
    """A default as the tables show it: ``0.05``, ``1e+06``, ``12``, ``none``."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return "None" if value is None else str(value)


def bounds_text(field) -> str:
    """``≥ 0, ≤ 1`` from the field's constraints, or the choices of a ``Literal``."""
    parts = []
    for m in field.metadata:
        for attr, sym in SYMBOLS.items():
            value = getattr(m, attr, None)
            if value is not None:
                parts.append(f"{sym} {default_text(value)}")
    if not parts and typing.get_origin(field.annotation) is typing.Literal:
        parts = [str(a) for a in typing.get_args(field.annotation)]
    return ", ".join(parts)


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def field_table(model, *, skip: tuple[str, ...] = ()) -> str:
    """A Markdown table of a pydantic model's fields: name, default, range, meaning."""
    rows = ["| parameter | default | range | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        default = "—" if field.is_required() else default_text(field.default)
        rows.append(
            f"| `{name}` | {default} | {bounds_text(field)} | {_cell(field.description or '')} |"
        )
    return "\n".join(rows) + "\n"


def mechanism_list() -> str:
    """One bullet per registered mechanism: what it does, what off means, guard, source."""
    from sim.mechanisms import MECHANISMS

    lines = []
    for m in MECHANISMS:
        path, function = m.where.removeprefix("sim/").split(":")
        lines.append(
            f"- `{m.name}` — {m.description}. Off: {m.off}. "
            f"Guard: `{path}` `{function}`. Source: {m.source}."
        )
    return "\n".join(lines) + "\n"


def lever_table() -> str:
    """Every lever of ``sim.levers.Levers``: its neutral value and the docstring under it."""
    from sim.levers import Levers

    tree = ast.parse((ROOT / "sim" / "levers.py").read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Levers")
    notes: dict[str, str] = {}
    body = cls.body
    for stmt, after in zip(body, body[1:] + [None], strict=True):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            doc = ""
            if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
                doc = " ".join(str(after.value.value).split())
            notes[stmt.target.id] = doc
    neutral = Levers()
    rows = ["| lever | neutral | meaning |", "|---|---|---|"]
    for name, doc in notes.items():
        rows.append(f"| `{name}` | {default_text(getattr(neutral, name))} | {_cell(doc)} |")
    return "\n".join(rows) + "\n"


def blocks() -> dict[str, str]:
    """The text of every generated block, by name."""
    sys.path.insert(0, str(ROOT))
    from sim.config import Output, Params, Population

    return {
        "population": field_table(Population),
        "output": field_table(Output),
        "params": field_table(Params),
        "mechanisms": mechanism_list(),
        "levers": lever_table(),
    }


def render(text: str) -> str:
    """``text`` (docs/ODD.md) with every generated block replaced by its current content."""
    wanted = blocks()
    found = [m.group("name") for m in BLOCK.finditer(text)]
    missing = sorted(set(wanted) - set(found))
    if missing:
        raise ValueError(f"docs/ODD.md lacks the generated block(s) {missing}")
    return BLOCK.sub(lambda m: m.group(1) + wanted[m.group("name")] + m.group(4), text)


def main(argv: list[str]) -> int:
    current = ODD.read_text(encoding="utf-8")
    try:
        text = render(current)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if "--check" in argv:
        if text != current:
            print("docs/ODD.md is stale: run scripts/gen_odd_tables.py", file=sys.stderr)
            return 1
        return 0
    if text != current:
        ODD.write_text(text, encoding="utf-8")
        print("wrote docs/ODD.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
