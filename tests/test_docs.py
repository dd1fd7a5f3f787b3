"""The documentation in docs/ stays true: generated parts current, examples run, documented keys and codes real."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any, Optional, get_args

import pytest
import yaml
from click.testing import CliRunner
from pydantic import Field, TypeAdapter, create_model

from triage import errors
from triage.assess.assessor import Assessor
from triage.batch.inputs import Record
from triage.batch.outputs import CSV_COLUMNS
from triage.batch.scoring import score_record
from triage.cases import load_case
from triage.cli import cli
from triage.cli.common import STOPPING_SIGNALS
from triage.language import verify
from triage.language.checks import field_test_problems, unknown_safety_problem
from triage.language.conditions import Condition, FieldTest, signed_leaves
from triage.language.rulebook import Acknowledgment, Rule, RuleBaseMeta
from triage.models import DOMAINS, Assessment, Case, FieldDomain, OpenQuestion, Reason

from .conftest import ROOT
from .test_readme import mask_hash

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_generate", DOCS / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


generate = _load_generator()


def page(name: str) -> str:
    """The text of one page of docs/."""
    return (DOCS / name).read_text(encoding="utf-8")


def without_generated(text: str) -> str:
    """The hand-written part of a page: its generated parts removed."""
    return str(generate.GENERATED.sub("", text))


def documented_keys(text: str, table: str) -> list[list[str]]:
    """The rows of the table after ``<!-- keys: TABLE -->``, as cells (backticks removed from the first)."""
    block = text.split(f"<!-- keys: {table} -->\n", 1)[1].split("\n\n", 1)[0]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in block.splitlines()[2:]]
    return [[row[0].strip("`"), *row[1:]] for row in rows]


# --- generated parts ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PAGES, ids=[p.name for p in PAGES])
def test_generated_parts_are_up_to_date(path: Path) -> None:
    """Regenerating a page's generated parts changes nothing (else: run python docs/generate.py)."""
    text = path.read_text(encoding="utf-8")
    assert generate.unmatched_markers(text) == []
    assert generate.render(text, transcripts=False) == text, f"{path.name} is stale: run python docs/generate.py"


def test_every_generated_part_is_in_place() -> None:
    """The tables made from the model, the levels and the operator registry are present where they belong."""
    wanted = {"case-format.md": ["case fields", "unanswered fill", "metadata fields"], "levels.md": ["levels"],
              "rule-language.md": ["operators"]}
    found = {name: [m.group("name") for m in generate.GENERATED.finditer(page(name))] for name in wanted}
    assert {name: [part for part in parts if part in found[name]] for name, parts in wanted.items()} == wanted


def test_a_field_added_to_the_model_makes_the_case_format_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    """A new case field, not yet generated into case-format.md, makes the regeneration test fail."""
    extended = create_model("Extended", __base__=Case,
                            new_symptom=(Optional[bool], Field(None, description="a new symptom")))
    monkeypatch.setattr(generate, "Case", extended)
    monkeypatch.setattr(generate, "DOMAINS",
                        {**DOMAINS, "new_symptom": FieldDomain("new_symptom", "yes_no", description="a new symptom")})
    text = page("case-format.md")
    regenerated = generate.render(text, transcripts=False)
    assert regenerated != text and "| `new_symptom` | yes/no: `true` or `false` | a new symptom |" in regenerated


def test_the_operator_table_lists_the_registry() -> None:
    """The generated operator table has one row per operator of the registry, in its order."""
    rows = [line.split("|")[1].strip().strip("`") for line in generate.operators().splitlines()[2:]]
    assert rows == list(generate.OPERATORS)


def test_the_levels_page_has_every_level_and_safety_netting_text() -> None:
    """levels.md gives each level's label and meaning and every safety-netting text of the bundled rule base."""
    meta = RuleBaseMeta.model_validate(yaml.safe_load((ROOT / "triage/data/rules/rulebase.yaml").read_text()))
    text = page("levels.md")
    for level, level_text in meta.levels.items():
        assert f"### `{level}`: {level_text.label}\n\n{level_text.meaning}" in text
    assert all(item.text in text for item in meta.safety_netting)


