"""The plain-Python engine: forward chaining to a fixed point over the rule base's compiled conditions."""

from __future__ import annotations

from typing import Any

from ..language.rulebook import RuleBase
from . import ChainResult


class PythonEngine:
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

    def close(self) -> None:
        """Nothing to free."""
