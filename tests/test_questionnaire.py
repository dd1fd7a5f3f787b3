"""The questionnaire as data and the pure interview logic: skip logic, next question, Back."""

from __future__ import annotations

import itertools
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.assess.assessor import Assessor
from triage.errors import QuestionnaireError
from triage.interview.logic import Logic
from triage.interview.questionnaire import (
    answer_options,
    bundled_questionnaire_path,
    check_against_rules,
    load_questionnaire,
)
from triage.language.conditions import fields_read
from triage.language.rulebook import RuleBase

QUESTIONNAIRE = load_questionnaire()
LOGIC = Logic(QUESTIONNAIRE)


def next_id(answers: dict[str, Any]) -> str | None:
    """The id of the question the interview asks next, or None when it is done."""
    question = LOGIC.next_question(answers)
    return question.id if question is not None else None


def answers_strategy() -> st.SearchStrategy[dict[str, Any]]:
    """Any answers to any questions, 'not sure' (None) included."""
    options = {q.id: st.sampled_from([*answer_options(q), None]) if q.type != "number"
               else st.sampled_from([q.minimum, 1, 5, 10, 15, 16, 40, 70, q.maximum, None]) for q in QUESTIONNAIRE.questions}
    return st.fixed_dictionaries({}, optional=options)


def test_bundled_questionnaire_asks_every_field_the_rules_read(rulebase: RuleBase) -> None:
    """Every case field a rule reads is asked by some question."""
    assert check_against_rules(QUESTIONNAIRE, rulebase.fields_read) == []


def test_sections_run_in_clinical_order() -> None:
    """The pain first, then emergency signs, other signs, then history and care."""
    assert [s.id for s in QUESTIONNAIRE.sections] == ["pain", "emergency-signs", "other-signs", "history"]


def test_foot_drop_is_asked_only_with_weakness_and_not_sure_never_hides_it() -> None:
    """No weakness hides foot drop (implied no); weakness or 'not sure' shows it."""
    foot_drop = QUESTIONNAIRE.question("foot_drop")
    assert not LOGIC.is_shown(foot_drop, {"weakness": "none"})
    assert LOGIC.case_answers({"weakness": "none"})["foot_drop"] is False
    assert LOGIC.is_shown(foot_drop, {"weakness": "stable"})
    assert LOGIC.is_shown(foot_drop, {"weakness": None})


def test_cauda_equina_duration_is_asked_after_a_yes_or_a_not_sure() -> None:
    """The duration and worsening of bladder/bowel/saddle symptoms follow a 'yes' or a 'not sure' to one (README)."""
    days = QUESTIONNAIRE.question("ces_symptoms_days")
    noes = dict.fromkeys(("saddle_numbness", "bladder_change", "urinary_retention", "urinary_incontinence", "bowel_change", "sexual_dysfunction"), False)
    assert not LOGIC.is_shown(days, noes)
    assert LOGIC.is_shown(days, {**noes, "bowel_change": True})
    assert LOGIC.is_shown(days, {**noes, "bowel_change": None})


def test_walking_getting_worse_is_asked_whatever_the_answer_about_unsteady_walking(assessor: Assessor) -> None:
    """Walking getting worse is an emergency alone (E6), also with 'no' to unsteady walking: hiding the question
    after that 'no' could hide an emergency, so it is always asked, worded to stand on its own."""
    answers = {"region": "lumbar", "age": 40, "gait_unsteady": False, "gait_worsening": True}
    assert assessor.assess_answers(answers).urgency == "emergency"
    worsening = QUESTIONNAIRE.question("gait_worsening")
    assert worsening.show_if is None and LOGIC.is_shown(worsening, {"gait_unsteady": False})
    assert "even if it does not feel unsteady" in (worsening.help or "")


def test_every_question_is_worded_so_that_yes_means_its_field_is_true() -> None:
    """No double negatives: 'yes' to a yes/no question is the case field's true (e.g. rest does not ease the pain)."""
    for question in QUESTIONNAIRE.questions:
        for negative in (" fail ", " fail to ", "not ease", "n't ease", "no longer fail"):
            assert negative not in f" {question.text} ", question.id
    assert QUESTIONNAIRE.question("pain_unrelieved_by_rest").text == "Does the pain stay just as bad when you rest?"
    assert QUESTIONNAIRE.question("otc_ineffective").text.startswith("Is the pain just as bad after taking painkillers")


