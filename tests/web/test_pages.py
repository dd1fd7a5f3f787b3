"""The browser interview's pages over HTTP: headers, POST-redirect-GET, the sealed cookie, CSRF, errors, downloads."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from cryptography.fernet import Fernet

from triage.interview.questionnaire import load_questionnaire
from triage.interview.runner import InterviewState
from triage.language.loading import load_rulebase
from triage.service.web.seal import COOKIE, KEY_VARIABLE, Sealer, WebState

from ..conftest import ROOT
from ..service.conftest import Server, start_server
from ..test_interview import all_no_script
from .conftest import KEY
from .visitor import Visitor

QUESTIONNAIRE = load_questionnaire()
SEALER = Sealer(KEY.encode(), QUESTIONNAIRE, load_rulebase().content_hash)


@pytest.fixture
def visitor(web_server: Server) -> Iterator[Visitor]:
    """A visitor with an empty cookie jar."""
    person = Visitor(web_server)
    try:
        yield person
    finally:
        person.close()


def _csp(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def _cookie(visitor: Visitor) -> str:
    value = visitor.client.cookies.get(COOKIE)
    assert value is not None
    return value.strip('"')


def test_every_page_sends_the_security_headers(visitor: Visitor) -> None:
    """Every page and download: CSP without script or inline code, no-referrer, no framing, no caching."""
    visitor.start()
    visitor.answer("lumbar")
    visitor.answer_all(all_no_script(urinary_retention=True))
    visitor.get("/result/answers.yaml")
    visitor.get("/result/assessment.json")
    visitor.post("/interview", {"csrf": "forged"})
    assert len(visitor.responses) > 10
    for response in visitor.responses:
        where = f"{response.request.method} {response.url.path} {response.status_code}"
        csp = _csp(response)
        assert csp["default-src"] == "'none'" and csp["frame-ancestors"] == "'none'", where
        assert csp["style-src"] == "'self'" and csp["form-action"] == "'self'", where
        assert "script-src" not in csp and "unsafe" not in response.headers["content-security-policy"], where
        assert response.headers["referrer-policy"] == "no-referrer", where
        assert response.headers["x-frame-options"] == "DENY", where
        assert response.headers["cache-control"] == "no-store", where
        assert response.headers["x-content-type-options"] == "nosniff", where


def test_the_pages_have_no_script_no_inline_style_and_nothing_from_elsewhere(visitor: Visitor) -> None:
    """No script, no inline style (the CSP would refuse it) and every link, form and stylesheet on this site."""
    pages = [visitor.get("/").text]
    visitor.start()
    pages.append(visitor.html)
    visitor.answer("lumbar")
    pages.append(visitor.html)
    visitor.answer_all(all_no_script(night_pain=True, fever=None))
    pages.append(visitor.html)
    for html in pages:
        assert "<script" not in html and "style=" not in html and "<style" not in html
        assert re.findall(r"\bon[a-z]+=", html) == []  # no event handler attributes
        for target in re.findall(r'(?:href|src|action)="([^"]*)"', html):
            assert target.startswith(("/", "#")) and not target.startswith("//"), target
    css = visitor.get("/static/triage.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "url(" not in css.text and "@import" not in css.text


def test_every_answer_is_posted_then_redirected_to_a_plain_get(visitor: Visitor) -> None:
    """POST-redirect-GET: each answer gets 303 to /interview or /result, never a page, never a query string."""
    visitor.start()
    for question_id in visitor.questions():
        response = visitor.send(all_no_script().get(question_id))
        assert response.status_code == 303 and response.headers["location"] in ("/interview", "/result")
        page = visitor.follow(response)
        assert page.status_code == 200 and page.request.method == "GET"
    assert all("?" not in str(r.url) and "?" not in r.headers.get("location", "") for r in visitor.responses)


def test_the_cookie_is_sealed_http_only_strict_and_dies_with_the_browser(visitor: Visitor) -> None:
    """The answers travel only in a sealed cookie: HttpOnly, SameSite=Strict, no expiry date, no answer readable."""
    visitor.start()
    set_cookie = visitor.responses[-1].headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie and "path=/" in set_cookie
    assert "expires" not in set_cookie and "max-age" not in set_cookie
    for value in ("thoracic", 87, 23, 6):
        visitor.answer(value)
    sealed = _cookie(visitor)
    assert "thoracic" not in sealed and "region" not in sealed
    assert SEALER.open(sealed).interview.answers == {"region": "thoracic", "age": 87, "duration_days": 23,
                                                     "pain_score": 6}


def test_the_cookie_stays_small_after_a_long_interview_with_many_backs(visitor: Visitor) -> None:
    """Every question answered, many stepped back over: the cookie stays far below the 4096 bytes browsers keep."""
    visitor.start()
    script = all_no_script(fever=True, conservative_care_weeks=8, conservative_care_response="no_change",
                           leg_pain="one_leg")
    longest = 0
    for question_id in visitor.questions():
        visitor.answer(script[question_id])
        if visitor.question_id() not in (None, "region"):
            visitor.follow(visitor.send(..., action="back"))
            visitor.answer(script[visitor.question_id() or ""])
        longest = max(longest, len(_cookie(visitor)))
    assert len(SEALER.open(_cookie(visitor)).interview.answers) > 40
    assert longest < 2000, longest


def test_a_form_without_its_csrf_token_changes_nothing(visitor: Visitor) -> None:
    """An answer, a start or a start-again posted without this cookie's token is refused (403), nothing changed."""
    visitor.start()
    visitor.answer("lumbar")
    before = _cookie(visitor)
    for path, data in (("/interview", {"question": "age", "action": "answer", "age": "40"}),
                       ("/interview", {"csrf": "0" * 64, "question": "age", "action": "answer", "age": "40"}),
                       ("/restart", {"csrf": "x"}), ("/start", {})):
        refused = visitor.post(path, data)
        assert refused.status_code == 403, path
        assert "This form cannot be used" in refused.text and "Nothing was changed" in refused.text
    assert SEALER.open(_cookie(visitor)).interview.answers == SEALER.open(before).interview.answers == \
        {"region": "lumbar"}
    assert visitor.follow(visitor.get("/interview")).status_code == 200 and visitor.question_id() == "age"


