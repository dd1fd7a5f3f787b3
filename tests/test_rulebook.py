"""The rule files: schema, cross-file checks and the bundled rule base."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from triage.errors import RuleBaseError
from triage.files import SyntaxProblem
from triage.language.loading import bundled_rules_dir, load_rulebase
from triage.language.rulebook import RuleBase

from .conftest import CRITERIA_DOC, ROOT


def broken_copy(tmp_path: Path, edits: dict[str, list[tuple[str, str]]]) -> Path:
    """A copy of the bundled rules with text replacements applied (each must match once)."""
    folder = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), folder)
    for name, replacements in edits.items():
        path = folder / name
        text = path.read_text() if path.exists() else ""
        for old, new in replacements:
            assert old == "" or text.count(old) >= 1, old
            text = text.replace(old, new, 1) if old else new
        path.write_text(text)
    return folder


def line_of(folder: Path, file: str, text: str, nth: int = 1) -> int:
    """The number of the nth line of a file of the rule folder that contains ``text``."""
    numbers = [n for n, line in enumerate((folder / file).read_text().splitlines(), 1) if text in line]
    return numbers[nth - 1]


def rule_at(folder: Path, file: str, rule_id: str, nth: int = 1) -> str:
    """How problems with a rule are located: ``soon.yaml:27: rule 'night-pain'``."""
    return f"{file}:{line_of(folder, file, f'- id: {rule_id}', nth)}: rule '{rule_id}'"


def problems(folder: Path) -> list[str]:
    with pytest.raises(RuleBaseError) as caught:
        load_rulebase(folder)
    return caught.value.problems


def test_bundled_rule_base_is_valid(rulebase: RuleBase) -> None:
    """The shipped rules load without a problem and have a version and a content hash."""
    assert rulebase.version == "1.0.0"
    assert re.fullmatch(r"[0-9a-f]{64}", rulebase.content_hash)


def test_every_rule_cites_a_source_and_a_criterion(rulebase: RuleBase) -> None:
    """Every rule cites clinical-criteria.md or a seed, and names a listed criterion."""
    for rule in rulebase.rules:
        assert rule.criterion in rulebase.meta.criteria, rule.id
        assert any(key in rule.source for key in rulebase.meta.sources), rule.id


SECTION_LEVELS = {"Emergency": "emergency", "Urgent": "urgent", "Soon": "soon", "Routine": "routine",
                  "Self-care": "self_care"}


def criteria_table() -> tuple[dict[str, dict[str, str]], set[str]]:
    """The criteria of docs/criteria.md (id -> level, criterion, surgical flag, source) and its source keys."""
    criteria: dict[str, dict[str, str]] = {}
    sources: set[str] = set()
    section = None
    for line in CRITERIA_DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].split(" ")[0]
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("| ") else []
        if not cells or cells[0] in ("id", "key") or set(cells[0]) <= {"-"}:
            continue
        if section == "Sources":
            sources.add(cells[0])
        elif section in SECTION_LEVELS:
            assert len(cells) == 4, f"docs/criteria.md: row {cells[0]} needs id, criterion, surgical flag, source"
            criteria[cells[0]] = {"level": SECTION_LEVELS[section], "criterion": cells[1],
                                  "surgical": cells[2], "source": cells[3]}
    return criteria, sources


def test_the_criteria_table_is_whole() -> None:
    """docs/criteria.md lists E1-E8, U1-U9, S1-S13, R1-R6 and self-care, each with its text, flag and source."""
    criteria, sources = criteria_table()
    expected = [f"E{n}" for n in range(1, 9)] + [f"U{n}" for n in range(1, 10)] + \
        [f"S{n}" for n in range(1, 14)] + [f"R{n}" for n in range(1, 7)] + ["self-care"]
    assert list(criteria) == expected
    for name, row in criteria.items():
        assert row["criterion"] and row["source"], name
        assert row["surgical"].split(" ")[0] in ("yes", "no"), name
    assert {"seed-000", "GIRFT-CES-2023", "PAEDS", "FRACTURE-2013"} <= sources


def test_criteria_match_the_criteria_table(rulebase: RuleBase) -> None:
    """The criteria ids and levels in rulebase.yaml are exactly those of docs/criteria.md."""
    criteria, _ = criteria_table()
    assert {name: c.level for name, c in rulebase.meta.criteria.items()} == \
        {name: row["level"] for name, row in criteria.items()}


def test_every_criterion_of_the_table_is_encoded_at_its_level(rulebase: RuleBase) -> None:
    """Each criterion of docs/criteria.md has a rule that sets its level (self-care: a rule that gives advice)."""
    criteria, _ = criteria_table()
    for name, row in criteria.items():
        rules = [rule for rule in rulebase.rules if rule.criterion == name]
        if row["level"] == "self_care":
            assert rules and all(rule.advice and rule.urgency is None for rule in rules), name
        else:
            assert any(rule.urgency == row["level"] for rule in rules), name


def test_surgical_flags_match_the_criteria_table(rulebase: RuleBase) -> None:
    """A criterion marked "yes" has a surgical rule; one marked "no" has none."""
    criteria, _ = criteria_table()
    for name, row in criteria.items():
        surgical = any(rule.surgical for rule in rulebase.rules if rule.criterion == name)
        assert surgical == row["surgical"].startswith("yes"), name


def test_every_source_of_the_table_is_listed_in_the_rule_base(rulebase: RuleBase) -> None:
    """Each source key of docs/criteria.md is a source the rules can cite (rulebase.yaml sources)."""
    _, sources = criteria_table()
    assert sorted(sources - set(rulebase.meta.sources)) == []


def test_schema_problems_are_located(tmp_path: Path) -> None:
    """Unknown keys (with suggestions) and bad values name the file, the rule and the key path."""
    folder = broken_copy(tmp_path, {"soon.yaml": [
        ("  - id: night-pain\n", "  - id: night-pain\n    sorce: x\n"),
        ("{field: duration_days, gt: 7}", "{field: duration_days, gtt: 7}"),
        ("    urgency: soon\n    source: \"clinical-criteria.md S3", "    urgency: later\n    source: \"clinical-criteria.md S3"),
    ]})
    def key_at(text: str) -> str:
        return f"soon.yaml:{line_of(folder, 'soon.yaml', text)}"

    assert problems(folder) == [
        f"{key_at('urgency: later')}: rule 'night-pain': urgency: 'later' is not one of 'emergency', 'urgent', "
        "'soon', 'routine' or 'self_care'",
        f"{key_at('sorce: x')}: rule 'night-pain': sorce: unknown key (did you mean 'source'?)",
        f"{key_at('gtt: 7')}: rule 'pain-beyond-a-week': when.all[0].gtt: unknown key (did you mean 'gt'?)",
    ]


def test_cross_file_problems_are_all_reported(tmp_path: Path) -> None:
    """Unknown fields, wrong values, duplicate ids, unasserted findings, level and negation problems at once."""
    folder = broken_copy(tmp_path, {
        "soon.yaml": [
            ("{field: night_pain, is: true}", "{field: nite_pain, is: true}"),
            ("{field: limb_numbness, is: true}", "{field: limb_numbness, is: maybe}"),
            ("  - id: unexplained-weight-loss", "  - id: night-pain"),
            ("{finding: myelopathy_signs}", "{finding: myelopathy_sign}"),
            ("{field: age, gte: 50}", "{field: region, gte: 50}"),
        ],
        "urgent.yaml": [
            ("urgency: urgent\n    surgical: true\n    source: \"clinical-criteria.md U3",
             "urgency: routine\n    surgical: true\n    source: \"clinical-criteria.md U3"),
            ("    when: {field: sexual_dysfunction, is: true}", "    when: {not: {finding: ces_symptom}}"),
        ],
    })
    soon, urgent = "soon.yaml", "urgent.yaml"
    assert problems(folder) == [
        f"{rule_at(folder, soon, 'numbness-or-stable-weakness')}: when: field 'limb_numbness' is yes/no; "
        "'maybe' is not true or false",
        f"{rule_at(folder, soon, 'night-pain')}: when: field 'nite_pain' is not a case field (did you mean 'night_pain'?)",
        f"{rule_at(folder, soon, 'night-pain', 2)}: the id is already used by a rule in soon.yaml",
        f"{rule_at(folder, soon, 'myelopathy-signs-both')}: when: finding 'myelopathy_sign' is asserted by no rule "
        "(did you mean 'myelopathy_signs'?)",
        f"{rule_at(folder, soon, 'age-over-50-with-flags')}: when: field 'region' is a choice field; "
        "'gte' needs a number field",
        f"{rule_at(folder, urgent, 'foot-drop-or-progressive-weakness')}: urgency routine is below its criterion U3 "
        "(urgent)",
        f"{rule_at(folder, urgent, 'new-sexual-dysfunction')}: when: a finding under 'not' is not supported "
        "(findings are derived during chaining; negate the answers instead)",
    ]


def test_cycles_among_findings_are_refused(tmp_path: Path) -> None:
    """Two findings that each need the other are reported as a cycle."""
    folder = broken_copy(tmp_path, {"cycle.yaml": [("", """rules:
  - id: a
    criterion: S3
    title: a
    when: {finding: b_found}
    asserts: a_found
    source: seed-000
  - id: b
    criterion: S3
    title: b
    when: {finding: a_found}
    asserts: b_found
    source: seed-000
