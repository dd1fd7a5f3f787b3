"""Rule coverage: which rules, conditions, levels and findings a corpus reaches; triage coverage and its outputs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from triage.assess.assessor import Assessor
from triage.cases import load_case
from triage.cli.coverage import coverage
from triage.coverage.collector import CoverageCollector, CoverageReport
from triage.coverage.measure import measure
from triage.coverage.report import render_cobertura, render_junit, render_text, rule_lines
from triage.language.conditions import FieldTest, FindingTest, describe_leaf
from triage.language.rulebook import RuleBase

from .conftest import CASES_DIR, ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "coverage"
RULES, CASES = FIXTURE / "rules", FIXTURE / "cases"


@pytest.fixture(scope="module")
def fixture_report() -> CoverageReport:
    """The coverage of the fixture rule base by its two cases."""
    return measure([str(CASES)], str(RULES))


def run(*args: str) -> Result:
    return CliRunner().invoke(coverage, list(args))


def test_fixture_reports_exactly_the_rule_never_fired_the_unreachable_one_and_the_condition_never_false(
        fixture_report: CoverageReport) -> None:
    """Of three rules one fired; the one never fired and the unreachable one are named; one condition is never false."""
    report = fixture_report
    assert report.cases == 2 and report.errors == ()
    assert [(r.id, r.fired, r.cases) for r in report.rules] == [
        ("fever-with-low-back-pain", 1, ("fever",)), ("night-pain", 0, ()), ("impossible-pain", 0, ()),
    ]
    assert report.never_fired == ["night-pain", "impossible-pain"]
    assert round(report.percent, 1) == 33.3
    states = [(rule.id, c.text, c.true_cases, c.false_cases, c.independence) for rule, c in report.conditions()]
    assert states == [
        ("fever-with-low-back-pain", "region is lumbar", 2, 0, None),  # never false
        ("fever-with-low-back-pain", "fever is true", 1, 1, ("fever", "no-fever")),
        ("night-pain", "night_pain is true", 0, 2, None),
        ("impossible-pain", "pain_score gt 10", 0, 2, None),
    ]
    assert report.levels["urgent"] == (1, ("fever",)) and report.levels["emergency"] == (0, ())


def test_text_report_names_the_gaps(fixture_report: CoverageReport) -> None:
    """The terminal table shows the rule coverage, each condition not covered and the rules never fired."""
    text = render_text(fixture_report)
    assert "  rules fired:  1 of 3 (33.3%)\n" in text
    assert ("  fever-with-low-back-pain (fever.yaml)\n"
            "    - region is lumbar: never false\n"
            "  night-pain (fever.yaml)\n"
            "    - night_pain is true: never true\n") in text
    assert text.endswith("Never fired (2): night-pain, impossible-pain\n")


def test_fail_under_exits_1_naming_the_rules_never_fired() -> None:
    """--fail-under above the coverage exits 1 and names the uncovered rules; at or below it exits 0."""
    under = run(str(CASES), "--rules", str(RULES), "--fail-under", "50")
    assert under.exit_code == 1
    assert under.stderr == ("triage: rule coverage 1 of 3 rules (33.3%) is under --fail-under 50%; "
                            "never fired: night-pain, impossible-pain\n")
    assert "Never fired (2): night-pain, impossible-pain" in under.stdout
    assert run(str(CASES), "--rules", str(RULES), "--fail-under", "33").exit_code == 0


def test_bundled_rules_are_fully_covered_by_the_golden_cases(rulebase: RuleBase) -> None:
    """Every bundled rule is fired by some case of tests/cases: 100% rule coverage, and the gate passes."""
    report = measure([str(CASES_DIR)])
    assert report.never_fired == [] and report.percent == 100.0
    assert report.errors == () and report.cases == len(list(CASES_DIR.glob("*.yaml")))
    assert [rule.id for rule in report.rules] == [rule.id for rule in rulebase.rules]
    result = run(str(CASES_DIR), "--fail-under", "100")
    assert result.exit_code == 0, result.output
    assert "rules fired:  44 of 44 (100.0%)" in result.stdout


def test_json_output(tmp_path: Path) -> None:
    """--json prints the whole report as JSON: rule coverage, each rule's cases and conditions, levels, findings."""
    result = run(str(CASES), "--rules", str(RULES), "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["rule_coverage"] == {"rules": 3, "fired": 1, "percent": 33.33,
                                     "never_fired": ["night-pain", "impossible-pain"]}
    assert data["condition_coverage"] == {"conditions": 4, "seen_true": 2, "seen_false": 3, "seen_both": 1,
                                          "independent": 1}
    fever = data["rules"][0]
    assert (fever["id"], fever["file"], fever["line"], fever["cases"]) == (
        "fever-with-low-back-pain", "fever.yaml", 2, ["fever"])
    assert fever["conditions"][1]["pair"] == {"fired": "fever", "not_fired": "no-fever"}
    assert data["levels"]["soon"] == {"count": 1, "cases": ["no-fever"]}


