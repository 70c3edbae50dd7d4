"""The documentation stays true to the code: ODD headings, outcomes, parameters, regimes,
the generated regime reference and the regimes' source citations."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import re
from pathlib import Path

import pytest

from sim.config import Params
from sim.levers import Levers
from sim.outcomes import OUTCOME_NAMES
from sim.regimes import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"
SEEDS = ROOT.parent / "shared" / "seeds"
SEED_FILES = (
    "000_2ce95af13791697c.txt",
    "001_7ea81781fc66c4d7.txt",
    "002_683259ac5f475297.txt",
    "003_34c2b211615d9395.txt",
    "004_c5bc666cf4e02d46.txt",
)
# Non-seed sources: the structured extractions in ../shared/sources/ (which cite the
# publications and seed lines they rest on), or a publication ("Author (year)").
EXTRACTIONS = (
    "science-anchors.md",
    "seed002-part1.md",
    "seed002-part2.md",
    "seed002-part3.md",
    "seed003.md",
)
PUBLICATION = re.compile(r"\b(1[89]|20)\d\d[a-z]?\b")

ODD_2020_HEADINGS = (
    "Purpose and patterns",
    "Entities, state variables, and scales",
    "Process overview and scheduling",
    "Design concepts",
    "Basic principles",
    "Emergence",
    "Adaptation",
    "Objectives",
    "Learning",
    "Prediction",
    "Sensing",
    "Interaction",
    "Stochasticity",
    "Collectives",
    "Observation",
    "Initialization",
    "Input data",
    "Submodels",
)


@pytest.fixture(scope="module")
def odd() -> str:
    return ODD.read_text(encoding="utf-8")


def _all_sources():
    return [(name, s) for name, cls in sorted(REGISTRY.items()) for s in cls.sources]


def test_odd_has_the_2020_headings_in_order(odd):
    headings = [
        re.sub(r"^#+\s*(\d+(\.\d+)*\.?\s*)?", "", line).strip()
        for line in odd.splitlines()
        if line.startswith("#")
    ]
    positions = []
    for title in ODD_2020_HEADINGS:
        assert title in headings, f"ODD heading '{title}' missing"
        positions.append(headings.index(title))
    assert positions == sorted(positions), "ODD 2020 headings out of order"


@pytest.mark.parametrize("name", OUTCOME_NAMES)
def test_every_outcome_is_documented(odd, name):
    assert f"`{name}`" in odd or re.search(rf"`{re.escape(name[:-1])}\d?`", odd), name


def test_size_class_outcomes_are_listed(odd):
    # events_class_1 … events_class_4 are given as a range in the table
    classes = [n for n in OUTCOME_NAMES if n.startswith("events_class_")]
    assert "`events_class_1` … `events_class_4`" in odd
    assert classes == [f"events_class_{k}" for k in range(1, 5)]


@pytest.mark.parametrize("name", sorted(Params.model_fields))
def test_every_param_is_documented(odd, name):
    assert re.search(rf"\b{re.escape(name)}\b", odd), f"Params.{name} not mentioned in ODD.md"


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_regime_has_an_odd_subsection(odd, name):
    pattern = rf"^#### 7\.8\.\d+ {re.escape(name)} — .+$"
    assert re.search(pattern, odd, re.MULTILINE), f"no '#### 7.8.N {name} — title' heading"


def test_odd_regime_subsections_are_numbered_in_sequence(odd):
    numbers = [int(n) for n in re.findall(r"^#### 7\.8\.(\d+) ", odd, re.MULTILINE)]
    assert numbers == list(range(1, len(REGISTRY) + 1))


def test_regimes_reference_is_up_to_date():
    spec = importlib.util.spec_from_file_location(
        "gen_regimes_doc", ROOT / "scripts" / "gen_regimes_doc.py"
    )
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = gen.render()
    for name in REGISTRY:
        assert f"## {name}\n" in text
    current = (ROOT / "docs" / "regimes.md").read_text(encoding="utf-8")
    assert current == text, "docs/regimes.md is stale: run scripts/gen_regimes_doc.py"


@pytest.mark.parametrize(("regime", "source"), _all_sources(), ids=lambda x: getattr(x, "file", x))
def test_sources_cite_a_seed_or_a_publication(regime, source):
    assert source.note.strip(), f"{regime}: source without a note"
    if source.file in SEED_FILES:
        assert re.fullmatch(r"\d+(-\d+)?(, ?\d+(-\d+)?)*", source.lines), (
            f"{regime}: bad line range '{source.lines}' for {source.file}"
        )
    else:
        assert source.file in EXTRACTIONS or PUBLICATION.search(source.file), (
            f"{regime}: '{source.file}' is neither a seed file nor a publication"
        )


def _line_numbers(lines: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", lines)]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds not available")
@pytest.mark.parametrize(("regime", "source"), _all_sources(), ids=lambda x: getattr(x, "file", x))
def test_seed_line_ranges_are_within_the_file(regime, source):
    if source.file not in SEED_FILES:
        return
    path = SEEDS / source.file
    assert path.exists(), f"{regime}: {source.file} missing from {SEEDS}"
    n_lines = len(path.read_text(encoding="utf-8").splitlines())
    numbers = _line_numbers(source.lines)
    assert numbers and all(1 <= k <= n_lines for k in numbers), (
        f"{regime}: {source.file}:{source.lines} outside 1..{n_lines}"
    )
    for a, b in re.findall(r"(\d+)-(\d+)", source.lines):
        assert int(a) <= int(b), f"{regime}: reversed range {a}-{b}"


def _cited_spans(lines: str) -> list[tuple[int, int]]:
    """The (first, last) line of each part of a citation such as ``"12, 14-15"``."""
    spans = []
    for part in lines.split(","):
        nums = [int(n) for n in re.findall(r"\d+", part)]
        if nums:
            spans.append((nums[0], nums[-1]))
    return spans


def test_cited_spans_parse_each_part():
    assert _cited_spans("12, 14-15,3445-3452") == [(12, 12), (14, 15), (3445, 3452)]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds not available")
@pytest.mark.parametrize(("regime", "source"), _all_sources(), ids=lambda x: getattr(x, "file", x))
def test_cited_seed_lines_hold_text(regime, source):
    """Issue 18: a citation must point at words, not at a blank stretch of the file —
    every part of a cited range holds at least a few letters of text."""
    if source.file not in SEED_FILES:
        return
    text = (SEEDS / source.file).read_text(encoding="utf-8").splitlines()
    for a, b in _cited_spans(source.lines):
        body = " ".join(text[a - 1 : b])
        letters = sum(ch.isalpha() for ch in body)
        assert letters >= 20, (
            f"{regime}: {source.file}:{a}-{b} is (nearly) empty ({letters} letters)"
        )


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_regime_parameter_has_a_description(name):
    cls = REGISTRY[name]
    assert cls.title.strip() and cls.summary.strip() and cls.sources
    for fname, field in cls.Params.model_fields.items():
        if fname == "type":
            continue
        assert (field.description or "").strip(), f"{name}.{fname} has no description"


# What a parameter's unit may be: the last parenthesis of its description, up to a ";"
# (a citation may follow), begins with one of these (e.g. "share/month", "log-odds per
# log10 people", "months of wage"). A citation alone ("(seed 002 C1)", "(D4)") or a gloss
# ("(peasants)") is not a unit.
UNIT_HEADS = (
    "dimensionless", "share", "shares", "1/month", "1/year", "1/share", "month", "months",
    "year", "years", "people", "agents", "units", "villages", "ties", "rank", "log-odds",
    "log sd", "index", "ratio", "multiplier", "probability", "prob.", "prob./month",
    "wage units", "loyalty", "activism", "grievance", "hardship", "legitimacy", "fear",
    "alienation", "collusion", "enforcement", "escalation", "hardness", "hostility",
    "political capital", "capital index", "score", "deaths", "officers", "person-months",
    "threshold units", "units of", "0–1", "0-1", "per", "×", "household plots", "corruption",
    "share-of-land equivalent", "index-months",
)  # fmt: skip
_UNIT = re.compile(r"^(" + "|".join(re.escape(h) for h in UNIT_HEADS) + r")(?![\w-])")
_LAST_PAREN = re.compile(r"\(([^()]*)\)\s*$")


def unit_of(description: str) -> str | None:
    """The unit a parameter description ends with, or None if it names none."""
    m = _LAST_PAREN.search(description.strip())
    if m is None:
        return None
    unit = m.group(1).split(";")[0].strip()
    return unit if _UNIT.match(unit) else None


def _numeric(annotation) -> bool:
    import types
    import typing

    if annotation in (int, float):
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(a in (int, float) for a in typing.get_args(annotation))
    return False


def _config_models():
    from sim.config import Output, Population

    yield "Params", Params
    yield "Population", Population
    yield "Output", Output
    for name, cls in sorted(REGISTRY.items()):
        yield name, cls.Params


def test_unit_of_reads_units_not_citations():
    assert unit_of("monthly decay of fear (1/month)") == "1/month"
    assert unit_of("weight (seed 003 B6, line 100) (share)") == "share"
    assert unit_of("hazard (1/month; seed 002 3233-3242)") == "1/month"
    assert unit_of("log-odds per label step (log-odds per label step)") == "log-odds per label step"
    assert unit_of("penalty per step of bad class label (seed 002 C1)") is None
    assert unit_of("extra capacity at full escalation (x, D4)") is None
    assert unit_of("weight of land lost (peasants)") is None
    assert unit_of("share of units that are mines") is None
    assert unit_of("a quantity (shareholders)") is None


def test_every_numeric_parameter_states_its_unit():
    """Issue 13 standards: every numeric field of Params, Population, Output and the regime
    configs ends its description with a unit in parentheses (docs audit; ODD 7.9 and
    docs/regimes.md show these descriptions)."""
    missing = [
        f"{name}.{fname}: {field.description!r}"
        for name, model in _config_models()
        for fname, field in model.model_fields.items()
        if fname != "type"
        and _numeric(field.annotation)
        and unit_of(field.description or "") is None
    ]
    assert not missing, "descriptions without a unit:\n" + "\n".join(missing)


def test_odd_parameter_table_matches_the_defaults(odd):
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+?) \|", odd.split("### 7.9")[-1], re.MULTILINE))
    for name, field in Params.model_fields.items():
        assert name in rows, f"Params.{name} missing from the 7.9 table"
        default = field.default
        text = f"{default:g}" if isinstance(default, float) else str(default)
        assert rows[name] == text, f"Params.{name}: ODD says {rows[name]}, code {text}"


def test_odd_states_the_discretization_default(odd):
    assert Params().discretization == "none"
    assert "`none` (the default" in odd


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_odd_generated_blocks_are_up_to_date(odd):
    """The tables of Population (5), Output (4.11), the levers (7.7) and Params (7.9) and the
    mechanism list (7.10) are the code's own defaults, bounds and descriptions: a field added, changed or
    dropped in the code, or a row edited or removed in ODD.md, makes them differ."""
    gen = _load_script("gen_odd_tables")
    assert odd == gen.render(odd), "docs/ODD.md is stale: run scripts/gen_odd_tables.py"


def test_odd_generated_blocks_hold_every_field(odd):
    gen = _load_script("gen_odd_tables")
    from sim.config import Output, Population
    from sim.mechanisms import MECHANISMS

    blocks = dict((m.group("name"), m.group("body")) for m in gen.BLOCK.finditer(odd))
    for name, model in (("population", Population), ("output", Output), ("params", Params)):
        rows = re.findall(r"^\| `(\w+)` \| (.*?) \| (.*?) \|", blocks[name], re.MULTILINE)
        assert [r[0] for r in rows] == list(model.model_fields), name
        for field, default, bounds in rows:
            info = model.model_fields[field]
            assert default == gen.default_text(info.default), (name, field)
            assert bounds == gen.bounds_text(info), (name, field)
    listed = re.findall(r"^- `(\w+)` — ", blocks["mechanisms"], re.MULTILINE)
    assert listed == [m.name for m in MECHANISMS]
    levers = re.findall(r"^\| `(\w+)` \| (.*?) \|", blocks["levers"], re.MULTILINE)
    neutral = Levers()
    assert [name for name, _ in levers] == [f.name for f in dataclasses.fields(Levers)]
    assert all(value == gen.default_text(getattr(neutral, name)) for name, value in levers)


def test_gen_odd_tables_refuses_a_file_without_its_markers(odd):
    gen = _load_script("gen_odd_tables")
    cut = re.sub(r"<!-- generated: output.*?<!-- end generated: output -->\n", "", odd, flags=re.S)
    with pytest.raises(ValueError, match="output"):
        gen.render(cut)


def test_gen_odd_tables_formats_defaults_and_bounds():
    gen = _load_script("gen_odd_tables")
    assert [gen.default_text(v) for v in (0.05, 1e7, 12, True, None, "none")] == [
        "0.05",
        "1e+07",
        "12",
        "true",
        "None",
        "none",
    ]
    assert gen.bounds_text(Params.model_fields["fear_turnout"]) == "≥ 0.001, ≤ 1"
    assert gen.bounds_text(Params.model_fields["discretization"]) == "floor, round, none"


def test_developing_names_every_module():
    """docs/DEVELOPING.md's layout names every module of sim/ (a new module needs its line)."""
    text = (ROOT / "docs" / "DEVELOPING.md").read_text(encoding="utf-8")
    missing = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "sim").rglob("*.py"))
        if path.name != "__init__.py" and path.name not in text
    ]
    assert not missing, f"not named in docs/DEVELOPING.md: {missing}"


