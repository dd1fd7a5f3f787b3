"""Private by design: a whole interview leaves no answer in any URL, in the server's log or with anyone else."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Request

from triage.interview.questionnaire import load_questionnaire

from ..service.conftest import Server
from ..test_interview import all_no_script
from .browser import WebPerson

QUESTIONNAIRE = load_questionnaire()
PATHS = {"/", "/start", "/interview", "/result", "/result/answers.yaml", "/result/assessment.json", "/restart",
         "/static/triage.css", "/favicon.ico"}
ACCESS_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO triage\.access: request_id=[0-9a-f]{16} "
                         r"method=(GET|POST) path=(?P<path>\S+) status=\d{3} duration_ms=\d+\.\d$")
#: Answers no URL or log line could hold by chance: distinctive words and numbers.
SCRIPT = all_no_script(region="thoracic", age=87, duration_days=23, pain_score=7, pain_trend="improving",
                       leg_pain="one_leg", fever=True, iv_drug_use=None, conservative_care_weeks=9,
                       conservative_care_response="no_change")


def words_of_the_interview() -> list[str]:
    """Question ids, choice codes and question texts that no log line could hold by chance ("age" is in "triage")."""
    words = [q.id for q in QUESTIONNAIRE.questions if "_" in q.id or len(q.id) > 6]
    words += [o.value for q in QUESTIONNAIRE.questions for o in q.choices if "_" in o.value or len(o.value) > 6]
    words += [q.text[:30] for q in QUESTIONNAIRE.questions]
    return words


def test_a_whole_interview_leaves_no_answer_in_urls_or_the_log(context: BrowserContext, web_server: Server) -> None:
    """Every request of an interview (downloads and start again included) goes to this server, on a fixed path
    without a query string or a referrer; the log holds one plain access line per request and nothing else."""
    requests: list[Request] = []
    context.on("request", lambda request: requests.append(request))
    page = context.new_page()
    person = WebPerson(page, web_server.url)
    log_before = len(web_server.log())
    person.start()
    asked = person.answer_all(SCRIPT)
    assert len(asked) > 35 and person.urgency() == "urgent"
    for link in ("/result/answers.yaml", "/result/assessment.json"):
        with page.expect_download():
            page.click(f"a[href='{link}']")
    person.submit(page.locator("form.restart button[type=submit]"))
    assert page.url == web_server.url + "/"

    origin = urlsplit(web_server.url)
    assert len(requests) > 2 * len(asked)  # each answer: the POST and the GET it is redirected to
    paths = set()
    for request in requests:
        url = urlsplit(request.url)
        assert (url.scheme, url.netloc) == (origin.scheme, origin.netloc), request.url  # no other site, ever
        assert url.query == "" and url.fragment == "", request.url
        assert url.path in PATHS, request.url
        assert request.all_headers().get("referer", "") == "", request.url  # the headers as sent
        paths.add(url.path)
    assert {"/", "/start", "/interview", "/result", "/restart"} <= paths, paths

    log = web_server.log()[log_before:]
    logged = []
    for line in log.splitlines():
        match = ACCESS_LINE.match(line)
        assert match is not None and match["path"] in PATHS, line
        logged.append(match["path"])
    # Every page request reached the server and was logged (the browser keeps the stylesheet in its cache).
    pages = [urlsplit(r.url).path for r in requests if not r.url.endswith((".css", ".ico"))]
    assert len([p for p in logged if p not in ("/static/triage.css", "/favicon.ico")]) >= len(pages)
    assert {"/result/answers.yaml", "/result/assessment.json"} <= set(logged)
    for word in words_of_the_interview():
        assert word not in log, word
