"""Request bodies of the wrong kind against a real ``triage serve``: 415 on the JSON endpoints (found by review)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .conftest import Server
from .test_cds_hooks import BY_LEVEL, SERVICE, hook_request, response

ENDPOINTS = ["/v1/assess", "/fhir/QuestionnaireResponse/$assess", SERVICE, SERVICE + "/feedback"]


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    """An HTTP client for the module's server."""
    with server.client() as http:
        yield http


@pytest.mark.parametrize("media", ["text/plain", "application/xml", "application/x-www-form-urlencoded"])
@pytest.mark.parametrize("path", ENDPOINTS)
def test_a_body_declared_as_something_other_than_json_is_415(client: httpx.Client, path: str, media: str) -> None:
    """POST of a valid JSON body declared text/plain, XML or a form: 415, an OperationOutcome on the FHIR one."""
    result = client.post(path, content=b'{"age": 40}', headers={"Content-Type": media})
    assert result.status_code == 415, result.text
    if path.startswith("/fhir/"):
        assert result.json()["resourceType"] == "OperationOutcome"
        assert result.json()["issue"][0]["code"] == "not-supported"
    else:
        assert "Content-Type application/json" in result.json()["error"]


@pytest.mark.parametrize("media", ["application/json", "application/json; charset=utf-8", "application/fhir+json",
                                   None])
def test_json_types_and_an_undeclared_body_are_read(client: httpx.Client, media: str | None) -> None:
    """application/json (with a charset), application/fhir+json, or no Content-Type at all: read as JSON."""
    import json

    headers = {"Content-Type": media} if media else {}
    body = json.dumps(response(BY_LEVEL["urgent"])).encode()
    assert client.post("/fhir/QuestionnaireResponse/$assess", content=body, headers=headers).status_code == 200
    call = json.dumps(hook_request(prefetch={"questionnaireResponse": None})).encode()
    assert client.post(SERVICE, content=call, headers=headers).status_code == 200