def test_without_the_cookie_a_form_says_what_is_needed(web_server: Server) -> None:
    """A form posted without the cookie (cookies off): a page that says so and offers to start again."""
    with web_server.client(follow_redirects=False) as client:
        page = client.get("/")
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
        assert token is not None
        client.cookies.clear()
        refused = client.post("/start", data={"csrf": token.group(1)})
    assert refused.status_code == 400 and "did not send back your answers" in refused.text
    assert "allow cookies" in refused.text and 'action="/start"' in refused.text


def _sealed_at(state: WebState, when: float) -> str:
    """A cookie for ``state`` sealed with the server's key at time ``when``."""
    plain = Fernet(KEY.encode()).decrypt(SEALER.seal(state).encode())
    return Fernet(KEY.encode()).encrypt_at_time(plain, int(when)).decode()


@pytest.mark.parametrize("cookie", ["expired", "damaged", "other rules", "other key", "changed answer"])
def test_a_cookie_that_cannot_be_trusted_is_refused_and_replaced(web_server: Server, cookie: str) -> None:
    """Expired (2 h), damaged, sealed under other rules or another key, or changed: refused, nothing of it used."""
    state = WebState(started=True, interview=InterviewState(
        answers={"region": "lumbar", "age": 40}, history=["region", "age"], case_id="interview-x"))
    value = {
        "expired": lambda: _sealed_at(state, time.time() - 2 * 60 * 60 - 5),
        "damaged": lambda: SEALER.seal(state)[:-8] + "AAAAAAAA",
        "other rules": lambda: Sealer(KEY.encode(), QUESTIONNAIRE, "0" * 64).seal(state),
        "other key": lambda: Sealer(Fernet.generate_key(), QUESTIONNAIRE, load_rulebase().content_hash).seal(state),
        "changed answer": lambda: Fernet(KEY.encode()).encrypt(
            Fernet(KEY.encode()).decrypt(SEALER.seal(state).encode()).replace(b"40", b"999")).decode(),
    }[cookie]()
    with web_server.client(follow_redirects=False, cookies={COOKIE: value}) as client:
        refused = client.get("/interview")
        assert refused.status_code == 400 and "Your answers have been forgotten" in refused.text
        fresh = refused.cookies.get(COOKIE)
        assert fresh is not None and SEALER.open(fresh.strip('"')).interview.answers == {}
    with web_server.client(follow_redirects=False, cookies={COOKIE: _sealed_at(state, time.time() - 60)}) as client:
        assert client.get("/interview").status_code == 200  # the same state, sealed a minute ago, is accepted


