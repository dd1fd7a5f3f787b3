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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..language.conditions import FieldTest, leaves
from ..language.evaluation import holds_for
from ..language.rulebook import Rule, RuleBase
from ..language.satisfiability import representatives
from ..models import ANSWER_FIELDS, Urgency, least_severe, most_severe
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


class Open(NamedTuple):
    """An unanswered question that could change the assessment, and the highest level its answer could lead to."""

    field: str
    could_reach: Urgency


@dataclass(frozen=True)
class Completeness:
    """What the unanswered questions do to an assessment, and which derivation explains it."""

    level: Urgency  # the level reported, after the floor
    certain: Urgency
    possible: Urgency
    open_questions: list[Open]  # most serious first
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


class _Runs:
    """The derivations of the best (or worst) completions of one case, one component of enumerated fields at a time.

    Every completion gives the unanswered fields ordered by severity the same answer; the
    enumerated fields (no severity order) take every combination of their representatives.
    A rule's firing and explanation depend only on the fields behind it, so enumerated fields
    that no rule reads together (components) can be varied one component at a time, the
    others held at their first answer: ``first`` is the completion with every enumerated
    field at its first answer (the first of all combinations), and each component lists the
    derivations of its own combinations, ``first`` among them. A rule behind no unanswered
    enumerated field fires alike in every completion; one behind some is judged over the
    derivations of its component. This gives what deriving every combination would give.
    """

    __slots__ = ("components", "first", "of_rule")

    def __init__(self, first: Derivation, components: list[tuple[frozenset[str], list[Derivation]]],
                 of_rule: dict[str, frozenset[str]]):
        self.first = first
        self.components = components
        self.of_rule = of_rule  # rule id -> the unanswered enumerated fields behind it

    def judged(self) -> Iterable[tuple[Rule, Derivation]]:
        """Each (rule, completion) pair the completions tell apart: a rule fired, with the derivation it fired in."""
        of_rule = self.of_rule
        if not of_rule:
            first = self.first
            return [(rule, first) for rule in first.rules]
        return self._judged(of_rule)

    def _judged(self, of_rule: dict[str, frozenset[str]]) -> Iterator[tuple[Rule, Derivation]]:
        for rule in self.first.rules:
            if not of_rule.get(rule.id):
                yield rule, self.first
        for fields, derivations in self.components:
            for derivation in derivations:
                for rule in derivation.rules:
                    if of_rule.get(rule.id, _NONE) <= fields and of_rule.get(rule.id):
                        yield rule, derivation

    def lowest_level(self, ranks: dict[str, int]) -> Urgency:
        """The lowest level over every completion (``ranks``: each rule's level's rank, 0 without one)."""
        of_rule = self.of_rule
        level = max([ranks[rule.id] for rule in self.first.rules if not of_rule.get(rule.id)], default=0)
        for fields, derivations in self.components:
            lowest = min(max([ranks[rule.id] for rule in derivation.rules if of_rule.get(rule.id, _NONE) & fields],
                             default=0) for derivation in derivations)
            level = max(level, lowest)
        return _LEVELS[level]

    def in_every(self) -> list[Rule]:
        """The rules of ``first`` that fire in every completion."""
        of_rule = self.of_rule
        result = []
        for rule in self.first.rules:
            fields = of_rule.get(rule.id)
            if fields:
                derivations = next(d for f, d in self.components if fields <= f)
                if not all(rule.id in derivation.fired_ids for derivation in derivations):
                    continue
            result.append(rule)
        return result