# --- examples ----------------------------------------------------------------------------------------

TRANSCRIPTS = [(path.name, m.group("command"), int(m.group("code") or 0), m.group("body"))
               for path in PAGES for m in generate.TRANSCRIPT.finditer(path.read_text(encoding="utf-8"))]
FULL_HASH = re.compile(r'(?<="rules_hash": ")[0-9a-f]{64}(?=")')


@pytest.mark.parametrize(("name", "command", "code", "expected"), TRANSCRIPTS,
                         ids=[f"{name}: {command}" for name, command, _, _ in TRANSCRIPTS])
def test_transcripts_are_true(name: str, command: str, code: int, expected: str) -> None:
    """Each command shown in docs/ exits with the code shown and prints exactly its transcript, but the rules hash."""
    exit_code, output = generate.transcript(command)
    assert exit_code == code
    assert FULL_HASH.sub("<rules-hash>", mask_hash(output)) == FULL_HASH.sub("<rules-hash>", mask_hash(expected))


PYTHON_BLOCK = re.compile(r"```python\n(?P<code>.*?)```\n(?:\n```text\n(?P<output>.*?)```\n)?", re.DOTALL)


@pytest.mark.parametrize("path", [DOCS / "python-api.md", ROOT / "README.md"], ids=["python-api.md", "README.md"])
def test_python_examples_run_and_print_what_they_show(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Python block runs, in order, from the repository root, and prints the text block that follows it."""
    monkeypatch.chdir(ROOT)
    blocks = list(PYTHON_BLOCK.finditer(path.read_text(encoding="utf-8")))
    assert blocks
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    try:
        for block in blocks:
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(block.group("code"), f"{path.name} example", "exec"), namespace)  # noqa: S102 - our docs
            if block.group("output") is not None:
                assert printed.getvalue() == block.group("output"), block.group("code")
    finally:
        for value in namespace.values():
            if isinstance(value, Assessor):
                value.close()


def yaml_blocks(text: str) -> list[Any]:
    """The YAML examples a page writes by hand (not the files it includes), parsed."""
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", without_generated(text), re.DOTALL)]


def rule_problems(data: dict[str, Any]) -> list[str]:
    """What loading would refuse in one rule on its own: its schema, its fields and values, the unknown-answer test."""
    rule = Rule.model_validate(data)
    problems = []
    for leaf, negated in signed_leaves(rule.when):
        if isinstance(leaf, FieldTest):
            problems += field_test_problems(leaf)
            if leaf.field in DOMAINS and (reason := unknown_safety_problem(leaf, negated)):
                problems.append(reason)
    return problems


def test_the_rule_language_examples_are_valid_rules_and_conditions() -> None:
    """Each YAML example of rule-language.md is a valid condition or list of rules that loading would accept."""
    blocks = yaml_blocks(page("rule-language.md"))
    assert len(blocks) >= 3
    for data in blocks:
        if isinstance(data, dict) and "rules" in data:
            assert [problem for rule in data["rules"] for problem in rule_problems(rule)] == []
        else:
            condition = TypeAdapter(Condition).validate_python(data)
            assert all(field_test_problems(leaf) == [] for leaf, _ in signed_leaves(condition)
                       if isinstance(leaf, FieldTest))


def test_the_example_rule_base_passes_and_the_mistaken_one_is_refused() -> None:
    """docs/examples/rules loads and verifies clean; rules-with-mistakes fails to load with located problems."""
    from triage.language.loading import load_rulebase

    rulebase = load_rulebase(DOCS / "examples" / "rules")
    assert verify.verify(rulebase).errors == []
    with pytest.raises(errors.RuleBaseError) as refused:
        load_rulebase(DOCS / "examples" / "rules-with-mistakes")
    assert all(re.match(r"back-pain\.yaml:\d+: rule '", problem) for problem in refused.value.problems)


EXAMPLE_CASES = sorted((DOCS / "examples" / "cases").glob("*.yaml"))


@pytest.mark.parametrize("path", [p for p in EXAMPLE_CASES if p.stem != "typo"],
                         ids=[p.stem for p in EXAMPLE_CASES if p.stem != "typo"])
def test_example_cases_meet_their_expectations(path: Path, assessor: Assessor) -> None:
    """An example case with expected_* fields is assessed as they say, as a golden case is."""
    case = load_case(path)
    assert case.expected_urgency is not None
    result = assessor.assess(case)
    assert (result.urgency, result.surgical_consultation) == (case.expected_urgency, case.expected_surgical)
    assert sorted(result.fired_rules) == sorted(case.expected_rules or [])
    assert (result.complete, result.unanswered) == (case.expected_complete, case.expected_unanswered)


# --- the JSON output ---------------------------------------------------------------------------------

#: The keys the commissioning case format defines (shared/case-format.md, outside the repository).
CASE_FORMAT_KEYS = {
    "assessment": {"case_id", "urgency", "surgical_consultation", "complete", "findings", "reasons", "advice",
                   "unanswered", "rules_version"},
    "reason": {"rule", "title", "urgency", "because", "source"},
    "open question": set(),
    "batch line": set(),
    "batch error line": {"case_id", "error"},
}


@pytest.mark.parametrize(("table", "model"), [("assessment", Assessment), ("reason", Reason),
                                              ("open question", OpenQuestion)])
def test_documented_keys_are_the_models_fields(table: str, model: type[Any]) -> None:
    """output.md documents every key of the assessment, its reasons and open questions, and no other."""
    rows = documented_keys(page("output.md"), table)
    assert sorted(row[0] for row in rows) == sorted(model.model_fields)
    assert {row[0] for row in rows if row[1] == "case format"} == CASE_FORMAT_KEYS[table]
    assert all(row[1] in ("case format", "added") for row in rows)


def test_documented_batch_keys_are_those_written(assessor: Assessor) -> None:
    """A scored line is the assessment plus the documented keys; an error line and a CSV row have the documented ones."""
    text = page("output.md")
    good = json.loads(score_record(assessor, Record("a.yaml", "a", text="age: 30\n", suffix=".yaml")).json_line)
    bad = json.loads(score_record(assessor, Record("b.yaml", "b", text="age: x\n", suffix=".yaml")).json_line)
    assert sorted(set(good) - set(Assessment.model_fields)) == sorted(k for k, *_ in documented_keys(text, "batch line"))
    assert sorted(bad) == sorted(k for k, *_ in documented_keys(text, "batch error line"))
    rows = documented_keys(text, "batch error line")
    assert {row[0] for row in rows if row[1] == "case format"} == CASE_FORMAT_KEYS["batch error line"]
    assert [k for k, *_ in documented_keys(text, "csv")] == list(CSV_COLUMNS)


def test_documented_interview_keys_are_those_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """triage interview --format json prints the assessment plus exactly the keys output.md adds for it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "answers.yaml").write_text("region: lumbar\nsaddle_numbness: true\n")
    result = CliRunner().invoke(cli, ["interview", "--answers", "answers.yaml", "--format", "json"])
    assert result.exit_code == 0, result.output
    added = set(json.loads(result.stdout)) - set(Assessment.model_fields)
    assert sorted(added) == sorted(k for k, *_ in documented_keys(page("output.md"), "interview"))


