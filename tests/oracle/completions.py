"""Completions of a partial case: answers to its unanswered questions, for the properties of docs/criteria.md.

- ``candidates``: the answers worth trying for one question: yes/no, every choice, and for
  a number its bounds and the values on both sides of every threshold the rules test
  (any other number behaves like one of these for every rule).
- ``best_case_completions``: each unanswered question at its least severe answer, and
  ``ces_symptoms_days`` at a long duration ("Unknown answers: what is certain and what is
  possible"). Age and region have no least severe answer (a child, 50 or over and 70 or
  over each fire different criteria; each region fires its own), so one completion is
  given for each of their candidates: the *certain* level is the lowest over them.
- ``jointly_possible``: whether one completion makes every given rule fire at once, by a
  search over the candidates that stops a branch as soon as some rule is settled false.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from triage.models import ANSWER_FIELDS, DOMAINS

from .cases import LEAST_SEVERE_CHOICE, CaseMaker
from .evaluator import (
    OPERATORS,
    Node,
    Oracle,
    fields_under,
    findings_under,
    operator_of,
)

#: A long duration of cauda equina symptoms: the less severe reading (E1 outranks U5).
LONG_CES_DURATION = 3650
LEAST_NUMBER = {"pain_score": 0, "duration_days": 0, "conservative_care_weeks": 0,
                "ces_symptoms_days": LONG_CES_DURATION}


class Completions:
    """Completions of partial cases for one rule base."""

    def __init__(self, oracle: Oracle):
        self.oracle = oracle
        self.maker = CaseMaker(oracle)
        self._asserting: dict[str, list[Node]] = {}
        for rule in oracle.rules:
            if rule.asserts:
                self._asserting.setdefault(rule.asserts, []).append(rule.when)

    def candidates(self, name: str) -> tuple[Any, ...]:
        """The answers worth trying for one question."""
        domain = DOMAINS[name]
        if domain.kind == "yes_no":
            return (False, True)
        if domain.kind == "choice":
            return domain.choices
        return self.maker.numbers[name]

    def best_case_completions(self, answers: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """The best-case completion, one for each candidate age and region when those are unanswered."""
        filled = dict(answers)
        open_choices = []
        for name in ANSWER_FIELDS:
            if name in answers:
                continue
            domain = DOMAINS[name]
            if name in ("age", "region"):
                open_choices.append(name)
            elif domain.kind == "yes_no":
                filled[name] = False
            elif name in LEAST_SEVERE_CHOICE:
                filled[name] = LEAST_SEVERE_CHOICE[name]
            elif name in LEAST_NUMBER:
                filled[name] = LEAST_NUMBER[name]
        # Fields no criterion orders (sex) stay unknown: no rule reads them.
        for values in itertools.product(*(self.candidates(name) for name in open_choices)):
            yield {**filled, **dict(zip(open_choices, values, strict=True))}

    def all_completions(self, answers: Mapping[str, Any], limit: int) -> list[dict[str, Any]] | None:
        """Every completion over the candidates of the unanswered questions a rule reads, or None if more than ``limit``."""
        open_fields = [name for name in ANSWER_FIELDS if name not in answers and name in self.oracle.fields_read()]
        choices = [self.candidates(name) for name in open_fields]
        total = 1
        for options in choices:
            total *= len(options)
            if total > limit:
                return None
        return [{**answers, **dict(zip(open_fields, values, strict=True))} for values in itertools.product(*choices)]

    # -- joint possibility --------------------------------------------------------------------

    def fields_behind(self, node: Node) -> set[str]:
        """The case fields a condition depends on, through the findings it reads too."""
        fields = set(fields_under(node))
        for finding in findings_under(node):
            for when in self._asserting.get(finding, []):
                fields |= self.fields_behind(when)
        return fields

    def _value(self, node: Node, known: Mapping[str, Any]) -> bool | None:
        """Three-valued truth of a condition: None while a field it needs has no answer yet."""
        if "all" in node or "any" in node:
            values = [self._value(child, known) for child in node.get("all", node.get("any"))]
            if "all" in node:
                return False if False in values else (True if all(v is True for v in values) else None)
            return True if True in values else (False if all(v is False for v in values) else None)
        if "not" in node:
            inner = self._value(node["not"], known)
            return None if inner is None else not inner
        if "finding" in node:
            return self._value({"any": self._asserting.get(node["finding"], [])}, known) \
                if self._asserting.get(node["finding"]) else False
        if node["field"] not in known:
            return None
        name = operator_of(node)
        if name == "unknown":
            return not node["unknown"]  # a completion answers every question
        return OPERATORS[name](known[node["field"]], node[name])

    def jointly_possible(self, rule_ids: list[str], answers: Mapping[str, Any]) -> bool:
        """Whether one completion of the unanswered questions makes every one of these rules fire."""
        condition: Node = {"all": [self.oracle.by_id[rule_id].when for rule_id in rule_ids]} if rule_ids \
            else {"all": []}
        open_fields = sorted(set().union(*(self.fields_behind(self.oracle.by_id[r].when) for r in rule_ids))
                             - set(answers), key=ANSWER_FIELDS.index) if rule_ids else []

        def search(known: dict[str, Any], remaining: list[str]) -> bool:
            value = self._value(condition, known)
            if value is not None:
                return value
            if not remaining:
                return False
            name, rest = remaining[0], remaining[1:]
            return any(search({**known, name: option}, rest) for option in self.candidates(name))

        return search(dict(answers), open_fields)
