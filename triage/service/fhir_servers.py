"""Which ``fhirServer`` URLs the CDS service may fetch from (pure).

The service lends the client's bearer token to the server it fetches from, so a string
prefix is not enough (``https://fhir.example.org`` would let ``https://fhir.example.org@evil.example/``
and ``https://fhir.example.org.evil.example/`` through, and ``/ok`` would let ``/okevil`` and
``/ok/../other``). A URL is allowed when its scheme, host and port equal those of an
allowed base and the allowed base's path segments begin its path. URLs with user
information, a query or a fragment, or dot segments in the path (plain or percent-encoded),
are refused outright, and so is everything when no base is allowed (``--fhir-server``)
unless the service was started with ``--any-fhir-server``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional
from urllib.parse import unquote, urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _parts(url: str) -> tuple[str, str, int, list[str]]:
    """(scheme, host, port, path segments) of an http(s) URL; ``ValueError`` saying why it cannot be used."""
    try:
        split = urlsplit(url)
        port = split.port
    except ValueError:
        raise ValueError("not a valid URL") from None
    scheme = split.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not split.hostname:
        raise ValueError("not an http(s) URL with a host")
    if split.username is not None or split.password is not None or "@" in split.netloc:
        raise ValueError("a URL with user information (user@host) is not accepted")
    if split.query or split.fragment or url.rstrip().endswith(("?", "#")):
        raise ValueError("a URL with a query or a fragment is not accepted")
    segments = [segment for segment in split.path.split("/") if segment]
    if any(unquote(segment) in (".", "..") or "/" in unquote(segment) for segment in segments):
        raise ValueError("a URL with '.' or '..' path segments is not accepted")
    return scheme, split.hostname.lower(), port or _DEFAULT_PORTS[scheme], segments


def check_base(url: str) -> Optional[str]:
    """Why an allowed base (``--fhir-server URL``) cannot be used, or None when it can."""
    try:
        _parts(url)
    except ValueError as exc:
        return f"--fhir-server {url}: {exc}"
    return None


def refusal(server: str, allowed: Iterable[str], any_server: bool) -> Optional[str]:
    """Why the service must not fetch from ``server``, or None when it may."""
    try:
        scheme, host, port, path = _parts(server)
    except ValueError as exc:
        return f"this service does not fetch from that fhirServer: {exc}"
    if any_server:
        return None
    bases = list(allowed)
    if not bases:
        return "this service fetches from no FHIR server (it was started without --fhir-server): send the prefetch"
    for base in bases:
        b_scheme, b_host, b_port, b_path = _parts(base)
        if (scheme, host, port) == (b_scheme, b_host, b_port) and path[:len(b_path)] == b_path:
            return None
    return "this service is not allowed to fetch from that fhirServer"
