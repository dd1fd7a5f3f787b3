"""JWT authentication of CDS clients (CDS Hooks 2.0 "Trusting CDS Clients") on a real ``triage serve``.

The client's keys are generated here; the service gets their JWK Set as a file, or from a URL.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .conftest import Server, free_port
from .json_server import JsonServer

ISSUER = "https://ehr.example.org/"
EC_KEY = ec.generate_private_key(ec.SECP384R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = ec.generate_private_key(ec.SECP384R1())


def jwk(private: Any, kid: str, alg: str) -> dict[str, Any]:
    """The public JWK of a key."""
    algorithm = jwt.algorithms.ECAlgorithm if isinstance(private, ec.EllipticCurvePrivateKey) \
        else jwt.algorithms.RSAAlgorithm
    data: dict[str, Any] = algorithm.to_jwk(private.public_key(), as_dict=True)
    return {**data, "kid": kid, "alg": alg, "use": "sig"}


def token(audience: str, key: Any = EC_KEY, kid: str = "ec-1", alg: str = "ES384",
          header: dict[str, Any] | None = None, drop: tuple[str, ...] = (), **claims: Any) -> str:
    """A CDS client's JWT for a call to ``audience``."""
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": audience, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4()), **claims}
    payload = {k: v for k, v in payload.items() if k not in drop}
    return jwt.encode(payload, key, algorithm=alg, headers={"kid": kid, "typ": "JWT", **(header or {})})


@pytest.fixture(scope="module")
def secured(server_factory: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    """A server that trusts the EC key from a JWK Set file, for one issuer."""
    jwks = tmp_path_factory.mktemp("keys") / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk(EC_KEY, "ec-1", "ES384")]}))
    port = free_port()
    return server_factory("--jwks", str(jwks), "--issuer", ISSUER, "--public-url", f"http://127.0.0.1:{port}/",
                          port=port)


@pytest.fixture(scope="module")
def client(secured: Server) -> Iterator[httpx.Client]:
    """An HTTP client for the secured server."""
    with secured.client() as http:
        yield http


