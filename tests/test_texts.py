"""Advice, safety-netting and titles fit the region and the answers (clinical-criteria.md, "What the person reads").

The mechanism: a text in a rule file or rulebase.yaml is a string or ``{text, when}``, its
condition in the rule language over answers, checked on load (fields, values, no findings)
and by ``triage check`` (never shown). Then the bundled texts: region by region, and the
titles against the answers that fire their rules.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from triage.assess.assessor import Assessor
from triage.cli import cli
from triage.language.loading import load_rulebase
from triage.language.rulebook import Text, choices, texts_for
from triage.language.verify import verify
from triage.models import Assessment

from .conftest import all_no_answers
from .synthetic import random_case_dicts
from .test_rulebook import broken_copy, line_of, problems, rule_at

LUMBAR_CES = "the nerves at the bottom of the spine"
NECK_CES = "pressure on the spinal cord in the neck"

E1_LUMBAR_WHEN = "        when: {field: region, is: lumbar}\n"
NECK_SIGNS_WHEN = "    when: {field: region, is: cervical}\n"


# --- the mechanism -------------------------------------------------------------------------------------


def test_a_text_is_a_string_or_a_text_with_a_condition() -> None:
    """A plain string is always shown; {text, when} only when its condition holds, an unknown answer making it false."""
    plain = Text.model_validate("Rest.")
    neck = Text.model_validate({"text": "Neck.", "when": {"field": "region", "is": "cervical"}})
    assert plain.when is None
    both = choices([plain, neck])
    assert texts_for(both, {"region": "cervical"}) == ["Rest.", "Neck."]
    assert texts_for(both, {"region": "lumbar"}) == ["Rest."]
    assert texts_for(both, {}) == ["Rest."]
    assert neck == Text.model_validate({"text": "Neck.", "when": {"field": "region", "is": "cervical"}})
    assert len({neck, Text.model_validate({"text": "Neck.", "when": {"field": "region", "is": "cervical"}})}) == 1


def test_a_text_condition_on_an_unknown_field_is_located(tmp_path: Path) -> None:
    """A misspelt field in a rule's text condition is a load error naming the file, line, rule, key and a suggestion.

    E2 shares E1's advice (a YAML anchor), so both rules report it.
    """
    folder = broken_copy(tmp_path, {"emergency.yaml": [(E1_LUMBAR_WHEN, "        when: {field: regoin, is: lumbar}\n")]})
    assert problems(folder) == [f"{rule_at(folder, 'emergency.yaml', rule)}: advice[0].when: field 'regoin' is not a "
                                "case field (did you mean 'region'?)" for rule in ("ces-suspected", "ces-late-signs")]


def test_a_text_condition_on_a_value_outside_the_field_is_an_error(tmp_path: Path) -> None:
    """A value the field cannot hold, in a text condition of rulebase.yaml, is located by line and key."""
    folder = broken_copy(tmp_path, {"rulebase.yaml": [(NECK_SIGNS_WHEN, "    when: {field: region, is: neck}\n")]})
    line = line_of(folder, "rulebase.yaml", "when: {field: region, is: neck}") - 1
    assert problems(folder) == [f"rulebase.yaml:{line}: safety_netting[4].when: field 'region': 'neck' is not one "
                                "of lumbar, cervical, thoracic"]


def test_a_text_condition_may_not_read_a_finding(tmp_path: Path) -> None:
    """Texts are chosen by answers: a finding in a text's condition is refused, with what to do instead."""
    folder = broken_copy(tmp_path, {"emergency.yaml": [(E1_LUMBAR_WHEN, "        when: {finding: ces_symptom}\n")]})
    assert problems(folder)[0] == (f"{rule_at(folder, 'emergency.yaml', 'ces-suspected')}: advice[0].when: finding "
                                   "'ces_symptom': a text's condition tests answers only (put the finding in the "
                                   "rule's own condition)")


def test_an_unknown_key_in_a_text_is_an_error(tmp_path: Path) -> None:
    """A misspelt key of a text item is an unknown key, with a suggestion."""
    folder = broken_copy(tmp_path, {"emergency.yaml": [("      - text: \"Tell the staff that you may have cauda",
                                                        "      - txt: \"Tell the staff that you may have cauda")]})
    found = problems(folder)
    assert any("advice[0]" in p and "txt: unknown key (did you mean 'text'?)" in p for p in found), found


def test_a_text_never_shown_with_its_rule_fails_triage_check(tmp_path: Path) -> None:
    """A rule's text whose condition contradicts the rule's own (neck advice only for low-back pain) is never-true."""
    folder = broken_copy(tmp_path, {"advice.yaml": [
        ('      - "Do not keep your neck in one position for long:',
         '      - text: "Only for the low back."\n        when: {field: region, is: lumbar}\n'
         '      - "Do not keep your neck in one position for long:'),
    ]})
    issues = [str(issue) for issue in verify(load_rulebase(folder)).errors]
    assert issues == [f"{rule_at(folder, 'advice.yaml', 'advice-neck')}: never-true: advice[0] is never shown: its "
                      "condition can never hold when the rule fires"]
    result = CliRunner().invoke(cli, ["check", "--rules", str(folder)])
    assert result.exit_code == 1 and "advice[0] is never shown" in result.output