""")]})
    assert problems(folder) == ["findings form a cycle: a_found -> b_found -> a_found"]


def test_missing_source_key_and_unlisted_criterion(tmp_path: Path) -> None:
    """A source naming no listed document and an unknown criterion id are refused."""
    folder = broken_copy(tmp_path, {"routine.yaml": [
        ('source: "clinical-criteria.md R4; seed-002 (intermittent claudication from calcified herniation)"',
         'source: "my own opinion"'),
        ("criterion: R5", "criterion: R55"),
    ]})
    assert problems(folder) == [
        f"{rule_at(folder, 'routine.yaml', 'claudication')}: source names none of the sources listed in rulebase.yaml",
        f"{rule_at(folder, 'routine.yaml', 'occipital-headache')}: criterion 'R55' is not listed in rulebase.yaml "
        "(did you mean 'R5'?)",
        f"rulebase.yaml:{line_of(folder, 'rulebase.yaml', '  R5: ')}: criterion R5 is encoded by no rule",
    ]


def test_bad_yaml_and_missing_meta(tmp_path: Path) -> None:
    """A YAML syntax error is located by line; a folder without rulebase.yaml says what is missing."""
    folder = broken_copy(tmp_path, {"advice.yaml": [("rules:\n", "rules: [\n")]})
    assert problems(folder)[0].startswith("advice.yaml: not valid YAML: line ")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert problems(empty) == ["rulebase.yaml: missing (it holds the version, sources, criteria and level texts)"]


def test_yaml_is_data_not_code(tmp_path: Path) -> None:
    """A YAML tag that would build a Python object is refused (safe loading only)."""
    folder = broken_copy(tmp_path, {"advice.yaml": [("rules:\n", "rules: !!python/object/apply:os.system ['true']\n")]})
    assert problems(folder)[0].startswith("advice.yaml: not valid YAML: ")


def test_no_eval_or_exec_in_the_package() -> None:
    """Rules are data: the package never calls eval or exec, and compile only once, on syntax trees it builds.

    ``language/codegen.py`` compiles the compiled Python engine and the explanations from trees it
    constructs from validated rules (never rule text); it never runs a module, and takes each
    function's code object from the compiled constants.
    """
    compiling = []
    for path in (ROOT / "triage").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"\b(eval|exec)\(", text), path
        compiling += [(path.relative_to(ROOT).as_posix(), line) for line in text.splitlines()
                      if re.search(r"(?<![\w.])compile\(", line) and not line.lstrip().startswith(("#", "def "))]
    assert compiling == [("triage/language/codegen.py", '    code = compile(module, where, "exec")')]


def test_content_hash_follows_content_not_location(tmp_path: Path, rulebase: RuleBase) -> None:
    """The same files elsewhere have the same hash; any edit changes it."""
    same = broken_copy(tmp_path, {})
    assert load_rulebase(same).content_hash == rulebase.content_hash
    edited = broken_copy(tmp_path / "e", {"soon.yaml": [("Pain that is worse at night", "Pain worse at night")]})
    assert load_rulebase(edited).content_hash != rulebase.content_hash


def test_a_test_for_no_must_say_what_unknown_means(tmp_path: Path) -> None:
    """'is: false' without or_unknown is refused: a blank answer would silently switch a criterion off."""
    folder = broken_copy(tmp_path, {"urgent.yaml": [
        ("{field: ces_symptoms_worsening, is: false, or_unknown: true}", "{field: ces_symptoms_worsening, is: false}"),
    ]})
    assert problems(folder) == [
        f"{rule_at(folder, 'urgent.yaml', 'ces-longstanding-stable')}: when: field 'ces_symptoms_worsening': the test "
        "holds for a less severe answer but not for an unknown one; add or_unknown: true (or test the more severe "
        "answers)",
    ]


def test_null_operands_and_empty_lists_are_refused(tmp_path: Path) -> None:
    """A comparison with a null value or an empty 'in' is a schema error, not a silent never-true test."""
    folder = broken_copy(tmp_path, {"soon.yaml": [
        ("{field: duration_days, gt: 7}", "{field: duration_days, gt: null}"),
        ("{field: pain_trend, in: [stable, worsening]}", "{field: pain_trend, in: []}"),
    ]})
    assert problems(folder) == [
        f"soon.yaml:{line_of(folder, 'soon.yaml', 'gt: null')}: rule 'pain-beyond-a-week': when.all[0]: 'gt' needs a "
        "value, not null",
        f"soon.yaml:{line_of(folder, 'soon.yaml', 'in: []')}: rule 'pain-beyond-a-week': when.all[1].in: must not be "
        "empty",
    ]


def test_engine_names_cannot_be_rule_ids(tmp_path: Path) -> None:
    """Ids starting with '_' are the engine's own (its catch-all rule), so a rule cannot take one."""
    folder = broken_copy(tmp_path, {"soon.yaml": [("  - id: night-pain\n", "  - id: _catch-all\n")]})
    assert problems(folder) == [
        f"{rule_at(folder, 'soon.yaml', '_catch-all')}: id: '_catch-all' does not match the pattern ^[a-z0-9][a-z0-9-]*$",
    ]