def test_odd_names_every_state_column(odd):
    """Section 2 ("Entities, state variables, and scales") names every column of the
    people, units and villages arrays (`sim/state.py`): a new column needs its line there."""
    from sim import state

    section = odd.split("## 2. Entities")[1].split("## 3. ")[0]
    for spec in ("PEOPLE_COLUMNS", "UNIT_COLUMNS", "VILLAGE_COLUMNS"):
        missing = [name for name in getattr(state, spec) if f"`{name}`" not in section]
        assert not missing, f"{spec} not named in ODD section 2: {missing}"


def test_odd_lists_every_composed_quantity(odd):
    """Section 3 ("Composition of regimes") names every quantity composed from named terms
    (`sim/model.py` PERSON_TERMS, LOCALITY_TERMS): a new one needs its place in that list."""
    section = odd.split("**Composition of regimes.**")[1].split("**Fades.**")[0]
    names = _model_constants("COMPOSED_COLUMNS", "PERSON_TERMS", "LOCALITY_TERMS")
    quantities = (*names["PERSON_TERMS"], *names["LOCALITY_TERMS"])
    assert set(names["COMPOSED_COLUMNS"]) <= set(quantities) and "merit" in quantities
    missing = [q for q in quantities if f"`{q}`" not in section]
    assert not missing, f"composed quantities not listed in ODD section 3: {missing}"


