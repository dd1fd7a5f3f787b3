"""Static verification (triage check): rules never true, subsumed rules, findings not read, acknowledgments."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from triage.assess.assessor import Assessor
from triage.cli import cli
from triage.errors import RuleBaseError
from triage.language.conditions import FieldTest
from triage.language.loading import bundled_rules_dir, load_rulebase
from triage.language.rulebook import RuleBase
from triage.language.satisfiability import Formulas, implies, representatives, witness
from triage.language.verify import verify
from triage.models import DOMAINS

from .conftest import ROOT, all_no_answers

FIXTURE_RULES = ROOT / "tests" / "fixtures" / "coverage" / "rules"
NEVER_TRUE = ("never-true: no answers can make its condition true (each field within its declared values or unknown, "
              "each finding as its rules assert it)")


def edited_copy(tmp_path: Path, edits: dict[str, list[tuple[str, str]]], source: Path = FIXTURE_RULES) -> Path:
    """A copy of a rule folder with text replacements applied (each must match)."""
    folder = tmp_path / "rules"
    shutil.copytree(source, folder)
    for name, replacements in edits.items():
        path = folder / name
        text = path.read_text()
        for old, new in replacements:
            assert old in text, old
            text = text.replace(old, new, 1)
        path.write_text(text)
    return folder


def errors(folder: Path) -> list[str]:
    return [str(issue) for issue in verify(load_rulebase(folder)).errors]


def add_rule(text: str) -> tuple[str, str]:
    """An edit of fever.yaml that appends a rule after night-pain."""
    return ('    source: "fixture X2"\n', '    source: "fixture X2"\n\n' + text)


def test_bundled_rule_base_verifies_clean(rulebase: RuleBase) -> None:
    """The bundled rules have no error; what they trip on purpose is acknowledged in the rule files."""
    result = verify(rulebase)
    assert result.errors == [] and result.warnings == []
    assert sorted((f.rule, f.check) for f in result.acknowledged) == sorted([
        ("ces-suspected", "finding-not-read"), ("ces-late-signs", "finding-not-read"),
        ("cancer-with-neurological-symptoms", "finding-not-read"), ("infection-with-risk-factor", "finding-not-read"),
        ("deteriorating-cord-compression", "finding-not-read"), ("significant-trauma", "finding-not-read"),
        ("failed-conservative-care", "finding-not-read"), ("bilateral-leg-symptoms", "finding-not-read"),
        ("possible-fragility-fracture", "finding-not-read"), ("persistent-radiating-pain", "subsumed"),
    ])
    assert all(f.acknowledged for f in result.acknowledged)


def test_check_is_clean_on_the_bundled_rules() -> None:
    """triage check passes on the bundled rules."""
    result = CliRunner().invoke(cli, ["check"])
    assert result.exit_code == 0 and result.output.startswith("rule base OK: 44 rules in 5 files")


def test_check_fails_on_the_unreachable_fixture_rule_and_names_only_it() -> None:
    """The fixture's rule that can never fire fails triage check, located by file and rule id, and nothing else."""
    result = CliRunner().invoke(cli, ["check", "--rules", str(FIXTURE_RULES)])
    assert result.exit_code == 1
    assert result.output == (f"triage: error: rule base {FIXTURE_RULES}: 1 problem\n"
                             f"  - impossible.yaml:2: rule 'impossible-pain': {NEVER_TRUE}\n")


@pytest.mark.parametrize("condition", [
    "{field: pain_score, gt: 10}",
    "{all: [{field: fever, is: true}, {field: fever, is: false, or_unknown: true}]}",
    "{all: [{field: weakness, is: progressive}, {field: weakness, in: [none, stable], or_unknown: true}]}",
    "{all: [{field: pain_score, gte: 8}, {not: {field: pain_score, gte: 5}}]}",
], ids=["outside-the-domain", "yes-and-no", "two-choices", "above-8-and-below-5"])
def test_impossible_conditions_are_never_true(tmp_path: Path, condition: str) -> None:
    """A condition that no answers satisfy, within the declared values or unknown, is reported."""
    folder = edited_copy(tmp_path, {"impossible.yaml": [("{field: pain_score, gt: 10}", condition)]})
    assert errors(folder) == [f"impossible.yaml:2: rule 'impossible-pain': {NEVER_TRUE}"]


