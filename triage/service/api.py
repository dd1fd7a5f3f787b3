"""The project's own HTTP API: ``/health`` and ``/v1`` (assess one case, score many, the questionnaire).

``POST /v1/assess`` answers exactly the JSON of ``triage assess --format json``; a case that
``triage assess`` refuses is a 422 with the same problems, each split into field and reason.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from triage.assess.assessor import Assessor
from triage.cases import case_from_data
from triage.errors import CaseError
from triage.models import Assessment, Case

from .bodies import ErrorModel, case_problems, declared_length, read_json, too_large
from .score_stream import ScoreStream
from .state import service

router = APIRouter()
SOURCE = "request body"


class Health(BaseModel):
    """The answer of ``GET /health``."""

    status: str
    rules_version: str
    rules_hash: str


def _json_body(model: type[BaseModel], media_type: str = "application/json") -> dict[str, Any]:
    """The OpenAPI request body of an endpoint that reads its body itself (to enforce the size limit)."""
    schema = model.model_json_schema()
    schema.pop("$defs", None)
    return {"requestBody": {"required": True, "content": {media_type: {"schema": schema}}}}


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorModel, "description": "Not valid JSON"},
    413: {"model": ErrorModel, "description": "Body over the size limit"},
    422: {"model": ErrorModel, "description": "A case that triage assess refuses: every problem, located"},
}


@router.get("/health", response_model=Health, tags=["service"])
async def health(request: Request) -> Health:
    """Whether the service runs, and with which rule base."""
    rulebase = service(request).engine.rulebase
    return Health(status="ok", rules_version=rulebase.version, rules_hash=rulebase.content_hash)


def assess_json(assessor: Assessor, data: Any) -> str:
    """Validate one case and assess it, as ``triage assess --format json`` (run on the engine thread)."""
    case = case_from_data(data, SOURCE)
    return assessor.assess(case).model_dump_json()


@router.post("/v1/assess", tags=["assessment"], response_model=Assessment, responses=_ERRORS,
             openapi_extra=_json_body(Case))
async def assess(request: Request) -> Response:
    """Assess one case (the JSON of the case format) and return the assessment JSON of ``triage assess``."""
    state = service(request)
    data = await read_json(request, state.config.max_body)
    try:
        body = await state.engine.run(assess_json, state.engine.assessor, data)
    except CaseError as exc:
        raise case_problems(exc) from None
    return Response(body, media_type="application/json")


@router.post("/v1/score", tags=["assessment"], responses={
    200: {"content": {"application/x-ndjson": {}},
          "description": "One line per case, in order: the assessment JSON plus source, or an error line"},
    400: {"model": ErrorModel, "description": "An empty body"},
    413: {"model": ErrorModel, "description": "Content-Length over the limit"},
}, openapi_extra={"requestBody": {"required": True, "content": {"application/x-ndjson": {
    "schema": {"type": "string", "description": "one case (JSON) per line"}}}}})
async def score(request: Request) -> Response:
    """Score JSON Lines (one case per line), streamed in and out: one line per case, in order, as ``triage score``.

    A line that cannot be read becomes an error line (``case_id``, ``source``, ``error``);
    the others are still scored. A line over the body limit is an error line; a body over
    the score limit ends with an error line (or is refused with 413 when its length is declared).
    """
    state = service(request)
    length = declared_length(request)
    if length is not None and length > state.config.max_score_body:
        raise too_large(state.config.max_score_body)
    return ScoreStream(state.engine, max_line=state.config.max_body, max_body=state.config.max_score_body)


@router.get("/v1/questionnaire", tags=["questionnaire"])
async def questionnaire(request: Request) -> dict[str, Any]:
    """The bundled questionnaire in the project's own JSON (sections, questions, skip logic)."""
    return service(request).questionnaire_json
