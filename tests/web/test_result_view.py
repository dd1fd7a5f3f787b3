"""The result page is the person's view: on every golden case, each part of it, in its order (the emergency's
what-to-do first), the level in words and the code in ``data-urgency``; and nothing of the clinician's view."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from triage.assess.assessor import Assessor
from triage.assess.render import person_view
from triage.cases import load_case
from triage.interview.runner import InterviewResult
from triage.language.rulebook import RuleBase
from triage.models import DOMAINS, Assessment
from triage.service.web import pages

from ..conftest import CASES_DIR, ROOT

CASES = sorted(CASES_DIR.glob("*.yaml")) + sorted((ROOT / "examples").glob("*.*"))


def _text(page: str) -> str:
    """The words of the page's main part, as a person reads them."""
    main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def assessed(assessor: Assessor) -> list[tuple[str, Assessment]]:
    """Every golden case and example, assessed."""
    return [(path.name, assessor.assess(load_case(str(path)))) for path in CASES]


def test_the_result_page_says_every_part_of_the_persons_view_in_order(
        assessed: list[tuple[str, Assessment]], rulebase: RuleBase) -> None:
    """Level, meaning, notes, why, also found, what to do, when to get help, open questions, footer: all, in order."""
    for name, assessment in assessed:
        page = pages.result_page(InterviewResult(assessment, {}, 12, False), rulebase.labels, csrf="0", title="t")
        text = _text(page)
        view = person_view(assessment, rulebase.labels)
        marked = re.search(r'data-urgency="([a-z_]+)"', page)
        assert marked is not None and marked.group(1) == assessment.urgency, name
        parts = [view.meaning, *view.notes]
        reasons = [piece for reason in (*view.why, *view.also)
                   for piece in (reason.title, *reason.answers, *([reason.note] if reason.note else []))]
        reasons += [view.why_text] if view.why_text else []
        advice = ["What to do", *view.advice]
        if assessment.urgency == "emergency":
            parts += advice + reasons  # what to do first, then why
        else:
            parts += reasons + advice
        parts += [*view.safety_netting]
        parts += [piece for group in view.open_questions for piece in (group.heading, *group.questions)]
        parts += [view.title, view.footer]
        position = 0
        for part in parts:
            found = text.find(_flat(part), position)
            assert found >= 0, (name, part)
            position = found + len(_flat(part))
        level = "EMERGENCY: PLEASE ACT NOW" if assessment.urgency == "emergency" else view.level
        assert level in text, name


def test_the_result_page_names_no_internals(assessed: list[tuple[str, Assessment]], rulebase: RuleBase) -> None:
    """No field id, rule id or source key reaches the person's page (they are in the JSON download)."""
    field_ids = [name for name in DOMAINS if "_" in name]
    for name, assessment in assessed:
        text = _text(pages.result_page(InterviewResult(assessment, {}, 3, True), rulebase.labels, csrf="0",
                                       title="t"))
        text = text.replace(assessment.case_id or "\0", "CASE")  # the golden cases are named after their rules
        assert [f for f in field_ids if f in text] == [], name
        assert [k for k in rulebase.meta.sources if k in text] == [], name
        assert [r for r in assessment.fired_rules if re.search(rf"(?<![\w-]){r}(?![\w-])", text)] == [], name


def test_the_question_page_is_escaped(tmp_path: Path) -> None:
    """Text reaches the page escaped: a posted value with markup is shown as text, never as markup."""
    from triage.interview.questionnaire import load_questionnaire
    from triage.interview.runner import Prompt

    questionnaire = load_questionnaire()
    asking = Prompt(questionnaire.question("age"), questionnaire.section_of["age"], section_starts=False, number=2,
                    remaining=30, has_default=False)
    page = pages.question_page(asking, csrf="0", title="t", posted='"><script>alert(1)</script>',
                               problem="Enter a whole number")
    assert "<script>" not in page and "&lt;script&gt;" in page and 'value="&#34;&gt;&lt;script' in page
