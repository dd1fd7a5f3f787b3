"""The assessment as text: the person's view, the clinician's view, and the interview's emergency banner.

The person's view is in plain words: the level and what to do, the reasons in the words of
the rule titles with the answers behind them as the questions put them, advice, when to
get help at once, and the questions left unanswered. It names no field ids, criterion ids
or source keys. The clinician's view adds what a clinician checks: criterion and rule ids,
each reason's level and surgical flag, the answers by field name, the findings, every
fired rule and each reason's full source with its source keys expanded to the titles in
``rulebase.yaml``. Both are written from the same ``Assessment``; the JSON carries
everything either shows.

Lines are wrapped at word boundaries to ``width`` columns (a word longer than a line is
left whole, and hyphenated words are not split).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from typing import Any, Literal

from ..language.rulebook import RuleBaseMeta
from ..models import DOMAINS, Assessment, Reason, Urgency

WIDTH = 88

View = Literal["person", "clinician"]
#: The views ``render_text`` can write, the person's first (the default).
VIEWS: tuple[View, ...] = ("person", "clinician")

#: What a question asked, where the case-format description reads badly before ": answer".
_LABELS = {"region": "where the main pain is"}

#: Choice answers in the words of the questions' options (triage/data/questionnaires/spine.yaml).
_CHOICE_WORDS: dict[str, dict[str, str]] = {
    "region": {"lumbar": "low back", "cervical": "neck", "thoracic": "middle of the back"},
    "weakness": {"none": "no weakness", "stable": "yes, but it is not getting worse",
                 "progressive": "yes, and it is getting worse"},
    "leg_pain": {"none": "no", "one_leg": "yes, into one leg", "both_legs": "yes, into both legs"},
    "arm_pain": {"none": "no", "one_arm": "yes, into one arm", "both_arms": "yes, into both arms"},
    "pain_trend": {"improving": "getting better", "stable": "about the same", "worsening": "getting worse"},
    "conservative_care_response": {"improved": "they have improved", "no_change": "no change",
                                   "worse": "they have got worse"},
}

_SURGICAL = ("These answers meet a criterion for a consultation with a spinal surgeon; the doctor who sees you "
             "should arrange it.")
_INCOMPLETE = ("This may be more urgent than shown: some questions that could change it were not answered "
               "(listed at the end). Answer them, or go through them with a doctor, as soon as you can.")


def answer_words(field: str, value: Any) -> str:
    """An answer in plain words: ``yes``, ``no``, ``not answered``, or the words of the question's option."""
    if value is None:
        return "not answered"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return _CHOICE_WORDS.get(field, {}).get(str(value), str(value).replace("_", " "))


def question_words(field: str) -> str:
    """What a case field asks, in plain words (its case-format description)."""
    if field in _LABELS:
        return _LABELS[field]
    return DOMAINS[field].description if field in DOMAINS else field.replace("_", " ")


def answer_text(field: str, value: Any) -> str:
    """One answer as "what was asked: answer" in plain words."""
    return f"{question_words(field)}: {answer_words(field, value)}"


