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
from typing import Any, Literal, Optional

import httpx
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from triage.assess.assessor import Assessor
from triage.files import parse_json
from triage.interview.logic import Logic
from triage.interview.questionnaire import Questionnaire
from triage.language.rulebook import RuleBase
from triage.models import Assessment

from .auth import AuthError
from .bodies import ClientError, read_json, validation_problems
from .cards import assessment_card, problem_card
from .fhir import ParsedResponse, Problem, ResponseError, answers_from_response
from .fhir_servers import refusal
from .fhir_terms import QUESTIONNAIRE_URL
from .prefetch import Prefetched, choose, responses_in
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
        challenge = f'Bearer error="invalid_token", error_description="{_header_text(str(exc))}"'
        raise ClientError(401, str(exc), headers={"WWW-Authenticate": challenge}) from None


def _header_text(text: str) -> str:
    """Text safe inside a quoted header value: printable ASCII without quotes or backslashes (RFC 6750)."""
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in text)


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
    chosen = choose(responses_in(found, PREFETCH_KEY), hook.context.patientId)
    rulebase = state.engine.rulebase
    if not chosen.candidates:
        if chosen.other_patients:
            return {"cards": [problem_card("the QuestionnaireResponse is not this patient's",
                                           [_other_patient(chosen.other_patients)], rulebase)]}
        return {"cards": []}
    card = await state.engine.run(_card, state.engine.assessor, rulebase, state.questionnaire, state.logic, chosen)
    return {"cards": [card]}


def _other_patient(references: list[str]) -> Problem:
    """That responses answer a different patient, naming at most the reference (never a name or a display)."""
    shown = references[0] if len(references[0]) <= 80 else references[0][:79] + "…"
    more = f" and {len(references) - 1} more" if len(references) > 1 else ""
    return Problem("subject", f"answers a different patient ({shown}){more}")


def _card(assessor: Assessor, rulebase: RuleBase, questionnaire: Questionnaire, logic: Logic,
          chosen: Prefetched) -> dict[str, Any]:
    """Assess the candidates for the latest response and make the card of the most urgent (on the engine thread)."""
    assessed: list[tuple[Assessment, ParsedResponse]] = []
    failed: list[tuple[dict[str, Any], ResponseError]] = []
    for data in chosen.candidates:
        try:
            parsed = answers_from_response(data, questionnaire, logic)
        except ResponseError as exc:
            failed.append((data, exc))
            continue
        assessed.append((assessor.assess_answers(parsed.answers, parsed.response_id), parsed))
    notes = []
    if chosen.other_patients:
        notes.append(f"{len(chosen.other_patients)} prefetched response(s) answer a different patient and were "
                     "left out.")
    if not assessed:
        if chosen.certain:
            return problem_card("the saved answers do not fit the questionnaire", failed[0][1].located, rulebase)
        problems = [Problem(None, f"{_name(data)}: {problem.message()}") for data, exc in failed
                    for problem in exc.located]
        return problem_card("no response that could be the latest fits the questionnaire", problems, rulebase)
    assessment, parsed = max(assessed, key=lambda pair: (pair[0].urgency, pair[0].possible))
    if not chosen.certain:
        others = [f"{_name(p.response_id)} ({rulebase.meta.levels[a.urgency].label})" for a, p in assessed
                  if p is not parsed]
        notes.append("Which response is the latest cannot be told from their authored dates (missing, partial or "
                     f"overlapping): each of the {len(chosen.candidates)} that could be the latest was assessed and "
                     f"this card shows the most urgent, {_name(parsed.response_id)}"
                     + (f"; the others: {', '.join(others)}." if others else "."))
    notes += [f"{_name(data)}, which could be the latest, could not be assessed ({len(exc.located)} problem(s) "
              "in its answers)." for data, exc in failed]
    return assessment_card(assessment, rulebase, questionnaire, parsed, notes)


def _name(what: Any) -> str:
    """How a card names a response: by its id (from the resource or the id itself), or as one without an id."""
    response_id = what.get("id") if isinstance(what, dict) else what
    return f"QuestionnaireResponse/{response_id}" if isinstance(response_id, str) and response_id \
        else "a response without an id"


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
    if reason := refusal(server, state.config.fhir_servers, state.config.any_fhir_server):
        raise ClientError(412, reason)
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
