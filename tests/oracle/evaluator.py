"""An independent reference evaluator of the rule files: what the product must agree with.

It is written from the documents, not from the product's code: the criteria and safety
property 1 of ``docs/criteria.md``, the README ("How the rules work", "Safety properties",
"Cautious readings") and the docstrings of ``triage/assessment.py``. It reads the rule
files itself with ``yaml.safe_load`` and has its own operator table, its own forward
chaining to a fixed point, its own explanation of which answers made a rule fire and its
own completeness (the worst-case completion, the required fields, the ``soon`` floor and
the unanswered list). From ``triage`` it takes only the list of case fields and their
answer domains (``triage.models``), never any evaluation code.

Completeness as docs/criteria.md describes it ("Unknown answers: what is certain and what
is possible", and safety property 1):

- The unanswered questions some rule reads are answered in two more ways: the best case,
  each at its least severe answer (no, the mildest choice, a number at its minimum), and
  the worst case, each at its most severe (yes, the worst choice, a number at its worst).
  Questions whose answers have no severity order (age, region, the duration of cauda
  equina symptoms) are tried with every answer: one of each class of answers that every
  test of the rules treats alike. *certain* is the lowest level over the best cases,
  *possible* the highest over the worst cases.
- The level is the higher of *certain* and the level of the answers as given (where the
  rules read an unknown answer themselves, with ``or_unknown``). An emergency is complete.
- An unanswered question *could change* the assessment when it is among the answers that
  made a level-setting rule fire in a worst case; it *could raise* the level when that
  rule's level is above the case's; the highest such level is what its answer could lead to.
- At ``soon`` or above, ``unanswered`` is the unknown required fields (age, region) and
  the questions that could raise the level. Below ``soon`` it is the unknown required
  fields and the questions that could change the assessment, and a non-empty list holds
  the case at ``soon`` (with the floor's own reason). The case is complete when the list
  is empty. ``unanswered`` runs from the question whose answer could lead highest.
- The reasons are those of the answers as given when they reach *certain*, else the
  level-setting rules that fire in every best case (with the floor's reason too when
  those do not reach *certain*).
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from triage.models import ANSWER_FIELDS, DOMAINS

LEVELS = ("self_care", "routine", "soon", "urgent", "emergency")
RANK = {level: rank for rank, level in enumerate(LEVELS)}
FLOOR = "soon"
REQUIRED = ("age", "region")
META_FILE = "rulebase.yaml"

#: The choice questions that safety property 1 orders by severity, least to most severe.
SEVERITY_ORDERS: dict[str, tuple[str, ...]] = {
    "weakness": ("none", "stable", "progressive"),
    "leg_pain": ("none", "one_leg", "both_legs"),
    "arm_pain": ("none", "one_arm", "both_arms"),
    "pain_trend": ("improving", "stable", "worsening"),
    "conservative_care_response": ("improved", "no_change", "worse"),
}
MOST_SEVERE_CHOICE = {name: order[-1] for name, order in SEVERITY_ORDERS.items()}
#: "Every unanswered severity number at its worst": the top of the 0-10 scale, a very long
#: episode, a very long course of treatment (longer than any threshold a criterion names).
WORST_NUMBER = {"pain_score": 10, "duration_days": 3650, "conservative_care_weeks": 520}

#: The oracle's own operator table (README "Field tests").
OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "is": operator.eq,
    "ne": operator.ne,
    "in": lambda value, options: value in options,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}
_NOT_OPERATORS = {"field", "or_unknown"}

Answers = Mapping[str, Any]
Node = Mapping[str, Any]


@dataclass(frozen=True)
class OracleRule:
    """The parts of one rule that decide a level: its condition and its effects."""

    id: str
    criterion: str
    when: Node
    urgency: str | None
    surgical: bool
    asserts: str | None


@dataclass(frozen=True)
class OracleResult:
    """What the oracle concludes for one case."""

    urgency: str
    surgical: bool
    complete: bool
    fired: tuple[str, ...]
    findings: frozenset[str]
    reasons: frozenset[str]
    unanswered: tuple[str, ...]
    held_at_floor: bool = False
    worst_level: str = "self_care"  # the highest level some way of answering reaches (possible)
    certain: str = "self_care"  # the level every way of answering reaches
    could_reach: tuple[str, ...] = ()  # for each unanswered question, the highest level its answer could lead to


def operator_of(test: Node) -> str:
    """The one operator of a field test (``is``, ``lte``, ``unknown`` ...)."""
    (name,) = [key for key in test if key not in _NOT_OPERATORS]
    return str(name)


def field_test_holds(test: Node, answers: Answers) -> bool:
    """A field test: a comparison on an unknown answer is false unless it says ``or_unknown: true``."""
    name = operator_of(test)
    value = answers.get(test["field"])
    if name == "unknown":
        return (value is None) == bool(test["unknown"])
    if value is None:
        return bool(test.get("or_unknown", False))
    return OPERATORS[name](value, test[name])


def holds(node: Node, answers: Answers, findings: Iterable[str]) -> bool:
    """Whether a condition (all / any / not over field tests and findings) is true."""
    if "all" in node:
        return all(holds(child, answers, findings) for child in node["all"])
    if "any" in node:
        return any(holds(child, answers, findings) for child in node["any"])
    if "not" in node:
        return not holds(node["not"], answers, findings)
    if "finding" in node:
        return node["finding"] in findings
    return field_test_holds(node, answers)


def fields_under(node: Node) -> list[str]:
    """Every case field a condition reads, in order, without repeats."""
    if "all" in node or "any" in node:
        return list(dict.fromkeys(f for child in node.get("all", node.get("any")) for f in fields_under(child)))
    if "not" in node:
        return fields_under(node["not"])
    if "finding" in node:
        return []
    return [node["field"]]


def findings_under(node: Node) -> list[str]:
    """Every finding a condition reads."""
    if "all" in node or "any" in node:
        return [f for child in node.get("all", node.get("any")) for f in findings_under(child)]
    if "not" in node:
        return findings_under(node["not"])
    return [node["finding"]] if "finding" in node else []


def numbers_tested(node: Node) -> dict[str, set[int]]:
    """The numbers each number field is compared with, by field."""
    found: dict[str, set[int]] = {}
    if "all" in node or "any" in node:
        for child in node.get("all", node.get("any")):
            for name, values in numbers_tested(child).items():
                found.setdefault(name, set()).update(values)
    elif "not" in node:
        return numbers_tested(node["not"])
    elif "field" in node and operator_of(node) in ("lt", "lte", "gt", "gte"):
        found[node["field"]] = {node[operator_of(node)]}
    return found


@dataclass
class Chain:
    """The rules that fired for some answers (in rule-base order), the findings, and the answers behind each finding."""

    answers: Answers
    fired: list[OracleRule]
    findings: set[str]
    behind: dict[str, set[str]] = field(default_factory=dict)


class Oracle:
    """The reference evaluator over one folder of rule files."""

    def __init__(self, folder: Path):
        files = sorted(p for pattern in ("*.yaml", "*.yml") for p in folder.glob(pattern))
        self.rules: list[OracleRule] = []
        for path in files:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            if path.name == META_FILE:
                self.floor_reason = str(data["incomplete"]["id"])
                continue
            for raw in data["rules"]:
                self.rules.append(OracleRule(
                    id=raw["id"], criterion=str(raw["criterion"]), when=raw["when"], urgency=raw.get("urgency"),
                    surgical=bool(raw.get("surgical", False)), asserts=raw.get("asserts"),
                ))
        self.by_id = {rule.id: rule for rule in self.rules}
        self._read = {name for rule in self.rules for name in fields_under(rule.when)}

    # -- chaining ---------------------------------------------------------------------------

    def chain(self, answers: Answers) -> Chain:
        """Apply every rule until a whole pass fires nothing new (a fixed point)."""
        fired: set[str] = set()
        findings: set[str] = set()
        changed = True
        while changed:
            changed = False
            for rule in self.rules:
                if rule.id not in fired and holds(rule.when, answers, findings):
                    fired.add(rule.id)
                    changed = True
                    if rule.asserts:
                        findings.add(rule.asserts)
        result = Chain(answers, [rule for rule in self.rules if rule.id in fired], findings)
        for name in findings:
            self._behind(result, name)
        return result

    def _behind(self, chain: Chain, finding: str) -> set[str]:
        """The answers behind a finding: those that made each fired rule asserting it fire."""
        if finding not in chain.behind:
            chain.behind[finding] = set()  # findings form no cycles; this only guards the recursion
            fields: set[str] = set()
            for rule in chain.fired:
                if rule.asserts == finding:
                    fields |= self.made_true_by(rule.when, chain)
            chain.behind[finding] = fields
        return chain.behind[finding]

    def made_true_by(self, node: Node, chain: Chain) -> set[str]:
        """The answers that make a true condition true: every true test under a true branch.

        A finding stands for the answers behind it; a true ``not`` names every field under it.
        """
        if not holds(node, chain.answers, chain.findings):
            return set()
        if "all" in node or "any" in node:
            return {f for child in node.get("all", node.get("any")) for f in self.made_true_by(child, chain)}
        if "not" in node:
            return set(fields_under(node["not"]))
        if "finding" in node:
            return set(self._behind(chain, node["finding"]))
        return {node["field"]}

    # -- completeness -----------------------------------------------------------------------

    @staticmethod
    def ordered(name: str) -> bool:
        """Whether a question's answers are ordered by severity (yes/no, the ordered choices, severity numbers)."""
        return DOMAINS[name].kind == "yes_no" or name in SEVERITY_ORDERS or name in WORST_NUMBER

    @staticmethod
    def fill(answers: Answers, unknown: Iterable[str], worst: bool) -> dict[str, Any]:
        """The answers with each unanswered ordered question at its most (or least) severe answer."""
        filled = dict(answers)
        for name in unknown:
            if DOMAINS[name].kind == "yes_no":
                filled[name] = worst
            elif name in SEVERITY_ORDERS:
                filled[name] = SEVERITY_ORDERS[name][-1 if worst else 0]
            elif name in WORST_NUMBER:
                filled[name] = WORST_NUMBER[name] if worst else (DOMAINS[name].minimum or 0)
        return filled

    def answer_classes(self, name: str) -> list[Any]:
        """One answer of each class of answers that every test of the rules on this question treats alike."""
        domain = DOMAINS[name]
        if domain.kind == "choice":
            candidates: list[Any] = list(domain.choices)
        else:
            low = domain.minimum or 0
            high = domain.maximum if domain.maximum is not None else 100_000
            values = {low, high}
            for threshold in self.thresholds().get(name, ()):
                values |= {threshold - 1, threshold, threshold + 1}
            candidates = sorted(v for v in values if low <= v <= high)
        tests = self.tests_of(name)
        classes: dict[tuple[bool, ...], Any] = {}
        for value in candidates:
            classes.setdefault(tuple(field_test_holds(test, {name: value}) for test in tests), value)
        return list(classes.values())

    def completions(self, answers: Answers, unknown: list[str], worst: bool) -> list[Chain]:
        """The chains of the best (or worst) completions, one per combination of unordered answers."""
        filled = self.fill(answers, [name for name in unknown if self.ordered(name)], worst)
        unordered = [name for name in unknown if not self.ordered(name)]
        return [self.chain({**filled, **dict(zip(unordered, values, strict=True))})
                for values in itertools.product(*(self.answer_classes(name) for name in unordered))]

    @staticmethod
    def level_of(rules: Iterable[OracleRule]) -> str:
        """The highest urgency of some rules (self-care when none sets one)."""
        return max((rule.urgency for rule in rules if rule.urgency), key=RANK.__getitem__, default="self_care")

    def assess(self, answers: Answers) -> OracleResult:
        """Level, surgical flag, completeness, fired rules, findings, reasons and unanswered questions of known answers."""
        given = self.chain(answers)
        given_level = self.level_of(given.fired)
        unknown = [name for name in ANSWER_FIELDS if name in self.fields_read() and name not in answers]
        missing = [name for name in REQUIRED if name not in answers]
        shown, certain = given.fired, given_level
        if unknown:
            bests = self.completions(answers, unknown, worst=False)
            certain = min((self.level_of(best.fired) for best in bests), key=RANK.__getitem__)
            if RANK[given_level] < RANK[certain]:
                in_every = set.intersection(*({rule.id for rule in best.fired} for best in bests))
                shown = [rule for rule in self.rules if rule.id in in_every]
        level = max(given_level, certain, key=RANK.__getitem__)
        reasons = {rule.id for rule in shown if rule.urgency}
        if RANK[self.level_of(shown)] < RANK[level]:
            reasons.add(self.floor_reason)
        potential: dict[str, str] = {}
        could_raise: set[str] = set()
        could_change: set[str] = set()
        worst_level = level
        if level != "emergency" and unknown:
            blank = set(unknown)
            for worst in self.completions(answers, unknown, worst=True):
                for rule in worst.fired:
                    if not rule.urgency:
                        continue
                    worst_level = max(worst_level, rule.urgency, key=RANK.__getitem__)
                    opened = self.made_true_by(rule.when, worst) & blank
                    for name in opened:
                        potential[name] = max(potential.get(name, rule.urgency), rule.urgency, key=RANK.__getitem__)
                    could_change |= opened
                    if RANK[rule.urgency] > RANK[level]:
                        could_raise |= opened
        listed: set[str] = set()
        held = False
        if level != "emergency":
            listed = set(missing) | (could_raise if RANK[level] >= RANK[FLOOR] else could_change)
            if listed and RANK[level] < RANK[FLOOR]:
                level, held = FLOOR, True
                reasons.add(self.floor_reason)
        order = {name: number for number, name in enumerate(ANSWER_FIELDS)}
        unanswered = sorted(listed, key=lambda name: (-RANK[potential.get(name, level)], order[name]))
        return OracleResult(
            urgency=level,
            surgical=any(rule.surgical for rule in shown if rule.urgency),
            complete=not unanswered,
            fired=tuple(rule.id for rule in shown),
            findings=frozenset(rule.asserts for rule in shown if rule.asserts),
            reasons=frozenset(reasons),
            unanswered=tuple(unanswered),
            held_at_floor=held,
            worst_level=max(worst_level, level, key=RANK.__getitem__),
            certain=min(certain, level, key=RANK.__getitem__),
            could_reach=tuple(potential.get(name, level) for name in unanswered),
        )

    # -- what the rules test ----------------------------------------------------------------

    def fields_read(self) -> set[str]:
        """Every case field some rule reads."""
        return self._read

    def tests_of(self, name: str) -> list[Node]:
        """Every field test on one question, in every rule."""
        found: list[Node] = []

        def walk(node: Node) -> None:
            if "all" in node or "any" in node:
                for child in node.get("all", node.get("any")):
                    walk(child)
            elif "not" in node:
                walk(node["not"])
            elif "field" in node and node["field"] == name:
                found.append(node)

        for rule in self.rules:
            walk(rule.when)
        return found

    def thresholds(self) -> dict[str, set[int]]:
        """The numbers each number field is compared with anywhere in the rules."""
        found: dict[str, set[int]] = {}
        for rule in self.rules:
            for name, values in numbers_tested(rule.when).items():
                found.setdefault(name, set()).update(values)
        return found
