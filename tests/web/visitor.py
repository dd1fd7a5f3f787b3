"""A visitor to the browser interview without a browser: an HTTP client that posts its forms as a browser would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from triage.service.web.pages import form_value

from ..service.conftest import Server
from .browser import each_question

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
_QUESTION = re.compile(r'name="question" value="([a-z_]+)"')


@dataclass
class Visitor:
    """One visitor (one cookie jar); follows no redirect by itself, so that the tests see each one."""

    server: Server
    client: httpx.Client = field(init=False)
    html: str = ""
    responses: list[httpx.Response] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = self.server.client(follow_redirects=False)

    def close(self) -> None:
        """Close the client."""
        self.client.close()

    def _record(self, response: httpx.Response) -> httpx.Response:
        self.responses.append(response)
        if response.headers.get("content-type", "").startswith("text/html"):
            self.html = response.text
        return response

    def get(self, path: str) -> httpx.Response:
        """GET a page."""
        return self._record(self.client.get(path))

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        """POST a form (urlencoded, as a browser sends it)."""
        return self._record(self.client.post(path, data=data))

    def follow(self, response: httpx.Response) -> httpx.Response:
        """Follow redirects as a browser does (303: GET the Location)."""
        for _ in range(5):
            if response.status_code not in (302, 303):
                return response
            response = self.get(response.headers["location"])
        raise AssertionError(f"redirected in circles: {response.url}")

    def csrf(self) -> str:
        """The CSRF token of the forms on the last page."""
        match = _CSRF.search(self.html)
        assert match is not None, self.html[:500]
        return match.group(1)

    def question_id(self) -> str | None:
        """The question on the last page (None on a page that asks none)."""
        match = _QUESTION.search(self.html)
        return match.group(1) if match else None

    def questions(self) -> Iterator[str]:
        """The id of each question shown, one after another (the caller answers each), until the interview ends;
        an interview that never ends fails rather than hangs."""
        return each_question(self.question_id)

    def start(self) -> httpx.Response:
        """Open the start page and start."""
        self.get("/")
        return self.follow(self.post("/start", {"csrf": self.csrf()}))

    def send(self, value: Any, action: str = "answer", **extra: str) -> httpx.Response:
        """Post the question form of the last page with ``value`` (no redirect followed)."""
        question_id = self.question_id()
        assert question_id is not None, self.html[:500]
        data = {"csrf": self.csrf(), "question": question_id, "action": action, **extra}
        if value is not ...:
            data[question_id] = form_value(value)
        return self.post("/interview", data)

    def answer(self, value: Any) -> httpx.Response:
        """Answer the question on the last page and follow to the next page."""
        return self.follow(self.send(value))

    def answer_all(self, script: dict[str, Any]) -> list[str]:
        """Answer every question from ``script`` (missing: not sure); the ids asked, in order."""
        asked = []
        for question_id in self.questions():
            asked.append(question_id)
            self.answer(script.get(question_id))
        return asked
