"""The CDS Hooks 2.0 service of a real ``triage serve``: discovery, prefetch, fetching from a FHIR server, cards."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from triage.assess.assessor import Assessor
from triage.interview.logic import Logic
from triage.interview.questionnaire import load_questionnaire
from triage.service.cards import INDICATOR
from triage.service.fhir import response_from_answers
from triage.service.fhir_terms import QUESTIONNAIRE_URL

from ..conftest import all_no_answers
from .conftest import Server
from .json_server import JsonServer

QUESTIONNAIRE = load_questionnaire()
LOGIC = Logic(QUESTIONNAIRE)
SERVICE = "/cds-services/spine-triage"
BY_LEVEL = {
    "emergency": all_no_answers(saddle_numbness=True, ces_symptoms_days=2),
    "urgent": all_no_answers(fever=True),
    "soon": all_no_answers(night_pain=True),
    "routine": all_no_answers(claudication=True),
    "self_care": all_no_answers(),
}


def response(answers: dict[str, Any], response_id: str = "qr-1", patient: str = "p1",
             authored: str = "2026-11-30T09:00:00Z") -> dict[str, Any]:
    """A QuestionnaireResponse of these answers for a patient."""
    resource, _ = response_from_answers(answers, QUESTIONNAIRE, LOGIC, response_id=response_id,
                                        subject={"reference": f"Patient/{patient}"}, authored=authored)
    return resource


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    """A searchset Bundle of these resources."""
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources]}


def hook_request(**changes: Any) -> dict[str, Any]:
    """A patient-view call for patient p1, with changes."""
    request = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
               "context": {"userId": "Practitioner/7", "patientId": "p1"}}
    request.update(changes)
    return {key: value for key, value in request.items() if value is not None}


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    """An HTTP client for the module's server."""
    with server.client() as http:
        yield http


def test_discovery_lists_the_service_and_its_prefetch(client: httpx.Client) -> None:
    """GET /cds-services: one patient-view service 'spine-triage' with the prefetch of the latest response."""
    services = client.get("/cds-services").json()["services"]
    assert len(services) == 1
    entry = services[0]
    assert entry["hook"] == "patient-view" and entry["id"] == "spine-triage" and entry["title"] and entry["description"]
    assert entry["prefetch"] == {"questionnaireResponse": "QuestionnaireResponse?subject={{context.patientId}}&"
                                 f"questionnaire={QUESTIONNAIRE_URL}&_sort=-authored&_count=1"}


@pytest.mark.parametrize("level", list(BY_LEVEL))
def test_one_card_per_call_with_the_level_as_indicator(client: httpx.Client, assessor: Assessor, level: str) -> None:
    """A prefetched Bundle gives one card: summary under 140 characters, indicator by level, Markdown detail with
    the reasons, the answers behind them and their sources, and the rule base as source."""
    answers = BY_LEVEL[level]
    expected = assessor.assess_answers(LOGIC.case_answers({q.id: answers.get(q.id) for q in QUESTIONNAIRE.questions}))
    assert expected.urgency == level
    body = client.post(SERVICE, json=hook_request(prefetch={"questionnaireResponse": bundle(response(answers))}))
    assert body.status_code == 200, body.text
    (card,) = body.json()["cards"]
    assert len(card["summary"]) < 140 and card["summary"].startswith("Spine triage: ")
    assert card["indicator"] == INDICATOR[level] == {"emergency": "critical", "urgent": "warning", "soon": "warning",
                                                     "routine": "info", "self_care": "info"}[level]
    assert card["source"]["label"] == f"triage rules {assessor.rulebase.version} ({assessor.rulebase.content_hash[:12]})"
    uuid.UUID(card["uuid"])
    for reason in expected.reasons:
        assert reason.criterion in card["detail"] and reason.source.split(";")[0] in card["detail"]
    if level == "emergency":
        assert "E1" in card["summary"] and ": yes" in card["detail"] and "QuestionnaireResponse/qr\\-1" not in \
            card["detail"] and "QuestionnaireResponse/qr-1" in card["detail"]


def test_the_card_lists_the_unanswered_questions_that_could_raise_it(client: httpx.Client) -> None:
    """An incomplete response says so in the summary and lists the unanswered questions by their text."""
    answers = {"age": 45, "region": "lumbar", "pain_score": 3}
    (card,) = client.post(SERVICE, json=hook_request(prefetch={"questionnaireResponse": response(answers)})).json()[
        "cards"]
    assert "answers incomplete" in card["summary"]
    assert "Unanswered questions that could change it" in card["detail"]
    assert QUESTIONNAIRE.question("saddle_numbness").text.split(",")[0] in card["detail"]


