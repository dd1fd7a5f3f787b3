"""One access-log line per request, and the one place an unexpected error becomes a 500.

A line holds a request id, the method, the path (never the query string), the status and
the duration: never a header, a body or an answer. An unexpected exception is logged by
its type and where it was raised, not its message (which may quote a person's answers).
The request id is the client's ``X-Request-ID`` when it is a short plain token, else a new
one; it is sent back in ``X-Request-ID`` and kept in ``request.state.request_id``.
"""

from __future__ import annotations

import json
import logging
import re
import time
import traceback
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS = logging.getLogger("triage.access")
ERRORS = logging.getLogger("triage.service")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_MAX_PATH = 200


def log_config(level: str = "INFO") -> dict[str, Any]:
    """The logging configuration of ``triage serve`` (uvicorn applies it in every worker process)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "triage": {"handlers": ["stderr"], "level": level, "propagate": False},
        },
    }


def printable_path(path: str) -> str:
    """A path safe for one log line: no control characters or spaces, at most 200 characters."""
    safe = "".join(c if c.isprintable() and not c.isspace() else f"%{ord(c):02X}" for c in path)
    return safe if len(safe) <= _MAX_PATH else safe[:_MAX_PATH] + "..."


class AccessLog:
    """ASGI middleware: request ids, the access log, and a 500 for any exception that gets this far."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        status = 0
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                   (b"x-request-id", request_id.encode("ascii"))]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into a 500
            frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            where = f" at {frame.filename}:{frame.lineno} in {frame.name}" if frame else ""
            ERRORS.error("internal error request_id=%s %s%s", request_id, type(exc).__name__, where)
            if status == 0:
                status = 500
                body = json.dumps({"error": "internal error: please report it with the request id",
                                   "request_id": request_id}).encode()
                await send({"type": "http.response.start", "status": 500, "headers": [
                    (b"content-type", b"application/json"), (b"x-request-id", request_id.encode("ascii"))]})
                await send({"type": "http.response.body", "body": body})
        finally:
            ACCESS.info("request_id=%s method=%s path=%s status=%d duration_ms=%.1f", request_id,
                        scope.get("method", "-"), printable_path(scope.get("path", "")), status,
                        (time.perf_counter() - started) * 1000)