def _model_constants(*names: str) -> dict[str, tuple[str, ...]]:
    """Tuples of names assigned at the top of sim/model.py, read without importing it (and
    Mesa, pandas): a starred name refers to a tuple assigned before it."""
    tree = ast.parse((ROOT / "sim" / "model.py").read_text(encoding="utf-8"))
    found: dict[str, tuple[str, ...]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple)):
            continue
        items: list[str] = []
        for elt in node.value.elts:
            if isinstance(elt, ast.Starred) and getattr(elt.value, "id", None) in found:
                items += found[elt.value.id]
            elif isinstance(elt, ast.Constant) and isinstance(elt.value, str):
                items.append(elt.value)
            else:
                break
        else:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = tuple(items)
    return {name: found[name] for name in names}


def test_readme_commands_and_options_exist():
    """Every `cadresim VERB --option` README shows is a command with that option."""
    import click
    import typer

    from sim import cli

    group = typer.main.get_command(cli.app)
    ctx = click.Context(group)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    seen = 0
    for line in readme.splitlines():
        for verb, rest in re.findall(r"`cadresim ([a-z]+)([^`]*)`", line):
            if verb.startswith("-"):
                continue
            command = group.get_command(ctx, verb)
            assert command is not None, f"README names `cadresim {verb}`, which does not exist"
            options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
            for option in re.findall(r"(--[a-z][a-z-]*)", rest):
                assert option in options, f"README: `cadresim {verb}` has no {option}"
            seen += 1
    assert seen >= 10


