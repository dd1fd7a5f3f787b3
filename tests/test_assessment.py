"""The assessment: completeness, advice by level, condition-specific safety-netting and explanations."""

from __future__ import annotations

from typing import Any

import pytest

from triage.assess.assessor import Assessor

from .conftest import all_no_answers


def test_unanswered_worsening_keeps_long_standing_cauda_equina_urgent(assessor: Assessor) -> None:
    """Saddle numbness for 30 days with 'worsening' blank: urgent (U5), surgical, and incomplete."""
    answers = all_no_answers(saddle_numbness=True, ces_symptoms_days=30)
    del answers["ces_symptoms_worsening"]
    result = assessor.assess_answers(answers)
    assert (result.urgency, result.surgical_consultation, result.complete) == ("urgent", True, False)
    assert result.unanswered == ["ces_symptoms_worsening"]
    assert result.reasons[0].because == {"saddle_numbness": True, "ces_symptoms_days": 30,
                                         "ces_symptoms_worsening": None}


def test_contradictory_weakness_answers_do_not_reach_self_care(assessor: Assessor) -> None:
    """Weakness in both legs with 'weakness: none' is still weakness (S1): soon, not self-care."""
    result = assessor.assess_answers(all_no_answers(weakness_both_legs=True))
    assert result.urgency == "soon" and "numbness-or-stable-weakness" in result.fired_rules


def test_self_care_needs_every_question_that_could_matter(assessor: Assessor) -> None:
    """An all-no case is self-care and complete; leaving one red flag blank makes it soon and incomplete."""
    assert assessor.assess_answers(all_no_answers()).urgency == "self_care"
    blank = all_no_answers()
    del blank["fever"]
    result = assessor.assess_answers(blank)
    assert (result.urgency, result.complete, result.unanswered) == ("soon", False, ["fever"])
    assert result.reasons[-1].rule == "unanswered-questions" and result.reasons[-1].because == {"fever": None}


def test_advice_of_a_lower_level_is_not_shown_at_a_higher_one(assessor: Assessor) -> None:
    """An emergency does not also tell the person to book within days, nor to wait for an MRI within a week."""
    result = assessor.assess_answers(all_no_answers(cancer_history=True, night_pain=True, limb_numbness=True))
    assert result.urgency == "emergency"
    assert not any("within a week" in line for line in result.advice)
    assert "Tell the doctor about your cancer history." in result.advice  # widened by advice_levels
    assert any("whole spine within 24 hours" in line for line in result.advice)


def test_condition_specific_safety_netting(assessor: Assessor) -> None:
    """Below emergency, the signs that would make this condition an emergency come first; an emergency has none."""
    myelopathy = assessor.assess_answers(all_no_answers(region="thoracic", hand_clumsiness=True))
    assert myelopathy.safety_netting[0].startswith("If your walking gets worse")
    assert myelopathy.safety_netting[1].startswith("Go to an emergency department or call emergency services")
    emergency = assessor.assess_answers(all_no_answers(hand_clumsiness=True, gait_worsening=True))
    assert emergency.urgency == "emergency"
    assert not any(line.startswith("If your walking gets worse") for line in emergency.safety_netting)


def test_emergency_is_complete_even_with_unknowns(assessor: Assessor) -> None:
    """Nothing can raise an emergency: it is complete with nothing unanswered, whatever is blank."""
    result = assessor.assess_answers({"bowel_change": True})
    assert (result.urgency, result.complete, result.unanswered) == ("emergency", True, [])


def test_reasons_are_listed_most_urgent_first(assessor: Assessor) -> None:
    """Cancer with limb numbness and claudication: the emergency (E4) comes first, then soon (S1, S11), then routine
    (R4): the first reason is the one that sets the level."""
    result = assessor.assess_answers(all_no_answers(cancer_history=True, limb_numbness=True, claudication=True))
    assert [reason.urgency for reason in result.reasons] == ["emergency", "soon", "soon", "routine"]
    assert (result.reasons[0].criterion, result.reasons[-1].criterion) == ("E4", "R4")


SIGNS_TO_GO_NOW = {  # E1-E3 in plain words, as every assessment must end (docs/criteria.md, Self-care)
    "saddle numbness": "around your bottom, genitals or inner thighs",
    "bladder": "urine",
    "bowel": "bowel",
    "weakness in both legs": "weakness in both legs",
}


@pytest.mark.parametrize("changes", [
    {}, {"claudication": True}, {"night_pain": True}, {"fever": True}, {"bowel_change": True}, {"fever": None},
], ids=["self-care", "routine", "soon", "urgent", "emergency", "incomplete"])
def test_every_assessment_ends_with_the_signs_that_mean_go_now(assessor: Assessor, changes: dict[str, Any]) -> None:
    """At every level, complete or not, the safety-netting names each sign of E1-E3: saddle numbness, a bladder
    change, a bowel change and weakness in both legs."""
    netting = assessor.assess_answers(all_no_answers(**changes)).safety_netting
    missing = [sign for sign, words in SIGNS_TO_GO_NOW.items() if not any(words in line for line in netting)]
    assert missing == [], netting


def test_fever_is_told_that_weakness_would_make_it_an_emergency(assessor: Assessor) -> None:
    """Fever with spinal pain is urgent (U2); with any weakness it is an emergency (E5), so the person is told to go
    to an emergency department if an arm or a leg becomes weak."""
    result = assessor.assess_answers(all_no_answers(fever=True))
    assert result.urgency == "urgent"
    assert any("weakness in an arm or leg" in line and "emergency department" in line for line in result.safety_netting)


@pytest.mark.parametrize("changes", [{"bladder_change": True}, {"weakness_both_legs": True, "weakness": "progressive"},
                                     {"significant_trauma": True}, {"breathing_difficulty": True}],
                         ids=["E1", "E3", "E7", "E8"])
def test_an_emergency_is_told_not_to_wait_and_not_to_drive(assessor: Assessor, changes: dict[str, Any]) -> None:
    """Whatever the emergency, the person is told not to wait to see if it gets better and not to drive themself."""
    result = assessor.assess_answers(all_no_answers(**changes))
    assert result.urgency == "emergency"
    assert any("do not wait" in line.lower() and "do not drive" in line for line in result.advice), result.advice
