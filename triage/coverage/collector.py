"""Which rules and conditions a corpus of cases exercises: the data behind ``triage coverage``.

For every rule: the cases that fired it. For every condition of a rule (a leaf of its
``when``: a field test, or a finding evaluated on the findings the case derived): whether
some case made it true and some case false, and whether two cases show that it alone
changes the rule's outcome: their conditions of that rule agree on every other leaf and
differ on this one, and the rule fired for one and not the other (unique-cause MC/DC).
For every urgency level and every finding: the cases that reached it.

Rule coverage is the share of rules that some case fired. Running a corpus through the
batch pipeline to feed a collector is ``measure``; rendering is ``report``; this module
never reads files or prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..language.conditions import Leaf, describe_leaf, leaves
from ..language.evaluation import compile_condition
from ..language.rulebook import RuleBase
from ..models import Urgency

__all__ = ["ConditionCoverage", "CoverageCollector", "CoverageReport", "RuleCoverage", "UnscoredCase"]


@dataclass(frozen=True)
class ConditionCoverage:
    """One leaf condition of a rule: how often it was true and false, and a pair of cases showing its effect."""

    index: int
    text: str
    true_cases: int
    false_cases: int
    independence: tuple[str, str] | None  # (case where the rule fired, case where it did not)

    @property
    def both(self) -> bool:
        """Seen true in some case and false in another."""
        return self.true_cases > 0 and self.false_cases > 0

    @property
    def independent(self) -> bool:
        """Some pair of cases shows this condition alone changing the rule's outcome (MC/DC)."""
        return self.independence is not None


@dataclass(frozen=True)
class RuleCoverage:
    """One rule: the cases that fired it, and its conditions (empty when conditions were not measured)."""

    id: str
    file: str
    line: int
    criterion: str
    fired: int
    cases: tuple[str, ...]
    conditions: tuple[ConditionCoverage, ...]


@dataclass(frozen=True)
class UnscoredCase:
    """A case of the corpus that could not be scored."""

    case_id: str
    source: str
    error: str


@dataclass(frozen=True)
class CoverageReport:
    """Rule, condition, level and finding coverage of one rule base by one corpus."""

    rules_version: str
    rules_hash: str
    rules_folder: str
    cases: int
    rules: tuple[RuleCoverage, ...]
    levels: dict[str, tuple[int, tuple[str, ...]]]  # level -> (count, cases), every level
    findings: dict[str, tuple[int, tuple[str, ...]]]  # finding -> (count, cases), every finding a rule asserts
    errors: tuple[UnscoredCase, ...] = ()
    conditions_measured: bool = True

    @property
    def never_fired(self) -> list[str]:
        """Ids of the rules no case fired, in rule-base order."""
        return [rule.id for rule in self.rules if not rule.fired]

    @property
    def percent(self) -> float:
        """Rule coverage: rules fired / rules, in percent."""
        return 100.0 * sum(1 for rule in self.rules if rule.fired) / len(self.rules) if self.rules else 100.0

    def conditions(self) -> list[tuple[RuleCoverage, ConditionCoverage]]:
        """Every leaf condition of every rule, with its rule."""
        return [(rule, condition) for rule in self.rules for condition in rule.conditions]


class _RuleTally:
    """Running counts for one rule: cases that fired it, and its leaves' truth over the cases."""

    def __init__(self, leaf_nodes: list[Leaf]):
        self.texts = [describe_leaf(leaf) for leaf in leaf_nodes]
        self.tests = [compile_condition(leaf).holds for leaf in leaf_nodes]
        self.fired = 0
        self.cases: dict[str, None] = {}  # an ordered set of names
        self.measured = 0  # cases whose answers were seen
        self.true_counts = [0] * len(leaf_nodes)
        # Each different vector of leaf truths seen, with the rule's outcome and the first case that gave it.
        self.vectors: dict[tuple[bool, ...], tuple[bool, str]] = {}

    def conditions(self) -> tuple[ConditionCoverage, ...]:
        return tuple(
            ConditionCoverage(index, text, self.true_counts[index], self.measured - self.true_counts[index],
                              self._independence(index))
            for index, text in enumerate(self.texts)
        )

    def _independence(self, index: int) -> tuple[str, str] | None:
        for vector, (outcome, case) in self.vectors.items():
            flipped = (*vector[:index], not vector[index], *vector[index + 1:])
            other = self.vectors.get(flipped)
            if other is not None and other[0] != outcome:
                return (case, other[1]) if outcome else (other[1], case)
        return None