def test_junit_xml_has_a_test_case_per_rule_failed_when_never_fired(tmp_path: Path) -> None:
    """The JUnit file parses; it counts 3 tests and 2 failures, one suite per rule file."""
    out = tmp_path / "rules.junit.xml"
    assert run(str(CASES), "--rules", str(RULES), "--junit", str(out)).exit_code == 0
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites" and (root.get("tests"), root.get("failures")) == ("3", "2")
    suites = {s.get("name"): (s.get("tests"), s.get("failures")) for s in root.iter("testsuite")}
    assert suites == {"fever.yaml": ("2", "1"), "impossible.yaml": ("1", "1")}
    failed = {case.get("name"): case.find("failure") is not None for case in root.iter("testcase")}
    assert failed == {"fever-with-low-back-pain": False, "night-pain": True, "impossible-pain": True}
    failure = root.find(".//testcase[@name='night-pain']/failure")
    assert failure is not None and failure.get("message") == "rule 'night-pain' (X2) was fired by none of the 2 cases"


def test_cobertura_xml_has_a_line_per_rule_and_a_branch_per_condition_outcome(tmp_path: Path) -> None:
    """The Cobertura file parses; lines are rules (hits = cases that fired them), branches are condition outcomes."""
    out = tmp_path / "coverage.xml"
    assert run(str(CASES), "--rules", str(RULES), "--cobertura", str(out)).exit_code == 0
    root = ET.parse(out).getroot()
    assert root.tag == "coverage"
    assert {k: root.get(k) for k in ("lines-valid", "lines-covered", "line-rate", "branches-valid",
                                     "branches-covered", "branch-rate")} == {
        "lines-valid": "3", "lines-covered": "1", "line-rate": "0.3333", "branches-valid": "8",
        "branches-covered": "5", "branch-rate": "0.6250"}
    source = root.find("sources/source")
    assert source is not None and source.text == str(RULES.resolve())
    classes = {c.get("filename"): c for c in root.iter("class")}
    assert sorted(str(name) for name in classes) == ["fever.yaml", "impossible.yaml"]
    lines = [(line.get("number"), line.get("hits"), line.get("condition-coverage"))
             for line in classes["fever.yaml"].iter("line")]
    assert lines == [("2", "1", "75% (3/4)"), ("12", "0", "50% (1/2)")]
    assert len(classes["fever.yaml"].findall("lines/line/conditions/condition")) == 3


def test_bundled_xml_outputs_count_every_rule(rulebase: RuleBase) -> None:
    """On the bundled rules and golden cases, both XML files count 44 rules, none failed or unhit."""
    report = measure([str(CASES_DIR)])
    junit = ET.fromstring(render_junit(report).split("\n", 1)[1])
    assert (junit.get("tests"), junit.get("failures")) == ("44", "0")
    cobertura = ET.fromstring(render_cobertura(report).split("\n", 2)[2])
    assert (cobertura.get("lines-valid"), cobertura.get("lines-covered")) == ("44", "44")
    assert len(list(cobertura.iter("line"))) == 44 and len(list(cobertura.iter("class"))) == 5
    assert set(rule_lines(report).values()) != {1}


def test_unreadable_case_is_reported_and_exits_1(tmp_path: Path) -> None:
    """A case that cannot be read is listed with its reason and exits 1; the other cases still count."""
    corpus = tmp_path / "cases"
    corpus.mkdir()
    for path in CASES.iterdir():
        (corpus / path.name).write_text(path.read_text())
    (corpus / "broken.json").write_text('{"agee": 3}')
    result = run(str(corpus), "--rules", str(RULES))
    assert result.exit_code == 1
    assert result.stderr == "triage: 1 case(s) could not be scored\n"
    assert "  - broken (" in result.stdout and "field 'agee': unknown field (did you mean 'age'?)" in result.stdout
    assert "rules fired:  1 of 3" in result.stdout


