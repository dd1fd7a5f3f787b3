"""The safety properties of clinical-criteria.md, over random complete and partial cases (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from triage.assess.assessor import Assessor
from triage.models import DOMAINS, SEVERITY_ORDER, Urgency

_THRESHOLDS = {
    "age": [3, 15, 16, 39, 40, 49, 50, 69, 70, 95],
    "duration_days": [0, 7, 8, 41, 42, 100],
    "pain_score": [0, 4, 6, 7, 10],
    "ces_symptoms_days": [0, 14, 15, 60],
    "conservative_care_weeks": [0, 5, 6, 11, 12, 40],
}


def _value(name: str) -> st.SearchStrategy[Any]:
    domain = DOMAINS[name]
    if domain.kind == "yes_no":
        return st.booleans()
    if domain.kind == "choice":
        return st.sampled_from(domain.choices)
    upper = domain.maximum if domain.maximum is not None else 400
    return st.sampled_from(_THRESHOLDS[name]) | st.integers(domain.minimum or 0, upper)


# Mostly "no" answers, as real cases are: otherwise nearly every random case is an emergency.
_mostly_no = {name: (st.booleans().filter(lambda b: not b) | st.booleans()) if d.kind == "yes_no" else _value(name)
              for name, d in DOMAINS.items()}
complete_cases = st.fixed_dictionaries(dict(_mostly_no))
partial_cases = st.fixed_dictionaries({}, optional=dict(_mostly_no))
any_cases = complete_cases | partial_cases

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rank(assessor: Assessor, answers: dict[str, Any]) -> int:
    return Urgency(assessor.assess_answers(answers).urgency).rank


@SETTINGS
@given(answers=any_cases, data=st.data())
def test_monotone_yes_no(assessor: Assessor, answers: dict[str, Any], data: st.DataObject) -> None:
    """Changing any yes/no answer from no to yes never lowers the urgency."""
    noes = [name for name, value in answers.items() if value is False]
    if not noes:
        return
    field = data.draw(st.sampled_from(noes))
    assert rank(assessor, {**answers, field: True}) >= rank(assessor, answers), field


@SETTINGS
@given(answers=any_cases)
def test_monotone_weakness(assessor: Assessor, answers: dict[str, Any]) -> None:
    """Weakness going up the order none -> stable -> progressive never lowers the urgency."""
    ranks = [rank(assessor, {**answers, "weakness": value}) for value in SEVERITY_ORDER["weakness"]]
    assert ranks == sorted(ranks)


@SETTINGS
@given(answers=partial_cases, fill=complete_cases)
def test_unknown_is_not_no(assessor: Assessor, answers: dict[str, Any], fill: dict[str, Any]) -> None:
    """A complete case (self-care included) cannot be raised by any answers to its unanswered questions."""
    result = assessor.assess_answers(answers)
    if not result.complete:
        return
    completed = {**fill, **answers}
    assert rank(assessor, completed) <= Urgency(result.urgency).rank, sorted(set(fill) - set(answers))


@SETTINGS
@given(answers=partial_cases)
def test_unknown_never_yields_self_care(assessor: Assessor, answers: dict[str, Any]) -> None:
    """An incomplete case is at least 'soon', lists what is unanswered, and self-care is always complete."""
    result = assessor.assess_answers(answers)
    unknown = set(DOMAINS) - set(answers)
    if result.urgency == "self_care":
        assert result.complete and not {"age", "region"} & unknown
    if not result.complete:
        assert Urgency(result.urgency).rank >= Urgency("soon").rank
        assert result.unanswered and set(result.unanswered) <= unknown
    if result.urgency == "emergency":
        assert result.complete and result.unanswered == []


@SETTINGS
@given(answers=any_cases)
def test_highest_wins_and_every_reason_is_explained(assessor: Assessor, answers: dict[str, Any]) -> None:
    """The level is the highest fired criterion; every fired criterion is reported with answers and source."""
    result = assessor.assess_answers(answers)
    levels = [Urgency(r.urgency).rank for r in result.reasons]
    assert Urgency(result.urgency).rank == max(levels, default=0)
    fired_level_rules = {r for r in result.fired_rules if assessor.rulebase.rule(r).urgency}
    assert fired_level_rules <= {r.rule for r in result.reasons}
    assert result.surgical_consultation == any(r.surgical for r in result.reasons)
    for reason in result.reasons:
        assert reason.because and reason.source
        assert set(reason.because) <= set(DOMAINS)
        assert all(answers.get(name) == value for name, value in reason.because.items())


@SETTINGS
@given(answers=any_cases, other=any_cases)
def test_deterministic_and_isolated(assessor: Assessor, answers: dict[str, Any], other: dict[str, Any]) -> None:
    """The same case gives the same JSON every time, whatever was assessed before it."""
    first = assessor.assess_answers(answers, "c").model_dump_json()
    assessor.assess_answers(other, "other")
    assert assessor.assess_answers(answers, "c").model_dump_json() == first


def _answers_for(name: str) -> list[Any]:
    domain = DOMAINS[name]
    if domain.kind == "yes_no":
        return [True, False]
    if domain.kind == "choice":
        return list(domain.choices)
    return _THRESHOLDS[name]


@SETTINGS
@given(answers=partial_cases, data=st.data())
def test_a_blank_is_never_lower_than_every_answer(assessor: Assessor, answers: dict[str, Any],
                                                  data: st.DataObject) -> None:
    """Leaving a question blank gives at least the lowest level that any answer to it would give."""
    blanks = sorted(set(DOMAINS) - set(answers) - {"sex"})
    if not blanks:
        return
    field = data.draw(st.sampled_from(blanks))
    lowest = min(rank(assessor, {**answers, field: value}) for value in _answers_for(field))
    assert rank(assessor, answers) >= lowest, field