# --- the rule language -------------------------------------------------------------------------------

def test_documented_rule_keys_are_the_schemas() -> None:
    """rule-language.md documents every key of a rule and of rulebase.yaml, and no other."""
    text = page("rule-language.md")
    assert sorted(k for k, *_ in documented_keys(text, "rule")) == sorted(Rule.model_fields)
    assert sorted(k for k, *_ in documented_keys(text, "rulebase.yaml")) == sorted(RuleBaseMeta.model_fields)


def test_every_check_of_triage_check_is_documented() -> None:
    """The table of triage check's checks names exactly the checks verify.py reports, and which can be acknowledged."""
    source = Path(verify.__file__).read_text()
    reported = set(re.findall(r'(?:_at\(item, |Issue\()"([a-z]+(?:-[a-z]+)*)"', source))
    table = page("rule-language.md").split("| check |", 1)[1].split("\n\n", 1)[0]
    rows = {cells[0].strip("` "): cells[1].strip() for line in table.splitlines()[2:]
            if (cells := line.strip("|").split("|"))}
    assert sorted(rows) == sorted(reported)
    acknowledgeable = set(get_args(Acknowledgment.model_fields["check"].annotation))
    assert {name for name, kind in rows.items() if kind == "error unless acknowledged"} == acknowledgeable
    assert {name for name, kind in rows.items() if kind == "warning"} == set(verify.WARNING_CHECKS)


