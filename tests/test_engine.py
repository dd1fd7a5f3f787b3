"""The durable_rules engine: compilation, the traps of shared/durable-rules.md, isolation and memory."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

from triage.assessment import Assessor
from triage.chaining import ReferenceEvaluator
from triage.engine import DurableEngine, compile_rulebase
from triage.errors import CaseError, EngineError
from triage.rulebook import bundled_rules_dir, load_rulebase
from triage.synthetic import random_answers

from .conftest import ROOT, all_no_answers

# A rule base exercising every operator, negation over fields, or_unknown and findings in 'any'.
OPERATOR_RULES = """rules:
  - id: f-one
    criterion: S3
    title: t
    when:
      any:
        - {field: night_pain, is: true}
        - {not: {field: fever, is: false}}
    asserts: one
    source: seed-000
  - id: f-two
    criterion: S3
    title: t
    when:
      all:
        - any: [{finding: one}, {field: weakness, in: [stable, progressive]}]
        - not: {all: [{field: age, gte: 50}, {field: region, ne: lumbar}]}
    asserts: two
    source: seed-000
  - id: u-a
    criterion: S3
    title: t
    when:
      any:
        - all: [{finding: two}, {field: pain_score, lt: 5, or_unknown: true}]
        - all: [{finding: one}, {not: {field: duration_days, gt: 10, or_unknown: true}}]
        - {field: ces_symptoms_days, unknown: true}
    urgency: soon
    source: seed-000
  - id: u-b
    criterion: S3
    title: t
    when:
      all:
        - {not: {field: leg_pain, in: [none, one_leg]}}
        - {not: {field: conservative_care_weeks, unknown: true}}
        - {not: {not: {field: age, lte: 3}}}
    urgency: urgent
    source: seed-000
"""


@pytest.fixture(scope="module")
def operator_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ops") / "rules"
    shutil.copytree(bundled_rules_dir(), folder)
    (folder / "operators.yaml").write_text(OPERATOR_RULES)
    return folder


def test_compiled_rules_use_only_positive_patterns_with_type_discriminators(rulebase) -> None:
    """Every durable pattern tests the fact type first and no pattern uses negation."""
    for name, rule in compile_rulebase(rulebase).items():
        for pattern in rule["all"]:
            (test,) = pattern.values()
            first = test if "t" in test else test["$and"][0]
            assert first in ({"t": "case"}, {"t": "finding"}), name
        assert "$not" not in str(rule) and "none" not in rule, name


def test_negation_and_unknowns_compile_to_the_same_meaning(operator_rules: Path) -> None:
    """not, or_unknown, unknown, in, ne and comparisons give the same firings in durable_rules and in Python."""
    rulebase = load_rulebase(operator_rules)
    durable, reference = DurableEngine(rulebase), ReferenceEvaluator(rulebase)
    rng = random.Random(7)
    for _ in range(3000):
        answers = random_answers(rng, unknown_rate=rng.choice((0.0, 0.3, 0.7)), yes_rate=0.3)
        ours, theirs = durable.chain(answers), reference.chain(answers)
        assert (set(ours.fired), ours.findings) == (set(theirs.fired), theirs.findings), answers


def test_or_fires_each_rule_once(assessor: Assessor) -> None:
    """A rule whose 'any' has several true branches is recorded once (durable fires once per branch)."""
    chain = assessor.evaluator.chain(all_no_answers(saddle_numbness=True, bladder_change=True, bowel_change=True))
    assert chain.fired.count("finding-ces-symptom") == 1
    assert chain.fired.count("ces-late-signs") == 1


def test_a_finding_asserted_by_two_rules_is_asserted_once(assessor: Assessor) -> None:
    """Two rules asserting the same finding do not trip durable's 'already observed' error."""
    result = assessor.assess_answers(all_no_answers(urinary_retention=True, ces_symptoms_days=2))
    assert {"ces-suspected", "ces-late-signs"} <= set(result.fired_rules)
    assert result.findings.count("suspected_cauda_equina") == 1


def test_an_exception_inside_an_action_is_raised_not_swallowed(rulebase) -> None:
    """A failing action surfaces as EngineError (durable's Python layer would swallow it); the engine recovers."""
    engine = DurableEngine(rulebase)
    asserts, engine._asserts = engine._asserts, {}  # every action now fails with a KeyError
    with pytest.raises(EngineError, match=r"^durable_rules failed on a case: KeyError: '[a-z-]+'$"):
        engine.chain(all_no_answers(night_pain=True))
    engine._asserts = asserts
    assert "night-pain" in engine.chain(all_no_answers(night_pain=True)).fired


def test_the_engine_starts_no_threads(rulebase) -> None:
    """The stock Host's timer threads crash with several sessions; the engine starts none."""
    import threading

    before = threading.active_count()
    DurableEngine(rulebase).chain(all_no_answers())
    assert threading.active_count() == before


def test_cases_are_isolated(assessor: Assessor) -> None:
    """An emergency case before a self-care case leaves nothing behind in the engine."""
    calm, alarming = all_no_answers(), all_no_answers(saddle_numbness=True, fever=True, cancer_history=True)
    before = assessor.evaluator.chain(calm)
    assessor.evaluator.chain(alarming)
    assert assessor.evaluator.chain(calm) == before
    assert assessor.assess_answers(calm).urgency == "self_care"


def _rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4


def test_many_cases_in_one_process_keep_memory_flat(assessor: Assessor) -> None:
    """Tens of thousands of sessions one after another: no crash, no growth beyond noise."""
    rng = random.Random(3)
    cases = [random_answers(rng, 0.2, 0.05) for _ in range(500)]
    for answers in cases * 4:  # warm-up: caches and allocator pools settle
        assessor.evaluator.chain(answers)
    start = _rss_kib()
    for answers in cases * 40:
        assessor.evaluator.chain(answers)
    assert _rss_kib() - start < 4 * 1024, "memory grew by more than 4 MiB over 20,000 cases"


def test_only_engine_imports_durable_rules() -> None:
    """durable_rules stays behind one module."""
    importers = [p.name for p in (ROOT / "triage").rglob("*.py")
                 if re.search(r"^\s*(from|import) durable(_rules_engine)?\b", p.read_text(), re.M)]
    assert importers == ["engine.py"]


def test_session_takes_answers_one_at_a_time(assessor: Assessor) -> None:
    """The level after each answer; an answer that no longer holds takes its conclusions with it."""
    session = assessor.session("interview")
    assert session.level == "soon" and not session.assessment().complete
    for field, value in all_no_answers().items():
        session.answer(field, value)
    assert session.level == "self_care" and session.assessment().complete
    assert session.answer("saddle_numbness", True).urgency == "emergency"
    assert session.answer("saddle_numbness", False).urgency == "self_care"
    assert session.answer("saddle_numbness", None).urgency == "soon"  # "not sure" is unknown
    assert "saddle_numbness" in session.assessment().unanswered


def test_session_refuses_bad_answers(assessor: Assessor) -> None:
    """An answer of the wrong type or to an unknown question is refused with the field named."""
    session = assessor.session()
    with pytest.raises(CaseError) as caught:
        session.answer("pain_score", 11)
    assert caught.value.problems == ["field 'pain_score': 11 is out of range: must be at most 10"]
    with pytest.raises(CaseError) as caught:
        session.answer("pain", 3)
    assert caught.value.problems == ["field 'pain': not a question"]
    assert session.answers == {}
