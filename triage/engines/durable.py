"""The durable_rules engine: rule files compiled to durable_rules JSON rulesets, one session per case.

This is the only module that imports durable_rules. It follows ``shared/durable-rules.md``,
driving the engine's C core directly rather than through ``durable.engine.Host``:

- no Host, so none of its background timer threads (they crash with several live sessions)
  and no Python layer that swallows exceptions raised inside actions;
- rules as JSON rulesets, compiled here from the rule files;
- facts, never events; every pattern carries a type discriminator ``t`` (case or finding),
  so the session state can never match a rule;
- one short-lived session per evaluation, always deleted, one live session at a time;
- a catch-all rule on the case fact (a case that matches no rule is still handled, and
  ``delete_state`` always follows an action: deleting a session that ran none crashes);
- ``$or`` fires once per true branch, so every rule is recorded once per case;
- no negation in patterns: ``not`` is pushed down to the field tests before compiling, and
  findings are never negated (the rule base checks refuse it);
- a finding is asserted once per case, and only when some rule reads it;
- every result code of the engine is checked; any failure is raised as ``EngineError``.

durable_rules keeps no truth maintenance: a derived finding cannot be withdrawn when an
answer changes, so every evaluation starts from a fresh session (a few tens of
microseconds). Answers given one at a time are handled by ``assess.assessor.Session``.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from typing import Any

import durable_rules_engine as _core  # durable_rules' C core (package durable-rules)
import orjson

from ..errors import EngineError, RuleBaseError
from ..language.conditions import AllOf, AnyOf, FieldTest, FindingTest, Node, NotOf, findings_read, fold
from ..language.operators import KNOWNNESS, OPERATORS
from ..language.rulebook import RuleBase
from ..models import ANSWER_FIELDS
from . import ChainResult
from .durable_limits import engine_limit_problems

CATCH_ALL = "_catch-all"  # rule ids cannot start with "_" (rulebook.ID_PATTERN)
_LOWEST_PRIORITY = 65535  # pri is an unsigned short; lowest value runs first
_ruleset_numbers = itertools.count(1)

Expr = dict[str, Any] | None
#: An expression builder: given whether the condition is negated, its durable_rules test.
Negatable = Any


def _compare(field: str, name: str, value: Any) -> dict[str, Any]:
    durable = OPERATORS[name].durable
    if durable is None:
        raise ValueError(f"operator '{name}' has no durable_rules form")
    return {field: value} if durable == "" else {durable: {field: value}}


def _join(op: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    return parts[0] if len(parts) == 1 else {op: parts}


def _field_expr(test: FieldTest, negate: bool) -> dict[str, Any]:
    field, operator = test.field, test.op
    known, unknown = {"$ex": {field: 1}}, {"$nex": {field: 1}}
    if operator.name == KNOWNNESS:
        return unknown if test.value != negate else known
    if operator.each is not None:  # true when the test holds for one of the listed values
        each = OPERATORS[operator.each]
        if negate:
            compared = _join("$and", [_compare(field, each.negation or "", v) for v in test.value])
        else:
            compared = _join("$or", [_compare(field, each.name, v) for v in test.value])
    else:
        compared = _compare(field, (operator.negation or "") if negate else operator.name, test.value)
    # A comparison on an unknown answer is false, so its negation is true when unknown;
    # or_unknown flips both.
    if test.or_unknown != negate:
        return {"$or": [compared, unknown]}
    return compared


class _FieldExpression:
    """A finding-free condition as a function of negation to a durable_rules test on the case fact."""

    def field(self, test: FieldTest) -> Negatable:
        return lambda negate: _field_expr(test, negate)

    def finding(self, test: FindingTest) -> Negatable:
        raise ValueError("findings are matched as separate facts, not inside a field expression")

    def all_(self, node: AllOf, parts: list[Negatable]) -> Negatable:
        return lambda negate: _join("$or" if negate else "$and", [part(negate) for part in parts])

    def any_(self, node: AnyOf, parts: list[Negatable]) -> Negatable:
        return lambda negate: _join("$and" if negate else "$or", [part(negate) for part in parts])

    def not_(self, node: NotOf, part: Negatable) -> Negatable:
        return lambda negate: part(not negate)


def field_expression(node: Node, negate: bool = False) -> dict[str, Any]:
    """A finding-free condition as a durable_rules test expression on the case fact (``not`` pushed down)."""
    expression: dict[str, Any] = fold(node, _FieldExpression())(negate)
    return expression


def _and(a: Expr, b: Expr) -> Expr:
    if a is None or b is None:
        return a if b is None else b
    return {"$and": [a, b]}


Alternatives = list[tuple[Expr, frozenset[str]]]


class _Disjuncts:
    """A condition as alternatives, each a test on the case fact plus findings that must all be present."""

    def field(self, test: FieldTest) -> Any:
        return lambda negate: [(_field_expr(test, negate), frozenset())]

    def finding(self, test: FindingTest) -> Any:
        def alternatives(negate: bool) -> Alternatives:
            if negate:
                raise ValueError("negated findings are not supported")
            return [(None, frozenset({test.finding}))]

        return alternatives

    def _combine(self, node: AllOf | AnyOf, parts: list[Any], conjunction: bool) -> Any:
        plain = not findings_read(node)

        def alternatives(negate: bool) -> Alternatives:
            if plain:  # no finding below: one test on the case fact
                return [(field_expression(node, negate), frozenset())]
            if conjunction != negate:
                combined: Alternatives = [(None, frozenset())]
                for part in parts:
                    combined = [(_and(e1, e2), f1 | f2) for e1, f1 in combined for e2, f2 in part(negate)]
                return combined
            return [alt for part in parts for alt in part(negate)]

        return alternatives

    def all_(self, node: AllOf, parts: list[Any]) -> Any:
        return self._combine(node, parts, True)

    def any_(self, node: AnyOf, parts: list[Any]) -> Any:
        return self._combine(node, parts, False)

    def not_(self, node: NotOf, part: Any) -> Any:
        plain = not findings_read(node)
        return (lambda negate: [(field_expression(node, negate), frozenset())]) if plain else (
            lambda negate: part(not negate))


def disjuncts(node: Node, negate: bool = False) -> Alternatives:
    """A condition as alternatives, each a test on the case fact plus findings that must all be present."""
    alternatives: Alternatives = fold(node, _Disjuncts())(negate)
    return alternatives


def compile_rule(rule_id: str, condition: Node) -> dict[str, dict[str, Any]]:
    """One rule as durable_rules JSON rules: one per alternative needing findings, named ``<id>#<n>``."""
    compiled: dict[str, dict[str, Any]] = {}
    for number, (expr, needed) in enumerate(disjuncts(condition)):
        case_test: dict[str, Any] = {"t": "case"} if expr is None else {"$and": [{"t": "case"}, expr]}
        patterns: list[dict[str, Any]] = [{"c": case_test}]
        patterns += [{f"f{i}": {"$and": [{"t": "finding"}, {"name": name}]}} for i, name in enumerate(sorted(needed))]
        compiled[f"{rule_id}#{number}"] = {"all": patterns}
    return compiled


