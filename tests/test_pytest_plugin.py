"""The pytest plugin: pytest --rule-coverage counts every rule a test session fires and can fail the session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from triage.assess.assessor import Assessor, Observation
from triage.batch.inputs import read_records
from triage.batch.scoring import score_records
from triage.cases import load_case

from .conftest import CASES_DIR, RULES_DIR

pytest_plugins = ["pytester"]

#: Options of every inner session: hypothesis's plugin costs seconds per session and is not needed there.
INNER = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")

NEW_RULE = """
  - id: new-night-rule
    criterion: S3
    title: "Night pain with very severe pain"
    when:
      all:
        - {field: night_pain, is: true}
        - {field: pain_score, gte: 9}
    urgency: soon
    source: "clinical-criteria.md S3; seed-000"
"""

GOLDEN_TEST = """
from pathlib import Path

from triage import Assessor, load_case, load_rulebase

def test_golden_cases():
    assessor = Assessor(load_rulebase({rules!r}), engine="python")
    for path in sorted(Path({cases!r}).glob("*.yaml")):
        assessor.assess(load_case(path))
"""


@pytest.fixture
def observed() -> Iterator[list[Observation]]:
    """Every assessment this process is told of while the test runs (the session's own observer still is too)."""
    seen: list[Observation] = []
    previous = Assessor.observer

    def observe(observation: Observation) -> None:
        seen.append(observation)
        if previous is not None:
            previous(observation)

    Assessor.observer = observe
    yield seen
    Assessor.observer = previous


def test_a_rule_without_a_case_fails_the_session_and_is_named(pytester: pytest.Pytester) -> None:
    """Adding a rule that no test case fires makes pytest --rule-coverage-fail-under 100 fail, naming the rule."""
    rules = pytester.path / "rules"
    shutil.copytree(RULES_DIR, rules)
    (rules / "soon.yaml").write_text((rules / "soon.yaml").read_text() + NEW_RULE)
    pytester.makepyfile(test_golden=GOLDEN_TEST.format(rules=str(rules), cases=str(CASES_DIR)))
    result = pytester.runpytest(*INNER, "--rule-coverage-rules", str(rules), "--rule-coverage-fail-under", "100")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        "*triage rule coverage*",
        "new-night-rule * soon.yaml * 0  -",
        "Never fired (1): new-night-rule",
        "FAIL Required rule coverage of 100% not reached: 44 of 45 rules fired (97.8%); never fired: new-night-rule",
    ])


def test_the_golden_cases_reach_the_threshold(pytester: pytest.Pytester) -> None:
    """The golden cases fire every bundled rule; assessments with another rule base are not counted."""
    fixture_rules = CASES_DIR.parent / "fixtures" / "coverage" / "rules"
    other = ("\ndef test_other_rule_base():\n"
             f"    other = Assessor(load_rulebase({str(fixture_rules)!r}), engine='python')\n"
             "    other.assess_answers({'fever': True})\n")
    pytester.makepyfile(test_golden=GOLDEN_TEST.format(rules=None, cases=str(CASES_DIR)) + other)
    result = pytester.runpytest(*INNER, "--rule-coverage", "--rule-coverage-fail-under", "100")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.OK
    cases = len(list(CASES_DIR.glob("*.yaml")))
    night_pain = sum("night-pain" in (load_case(path).expected_rules or []) for path in CASES_DIR.glob("*.yaml"))
    result.stdout.fnmatch_lines([
        f"Rule coverage of rules 1.0.0 (sha256 *) by {cases} cases",
        "  rules fired:  44 of 44 (100.0%)",
        f"night-pain * soon.yaml * {night_pain}  test_golden.py::test_golden_cases, … (+{night_pain - 1})",
        "Never fired: none",
        "Required rule coverage of 100% reached.",
    ])


def test_without_the_options_the_plugin_stays_out_of_the_way(pytester: pytest.Pytester) -> None:
    """Without --rule-coverage nothing more is observed and no report is printed."""
    already = repr(Assessor.observer)  # this session's own, when it runs with --rule-coverage
    pytester.makepyfile(test_one="from triage.assess.assessor import Assessor\n\n"
                                 f"def test_nothing_observed():\n    assert repr(Assessor.observer) == {already!r}\n")
    result = pytester.runpytest(*INNER)
    result.assert_outcomes(passed=1)
    assert "rule coverage" not in result.stdout.str()


@pytest.mark.parametrize("workers", [1, 2])
def test_batch_assessments_are_seen_once_whatever_the_workers(workers: int, observed: list[Observation]) -> None:
    """Scoring in this process or in worker processes tells the observers of each case exactly once."""
    files = [str(p) for p in sorted(CASES_DIR.glob("night-pain.*.yaml")) + sorted(CASES_DIR.glob("claudication.*"))]
    scored = list(score_records(read_records(files), workers=workers, chunk_size=1))
    assert sorted(str(a.case_id) for a in observed) == sorted(str(s.case_id) for s in scored)
    assert [a.fired_rules for a in observed if a.case_id == "night-pain.fires"] == [
        next(s.fired_rules for s in scored if s.case_id == "night-pain.fires")]


def test_interview_answers_are_seen(observed: list[Observation], reference: Assessor) -> None:
    """Each answer given in a session is an assessment the observers see."""
    session = reference.session("interview")
    session.answer("region", "lumbar")
    session.answer("saddle_numbness", True)
    assert [(a.case_id, a.urgency) for a in observed] == [("interview", "soon"), ("interview", "emergency")]