def wrap(text: str, width: int, indent: str, first: str | None = None) -> list[str]:
    """``text`` as lines of at most ``width`` columns, broken only between words."""
    return textwrap.wrap(text, width, initial_indent=first if first is not None else indent,
                         subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [indent.rstrip()]


def render_text(assessment: Assessment, labels: Mapping[Urgency, str], width: int = WIDTH, *,
                view: View = "person", meta: RuleBaseMeta | None = None) -> str:
    """The assessment as text for ``view``; ``labels`` maps each level to its headline label.

    ``meta`` (the rule base's ``rulebase.yaml``) lets the clinician's view name each
    criterion and expand source keys to their titles; without it they are shown as keys.
    """
    if view == "clinician":
        return _clinician(assessment, labels, width, meta)
    if view != "person":
        raise ValueError(f"unknown view {view!r}: one of {', '.join(VIEWS)}")
    return _person(assessment, labels, width)


def emergency_banner(assessment: Assessment, width: int = WIDTH) -> str:
    """What to do, first and in a few words, when an interview ends in an emergency."""
    rule = "=" * width
    lines = [rule, *wrap("EMERGENCY: PLEASE ACT NOW", width, "  "), ""]
    lines += wrap(assessment.urgency_meaning, width, "  ")
    lines += wrap("Do not wait to see if it gets better, and do not drive yourself. The reasons are below.",
                  width, "  ")
    return "\n".join([*lines, rule, ""]) + "\n"


# --- the person's view ---------------------------------------------------------------------------------


def _person(a: Assessment, labels: Mapping[Urgency, str], width: int) -> str:
    lines = [*wrap(f"Triage assessment{f' of {a.case_id}' if a.case_id else ''}", width, "  ", ""), ""]
    lines += [*wrap(labels[a.urgency], width, "  "), *wrap(a.urgency_meaning, width, "  ")]
    if a.surgical_consultation:
        lines += wrap(_SURGICAL, width, "  ")
    if not a.complete:
        lines += wrap(_INCOMPLETE, width, "  ")
    shown = person_reasons(a.reasons)
    setting = [r for r in shown if r.urgency == a.urgency]
    others = [r for r in shown if r.urgency != a.urgency]
    if setting:
        lines += ["", "Why"]
        for number, reason in enumerate(setting, 1):
            lines += _person_reason(reason, number, a, width)
    elif a.urgency == Urgency.SELF_CARE:
        lines += ["", "Why", *wrap("None of the warning signs we ask about applies to you.", width, "  ")]
    if others:
        lines += ["", *wrap("Also found (less urgent on its own)" if len(others) == 1
                            else "Also found (each less urgent on its own)", width, "")]
        for number, reason in enumerate(others, len(setting) + 1):
            lines += _person_reason(reason, number, a, width)
    lines += ["", "What to do", *_items(a.advice, width)]
    if a.safety_netting:
        lines += ["", *wrap("When to get help at once", width, ""), *_items(a.safety_netting, width)]
    lines += _unanswered(a, width, "person")
    lines += ["", *wrap(f"triage gives decision support, not a diagnosis (rules {a.rules_version}, "
                        f"{a.rules_hash[:12]}).", width, "")]
    return "\n".join(lines) + "\n"


def person_reasons(reasons: list[Reason]) -> list[Reason]:
    """The reasons a person is shown: all but those another reason of the same criterion already says.

    Two rules of one criterion often fire on the same answers (S5: clumsy hands or unsteady
    walking, and both of them with a surgical consultation); the person is shown the one
    that says more: at least as urgent, on at least the same answers, at least as surgical.
    """
    def says_more(other: Reason, reason: Reason) -> bool:
        return (other.criterion == reason.criterion and other.urgency >= reason.urgency
                and other.surgical >= reason.surgical and reason.because.items() <= other.because.items())

    kept = []
    for number, reason in enumerate(reasons):
        # Of two that say the same, the later is kept (rules are written general first, then specific).
        if not any(says_more(other, reason) and (not says_more(reason, other) or later > number)
                   for later, other in enumerate(reasons) if later != number):
            kept.append(reason)
    return kept


def _person_reason(reason: Reason, number: int, a: Assessment, width: int) -> list[str]:
    lines = wrap(reason.title, width, "     ", f"  {number}. ")
    unanswered = set(a.unanswered)
    if reason.because and all(v is None and f in unanswered for f, v in reason.because.items()):
        # Only unanswered questions stand behind it (the 'soon' floor): they are listed at the end.
        return lines + wrap("(the questions not answered are listed at the end)", width, "       ")
    for field, value in reason.because.items():
        lines += wrap(_because_words(reason, field, value), width, "         ", "       - ")
    return lines


def _because_words(reason: Reason, field: str, value: Any, view: View = "person") -> str:
    """One answer behind a reason; an unanswered one the reason assumes says so ("not answered, taken as no")."""
    asked = question_words(field) if view == "person" else field
    if field in reason.assumed:
        return f"{asked}: not answered (taken as {answer_words(field, reason.assumed[field])})"
    return f"{asked}: {answer_words(field, value)}"


# --- the clinician's view ------------------------------------------------------------------------------


def _clinician(a: Assessment, labels: Mapping[Urgency, str], width: int, meta: RuleBaseMeta | None) -> str:
    lines = [*wrap(f"Triage assessment{f' of {a.case_id}' if a.case_id else ''}: clinician's view", width, "  ", ""),
             ""]
    lines += [*wrap(f"{labels[a.urgency]} ({a.urgency})", width, "  "), *wrap(a.urgency_meaning, width, "  ")]
    lines += wrap(f"Surgical consultation: {'yes' if a.surgical_consultation else 'no'}. "
                  f"Complete: {'yes' if a.complete else 'no (unanswered questions could change the level)'}.",
                  width, "  ")
    lines += wrap(f"Findings: {', '.join(a.findings) or 'none'}.", width, "  ")
    if a.reasons:
        lines += ["", *wrap("Reasons (criteria that set a level)", width, "")]
        for number, reason in enumerate(a.reasons, 1):
            lines += _clinician_reason(reason, number, width, meta)
    else:
        lines += ["", *wrap("Reasons (criteria that set a level)", width, ""),
                  *wrap("none: no criterion applies (self-care)", width, "  ")]
    lines += ["", "Advice given", *_items(a.advice, width)]
    if a.safety_netting:
        lines += ["", "Safety-netting given", *_items(a.safety_netting, width)]
    lines += _unanswered(a, width, "clinician")
    lines += ["", *wrap(f"Rules fired: {', '.join(a.fired_rules) or 'none'}.", width, "")]
    lines += _sources_cited(a, width, meta)
    lines += ["", *wrap(f"Rules {a.rules_version}, sha256 {a.rules_hash}.", width, "")]
    return "\n".join(lines) + "\n"


def _clinician_reason(reason: Reason, number: int, width: int, meta: RuleBaseMeta | None) -> list[str]:
    criterion = meta.criteria.get(reason.criterion) if meta is not None else None
    named = f"{reason.criterion} {criterion.title}" if criterion is not None else reason.criterion
    flags = f"{reason.urgency}{', surgical' if reason.surgical else ''}"
    lines = wrap(f"{named} [{flags}; rule {reason.rule}]", width, "     ", f"  {number}. ")
    lines += wrap(reason.title, width, "     ")
    for field, value in reason.because.items():
        lines += wrap(_because_words(reason, field, value, "clinician"), width, "         ", "       - ")
    lines += wrap(f"Source: {reason.source}", width, "       ", "     ")
    return lines


def _sources_cited(a: Assessment, width: int, meta: RuleBaseMeta | None) -> list[str]:
    """Each source key the reasons cite, with its title from rulebase.yaml, in the order first cited."""
    if meta is None:
        return []
    cited = list(dict.fromkeys(k for r in a.reasons for k in source_keys(r.source, meta.sources)))
    if not cited:
        return []
    lines = ["", "Sources cited"]
    for key in cited:
        lines += wrap(f"{key}: {meta.sources[key]}", width, "      ", "  - ")
    return lines


def source_keys(source: str, sources: Mapping[str, str]) -> list[str]:
    """The keys of ``sources`` that a source text cites, in the order they appear in it."""
    found = []
    for key in sources:
        match = re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", source)
        if match:
            found.append((match.start(), key))
    return [key for _, key in sorted(found)]


# --- shared --------------------------------------------------------------------------------------------


def _items(items: list[str], width: int) -> list[str]:
    return [line for item in items for line in wrap(item, width, "    ", "  - ")]


#: What an unanswered question's answer could lead to, by the highest level it could reach.
_COULD = {
    Urgency.EMERGENCY: "Could make this an emergency:",
    Urgency.URGENT: "Could make this urgent (a doctor today):",
    Urgency.SOON: "Could mean seeing a doctor within days:",
    Urgency.ROUTINE: "Could mean a routine appointment or referral:",
}


def _unanswered(a: Assessment, width: int, view: View) -> list[str]:
    """The questions not answered that could change the result, most serious first, under what each could lead to."""
    if not a.open_questions:
        return []
    lines = ["", *wrap("Questions not answered that could change this result", width, "")]
    heading = None
    for question in a.open_questions:
        could = _COULD.get(question.could_reach) if question.could_reach > a.urgency else None
        could = could or "Needed to be sure of this result:"
        if could != heading:
            lines += wrap(could, width, "  ")
            heading = could
        field = question.field
        item = question_words(field) if view == "person" else f"{field}: {question_words(field)}"
        lines += wrap(item, width, "      ", "    - ")
    return lines
