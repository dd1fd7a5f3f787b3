"""A person at a web browser: Debian's chromium, headless, driven by Playwright, answering the interview's forms.

Playwright's own browser download is not used (and not reachable here): the tests launch
the system's ``/usr/bin/chromium`` with flags that keep it from calling anywhere. The
forms are answered the way the pages promise a test can: the field named by the question
id, its options by the case-format values ("not sure" the empty one), the first submit
button of the form to answer, Back after it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Playwright

from triage.interview.questionnaire import load_questionnaire
from triage.service.web.pages import form_value

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
QUESTIONNAIRE = load_questionnaire()


def launch(playwright: Playwright) -> Browser:
    """Headless Debian chromium (fails with the reason if it is not installed)."""
    if shutil.which(CHROMIUM) is None:
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)


def each_question(question_id: Callable[[], str | None]) -> Iterator[str]:
    """The id of each question shown (``question_id`` reads the page now), one after another while the caller
    answers each, until the interview ends; an interview that never ends fails rather than hangs."""
    for _ in range(2 * len(QUESTIONNAIRE.questions)):
        shown = question_id()
        if shown is None:
            return
        yield shown
    raise AssertionError("the interview never ended")


@dataclass
class WebPerson:
    """Someone answering the interview in one browser page."""

    page: Page
    url: str
    asked: list[str] = field(default_factory=list)

    def start(self) -> None:
        """Open the start page and press its button."""
        self.page.goto(self.url + "/")
        self.submit(self.page.locator("form button[type=submit]").first)

    def submit(self, button: Any) -> None:
        """Press a submit button and wait for the page it leads to (after the redirect) to load."""
        with self.page.expect_navigation():
            button.click()

    def question_id(self) -> str | None:
        """The id of the question on the page, or None when the page asks none (the result)."""
        hidden = self.page.locator("form input[type=hidden][name=question]")
        return hidden.get_attribute("value") if hidden.count() else None

    def questions(self) -> Iterator[str]:
        """The id of each question shown, one after another (the caller answers each), until the interview ends;
        an interview that never ends fails rather than hangs."""
        return each_question(self.question_id)

    def form(self) -> Any:
        """The form of the question on the page."""
        return self.page.locator("form:has(input[type=hidden][name=question])")

    def choose(self, question_id: str, value: Any) -> None:
        """Give ``value`` to the question on the page without submitting."""
        if QUESTIONNAIRE.question(question_id).type == "number":
            self.page.fill(f"input[name={question_id}]", form_value(value))
        else:
            self.page.check(f"input[name={question_id}][value='{form_value(value)}']")

    def answer(self, value: Any) -> str:
        """Answer the question on the page with ``value`` and submit it; the question's id."""
        question_id = self.question_id()
        assert question_id is not None, f"no question on the page: {self.page.url}"
        self.choose(question_id, value)
        self.submit(self.form().locator("button[type=submit]").first)
        self.asked.append(question_id)
        return question_id

    def back(self) -> None:
        """Press Back (the second submit button of the form)."""
        self.submit(self.form().locator("button[type=submit]").nth(1))

    def answer_all(self, script: dict[str, Any], until: str | None = None) -> list[str]:
        """Answer every question asked from ``script`` (a missing one: not sure), up to ``until`` or the end."""
        for question_id in self.questions():
            if question_id == until:
                break
            self.answer(script.get(question_id))
        return self.asked

    def urgency(self) -> str | None:
        """The level code the page carries in ``data-urgency`` (emergency and result pages)."""
        marked = self.page.locator("[data-urgency]")
        return marked.first.get_attribute("data-urgency") if marked.count() else None

    def questions_asked(self) -> int:
        """How many questions the result page says were asked."""
        return int(self.page.locator("[data-questions-asked]").get_attribute("data-questions-asked") or "-1")

    def screenshot(self, folder: Path, name: str) -> Path:
        """A full-page screenshot, kept as a test artefact."""
        path = folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path
