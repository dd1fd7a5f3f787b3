"""The questionnaire and the assessment in FHIR R4: pure functions from our models to FHIR JSON and back.

- ``questionnaire_resource``: the questionnaire as a FHIR ``Questionnaire`` (one group per
  section, one item per question, ``linkId`` = the case field, skip logic in
  ``skiplogic.py``). Every question may be left unanswered: that is "not sure", unknown.
- ``answers_from_response``: a ``QuestionnaireResponse`` to that Questionnaire -> the case
  answers, with every problem located (unknown linkIds, wrong answer types, answers to
  disabled items). The answers in force are those of ``Logic.case_answers``, as in the
  interview, so a hidden question's declared ``hidden_answer`` applies here too.
- ``response_from_answers``: case answers -> a ``QuestionnaireResponse`` (for tests and
  integrators), with the answers it cannot carry (not asked, or not enabled).
- ``guidance_response``: an assessment -> a ``GuidanceResponse`` (``guidance.py``).

The JSON produced parses with the ``fhir.resources`` R4B models (tests check it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from triage.errors import InputError
from triage.interview.logic import Logic
from triage.interview.questionnaire import Question, Questionnaire
from triage.models import Case, Urgency
from triage.validation import suggest

from . import fhir_terms as terms
from .fhir_checks import Problem as Problem  # re-exported: the other modules import it from here
from .fhir_checks import structure_problems
from .skiplogic import SkipLogic

RESPONSE_STATUSES = ("in-progress", "completed", "amended", "stopped")


def questionnaire_resource(questionnaire: Questionnaire, logic: Logic | None = None,
                           resource_id: str = terms.QUESTIONNAIRE_ID) -> dict[str, Any]:
    """The questionnaire as a FHIR R4 Questionnaire (JSON), generated from the questionnaire model."""
    skip = SkipLogic(questionnaire, logic or Logic(questionnaire))
    groups = []
    for section in questionnaire.sections:
        items: list[dict[str, Any]] = []
        if section.intro:
            items.append({"linkId": f"{section.id}.intro", "type": "display", "text": section.intro})
        items += [_question_item(question, skip) for question in section.questions]
        groups.append({"linkId": section.id, "type": "group", "text": section.title, "item": items})
    return {
        "resourceType": "Questionnaire",
        "id": resource_id,
        "url": terms.QUESTIONNAIRE_URL if resource_id == terms.QUESTIONNAIRE_ID
        else f"{terms.CANONICAL_BASE}/Questionnaire/{resource_id}",
        "version": questionnaire.version,
        "name": "".join(part.capitalize() for part in resource_id.replace("-", " ").split()) + "Triage",
        "title": questionnaire.title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": (
            "The questions of the triage symptom check. Any question may be left unanswered: "
            "an unanswered question means 'not sure' and is treated as unknown, never as 'no'. "
            "Each linkId is a field of the triage case format."
        ),
        "item": groups,
    }


def _question_item(question: Question, skip: SkipLogic) -> dict[str, Any]:
    item: dict[str, Any] = {"linkId": question.id, "text": question.text, "required": False}
    if question.type == "yes_no":
        item["type"] = "boolean"
    elif question.type == "choice":
        item["type"] = "choice"
        system = terms.choice_system(question.id)
        item["answerOption"] = [{"valueCoding": {"system": system, "code": option.value, "display": option.label}}
                                for option in question.choices]
    else:
        item["type"] = "integer"
        item["extension"] = [{"url": terms.MIN_VALUE, "valueInteger": question.minimum},
                             {"url": terms.MAX_VALUE, "valueInteger": question.maximum}]
    logic_fields = skip.item_fields(question)
    item["extension"] = item.get("extension", []) + logic_fields.pop("extension", [])
    if not item["extension"]:
        del item["extension"]
    item.update(logic_fields)
    if question.help:
        item["item"] = [{
            "linkId": f"{question.id}.help", "type": "display", "text": question.help,
            "extension": [{"url": terms.ITEM_CONTROL, "valueCodeableConcept": {"coding": [
                {"system": terms.ITEM_CONTROL_SYSTEM, "code": "help", "display": "Help-Button"}]}}],
        }]
    return item


# --- QuestionnaireResponse -> answers ------------------------------------------------------------

class ResponseError(InputError):
    """A QuestionnaireResponse that cannot be assessed; ``located`` lists every problem."""

    def __init__(self, summary: str, located: list[Problem]):
        self.located = list(located)
        super().__init__(summary, [problem.message() for problem in located])


@dataclass(frozen=True)
class ParsedResponse:
    """What an assessment needs from a QuestionnaireResponse."""

    answers: dict[str, Any]
    response_id: Optional[str] = None
    subject: Optional[dict[str, Any]] = None
    authored: Optional[str] = None
    status: str = "completed"
    not_sure: tuple[str, ...] = field(default=())
    #: answers of questions not asked because earlier answers settle them (their ``hidden_answer``)
    inferred: dict[str, Any] = field(default_factory=dict)


def is_questionnaire_response(data: Any) -> bool:
    """Whether parsed JSON is a FHIR QuestionnaireResponse (by its ``resourceType``)."""
    return isinstance(data, dict) and data.get("resourceType") == "QuestionnaireResponse"


def answers_from_response(data: Any, questionnaire: Questionnaire, logic: Logic | None = None,
                          source: str = "QuestionnaireResponse") -> ParsedResponse:
    """The case answers of a QuestionnaireResponse to our Questionnaire; ``ResponseError`` lists every problem."""
    logic = logic or Logic(questionnaire)
    if not is_questionnaire_response(data):
        kind = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise ResponseError(f"{source}: not a QuestionnaireResponse",
                            [Problem("resourceType", f"expected 'QuestionnaireResponse', got {kind!r}")])
    problems = structure_problems(data)
    if problems:
        raise ResponseError(f"{source}: {len(problems)} problem(s) in this QuestionnaireResponse", problems)
    problems += _header_problems(data, questionnaire)
    given: dict[str, Any] = {}
    seen: dict[str, str] = {}  # linkId -> where its item is
    _collect(data.get("item") or [], "item", questionnaire, given, seen, problems)
    if not problems:
        problems += _disabled_answers(given, questionnaire, logic, seen)
    if problems:
        raise ResponseError(f"{source}: {len(problems)} problem(s) in this QuestionnaireResponse", problems)
    every = {question.id: given.get(question.id) for question in questionnaire.questions}
    shown = logic.shown(every)
    answers = logic.case_answers(every)
    Case.model_validate(answers)  # checked above already; a questionnaire out of step with the case format fails here
    return ParsedResponse(
        answers=answers, response_id=data.get("id"), subject=data.get("subject"),
        authored=data.get("authored"), status=data.get("status", "completed"),
        not_sure=tuple(q.id for q in questionnaire.questions if q.id in shown and q.id not in given),
        inferred={name: value for name, value in answers.items() if name not in shown},
    )


def _header_problems(data: dict[str, Any], questionnaire: Questionnaire) -> list[Problem]:
    problems = []
    status = data.get("status")
    if status == "entered-in-error":
        problems.append(Problem("status", "the response is marked entered-in-error and must not be used", "status"))
    elif status not in RESPONSE_STATUSES:
        problems.append(Problem("status", f"{status!r} is not one of {', '.join(RESPONSE_STATUSES)}", "status"))
    wanted = f"{terms.QUESTIONNAIRE_URL}|{questionnaire.version}"
    given = data.get("questionnaire")
    if not isinstance(given, str):
        problems.append(Problem("questionnaire", f"required: the canonical URL of the Questionnaire, {wanted}",
                                "questionnaire"))
    else:
        url, _, version = given.partition("|")
        if url != terms.QUESTIONNAIRE_URL:
            problems.append(Problem("questionnaire", f"answers another Questionnaire ({url}); expected {wanted}",
                                    "questionnaire"))
        elif version and version != questionnaire.version:
            problems.append(Problem("questionnaire", f"answers version {version} of the Questionnaire, but this "
                                    f"service asks version {questionnaire.version}", "questionnaire"))
    return problems


def _collect(items: list[Any], where: str, questionnaire: Questionnaire, given: dict[str, Any],
             seen: dict[str, str], problems: list[Problem]) -> None:
    """Walk response items (groups nest them): record each answer, check its type, note every problem."""
    sections = {section.id for section in questionnaire.sections}
    displays = {f"{s.id}.intro" for s in questionnaire.sections} | {f"{q.id}.help" for q in questionnaire.questions}
    for number, item in enumerate(items):
        location = f"{where}[{number}]"
        link_id = item.get("linkId")
        answers = item.get("answer") or []
        if link_id in sections or link_id in displays:
            if answers:
                problems.append(Problem(link_id, "a group or display item cannot be answered", location))
            _collect(item.get("item") or [], f"{location}.item", questionnaire, given, seen, problems)
            continue
        if link_id not in questionnaire.index:
            known = [*questionnaire.index, *sections]
            problems.append(Problem(link_id, f"not an item of this Questionnaire{suggest(str(link_id), known)}",
                                    location))
            continue
        question = questionnaire.question(link_id)
        if link_id in seen:
            problems.append(Problem(link_id, "answered twice (the item appears more than once)", location))
            continue
        for child_number, child in enumerate(item.get("item") or []):
            if not _is_help(child, link_id):
                problems.append(Problem(link_id, "a question item holds no other items",
                                        f"{location}.item[{child_number}]"))
        for answer_number, answer in enumerate(answers):  # R4 puts a question's children under its answer
            for child_number, child in enumerate(answer.get("item") or []):
                if not _is_help(child, link_id):
                    problems.append(Problem(link_id, "an answer holds no items but the question's help text",
                                            f"{location}.answer[{answer_number}].item[{child_number}]"))
        if len(answers) > 1:
            problems.append(Problem(link_id, f"one answer expected, got {len(answers)}", f"{location}.answer"))
            continue
        seen[link_id] = location
        if answers:
            value, problem = _answer_value(question, answers[0])
            if problem:
                problems.append(Problem(link_id, problem, f"{location}.answer[0]"))
            else:
                given[link_id] = value


def _is_help(child: Any, link_id: str) -> bool:
    """Whether a child item is the question's own help display item, unanswered (the only child it has)."""
    return isinstance(child, dict) and child.get("linkId") == f"{link_id}.help" and not child.get("answer") \
        and not child.get("item")


