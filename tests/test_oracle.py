"""The product against an independent reference evaluator (tests/oracle/) on random and golden cases.

The oracle reads the raw rule files and has its own operators, chaining and completeness
(see tests/oracle/evaluator.py); it shares no evaluation code with triage/. Both of the
product's evaluators (durable_rules and the plain-Python chainer) are checked against it,
so a bug shared by the two (a wrong operator in the rule model, a wrong fill in the
worst-case completion) is caught as well as one in either.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from triage.assess.assessor import Assessor
from triage.cases import load_case
from triage.models import ANSWER_FIELDS, Assessment

from .conftest import CASES_DIR, RULES_DIR, all_no_answers, report_counts
from .oracle.cases import SEED, CaseMaker, rerun_hint
from .oracle.evaluator import Oracle, OracleResult

RANDOM_CASES = 10_000
GOLDEN = sorted(CASES_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    """The reference evaluator over the bundled rule files."""
    return Oracle(RULES_DIR)


def product_view(result: Assessment) -> dict[str, Any]:
    """What the product concluded, in the terms the oracle is compared on."""
    return {
        "urgency": result.urgency, "surgical": result.surgical_consultation, "complete": result.complete,
        "fired": sorted(result.fired_rules), "unanswered": list(result.unanswered),
        "findings": sorted(result.findings), "reasons": sorted({reason.rule for reason in result.reasons}),
        "certain": result.certain, "possible": result.possible,
        "could_reach": [question.could_reach for question in result.open_questions],
    }


def oracle_view(result: OracleResult) -> dict[str, Any]:
    """What the oracle concluded, in the same terms."""
    return {
        "urgency": result.urgency, "surgical": result.surgical, "complete": result.complete,
        "fired": sorted(result.fired), "unanswered": list(result.unanswered),
        "findings": sorted(result.findings), "reasons": sorted(result.reasons),
        "certain": result.certain, "possible": result.worst_level, "could_reach": list(result.could_reach),
    }


def disagreement(answers: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    """The parts on which product and oracle differ, with the case."""
    parts = [f"{key}: product {ours[key]!r}, oracle {theirs[key]!r}" for key in ours if ours[key] != theirs[key]]
    return "; ".join(parts) + f"\n  answers: {answers}"


@pytest.mark.parametrize("evaluator", ["durable", "python"])
def test_the_product_agrees_with_the_oracle_on_random_cases(
    evaluator: str, oracle: Oracle, request: pytest.FixtureRequest,
) -> None:
    """On 10,000 random complete and partial cases: same level, surgical flag, completeness, rules, unanswered list,
    certain and possible levels, and what each unanswered question could lead to."""
    product: Assessor = request.getfixturevalue("assessor" if evaluator == "durable" else "reference")
    maker = CaseMaker(oracle)
    rng = random.Random(f"{SEED}-{evaluator}")
    seen: Counter[str] = Counter()
    for number in range(RANDOM_CASES):
        answers = maker.case(rng)
        expected = oracle.assess(answers)
        ours, theirs = product_view(product.assess_answers(answers)), oracle_view(expected)
        assert ours == theirs, f"case {number} ({rerun_hint()}): " + disagreement(answers, ours, theirs)
        seen[f"{expected.urgency} {'complete' if expected.complete else 'incomplete'}"] += 1
        seen["held at the floor"] += expected.held_at_floor
        seen["partial"] += len(answers) < len(ANSWER_FIELDS)
    report_counts(f"oracle vs {evaluator} on {RANDOM_CASES} random cases", seen)
    # The comparison means something only if the cases reach every outcome often.
    minimum = {"routine complete": 50, "partial": RANDOM_CASES // 3}
    for outcome in ("self_care complete", "routine complete", "soon complete", "soon incomplete",
                    "urgent complete", "urgent incomplete", "emergency complete", "held at the floor", "partial"):
        wanted = minimum.get(outcome, 100)
        assert seen[outcome] >= wanted, f"only {seen[outcome]} cases were '{outcome}', fewer than {wanted} ({rerun_hint()})"


def test_the_product_agrees_with_the_oracle_on_golden_cases_with_one_answer_withdrawn(
    assessor: Assessor, oracle: Oracle,
) -> None:
    """Every golden case, and every golden case with any one of its answers withdrawn, is assessed alike."""
    checked = 0
    for path in GOLDEN:
        full = load_case(path).answers()
        for withdrawn in [None, *full]:
            answers = {name: value for name, value in full.items() if name != withdrawn}
            ours, theirs = product_view(assessor.assess_answers(answers)), oracle_view(oracle.assess(answers))
            assert ours == theirs, f"{path.name} without {withdrawn}: " + disagreement(answers, ours, theirs)
            checked += 1
    assert checked == sum(len(load_case(path).answers()) + 1 for path in GOLDEN) > 5000


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_the_oracle_gives_each_golden_case_its_expectations(path: Path, oracle: Oracle) -> None:
    """The oracle itself meets the hand-written expectations of every golden case."""
    case = load_case(path)
    result = oracle.assess(case.answers())
    assert (result.urgency, result.surgical, sorted(result.fired)) == \
        (case.expected_urgency, case.expected_surgical, sorted(case.expected_rules or []))
    if case.expected_complete is not None:
        assert result.complete == case.expected_complete
    if case.expected_unanswered is not None:
        assert list(result.unanswered) == case.expected_unanswered


def test_the_oracle_follows_the_worked_examples_of_the_criteria(oracle: Oracle) -> None:
    """docs/criteria.md's examples: U5 with 'worse?' blank (urgent, worsening could make it an emergency); a blank
    region; a minor strain with age blank (soon, age could make it urgent)."""
    answers = all_no_answers(age=30, duration_days=60, pain_trend="stable")
    long_standing = {**answers, "saddle_numbness": True, "ces_symptoms_days": 60}
    del long_standing["ces_symptoms_worsening"]
    result = oracle.assess(long_standing)
    assert (result.urgency, result.complete, result.unanswered) == ("urgent", False, ("ces_symptoms_worsening",))
    assert (result.certain, result.worst_level, result.could_reach) == ("urgent", "emergency", ("emergency",))
    strain = {**answers, "minor_trauma": True}
    del strain["age"]
    result = oracle.assess(strain)
    assert (result.urgency, result.complete, result.unanswered, result.could_reach) == ("soon", False, ("age",),
                                                                                         ("urgent",))
    no_region = {name: value for name, value in answers.items() if name != "region"}
    no_region.update(duration_days=3, pain_trend="improving")
    result = oracle.assess(no_region)
    assert (result.urgency, result.complete, result.unanswered, result.held_at_floor) == \
        ("soon", False, ("region",), True)