def compile_rulebase(rulebase: RuleBase) -> dict[str, dict[str, Any]]:
    """The rule base as a durable_rules JSON ruleset (without actions): ``{name: {"all": [...]}}``.

    The action records each rule id once, however many of its alternatives fire.
    """
    ruleset: dict[str, dict[str, Any]] = {}
    for rule in rulebase.rules:
        ruleset.update(compile_rule(rule.id, rule.when))
    ruleset[CATCH_ALL] = {"all": [{"c": {"t": "case"}}], "pri": _LOWEST_PRIORITY}
    return ruleset


#: What the C core's error codes mean (durable_rules ``src/rules/rules.h``).
_CODES = {
    "101": "out of memory", "106": "too many rules, or too many different tests below one test",
    "107": "too many 'any' groups or 'unknown' tests below one test", "108": "too many rules ending at one test",
    "113": "'all'/'any' groups nested too deeply", "303": "too many tests match a case at once",
    "304": "too many findings in one rule",
}


def _code_meaning(exc: Exception) -> str:
    code = str(exc).rsplit(" ", 1)[-1]
    return f"{_CODES.get(code, 'an error')} (durable_rules error {code})"


def fact_fields(rulebase: RuleBase) -> tuple[str, ...]:
    """The answers a case fact carries: those the rules read, in the order of the case format."""
    read = set(rulebase.fields_read)
    return tuple(name for name in ANSWER_FIELDS if name in read)


def _rules_refused(rulebase: RuleBase) -> list[str]:
    """The rules durable_rules cannot compile on their own, each located by file and id."""
    problems = []
    for item in rulebase.located:
        probe = compile_rule(item.rule.id, item.rule.when)
        probe[CATCH_ALL] = {"all": [{"c": {"t": "case"}}]}
        try:
            _core.delete_ruleset(_core.create_ruleset(f"probe{next(_ruleset_numbers)}", json.dumps(probe)))
        except Exception as exc:  # noqa: BLE001 - the C core raises plain errors with a code
            problems.append(f"{item.where}: durable_rules cannot compile this condition "
                            f"({_code_meaning(exc)}); simplify it or split it into several rules")
    return problems