def _answer_value(question: Question, answer: dict[str, Any]) -> tuple[Any, Optional[str]]:
    """The case value of one answer, or why it does not fit the question."""
    kinds = [key for key in answer if key.startswith("value")]
    kind = kinds[0] if kinds else "no value"
    if question.type == "yes_no":
        value = answer.get("valueBoolean")
        if kind != "valueBoolean" or not isinstance(value, bool):
            return None, f"expected valueBoolean true or false (a yes/no question), got {_shown(kind, answer)}"
        return value, None
    if question.type == "choice":
        coding = answer.get("valueCoding")
        codes = [option.value for option in question.choices]
        if kind != "valueCoding" or not isinstance(coding, dict):
            return None, f"expected valueCoding with a code of {', '.join(codes)}, got {_shown(kind, answer)}"
        system, code = coding.get("system"), coding.get("code")
        if system is not None and system != terms.choice_system(question.id):
            return None, f"valueCoding.system {system!r} is not this question's ({terms.choice_system(question.id)})"
        if code not in codes:
            return None, f"valueCoding.code {code!r} is not one of {', '.join(codes)}{suggest(str(code), codes)}"
        return code, None
    value = answer.get("valueInteger")
    if kind != "valueInteger" or not isinstance(value, int) or isinstance(value, bool):
        return None, f"expected valueInteger (a whole number), got {_shown(kind, answer)}"
    low, high = question.minimum, question.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        return None, f"{value} is out of range: must be from {question.minimum} to {question.maximum}"
    return value, None


