"""An independent reference evaluator of the rule files: what the product must agree with.

It is written from the documents, not from the product's code: the criteria and safety
property 1 of ``docs/criteria.md``, the README ("How the rules work", "Safety properties",
"Cautious readings") and the docstrings of ``triage/assessment.py``. It reads the rule
files itself with ``yaml.safe_load`` and has its own operator table, its own forward
chaining to a fixed point, its own explanation of which answers made a rule fire and its
own completeness (the worst-case completion, the required fields, the ``soon`` floor and
the unanswered list). From ``triage`` it takes only the list of case fields and their
answer domains (``triage.models``), never any evaluation code.

Completeness as the product documents it today (issue 10 adds the best-case completion
to the product and to this oracle together):

- An emergency is complete: nothing can raise it.
- Otherwise the case is assessed again with every unanswered yes/no question answered
  yes, every unanswered choice at its most severe value and every unanswered severity
  number at its worst (the *worst-case completion*). Age and the duration of cauda
  equina symptoms have no single worst value; they stay unknown, and the rules read an
  unknown age or duration on the cautious side (``or_unknown``). Region and sex stay
  unknown too (no criterion orders them by severity).
- An unanswered question *could change* the assessment when it is among the answers that
  made a level-setting rule fire in the worst-case completion; it *could raise* the
  level when that rule's level is above the case's.
- At ``soon`` or above, ``unanswered`` is the unknown required fields (age, region) and
  the questions that could raise the level. Below ``soon`` it is the unknown required
  fields and the questions that could change the assessment, and a non-empty list holds
  the case at ``soon`` (with the floor's own reason). The case is complete when the list
  is empty. ``unanswered`` is in case-format order.
"""

from __future__ import annotations

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
    worst_level: str = "self_care"


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
    def worst_completion(answers: Answers) -> dict[str, Any]:
        """Every unanswered yes/no question yes, every choice at its most severe, every severity number at its worst."""
        filled = dict(answers)
        for name, domain in DOMAINS.items():
            if name in answers:
                continue
            if domain.kind == "yes_no":
                filled[name] = True
            elif name in MOST_SEVERE_CHOICE:
                filled[name] = MOST_SEVERE_CHOICE[name]
            elif name in WORST_NUMBER:
                filled[name] = WORST_NUMBER[name]
        return filled

    def assess(self, answers: Answers) -> OracleResult:
        """Level, surgical flag, completeness, fired rules, findings, reasons and unanswered questions of known answers."""
        actual = self.chain(answers)
        level_rules = [rule for rule in actual.fired if rule.urgency]
        level = max((rule.urgency for rule in level_rules if rule.urgency), key=RANK.__getitem__, default="self_care")
        reasons = {rule.id for rule in level_rules}
        unanswered: set[str] = set()
        held = False
        worst_level = level
        if level != "emergency":
            blank = set(ANSWER_FIELDS) - set(answers)
            worst = self.chain(self.worst_completion(answers))
            could_raise: set[str] = set()
            could_change: set[str] = set()
            for rule in worst.fired:
                if not rule.urgency:
                    continue
                worst_level = max(worst_level, rule.urgency, key=RANK.__getitem__)
                opened = self.made_true_by(rule.when, worst) & blank
                could_change |= opened
                if RANK[rule.urgency] > RANK[level]:
                    could_raise |= opened
            unanswered = {name for name in REQUIRED if name not in answers}
            if RANK[level] >= RANK[FLOOR]:
                unanswered |= could_raise
            else:
                unanswered |= could_change
                if unanswered:
                    level, held = FLOOR, True
                    reasons.add(self.floor_reason)
        return OracleResult(
            urgency=level,
            surgical=any(rule.surgical for rule in level_rules),
            complete=not unanswered,
            fired=tuple(rule.id for rule in actual.fired),
            findings=frozenset(actual.findings),
            reasons=frozenset(reasons),
            unanswered=tuple(name for name in ANSWER_FIELDS if name in unanswered),
            held_at_floor=held,
            worst_level=worst_level,
        )

    # -- what the rules test ----------------------------------------------------------------

    def fields_read(self) -> set[str]:
        """Every case field some rule reads."""
        return {name for rule in self.rules for name in fields_under(rule.when)}

    def thresholds(self) -> dict[str, set[int]]:
        """The numbers each number field is compared with anywhere in the rules."""
        found: dict[str, set[int]] = {}
        for rule in self.rules:
            for name, values in numbers_tested(rule.when).items():
                found.setdefault(name, set()).update(values)
        return found
