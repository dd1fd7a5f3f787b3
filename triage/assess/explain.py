"""Chaining one set of answers and explaining the result: which rules fired, and on which answers.

A ``Derivation`` is what one run of the engine over some answers gives the assessor: the
rules fired (in rule-base order), the findings, and for each finding the answers behind it,
so that a reason that reads a finding names the answers that made the finding true.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..engines import ChainResult, Engine
from ..language.rulebook import Rule, RuleBase
from ..models import ANSWER_FIELDS


@dataclass(frozen=True)
class Derivation:
    """The rules one set of answers fires, and the answers behind each finding they assert."""

    rulebase: RuleBase
    answers: dict[str, Any]
    chain: ChainResult
    rules: list[Rule]  # fired, in rule-base order
    behind: dict[str, dict[str, Any]]  # finding -> the answers that made it true

    def because(self, rule: Rule) -> dict[str, Any]:
        """The answers that made a fired rule's condition true, in case-format order (unknown as None)."""
        found = self.rulebase.compiled[rule.id].because(self.answers, self.chain.findings, self.behind)
        return {name: found[name] for name in ANSWER_FIELDS if name in found}

    def raw_because(self, rule: Rule) -> dict[str, Any]:
        """Like ``because``, in the order the condition names the answers."""
        return self.rulebase.compiled[rule.id].because(self.answers, self.chain.findings, self.behind)


class Deriver:
    """Runs one engine over answers and explains the result against one rule base."""

    def __init__(self, rulebase: RuleBase, engine: Engine):
        self.rulebase = rulebase
        self.engine = engine
        self._order = {rule.id: index for index, rule in enumerate(rulebase.rules)}

    def derive(self, answers: dict[str, Any]) -> Derivation:
        """Chain the answers: the fired rules in rule-base order, and the answers behind each finding."""
        chain = self.engine.chain(answers)
        rules = [self.rulebase.rule(rule_id) for rule_id in sorted(chain.fired, key=self._order.__getitem__)]
        return Derivation(self.rulebase, answers, chain, rules, self._behind(rules, answers, chain))

    def _behind(self, rules: list[Rule], answers: dict[str, Any], chain: ChainResult) -> dict[str, dict[str, Any]]:
        """The answers behind each finding: the union of the explanations of the fired rules that asserted it."""
        fired = {rule.id for rule in rules}
        asserting = {finding: [rule for rule in self.rulebase.asserting[finding] if rule.id in fired]
                     for finding in chain.findings}
        behind: dict[str, dict[str, Any]] = {}
        compiled, reads = self.rulebase.compiled, self.rulebase.findings_read

        def resolve(finding: str) -> None:
            # Findings form no cycles (a rule-base check), so this recursion ends.
            if finding in behind:
                return
            merged: dict[str, Any] = {}
            for rule in asserting[finding]:
                for needed in reads[rule.id]:
                    if needed in asserting:
                        resolve(needed)
                merged.update(compiled[rule.id].because(answers, chain.findings, behind))
            behind[finding] = merged

        for finding in asserting:
            resolve(finding)
        return behind
