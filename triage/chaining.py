"""What forward chaining over a rule base produces, and a plain-Python chainer used as the test oracle.

Both evaluators (this one and ``engine.DurableEngine``) take the known answers of a case
and return the rules that fired and the findings they asserted; everything after that
(level, completeness, explanation) is computed from that result in ``assessment.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from .rulebook import RuleBase


@dataclass(frozen=True)
class ChainResult:
    """The rules that fired for one case (each once, in firing order) and the findings asserted."""

    fired: tuple[str, ...]
    findings: frozenset[str]


class Evaluator(Protocol):
    """Anything that chains a rule base over one case's answers."""

    def chain(self, answers: dict[str, Any]) -> ChainResult:
        """Run the rules to a fixed point over the known answers (unknown answers are absent)."""
        ...


class ReferenceEvaluator:
    """Naive forward chaining in plain Python: apply every rule until nothing new fires."""

    def __init__(self, rulebase: RuleBase):
        self.rules = [(rule.id, rule.asserts, rulebase.compiled[rule.id].holds) for rule in rulebase.rules]

    def chain(self, answers: dict[str, Any]) -> ChainResult:
        """Run the rules to a fixed point over the known answers."""
        fired: list[str] = []
        done: set[str] = set()
        findings: set[str] = set()
        changed = True
        while changed:
            changed = False
            for rule_id, asserts, holds in self.rules:
                if rule_id not in done and holds(answers, findings):
                    done.add(rule_id)
                    fired.append(rule_id)
                    if asserts and asserts not in findings:
                        findings.add(asserts)
                        changed = True
        return ChainResult(tuple(fired), frozenset(findings))
