"""The FHIR Questionnaire's skip logic means exactly our show_if: enableWhen and FHIRPath against Logic.is_shown."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from triage.cases import load_case
from triage.interview.logic import Logic
from triage.interview.questionnaire import Questionnaire, load_questionnaire
from triage.language.conditions import fields_read
from triage.service.fhir import questionnaire_resource
from triage.service.skiplogic import SkipLogic

from ..conftest import CASES_DIR
from .fhir_eval import expression_of, fhirpath_holds, is_enabled, question_items, response_of

GOLDEN = sorted(CASES_DIR.glob("*.yaml"))
QUESTIONNAIRE = load_questionnaire()
LOGIC = Logic(QUESTIONNAIRE)
EXPORTED = questionnaire_resource(QUESTIONNAIRE, LOGIC)
ITEMS = {item["linkId"]: item for item in question_items(EXPORTED)}


def fhir_next(exported: dict[str, Any], items: dict[str, dict[str, Any]], given: dict[str, Any]) -> str | None:
    """The question a FHIR form asks next: the first enabled item not yet asked."""
    response = response_of(exported, given)
    return next((link for link, item in items.items() if link not in given and is_enabled(item, response)), None)


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_fhir_skip_logic_agrees_with_show_if_on_every_prefix_of_a_golden_case(path: Path) -> None:
    """Answering a golden case question by question, FHIR and Logic enable the same questions at every prefix."""
    answers = load_case(path).answers()
    given: dict[str, Any] = {}
    steps = 0
    while True:
        ours = LOGIC.next_question(given)
        assert fhir_next(EXPORTED, ITEMS, given) == (ours.id if ours else None), (path.name, sorted(given))
        response = response_of(EXPORTED, given)
        for question in QUESTIONNAIRE.questions:  # every question whose gates have all been asked
            gates = fields_read(question.show_if) if question.show_if else []
            if all(gate in given for gate in gates) and question.id not in given:
                shown = LOGIC.is_shown(question, LOGIC.shown_answers(given))
                assert is_enabled(ITEMS[question.id], response) == shown, (path.name, question.id, sorted(given))
        if ours is None:
            break
        given[ours.id] = answers.get(ours.id)  # None: "not sure", the item is left without an answer
        steps += 1
    assert steps == len(given) == len(LOGIC.shown(given)) >= 30


def _gate_states(questionnaire: Questionnaire, logic: Logic, question_id: str) -> Iterator[dict[str, Any]]:
    """Every consistent state of a question's gates: each answer tried, or "not sure"; a hidden gate absent."""
    question = questionnaire.question(question_id)
    gates = fields_read(question.show_if) if question.show_if else []
    for values in itertools.product(*([*logic.probes(question_id, gate), None] for gate in gates)):
        given = dict(zip(gates, values, strict=True))
        every = {q.id: given.get(q.id) for q in questionnaire.questions}
        shown = logic.shown(every)
        if all(gate in shown or given[gate] is None for gate in gates):
            yield {gate: value for gate, value in given.items() if gate in shown}


@pytest.mark.parametrize("question_id", [q.id for q in QUESTIONNAIRE.questions if q.show_if],
                         ids=[q.id for q in QUESTIONNAIRE.questions if q.show_if])
def test_enable_when_and_fhirpath_agree_with_show_if_for_every_gate_state(question_id: str) -> None:
    """For every combination of answers and "not sure" of its gates, the exported enableWhen, and the FHIRPath
    form of the same show_if, enable the question exactly when Logic shows it."""
    question = QUESTIONNAIRE.question(question_id)
    expression = SkipLogic(QUESTIONNAIRE, LOGIC).expression(question)
    states = list(_gate_states(QUESTIONNAIRE, LOGIC, question_id))
    # fhirpathpy takes ~15 ms per evaluation of the six-gate expressions: every state for enableWhen, 150 for FHIRPath
    sampled = {id(state) for state in random.Random(question_id).sample(states, min(150, len(states)))}
    for given in states:
        every = {q.id: given.get(q.id) for q in QUESTIONNAIRE.questions}
        shown = question_id in LOGIC.shown(every)
        response = response_of(EXPORTED, given)
        assert is_enabled(ITEMS[question_id], response) == shown, given
        if id(given) in sampled:
            assert fhirpath_holds(expression, response) == shown, given
    assert len(states) >= 3


def test_the_bundled_show_ifs_all_translate_to_enable_when() -> None:
    """Every show_if of the bundled questionnaire is said exactly by enableWhen (no FHIRPath needed today)."""
    with_logic = [item for item in ITEMS.values() if "enableWhen" in item or expression_of(item)]
    assert len(with_logic) == len([q for q in QUESTIONNAIRE.questions if q.show_if])
    assert all("enableWhen" in item and expression_of(item) is None for item in with_logic)