CALL = {"hook": "patient-view", "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"patientId": "p1"}, "prefetch": {"questionnaireResponse": None}}


def bearer(value: str) -> dict[str, str]:
    """The Authorization header for a JWT."""
    return {"Authorization": f"Bearer {value}"}


def test_a_valid_jwt_opens_every_cds_hooks_endpoint(client: httpx.Client, secured: Server) -> None:
    """Discovery, the service and feedback each accept a JWT whose aud is the URL of that endpoint."""
    base = secured.url
    assert client.get("/cds-services", headers=bearer(token(f"{base}/cds-services"))).status_code == 200
    service = f"{base}/cds-services/spine-triage"
    answer = client.post("/cds-services/spine-triage", json=CALL, headers=bearer(token(service)))
    assert answer.status_code == 200 and answer.json() == {"cards": []}
    feedback = {"feedback": [{"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": "2026-01-01T00:00:00Z"}]}
    assert client.post("/cds-services/spine-triage/feedback", json=feedback,
                       headers=bearer(token(service + "/feedback", aud=[service + "/feedback"]))).status_code == 200


def test_the_rest_of_the_service_needs_no_jwt(client: httpx.Client) -> None:
    """/health, /v1 and /fhir are not CDS Hooks calls: no JWT needed."""
    assert client.get("/health").status_code == 200
    assert client.post("/v1/assess", json={"age": 30}).status_code == 200
    assert client.get("/fhir/Questionnaire/spine").status_code == 200


def _refused(client: httpx.Client, path: str, headers: dict[str, str], reason: str) -> None:
    response = client.post(path, json=CALL, headers=headers) if path.endswith("triage") else \
        client.get(path, headers=headers)
    assert response.status_code == 401, response.text
    assert reason in response.json()["error"], response.json()
    assert response.headers["www-authenticate"].startswith("Bearer")


BAD_TOKENS: dict[str, tuple[Callable[[str], dict[str, str]], str]] = {
    "no header": (lambda aud: {}, "Authorization: Bearer JWT is required"),
    "not a JWT": (lambda aud: bearer("abc.def"), "not a JWT"),
    "other key, same kid": (lambda aud: bearer(token(aud, key=OTHER_KEY)), "not valid: InvalidSignatureError"),
    "unknown kid": (lambda aud: bearer(token(aud, kid="nope")), "no trusted key has the JWT's kid"),
    "wrong issuer": (lambda aud: bearer(token(aud, iss="https://evil.example/")), "not an allowed issuer"),
    "wrong audience": (lambda aud: bearer(token(aud + "/other")), "aud is not this endpoint"),
    "expired": (lambda aud: bearer(token(aud, exp=int(time.time()) - 120)), "expired"),
    "expires too late": (lambda aud: bearer(token(aud, exp=int(time.time()) + 86400)), "expires more than"),
    "no jti": (lambda aud: bearer(token(aud, drop=("jti",))), "lacks the jti claim"),
    "no iat": (lambda aud: bearer(token(aud, drop=("iat",))), "lacks the iat claim"),
    "untrusted jku": (lambda aud: bearer(token(aud, header={"jku": "https://evil.example/jwks"})), "jku"),
    "wrong typ": (lambda aud: bearer(token(aud, header={"typ": "at+jwt"})), "typ 'JWT'"),
    "alg none": (lambda aud: bearer(jwt.encode({"iss": ISSUER, "aud": aud}, "", algorithm="none",
                                               headers={"kid": "ec-1"})), "'none' is not accepted"),
    "HMAC": (lambda aud: bearer(jwt.encode({"iss": ISSUER, "aud": aud}, "a shared secret of enough length....",
                                           algorithm="HS256", headers={"kid": "ec-1"})), "'HS256' is not accepted"),
}


@pytest.mark.parametrize(("make", "reason"), BAD_TOKENS.values(), ids=list(BAD_TOKENS))
def test_an_invalid_jwt_is_401(client: httpx.Client, secured: Server, make: Callable[[str], dict[str, str]],
                               reason: str) -> None:
    """Every way a JWT can fail the CDS Hooks rules gives 401 with the reason."""
    _refused(client, "/cds-services/spine-triage", make(f"{secured.url}/cds-services/spine-triage"), reason)
    _refused(client, "/cds-services", make(f"{secured.url}/cds-services"), reason)


def test_a_replayed_jti_is_401(client: httpx.Client, secured: Server) -> None:
    """The same JWT (same jti) used twice is refused the second time."""
    once = token(f"{secured.url}/cds-services/spine-triage")
    assert client.post("/cds-services/spine-triage", json=CALL, headers=bearer(once)).status_code == 200
    _refused(client, "/cds-services/spine-triage", bearer(once), "used before")


class JwksServer(JsonServer):
    """A JWK Set served over HTTP from a thread."""

    def __init__(self, keys: dict[str, Any]):
        self.keys = keys
        super().__init__(lambda path, query, headers: (200, self.keys), "/jwks.json")


def test_a_jwks_url_with_an_rsa_key_and_a_trusted_jku(server_factory: Callable[..., Server], tmp_path: Path) -> None:
    """A JWK Set fetched from a URL: RS384 tokens signed by its key pass, with or without a jku naming that URL."""
    keys = JwksServer({"keys": [jwk(RSA_KEY, "rsa-1", "RS384")]})
    try:
        port = free_port()
        server = server_factory("--jwks", keys.url, "--issuer", ISSUER, port=port)
        audience = f"http://127.0.0.1:{port}/cds-services"
        with server.client() as http:
            plain = token(audience, key=RSA_KEY, kid="rsa-1", alg="RS384")
            assert http.get("/cds-services", headers=bearer(plain)).status_code == 200
            with_jku = token(audience, key=RSA_KEY, kid="rsa-1", alg="RS384", header={"jku": keys.url})
            assert http.get("/cds-services", headers=bearer(with_jku)).status_code == 200
            wrong_alg = token(audience, key=RSA_KEY, kid="rsa-1", alg="RS256")
            refused = http.get("/cds-services", headers=bearer(wrong_alg))
            assert refused.status_code == 401 and "is for RS384" in refused.json()["error"]
    finally:
        keys.close()


def test_half_an_auth_configuration_is_a_usage_error(tmp_path: Path) -> None:
    """--jwks without --issuer (or the reverse) is refused before the server starts (exit 2)."""
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "triage", "serve", "--jwks", str(tmp_path / "x.json")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "needs both --jwks and --issuer" in result.stderr


@pytest.fixture(scope="module")
def without_alg(server_factory: Callable[..., Server], tmp_path_factory: pytest.TempPathFactory) -> Server:
    """A server whose JWK Set holds an EC key without 'alg' (kid ec1): the key alone must decide what it verifies."""
    jwks = tmp_path_factory.mktemp("keys") / "jwks.json"
    key = {k: v for k, v in jwk(EC_KEY, "ec1", "ES384").items() if k != "alg"}
    jwks.write_text(json.dumps({"keys": [key]}))
    port = free_port()
    return server_factory("--jwks", str(jwks), "--issuer", ISSUER, "--public-url", f"http://127.0.0.1:{port}",
                          port=port)


@pytest.mark.parametrize("alg", ["RS384", "PS256", "ES256"])
def test_a_token_whose_algorithm_does_not_fit_the_key_is_401(without_alg: Server, alg: str) -> None:
    """An EC P-384 key without alg, and a token signed RS384, PS256 (or ES256 on another curve) naming it: 401,
    never a 500 from PyJWT's key preparation."""
    key = RSA_KEY if alg[0] in "RP" else ec.generate_private_key(ec.SECP256R1())
    with without_alg.client() as http:
        signed = token(f"{without_alg.url}/cds-services", key=key, kid="ec1", alg=alg)
        answer = http.get("/cds-services", headers=bearer(signed))
        assert answer.status_code == 401, answer.text
        assert "cannot verify" in answer.json()["error"]
        right = http.get("/cds-services", headers=bearer(token(f"{without_alg.url}/cds-services", kid="ec1")))
        assert right.status_code == 200


@pytest.mark.parametrize("kid", ["中", 'a"b', "x\\y\r\nSet-Cookie: a=b"], ids=["not ascii", "quote", "newline"])
def test_the_kid_is_never_echoed(client: httpx.Client, secured: Server, kid: str) -> None:
    """A token with an unknown kid of any text is 401 with a well-formed WWW-Authenticate that does not echo it."""
    answer = client.get("/cds-services", headers=bearer(token(f"{secured.url}/cds-services", kid=kid)))
    assert answer.status_code == 401, answer.text
    challenge = answer.headers["www-authenticate"]
    assert challenge == 'Bearer error="invalid_token", error_description="no trusted key has the JWT\'s kid"'
    assert kid not in answer.text and "set-cookie" not in answer.headers
