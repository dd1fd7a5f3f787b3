"""Where the CDS service may fetch from: exact scheme, host and port, the path by segments; nowhere by default.

Found by review: ``--fhir-server`` was a string prefix (``/okevil``, ``/ok/../e401`` and
``https://fhir.example.org@evil.example/`` passed, and the token went with the request), and
without it the service fetched from anywhere.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest

from triage.service.config import ServiceConfig
from triage.service.fhir_servers import refusal

from .conftest import Server, free_port
from .test_cds_hooks import BY_LEVEL, SERVICE, FhirServer, _authorization, bundle, hook_request, response

BASE = "https://fhir.example.org/r4"
REFUSED = [
    "https://fhir.example.org/r4evil", "https://fhir.example.org/r4/../admin", "https://fhir.example.org/r4/%2e%2e/x",
    "https://fhir.example.org@evil.example/r4", "https://user:pw@fhir.example.org/r4",
    "https://fhir.example.org.evil.example/r4", "http://fhir.example.org/r4", "https://fhir.example.org:8443/r4",
    "https://fhir.example.org/R4", "https://fhir.example.org/r4?x=1", "https://fhir.example.org/", "ftp://x/r4",
    "https://fhir.example.org:99999/r4",
]
ALLOWED = ["https://fhir.example.org/r4", "https://fhir.example.org/r4/", "https://FHIR.example.org:443/r4/tenant/1"]


@pytest.mark.parametrize("url", REFUSED)
def test_a_url_only_like_an_allowed_base_is_refused(url: str) -> None:
    """Another path segment, dot segments, user information, another host, scheme or port, a query: refused."""
    assert refusal(url, [BASE], any_server=False)


@pytest.mark.parametrize("url", ALLOWED)
def test_the_allowed_base_and_paths_under_it_are_allowed(url: str) -> None:
    """The same scheme, host (any case) and port (default or written), and the base's segments first: allowed."""
    assert refusal(url, [BASE], any_server=False) is None


def test_without_an_allowed_base_nothing_is_fetched_unless_any_is_asked_for() -> None:
    """No --fhir-server: no fetching; --any-fhir-server: any http(s) URL, but never one with user information."""
    assert "started without --fhir-server" in str(refusal(BASE, [], any_server=False))
    assert refusal("http://10.0.0.1/fhir", [], any_server=True) is None
    assert refusal("https://a@b.example/", [], any_server=True)


def test_a_base_that_cannot_be_compared_is_a_usage_error() -> None:
    """--fhir-server with user information is refused at startup (exit 2), before anything listens."""
    command = [sys.executable, "-m", "triage", "serve", "--port", str(free_port()),
               "--fhir-server", "https://fhir.example.org@evil.example/"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)  # killed if it serves
    assert result.returncode == 2 and "user information" in result.stderr


def test_startup_warnings() -> None:
    """--any-fhir-server warns (more so without JWT); 0.0.0.0 with JWT and no --public-url warns of the audience."""
    (warning,) = ServiceConfig(any_fhir_server=True).warnings()
    assert "inside your network" in warning and "no --jwks" in warning
    jwt = {"jwks": ("keys.json",), "issuers": ("https://ehr.example/",)}
    (warning,) = ServiceConfig(host="0.0.0.0", **jwt).warnings()  # noqa: S104 - a setting, not a bind
    assert "--public-url" in warning and "http://0.0.0.0:8000" in warning
    assert ServiceConfig(host="0.0.0.0", public_url="https://triage.example", **jwt).warnings() == []  # noqa: S104
    assert ServiceConfig().warnings() == []


@pytest.fixture
def fhir() -> Iterator[FhirServer]:
    """A FHIR server holding an urgent response for p1 under any path, recording every request it gets."""
    server = FhirServer(lambda authorization, query: (200, bundle(response(BY_LEVEL["urgent"], response_id="f"))))
    try:
        yield server
    finally:
        server.close()


def test_a_real_service_fetches_only_from_the_allowed_base(server_factory: Callable[..., Server],
                                                           fhir: FhirServer) -> None:
    """--fhir-server URL/ok: /okevil, /ok/../e401 and a user@host URL get 412 and the FHIR server sees no request
    (no token leaves); /ok itself is fetched."""
    port = fhir.url.split(":")[2].split("/")[0]
    with server_factory("--fhir-server", f"{fhir.url}/ok").client() as http:
        for url in [f"{fhir.url}/okevil", f"{fhir.url}/ok/../e401", f"http://127.0.0.1:{port}@127.0.0.1:{port}/fhir/ok"]:
            result = http.post(SERVICE, json=hook_request(fhirServer=url, fhirAuthorization=_authorization()))
            assert result.status_code == 412, (url, result.text)
        assert fhir.requests == []
        result = http.post(SERVICE, json=hook_request(fhirServer=f"{fhir.url}/ok", fhirAuthorization=_authorization()))
        assert result.status_code == 200 and result.json()["cards"][0]["indicator"] == "warning"
        assert [r["path"] for r in fhir.requests] == ["/fhir/ok/QuestionnaireResponse"]


def test_by_default_a_real_service_fetches_from_nowhere_and_any_warns(server_factory: Callable[..., Server],
                                                                      server: Server, fhir: FhirServer) -> None:
    """Without --fhir-server a call without prefetch is 412 and nothing is fetched; --any-fhir-server warns."""
    with server.client() as http:
        result = http.post(SERVICE, json=hook_request(fhirServer=fhir.url, fhirAuthorization=_authorization()))
    assert result.status_code == 412 and "without --fhir-server" in result.json()["error"]
    assert fhir.requests == []
    assert "warning: --any-fhir-server" in server_factory("--any-fhir-server").log()
