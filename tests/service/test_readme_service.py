"""The README's service section stays true: each curl transcript is what a real ``triage serve`` answers."""

from __future__ import annotations

import json
import re
import shlex
import uuid
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from triage.cli import cli

from ..conftest import ROOT, all_no_answers
from .conftest import Server
from .test_cds_hooks import bundle, hook_request, response

README = (ROOT / "README.md").read_text()
TRANSCRIPTS = re.findall(r"<!-- http-transcript -->\n```sh\n(curl .+?)\n```\n```json\n(.*?)\n```", README, re.S)


def curl(server: Server, command: str) -> httpx.Response:
    """Run a README curl command (-s, -X, -H, -d, --data @file) with httpx against the server."""
    args = shlex.split(command)[1:]
    method, headers, body, url = "GET", {}, None, ""
    while args:
        arg = args.pop(0)
        if arg == "-s":
            continue
        if arg == "-X":
            method = args.pop(0)
        elif arg == "-H":
            name, _, value = args.pop(0).partition(": ")
            headers[name] = value
        elif arg in ("-d", "--data", "--data-binary"):
            data = args.pop(0)
            body = (ROOT / data[1:]).read_bytes() if data.startswith("@") else data.encode()
        else:
            url = arg
    path = url.removeprefix("localhost:8000")
    with server.client() as http:
        return http.request(method, path, headers=headers, content=body)


def test_the_readme_shows_curl_transcripts() -> None:
    """The service section has its curl transcripts (health, a refused case, discovery)."""
    paths = [next(a for a in shlex.split(command) if a.startswith("localhost:8000")) for command, _ in TRANSCRIPTS]
    assert paths == ["localhost:8000/health", "localhost:8000/v1/assess", "localhost:8000/cds-services"]


@pytest.mark.parametrize(("command", "expected"), TRANSCRIPTS, ids=[c for c, _ in TRANSCRIPTS])
def test_each_curl_transcript_is_what_the_service_answers(server: Server, command: str, expected: str) -> None:
    """Run the command against a real server: the answer is the JSON the README shows, the rules hash included
    (the README shows the bundled rules' hash elsewhere too: a stale one here would contradict it)."""
    assert json.loads(curl(server, command).text) == json.loads(expected)


def test_the_assess_example_prints_what_triage_assess_prints(server: Server) -> None:
    """The README's claim: posting examples/neck-partial.json gives the JSON of triage assess --format json."""
    command = re.search(r"`(curl -s -X POST localhost:8000/v1/assess [^`]*neck-partial.json)`", README)
    assert command
    printed = CliRunner().invoke(cli, ["assess", str(ROOT / "examples" / "neck-partial.json"), "--format", "json"])
    assert curl(server, command[1]).json() == {k: v for k, v in json.loads(printed.output).items() if k != "rules_path"}


def test_the_summary_shown_in_the_readme(server: Server) -> None:
    """The README's example card summary is the one a fever case gets."""
    example = re.search(r"characters \(`(Spine triage: [^`]+)`\)", README)
    assert example
    request: dict[str, Any] = hook_request(hookInstance=str(uuid.uuid4()),
                                           prefetch={"questionnaireResponse": bundle(response(all_no_answers(fever=True)))})
    with server.client() as http:
        (card,) = http.post("/cds-services/spine-triage", json=request).json()["cards"]
    assert card["summary"] == example[1]