@settings(max_examples=300, deadline=None)
@given(given_answers=answers_strategy())
def test_answers_to_hidden_questions_never_reach_the_engine(given_answers: dict[str, Any]) -> None:
    """Whatever was answered, a question that is not shown contributes only its declared hidden answer, and that
    only when the questions it depends on were reached (an unreached one hides nothing: the answer is unknown)."""
    effective = LOGIC.shown_answers(given_answers)
    case = LOGIC.case_answers(given_answers)
    for question in QUESTIONNAIRE.questions:
        if not LOGIC.is_shown(question, effective):
            assert question.show_if is not None
            reached = all(gate in effective for gate in fields_read(question.show_if))
            assert case.get(question.id) == (question.hidden_answer if reached else None), question.id
    pruned = LOGIC.prune(given_answers)
    assert set(pruned) <= set(given_answers) and LOGIC.case_answers(pruned) == case


@settings(max_examples=100, deadline=None)
@given(given_answers=answers_strategy(), seed=st.integers(0, 1000))
def test_the_order_of_answering_never_changes_the_result(assessor: Assessor, given_answers: dict[str, Any],
                                                        seed: int) -> None:
    """The same answers given in any order reach the engine the same and give the same assessment."""
    keys = list(given_answers)
    random.Random(seed).shuffle(keys)
    shuffled = {key: given_answers[key] for key in keys}
    assert LOGIC.case_answers(shuffled) == LOGIC.case_answers(given_answers)
    assert assessor.assess_answers(LOGIC.case_answers(shuffled)) == \
        assessor.assess_answers(LOGIC.case_answers(given_answers))


def test_next_question_and_back() -> None:
    """Questions come in order; Back withdraws the last answer and asks that question again."""
    given_answers: dict[str, Any] = {}
    history: list[str] = []
    for value in ("lumbar", 40, 3):
        question = next_id(given_answers)
        assert question is not None
        given_answers[question] = value
        history.append(question)
    assert next_id(given_answers) == "pain_score"
    given_answers, history, target = LOGIC.back(given_answers, history)
    assert target == "duration_days" and history == ["region", "age"] and "duration_days" not in given_answers
    assert next_id(given_answers) == "duration_days"
    assert LOGIC.back({}, []) == ({}, [], None)


def test_changing_an_answer_drops_answers_that_no_longer_apply() -> None:
    """Weakness changed to none: the foot-drop answer is dropped and the implied 'no' takes its place."""
    given_answers = {"weakness": "stable", "foot_drop": True, "weakness_both_legs": False}
    pruned = LOGIC.prune({**given_answers, "weakness": "none"})
    assert pruned == {"weakness": "none"}
    assert LOGIC.case_answers(pruned)["foot_drop"] is False


def test_progress_counts_questions_as_things_stand() -> None:
    """Progress is (answered, shown): a fever adds the four infection questions."""
    assert LOGIC.progress({}) == (0, 36)
    assert LOGIC.progress({"fever": True})[1] == 40