def test_the_latest_response_of_a_bundle_is_used(client: httpx.Client) -> None:
    """Of several responses in the prefetch, the one authored last is assessed."""
    old = response(BY_LEVEL["emergency"], response_id="old", authored="2025-01-01T00:00:00Z")
    new = response(BY_LEVEL["self_care"], response_id="new", authored="2026-11-30T09:00:00+01:00")
    (card,) = client.post(SERVICE, json=hook_request(prefetch={"questionnaireResponse": bundle(old, new)})).json()[
        "cards"]
    assert card["indicator"] == "info" and "QuestionnaireResponse/new" in card["detail"]


@pytest.mark.parametrize("prefetched", [None, bundle()], ids=["null", "empty bundle"])
def test_no_response_for_the_patient_gives_no_card(client: httpx.Client, prefetched: Any) -> None:
    """Prefetch null (the client has no data) or an empty search gives {"cards": []}."""
    result = client.post(SERVICE, json=hook_request(prefetch={"questionnaireResponse": prefetched}))
    assert result.status_code == 200 and result.json() == {"cards": []}


def test_without_prefetch_or_fhir_server_it_is_412(client: httpx.Client) -> None:
    """No prefetch and no fhirServer to fetch from: 412 Precondition Failed, as the specification says."""
    result = client.post(SERVICE, json=hook_request())
    assert result.status_code == 412 and "fhirServer" in result.json()["error"]


class FhirServer(JsonServer):
    """A small FHIR server on a thread: answers the QuestionnaireResponse search, records each request."""

    def __init__(self, answer: Callable[[str, dict[str, list[str]]], tuple[int, Any]]):
        self.requests: list[dict[str, Any]] = []

        def record(path: str, query: dict[str, list[str]], headers: dict[str, str]) -> tuple[int, Any]:
            self.requests.append({"path": path, "query": query, "authorization": headers.get("Authorization")})
            return answer(headers.get("Authorization", ""), query)

        super().__init__(record, "/fhir", "application/fhir+json")


@pytest.fixture
def fhir_server() -> Iterator[FhirServer]:
    """A FHIR server that holds an urgent response for p1 and wants the bearer token 'secret-token'."""
    def answer(authorization: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if authorization != "Bearer secret-token":
            return 401, {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "login"}]}
        found = [response(BY_LEVEL["urgent"], response_id="fetched")] if query.get("subject") == ["p1"] else []
        return 200, bundle(*found)

    server = FhirServer(answer)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def fetching(server_factory: Callable[..., Server]) -> Iterator[httpx.Client]:
    """A client of a server that may fetch from any fhirServer (it fetches from none by default)."""
    with server_factory("--any-fhir-server").client() as http:
        yield http


def _authorization(token: str = "secret-token") -> dict[str, Any]:  # noqa: S107 - a test token
    return {"access_token": token, "token_type": "Bearer", "expires_in": 300,
            "scope": "user/QuestionnaireResponse.read", "subject": "triage"}


def test_without_prefetch_it_fetches_from_the_fhir_server_with_the_token(fetching: httpx.Client,
                                                                          fhir_server: FhirServer) -> None:
    """No prefetch key: the service runs the prefetch search on fhirServer with the bearer token it was lent."""
    result = fetching.post(SERVICE, json=hook_request(fhirServer=fhir_server.url, fhirAuthorization=_authorization()))
    assert result.status_code == 200, result.text
    (card,) = result.json()["cards"]
    assert card["indicator"] == "warning" and "QuestionnaireResponse/fetched" in card["detail"]
    (seen,) = fhir_server.requests
    assert seen["path"] == "/fhir/QuestionnaireResponse" and seen["authorization"] == "Bearer secret-token"
    assert seen["query"] == {"subject": ["p1"], "questionnaire": [QUESTIONNAIRE_URL], "_sort": ["-authored"],
                             "_count": ["1"]}


def test_a_fhir_server_that_refuses_or_is_not_there_is_412(fetching: httpx.Client, fhir_server: FhirServer) -> None:
    """A refused search (401 from the FHIR server) or an unreachable server gives 412, naming no token."""
    refused = fetching.post(SERVICE, json=hook_request(fhirServer=fhir_server.url,
                                                     fhirAuthorization=_authorization("wrong")))
    assert refused.status_code == 412 and "401" in refused.json()["error"] and "wrong" not in refused.text
    gone = fetching.post(SERVICE, json=hook_request(fhirServer="http://127.0.0.1:9/fhir",
                                                  fhirAuthorization=_authorization()))
    assert gone.status_code == 412 and "could not be searched" in gone.json()["error"]


