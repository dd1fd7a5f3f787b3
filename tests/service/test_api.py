"""The /v1 API of a real ``triage serve`` process, driven over HTTP: results, errors, limits, concurrency."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from triage.assess.assessor import Assessor
from triage.cli import cli
from triage.interview.questionnaire import load_questionnaire
from triage.models import Case

from ..conftest import CASES_DIR, ROOT
from .conftest import Server, random_case_dicts

EXAMPLES = sorted((ROOT / "examples").glob("*.*"))
GOLDEN = sorted(CASES_DIR.glob("*.yaml"))


def _case_data(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())
    return {"id": path.stem, **data}


def _cli_json(path: Path) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["assess", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    data.pop("rules_path")  # the command names the rule folder on this machine; the service keeps its paths to itself
    return data


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    """An HTTP client for the module's server."""
    with server.client() as http:
        yield http


def test_health_names_the_rule_base(client: httpx.Client, assessor: Assessor) -> None:
    """GET /health gives the status and the rule base's version and hash, and nothing else."""
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "rules_version": assessor.rulebase.version,
                               "rules_hash": assessor.rulebase.content_hash}


@pytest.mark.parametrize("path", EXAMPLES + GOLDEN, ids=[p.stem for p in EXAMPLES + GOLDEN])
def test_assess_gives_the_json_of_triage_assess(client: httpx.Client, path: Path) -> None:
    """POST /v1/assess answers exactly the JSON content of ``triage assess --format json`` (same keys, values, order)."""
    response = client.post("/v1/assess", json=_case_data(path))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    served = response.json()
    expected = _cli_json(path)
    assert served == expected
    assert list(served) == list(expected)


BAD_CASES = {
    "out of range and misspelt": {"age": 200, "fevr": True},
    "wrong types": {"saddle_numbness": "yes", "pain_score": 4.5, "region": "neck"},
    "not a mapping": [1, 2],
    "null id with unknown value": {"weakness": "some"},
}


@pytest.mark.parametrize("data", BAD_CASES.values(), ids=list(BAD_CASES))
def test_a_bad_case_is_422_with_the_problems_triage_assess_prints(client: httpx.Client, data: Any,
                                                                    tmp_path: Path) -> None:
    """422 lists the same problems ``triage assess`` prints, each split into field and reason."""
    response = client.post("/v1/assess", json=data)
    assert response.status_code == 422
    body = response.json()
    file = tmp_path / "case.json"
    file.write_text(json.dumps(data))
    printed = CliRunner().invoke(cli, ["assess", str(file)])
    assert printed.exit_code == 1
    cli_problems = [line.removeprefix("  - ") for line in printed.output.splitlines() if line.startswith("  - ")]
    api_problems = [f"field '{p['field']}': {p['reason']}" if p["field"] else p["reason"] for p in body["problems"]]
    assert api_problems == cli_problems and api_problems
    assert all(set(p) >= {"field", "reason"} for p in body["problems"])


def test_problems_are_split_into_field_and_reason(client: httpx.Client) -> None:
    """Each problem names its field and its reason separately."""
    body = client.post("/v1/assess", json={"age": 200, "fevr": True}).json()
    assert body["problems"] == [
        {"field": "age", "reason": "200 is out of range: must be at most 120"},
        {"field": "fevr", "reason": "unknown field (did you mean 'fever'?)"},
    ]


@pytest.mark.parametrize("body", [b'{"age": ', b"", b"\xff\xfe{}", b'{"age": 1, "age": 2}'],
                         ids=["truncated", "empty", "not UTF-8", "duplicate key"])
def test_malformed_json_is_400(client: httpx.Client, body: bytes) -> None:
    """A body that is not JSON (or is empty, or not UTF-8, or repeats a key) is 400 with the reason."""
    response = client.post("/v1/assess", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]


