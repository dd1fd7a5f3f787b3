"""Golden cases: for every rule a case that fires it and a near miss that does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.assess.assessor import Assessor
from triage.cases import load_case
from triage.language.rulebook import RuleBase

from .conftest import CASES_DIR

GOLDEN = sorted(CASES_DIR.glob("*.yaml"))


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_case(path: Path, assessor: Assessor) -> None:
    """The assessment gives the level, surgical flag and fired rules the case file expects."""
    case = load_case(path)
    assert case.expected_urgency is not None and case.expected_rules is not None, "golden case without expectations"
    result = assessor.assess(case)
    assert result.urgency == case.expected_urgency
    assert result.surgical_consultation == case.expected_surgical
    assert sorted(result.fired_rules) == sorted(case.expected_rules)


def test_every_rule_has_a_firing_case_and_a_near_miss(rulebase: RuleBase) -> None:
    """Each rule has <id>.fires.yaml that fires it and <id>.near-miss.yaml that does not."""
    problems = []
    for rule in rulebase.rules:
        fires, miss = CASES_DIR / f"{rule.id}.fires.yaml", CASES_DIR / f"{rule.id}.near-miss.yaml"
        if not fires.exists() or rule.id not in (load_case(fires).expected_rules or []):
            problems.append(f"{rule.id}: no golden case that fires it")
        if not miss.exists() or rule.id in (load_case(miss).expected_rules or []):
            problems.append(f"{rule.id}: no near-miss case that leaves it unfired")
    assert problems == []


def test_every_rule_is_fired_by_some_golden_case(rulebase: RuleBase, assessor: Assessor) -> None:
    """Running all golden cases fires every rule of the rule base at least once."""
    fired = {rule for path in GOLDEN for rule in assessor.assess(load_case(path)).fired_rules}
    assert [rule.id for rule in rulebase.rules if rule.id not in fired] == []


def test_every_golden_case_is_explained(assessor: Assessor) -> None:
    """Every golden case above self-care names at least one reason, each with answers and a source."""
    for path in GOLDEN:
        result = assessor.assess(load_case(path))
        if result.urgency != "self_care":
            assert result.reasons, path.name
        for reason in result.reasons:
            assert reason.because and reason.source, (path.name, reason.rule)
