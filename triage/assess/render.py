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
from collections.abc import Collection, Mapping
from dataclasses import dataclass
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

#: The headings of the person's view.
WHY = "Why"
WHAT_TO_DO = "What to do"
GET_HELP = "When to get help at once"
OPEN_QUESTIONS = "Questions not answered that could change this result"
#: The first words a person reads when an interview ends in an emergency, then what to do.
EMERGENCY_HEADLINE = "EMERGENCY: PLEASE ACT NOW"
EMERGENCY_FIRST = "Do not wait to see if it gets better, and do not drive yourself."

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
                view: View = "person", meta: RuleBaseMeta | None = None, not_sure: Collection[str] = ()) -> str:
    """The assessment as text for ``view``; ``labels`` maps each level to its headline label.

    ``meta`` (the rule base's ``rulebase.yaml``) lets the clinician's view name each
    criterion and expand source keys to their titles; without it they are shown as keys.
    ``not_sure``: the questions an interview's person answered "Not sure" (see ``person_view``).
    """
    if view == "clinician":
        return _clinician(assessment, labels, width, meta)
    if view != "person":
        raise ValueError(f"unknown view {view!r}: one of {', '.join(VIEWS)}")
    return _person(assessment, labels, width, not_sure)


def emergency_banner(assessment: Assessment, width: int = WIDTH) -> str:
    """What to do, first and in a few words, when an interview ends in an emergency."""
    rule = "=" * width
    lines = [rule, *wrap(EMERGENCY_HEADLINE, width, "  "), ""]
    lines += wrap(assessment.urgency_meaning, width, "  ")
    lines += wrap(f"{EMERGENCY_FIRST} The reasons are below.", width, "  ")
    return "\n".join([*lines, rule, ""]) + "\n"


# --- the person's view ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonReason:
    """One reason as the person reads it: its number, its title and the answers behind it in plain words."""

    number: int
    title: str
    answers: tuple[str, ...]  # "what was asked: answer", one per answer behind it
    note: str | None = None  # said instead of the answers (when only unanswered questions stand behind it)


@dataclass(frozen=True)
class OpenGroup:
    """Unanswered questions that could change the result, under what their answers could lead to."""

    heading: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class PersonView:
    """The person's view of an assessment, part by part: the text view writes it, and so does the web page."""

    title: str
    level: str  # the level's label, in words (EMERGENCY, URGENT, ...)
    meaning: str
    notes: tuple[str, ...]  # the surgical consultation, and that it may be more urgent than shown
    why: tuple[PersonReason, ...]
    why_text: str | None  # said under "Why" when no reason sets the level (self-care)
    also_heading: str | None
    also: tuple[PersonReason, ...]
    advice: tuple[str, ...]
    safety_netting: tuple[str, ...]
    open_questions: tuple[OpenGroup, ...]
    footer: str


def person_view(a: Assessment, labels: Mapping[Urgency, str], not_sure: Collection[str] = ()) -> PersonView:
    """The person's view of an assessment: what ``render_text`` writes for ``view="person"``, as parts.

    ``not_sure``: the questions the person answered "Not sure" (an interview knows; a case file does not),
    which the reasons then call "not sure" rather than "not answered".
    """
    notes = ([_SURGICAL] if a.surgical_consultation else []) + ([] if a.complete else [_INCOMPLETE])
    shown = person_reasons(a.reasons)
    setting = [r for r in shown if r.urgency == a.urgency]
    others = [r for r in shown if r.urgency != a.urgency]
    why_text = "None of the warning signs we ask about applies to you." \
        if not setting and a.urgency == Urgency.SELF_CARE else None
    also_heading = None
    if others:
        also_heading = ("Also found (less urgent on its own)" if len(others) == 1
                        else "Also found (each less urgent on its own)")
    return PersonView(
        title=f"Triage assessment{f' of {a.case_id}' if a.case_id else ''}",
        level=labels[a.urgency], meaning=a.urgency_meaning, notes=tuple(notes),
        why=tuple(_person_reason(r, n, a, not_sure) for n, r in enumerate(setting, 1)), why_text=why_text,
        also_heading=also_heading,
        also=tuple(_person_reason(r, n, a, not_sure) for n, r in enumerate(others, len(setting) + 1)),
        advice=tuple(a.advice), safety_netting=tuple(a.safety_netting),
        open_questions=tuple(_open_groups(a, "person")),
        footer=f"triage gives decision support, not a diagnosis (rules {a.rules_version}, {a.rules_hash[:12]}).",
    )


