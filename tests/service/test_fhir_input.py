"""Hostile QuestionnaireResponses against a real ``triage serve`` and ``triage assess``: refused, located, never a 500.

Found by review: modifier extensions were ignored (a negated "no" read as "no"), an unknown
contained resource was a 500 (exit 3 at the command line), a wrong JSON type was reported
as "Invalid JSON", an answer to a disabled item had no expression, and the help display
item under ``answer.item`` was refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from fhir.resources.R4B.operationoutcome import OperationOutcome

from triage.assess.render import answer_text
from triage.cli import cli
from triage.interview.logic import Logic
from triage.interview.questionnaire import load_questionnaire
from triage.service.cards import md
from triage.service.fhir import response_from_answers

from ..conftest import all_no_answers
from .conftest import Server

QUESTIONNAIRE = load_questionnaire()
LOGIC = Logic(QUESTIONNAIRE)
ASSESS = "/fhir/QuestionnaireResponse/$assess"
NEGATED = {"url": "http://example.org/negated", "valueBoolean": True}


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    """An HTTP client for the module's server."""
    with server.client() as http:
        yield http


def qr(**changes: Any) -> dict[str, Any]:
    """A complete all-no QuestionnaireResponse to Questionnaire/spine, with changes to the resource."""
    resource, _ = response_from_answers(all_no_answers(), QUESTIONNAIRE, LOGIC, response_id="qr-1")
    resource.update(changes)
    return resource


def _item(resource: dict[str, Any], link_id: str) -> dict[str, Any]:
    return next(item for group in resource["item"] for item in group["item"] if item["linkId"] == link_id)


def _issues(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 422, response.text
    OperationOutcome.model_validate(response.json())
    return response.json()["issue"]  # type: ignore[no-any-return]


def test_a_modifier_extension_on_an_answer_is_refused(client: httpx.Client) -> None:
    """An answer 'no' with a modifierExtension (say, negated) must not be read as 'no': 422 naming where."""
    resource = qr()
    _item(resource, "fever")["answer"][0]["modifierExtension"] = [NEGATED]
    (issue,) = _issues(client.post(ASSESS, json=resource))
    assert "field 'fever'" in issue["diagnostics"] and "http://example.org/negated" in issue["diagnostics"]
    assert issue["expression"][0].startswith("QuestionnaireResponse.item[") and \
        issue["expression"][0].endswith(".answer[0].modifierExtension")


@pytest.mark.parametrize("change", [{"modifierExtension": [NEGATED]}, {"implicitRules": "http://example.org/r"}],
                         ids=["modifierExtension", "implicitRules"])
def test_a_modifier_on_the_resource_is_refused(client: httpx.Client, change: dict[str, Any]) -> None:
    """modifierExtension or implicitRules on the resource: this service cannot know what they change, so 422."""
    (issue,) = _issues(client.post(ASSESS, json=qr(**change)))
    assert issue["expression"] == [f"QuestionnaireResponse.{next(iter(change))}"]


def test_an_unknown_contained_resource_is_a_located_problem(client: httpx.Client, tmp_path: Path) -> None:
    """contained [{"resourceType": "Nope"}]: 422 on $assess, and exit 1 with a located message at the command line."""
    resource = qr(contained=[{"resourceType": "Nope"}])
    (issue,) = _issues(client.post(ASSESS, json=resource))
    assert "'Nope' is not a FHIR R4 resource type" in issue["diagnostics"]
    assert issue["expression"] == ["QuestionnaireResponse.contained[0]"]
    file = tmp_path / "response.json"
    file.write_text(json.dumps(resource))
    result = CliRunner().invoke(cli, ["assess", str(file)])
    assert result.exit_code == 1, result.output
    assert "contained[0]: 'Nope' is not a FHIR R4 resource type" in result.output


def test_an_unknown_contained_resource_in_a_cds_prefetch_gives_a_warning_card(client: httpx.Client) -> None:
    """The same response prefetched for CDS Hooks gives the 'not assessed' card, not a 500."""
    from .test_cds_hooks import SERVICE, hook_request

    resource = qr(contained=[{"resourceType": "Nope"}], subject={"reference": "Patient/p1"})
    result = client.post(SERVICE, json=hook_request(prefetch={"questionnaireResponse": resource}))
    assert result.status_code == 200, result.text
    (card,) = result.json()["cards"]
    assert "not assessed" in card["summary"] and "Nope" in card["detail"]


@pytest.mark.parametrize(("change", "where", "given"), [
    ({"item": ["fever"]}, "item[0]", "a string"), ({"subject": "Patient/1"}, "subject", "a string")],
    ids=["item a string", "subject a string"])
def test_an_element_of_the_wrong_type_says_so(client: httpx.Client, change: dict[str, Any], where: str,
                                              given: str) -> None:
    """A body of valid JSON with an element of the wrong type: the issue names the element and the types."""
    (issue,) = _issues(client.post(ASSESS, json=qr(**change)))
    assert "Invalid JSON" not in issue["diagnostics"]
    assert issue["diagnostics"] == f"{where}: wrong type: expected an object, got {given}"


def test_an_answer_to_a_disabled_item_names_its_path(client: httpx.Client) -> None:
    """The OperationOutcome of an answer to a disabled item has the item's path as expression, as documented."""
    resource = qr()
    resource["item"][1]["item"].append({"linkId": "foot_drop", "answer": [{"valueBoolean": True}]})
    (issue,) = _issues(client.post(ASSESS, json=resource))
    position = len(resource["item"][1]["item"]) - 1
    assert issue["expression"] == [f"QuestionnaireResponse.item[1].item[{position}]"]


def test_the_help_item_under_an_answer_is_accepted(client: httpx.Client) -> None:
    """R4 puts a question's child items under its answer: the help display item there is accepted."""
    question = next(q for q in QUESTIONNAIRE.questions if q.help)
    resource, _ = response_from_answers(all_no_answers(), QUESTIONNAIRE, LOGIC)
    item = _item(resource, question.id)
    item["answer"][0]["item"] = [{"linkId": f"{question.id}.help", "text": question.help}]
    assert client.post(ASSESS, json=resource).status_code == 200
    item["answer"][0]["item"] = [{"linkId": "fever", "answer": [{"valueBoolean": True}]}]
    (issue,) = _issues(client.post(ASSESS, json=resource))
    assert "holds no items" in issue["diagnostics"]


def test_answers_taken_from_other_answers_are_disclosed(client: httpx.Client) -> None:
    """No weakness settles foot drop (no): the GuidanceResponse lists it as inferred, in a parameter and a note,
    and the CDS card says 'Taken from other answers'; the answers the response gave are not listed."""
    from .test_cds_hooks import SERVICE, hook_request

    resource = qr(subject={"reference": "Patient/p1"})
    assert "foot_drop" not in json.dumps(resource)
    guidance = client.post(ASSESS, json=resource).json()
    inferred = {part["part"][0]["valueString"]: part["part"][1]["valueBoolean"]
                for part in guidance["contained"][0]["parameter"] if part["name"] == "inferred"}
    assert inferred.get("foot_drop") is False and "fever" not in inferred
    (note,) = [n["text"] for n in guidance["note"] if n["text"].startswith("Taken from other answers")]
    foot_drop = answer_text("foot_drop", False)
    assert f"\n- {foot_drop}" in note
    (card,) = client.post(SERVICE, json=hook_request(prefetch={"questionnaireResponse": resource})).json()["cards"]
    assert "Taken from other answers" in card["detail"] and f"\n- {md(foot_drop)}" in card["detail"]
