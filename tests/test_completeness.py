"""Unknown answers: what is certain and what is possible (clinical-criteria.md), on hand-made cases."""

from __future__ import annotations

import pytest

from triage.assess.assessor import Assessor
from triage.models import OpenQuestion, Urgency

from .conftest import all_no_answers


def open_questions(questions: list[OpenQuestion]) -> list[tuple[str, str]]:
    """The open questions as (field, highest level) pairs."""
    return [(q.field, q.could_reach.value) for q in questions]


def test_long_standing_saddle_numbness_with_worsening_blank_is_urgent(assessor: Assessor) -> None:
    """60 days of saddle numbness, 'getting worse?' blank: urgent (U5 either way or E1), incomplete, worsening
    listed as a question that could make it an emergency; the U5 reason says it assumes 'not getting worse'."""
    result = assessor.assess_answers(all_no_answers(saddle_numbness=True, ces_symptoms_days=60,
                                                    ces_symptoms_worsening=None))
    assert (result.urgency, result.complete, result.certain, result.possible) == ("urgent", False, "urgent", "emergency")
    assert open_questions(result.open_questions) == [("ces_symptoms_worsening", "emergency")]
    assert [(r.criterion, r.assumed) for r in result.reasons] == [("U5", {"ces_symptoms_worsening": False})]


def test_a_minor_strain_with_age_blank_is_soon_and_age_could_make_it_urgent(assessor: Assessor) -> None:
    """A minor strain with age blank and nothing else: soon, incomplete, age could make it urgent (U7 at 70+).

    This lowers the level from urgent, which the earlier reading (an unknown age counted as 70 or over)
    gave: clinical-criteria.md, "Unknown answers", says an unknown age is not read as every age at once.
    """
    result = assessor.assess_answers(all_no_answers(minor_trauma=True, age=None))
    assert (result.urgency, result.complete, result.certain, result.possible) == ("soon", False, "self_care", "urgent")
    assert open_questions(result.open_questions) == [("age", "urgent")]
    assert "possible-fragility-fracture" not in result.fired_rules


def test_an_unknown_age_is_never_read_two_opposite_ways(assessor: Assessor) -> None:
    """With age blank, no reason assumes a child and another someone of 50 or 70 at the same time."""
    result = assessor.assess_answers(all_no_answers(age=None, region="cervical", night_pain=True, minor_trauma=True,
                                                    unexplained_weight_loss=True))
    criteria = {reason.criterion for reason in result.reasons}
    assert not ({"S7"} & criteria and {"S10", "U7"} & criteria), criteria
    assert result.urgency >= Urgency.SOON and not result.complete
    assert ("age", "urgent") in open_questions(result.open_questions)


def test_an_unknown_cauda_equina_duration_is_an_emergency_without_the_long_standing_reason(assessor: Assessor) -> None:
    """Saddle numbness of unknown duration: E1 (its criterion reads an unknown duration as new), never U5 beside it;
    the level certain whatever the duration is only urgent, so an interview must still ask."""
    result = assessor.assess_answers(all_no_answers(saddle_numbness=True, ces_symptoms_days=None,
                                                    ces_symptoms_worsening=None))
    assert (result.urgency, result.complete, result.certain) == ("emergency", True, "urgent")
    assert [reason.criterion for reason in result.reasons] == ["E1"]
    assert result.reasons[0].because["ces_symptoms_days"] is None and result.reasons[0].assumed == {}


def test_open_questions_are_listed_most_serious_first(assessor: Assessor) -> None:
    """Each unanswered question says the highest level its answer could lead to; the list runs from the highest."""
    result = assessor.assess_answers(all_no_answers(fever=None, claudication=None, night_pain=None))
    assert open_questions(result.open_questions) == [("fever", "urgent"), ("night_pain", "soon"),
                                                     ("claudication", "routine")]
    assert result.unanswered == ["fever", "night_pain", "claudication"]


def test_answering_yes_never_lowers_the_level_below_the_floor(assessor: Assessor) -> None:
    """With metabolic_condition blank, a self-care case is held at soon; answering a calcified disc at 30 (R3,
    routine) keeps it at soon, because metabolic_condition could still fire a level-setting criterion."""
    blank = assessor.assess_answers(all_no_answers(metabolic_condition=None))
    answered = assessor.assess_answers(all_no_answers(metabolic_condition=None, known_disc_calcification=True, age=30))
    assert (blank.urgency, answered.urgency) == ("soon", "soon")
    assert open_questions(answered.open_questions) == [("metabolic_condition", "routine")]


def test_a_required_answer_missing_holds_the_case_even_when_no_rule_reads_more(assessor: Assessor) -> None:
    """Age and region must be known for a case below emergency to be complete."""
    result = assessor.assess_answers(all_no_answers(region=None))
    assert (result.urgency, result.complete, result.unanswered) == ("soon", False, ["region"])


@pytest.mark.parametrize("required", ["age", "region"])
def test_a_required_answer_is_listed_even_when_no_answer_to_it_could_raise_the_level(assessor: Assessor,
                                                                                      required: str) -> None:
    """Fever is urgent at any age and in any region (U2; a feverish child is U9, urgent too), yet with the age or
    the region blank the case is incomplete and lists it: both must be known for a complete case."""
    result = assessor.assess_answers(all_no_answers(fever=True, **{required: None}))
    assert (result.urgency, result.complete, result.unanswered) == ("urgent", False, [required])


def test_a_level_every_completion_reaches_is_the_level_and_lists_only_what_could_raise_it(assessor: Assessor) -> None:
    """A child with the region blank is seen soon whatever the region (S7 for the neck, S12 for the back): certain
    is soon, so a blank that could only lead to routine (claudication, R4) is not listed; the region still is."""
    result = assessor.assess_answers(all_no_answers(age=10, region=None, claudication=None))
    assert (result.urgency, result.certain, result.complete) == ("soon", "soon", False)
    assert open_questions(result.open_questions) == [("region", "soon")]


def test_the_answers_every_unordered_field_is_tried_with(assessor: Assessor) -> None:
    """Age, region and the duration of cauda equina symptoms are tried with one answer per outcome of the rules."""
    enumerated = assessor._completer.enumerated
    assert enumerated["age"] == [0, 16, 40, 50, 70]  # under 16, 16-39, 40-49, 50-69, 70 and over
    assert enumerated["region"] == ["lumbar", "cervical", "thoracic"]
    assert enumerated["ces_symptoms_days"] == [0, 15]


def test_certain_and_possible_bracket_the_level(assessor: Assessor) -> None:
    """certain <= urgency <= possible, and a complete case has all three equal."""
    for answers in (all_no_answers(), all_no_answers(fever=None), {}, all_no_answers(saddle_numbness=True)):
        result = assessor.assess_answers(answers)
        assert result.certain <= result.urgency <= result.possible
        if result.complete and result.urgency != Urgency.EMERGENCY:
            assert result.certain == result.urgency == result.possible
