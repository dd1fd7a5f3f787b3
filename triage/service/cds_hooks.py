"""The CDS Hooks 2.0 service ``spine-triage`` on the ``patient-view`` hook: discovery, the call, feedback.

The call reads the patient's latest QuestionnaireResponse to our Questionnaire from the
prefetch (a searchset Bundle, or the resource itself, or null when the client has none);
without that prefetch key it fetches the same search from ``fhirServer`` with the bearer
token of ``fhirAuthorization``; with neither it answers 412, as the specification requires.
No response for the patient gives ``{"cards": []}``; otherwise one card (``cards.py``). When
JWT authentication is configured every call needs a valid bearer JWT (``auth.py``).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any, Literal, Optional

import httpx
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from triage.assess.assessor import Assessor
from triage.files import parse_json
from triage.interview.logic import Logic
from triage.interview.questionnaire import Questionnaire
from triage.language.rulebook import RuleBase

from .auth import AuthError
from .bodies import ClientError, read_json, validation_problems
from .cards import assessment_card, problem_card
from .fhir import Problem, ResponseError, answers_from_response
from .fhir_terms import QUESTIONNAIRE_URL
from .state import ServiceState, service

SERVICE_ID = "spine-triage"
PREFETCH_KEY = "questionnaireResponse"
PREFETCH = (f"QuestionnaireResponse?subject={{{{context.patientId}}}}&questionnaire={QUESTIONNAIRE_URL}"
            "&_sort=-authored&_count=1")
FEEDBACK = logging.getLogger("triage.feedback")


async def authenticated(request: Request) -> None:
    """When JWT authentication is configured: a valid bearer JWT whose aud is the URL called, else 401."""
    state = service(request)
    if state.verifier is None:
        return
    audience = state.config.base_url + request.url.path
    try:
        await state.verifier.verify(request.headers.get("authorization"), audience)
    except AuthError as exc:
        challenge = f'Bearer error="invalid_token", error_description="{exc}"'.replace("\n", " ")
        raise ClientError(401, str(exc), headers={"WWW-Authenticate": challenge}) from None


router = APIRouter(prefix="/cds-services", tags=["CDS Hooks"], dependencies=[Depends(authenticated)])


class FhirAuthorization(BaseModel):
    """The access token a CDS client lends the service for its FHIR server."""

    model_config = ConfigDict(extra="allow")

    access_token: str = Field(min_length=1)
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str
    patient: Optional[str] = None


class PatientViewContext(BaseModel):
    """The context of the ``patient-view`` hook."""

    model_config = ConfigDict(extra="allow")

    userId: Optional[str] = None
    patientId: str = Field(min_length=1)
    encounterId: Optional[str] = None


class HookRequest(BaseModel):
    """A CDS Hooks call to this service."""

    model_config = ConfigDict(extra="allow")

    hook: Literal["patient-view"]
    hookInstance: str
    fhirServer: Optional[str] = None
    fhirAuthorization: Optional[FhirAuthorization] = None
    context: PatientViewContext
    prefetch: Optional[dict[str, Any]] = None

    @field_validator("hookInstance")
    @classmethod
    def _uuid(cls, value: str) -> str:
        try:
            uuid.UUID(value)
        except ValueError:
            raise ValueError("must be a UUID") from None
        return value

    @field_validator("fhirServer")
    @classmethod
    def _url(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value

    @model_validator(mode="after")
    def _server_for_token(self) -> HookRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirAuthorization requires fhirServer")
        return self


class Feedback(BaseModel):
    """One piece of card feedback."""

    model_config = ConfigDict(extra="allow")

    card: str = Field(min_length=1)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: Optional[list[dict[str, Any]]] = None
    overrideReason: Optional[dict[str, Any]] = None
    outcomeTimestamp: str = Field(min_length=1)


class FeedbackRequest(BaseModel):
    """The body of a feedback call."""

    model_config = ConfigDict(extra="allow")

    feedback: list[Feedback] = Field(min_length=1)


@router.get("")
async def discovery(request: Request) -> dict[str, Any]:
    """CDS Hooks discovery: the one ``patient-view`` service and its prefetch template."""
    rulebase = service(request).engine.rulebase
    return {"services": [{
        "hook": "patient-view", "id": SERVICE_ID, "title": "Spine triage",
        "description": ("Urgency of back, neck and mid-back symptoms (emergency, urgent, soon, routine or self-care) "
                        "from the patient's latest answers to the spine triage questionnaire, with the criteria "
                        f"that fired and their sources (triage rules {rulebase.version})."),
        "prefetch": {PREFETCH_KEY: PREFETCH},
        "usageRequirements": "Needs the patient's QuestionnaireResponse to " + QUESTIONNAIRE_URL,
    }]}


@router.post(f"/{SERVICE_ID}")
async def call(request: Request) -> dict[str, Any]:
    """The ``patient-view`` call: one card for the latest QuestionnaireResponse, or no card without one."""
    state = service(request)
    hook = _validated(HookRequest, await read_json(request, state.config.max_body), "not a valid CDS Hooks request")
    prefetch = hook.prefetch or {}
    if PREFETCH_KEY in prefetch:
        found = prefetch[PREFETCH_KEY]
    elif hook.fhirServer is not None and hook.fhirAuthorization is not None:
        found = await _fetch(state, hook.fhirServer, hook.fhirAuthorization.access_token, hook.context.patientId)
    else:
        raise ClientError(412, f"no prefetch '{PREFETCH_KEY}' and no fhirServer with fhirAuthorization to fetch "
                               "the patient's QuestionnaireResponse from")
    latest = _latest_response(found)
    if latest is None:
        return {"cards": []}
    rulebase = state.engine.rulebase
    if not _is_patients(latest, hook.context.patientId):
        return {"cards": [problem_card("the latest QuestionnaireResponse is not this patient's",
                                       [Problem("subject", f"{latest.get('subject')} is not Patient/"
                                                           f"{hook.context.patientId}")], rulebase)]}
    card = await state.engine.run(_card, state.engine.assessor, rulebase, state.questionnaire, state.logic, latest)
    return {"cards": [card]}


def _card(assessor: Assessor, rulebase: RuleBase, questionnaire: Questionnaire, logic: Logic,
          data: dict[str, Any]) -> dict[str, Any]:
    """Assess a QuestionnaireResponse and make its card (on the engine thread)."""
    try:
        parsed = answers_from_response(data, questionnaire, logic)
    except ResponseError as exc:
        return problem_card("the saved answers do not fit the questionnaire", exc.located, rulebase)
    assessment = assessor.assess_answers(parsed.answers, parsed.response_id)
    return assessment_card(assessment, rulebase, questionnaire, parsed)


@router.post(f"/{SERVICE_ID}/feedback")
async def feedback(request: Request) -> dict[str, Any]:
    """Card feedback (accepted or overridden); recorded in the log by card, outcome and reason code only."""
    body = _validated(FeedbackRequest, await read_json(request, service(request).config.max_body),
                      "not valid CDS Hooks feedback")
    for item in body.feedback:
        reason = (item.overrideReason or {}).get("reason") or {}
        code = reason.get("code") if isinstance(reason, dict) else None
        FEEDBACK.info("feedback card=%s outcome=%s reason=%s", _token(item.card), item.outcome, _token(code or "-"))
    return {"received": len(body.feedback)}


def _token(text: Any) -> str:
    """A value for one log line: printable, no spaces, short."""
    value = "".join(c for c in str(text) if c.isprintable() and not c.isspace())
    return value[:64] or "-"


def _validated(model: type[BaseModel], data: Any, summary: str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problems(summary, exc, model) from None


async def _fetch(state: ServiceState, server: str, token: str, patient_id: str) -> Any:
    """The prefetch search, run against the client's FHIR server with its bearer token (412 when it fails)."""
    allowed = state.config.fhir_servers
    if allowed and not any(server.startswith(prefix) for prefix in allowed):
        raise ClientError(412, "this service is not allowed to fetch from that fhirServer")
    params = {"subject": patient_id, "questionnaire": QUESTIONNAIRE_URL, "_sort": "-authored", "_count": "1"}
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    limit = state.config.max_body
    try:
        async with state.http.stream("GET", server.rstrip("/") + "/QuestionnaireResponse", params=params,
                                     headers=headers) as response:
            if response.status_code != 200:
                raise ClientError(412, f"the FHIR server answered {response.status_code} to the search for the "
                                       "patient's QuestionnaireResponse")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    raise ClientError(412, f"the FHIR server's answer is over {limit} bytes")
    except httpx.HTTPError as exc:
        raise ClientError(412, f"the FHIR server could not be searched ({type(exc).__name__})") from None
    try:
        return parse_json(bytes(body).decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ClientError(412, "the FHIR server's answer is not JSON") from None


def _latest_response(found: Any) -> Optional[dict[str, Any]]:
    """The latest usable QuestionnaireResponse in a prefetch value (a Bundle, the resource, or null)."""
    if found is None:
        return None
    if not isinstance(found, dict):
        raise ClientError(422, f"prefetch '{PREFETCH_KEY}' is not a FHIR resource")
    kind = found.get("resourceType")
    if kind == "OperationOutcome":
        raise ClientError(412, "the CDS client could not prefetch the QuestionnaireResponse (OperationOutcome)")
    if kind == "QuestionnaireResponse":
        candidates = [found]
    elif kind == "Bundle":
        entries = [entry.get("resource") for entry in found.get("entry") or [] if isinstance(entry, dict)]
        candidates = [r for r in entries if isinstance(r, dict) and r.get("resourceType") == "QuestionnaireResponse"]
    else:
        raise ClientError(422, f"prefetch '{PREFETCH_KEY}' holds a {kind}, not a QuestionnaireResponse or Bundle")
    usable = [r for r in candidates if r.get("status") != "entered-in-error"]
    return max(usable, key=_authored, default=None)


def _authored(resource: dict[str, Any]) -> float:
    try:
        return datetime.fromisoformat(str(resource.get("authored")).replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError, OSError):
        return float("-inf")


def _is_patients(resource: dict[str, Any], patient_id: str) -> bool:
    """Whether a response's subject (if it names one) is the patient in view."""
    subject = resource.get("subject")
    reference = subject.get("reference") if isinstance(subject, dict) else None
    if reference is None:
        return True
    return reference == f"Patient/{patient_id}" or str(reference).endswith(f"/Patient/{patient_id}")