def test_a_patient_without_a_response_on_the_server_gives_no_card(fetching: httpx.Client,
                                                                   fhir_server: FhirServer) -> None:
    """The FHIR server finds nothing for the patient: {"cards": []}."""
    request = hook_request(fhirServer=fhir_server.url, fhirAuthorization=_authorization(),
                           context={"userId": "Practitioner/7", "patientId": "nobody"})
    assert fetching.post(SERVICE, json=request).json() == {"cards": []}


INVALID = {
    "hookInstance not a UUID": (hook_request(hookInstance="not-a-uuid"), "hookInstance", "must be a UUID"),
    "token without server": (hook_request(fhirAuthorization=_authorization()), None,
                             "fhirAuthorization requires fhirServer"),
    "another hook": (hook_request(hook="order-sign"), "hook", "'order-sign' is not one of 'patient-view'"),
    "no patient": (hook_request(context={"userId": "Practitioner/7"}), "context.patientId", "required"),
}


@pytest.mark.parametrize(("body", "field", "reason"), INVALID.values(), ids=list(INVALID))
def test_an_invalid_request_is_422_with_located_problems(client: httpx.Client, body: dict[str, Any],
                                                         field: str | None, reason: str) -> None:
    """The request is validated: each problem names its field and reason."""
    result = client.post(SERVICE, json=body)
    assert result.status_code == 422
    assert any(p["field"] == field and reason in p["reason"] for p in result.json()["problems"]), result.text


def test_malformed_json_is_400(client: httpx.Client) -> None:
    """A body that is not JSON is 400."""
    assert client.post(SERVICE, content=b"{hook").status_code == 400


def test_saved_answers_that_do_not_fit_or_belong_to_someone_else_give_a_warning_card(client: httpx.Client) -> None:
    """A response with an unknown linkId, or for another patient, is not assessed: a warning card says why."""
    broken = response(BY_LEVEL["self_care"])
    broken["item"][0]["item"].append({"linkId": "favourite_colour", "answer": [{"valueString": "blue"}]})
    (card,) = client.post(SERVICE, json=hook_request(prefetch={"questionnaireResponse": broken})).json()["cards"]
    assert card["indicator"] == "warning" and "not assessed" in card["summary"] and "favourite\\_colour" in card["detail"]
    other = response(BY_LEVEL["self_care"], patient="p2")
    (card,) = client.post(SERVICE, json=hook_request(prefetch={"questionnaireResponse": other})).json()["cards"]
    assert card["indicator"] == "warning" and "not this patient's" in card["summary"]


def test_feedback_is_accepted_and_logged_without_comments(client: httpx.Client, server: Server) -> None:
    """POST .../feedback takes card feedback; the log keeps card, outcome and reason code, never the comment."""
    card = str(uuid.uuid4())
    body = {"feedback": [{"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-30T10:00:00Z",
                          "overrideReason": {"reason": {"code": "not-relevant", "system": "http://x"},
                                             "userComment": "patient told me about her bladder"}}]}
    result = client.post(SERVICE + "/feedback", json=body)
    assert result.status_code == 200 and result.json() == {"received": 1}
    bad = client.post(SERVICE + "/feedback", json={"feedback": [{"card": card, "outcome": "liked"}]})
    assert bad.status_code == 422
    log = server.log()
    assert f"feedback card={card} outcome=overridden reason=not-relevant" in log and "bladder" not in log


def test_cors_allows_the_configured_origins_only(server_factory: Callable[..., Server]) -> None:
    """--cors-origin lets that browser origin call the service (preflight included); other origins get no grant."""
    sandbox = "https://sandbox.cds-hooks.org"
    with server_factory("--cors-origin", sandbox).client() as http:
        preflight = http.options(SERVICE, headers={"Origin": sandbox, "Access-Control-Request-Method": "POST",
                                                   "Access-Control-Request-Headers": "authorization,content-type"})
        assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == sandbox
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        discovery = http.get("/cds-services", headers={"Origin": sandbox})
        assert discovery.headers["access-control-allow-origin"] == sandbox
        other = http.get("/cds-services", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
