"""Reading request bodies within a size limit, and every client error as one JSON shape.

A client error is ``{"error": summary, "problems": [{"field": ..., "reason": ..., "location": ...}]}``
(``location`` only where it helps); FHIR endpoints answer the same as an OperationOutcome.
The limit is enforced while the body arrives: a body is never read past it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Optional

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from triage.errors import CaseError
from triage.files import SyntaxProblem, decode, parse_json
from triage.validation import format_location, located_messages

from .fhir import Problem, ResponseError

_FIELD_PROBLEM = re.compile(r"^field '(?P<field>[^']*)': (?P<reason>.*)$", re.DOTALL)


class ProblemModel(BaseModel):
    """One located problem (for the OpenAPI page)."""

    field: Optional[str]
    reason: str
    location: Optional[str] = None


class ErrorModel(BaseModel):
    """A client error: what went wrong, and every problem located (for the OpenAPI page)."""

    error: str
    problems: list[ProblemModel]


class ClientError(Exception):
    """A request the service refuses: an HTTP status, a summary and the located problems."""

    def __init__(self, status: int, summary: str, problems: Iterable[Problem] = (),
                 headers: Optional[dict[str, str]] = None):
        super().__init__(summary)
        self.status = status
        self.summary = summary
        self.problems = list(problems)
        self.headers = headers or {}


def too_large(limit: int) -> ClientError:
    """413 for a body over ``limit`` bytes; the connection is closed so that the client stops sending."""
    return ClientError(413, f"the request body is over the limit of {limit} bytes", headers={"Connection": "close"})


def declared_length(request: Request) -> Optional[int]:
    """The Content-Length the client declared, if it is a number."""
    value = request.headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to be over ``limit`` bytes."""
    length = declared_length(request)
    if length is not None and length > limit:
        raise too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)


def parse_body(raw: bytes) -> Any:
    """The JSON of a body; 400 when it is empty, not UTF-8 text or not valid JSON."""
    if not raw.strip():
        raise ClientError(400, "the request body is empty: send JSON")
    try:
        return parse_json(decode(raw))
    except SyntaxProblem as exc:
        raise ClientError(400, "the request body is not valid JSON", [Problem(None, str(exc))]) from None


def check_json_type(request: Request) -> None:
    """415 unless the body is declared JSON (``application/json`` or any ``+json`` type) or not declared at all."""
    declared = request.headers.get("content-type")
    media = (declared or "").partition(";")[0].strip().lower()
    if media and media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        raise ClientError(415, "the request body must be JSON: send Content-Type application/json "
                               "(or application/fhir+json)")


async def read_json(request: Request, limit: int) -> Any:
    """``check_json_type``, ``read_body``, then ``parse_body``."""
    check_json_type(request)
    return parse_body(await read_body(request, limit))


def case_problems(exc: CaseError) -> ClientError:
    """422 with the problems of a case, as ``triage assess`` prints them, split into field and reason."""
    problems = []
    for text in exc.problems:
        match = _FIELD_PROBLEM.match(text)
        problems.append(Problem(match["field"], match["reason"]) if match else Problem(None, text))
    return ClientError(422, exc.summary, problems)


def response_problems(exc: ResponseError) -> ClientError:
    """422 with the located problems of a QuestionnaireResponse."""
    return ClientError(422, exc.summary, exc.located)


def validation_problems(summary: str, exc: ValidationError, model: type[BaseModel]) -> ClientError:
    """422 with the problems pydantic found in a request body."""
    located = located_messages(exc, model.model_fields)
    problems = [Problem(format_location(loc) or None, reason) for loc, reason in located]
    return ClientError(422, summary, problems)


def error_response(exc: ClientError, fhir: bool = False) -> JSONResponse:
    """The response for a client error: our JSON, or an OperationOutcome for FHIR endpoints."""
    if fhir:
        issues = [_issue(exc.status, exc.summary, None)] if not exc.problems else \
            [_issue(exc.status, problem.message(), problem.location) for problem in exc.problems]
        body: dict[str, Any] = {"resourceType": "OperationOutcome", "issue": issues}
        return JSONResponse(body, exc.status, headers=exc.headers, media_type="application/fhir+json")
    problems = []
    for problem in exc.problems:
        entry: dict[str, Any] = {"field": problem.field, "reason": problem.reason}
        if problem.location:
            entry["location"] = problem.location
        problems.append(entry)
    return JSONResponse({"error": exc.summary, "problems": problems}, exc.status, headers=exc.headers)


def _issue(status: int, text: str, location: Optional[str]) -> dict[str, Any]:
    code = {400: "structure", 413: "too-costly", 401: "login", 415: "not-supported"}.get(status, "invalid")
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": text}
    if location:
        issue["expression"] = [f"QuestionnaireResponse.{location}"]
    return issue