def _shown(kind: str, answer: dict[str, Any]) -> str:
    return kind if kind == "no value" else f"{kind} {answer[kind]!r}"


def _disabled_answers(given: dict[str, Any], questionnaire: Questionnaire, logic: Logic,
                      where: dict[str, str]) -> list[Problem]:
    """Answers to questions that the earlier answers leave disabled (enableWhen false)."""
    every = {question.id: given.get(question.id) for question in questionnaire.questions}
    shown = logic.shown(every)
    problems = []
    for question in questionnaire.questions:
        if question.id in given and question.id not in shown:
            gates = sorted(set(_gates(question)), key=questionnaire.index.__getitem__)
            state = ", ".join(f"{gate}: {_words(every.get(gate))}" for gate in gates)
            problems.append(Problem(question.id, f"not enabled given the earlier answers ({state}), so it must "
                                                 "not be answered", where.get(question.id)))
    return problems


def _gates(question: Question) -> list[str]:
    from triage.language.conditions import fields_read

    return fields_read(question.show_if) if question.show_if is not None else []


def _words(value: Any) -> str:
    if value is None:
        return "not answered"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# --- answers -> QuestionnaireResponse ------------------------------------------------------------

def response_from_answers(answers: dict[str, Any], questionnaire: Questionnaire, logic: Logic | None = None,
                          response_id: Optional[str] = None, subject: Optional[dict[str, Any]] = None,
                          authored: Optional[str] = None) -> tuple[dict[str, Any], list[str]]:
    """A completed QuestionnaireResponse carrying these case answers, and the answered fields it cannot carry.

    A question left unknown is an item without an answer ("not sure"), left out. An answer
    to a field no question asks, or to a question the earlier answers disable, cannot be
    carried: the response leaves it out and the field is listed.
    """
    logic = logic or Logic(questionnaire)
    every = {question.id: answers.get(question.id) for question in questionnaire.questions}
    shown = logic.shown(every)
    groups = []
    for section in questionnaire.sections:
        items = [{"linkId": q.id, "text": q.text, "answer": [_answer_element(q, answers[q.id])]}
                 for q in section.questions if q.id in shown and answers.get(q.id) is not None]
        if items:
            groups.append({"linkId": section.id, "text": section.title, "item": items})
    resource: dict[str, Any] = {"resourceType": "QuestionnaireResponse"}
    if response_id:
        resource["id"] = response_id
    resource.update(questionnaire=f"{terms.QUESTIONNAIRE_URL}|{questionnaire.version}", status="completed")
    if subject:
        resource["subject"] = subject
    if authored:
        resource["authored"] = authored
    if groups:
        resource["item"] = groups
    carried = {q.id for q in questionnaire.questions if q.id in shown}
    return resource, [name for name, value in answers.items() if value is not None and name not in carried]