# --- exit codes --------------------------------------------------------------------------------------

def test_exit_codes_have_one_meaning_each() -> None:
    """exit-codes.md lists 0, 1, 2, 3, 129, 130, 131, 141 and 143 once each; triage's errors exit 1, but an engine
    failure 3; the signals that stop a command are those the page lists."""
    text = page("exit-codes.md")
    codes = re.findall(r"^\| (\d+) \| ", text.split("## Examples")[0], re.MULTILINE)
    assert codes == ["0", "1", "2", "3", "129", "130", "131", "141", "143"]
    assert sorted(128 + number for number in STOPPING_SIGNALS) == [129, 131, 143]
    kinds = [value for value in vars(errors).values() if isinstance(value, type) and issubclass(value, errors.TriageError)]
    assert {kind.__name__: kind.exit_code for kind in kinds if kind.exit_code != 1} == {"EngineError": 3}


EXAMPLES = re.findall(r"^\| `(triage [^`]+)` \| (\d+) \|$", page("exit-codes.md").split("<!-- exit codes -->")[1],
                      re.MULTILINE)


@pytest.mark.parametrize(("command", "code"), [(command, int(code)) for command, code in EXAMPLES],
                         ids=[command for command, _ in EXAMPLES])
def test_exit_code_examples(command: str, code: int) -> None:
    """Each example command of exit-codes.md exits with the code the page gives."""
    assert generate.transcript(command)[0] == code


def test_the_exit_code_examples_cover_every_code_a_command_can_show() -> None:
    """The examples show 0, 1 and 2 (3 is a bug; 130 and 143 need a signal: tests/contract/test_interrupts.py)."""
    assert {int(code) for _, code in EXAMPLES} == {0, 1, 2}


# --- links and packaging -----------------------------------------------------------------------------

def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a page's headings."""
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.+)$", text, re.MULTILINE)}


@pytest.mark.parametrize("path", [*PAGES, ROOT / "README.md"], ids=[*(p.name for p in PAGES), "README.md"])
def test_every_link_resolves(path: Path) -> None:
    """Every relative link of a page names a file of the repository, and its #anchor a heading of that file."""
    broken = []
    for target in re.findall(r"\]\(([^)#:]+)(?:#([^)]+))?\)", path.read_text(encoding="utf-8")):
        file, anchor = (path.parent / target[0]).resolve(), target[1]
        if not file.exists() or (anchor and file.is_file() and anchor not in anchors(file.read_text())):
            broken.append("#".join(t for t in target if t))
    assert broken == []


def prose(text: str) -> str:
    """A page without its fenced blocks (rule files and outputs quote rule sources, which cite outside documents)."""
    return re.sub(r"```.*?```", "", text, flags=re.DOTALL)


def test_the_readme_links_every_page_and_cites_no_file_outside_the_repository() -> None:
    """The README links each page of docs/, and its prose names no .md file that is not in the repository."""
    readme = (ROOT / "README.md").read_text()
    assert [p.name for p in PAGES if f"](docs/{p.name})" not in readme and p.name != "README.md"] == []
    present = {p.name for p in ROOT.rglob("*.md") if ".venv" not in p.parts}
    assert sorted(set(re.findall(r"[\w.-]+\.md\b", prose(readme))) - present) == []


def test_the_sdist_includes_the_docs() -> None:
    """The source distribution carries docs/ (the pages, their examples and generator)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "docs" in pyproject["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