def test_a_rule_base_text_never_shown_fails_triage_check(tmp_path: Path) -> None:
    """A safety-netting text of rulebase.yaml whose condition no answers meet is never-true."""
    folder = broken_copy(tmp_path, {"rulebase.yaml": [(NECK_SIGNS_WHEN, "    when: {field: age, gt: 120}\n")]})
    issues = [str(issue) for issue in verify(load_rulebase(folder)).errors]
    assert issues == ["rulebase.yaml: never-true: safety_netting[4] is never shown: its condition can never hold"]


def test_the_bundled_texts_are_all_shown_for_some_answers(rulebase: Any) -> None:
    """No bundled text is never shown (the check passes on the bundled rule base)."""
    assert [str(i) for i in verify(rulebase).errors if "never shown" in i.message] == []


# --- the words fit the region ----------------------------------------------------------------------------


def _texts(result: Assessment) -> str:
    return "\n".join([*(r.title for r in result.reasons), *result.advice, *result.safety_netting])


def test_neck_pain_with_bladder_symptoms_is_told_about_the_spinal_cord(assessor: Assessor) -> None:
    """Neck pain with a new bladder change: the spinal cord in the neck, never the bottom of the spine."""
    result = assessor.assess_answers(all_no_answers(region="cervical", bladder_change=True, ces_symptoms_days=3))
    assert result.urgency == "emergency" and "ces-suspected" in result.fired_rules
    assert any(NECK_CES in line and line.startswith("Tell the staff that you have neck pain") for line in result.advice)
    assert "bottom of the spine" not in _texts(result)
    assert "cauda equina" not in _texts(result)


def test_mid_back_pain_with_retention_is_told_about_the_spinal_cord_once(assessor: Assessor) -> None:
    """Mid-back pain with retention fires E1 and E2, which share their words: the spinal cord advice, given once."""
    result = assessor.assess_answers(all_no_answers(region="thoracic", urinary_retention=True, ces_symptoms_days=1))
    assert {"ces-suspected", "ces-late-signs"} <= set(result.fired_rules)
    staff = [line for line in result.advice if line.startswith("Tell the staff")]
    assert len(staff) == 1 and "spinal cord in the middle of the back" in staff[0]
    assert "bottom of the spine" not in _texts(result)


def test_low_back_pain_with_saddle_numbness_is_told_cauda_equina(assessor: Assessor) -> None:
    """Low-back pain: the cauda equina wording (the nerves at the bottom of the spine), and no spinal-cord advice."""
    result = assessor.assess_answers(all_no_answers(saddle_numbness=True, ces_symptoms_days=2))
    assert any("cauda equina syndrome" in line and LUMBAR_CES in line for line in result.advice)
    assert not any("spinal cord" in line for line in result.advice)


def test_an_unknown_region_gets_the_wording_that_covers_both(assessor: Assessor) -> None:
    """Region not answered: one piece of advice naming both the spinal cord and the bottom of the spine."""
    answers = all_no_answers(bowel_change=True)
    del answers["region"]
    staff = [line for line in assessor.assess_answers(answers).advice if line.startswith("Tell the staff")]
    assert len(staff) == 1 and "spinal cord" in staff[0] and LUMBAR_CES in staff[0]


@pytest.mark.parametrize(("region", "expected"), [
    ("cervical", ("walking gets worse", "hands become clumsy or weak", "weakness in your arms or legs")),
    ("thoracic", ("walking becomes difficult", "loss of feeling in your legs")),
    (None, ("walking gets worse", "hands become clumsy or weak", "arms or legs")),
])
def test_a_neck_or_mid_back_emergency_names_the_signs_of_the_region(
        assessor: Assessor, region: str | None, expected: tuple[str, ...]) -> None:
    """A neck emergency's safety-netting names walking, hands and arms besides the bladder and bowel signs."""
    answers = all_no_answers(region=region, gait_worsening=True)
    result = assessor.assess_answers(answers)
    assert result.urgency == "emergency"
    cord = [line for line in result.safety_netting if "walking" in line]
    assert len(cord) == 1 and all(words in cord[0] for words in expected), result.safety_netting
    assert any("bladder" in line for line in result.safety_netting)
    assert any("bowels" in line for line in result.safety_netting)


def test_low_back_safety_netting_has_no_spinal_cord_signs(assessor: Assessor) -> None:
    """Low-back pain gets the cauda equina signs, not the hands and arms of the neck."""
    netting = assessor.assess_answers(all_no_answers(gait_worsening=True)).safety_netting
    assert not any("hands" in line or "arms" in line for line in netting)
    assert any("bottom, genitals or inner thighs" in line for line in netting)