def broken(tmp_path: Path, old: str, new: str) -> Path:
    text = bundled_questionnaire_path().read_text()
    assert old in text, old
    path = tmp_path / "q.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(path)
    return caught.value.problems


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("      - id: age\n", "      - id: agee\n", "q.yaml: question 'agee': not a case field (did you mean 'age'?)"),
    ("        show_if: {field: weakness, in: [stable, progressive]}\n        hidden_answer: false\n        note: \"Answering",
     "        show_if: {field: gait_unsteady, is: true}\n        hidden_answer: false\n        note: \"Answering",
     "q.yaml: question 'weakness_both_legs': show_if reads 'gait_unsteady', which is asked later"),
    ("          - {value: both_arms, label: \"Yes, into both arms\"}\n", "",
     "q.yaml: question 'arm_pain': the answer 'both_arms' of the case field is not offered"),
    ("      - id: dysphagia\n        text: \"Do you have difficulty swallowing?\"\n        type: yes_no",
     "      - id: dysphagia\n        text: \"Do you have difficulty swallowing?\"\n        type: number\n        minimum: 0\n        maximum: 1",
     "q.yaml: question 'dysphagia': the case field is yes/no, so the question must be type yes_no"),
    ("        show_if: {field: region, is: cervical}\n",
     "        show_if: {all: [{field: age, lt: 10}, {field: age, gt: 60}]}\n",
     "q.yaml: question 'occipital_headache': never shown (no earlier answers make show_if true)"),
    ("        type: yes_no\n        show_if: *fever", "        type: yes_no\n        shows_if: *fever",
     "q.yaml: question 'immunosuppressed': shows_if: unknown key (did you mean 'show_if'?)"),
])
def test_questionnaire_problems_are_located(tmp_path: Path, old: str, new: str, problem: str) -> None:
    """Bad ids, skip logic on later questions, missing answers, wrong types and unreachable questions, each with its line."""
    path = broken(tmp_path, old, new)
    # A key the schema refuses is located at its own line; any other problem at the line of its question's id.
    anchor = "shows_if:" if "shows_if" in problem else f"- id: {problem.split(chr(39))[1]}"
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if anchor in text)
    assert problem.replace("q.yaml: ", f"q.yaml:{line}: ", 1) in problems(path)


def test_problem_counts_are_in_plain_plurals(tmp_path: Path) -> None:
    """'1 problem', '2 problems': never 'problem(s)'."""
    one = broken(tmp_path, "      - id: dysphagia\n", "      - id: dysphagiaa\n")
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(one)
    assert caught.value.summary.endswith(": 1 problem")
    two = tmp_path / "two.yaml"
    two.write_text(one.read_text().replace("      - id: claudication\n", "      - id: claudicatio\n", 1))
    with pytest.raises(QuestionnaireError) as caught:
        load_questionnaire(two)
    assert caught.value.summary.endswith(": 2 problems")


def _every_answer(question_id: str) -> list[Any]:
    """Every answer to a question, numbers up to 200 (beyond every threshold the skip logic uses)."""
    question = QUESTIONNAIRE.question(question_id)
    if question.type == "number":
        assert question.minimum is not None and question.maximum is not None
        return list(range(question.minimum, min(question.maximum, 200) + 1))
    return answer_options(question)


@settings(max_examples=200, deadline=None)
@given(given_answers=answers_strategy())
def test_a_question_after_not_sure_is_shown_exactly_when_some_answer_would_show_it(given_answers: dict[str, Any]) -> None:
    """is_shown with "not sure" gates agrees with trying every answer to those gates (a brute-force search)."""
    from triage.language.conditions import fields_read
    from triage.language.evaluation import compile_condition

    for question in QUESTIONNAIRE.questions:
        if question.show_if is None:
            continue
        earlier = {k: v for k, v in given_answers.items() if QUESTIONNAIRE.index[k] < QUESTIONNAIRE.index[question.id]}
        gates = fields_read(question.show_if)
        unsure = [g for g in gates if g in earlier and earlier[g] is None]
        known = {k: v for k, v in earlier.items() if v is not None}
        holds = compile_condition(question.show_if).holds
        expected = any(holds({**known, **dict(zip(unsure, values, strict=True))}, frozenset())
                       for values in itertools.product(*(_every_answer(g) for g in unsure)))
        assert LOGIC.is_shown(question, earlier) == expected, (question.id, earlier)


def test_not_sure_probes_every_outcome_of_the_gate_even_one_like_unknown(tmp_path: Path) -> None:
    """A gate "age 16 or over" (not under 16) after "not sure" to age shows the question: some age shows it."""
    path = broken(tmp_path, "        show_if:\n          any:\n            - {field: region, is: cervical}\n"
                            "            - {field: age, lt: 16}\n",
                  "        show_if: {not: {field: age, lt: 16}}\n")
    logic = Logic(load_questionnaire(path))
    torticollis = logic.questionnaire.question("torticollis")
    assert logic.is_shown(torticollis, {"region": "lumbar", "age": None})
    assert not logic.is_shown(torticollis, {"region": "lumbar", "age": 10})