def test_a_declared_body_over_the_limit_is_413(client: httpx.Client) -> None:
    """A Content-Length over 1 MiB (the default limit) is refused with 413."""
    big = b'{"description": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post("/v1/assess", content=big)
    assert response.status_code == 413
    assert "1048576" in response.json()["error"]


def test_a_streamed_body_is_refused_while_it_arrives(server: Server) -> None:
    """A chunked body with no length is cut off at the limit: 413 arrives before the client has sent it all."""
    sent = 0
    stop_at = 64 * 1024 * 1024

    def endless() -> Iterator[bytes]:
        nonlocal sent
        yield b'{"description": "'
        while sent < stop_at:
            sent += 65536
            yield b"x" * 65536

    with server.client() as http:
        response = http.post("/v1/assess", content=endless())
    assert response.status_code == 413
    assert sent < 8 * 1024 * 1024  # the server stopped reading near 1 MiB and closed the connection


def test_the_body_limit_is_configurable(server_factory: Callable[..., Server]) -> None:
    """--max-body sets the limit: a small case passes, a larger one is 413."""
    small = server_factory("--max-body", "200")
    with small.client() as http:
        assert http.post("/v1/assess", json={"age": 40}).status_code == 200
        assert http.post("/v1/assess", json={"description": "x" * 300}).status_code == 413