def test_every_enable_when_names_an_earlier_question() -> None:
    """Every enableWhen.question (and every linkId a FHIRPath expression reads) is an item that comes earlier."""
    order = list(ITEMS)
    skip = SkipLogic(QUESTIONNAIRE, LOGIC)
    for link_id, item in ITEMS.items():
        for condition in item.get("enableWhen", []):
            assert condition["question"] in ITEMS and order.index(condition["question"]) < order.index(link_id)
        question = QUESTIONNAIRE.question(link_id)
        if question.show_if:
            for read in fields_read(question.show_if):
                assert f"linkId='{read}'" in skip.expression(question)
                assert order.index(read) < order.index(link_id)


# A questionnaire whose show_ifs enableWhen cannot say: all, not, unknown, or_unknown, and gates that are
# themselves hidden (with and without a hidden_answer).
SYNTHETIC = Questionnaire.model_validate({"version": "0", "title": "skip logic", "sections": [{
    "id": "s", "title": "s", "questions": [
        {"id": "fever", "text": "fever?", "type": "yes_no"},
        {"id": "weakness", "text": "weakness?", "type": "choice", "choices": [
            {"value": "none", "label": "no"}, {"value": "stable", "label": "stable"},
            {"value": "progressive", "label": "worse"}]},
        {"id": "age", "text": "age?", "type": "number", "minimum": 0, "maximum": 120},
        {"id": "foot_drop", "text": "foot drop?", "type": "yes_no", "hidden_answer": False,
         "show_if": {"field": "weakness", "in": ["stable", "progressive"]}},
        {"id": "osteoporosis", "text": "bones?", "type": "yes_no", "show_if": {"field": "weakness", "ne": "none"}},
        {"id": "iv_drug_use", "text": "drugs?", "type": "yes_no",
         "show_if": {"all": [{"field": "fever", "is": True}, {"not": {"field": "age", "lt": 16}}]}},
        {"id": "recent_infection", "text": "infection?", "type": "yes_no",
         "show_if": {"field": "foot_drop", "is": False}},
        {"id": "immunosuppressed", "text": "immune?", "type": "yes_no",
         "show_if": {"any": [{"field": "fever", "unknown": True}, {"field": "age", "gte": 70, "or_unknown": True}]}},
        {"id": "torticollis", "text": "neck?", "type": "yes_no", "show_if": {"not": {"field": "iv_drug_use", "is": True}}},
    ]}]})


def _every_state(questionnaire: Questionnaire, logic: Logic) -> Iterator[dict[str, Any]]:
    """Every reachable state of the gates of a questionnaire: each shown gate answered with each tried value or
    "not sure", a hidden one absent (questions that gate nothing are left "not sure": they change nothing)."""
    tried: dict[str, list[Any]] = {}  # each gate: every answer tried for it by any question it gates
    for later in questionnaire.questions:
        for gate in fields_read(later.show_if) if later.show_if else []:
            tried[gate] = list(dict.fromkeys([*tried.get(gate, []), *logic.probes(later.id, gate)]))

    def walk(index: int, given: dict[str, Any]) -> Iterator[dict[str, Any]]:
        if index == len(questionnaire.questions):
            yield dict(given)
            return
        question = questionnaire.questions[index]
        if question.id not in logic.shown({**given, question.id: None}):
            yield from walk(index + 1, given)
            return
        values = [*tried[question.id], None] if question.id in tried else [None]
        for value in values:
            yield from walk(index + 1, {**given, question.id: value})
    yield from walk(0, {})


def test_what_enable_when_cannot_say_is_an_exact_fhirpath_expression() -> None:
    """all / not / unknown / or_unknown and gates that can be hidden become enableWhenExpression; over every
    reachable state of the questionnaire, FHIR enables exactly the questions Logic shows (``ne`` stays enableWhen)."""
    logic = Logic(SYNTHETIC)
    exported = questionnaire_resource(SYNTHETIC, logic, resource_id="synthetic")
    items = {item["linkId"]: item for item in question_items(exported)}
    assert "enableWhen" in items["foot_drop"] and "enableWhen" in items["osteoporosis"]
    for link_id in ("iv_drug_use", "recent_infection", "immunosuppressed", "torticollis"):
        assert expression_of(items[link_id]) and "enableWhen" not in items[link_id], link_id
    states = 0
    for given in _every_state(SYNTHETIC, logic):
        every = {q.id: given.get(q.id) for q in SYNTHETIC.questions}
        shown = logic.shown(every)
        response = response_of(exported, given)
        for link_id, item in items.items():
            assert is_enabled(item, response) == (link_id in shown), (link_id, given)
        states += 1
    assert states > 100