_NONE: frozenset[str] = frozenset()


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
        enumerated = frozenset(self.enumerated)
        self._enumerated_behind = {rule_id: fields & enumerated for rule_id, fields in rulebase.answers_behind.items()}
        self._linked: dict[str, set[str]] = {name: {name} for name in enumerated}
        for fields in self._enumerated_behind.values():
            for name in fields:
                self._linked[name] |= fields
        # Ordered fields every test of which reads the least severe answer as it reads no answer: filling them
        # in for the best case fires exactly the rules that the answers as given fire.
        self._best_as_given = frozenset(
            name for name in read if name not in enumerated
            and all(holds_for(test, None) == holds_for(test, least_severe(name)) for test in tests[name]))
        self._components: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        self._may_fire: Any = None  # compiled on first use (language.codegen): most cases never need it
        self._open_answer: object = None
        self._ranks = {rule.id: rule.urgency.rank if rule.urgency else 0 for rule in rulebase.rules}
        #: Each rule's tests of enumerated fields, as (field, whether it holds for each of the field's answers).
        self._tests_of = [[(leaf.field, tuple(holds_for(leaf, answer) for answer in self.enumerated[leaf.field]))
                           for leaf in leaves(rule.when) if isinstance(leaf, FieldTest) and leaf.field in enumerated]
                          for rule in rulebase.rules]
        self._most = {name: most_severe(name) for name in read if name not in enumerated}
        self._least = {name: least_severe(name) for name in read if name not in enumerated}
        self._behind_group: dict[tuple[str, ...], list[int]] = {}
        self._of_rules: dict[tuple[str, ...], dict[str, frozenset[str]]] = {}

    def _possible(self, answers: dict[str, Any], open_fields: tuple[str, ...]) -> tuple[bool, ...]:
        """For each rule, whether it can fire when each of ``open_fields`` takes any of its answers (and the
        other fields those of ``answers``): false only when it cannot (``codegen.compile_flags``)."""
        if self._may_fire is None:
            from ..language.codegen import OPEN, compile_flags

            self._may_fire, self._open_answer = compile_flags(self.rulebase, self.enumerated), OPEN
        flags: tuple[bool, ...] = self._may_fire({**answers, **dict.fromkeys(open_fields, self._open_answer)})[0]
        return flags

    def _rules_behind(self, group: tuple[str, ...]) -> list[int]:
        """The positions of the rules that some field of ``group`` is behind."""
        found = self._behind_group.get(group)
        if found is None:
            found = self._behind_group[group] = [
                index for index, rule in enumerate(self.rulebase.rules)
                if self._enumerated_behind[rule.id].intersection(group)]
        return found

    def _components_of(self, open_enumerated: tuple[str, ...]) -> list[tuple[str, ...]]:
        """The unanswered enumerated fields in groups that no rule reads across (each in case-format order)."""
        found = self._components.get(open_enumerated)
        if found is None:
            found, left = [], list(open_enumerated)
            while left:
                group, frontier = {left[0]}, [left[0]]
                while frontier:
                    for name in self._linked[frontier.pop()] & set(left):
                        if name not in group:
                            group.add(name)
                            frontier.append(name)
                found.append(tuple(name for name in open_enumerated if name in group))
                left = [name for name in left if name not in group]
            self._components[open_enumerated] = found
        return found

    def _distinct_combos(self, group: tuple[str, ...], live: list[int]) -> list[dict[str, Any]]:
        """The combinations of the group's answers after the first, one for each way they make the tests of the
        rules that can fire (``live``) true or false: combinations alike on every such test derive alike, but
        for the answers themselves, which only the first combination's derivation shows."""
        position = {name: number for number, name in enumerate(group)}
        tests = [(position[name], truths) for index in live for name, truths in self._tests_of[index]
                 if name in position]
        seen: set[tuple[bool, ...]] = set()
        distinct = []
        for combo in itertools.product(*(range(len(self.enumerated[name])) for name in group)):
            key = tuple([truths[combo[at]] for at, truths in tests])
            if key not in seen:
                seen.add(key)
                distinct.append(combo)
        return [{name: self.enumerated[name][at] for name, at in zip(group, combo, strict=True)}
                for combo in distinct[1:]]  # the first is every field at its first answer: ``first``

    def _runs(self, answers: dict[str, Any], unknown: list[str], worst: bool) -> _Runs:
        """The derivations of the best (or worst) completions (see ``_Runs``)."""
        fills = self._most if worst else self._least
        base = dict(answers)
        open_enumerated: tuple[str, ...] = ()
        for name in unknown:  # in case-format order, as the completions always were
            if name in fills:
                base[name] = fills[name]
            else:
                open_enumerated += (name,)
        for name in open_enumerated:
            base[name] = self.enumerated[name][0]
        first = self.derive(base)
        components = []
        for group in self._components_of(open_enumerated):
            derivations = [first]
            # When no rule behind the group can fire for any of its answers, every combination derives as
            # ``first`` does (a cheap check over-approximating each rule: see language.codegen._Expressions).
            may_fire = self._possible(base, group)
            live = [index for index in self._rules_behind(group) if may_fire[index]]
            if live:
                derivations += [self.derive({**base, **combo}) for combo in self._distinct_combos(group, live)]
            components.append((frozenset(group), derivations))
        return _Runs(first, components, self._of_rule(open_enumerated) if open_enumerated else {})

    def _of_rule(self, open_enumerated: tuple[str, ...]) -> dict[str, frozenset[str]]:
        """Rule id -> the unanswered enumerated fields behind it (for the rules behind some)."""
        found = self._of_rules.get(open_enumerated)
        if found is None:
            opened = frozenset(open_enumerated)
            found = self._of_rules[open_enumerated] = {
                rule_id: fields & opened for rule_id, fields in self._enumerated_behind.items() if fields & opened}
        return found

    def settle(self, answers: dict[str, Any], given: Derivation) -> Completeness:
        """The completeness of the assessment of ``answers``, whose own derivation is ``given``."""
        ranks = self._ranks  # levels are compared by rank here (0 self-care .. 4 emergency): on every case
        given_rank = max([ranks[rule.id] for rule in given.rules], default=0)
        unknown = sorted(self._read.difference(answers), key=_ORDER.__getitem__)
        missing = [name for name in REQUIRED_FOR_COMPLETE if name not in answers]
        if not unknown:  # no rule could read anything more; a required answer may still be missing
            given_level = _LEVELS[given_rank]
            floored = given_rank < _FLOOR and bool(missing)
            reported = FLOOR if floored else given_level
            open_questions = [] if given_rank == _EMERGENCY else [Open(name, reported) for name in missing]
            return Completeness(reported, given_level, reported, open_questions, floored, False, given, given.rules)
        ordered_only = not any(name in self.enumerated for name in unknown)
        bests: _Runs | None = None
        if (ordered_only and self._best_as_given.issuperset(unknown)) or self._best_as_given_anyway(answers, unknown,
                                                                                                  given):
            certain = given_rank  # every best case fires what the answers as given fire
        else:
            bests = self._runs(answers, unknown, worst=False)
            certain = bests.lowest_level(ranks).rank
        held = False
        if given_rank >= certain or bests is None:
            shown, fired = given, given.rules
        else:
            shown = bests.first
            fired = bests.in_every()
            held = max([ranks[rule.id] for rule in fired], default=0) < certain
        level = max(given_rank, certain)
        if level == _EMERGENCY:
            return Completeness(Urgency.EMERGENCY, _LEVELS[certain], Urgency.EMERGENCY, [], False, held, shown, fired)
        has_fill = any(name not in self.enumerated for name in unknown)
        worsts = self._runs(answers, unknown, worst=True) if has_fill or bests is None else bests
        potential, could_raise, could_change = self._open(worsts, answers, set(unknown), level)
        listed = set(missing) | (could_raise if level >= _FLOOR else could_change)
        floored = level < _FLOOR and bool(listed)
        if floored:
            level = _FLOOR
        possible = max([level, *potential.values()])
        reach = sorted([(-potential.get(name, level), _ORDER[name], name) for name in listed])
        open_questions = [Open(name, _LEVELS[-minus]) for minus, _, name in reach]  # most serious first
        return Completeness(_LEVELS[level], _LEVELS[min(certain, level)], _LEVELS[possible], open_questions, floored,
                            held, shown, fired)

    def _best_as_given_anyway(self, answers: dict[str, Any], unknown: list[str], given: Derivation) -> bool:
        """Whether every best-case completion fires what the answers as given fire, although some enumerated
        field is unanswered: the other unanswered fields read their least severe answer as no answer, and no
        rule behind an unanswered enumerated field fired or can fire for any of its answers."""
        enumerated = tuple(name for name in unknown if name in self.enumerated)
        if not self._best_as_given.issuperset(name for name in unknown if name not in self.enumerated):
            return False
        behind = self._rules_behind(enumerated)
        rules = self.rulebase.rules
        if any(rules[index].id in given.fired_ids for index in behind):
            return False
        may_fire = self._possible({**answers, **{name: self._least[name] for name in unknown
                                                 if name not in self.enumerated}}, enumerated)
        return not any(may_fire[index] for index in behind)

    def _open(self, worsts: _Runs, answers: dict[str, Any], unknown: set[str],
              level_rank: int) -> tuple[dict[str, int], set[str], set[str]]:
        """From the worst-case completions: the highest level each unanswered question could lead to, the
        questions that could raise the level of rank ``level_rank``, and those that could change the assessment
        (levels as ranks).

        A level-setting rule that involves an unanswered question contributes the unanswered answers of its
        explanation, all of them behind it. Rules are taken most urgent first, and one whose unanswered
        questions behind it already reach its level (and already count as raising, when it would raise)
        can add nothing, so its explanation is not worked out.
        """
        potential: dict[str, int] = {}  # field -> the rank of the highest level it could lead to
        could_raise: set[str] = set()
        could_change: set[str] = set()
        behind, ranks = self.rulebase.answers_behind, self._ranks
        judged = [(ranks[rule.id], rule, worst, touched) for rule, worst in worsts.judged()
                  if rule.urgency and (touched := behind[rule.id] & unknown)]
        judged.sort(key=_first, reverse=True)
        for rank, rule, worst, touched in judged:
            raises = rank > level_rank
            if all(potential.get(name, -1) >= rank and (not raises or name in could_raise) for name in touched):
                continue  # adds nothing (see the docstring)
            opened = [name for name in worst.raw_because(rule) if name not in answers]
            for name in opened:
                if potential.get(name, -1) < rank:
                    potential[name] = rank
            could_change.update(opened)
            if raises:
                could_raise.update(opened)
        return potential, could_raise, could_change


def _first(item: tuple[int, Any, Any, Any]) -> int:
    return item[0]


_LEVELS = {level.rank: level for level in Urgency}
_FLOOR, _EMERGENCY = FLOOR.rank, Urgency.EMERGENCY.rank