def test_score_streams_one_line_per_case_in_order(client: httpx.Client, assessor: Assessor) -> None:
    """POST /v1/score: one line per case, in order, error lines as in triage score, the others still scored."""
    lines = [json.dumps({"id": "first", "age": 40, "region": "lumbar"}), "", "not json",
             json.dumps({"age": 300}), json.dumps({"id": "last", "saddle_numbness": True})]
    response = client.post("/v1/score", content="\n".join(lines) + "\n",
                           headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    out = [json.loads(line) for line in response.text.splitlines()]
    assert [o["case_id"] for o in out] == ["first", "request:3", "request:4", "last"]
    assert out[1] == {"case_id": "request:3", "source": "request:3", "error": "not valid JSON: column 1: Expecting value"}
    assert out[2]["error"] == "field 'age': 300 is out of range: must be at most 120"
    expected = assessor.assess(Case.model_validate({"id": "last", "saddle_numbness": True})).model_dump(mode="json")
    assert out[3] == {**expected, "source": "request:5"}


def _without_source(line: str) -> dict[str, Any]:
    return {key: value for key, value in json.loads(line).items() if key != "source"}


def test_score_matches_triage_score_on_a_file(client: httpx.Client, tmp_path: Path) -> None:
    """The lines of /v1/score equal those of ``triage score FILE.jsonl`` but for the source names."""
    cases = random_case_dicts(60, seed=13)
    file = tmp_path / "cases.jsonl"
    file.write_text("".join(json.dumps(case) + "\n" for case in cases) + "{broken\n")
    printed = CliRunner().invoke(cli, ["score", str(file), "--workers", "1", "-q"])
    served = client.post("/v1/score", content=file.read_bytes()).text
    expected = [_without_source(line) for line in printed.output.splitlines()]
    got = [_without_source(line) for line in served.splitlines()]
    expected[-1]["case_id"] = got[-1]["case_id"]  # the id of an unreadable line names its source
    assert got == expected and len(got) == 61


def test_score_refuses_an_overlong_line_and_an_oversize_body(server_factory: Callable[..., Server]) -> None:
    """A line over --max-body is an error line (the next is scored); a streamed body over --max-score-body ends the
    stream with an error line; a declared one is 413; an empty body is 400."""
    small = server_factory("--max-body", "100", "--max-score-body", "1000")
    with small.client() as http:
        body = json.dumps({"description": "x" * 200}) + "\n" + json.dumps({"id": "ok", "age": 30}) + "\n"
        out = [json.loads(line) for line in http.post("/v1/score", content=body).text.splitlines()]
        assert out[0]["error"] == "the line is over the limit of 100 bytes" and out[1]["case_id"] == "ok"
        assert http.post("/v1/score", content=b"x" * 1001).status_code == 413

        def chunks() -> Iterator[bytes]:
            for number in range(60):
                yield (json.dumps({"id": f"c{number}", "age": 30}) + "\n").encode()

        out = [json.loads(line) for line in http.post("/v1/score", content=chunks()).text.splitlines()]
        assert out[-1]["error"].startswith("the request body is over the limit of 1000 bytes")
        assert [o["case_id"] for o in out[:-1]] == [f"c{n}" for n in range(len(out) - 1)]
        assert http.post("/v1/score", content=b"\n\n").status_code == 400


def test_score_does_not_deadlock_on_a_large_body_sent_before_reading(client: httpx.Client) -> None:
    """5,000 cases (about 15 MB of answers out) sent whole before the client reads: every line comes back."""
    cases = random_case_dicts(5000, seed=5)
    body = "".join(json.dumps(case) + "\n" for case in cases)
    response = client.post("/v1/score", content=body, timeout=120)
    ids = [json.loads(line)["case_id"] for line in response.text.splitlines()]
    assert ids == [case["id"] for case in cases]


def test_questionnaire_is_the_projects_json(client: httpx.Client) -> None:
    """GET /v1/questionnaire gives the bundled questionnaire: its version, sections and questions in order."""
    data = client.get("/v1/questionnaire").json()
    questionnaire = load_questionnaire()
    assert data["version"] == questionnaire.version and data["title"] == questionnaire.title
    assert [q["id"] for s in data["sections"] for q in s["questions"]] == [q.id for q in questionnaire.questions]
    ces = next(q for s in data["sections"] for q in s["questions"] if q["id"] == "ces_symptoms_days")
    assert ces["show_if"]["any"][0] == {"field": "saddle_numbness", "is": True}


def test_openapi_page_and_schema(client: httpx.Client, server_factory: Callable[..., Server]) -> None:
    """The schema lists every endpoint with the case as /v1/assess's body; /docs (Swagger UI, whose assets come
    from a CDN) is served only with --docs, so that by default no page loads a third-party asset."""
    assert client.get("/docs").status_code == 404
    with server_factory("--docs").client() as http:
        page = http.get("/docs")
        assert page.status_code == 200 and "cdn.jsdelivr.net" in page.text  # what the README warns of
    schema = client.get("/openapi.json").json()
    assert {"/health", "/v1/assess", "/v1/score", "/v1/questionnaire", "/fhir/Questionnaire/spine",
            "/fhir/QuestionnaireResponse/$assess", "/cds-services", "/cds-services/spine-triage",
            "/cds-services/spine-triage/feedback"} <= set(schema["paths"])
    body = schema["paths"]["/v1/assess"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "saddle_numbness" in body["properties"]


def test_1000_random_cases_from_32_clients_equal_the_library(server: Server, assessor: Assessor) -> None:
    """1,000 random cases posted by 32 concurrent clients all equal ``Assessor().assess`` (one engine thread)."""
    cases = random_case_dicts(1000, seed=2024)
    slices = [cases[number::32] for number in range(32)]

    def post_all(part: list[dict[str, Any]]) -> list[dict[str, Any]]:
        with server.client() as http:  # one client, one connection: 32 truly concurrent clients
            responses = [http.post("/v1/assess", json=case) for case in part]
        assert [r.status_code for r in responses] == [200] * len(part), [r.text for r in responses][:3]
        return [r.json() for r in responses]

    with ThreadPoolExecutor(32) as pool:
        served_parts = list(pool.map(post_all, slices))
    served: list[dict[str, Any]] = [{}] * len(cases)
    for number, part in enumerate(served_parts):
        served[number::32] = part
    mismatches = [case["id"] for case, got in zip(cases, served, strict=True)
                  if got != assessor.assess(Case.model_validate(case)).model_dump(mode="json")]
    assert mismatches == []
    assert "internal error" not in server.log()
