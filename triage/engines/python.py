"""The compiled Python engine: the rule base compiled to one Python function that chains it to the fixed point.

``language.codegen.compile_flags`` builds the function from the validated condition trees
(never from rule text); it evaluates each rule once, after every rule asserting a finding it
reads, which reaches the fixed point durable_rules reaches by forward chaining: each rule
fired once, each finding asserted once. ``tests/test_engine.py`` checks it against
durable_rules and against a textbook fixed point over ``language.evaluation``'s closures.
"""

from __future__ import annotations

from itertools import compress
from typing import Any

from ..language.codegen import compile_flags
from ..language.rulebook import Rule, RuleBase
from . import ChainResult


class PythonEngine:
    """The rule base compiled to one Python function (see the module docstring); one per process is enough."""

    def __init__(self, rulebase: RuleBase):
        self.rulebase = rulebase
        self.flags = compile_flags(rulebase)
        self._rules = rulebase.rules
        self._ids = tuple(rule.id for rule in rulebase.rules)
        self._findings = tuple(sorted({rule.asserts for rule in rulebase.rules if rule.asserts}))

    def chain(self, answers: dict[str, Any]) -> ChainResult:
        """Run the rules to the fixed point over the known answers (the rules fired in rule-base order)."""
        fired, held = self.flags(answers)
        return ChainResult(tuple(compress(self._ids, fired)), frozenset(compress(self._findings, held)))

    def fired_rules(self, answers: dict[str, Any]) -> tuple[list[Rule], frozenset[str]]:
        """Like ``chain``, with the rules themselves (in rule-base order): what ``assess`` reads."""
        fired, held = self.flags(answers)
        return list(compress(self._rules, fired)), frozenset(compress(self._findings, held))

    def close(self) -> None:
        """Nothing to free."""
