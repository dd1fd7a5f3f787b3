"""A textbook forward chainer over the closures of ``language.evaluation``: the reference both engines are held to.

It applies every rule whose condition holds until nothing new fires, knowing nothing of the
order of the rules or of the findings between them, so it shares no code with the compiled
Python engine (``language.codegen``) nor with the durable_rules compiler.
"""

from __future__ import annotations

from typing import Any

from triage.engines import ChainResult
from triage.language.rulebook import RuleBase


class NaiveEngine:
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
