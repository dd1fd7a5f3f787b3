"""The FHIR endpoints: the Questionnaire, and ``$assess`` of a QuestionnaireResponse into a GuidanceResponse.

Errors on these endpoints are FHIR ``OperationOutcome`` resources (one issue per located problem).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response

from triage.assess.assessor import Assessor
from triage.interview.logic import Logic
from triage.interview.questionnaire import Questionnaire
from triage.models import Urgency

from .bodies import read_json, response_problems
from .fhir import ResponseError, answers_from_response
from .guidance import guidance_response
from .state import service

router = APIRouter(prefix="/fhir", tags=["FHIR"])
FHIR_JSON = "application/fhir+json"

_OUTCOME = {"content": {FHIR_JSON: {"schema": {"type": "object", "description": "a FHIR OperationOutcome"}}}}


@router.get("/Questionnaire/spine", responses={200: {"content": {FHIR_JSON: {}},
                                                     "description": "a FHIR R4 Questionnaire"}})
async def questionnaire(request: Request) -> Response:
    """The bundled questionnaire as a FHIR R4 Questionnaire (canonical url and version, skip logic as enableWhen)."""
    return Response(json.dumps(service(request).fhir_questionnaire), media_type=FHIR_JSON)


def assess_response(assessor: Assessor, questionnaire: Questionnaire, logic: Logic, labels: Mapping[Urgency, str],
                    data: Any) -> dict[str, Any]:
    """A QuestionnaireResponse to a GuidanceResponse (run on the engine thread)."""
    parsed = answers_from_response(data, questionnaire, logic, source="QuestionnaireResponse")
    assessment = assessor.assess_answers(parsed.answers, parsed.response_id)
    return guidance_response(assessment, labels, parsed)


@router.post("/QuestionnaireResponse/$assess", responses={
    200: {"content": {FHIR_JSON: {}}, "description": "a FHIR R4 GuidanceResponse"},
    400: {**_OUTCOME, "description": "Not valid JSON"},
    413: {**_OUTCOME, "description": "Body over the size limit"},
    422: {**_OUTCOME, "description": "Not a QuestionnaireResponse to this Questionnaire: every problem, located"},
}, openapi_extra={"requestBody": {"required": True, "content": {FHIR_JSON: {"schema": {
    "type": "object", "description": "a FHIR R4 QuestionnaireResponse to Questionnaire/spine"}}}}})
async def assess(request: Request) -> Response:
    """Assess a QuestionnaireResponse to ``Questionnaire/spine``; the result is a GuidanceResponse.

    Unanswered items are "not sure" (unknown). Unknown linkIds, answers of the wrong type and
    answers to items that the earlier answers disable are refused with every problem located.
    """
    state = service(request)
    data = await read_json(request, state.config.max_body)
    try:
        result = await state.engine.run(assess_response, state.engine.assessor, state.questionnaire, state.logic,
                                        state.labels, data)
    except ResponseError as exc:
        raise response_problems(exc) from None
    return Response(json.dumps(result), media_type=FHIR_JSON)