def test_walking_and_hands_are_not_named_twice_for_neck_pain(assessor: Assessor) -> None:
    """With neck pain, S5's own walking sign is left to the rule base's neck signs: said once."""
    netting = assessor.assess_answers(all_no_answers(region="cervical", hand_clumsiness=True)).safety_netting
    assert len([line for line in netting if "walking" in line]) == 1


def test_both_legs_advice_fits_the_region(assessor: Assessor) -> None:
    """U4's advice names the bottom of the spine for low-back pain and the spinal cord otherwise."""
    low = assessor.assess_answers(all_no_answers(leg_pain="both_legs")).advice
    neck = assessor.assess_answers(all_no_answers(region="cervical", leg_pain="both_legs")).advice
    assert any(LUMBAR_CES in line for line in low) and not any("spinal cord" in line for line in low)
    assert any("spinal cord" in line for line in neck) and not any(LUMBAR_CES in line for line in neck)


# --- advice that does not contradict itself -----------------------------------------------------------------


@pytest.mark.parametrize("changes", [{}, {"conservative_care_weeks": 12, "conservative_care_response": "no_change"}],
                         ids=["self-care", "routine"])
def test_an_exercise_flare_is_not_also_told_to_exercise(assessor: Assessor, changes: dict[str, Any]) -> None:
    """With an exercise flare, no advice says to exercise (walking, swimming, cycling) beside 'stop your exercise'."""
    flare = assessor.assess_answers(all_no_answers(exercise_flare=True, **changes))
    assert any("stop your exercise routine" in line for line in flare.advice)
    assert not any("low-impact exercise" in line or "walking" in line for line in flare.advice), flare.advice
    assert any("gentle everyday movement" in line and "bed rest" in line for line in flare.advice)
    calm = assessor.assess_answers(all_no_answers(exercise_flare=False, **changes))
    assert any("low-impact exercise such as walking" in line for line in calm.advice)
    assert not any("pause your exercise routine" in line for line in calm.advice)
    unknown = assessor.assess_answers({k: v for k, v in all_no_answers(**changes).items() if k != "exercise_flare"})
    assert any("low-impact exercise such as walking" in line for line in unknown.advice)


# --- titles true of the answers ---------------------------------------------------------------------------


def test_progressive_weakness_is_never_called_not_getting_worse(assessor: Assessor) -> None:
    """S1 fires for weakness getting worse too: no reason then says 'not getting worse'."""
    result = assessor.assess_answers(all_no_answers(weakness="progressive"))
    assert "numbness-or-stable-weakness" in result.fired_rules
    assert not any("not getting worse" in reason.title for reason in result.reasons)


def test_worsening_walking_alone_never_mentions_weakness(assessor: Assessor) -> None:
    """E6 from walking getting worse, with no weakness: no reason title mentions weakness."""
    result = assessor.assess_answers(all_no_answers(gait_worsening=True))
    assert [r.criterion for r in result.reasons] == ["E6"]
    assert not any("weak" in reason.title.lower() for reason in result.reasons)


#: What a title says that must be true of every case whose answers fire its rule: (words, the answers they need).
CLAIMS: list[tuple[str, Any]] = [
    (r"weakness[^.]*not getting worse", lambda a: a.get("weakness") != "progressive" and not a.get("gait_worsening")),
    (r"(changes|symptoms)[^.]*not getting worse", lambda a: a.get("ces_symptoms_worsening") is not True),
    (r"more than two weeks", lambda a: (a.get("ces_symptoms_days") or 0) > 14),
    (r"\bsevere\b", lambda a: (a.get("pain_score") or 0) >= 7),
    (r"weakness (that is )?getting worse", lambda a: a.get("weakness") == "progressive"),
    (r"^weakness in both legs", lambda a: bool(a.get("weakness_both_legs"))),
    (r"cancer", lambda a: bool(a.get("cancer_history"))),
    (r"\bfever\b", lambda a: bool(a.get("fever"))),
    (r"spreading into a leg", lambda a: a.get("leg_pain") in ("one_leg", "both_legs")),
    (r"cannot pass urine", lambda a: bool(a.get("urinary_retention") or a.get("urinary_incontinence")
                                          or a.get("bowel_change"))),
    (r"that has not helped", lambda a: a.get("conservative_care_response") in ("no_change", "worse")),
]


def test_no_title_claims_what_the_answers_contradict(assessor: Assessor) -> None:
    """Over 3,000 random cases, complete and partial, each reason's title is true of the answers that fired it."""
    for answers in random_case_dicts(3000, seed=10, partial_share=0.5):
        answers.pop("id")
        for reason in assessor.assess_answers(answers).reasons:
            for words, needed in CLAIMS:
                if re.search(words, reason.title, re.IGNORECASE):
                    assert needed(answers), (reason.rule, reason.title, words, answers)