def test_yml_rule_files_are_read(tmp_path: Path) -> None:
    """A rule file named *.yml is part of the rule base like *.yaml."""
    folder = broken_copy(tmp_path, {})
    (folder / "soon.yaml").rename(folder / "soon.yml")
    assert len(load_rulebase(folder).rules) == len(load_rulebase().rules)


def test_a_test_that_would_hide_a_blank_answer_is_refused(tmp_path: Path) -> None:
    """Tests holding for a less severe answer but not for an unknown one are refused, also through 'not'."""
    folder = broken_copy(tmp_path, {"soon.yaml": [
        ("{field: night_pain, is: true}", "{not: {field: night_pain, is: true, or_unknown: true}}"),
        ("{field: duration_days, gt: 7}", "{field: duration_days, lt: 7}"),
        ("{field: pain_trend, in: [stable, worsening]}", "{field: pain_trend, is: improving}"),
    ]})
    suffix = "; add or_unknown: true (or test the more severe answers)"
    assert problems(folder) == [
        f"{rule_at(folder, 'soon.yaml', 'night-pain')}: when: field 'night_pain': the test holds for a less severe "
        "answer but not for an unknown one" + suffix,
        f"{rule_at(folder, 'soon.yaml', 'pain-beyond-a-week')}: when: field 'duration_days': only 'more than' tests "
        "are safe on a number whose worst value is the largest" + suffix,
        f"{rule_at(folder, 'soon.yaml', 'pain-beyond-a-week')}: when: field 'pain_trend': the test holds for a less "
        "severe answer but not for an unknown one" + suffix,
    ]


