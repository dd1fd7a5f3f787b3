"""Operating ``triage serve``: graceful SIGTERM, the access log, worker processes, the engine's one thread."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from triage.assess.assessor import Assessor
from triage.errors import EngineError
from triage.models import Case
from triage.service.access_log import AccessLog
from triage.service.engine_thread import EngineThread

from ..conftest import all_no_answers
from .conftest import Server, random_case_dicts, start_server

ACCESS_LINE = re.compile(r"triage\.access: request_id=(?P<id>[A-Za-z0-9._-]+) method=(?P<method>[A-Z]+) "
                         r"path=(?P<path>\S+) status=(?P<status>\d+) duration_ms=(?P<ms>[0-9.]+)$")


def access_lines(log: str) -> list[dict[str, str]]:
    """The access-log lines of a server log, parsed."""
    return [match.groupdict() for line in log.splitlines() if (match := ACCESS_LINE.search(line))]


def test_sigterm_lets_the_request_in_flight_finish_then_exits(tmp_path: Path) -> None:
    """SIGTERM while a /v1/score request is still sending: new connections are refused, the request in flight gets
    its whole answer, and the process then exits with status 0."""
    server = start_server(tmp_path / "server.log")
    try:
        release = threading.Event()
        cases = random_case_dicts(40, seed=3)

        def slow_body() -> Iterator[bytes]:
            for number, case in enumerate(cases):
                if number == 20:
                    release.wait(30)  # half sent: the request is in flight while the server is told to stop
                yield (json.dumps(case) + "\n").encode()

        result: dict[str, Any] = {}

        def send() -> None:
            with server.client() as http:
                result["response"] = http.post("/v1/score", content=slow_body())

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(1.0)
        server.process.send_signal(signal.SIGTERM)
        time.sleep(1.0)
        assert server.process.poll() is None, "the server exited with a request in flight"
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.url}/health", timeout=2)
        release.set()
        sender.join(30)
        response = result["response"]
        assert response.status_code == 200
        assert [json.loads(line)["case_id"] for line in response.text.splitlines()] == [c["id"] for c in cases]
        assert server.process.wait(20) == 0
        assert "Finished server process" in server.log()
    finally:
        server.stop()


def test_the_access_log_has_one_line_per_request_and_no_answers(server: Server) -> None:
    """One line per request: request id, method, path without the query string, status, duration. No body, no
    answer and no query string ever reaches the log, for accepted and refused cases alike."""
    marker = "zebra-quagga-7731"
    case = {"id": f"case-{marker}", "description": f"told the nurse {marker}", **all_no_answers(saddle_numbness=True)}
    with server.client() as http:
        assert http.get("/health").status_code == 200
        assert http.post(f"/v1/assess?patient={marker}", json=case,
                         headers={"X-Request-ID": "trace-42"}).headers["x-request-id"] == "trace-42"
        refused = http.post("/v1/assess", json={"region": marker, "description": marker})
        assert refused.status_code == 422 and marker in refused.text  # the client is told; the log is not
        assert http.post("/v1/score", content=json.dumps(case) + "\n").status_code == 200
        forged = http.get("/health", headers={"X-Request-ID": "x" * 100})
    deadline = time.monotonic() + 10  # the log is written after each answer; a loaded machine may lag
    while (lines := access_lines(log := server.log())) and lines[-1]["id"] != forged.headers["x-request-id"]:
        assert time.monotonic() < deadline, lines[-6:]
        time.sleep(0.1)
    lines = lines[-5:]  # ours; a readiness check's line may reach the log late, before them
    assert [(line["method"], line["path"], line["status"]) for line in lines] == [
        ("GET", "/health", "200"), ("POST", "/v1/assess", "200"), ("POST", "/v1/assess", "422"),
        ("POST", "/v1/score", "200"), ("GET", "/health", "200")]
    assert lines[1]["id"] == "trace-42"
    assert lines[4]["id"] == forged.headers["x-request-id"] != "x" * 100
    assert len({line["id"] for line in lines}) == 5
    assert marker not in log and "saddle" not in log and "patient=" not in log


def test_two_worker_processes_each_with_its_own_engine(server_factory: Callable[..., Server],
                                                       assessor: Assessor) -> None:
    """--workers 2 starts two server processes; 400 requests from 16 clients are all answered correctly."""
    server = server_factory("--workers", "2")
    deadline = time.monotonic() + 30
    while len(re.findall(r"Application startup complete", server.log())) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    pids = set(re.findall(r"Started server process \[(\d+)\]", server.log()))
    assert len(pids) == 2 and str(server.process.pid) not in pids
    cases = random_case_dicts(400, seed=77)

    def post_all(part: list[dict[str, Any]]) -> list[Any]:
        with server.client() as http:
            return [http.post("/v1/assess", json=case).json() for case in part]

    with ThreadPoolExecutor(16) as pool:
        parts = list(pool.map(post_all, [cases[n::16] for n in range(16)]))
    for number, part in enumerate(parts):
        for case, got in zip(cases[number::16], part, strict=True):
            assert got == assessor.assess(Case.model_validate(case)).model_dump(mode="json")


def test_the_engine_refuses_any_thread_but_its_own() -> None:
    """The engine runs only on its engine thread: called from another thread it raises instead of racing."""
    engine = EngineThread()
    try:
        with pytest.raises(EngineError, match="belongs to thread"):
            engine.assessor.assess_answers({"age": 40})
        result = engine.run_sync(engine.assessor.assess_answers, {"age": 40})
        assert result.urgency == "soon"
    finally:
        engine.close()


def test_concurrent_work_is_serialised_on_the_engine_thread(assessor: Assessor) -> None:
    """200 assessments submitted at once from the event loop all run on the one engine thread, correctly."""
    engine = EngineThread()
    cases = random_case_dicts(200, seed=9)
    seen_threads: set[int] = set()

    def assess(case: dict[str, Any]) -> dict[str, Any]:
        seen_threads.add(threading.get_ident())
        return engine.assessor.assess(Case.model_validate(case)).model_dump(mode="json")

    async def all_at_once() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(engine.run(assess, case) for case in cases)))

    try:
        results = asyncio.run(all_at_once())
    finally:
        engine.close()
    assert len(seen_threads) == 1 and threading.get_ident() not in seen_threads
    assert results == [assessor.assess(Case.model_validate(case)).model_dump(mode="json") for case in cases]


def test_an_unexpected_error_is_a_500_logged_without_its_message(caplog: pytest.LogCaptureFixture) -> None:
    """A bug becomes a 500 with the request id; the log names the exception type and place, never its message."""
    async def broken(request: Request) -> Response:
        raise ValueError("the patient said yes to saddle numbness")

    app = Starlette(routes=[Route("/boom", broken)], middleware=[Middleware(AccessLog)])  # as create_app has it
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/boom", "raw_path": b"/boom", "query_string": b"answer=secret", "root_path": "",
             "headers": [], "server": ("test", 80), "client": ("test", 1)}
    with caplog.at_level(logging.INFO, logger="triage"):
        asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    start, body = sent[0], json.loads(sent[1]["body"])
    assert start["status"] == 500 and body["request_id"] == dict(start["headers"])[b"x-request-id"].decode()
    text = caplog.text
    assert "internal error" in text and "ValueError at" in text and "status=500" in text
    assert "saddle" not in text and "secret" not in text


def test_the_rules_are_checked_before_the_server_listens(tmp_path: Path) -> None:
    """A broken --rules folder exits 1 with its problems; nothing is served."""
    import sys

    result = subprocess.run([sys.executable, "-m", "triage", "serve", "--rules", str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "rulebase.yaml" in result.stderr
