"""Shared fixtures: the bundled rule base and one assessor per evaluator for the whole test session.

durable_rules never frees a ruleset's memory, so tests share one engine unless they need a
rule base of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from triage.assess.assessor import Assessor
from triage.interview.questionnaire import bundled_questionnaire_path
from triage.language.loading import bundled_rules_dir, load_rulebase
from triage.language.rulebook import RuleBase
from triage.models import DOMAINS

from .oracle.cases import SEED, SEED_VARIABLE

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "tests" / "cases"
#: The bundled rule base and questionnaire (data inside the package).
RULES_DIR = bundled_rules_dir()
QUESTIONNAIRE_PATH = bundled_questionnaire_path()
#: The project's own table of the clinical criteria the rules encode.
CRITERIA_DOC = ROOT / "docs" / "criteria.md"


def all_no_answers(**changes: Any) -> dict[str, Any]:
    """A complete case in which every red flag is answered "no" (self-care), with ``changes`` applied."""
    answers: dict[str, Any] = {name: False for name, d in DOMAINS.items() if d.kind == "yes_no"}
    answers.update(
        age=40, sex="female", region="lumbar", duration_days=3, pain_score=4, pain_trend="improving",
        leg_pain="none", arm_pain="none", weakness="none", ces_symptoms_days=0,
        conservative_care_weeks=0, conservative_care_response="improved",
    )
    answers.update(changes)
    return {name: value for name, value in answers.items() if value is not None}


@pytest.fixture(scope="session")
def rulebase() -> RuleBase:
    """The bundled rule base."""
    return load_rulebase()


@pytest.fixture(scope="session")
def assessor(rulebase: RuleBase) -> Assessor:
    """An assessor on durable_rules over the bundled rules."""
    return Assessor(rulebase, engine="durable")


@pytest.fixture(scope="session")
def reference(rulebase: RuleBase) -> Assessor:
    """An assessor on the plain-Python engine over the bundled rules."""
    return Assessor(rulebase, engine="python")


#: How many examples each safety test checked where it could have failed, by test; printed at the end.
EXAMPLE_COUNTS: dict[str, dict[str, int]] = {}


def report_counts(test: str, counts: Mapping[str, int]) -> None:
    """Record the example counts of one test for the terminal summary."""
    EXAMPLE_COUNTS[test] = dict(sorted(counts.items()))


def pytest_report_header(config: pytest.Config) -> str:
    """The random seed of this session, so a failure can be repeated."""
    return f"triage random seed: {SEED} (set {SEED_VARIABLE}={SEED} to repeat this run)"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Print how many meaningful examples each safety test checked (shown with or without -s)."""
    if not EXAMPLE_COUNTS:
        return
    terminalreporter.section("examples checked by the safety tests")
    terminalreporter.write_line(f"random seed {SEED} ({SEED_VARIABLE})")
    for test, counts in EXAMPLE_COUNTS.items():
        terminalreporter.write_line(f"{test}: " + ", ".join(f"{name} {count}" for name, count in counts.items()))