def test_start_again_forgets_everything(visitor: Visitor) -> None:
    """Start again deletes the cookie: no page can show the answers, and the start page has nothing to continue."""
    visitor.start()
    visitor.answer("cervical")
    visitor.answer(61)
    assert "continue where you left off" in visitor.get("/").text
    forgotten = visitor.post("/restart", {"csrf": visitor.csrf()})
    assert forgotten.status_code == 303 and forgotten.headers["location"] == "/"
    deleted = forgotten.headers["set-cookie"].lower()
    assert deleted.startswith(f"{COOKIE}=") and "max-age=0" in deleted
    assert visitor.client.cookies.get(COOKIE) is None
    assert visitor.get("/interview").headers["location"] == "/"
    assert visitor.get("/result").headers["location"] == "/"
    assert visitor.get("/result/answers.yaml").headers["location"] == "/"
    start = visitor.get("/")
    assert "continue where you left off" not in start.text
    assert SEALER.open(_cookie(visitor)).interview.answers == {}


@pytest.mark.parametrize(("question", "typed", "message"), [
    ("age", "abc", "Enter a whole number from 0 to 120 (digits only)"),
    ("age", "12.5", "Enter a whole number from 0 to 120 (digits only)"),
    ("age", "-1", "Enter a whole number from 0 to 120 (digits only)"),
    ("age", "121", "Enter a number from 0 to 120"),
    ("age", "٣٠", "Enter a whole number from 0 to 120 (digits only)"),  # Arabic-Indic digits: not ASCII
    ("region", ..., "Choose an answer. If you do not know, choose Not sure."),
    ("region", "maybe", "Choose one of the answers. If you do not know, choose Not sure."),
])
def test_an_answer_that_cannot_be_taken_is_shown_again_with_the_reason(visitor: Visitor, question: str, typed: Any,
                                                                       message: str) -> None:
    """A wrong answer: 422, the page again with what was typed, the reason in the summary and at the field."""
    visitor.start()
    if question == "age":
        visitor.answer("lumbar")
    response = visitor.post("/interview", {"csrf": visitor.csrf(), "question": question, "action": "answer",
                                           **({} if typed is ... else {question: typed})})
    assert response.status_code == 422 and visitor.question_id() == question
    assert response.text.count(message) == 2  # in the error summary and at the field
    assert f'<a href="#{question}' in response.text
    if question == "age":
        assert f'value="{typed}"' in response.text and 'aria-invalid="true"' in response.text
    assert visitor.follow(visitor.get("/interview")).status_code == 200 and visitor.question_id() == question


def test_back_is_offered_from_the_second_question_on(visitor: Visitor) -> None:
    """The first question has no Back (there is nothing before it); the second has Back after Continue."""
    visitor.start()
    assert 'value="back"' not in visitor.html
    assert visitor.follow(visitor.send(..., action="back")).status_code == 200 and visitor.question_id() == "region"
    visitor.answer("lumbar")
    buttons = re.findall(r'<button type="submit"[^>]*value="(\w+)"', visitor.html)
    assert buttons == ["answer", "back"]


def test_a_page_out_of_date_is_not_taken_and_says_so(visitor: Visitor) -> None:
    """An answer posted from an old page (the browser's Back, a second click) is not used; the page says why."""
    visitor.start()
    old_page = visitor.html
    visitor.answer("lumbar")
    visitor.html = old_page
    visitor.follow(visitor.send("cervical"))
    assert visitor.question_id() == "age" and "That page was out of date" in visitor.html
    assert SEALER.open(_cookie(visitor)).interview.answers == {"region": "lumbar"}
    visitor.get("/interview")
    assert "That page was out of date" not in visitor.html  # said once


