"""The pages of the browser interview: Jinja2 templates filled from the interview and the person's view.

A question page names its form field by the question id and its options by the answers
of the case format (``true``/``false``, the choice codes, a number; "not sure" is the empty
value), so that a test or an assistive tool can answer it without reading the words.
``read_reply`` turns a posted form back into the answer the interview takes, or says in
plain words what is wrong. Nothing here touches the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from triage.assess.render import (
    EMERGENCY_HEADLINE,
    GET_HELP,
    OPEN_QUESTIONS,
    WHAT_TO_DO,
    WHY,
    person_view,
)
from triage.interview.questionnaire import Question, Questionnaire
from triage.interview.runner import InterviewResult, Prompt
from triage.interview.sessions import answer_problems
from triage.interview.terminal import progress_text
from triage.models import Urgency

from .flow import BACK

_ENVIRONMENT = Environment(
    loader=PackageLoader("triage.service.web", "templates"), autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
)


def render(template: str, **context: Any) -> str:
    """A page from its template (every value escaped; a name the template uses but is not given is an error)."""
    return _ENVIRONMENT.get_template(template).render(**context)


@dataclass(frozen=True)
class Option:
    """One radio button: its id, the value posted, its words and whether it is chosen."""

    id: str
    value: str
    label: str
    checked: bool


def form_value(value: Any) -> str:
    """An answer as the form posts it: ``true``/``false``, a choice code, a number, or empty for not sure."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def options(question: Question, chosen: str | None) -> list[Option]:
    """The radio buttons of a yes/no or choice question, "Not sure" last; ``chosen`` is the posted value to check."""
    if question.type == "yes_no":
        offered = [("true", "Yes"), ("false", "No")]
    else:
        offered = [(o.value, o.label) for o in question.choices]
    offered.append(("", "Not sure"))
    return [Option(f"{question.id}-{value or 'not-sure'}", value, label, chosen == value) for value, label in offered]


def number_hint(question: Question) -> str:
    """What a number field takes."""
    return f"A whole number from {question.minimum} to {question.maximum}. Not sure? Leave the box empty."


class Problem(ValueError):
    """A posted answer that cannot be taken, in words for the person."""


def read_reply(questionnaire: Questionnaire, question: Question, form: dict[str, str]) -> Any:
    """The reply a posted question form gives: an answer, ``None`` for not sure, or ``BACK``.

    Raises ``Problem`` when no answer was chosen or the number is not one the question takes.
    """
    if form.get("action") == "back":
        return BACK
    if question.id not in form:
        raise Problem("Choose an answer. If you do not know, choose Not sure.")
    raw = form[question.id].strip()
    if raw == "":
        return None
    value: Any
    if question.type == "yes_no":
        value = {"true": True, "false": False}.get(raw, raw)
    elif question.type == "choice":
        value = raw
    else:
        if not (raw.isascii() and raw.isdigit()):
            raise Problem(f"Enter a whole number from {question.minimum} to {question.maximum} (digits only), or "
                          "leave the box empty if you are not sure.")
        value = int(raw)
        if not question.minimum <= value <= question.maximum:
            raise Problem(f"Enter a number from {question.minimum} to {question.maximum}, or leave the box empty "
                          "if you are not sure.")
    if answer_problems({question.id: value}, questionnaire, "answer"):
        raise Problem("Choose one of the answers. If you do not know, choose Not sure.")
    return value


def question_page(asking: Prompt, *, csrf: str, title: str, posted: str | None = None, problem: str | None = None,
                  notice: str | None = None) -> str:
    """The page of one question as the runner puts it; ``posted`` is what the person sent (shown again with
    ``problem``)."""
    question = asking.question
    if posted is None and asking.has_default:
        posted = form_value(asking.default)
    first_control = question.id if question.type == "number" else options(question, None)[0].id
    return render(
        "question.html", title=title, csrf=csrf, asking=asking, question=question, progress=progress_text(asking),
        options=options(question, posted) if question.type != "number" else [],
        number_value=(posted or "") if question.type == "number" else "", number_hint=number_hint(question),
        earlier_not_sure=question.type == "number" and asking.has_default and asking.default is None
        and problem is None,
        problem=problem, first_control=first_control, notice=notice or asking.notice,
    )


def result_page(result: InterviewResult, labels: dict[Urgency, str], *, csrf: str, title: str) -> str:
    """The result: the person's view of the assessment, the emergency first when it is one."""
    assessment = result.assessment
    not_sure = result.asked - result.case_answers.keys()  # answered, but with "Not sure"
    return render(
        "result.html", title=title, csrf=csrf, view=person_view(assessment, labels, not_sure),
        code=assessment.urgency.value,
        emergency=assessment.urgency == Urgency.EMERGENCY, stopped_early=result.stopped_early,
        questions_asked=result.questions_asked, headline=EMERGENCY_HEADLINE,
        headings={"why": WHY, "what_to_do": WHAT_TO_DO, "get_help": GET_HELP, "open": OPEN_QUESTIONS},
    )