def test_a_finding_that_cannot_hold_with_the_other_tests_makes_a_rule_never_true(tmp_path: Path) -> None:
    """Findings stand for the conditions of the rules that assert them, so a contradiction through one is found."""
    folder = edited_copy(tmp_path, {
        "impossible.yaml": [("{field: pain_score, gt: 10}",
                             "{all: [{finding: feverish}, {field: fever, is: false, or_unknown: true}]}")],
        "fever.yaml": [add_rule('  - id: has-fever\n    criterion: X3\n    title: "Fever"\n'
                                '    when: {field: fever, is: true}\n    asserts: feverish\n    source: "fixture"\n')],
    })
    assert errors(folder) == [f"impossible.yaml:2: rule 'impossible-pain': {NEVER_TRUE}"]


def test_an_impossible_rule_added_to_the_bundled_rules_fails_check_naming_it(tmp_path: Path) -> None:
    """Adding a rule with an impossible condition to the real rule base makes triage check fail and name it."""
    rule = ('\n  - id: night-pain-without-night-pain\n    criterion: S3\n    title: "Impossible"\n    when:\n'
            '      all:\n        - {field: night_pain, is: true}\n'
            '        - {field: night_pain, is: false, or_unknown: true}\n    urgency: soon\n'
            '    source: "clinical-criteria.md S3; seed-000"\n')
    folder = edited_copy(tmp_path, {}, source=bundled_rules_dir())
    (folder / "soon.yaml").write_text((folder / "soon.yaml").read_text() + rule)
    result = CliRunner().invoke(cli, ["check", "--rules", str(folder)])
    assert result.exit_code == 1
    line = (folder / "soon.yaml").read_text().splitlines().index("  - id: night-pain-without-night-pain") + 1
    assert result.output == (f"triage: error: rule base {folder}: 1 problem\n"
                             f"  - soon.yaml:{line}: rule 'night-pain-without-night-pain': {NEVER_TRUE}\n")


FEVER_AT_NIGHT = ('  - id: fever-at-night\n    criterion: X2\n    title: "Fever at night"\n    when:\n      all:\n'
                  '        - {field: region, is: lumbar}\n        - {field: fever, is: true}\n'
                  '        - {field: night_pain, is: true}\n    urgency: soon\n    source: "fixture X2"\n')


def test_a_rule_that_only_fires_with_a_stronger_one_is_subsumed(tmp_path: Path) -> None:
    """A rule whose firing implies rules with the same or a stronger effect is reported with those rules."""
    folder = edited_copy(tmp_path, {"fever.yaml": [add_rule(FEVER_AT_NIGHT)]})
    assert errors(folder) == [
        f"impossible.yaml:2: rule 'impossible-pain': {NEVER_TRUE}",
        "fever.yaml:19: rule 'fever-at-night': subsumed: whenever it fires, 'fever-with-low-back-pain' (fever.yaml), "
        "'night-pain' (fever.yaml) fire too, with the same or a stronger effect: it only adds a reason",
    ]


@pytest.mark.parametrize("extra", [
    "    surgical: true\n",
    "    advice: [\"Tell the doctor about the fever at night.\"]\n",
    "    asserts: fever_at_night\n",
], ids=["surgical", "advice", "finding"])
def test_a_rule_with_an_effect_of_its_own_is_not_subsumed(tmp_path: Path, extra: str) -> None:
    """A surgical flag, advice or a finding that the implied rules do not have keeps a rule from being subsumed."""
    folder = edited_copy(tmp_path, {"fever.yaml": [add_rule(FEVER_AT_NIGHT + extra)]})
    checks = [f.check for f in verify(load_rulebase(folder)).errors if f.rule == "fever-at-night"]
    assert "subsumed" not in checks


def test_equivalent_rules_are_reported_once(tmp_path: Path) -> None:
    """Two rules with the same condition and effect: only the later one is reported, as subsumed by the first."""
    copy = ('  - id: night-pain-again\n    criterion: X2\n    title: "Night pain"\n'
            '    when: {field: night_pain, is: true}\n    urgency: soon\n    source: "fixture X2"\n')
    folder = edited_copy(tmp_path, {"fever.yaml": [add_rule(copy)]})
    subsumed = [f for f in verify(load_rulebase(folder)).errors if f.check == "subsumed"]
    assert [(f.rule, f.message.split(",")[1]) for f in subsumed] == [
        ("night-pain-again", " 'night-pain' (fever.yaml) fires too")]


def test_acknowledged_findings_pass_and_stale_acknowledgments_fail(tmp_path: Path) -> None:
    """An acknowledged finding no longer fails; an acknowledgment of a check that finds nothing is an error."""
    acknowledged = FEVER_AT_NIGHT + '    acknowledge:\n      - {check: subsumed, reason: "Shown as its own reason."}\n'
    stale = ('    source: "fixture X1"\n',
             '    source: "fixture X1"\n    acknowledge:\n      - {check: finding-not-read, reason: "Output only."}\n')
    folder = edited_copy(tmp_path, {"fever.yaml": [stale, add_rule(acknowledged)]})
    result = verify(load_rulebase(folder))
    assert [(f.rule, f.check, f.acknowledged) for f in result.acknowledged] == [
        ("fever-at-night", "subsumed", "Shown as its own reason.")]
    assert [str(f) for f in result.errors] == [
        f"impossible.yaml:2: rule 'impossible-pain': {NEVER_TRUE}",
        "fever.yaml:2: rule 'fever-with-low-back-pain': stale-acknowledgment: acknowledges 'finding-not-read', but "
        "that check finds nothing here: remove the acknowledgment",
    ]