class DurableEngine:
    """Forward chaining of a rule base on durable_rules; one instance per process, not thread-safe.

    The rules are matched by durable_rules' C core, driven directly: its Python layer
    (``durable.engine``) decodes every activation from JSON, re-encodes the session state
    after every action and builds several objects per action, which is most of its cost
    (shared/durable-rules.md) and where it swallows exceptions. Here an activation is read
    only for its rule name, the state is never rewritten, and the actions are ours: an
    exception in one propagates, after the session is abandoned and deleted.
    """

    def __init__(self, rulebase: RuleBase):
        self.rulebase = rulebase
        self.ruleset_name = f"triage{next(_ruleset_numbers)}"
        self._asserts = {rule.id: rule.asserts for rule in rulebase.rules}
        self._consumed = rulebase.consumed_findings
        self._fact_fields = fact_fields(rulebase)
        self._sid = itertools.count(1)
        # What the C core cannot run it refuses with a bare code, or hangs on, or fails on a case:
        # found here first, naming the rules (durable_limits), in milliseconds.
        limits = engine_limit_problems(rulebase)
        if limits:
            noun = "problem" if len(limits) == 1 else "problems"
            raise RuleBaseError(f"rule base {rulebase.folder}: {len(limits)} {noun}: beyond what the rule engine "
                                "(durable_rules) can run", limits)
        definition = json.dumps(compile_rulebase(rulebase))
        try:
            self._handle: int | None = _core.create_ruleset(self.ruleset_name, definition)
        except Exception as exc:  # the C core reports compile problems as plain exceptions with a code
            located = _rules_refused(rulebase)
            if located:
                raise RuleBaseError(f"rule base {rulebase.folder}: durable_rules refuses {len(located)} rule(s)",
                                    located) from exc
            raise RuleBaseError(f"rule base {rulebase.folder}: durable_rules refuses it",
                                [f"{_code_meaning(exc)}; no single rule is refused on its own"]) from exc

    def close(self) -> None:
        """Free the engine's C memory (durable_rules never frees a ruleset by itself)."""
        if self._handle is not None:
            _core.delete_ruleset(self._handle)
            self._handle = None

    def chain(self, answers: dict[str, Any]) -> ChainResult:
        """Run the rules over one case's known answers in a fresh session, deleted afterwards."""
        sid = str(next(self._sid))
        # In the case format's order: the order durable_rules walks its tests in (durable_limits).
        fact = {name: answers[name] for name in self._fact_fields if name in answers}
        fact.update(t="case", sid=sid)
        handle = self._handle
        if handle is None:
            raise EngineError("this engine has been closed")
        fired: list[str] = []
        seen: set[str] = set()
        findings: set[str] = set()
        state = None
        try:
            try:
                encoded = orjson.dumps(fact).decode()
            except TypeError:  # a number beyond 64 bits (a valid answer, e.g. duration_days): see _clamped
                encoded = orjson.dumps(_clamped(fact)).decode()
            state = self._checked(_core.assert_fact(handle, encoded), "the case")
            started = _core.start_action_for_state(handle, state)
            activation = started[1] if started else None
            while activation:
                # An activation is '{"<durable rule name>":{...matched facts...}}'.
                rule_id = activation[2:activation.index('"', 2)].split("#")[0]
                if rule_id != CATCH_ALL and rule_id not in seen:  # $or fires once per true branch
                    seen.add(rule_id)
                    fired.append(rule_id)
                    finding = self._asserts[rule_id]
                    if finding and finding not in findings:  # asserting a fact twice is an error
                        findings.add(finding)
                        if finding in self._consumed:  # a fact no rule reads is an error
                            derived = f'{{"t":"finding","name":"{finding}","sid":"{sid}"}}'  # a finding is a name
                            self._checked(_core.assert_fact(handle, derived), f"finding {finding}")
                activation = _core.complete_and_start_action(handle, state)
        except BaseException as exc:
            if state is not None:
                _abandon(handle, state)
                _core.delete_state(handle, sid)
            if isinstance(exc, Exception):
                raise EngineError(f"durable_rules failed on a case: {type(exc).__name__}: {exc}") from exc
            raise  # an interrupt stays an interrupt
        # The catch-all rule guarantees an action ran, which delete_state needs (P2).
        _core.delete_state(handle, sid)
        return ChainResult(tuple(fired), frozenset(findings))

    @staticmethod
    def _checked(result: tuple[int, int], what: str) -> int:
        code, state = result
        if code != 0:
            reason = {1: "no rule matched it", 2: "it was already asserted"}.get(code, f"result code {code}")
            raise EngineError(f"durable_rules did not take {what}: {reason}")
        return state


#: durable_rules reads numbers as 64-bit integers, saturating beyond (C ``atol``): the same here,
#: so a number past 2**63 compares as the largest one. Rule operands are at most 2**53
#: (durable_limits), so every test of a clamped answer keeps its meaning.
_INT64 = 2**63 - 1


def _clamped(fact: dict[str, Any]) -> dict[str, Any]:
    return {name: max(-_INT64, min(_INT64, value)) if type(value) is int else value for name, value in fact.items()}


def _abandon(handle: int, state: int) -> None:
    with contextlib.suppress(Exception):  # best effort: the original error is the one to report
        _core.abandon_action(handle, state)
