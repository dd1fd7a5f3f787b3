"""Completeness: what the unanswered questions of a case could do to its assessment.

clinical-criteria.md, "Unknown answers: what is certain and what is possible", and safety
property 1 (unknown is not no). The unanswered questions that some rule reads can be
answered in many ways (completions):

- *certain* is the level every completion reaches: the best-case completion, with each
  unanswered question at its least severe answer (``models.least_severe``); a field whose
  answers are not ordered by severity (age, region, the duration of cauda equina symptoms)
  takes each answer the rules tell apart, and the lowest level counts;
- *possible* is the level some completion reaches: the worst-case completion, with each
  unanswered question at its most severe answer (``models.most_severe``), and the highest
  level over the answers the rules tell apart.

The reported level is the higher of *certain* and the level of the answers as given (where a
criterion reads an unknown answer itself, such as E1's "of unknown duration"). The case is
incomplete when *possible* is higher: it then lists the questions whose answers could raise
it, each with the highest level it could lead to, most serious first, and it is at least
``soon``. Below ``soon`` any unanswered question that could fire a level-setting rule holds
the case at ``soon`` (the floor), so that answering a question "yes" never lowers the level
(property 2). An emergency is always complete. Age and region must be known for a case to be
complete.

The reasons shown are true of one and the same person: those of the answers as given when
they set the level, else those that hold in every best-case completion.

Two evaluations find everything a blank could hide because every test in the rule base holds
for more severe answers whenever it holds for less severe ones, or else holds for an unknown
answer too (``language.checks.unknown_safety_problem``, which ``load_rulebase`` enforces).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..language.conditions import FieldTest, leaves
from ..language.rulebook import Rule, RuleBase
from ..language.satisfiability import representatives
from ..models import ANSWER_FIELDS, OpenQuestion, Urgency, least_severe, most_severe
from .explain import Derivation

#: Answers that must be known for a case below emergency to be complete.
REQUIRED_FOR_COMPLETE = ("age", "region")
#: The lowest level of a case that unanswered questions could change.
FLOOR = Urgency.SOON

_ORDER = {name: number for number, name in enumerate(ANSWER_FIELDS)}


def level_of(rules: Iterable[Rule]) -> Urgency:
    """The highest urgency among rules (self-care when none sets one)."""
    return max((rule.urgency for rule in rules if rule.urgency), default=Urgency.SELF_CARE)


def worst_case(answers: dict[str, Any]) -> dict[str, Any]:
    """The answers with every unanswered question ordered by severity given its most severe answer."""
    filled = dict(answers)
    for name in ANSWER_FIELDS:
        if name not in answers and (severe := most_severe(name)) is not None:
            filled[name] = severe
    return filled


@dataclass(frozen=True)
class Completeness:
    """What the unanswered questions do to an assessment, and which derivation explains it."""

    level: Urgency  # the level reported, after the floor
    certain: Urgency
    possible: Urgency
    open_questions: list[OpenQuestion]  # most serious first
    floored: bool  # the floor raised the level
    held: bool  # certain set the level, but no single set of reasons reaches it
    shown: Derivation  # the answers as given, or the first best-case completion
    fired: list[Rule]  # the rules reported as fired: all of them in ``shown``, or those in every completion

    @property
    def complete(self) -> bool:
        """No unanswered question could change the level."""
        return not self.open_questions

    @property
    def reasons(self) -> list[Rule]:
        """The level-setting rules to show as reasons."""
        return [rule for rule in self.fired if rule.urgency]


class Completer:
    """Works out the completeness of assessments against one rule base, with one way of chaining answers."""

    def __init__(self, rulebase: RuleBase, derive: Callable[[dict[str, Any]], Derivation]):
        self.rulebase = rulebase
        self.derive = derive
        tests: dict[str, list[FieldTest]] = {}
        for rule in rulebase.rules:
            for leaf in leaves(rule.when):
                if isinstance(leaf, FieldTest):
                    tests.setdefault(leaf.field, []).append(leaf)
        read = rulebase.fields_read
        #: Fields without a severity order, and the answers that the rules tell apart for each.
        self.enumerated = {name: representatives(name, tests[name], unknown=False)
                           for name in read if most_severe(name) is None}
        self._read = frozenset(read)

    def _completions(self, answers: dict[str, Any], unknown: list[str], worst: bool) -> list[Derivation]:
        """The derivations of the best (or worst) completions, one per combination of enumerated answers."""
        fill = {name: (most_severe(name) if worst else least_severe(name))
                for name in unknown if name not in self.enumerated}
        open_enumerated = [name for name in unknown if name in self.enumerated]
        combos = itertools.product(*(self.enumerated[name] for name in open_enumerated))
        return [self.derive({**answers, **fill, **dict(zip(open_enumerated, combo, strict=True))})
                for combo in combos]

    def settle(self, answers: dict[str, Any], given: Derivation) -> Completeness:
        """The completeness of the assessment of ``answers``, whose own derivation is ``given``."""
        given_level = level_of(given.rules)
        unknown = sorted(self._read.difference(answers), key=_ORDER.__getitem__)
        missing = [name for name in REQUIRED_FOR_COMPLETE if name not in answers]
        if not unknown:  # no rule could read anything more; a required answer may still be missing
            floored = given_level < FLOOR and bool(missing)
            level = FLOOR if floored else given_level
            open_questions = [OpenQuestion(field=name, could_reach=level) for name in missing]
            if given_level == Urgency.EMERGENCY:
                open_questions = []
            return Completeness(level, given_level, level, open_questions, floored, False, given, given.rules)
        bests = self._completions(answers, unknown, worst=False)
        certain = min(level_of(best.rules) for best in bests)
        held = False
        if given_level >= certain:
            shown, fired = given, given.rules
        else:
            in_every = set.intersection(*({rule.id for rule in best.rules} for best in bests))
            shown = bests[0]
            fired = [rule for rule in shown.rules if rule.id in in_every]
            held = level_of(fired) < certain
        level = max(given_level, certain)
        if level == Urgency.EMERGENCY:
            return Completeness(level, certain, level, [], False, held, shown, fired)
        potential, could_raise, could_change = self._open(answers, set(unknown), level)
        listed = set(missing) | (could_raise if level >= FLOOR else could_change)
        floored = level < FLOOR and bool(listed)
        if floored:
            level = FLOOR
        possible = max([level, *potential.values()])
        open_questions = [OpenQuestion(field=name, could_reach=potential.get(name, level)) for name in listed]
        open_questions.sort(key=lambda q: (-q.could_reach.rank, _ORDER[q.field]))
        return Completeness(level, min(certain, level), possible, open_questions, floored, held, shown, fired)

    def _open(self, answers: dict[str, Any], unknown: set[str],
              level: Urgency) -> tuple[dict[str, Urgency], set[str], set[str]]:
        """From the worst-case completions: the highest level each unanswered question could lead to, the
        questions that could raise ``level``, and those that could change the assessment."""
        potential: dict[str, Urgency] = {}
        could_raise: set[str] = set()
        could_change: set[str] = set()
        behind = self.rulebase.answers_behind
        for worst in self._completions(answers, sorted(unknown, key=_ORDER.__getitem__), worst=True):
            for rule in worst.rules:
                if not rule.urgency or not (behind[rule.id] & unknown):
                    continue  # sets no level, or cannot involve an unanswered question
                opened = {name for name in worst.raw_because(rule) if name not in answers}
                for name in opened:
                    potential[name] = max(potential.get(name, rule.urgency), rule.urgency)
                could_change |= opened
                if rule.urgency > level:
                    could_raise |= opened
        return potential, could_raise, could_change


def assumed_answers(rule: Rule, derivation: Derivation, given: dict[str, Any], completed: bool) -> dict[str, Any]:
    """The unanswered questions a reason holds on, with the answer it assumes for each.

    In a completion (``completed``), the answer the completion gave; in the answers as given, the answer an
    ``or_unknown`` test reads into a blank (``is: false, or_unknown: true``: "assuming no").
    A criterion's own reading of an unknown answer that names no single answer (E1's
    "of unknown duration") is not an assumption: the reason shows it as not answered.
    """
    because = derivation.raw_because(rule)
    if completed:
        return {name: derivation.answers[name] for name in sorted(because, key=_ORDER.__getitem__)
                if name not in given and name in derivation.answers}
    return {leaf.field: leaf.value for leaf in leaves(rule.when)
            if isinstance(leaf, FieldTest) and leaf.or_unknown and leaf.operator == "is"
            and leaf.field in because and leaf.field not in given}
