"""One interview logic: the same answers in a browser, at a terminal and from a file give the same result.

The browser (headless chromium), the terminal (a pseudo-terminal, pexpect) and
``triage interview --answers`` each answer the same answer set; the level, the surgical
flag, completeness, the unanswered questions and the questions asked (which, in which
order, and how many) must be identical.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from ..service.conftest import Server
from ..test_interview import all_no_script
from .browser import WebPerson
from .interfaces import scripted, terminal_interview

ANSWER_SETS: dict[str, dict[str, Any]] = {
    "all no: self-care": all_no_script(),
    "saddle numbness getting worse: emergency": all_no_script(saddle_numbness=True, ces_symptoms_days=60,
                                                             ces_symptoms_worsening=True),
    "U5: 60 days, not worse": all_no_script(age=30, duration_days=60, saddle_numbness=True, ces_symptoms_days=60,
                                            ces_symptoms_worsening=False),
    "night pain, fever and saddle not sure: soon, incomplete": all_no_script(night_pain=True, fever=None,
                                                                             saddle_numbness=None),
    "neck, clumsy hands and unsteady walking, not sure of age": all_no_script(
        region="cervical", age=None, hand_clumsiness=True, gait_unsteady=True, occipital_headache=True,
        conservative_care_weeks=12, conservative_care_response="worse"),
}
COMPARED = ("urgency", "surgical_consultation", "complete", "unanswered", "questions_asked")


@pytest.mark.parametrize("name", ANSWER_SETS)
def test_the_browser_the_terminal_and_answers_agree(page: Page, web_server: Server, tmp_path: Path,
                                                    name: str) -> None:
    """Same answers, same result: level, surgical flag, completeness, open questions, the questions asked."""
    script = ANSWER_SETS[name]
    person = WebPerson(page, web_server.url)
    person.start()
    web_asked = person.answer_all(script)
    web = page.request.get(web_server.url + "/result/assessment.json").json()
    web["questions_asked"] = person.questions_asked()
    assert person.urgency() == web["urgency"]

    terminal_asked, terminal = terminal_interview(tmp_path, script)
    from_file = scripted(tmp_path, script)

    assert web_asked == terminal_asked
    assert len(web_asked) == web["questions_asked"]
    for key in COMPARED:
        assert web[key] == terminal[key] == from_file[key], key