def test_missing_input_is_an_input_error() -> None:
    """An input that does not exist exits 1 (as a missing case file does for assess), naming it."""
    result = run("no/such/folder", "--rules", str(RULES))
    assert result.exit_code == 1 and "no/such/folder: no such file or folder" in result.stderr


def test_mcdc_needs_a_pair_differing_in_that_condition_alone(rulebase: RuleBase) -> None:
    """A condition is shown independent only by two cases that differ in it alone and differ in the outcome."""
    rule = rulebase.rule("severe-unrelenting-pain")  # all: pain_unrelieved_by_rest, otc_ineffective
    holds = rulebase.compiled[rule.id].holds

    def collect(*cases: dict[str, Any]) -> list[Any]:
        collector = CoverageCollector(rulebase)
        for number, answers in enumerate(cases):
            fired = [rule.id] if holds(answers, frozenset()) else []
            collector.add(f"c{number}", fired, "soon" if fired else "self_care", answers)
        measured = next(r for r in collector.report().rules if r.id == rule.id)
        return [(c.both, c.independence) for c in measured.conditions]

    yes = {"pain_unrelieved_by_rest": True, "otc_ineffective": True}
    no = {"pain_unrelieved_by_rest": False, "otc_ineffective": False}
    assert collect(yes, no) == [(True, None), (True, None)]  # both true and false, but never one alone
    first_only = {"pain_unrelieved_by_rest": True, "otc_ineffective": False}
    second_only = {"pain_unrelieved_by_rest": False, "otc_ineffective": True}
    assert collect(yes, first_only, second_only) == [(True, ("c0", "c2")), (True, ("c0", "c1"))]


def test_findings_count_as_conditions_on_the_findings_the_case_derived(rulebase: RuleBase) -> None:
    """A finding leaf is true for a case exactly when a rule that fired for it asserted the finding."""
    collector = CoverageCollector(rulebase)
    collector.add("a", ["finding-conservative-care-not-helping"], "self_care",
                  {"conservative_care_weeks": 8, "conservative_care_response": "worse"})
    collector.add("b", [], "self_care", {"conservative_care_weeks": 8, "conservative_care_response": "improved"})
    failed = next(r for r in collector.report().rules if r.id == "failed-conservative-care")
    assert [(c.text, c.true_cases, c.false_cases) for c in failed.conditions] == [
        ("finding conservative_care_not_helping", 1, 1), ("conservative_care_weeks gte 12", 0, 2)]


def test_leaves_are_described_as_rule_authors_write_them() -> None:
    """Each kind of leaf reads like its line in the rule file."""
    leaf = FieldTest.model_validate
    assert describe_leaf(leaf({"field": "age", "gte": 50, "or_unknown": True})) == "age gte 50 or unknown"
    assert describe_leaf(leaf({"field": "weakness", "in": ["stable", "progressive"]})) == \
        "weakness in [stable, progressive]"
    assert describe_leaf(leaf({"field": "fever", "is": True})) == "fever is true"
    assert describe_leaf(leaf({"field": "ces_symptoms_days", "unknown": True})) == "ces_symptoms_days unknown"
    assert describe_leaf(FindingTest(finding="ces_symptom")) == "finding ces_symptom"


def test_assessments_without_answers_give_rule_coverage_only(rulebase: RuleBase, assessor: Assessor) -> None:
    """Counting assessments (the pytest plugin's way) gives rules, levels and findings, no condition columns."""
    collector = CoverageCollector(rulebase, keep_cases=1)
    for name in ("night-pain.fires", "night-pain.fires", "claudication.fires"):
        result = assessor.assess(load_case(CASES_DIR / f"{name}.yaml"))
        collector.add("t", result.fired_rules, result.urgency)
    report = collector.report()
    assert not report.conditions_measured and report.conditions() == []
    night = next(r for r in report.rules if r.id == "night-pain")
    assert (night.fired, night.cases) == (2, ("t",))
    assert "T/F" not in render_text(report)