def test_the_downloads_are_the_case_file_and_its_assessment(visitor: Visitor, tmp_path: Path) -> None:
    """The answers download is a case file whose `triage assess --format json` is exactly the result download."""
    visitor.start()
    visitor.answer_all(all_no_script(region="cervical", age=58, hand_clumsiness=True, fever=None))
    case = visitor.get("/result/answers.yaml")
    result = visitor.get("/result/assessment.json")
    assert case.status_code == result.status_code == 200
    data = yaml.safe_load(case.text)
    case_id = data["id"]
    assert re.fullmatch(r"interview-\d{8}-\d{4}-[0-9a-f]{4}", case_id)
    assert case.headers["content-disposition"] == f'attachment; filename="{case_id}.yaml"'
    assert result.headers["content-disposition"] == f'attachment; filename="{case_id}-assessment.json"'
    assert data["hand_clumsiness"] is True and "fever" not in data and data["foot_drop"] is False  # hidden: no
    lines = {line.partition(":")[0]: line for line in case.text.splitlines() if not line.startswith("#")}
    assert lines["foot_drop"].endswith("# not asked: taken from other answers")  # said so, not passed off as asked
    assert "#" not in lines["hand_clumsiness"] and "not asked" in case.text.split("\nid:")[0]
    path = tmp_path / f"{case_id}.yaml"
    path.write_text(case.text)
    assessed = subprocess.run([sys.executable, "-m", "triage", "assess", str(path), "--format", "json"], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    assert assessed.returncode == 0, assessed.stderr
    from_the_command = json.loads(assessed.stdout)
    assert from_the_command.pop("rules_path")  # the command names its folder; a server's folders are its own
    assert from_the_command == json.loads(result.text)
    assert json.loads(result.text)["urgency"] == "soon"


def test_the_result_is_not_shown_before_the_end_and_questions_after_it(visitor: Visitor) -> None:
    """/result redirects to the question while one is asked; /interview redirects to the result once it has ended."""
    assert visitor.get("/interview").headers["location"] == "/"  # nothing started
    visitor.start()
    assert visitor.get("/result").headers["location"] == "/interview"
    assert visitor.get("/result/assessment.json").headers["location"] == "/interview"
    visitor.answer_all(all_no_script(bowel_change=True))
    assert visitor.get("/interview").headers["location"] == "/result"
    assert visitor.get("/result").status_code == 200 and 'data-urgency="emergency"' in visitor.html


def test_every_worker_process_opens_the_cookies_of_the_others(tmp_path: Path) -> None:
    """With --workers 2 and a new connection for every request (so both workers serve them), a whole interview
    works: triage serve gives every worker the same key."""
    saved = os.environ.pop(KEY_VARIABLE, None)
    try:
        server = start_server(tmp_path / "server.log", "--workers", "2")
    finally:
        if saved is not None:
            os.environ[KEY_VARIABLE] = saved
    try:
        visitor = Visitor(server)
        visitor.client = server.client(follow_redirects=False, limits=httpx.Limits(max_keepalive_connections=0))
        visitor.start()
        asked = visitor.answer_all(all_no_script())
        visitor.close()
        assert len(asked) == 36 and 'data-urgency="self_care"' in visitor.html
        assert "have been forgotten" not in "".join(r.text for r in visitor.responses)
    finally:
        server.stop()
    assert server.log().count("Started server process") == 2


@pytest.mark.parametrize(("data", "status"), [("&".join(f"f{n}=1" for n in range(60)), 400), ("a=" + "x" * 20000, 413)],
                         ids=["too many fields", "too large"])
def test_a_form_that_cannot_be_read_is_a_page(visitor: Visitor, data: str, status: int) -> None:
    """Too many fields (400) or too large (413): an HTML page that says nothing changed, not JSON; the answers kept."""
    visitor.start()
    visitor.answer(45)
    before = visitor.client.cookies.get(COOKIE)
    refused = visitor.client.post("/interview", content=data.encode(),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert refused.status_code == status
    assert refused.headers["content-type"].startswith("text/html") and "Nothing was changed" in refused.text
    assert "Content-Security-Policy" in refused.headers and visitor.client.cookies.get(COOKIE) == before


def test_the_emergency_page_says_not_sure_for_a_not_sure_answer(visitor: Visitor) -> None:
    """Saddle numbness yes, and Not sure how long: the emergency page says 'not sure' for that answer, never
    'not answered' (the person did answer it)."""
    visitor.start()
    visitor.answer_all(all_no_script(region="lumbar", saddle_numbness=True, ces_symptoms_days=None))
    visitor.follow(visitor.get("/result"))
    assert 'data-urgency="emergency"' in visitor.html
    how_long = re.search(r"<li>([^<]*(?:how long|days)[^<]*)</li>", visitor.html, re.I)
    assert how_long is not None, visitor.html
    assert how_long[1].endswith(": not sure") and "not answered" not in visitor.html


def test_start_again_on_a_question_page_asks_first(visitor: Visitor) -> None:
    """A question page has no form that forgets: its Start again is a link to a page that asks, which keeps the
    answers until 'Yes' is pressed, and offers the way back to the questions."""
    visitor.start()
    visitor.answer("cervical")
    visitor.follow(visitor.get("/interview"))
    assert 'action="/restart"' not in visitor.html and 'href="/restart"' in visitor.html
    before = visitor.client.cookies.get(COOKIE)
    asking = visitor.get("/restart")
    assert asking.status_code == 200 and "Start again?" in asking.text and 'href="/interview"' in asking.text
    assert SEALER.open(_cookie(visitor)).interview.answers == {"region": "cervical"} and before
    forgotten = visitor.post("/restart", {"csrf": visitor.csrf()})
    assert forgotten.status_code == 303 and visitor.client.cookies.get(COOKIE) is None