def test_an_acknowledgment_needs_a_known_check_and_a_reason(tmp_path: Path) -> None:
    """A misspelt check or a missing reason is a rule-file error with a did-you-mean."""
    folder = edited_copy(tmp_path, {"fever.yaml": [(
        '    source: "fixture X2"\n',
        '    source: "fixture X2"\n    acknowledge:\n'
        '      - {check: subsumd, reason: "x"}\n      - {check: subsumed}\n',
    )]})
    with pytest.raises(RuleBaseError) as caught:
        load_rulebase(folder)
    assert caught.value.problems == [
        "fever.yaml:19: rule 'night-pain': acknowledge[0].check: 'subsumd' is not one of 'subsumed' or "
        "'finding-not-read' (did you mean 'subsumed'?)",
        "fever.yaml:20: rule 'night-pain': acknowledge[1].reason: required, but missing",
    ]


def test_a_finding_no_rule_reads_is_reported_until_acknowledged(tmp_path: Path) -> None:
    """Asserting a finding that no rule reads is an error, unless the rule acknowledges it with a reason."""
    asserting = ('    urgency: soon\n    source: "fixture X2"\n', '    urgency: soon\n    asserts: night_pain_present\n'
                 '    source: "fixture X2"\n')
    folder = edited_copy(tmp_path, {"fever.yaml": [asserting]})
    assert errors(folder)[1:] == [
        "fever.yaml:12: rule 'night-pain': finding-not-read: asserts finding 'night_pain_present', which no rule reads"]
    acknowledged = edited_copy(tmp_path / "ack", {"fever.yaml": [
        asserting, ('    source: "fixture X2"\n',
                    '    source: "fixture X2"\n    acknowledge:\n'
                    '      - {check: finding-not-read, reason: "Output."}\n'),
    ]})
    assert errors(acknowledged) == [f"impossible.yaml:2: rule 'impossible-pain': {NEVER_TRUE}"]


def test_fields_no_rule_reads_are_warnings_when_the_asked_fields_are_known(rulebase: RuleBase) -> None:
    """With the questionnaire's fields: unread and unasked fields, and questions no rule reads, are warnings."""
    assert verify(rulebase).warnings == []
    result = verify(rulebase, asked_fields=set(DOMAINS) - {"prior_spine_surgery"})
    assert [str(f) for f in result.warnings] == [
        "case field 'prior_spine_surgery': unused-field: no rule reads it and no question asks it",
        "case field 'sex': unread-question: a question asks it, but no rule reads the answer",
    ]
    result.raise_for_errors()  # warnings never fail


def test_no_answers_fall_through_every_level(rulebase: RuleBase, reference: Assessor) -> None:
    """There are no gaps: when no rule fires, the case is at self-care, the floor, whose text exists."""
    assert [f for f in verify(rulebase).issues if f.check == "gap"] == []
    result = reference.assess_answers(all_no_answers(region="thoracic"))
    assert (result.fired_rules, result.urgency) == ([], "self_care")
    assert "self_care" in rulebase.meta.levels


def test_numbers_are_split_at_the_thresholds_tested() -> None:
    """A number is tried unknown, at its bounds and around each threshold; values alike for every test are one."""
    tests = [FieldTest.model_validate({"field": "pain_score", "gte": 7}),
             FieldTest.model_validate({"field": "pain_score", "gt": 3, "or_unknown": True})]
    assert representatives("pain_score", tests) == [None, 0, 7]  # 4 to 6 test like unknown: false, true
    assert representatives("pain_score", tests[:1]) == [None, 7]


def test_witness_and_implication(rulebase: RuleBase) -> None:
    """The search finds answers that fire a rule through its findings, and proves one condition implies another."""
    formulas = Formulas(rulebase)
    answers = witness(formulas.of(rulebase.rule("infection-with-risk-factor").when))
    assert answers is not None and answers["fever"] is True
    persistent, beyond_a_week = (formulas.of(rulebase.rule(i).when) for i in ("persistent-radiating-pain",
                                                                               "pain-beyond-a-week"))
    assert implies(persistent, beyond_a_week) and not implies(beyond_a_week, persistent)