def _person(a: Assessment, labels: Mapping[Urgency, str], width: int, not_sure: Collection[str] = ()) -> str:
    view = person_view(a, labels, not_sure)
    lines = [*wrap(view.title, width, "  ", ""), ""]
    lines += [*wrap(view.level, width, "  "), *wrap(view.meaning, width, "  ")]
    for note in view.notes:
        lines += wrap(note, width, "  ")
    if view.why or view.why_text:
        lines += ["", WHY]
        lines += [line for reason in view.why for line in _reason_lines(reason, width)]
        if view.why_text:
            lines += wrap(view.why_text, width, "  ")
    if view.also_heading:
        lines += ["", *wrap(view.also_heading, width, "")]
        lines += [line for reason in view.also for line in _reason_lines(reason, width)]
    lines += ["", WHAT_TO_DO, *_items(list(view.advice), width)]
    if view.safety_netting:
        lines += ["", *wrap(GET_HELP, width, ""), *_items(list(view.safety_netting), width)]
    lines += _open_lines(list(view.open_questions), width)
    lines += ["", *wrap(view.footer, width, "")]
    return "\n".join(lines) + "\n"


def _reason_lines(reason: PersonReason, width: int) -> list[str]:
    lines = wrap(reason.title, width, "     ", f"  {reason.number}. ")
    if reason.note:
        return lines + wrap(reason.note, width, "       ")
    for answer in reason.answers:
        lines += wrap(answer, width, "         ", "       - ")
    return lines


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


def _person_reason(reason: Reason, number: int, a: Assessment, not_sure: Collection[str] = ()) -> PersonReason:
    unanswered = set(a.unanswered)
    if reason.because and all(v is None and f in unanswered for f, v in reason.because.items()):
        # Only unanswered questions stand behind it (the 'soon' floor): they are listed at the end.
        return PersonReason(number, reason.title, (), "(the questions not answered are listed at the end)")
    return PersonReason(number, reason.title, tuple(_because_words(reason, f, v, not_sure=not_sure)
                                                    for f, v in reason.because.items()))


def _because_words(reason: Reason, field: str, value: Any, view: View = "person",
                   not_sure: Collection[str] = ()) -> str:
    """One answer behind a reason; an unanswered one the reason assumes says so ("not answered, taken as no"), and
    one the person answered "Not sure" says "not sure"."""
    asked = question_words(field) if view == "person" else field
    unknown = "not sure" if field in not_sure else "not answered"
    if field in reason.assumed:
        return f"{asked}: {unknown} (taken as {answer_words(field, reason.assumed[field])})"
    return f"{asked}: {unknown if value is None else answer_words(field, value)}"


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
    lines += _open_lines(_open_groups(a, "clinician"), width)
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


def _open_groups(a: Assessment, view: View) -> list[OpenGroup]:
    """The questions not answered that could change the result, most serious first, under what each could lead to."""
    groups: list[tuple[str, list[str]]] = []
    for question in a.open_questions:
        could = _COULD.get(question.could_reach) if question.could_reach > a.urgency else None
        could = could or "Needed to be sure of this result:"
        if not groups or groups[-1][0] != could:
            groups.append((could, []))
        field = question.field
        groups[-1][1].append(question_words(field) if view == "person" else f"{field}: {question_words(field)}")
    return [OpenGroup(heading, tuple(questions)) for heading, questions in groups]


def _open_lines(groups: list[OpenGroup], width: int) -> list[str]:
    if not groups:
        return []
    lines = ["", *wrap(OPEN_QUESTIONS, width, "")]
    for group in groups:
        lines += wrap(group.heading, width, "  ")
        for item in group.questions:
            lines += wrap(item, width, "      ", "    - ")
    return lines
