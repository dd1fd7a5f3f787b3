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
microseconds). Answers given one at a time are handled by ``assessment.Session``.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Optional

from .chaining import ChainResult
from .conditions import AllOf, FieldTest, FindingTest, Node, NotOf, children, findings_read
from .errors import EngineError, RuleBaseError
from .rulebook import RuleBase

import durable_rules_engine as _core  # noqa: E402,I001 - durable_rules' C core (package durable-rules)

CATCH_ALL = "_catch-all"  # rule ids cannot start with "_" (rulebook.ID_PATTERN)
_LOWEST_PRIORITY = 65535  # pri is an unsigned short; lowest value runs first
_NEGATED = {"is": "ne", "ne": "is", "lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt"}
_DURABLE_OPS = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}
_ruleset_numbers = itertools.count(1)

Expr = Optional[dict[str, Any]]


def _compare(field: str, op: str, value: Any) -> dict[str, Any]:
    if op == "is":
        return {field: value}
    return {_DURABLE_OPS[op]: {field: value}}


def _join(op: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    return parts[0] if len(parts) == 1 else {op: parts}


def _field_expr(test: FieldTest, negate: bool) -> dict[str, Any]:
    field, op = test.field, test.operator
    known, unknown = {"$ex": {field: 1}}, {"$nex": {field: 1}}
    if op == "unknown":
        return unknown if test.unknown != negate else known
    if op == "in":
        values = list(test.value)
        if negate:
            compared = _join("$and", [_compare(field, "ne", v) for v in values])
        else:
            compared = _join("$or", [_compare(field, "is", v) for v in values])
    else:
        compared = _compare(field, _NEGATED[op] if negate else op, test.value)
    # A comparison on an unknown answer is false, so its negation is true when unknown;
    # or_unknown flips both.
    if test.or_unknown != negate:
        return {"$or": [compared, unknown]}
    return compared


def field_expression(node: Node, negate: bool = False) -> dict[str, Any]:
    """A finding-free condition as a durable_rules test expression on the case fact."""
    if isinstance(node, FieldTest):
        return _field_expr(node, negate)
    if isinstance(node, NotOf):
        return field_expression(node.not_, not negate)
    if isinstance(node, FindingTest):
        raise ValueError("findings are matched as separate facts, not inside a field expression")
    conjunction = isinstance(node, AllOf) != negate
    return _join("$and" if conjunction else "$or", [field_expression(c, negate) for c in children(node)])


def _and(a: Expr, b: Expr) -> Expr:
    if a is None or b is None:
        return a if b is None else b
    return {"$and": [a, b]}


def disjuncts(node: Node, negate: bool = False) -> list[tuple[Expr, frozenset[str]]]:
    """A condition as alternatives, each a test on the case fact plus findings that must all be present."""
    if not findings_read(node):
        return [(field_expression(node, negate), frozenset())]
    if isinstance(node, FindingTest):
        if negate:
            raise ValueError("negated findings are not supported")
        return [(None, frozenset({node.finding}))]
    if isinstance(node, NotOf):
        return disjuncts(node.not_, not negate)
    if isinstance(node, AllOf) != negate:
        combined: list[tuple[Expr, frozenset[str]]] = [(None, frozenset())]
        for child in children(node):
            combined = [(_and(e1, e2), f1 | f2) for e1, f1 in combined for e2, f2 in disjuncts(child, negate)]
        return combined
    return [alt for child in children(node) for alt in disjuncts(child, negate)]


def compile_rule(rule_id: str, condition: Node) -> dict[str, dict[str, Any]]:
    """One rule as durable_rules JSON rules: one per alternative needing findings, named ``<id>#<n>``."""
    compiled: dict[str, dict[str, Any]] = {}
    for number, (expr, needed) in enumerate(disjuncts(condition)):
        case_test: dict[str, Any] = {"t": "case"} if expr is None else {"$and": [{"t": "case"}, expr]}
        patterns = [{"c": case_test}]
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


def _rules_refused(rulebase: RuleBase) -> list[str]:
    """The rules durable_rules cannot compile on their own, each located by file and id."""
    problems = []
    for item in rulebase.located:
        probe = compile_rule(item.rule.id, item.rule.when)
        probe[CATCH_ALL] = {"all": [{"c": {"t": "case"}}]}
        try:
            _core.delete_ruleset(_core.create_ruleset(f"probe{next(_ruleset_numbers)}", json.dumps(probe)))
        except Exception as exc:  # noqa: BLE001 - the C core raises plain errors with a code
            problems.append(f"{item.file}: rule '{item.rule.id}': durable_rules cannot compile this condition "
                            f"({exc}); simplify it or split it into several rules")
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
        self._answer_fields = frozenset(rulebase.fields_read)
        self._sid = itertools.count(1)
        definition = json.dumps(compile_rulebase(rulebase))
        try:
            self._handle: Optional[int] = _core.create_ruleset(self.ruleset_name, definition)
        except Exception as exc:  # the C core reports compile problems as plain exceptions with a code
            located = _rules_refused(rulebase)
            if located:
                raise RuleBaseError(f"rule base {rulebase.folder}: durable_rules refuses {len(located)} rule(s)",
                                    located) from exc
            raise EngineError(f"durable_rules refused the compiled rule base: {exc}") from exc

    def close(self) -> None:
        """Free the engine's C memory (durable_rules never frees a ruleset by itself)."""
        if self._handle is not None:
            _core.delete_ruleset(self._handle)
            self._handle = None

    def chain(self, answers: dict[str, Any]) -> ChainResult:
        """Run the rules over one case's known answers in a fresh session, deleted afterwards."""
        sid = str(next(self._sid))
        fact = {name: value for name, value in answers.items() if name in self._answer_fields}
        fact.update(t="case", sid=sid)
        handle = self._handle
        if handle is None:
            raise EngineError("this engine has been closed")
        fired: list[str] = []
        seen: set[str] = set()
        findings: set[str] = set()
        state = None
        try:
            encoded = json.dumps(fact)
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
                            derived = json.dumps({"t": "finding", "name": finding, "sid": sid})
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


def _abandon(handle: int, state: int) -> None:
    try:
        _core.abandon_action(handle, state)
    except Exception:  # noqa: BLE001 - best effort: the original error is the one to report
        pass