def _module_names(path: Path) -> dict[str, set[str] | None]:
    """Top-level names a module defines (functions, classes, assignments, imports); for a
    class, the names its body defines (None for anything else)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: dict[str, set[str] | None] = {}

    def targets(node) -> list[str]:
        if isinstance(node, ast.Assign):
            return [t.id for t in node.targets if isinstance(t, ast.Name)]
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            return [node.target.id]
        return []

    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            body = {n.name for n in node.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
            body |= {t for n in node.body for t in targets(n)}
            names[node.name] = body
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names[node.name] = None
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name.split(".")[0], None) for a in node.names)
        else:
            names.update((t, None) for t in targets(node))
    return names


def test_docs_name_only_functions_that_exist():
    """`module.function` (or `sim.module.Class.attribute`) in DEVELOPING, ODD and README
    names something defined in that module of sim/ (read statically, no import)."""
    files = [p for p in (ROOT / "sim").rglob("*.py") if p.name != "__init__.py"]
    by_name: dict[str, Path] = {}
    for path in files:
        by_name[".".join(path.relative_to(ROOT).with_suffix("").parts)] = path
        by_name.setdefault(path.stem, path)
    # `model.x`, `terms.x` and `levers.x` in the docs are the model's instances (the
    # generated tables of ODD 7.7 cover the levers), not the modules' top-level names.
    for instance in ("model", "terms", "levers"):
        by_name.pop(instance)
    skip = {"py", "md", "yaml", "parquet", "png", "json", "csv", "ipynb", "txt"}
    problems, checked = [], 0
    for doc in ("docs/DEVELOPING.md", "docs/ODD.md", "README.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        for token in re.findall(r"`((?:sim\.)?[a-z_]+(?:\.[A-Za-z_]\w*)+)(?:\([^`]*\))?`", text):
            parts = token.split(".")
            if parts[-1] in skip:
                continue
            for i in range(len(parts) - 1, 0, -1):
                module = ".".join(parts[:i])
                if module in by_name:
                    break
            else:
                continue
            defined = _module_names(by_name[module])
            attr, rest = parts[i], parts[i + 1 :]
            checked += 1
            if attr not in defined:
                problems.append(f"{doc}: `{token}` — {module} defines no {attr}")
            elif rest and defined[attr] is not None and rest[0] not in defined[attr]:
                problems.append(f"{doc}: `{token}` — {module}.{attr} has no {rest[0]}")
    assert not problems, "\n".join(problems)
    assert checked > 30