def _answer_element(question: Question, value: Any) -> dict[str, Any]:
    if question.type == "yes_no":
        return {"valueBoolean": value}
    if question.type == "choice":
        labels = {option.value: option.label for option in question.choices}
        return {"valueCoding": {"system": terms.choice_system(question.id), "code": value, "display": labels[value]}}
    return {"valueInteger": value}


# --- the command line: triage assess RESPONSE.json, triage assess --format fhir ---------------------

def load_case_or_response(path: str) -> tuple[Case, Optional[ParsedResponse]]:
    """The case in a case file, or in a FHIR QuestionnaireResponse file (by ``resourceType``), and the response."""
    from triage.cases import case_from_text, read_case_text
    from triage.files import SyntaxProblem, parse_json
    from triage.interview.questionnaire import load_questionnaire

    text, source, suffix, default_id = read_case_text(path)
    if text.lstrip().startswith("{"):
        try:
            data = parse_json(text)
        except SyntaxProblem:
            data = None  # reported by the case reader below, with the same message
        if is_questionnaire_response(data):
            parsed = answers_from_response(data, load_questionnaire(), source=source)
            return Case.model_validate({"id": parsed.response_id or default_id, **parsed.answers}), parsed
    return case_from_text(text, source, suffix, default_id), None


def guidance_json(assessment: Any, labels: Mapping[Urgency, str], response: Optional[ParsedResponse] = None) -> str:
    """The assessment as GuidanceResponse JSON, as ``triage assess --format fhir`` prints it."""
    import json

    from .guidance import guidance_response

    return json.dumps(guidance_response(assessment, labels, response), indent=2, ensure_ascii=False)
