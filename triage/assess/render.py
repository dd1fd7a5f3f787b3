"""Plain-text rendering of an assessment, for a person in a terminal and for the clinician reading over it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from typing import Any

from ..models import DOMAINS, Assessment, Urgency

WIDTH = 88

#: Answers in the words a person would use, where the stored value is a code.
_VALUE_WORDS = {"lumbar": "low back", "cervical": "neck", "thoracic": "mid back"}


def answer_text(field: str, value: Any) -> str:
    """One answer as "what was asked: answer" in plain words."""
    label = DOMAINS[field].description if field in DOMAINS else field
    if value is None:
        shown = "not answered"
    elif value is True:
        shown = "yes"
    elif value is False:
        shown = "no"
    else:
        shown = _VALUE_WORDS.get(str(value), str(value).replace("_", " "))
    return f"{label}: {shown}"


def _wrapper(width: int) -> Callable[..., list[str]]:
    """A wrap function at ``width`` columns that breaks lines only between words."""

    def wrap(text: str, indent: str, first: str | None = None) -> list[str]:
        return textwrap.wrap(text, width, initial_indent=first if first is not None else indent,
                             subsequent_indent=indent, break_long_words=False,
                             break_on_hyphens=False) or [indent.rstrip()]

    return wrap


def render_text(assessment: Assessment, labels: Mapping[Urgency, str], width: int = WIDTH) -> str:
    """The assessment as readable text wrapped at ``width``; ``labels`` maps each level to its headline label."""
    _wrap = _wrapper(width)
    a = assessment  # read below many times: a short name keeps the layout legible
    lines = [*_wrap(f"Triage assessment{f' of {a.case_id}' if a.case_id else ''}"
                    f"  (rules {a.rules_version}, {a.rules_hash[:12]})", "", ""), ""]
    lines.append(f"  {labels[a.urgency]}")
    lines += _wrap(a.urgency_meaning, "  ")
    if a.surgical_consultation:
        lines += _wrap("These answers meet a criterion for a consultation with a spinal surgeon; "
                       "the doctor who sees you should arrange it.", "  ")
    if not a.complete:
        lines += _wrap("This may be more urgent than shown: some questions that could change it were not "
                       "answered (listed at the end). Answer them, or go through them with a doctor, as soon "
                       "as you can.", "  ")
    if a.reasons:
        lines += ["", "Why"]
        for number, reason in enumerate(a.reasons, 1):
            lines += _wrap(f"[{reason.criterion}, {reason.urgency}] {reason.title}", "     ", f"  {number}. ")
            for field, value in reason.because.items():
                lines += _wrap(answer_text(field, value), "         ", "       - ")
            lines += _wrap(f"Source: {reason.source}", "       ")
    elif a.urgency == "self_care":
        lines += ["", "Why", "  None of the warning signs we ask about applies to you."]
    lines += ["", "What to do"]
    for item in a.advice:
        lines += _wrap(item, "    ", "  - ")
    if a.safety_netting:
        lines += ["", "Safety-netting: when to get help at once"]
        for item in a.safety_netting:
            lines += _wrap(item, "    ", "  - ")
    if a.unanswered:
        lines += ["", "Questions not answered that could change this result"]
        for field in a.unanswered:
            lines += _wrap(f"{DOMAINS[field].description} ({field})", "    ", "  - ")
    return "\n".join(lines) + "\n"


def emergency_banner(assessment: Assessment, width: int = WIDTH) -> str:
    """What to do, first and in a few words, when an interview ends in an emergency; wrapped at ``width``."""
    _wrap = _wrapper(width)
    rule = "=" * width
    lines = [rule, "  EMERGENCY: PLEASE ACT NOW", ""]
    lines += _wrap(assessment.urgency_meaning, "  ")
    lines += _wrap("Do not wait to see if it gets better, and do not drive yourself. The reasons are below.", "  ")
    return "\n".join([*lines, rule, ""]) + "\n"
