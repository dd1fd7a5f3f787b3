"""A small evaluator of FHIR skip logic for the tests: R4 enableWhen written here, FHIRPath by fhirpathpy.

It reads only the exported Questionnaire JSON and a QuestionnaireResponse JSON, never our
questionnaire model, so that comparing it with ``Logic.is_shown`` tests the translation.
"""

from __future__ import annotations

import functools
import operator as operator_module
from collections.abc import Callable, Iterator
from typing import Any, Optional

from fhirpathpy import compile as compile_fhirpath
from fhirpathpy.models import models

ENABLE_WHEN_EXPRESSION = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-enableWhenExpression"


def question_items(questionnaire: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every item that is not a group or display item, in document order."""
    for item in questionnaire.get("item", []):
        if item.get("type") not in ("group", "display"):
            yield item
        yield from question_items(item)


def answers_of(response: dict[str, Any], link_id: str) -> list[Any]:
    """The answer values (value[x]) of an item anywhere in a response."""
    found = []
    stack = list(response.get("item", []))
    while stack:
        item = stack.pop()
        stack += item.get("item", [])
        if item.get("linkId") == link_id:
            for answer in item.get("answer", []):
                found += [value for key, value in answer.items() if key.startswith("value")]
    return found


def _equal(answer: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict):  # Coding: same code, and the same system when both have one
        return isinstance(answer, dict) and answer.get("code") == wanted.get("code") and (
            "system" not in wanted or "system" not in answer or answer["system"] == wanted["system"])
    return type(answer) is type(wanted) and answer == wanted


def enable_when_holds(condition: dict[str, Any], response: dict[str, Any]) -> bool:
    """One enableWhen, as FHIR R4 defines its operators."""
    answers = answers_of(response, condition["question"])
    wanted = next(value for key, value in condition.items() if key.startswith("answer"))
    operator = condition["operator"]
    if operator == "exists":
        return bool(answers) is wanted
    if operator == "=":
        return any(_equal(answer, wanted) for answer in answers)
    if operator == "!=":  # R4: true if no answer has a value equal to the enableWhen answer
        return not any(_equal(answer, wanted) for answer in answers)
    compare: Callable[[Any, Any], bool] = {"<": operator_module.lt, "<=": operator_module.le,
                                           ">": operator_module.gt, ">=": operator_module.ge}[operator]
    return any(compare(answer, wanted) for answer in answers)


def expression_of(item: dict[str, Any]) -> Optional[str]:
    """The item's SDC enableWhenExpression, if it has one."""
    for extension in item.get("extension", []):
        if extension.get("url") == ENABLE_WHEN_EXPRESSION:
            return str(extension["valueExpression"]["expression"])
    return None


@functools.cache
def _compiled(expression: str) -> Callable[..., list[Any]]:
    compile_untyped: Callable[..., Callable[..., list[Any]]] = compile_fhirpath  # fhirpathpy has no annotations
    return compile_untyped(expression, models["r4"])


def fhirpath_holds(expression: str, response: dict[str, Any]) -> bool:
    """A FHIRPath expression over the response (``%resource``), by fhirpathpy with the R4 model."""
    result = _compiled(expression)(response, {"resource": response})
    if result not in ([True], [False]):
        raise AssertionError(f"{expression!r} gave {result!r}, not one boolean")
    return result == [True]


def is_enabled(item: dict[str, Any], response: dict[str, Any]) -> bool:
    """Whether a Questionnaire item is enabled for this response (enableWhen, else the SDC expression)."""
    if "enableWhen" in item:
        results = [enable_when_holds(condition, response) for condition in item["enableWhen"]]
        if len(results) > 1 and item.get("enableBehavior") not in ("any", "all"):
            raise AssertionError(f"{item['linkId']}: several enableWhen without enableBehavior")
        return any(results) if item.get("enableBehavior") == "any" else all(results)
    expression = expression_of(item)
    return True if expression is None else fhirpath_holds(expression, response)


def response_of(questionnaire: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """A QuestionnaireResponse with these answers (``None``: left unanswered), encoded as the Questionnaire says."""
    items = []
    for item in question_items(questionnaire):
        value = answers.get(item["linkId"])
        if value is None:
            continue
        if item["type"] == "boolean":
            answer = {"valueBoolean": value}
        elif item["type"] == "integer":
            answer = {"valueInteger": value}
        else:
            answer = {"valueCoding": next(option["valueCoding"] for option in item["answerOption"]
                                          if option["valueCoding"]["code"] == value)}
        items.append({"linkId": item["linkId"], "answer": [answer]})
    return {"resourceType": "QuestionnaireResponse", "status": "completed",
            "questionnaire": f"{questionnaire['url']}|{questionnaire['version']}", "item": items}