class CoverageCollector:
    """Collects coverage one case at a time.

    ``keep_cases`` caps how many case names are kept per rule, level and finding (None: all;
    a name given twice is kept once); counts are always exact. Memory grows with the names
    kept and the different combinations of leaf truths seen, not with the corpus.
    """

    def __init__(self, rulebase: RuleBase, keep_cases: int | None = None):
        self.rulebase = rulebase
        self.keep_cases = keep_cases
        self.cases = 0
        self.errors: list[UnscoredCase] = []
        self._tallies = {rule.id: _RuleTally(leaves(rule.when)) for rule in rulebase.rules}
        self._asserts = {rule.id: rule.asserts for rule in rulebase.rules if rule.asserts}
        self._levels: dict[str, list[Any]] = {level: [0, {}] for level in Urgency}
        asserted = dict.fromkeys(rule.asserts for rule in rulebase.rules if rule.asserts)
        self._findings: dict[str, list[Any]] = {name: [0, {}] for name in asserted}
        self._conditions_measured = True

    def add(self, case_id: str | None, fired_rules: Iterable[str], urgency: str,
            answers: dict[str, Any] | None = None) -> None:
        """Count one scored case, named by ``case_id`` (else its number); condition coverage needs its ``answers``."""
        self.cases += 1
        name = case_id if case_id is not None else f"case #{self.cases}"
        fired = set(fired_rules)
        findings = frozenset(finding for r in fired if (finding := self._asserts.get(r)))
        self._note(self._levels.setdefault(urgency, [0, {}]), name)
        for finding in findings:
            self._note(self._findings.setdefault(finding, [0, {}]), name)
        if answers is None:
            self._conditions_measured = False
        for rule_id, tally in self._tallies.items():
            outcome = rule_id in fired
            if outcome:
                tally.fired += 1
                self._keep(tally.cases, name)
            if answers is not None:
                vector = tuple(test(answers, findings) for test in tally.tests)
                tally.measured += 1
                for index, value in enumerate(vector):
                    tally.true_counts[index] += value
                tally.vectors.setdefault(vector, (outcome, name))

    def add_error(self, case_id: str, source: str, error: str) -> None:
        """Note a case that could not be scored."""
        self.errors.append(UnscoredCase(case_id, source, error))

    def report(self) -> CoverageReport:
        """The coverage so far."""
        rules = tuple(
            RuleCoverage(
                id=item.rule.id, file=item.file, line=item.line, criterion=item.rule.criterion,
                fired=self._tallies[item.rule.id].fired,
                cases=tuple(self._tallies[item.rule.id].cases),
                conditions=self._tallies[item.rule.id].conditions() if self._conditions_measured else (),
            )
            for item in self.rulebase.located
        )
        return CoverageReport(
            rules_version=self.rulebase.version, rules_hash=self.rulebase.content_hash,
            rules_folder=self.rulebase.folder, cases=self.cases, rules=rules,
            levels={k: (v[0], tuple(v[1])) for k, v in self._levels.items()},
            findings={k: (v[0], tuple(v[1])) for k, v in self._findings.items()},
            errors=tuple(self.errors), conditions_measured=self._conditions_measured and self.cases > 0,
        )

    def _note(self, entry: list[Any], name: str) -> None:
        entry[0] += 1
        self._keep(entry[1], name)

    def _keep(self, kept: dict[str, None], name: str) -> None:
        if self.keep_cases is None or len(kept) < self.keep_cases:
            kept[name] = None
