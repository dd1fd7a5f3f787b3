"""JWT authentication of CDS clients, as CDS Hooks 2.0 "Trusting CDS Clients" describes it.

Every CDS Hooks call (discovery, service, feedback) carries ``Authorization: Bearer <JWT>``:

- signed with an asymmetric algorithm (RS/PS/ES 256-512; never ``none`` or HMAC), by a
  key found by ``kid`` in the JWK Sets this service was given (files, or URLs fetched and
  cached; a ``jku`` header is honoured only when it names one of those URLs);
- ``typ`` ``JWT``; ``iss`` one of the allowed issuers; ``aud`` the URL of the endpoint
  called; ``exp`` and ``iat`` present and valid (a small leeway for clock skew), and ``exp``
  at most ``max_lifetime`` seconds away, so that remembered ``jti`` values can be forgotten
  once their token has expired;
- ``jti`` never seen before from that issuer (replays are refused). The memory of ``jti``
  values is per process: with several worker processes a replay sent to another worker
  is not caught.

Anything else is ``AuthError`` (401), with a reason that names no secret.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Optional

import httpx
import jwt

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
_REFETCH_AFTER = 30.0  # at most one fetch of a JWK Set URL per 30 s for an unknown kid
_CACHE_FOR = 600.0
_MAX_REMEMBERED = 100_000


class AuthError(Exception):
    """A CDS Hooks call without valid authentication (401)."""


class JwtVerifier:
    """Verifies the bearer JWTs of CDS clients against JWK Sets and allowed issuers."""

    def __init__(self, sources: Iterable[str], issuers: Iterable[str], http: httpx.AsyncClient,
                 max_lifetime: int = 600, leeway: int = 30):
        self.sources = tuple(sources)
        self.issuers = tuple(issuers)
        self.http = http
        self.max_lifetime = max_lifetime
        self.leeway = leeway
        self._keys: dict[str, dict[str, tuple[Optional[str], Any]]] = {}  # source -> kid -> (its alg, key)
        self._fetched: dict[str, float] = {}
        self._seen: dict[tuple[str, str], float] = {}  # (iss, jti) -> exp

    @staticmethod
    def is_url(source: str) -> bool:
        """Whether a JWK Set source is a URL (else a file)."""
        return source.startswith(("https://", "http://"))

    async def load(self) -> None:
        """Read every JWK Set file and fetch every URL once (a file that cannot be read is an error)."""
        for source in self.sources:
            if self.is_url(source):
                with contextlib.suppress(AuthError):  # fetched again when a token needs it
                    await self._fetch(source)
            else:
                self._keys[source] = read_key_file(source)

    async def _fetch(self, url: str) -> None:
        self._fetched[url] = time.monotonic()
        try:
            response = await self.http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            self._keys[url] = _key_set(response.json(), url)
        except (httpx.HTTPError, ValueError) as exc:
            raise AuthError(f"the JWK Set at {url} could not be fetched ({type(exc).__name__})") from None

    async def _key(self, kid: str, jku: Optional[str]) -> tuple[Optional[str], Any]:
        sources = [jku] if jku else list(self.sources)
        for source in sources:
            if self.is_url(source):
                stale = time.monotonic() - self._fetched.get(source, -1e9)
                missing = kid not in self._keys.get(source, {})
                if stale > _CACHE_FOR or (missing and stale > _REFETCH_AFTER):
                    await self._fetch(source)
            if kid in self._keys.get(source, {}):
                return self._keys[source][kid]
        raise AuthError("no trusted key has the JWT's kid")  # the kid is never echoed: it is the caller's text

    async def verify(self, authorization: Optional[str], audience: str) -> dict[str, Any]:
        """The claims of a valid ``Authorization: Bearer`` JWT for a call to ``audience``; else ``AuthError``."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("an Authorization: Bearer JWT is required")
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("the bearer token is not a JWT") from None
        algorithm, kid, jku = header.get("alg"), header.get("kid"), header.get("jku")
        if algorithm not in ALGORITHMS:
            named = f" {algorithm!r}" if isinstance(algorithm, str) and algorithm.isascii() and algorithm.isalnum() \
                and len(algorithm) <= 10 else ""  # echoed only when it is a short plain token
            raise AuthError(f"the JWT algorithm{named} is not accepted (use one of {', '.join(ALGORITHMS)})")
        if str(header.get("typ", "")).upper() != "JWT":
            raise AuthError("the JWT header needs typ 'JWT'")
        if not isinstance(kid, str) or not kid:
            raise AuthError("the JWT header needs a kid")
        if jku is not None and jku not in self.sources:
            raise AuthError("the JWT's jku is not a JWK Set URL this service trusts")
        declared, key = await self._key(kid, jku)
        if declared is not None and declared != algorithm:
            raise AuthError(f"the key of the JWT's kid is for {declared}, not {algorithm}")
        if not _fits(key, algorithm):
            raise AuthError(f"the key of the JWT's kid cannot verify {algorithm}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=[algorithm], audience=audience, issuer=list(self.issuers),
                leeway=self.leeway, options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.InvalidAudienceError:
            raise AuthError(f"the JWT's aud is not this endpoint ({audience})") from None
        except jwt.InvalidIssuerError:
            raise AuthError("the JWT's iss is not an allowed issuer") from None
        except jwt.ExpiredSignatureError:
            raise AuthError("the JWT has expired") from None
        except jwt.MissingRequiredClaimError as exc:
            raise AuthError(f"the JWT lacks the {exc.claim} claim") from None
        except jwt.PyJWTError as exc:
            raise AuthError(f"the JWT is not valid: {type(exc).__name__}") from None
        except (TypeError, ValueError):  # PyJWT's key preparation, for a key that does not fit the algorithm
            raise AuthError(f"the key of the JWT's kid cannot verify {algorithm}") from None
        now = time.time()
        if claims["exp"] > now + self.max_lifetime + self.leeway:
            raise AuthError(f"the JWT expires more than {self.max_lifetime} s from now")
        self._remember(str(claims["iss"]), str(claims["jti"]), float(claims["exp"]), now)
        return claims

    def _remember(self, issuer: str, jti: str, expires: float, now: float) -> None:
        if len(self._seen) >= _MAX_REMEMBERED // 2:
            self._seen = {key: exp for key, exp in self._seen.items() if exp + self.leeway >= now}
        if (issuer, jti) in self._seen:
            raise AuthError("the JWT's jti was used before (a replay)")
        if len(self._seen) >= _MAX_REMEMBERED:
            raise AuthError("too many unexpired tokens: try again shortly")
        self._seen[(issuer, jti)] = expires


def _fits(key: Any, algorithm: str) -> bool:
    """Whether a public key can verify this algorithm: RSA keys RS and PS, EC keys ES on their own curve."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if isinstance(key, rsa.RSAPublicKey):
        return algorithm.startswith(("RS", "PS"))
    if isinstance(key, ec.EllipticCurvePublicKey):
        return algorithm == {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}.get(key.curve.name)
    return False


def read_key_file(path: str) -> dict[str, tuple[Optional[str], Any]]:
    """The signing keys of a JWK Set file by kid; ``ValueError`` saying why when it cannot be used."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"JWK Set {path}: cannot read it ({exc})") from None
    keys = _key_set(data, path)
    if not keys:
        raise ValueError(f"JWK Set {path}: no signing key with a kid")
    return keys


def _key_set(data: Any, source: str) -> dict[str, tuple[Optional[str], Any]]:
    """The signing keys of a JWK Set by kid (keys without a kid, or of unusable types, are skipped)."""
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError(f"JWK Set {source}: expected an object with a 'keys' list")
    keys = {}
    for entry in data["keys"]:
        if not isinstance(entry, dict) or not entry.get("kid") or entry.get("use", "sig") != "sig":
            continue
        try:
            keys[str(entry["kid"])] = (entry.get("alg"), jwt.PyJWK(entry).key)
        except jwt.PyJWTError:
            continue
    return keys
