"""Chaining one set of answers and explaining the result: which rules fired, and on which answers.

A ``Derivation`` is what one run of the engine over some answers gives the assessor: the
rules fired (in rule-base order), the findings, and, computed only when asked for, the
answers behind each rule and each finding, so that a reason that reads a finding names the
answers that made the finding true. Most derivations (those of completions) are only
asked for the rules they fire, so explaining is left until a reason needs it.
"""

from __future__ import annotations

from typing import Any

from ..engines import Engine
from ..language.conditions import FieldTest, leaves
from ..language.evaluation import Because
from ..language.rulebook import Rule, RuleBase
from ..models import ANSWER_FIELDS

_FIELD_ORDER = {name: number for number, name in enumerate(ANSWER_FIELDS)}


class _Behind(dict[str, dict[str, Any]]):
    """The answers behind each finding of one derivation, each worked out on first use.

    A finding's answers are the union of the explanations of the fired rules that asserted it
    (in rule-base order); findings form no cycles (a rule-base check), so this recursion ends.
    """

    def __init__(self, derivation: Derivation):
        super().__init__()
        self._derivation = derivation

    def __missing__(self, finding: str) -> dict[str, Any]:
        derivation = self._derivation
        merged: dict[str, Any] = {}
        for rule in derivation.rulebase.asserting[finding]:
            if rule.id in derivation.fired_ids:
                merged.update(derivation.raw_because(rule))
        self[finding] = merged
        return merged


class Explanations(dict[str, Because]):
    """Each rule's explanation as a function: first the closures of ``language.evaluation``, then, once a rule has
    been explained often enough to repay compiling, one compiled function (``language.codegen``): the same meaning,
    faster; a command that assesses one case never compiles (nor imports the syntax-tree module)."""

    def __init__(self, rulebase: RuleBase):
        super().__init__()
        self._rulebase = rulebase
        self._uses: dict[str, int] = {}

    def __missing__(self, rule_id: str) -> Because:
        uses = self._uses[rule_id] = self._uses.get(rule_id, 0) + 1
        if uses <= _INTERPRETED_USES:
            return self._rulebase.compiled[rule_id].because
        from ..language.codegen import compile_because

        because = self[rule_id] = compile_because(self._rulebase.rule(rule_id))
        return because


_INTERPRETED_USES = 20


class Derivation:
    """The rules one set of answers fires, and, on demand, the answers behind each of them."""

    __slots__ = ("_because", "_behind", "_explanations", "_fired_ids", "answers", "findings", "rulebase", "rules")

    def __init__(self, rulebase: RuleBase, answers: dict[str, Any], rules: list[Rule], findings: frozenset[str],
                 explanations: Explanations):
        self.rulebase = rulebase
        self._explanations = explanations
        self.answers = answers
        self.rules = rules  # fired, in rule-base order
        self.findings = findings
        self._fired_ids: frozenset[str] | None = None
        self._behind: _Behind | None = None
        self._because: dict[str, dict[str, Any]] = {}

    @property
    def fired_ids(self) -> frozenset[str]:
        """The ids of the fired rules."""
        if self._fired_ids is None:
            self._fired_ids = frozenset(rule.id for rule in self.rules)
        return self._fired_ids

    @property
    def behind(self) -> dict[str, dict[str, Any]]:
        """Finding -> the answers that made it true (each worked out when first looked up)."""
        if self._behind is None:
            self._behind = _Behind(self)
        return self._behind

    def because(self, rule: Rule) -> dict[str, Any]:
        """The answers that made a fired rule's condition true, in case-format order (unknown as None)."""
        found = self.raw_because(rule)
        if len(found) < 2:
            return dict(found)
        return {name: found[name] for name in sorted(found, key=_FIELD_ORDER.__getitem__)}

    def raw_because(self, rule: Rule) -> dict[str, Any]:
        """Like ``because``, in the order the condition names the answers (do not change the dict returned)."""
        found = self._because.get(rule.id)
        if found is None:
            found = self._explanations[rule.id](self.answers, self.findings, self.behind)
            self._because[rule.id] = found
        return found


class Deriver:
    """Runs one engine over answers and explains the result against one rule base."""

    def __init__(self, rulebase: RuleBase, engine: Engine):
        self.rulebase = rulebase
        self.engine = engine
        self._order = {rule.id: index for index, rule in enumerate(rulebase.rules)}
        self._rules = rulebase.rules
        # The compiled Python engine gives the rules themselves, in rule-base order.
        self._fired_rules = getattr(engine, "fired_rules", None)
        self._explanations = Explanations(rulebase)

    def derive(self, answers: dict[str, Any]) -> Derivation:
        """Chain the answers: the fired rules in rule-base order, and the findings."""
        if self._fired_rules is not None:
            rules, findings = self._fired_rules(answers)
            return Derivation(self.rulebase, answers, rules, findings, self._explanations)
        chain = self.engine.chain(answers)
        index = self._order
        rules = [self._rules[number] for number in sorted(index[rule_id] for rule_id in chain.fired)]
        return Derivation(self.rulebase, answers, rules, chain.findings, self._explanations)


def assumed_answers(rule: Rule, derivation: Derivation, given: dict[str, Any], completed: bool) -> dict[str, Any]:
    """The unanswered questions a reason holds on, with the answer it assumes for each.

    In a completion (``completed``), the answer the completion gave; in the answers as given, the answer an
    ``or_unknown`` test reads into a blank (``is: false, or_unknown: true``: "assuming no").
    A criterion's own reading of an unknown answer that names no single answer (E1's
    "of unknown duration") is not an assumption: the reason shows it as not answered.
    """
    if completed:
        because, filled = derivation.raw_because(rule), derivation.answers
        return {name: filled[name] for name in sorted(because, key=_FIELD_ORDER.__getitem__)
                if name not in given and name in filled}
    assumable = _assumable(rule)
    if not assumable:
        return {}
    because = derivation.raw_because(rule)
    return {name: value for name, value in assumable if name in because and name not in given}


_ASSUMABLE: dict[int, tuple[Rule, list[tuple[str, Any]]]] = {}


def _assumable(rule: Rule) -> list[tuple[str, Any]]:
    """The (field, answer) of each ``is ... or_unknown`` test of a rule, in order (looked up once per rule)."""
    entry = _ASSUMABLE.get(id(rule))
    if entry is None or entry[0] is not rule:
        entry = _ASSUMABLE[id(rule)] = (rule, [
            (leaf.field, leaf.value) for leaf in leaves(rule.when)
            if isinstance(leaf, FieldTest) and leaf.or_unknown and leaf.operator == "is"])
    return entry[1]