YAML_EDGES = [
    "a: 1\na: 2\n", "<<: {a: 1}\nb: 2\n", "base: &b {x: 1}\nuse: *b\n", "a:\n\t- 1\n", "\ufeffa: 1\n",
    "a: café ✓\n", "a: yes\nb: no\nc: on\nd: ~\ne: 0o17\nf: 1_000\ng: 2001-12-14\nh: .inf\n", "--- 1\n--- 2\n",
    "a: [1, {b: 2}]\n", "# only a comment\n", "", "a: 1\r\nb: 2\r\n", "? [a, b]\n: 1\n", "a: !!python/object:os.system x\n",
    "a: '\\u00e9'\nb: \"\\u00e9\\x41\"\n", "a: |\n  two\n  lines\n", "a: >-\n  folded\n  text\n", "%YAML 1.1\n---\na: 1\n",
    "%YAML 1.2\n---\na: 1\n", "a: 1\n  b: 2\n", "[1, 2", "a: " + "9" * 5000 + "\n", "a: *missing\n", "- a\n- b: [c, d]\n",
    "a: !!binary aGk=\n", "a: !!set {x, y}\n", "a: 1 # c\nb: 'x: y'\n", "{a: 1, a: 2}\n",
]


@pytest.mark.parametrize("text", YAML_EDGES)
def test_rule_files_read_through_libyaml_as_through_pure_python(text: str) -> None:
    """The fast reading of rule files gives the data, lines and messages the pure-Python safe reading gives."""
    from triage.files import parse_yaml_lines
    from triage.language.loading import parse_rule_yaml

    def read(parse: Any) -> Any:
        try:
            data, lines = parse(text)
        except SyntaxProblem as exc:
            return "refused", str(exc)
        return data, lines.by_path

    assert read(parse_rule_yaml) == read(parse_yaml_lines)


def test_every_yaml_file_reads_the_same_through_libyaml() -> None:
    """Every YAML file of the repository (rules, questionnaire, cases) reads the same both ways, lines and all."""
    from triage.files import parse_yaml_lines
    from triage.language.loading import parse_rule_yaml

    paths = [p for p in ROOT.rglob("*.yaml") if ".venv" not in p.parts]
    assert len(paths) > 50
    for path in paths:
        text = path.read_text()
        fast, slow = parse_rule_yaml(text), parse_yaml_lines(text)
        assert (fast[0], fast[1].by_path) == (slow[0], slow[1].by_path), path
