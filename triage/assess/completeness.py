"""Completeness: whether the questions left unanswered could change an assessment (unknown is not no).

clinical-criteria.md, safety property 1: the case is chained a second time with every
unanswered yes/no question answered yes, every unanswered choice at its most severe value
and every unanswered severity number at its worst (``worst_case``; the most severe answer
of each field is declared with the case format, ``models.most_severe``). An unanswered
question that makes a level-setting rule fire there *could change the assessment*; it
*could raise* the level when that rule's level is higher. The case is incomplete when
such a question could raise its level, or when a required answer (age, region) is
unknown. Below ``soon`` any question that could change the assessment holds the case at
``soon`` (the floor), so that answering a question "yes" can never lower the level
(property 2). An emergency is always complete.

This single extra evaluation finds everything a blank could hide because every test in
the rule base holds for more severe answers whenever it holds for less severe ones, or
else holds for an unknown answer too: ``language.checks.unknown_safety_problem``, which
``load_rulebase`` enforces on every rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..language.rulebook import RuleBase
from ..models import ANSWER_FIELDS, DOMAINS, Urgency, most_severe
from .explain import Derivation

#: Answers that must be known for a case below emergency to be complete.
REQUIRED_FOR_COMPLETE = ("age", "region")
#: The lowest level of a case that unanswered questions could change.
FLOOR = Urgency.SOON


def worst_case(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers with every unanswered question given its most severe answer (fields without one stay unknown)."""
    filled = dict(answers)
    for name in DOMAINS:
        if name not in answers and (severe := most_severe(name)) is not None:
            filled[name] = severe
    return filled


@dataclass(frozen=True)
class Completeness:
    """What the unanswered questions do to an assessment."""

    level: Urgency  # the level after the floor
    unanswered: list[str]  # the questions that could raise the level (or, below the floor, change it)
    floored: bool  # the floor raised the level


def _ordered_fields(names: Iterable[str]) -> list[str]:
    wanted = set(names)
    return [name for name in ANSWER_FIELDS if name in wanted]


def open_questions(answers: dict[str, Any], level: Urgency, rulebase: RuleBase,
                   derive: Callable[[dict[str, Any]], Derivation]) -> tuple[list[str], list[str]]:
    """Unanswered questions that could raise the level, and those that could change the assessment."""
    missing_required = [name for name in REQUIRED_FOR_COMPLETE if name not in answers]
    if all(name in answers for name in rulebase.fields_read):
        return missing_required, missing_required  # nothing unanswered that a rule reads
    worst = derive(worst_case(answers))
    raise_, change = set(missing_required), set(missing_required)
    unanswered = set(DOMAINS).difference(answers)  # including those worst_case leaves unknown
    at_floor = level >= FLOOR
    for rule in worst.rules:
        if not rule.urgency or not (rulebase.answers_behind[rule.id] & unanswered):
            continue  # sets no level, or cannot involve an unanswered question
        if at_floor and rule.urgency <= level:
            continue  # at or above the floor only questions that could raise the level matter
        opened = {name for name in worst.raw_because(rule) if name not in answers}
        change |= opened
        if rule.urgency > level:
            raise_ |= opened
    return _ordered_fields(raise_), _ordered_fields(change)


def settle(answers: dict[str, Any], level: Urgency, rulebase: RuleBase,
           derive: Callable[[dict[str, Any]], Derivation]) -> Completeness:
    """The completeness of an assessment at ``level`` below emergency, and the level after the floor."""
    could_raise, could_change = open_questions(answers, level, rulebase, derive)
    if level >= FLOOR:
        return Completeness(level, could_raise, floored=False)
    if could_change:
        return Completeness(FLOOR, could_change, floored=True)
    return Completeness(level, [], floored=False)
