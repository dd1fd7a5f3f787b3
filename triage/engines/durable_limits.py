"""What durable_rules can run: its limits, checked on a rule base before the engine is built.

durable_rules 2.0.28 compiles every rule pattern into one shared network of tests, with
fixed-size tables below each test (``src/rules/rules.h``, ``rete.c``, ``events.c``). Past
them it refuses the rule base with a bare error code, hangs in C (which no time-out can
interrupt), runs out of memory, or fails on a case. Each limit below was measured on our
build with generated rule bases (the largest size that works, the first that does not);
``engine_limit_problems`` builds the same network in Python, from the same compiled JSON,
and names the rules that would reach a limit, in milliseconds:

========================================  ==========  =====================================
what                                       works up to  past it
========================================  ==========  =====================================
tests on answers directly below one test   511          compiling or the first case hangs
unknown tests and ``any`` joins below one  128          refused (error 107), or memory past the
                                                        table overwritten (it is checked by
                                                        reading past its end)
rule patterns ending at one test           256          the same (error 108)
``all``/``any`` groups in one pattern      15           refused (error 113; 2 slots each, 31)
patterns in one compiled rule              16           a case fails (error 304): 15 findings
compiled rules in the rule base            4,096        refused (error 106)
tests matching a case at once (its stack)  64           a case fails (error 303)
a number in a rule                         2**53 - 1    read as a 64-bit integer: 2**64 is
                                                        read as 2**63 - 1, so tests disagree
========================================  ==========  =====================================

A condition that mixes ``any`` with findings is compiled as one durable_rules rule per
alternative (``durable.disjuncts``); their number is the product of the ``any`` sizes, so
it is counted first and refused above ``MAX_ALTERNATIVES``, before anything is expanded.
The stack bound is an upper bound: it assumes every test that can hold at once on one
answer holds, on every path through the network.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..language.conditions import AllOf, AnyOf, FieldTest, FindingTest, Node, NotOf, findings_read, fold, leaves
from ..language.rulebook import LocatedRule, RuleBase

MAX_ALTERNATIVES = 256  # our choice: far above any rule of ours (at most a few), far below the engine's 4,096
MAX_CHILD_TESTS = 511
MAX_JOINS = 128
MAX_PATTERN_ENDS = 256
MAX_GROUP_SLOTS = 31
MAX_PATTERNS = 16
MAX_COMPILED_RULES = 4096
MAX_STACK = 64
MAX_NUMBER = 2**53 - 1

_COMPARE = {"$lt": lambda a, b: a < b, "$lte": lambda a, b: a <= b, "$gt": lambda a, b: a > b,
            "$gte": lambda a, b: a >= b, "$neq": lambda a, b: a != b, "": lambda a, b: a == b}


class _Count:
    """The number of alternatives a condition compiles to (``durable._Disjuncts``), without building them."""

    def field(self, test: FieldTest) -> Any:
        return lambda negate: 1

    def finding(self, test: FindingTest) -> Any:
        return lambda negate: 1

    def _combine(self, node: AllOf | AnyOf, parts: list[Any], conjunction: bool) -> Any:
        plain = not findings_read(node)

        def count(negate: bool) -> int:
            if plain:
                return 1
            counts = [part(negate) for part in parts]
            return math.prod(counts) if conjunction != negate else sum(counts)

        return count

    def all_(self, node: AllOf, parts: list[Any]) -> Any:
        return self._combine(node, parts, True)

    def any_(self, node: AnyOf, parts: list[Any]) -> Any:
        return self._combine(node, parts, False)

    def not_(self, node: NotOf, part: Any) -> Any:
        plain = not findings_read(node)
        return (lambda negate: 1) if plain else (lambda negate: part(not negate))


def alternatives(condition: Node) -> int:
    """How many durable_rules rules a condition compiles to (an exact count, computed without expanding)."""
    result: int = fold(condition, _Count())(False)
    return result


@dataclass(eq=False)
class _Test:
    """One test of the network: ``(property, operator, value)``; a forward node joins an ``any``."""

    prop: str
    op: str  # "" equality, "$gte", "$nex", ..., "forward", "root"
    value: Any = None
    children: dict[tuple[str, str, str], _Test] = field(default_factory=dict)  # tests on answers
    joins: list[_Test] = field(default_factory=list)  # unknown tests and forward nodes (durable's next list)
    ends: int = 0
    owners: Counter[str] = field(default_factory=Counter)  # rules that put something below this test

    def words(self) -> str:
        if self.op == "root":
            return "the start of every pattern"
        if self.op == "forward":
            return "an 'any' group"
        shown = {"": "is", "$neq": "is not", "$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">=",
                 "$ex": "is known", "$nex": "is unknown"}[self.op]
        value = "" if self.op in ("$ex", "$nex") else f" {self.value!r}"
        return f"'{self.prop} {shown}{value}'"


@dataclass
class _Network:
    """The network durable_rules would build, and the limits the rules reach in it."""

    root: _Test = field(default_factory=lambda: _Test("", "root"))
    problems: dict[tuple[int, str], tuple[str, str]] = field(default_factory=dict)  # (node, limit) -> (rule, text)

    def over(self, node: _Test, limit: str, rule: str, text: str) -> None:
        self.problems.setdefault((id(node), limit), (rule, text))

    def build(self, expr: dict[str, Any], parent: _Test, rule: str) -> _Test:
        """The test a pattern's expression ends at (``rete.c:createAlpha``)."""
        (key, value), = expr.items()
        if key == "$and":
            current = parent
            for part in value:
                current = self.build(part, current, rule)
            return current
        if key == "$or":
            forward = _Test("", "forward")
            for part in value:
                self.link_join(self.build(part, parent, rule), forward, rule)
            return forward
        if key.startswith("$"):
            (prop, operand), = value.items()
            op = key
        else:
            prop, op, operand = key, "", value
        if op == "$nex":
            for join in parent.joins:
                if join.op == "$nex" and join.prop == prop:
                    return join
            test = _Test(prop, op, operand)
            self.link_join(parent, test, rule)
            return test
        index = (prop, op, f"{type(operand).__name__}:{operand!r}")
        if index not in parent.children:
            parent.children[index] = _Test(prop, op, operand)
            parent.owners[rule] += 1
            if len(parent.children) > MAX_CHILD_TESTS:
                self.over(parent, "children", rule,
                          f"more than {MAX_CHILD_TESTS} different tests right after {parent.words()} (with the rules "
                          "before it): durable_rules hangs on this")
        return parent.children[index]

    def link_join(self, parent: _Test, child: _Test, rule: str) -> None:
        parent.joins.append(child)
        parent.owners[rule] += 1
        if len(parent.joins) > MAX_JOINS:
            self.over(parent, "joins", rule, f"more than {MAX_JOINS} 'any' groups or 'unknown' tests right after "
                                             f"{parent.words()} (with the rules before it): durable_rules refuses "
                                             "this (error 107)")

    def end(self, node: _Test, rule: str) -> None:
        node.ends += 1
        node.owners[rule] += 1
        if node.ends > MAX_PATTERN_ENDS:
            self.over(node, "ends", rule, f"more than {MAX_PATTERN_ENDS} rule patterns end at {node.words()} (with "
                                          "the rules before it): durable_rules refuses this (error 108)")

    def nodes(self) -> list[_Test]:
        """Every test, parents before children (the network has no cycle)."""
        order: list[_Test] = []
        seen: set[int] = set()
        stack: list[tuple[_Test, bool]] = [(self.root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack += [(child, False) for child in (*node.children.values(), *node.joins) if id(child) not in seen]
        return order[::-1]


def _holding(node: _Test) -> dict[str, tuple[int, int]]:
    """For each property tested right below ``node``: (tests on it one answer can pass at once, 1 if 'unknown')."""
    unknown = {join.prop for join in node.joins if join.op == "$nex"}
    by_prop: dict[str, list[_Test]] = {}
    for child in node.children.values():
        by_prop.setdefault(child.prop, []).append(child)
    return {prop: (_most_holding(by_prop.get(prop, [])), int(prop in unknown)) for prop in set(unknown) | set(by_prop)}


def _most_holding(tests: list[_Test]) -> int:
    """The most of ``tests`` (on one property) that one value satisfies."""
    if not tests:
        return 0
    compared = [t for t in tests if t.op != "$ex"]
    values: set[Any] = set()
    for test in compared:
        value = test.value
        values.add(value)
        if isinstance(value, int) and not isinstance(value, bool):
            values.update((value - 1, value + 1))
    values.update((True, False, object()))  # an answer equal to none of the operands
    known = len(tests) - len(compared)
    best = 0
    for candidate in values:
        holding = 0
        for test in compared:
            try:
                holding += bool(_COMPARE[test.op](candidate, test.value))
            except TypeError:  # another kind of answer: this test does not hold for it
                continue
        best = max(best, holding)
    return known + best


def _stack_peak(network: _Network, order: tuple[str, ...]) -> tuple[int, _Test | None]:
    """An upper bound of durable_rules' stack on one fact, and the test where it is reached.

    durable_rules walks the network depth first with an explicit stack (``events.c:handleAlpha``):
    from each test it pushes the matching tests below it, first those of its next list (every
    'any' join, and each 'unknown' test whose answer is absent) in the order they were added,
    then the tests on answers, property by property in the fact's order (``order``; ``t`` last).
    The last pushed is followed first, so a test is followed with everything pushed before it
    still waiting. Everything that can hold at once is assumed to.
    """
    rank = {prop: number for number, prop in enumerate(order)}
    peak: dict[int, int] = {}  # the stack a test's own walk adds, at most, above what waits below it
    where: dict[int, _Test] = {}
    for node in reversed(network.nodes()):  # children before parents
        holding = _holding(node)
        props = sorted(holding, key=lambda p: (rank.get(p, len(rank)), p))
        forwards = sum(1 for join in node.joins if join.op == "forward")
        best = forwards + sum(max(h, u) for h, u in holding.values())
        best_at = node
        for index, join in enumerate(node.joins):  # waiting below it: the joins added before it
            if peak[id(join)] + index > best:
                best, best_at = peak[id(join)] + index, where[id(join)]
        for position, prop in enumerate(props):
            below = forwards + sum(max(holding[p]) for p in props[:position]) + \
                sum(holding[p][1] for p in props[position + 1:]) + holding[prop][0] - 1
            for child in node.children.values():
                if child.prop == prop and peak[id(child)] + below > best:
                    best, best_at = peak[id(child)] + below, where[id(child)]
        peak[id(node)], where[id(node)] = best, best_at
    root = network.root
    return peak[id(root)], where[id(root)]


def _groups(expr: Any) -> int:
    """Slots of durable_rules' expression sequence a pattern uses: two per ``$and``/``$or``."""
    if not isinstance(expr, dict):
        return 0
    slots = 0
    for key, value in expr.items():
        if key in ("$and", "$or"):
            slots += 2 + sum(_groups(part) for part in value)
    return slots


def _numbers(condition: Node) -> Iterable[tuple[FieldTest, int]]:
    for leaf in leaves(condition):
        if isinstance(leaf, FieldTest):
            values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
            yield from ((leaf, v) for v in values if isinstance(v, int) and not isinstance(v, bool))


def engine_limit_problems(rulebase: RuleBase) -> list[str]:
    """Every way the rule base would go past a limit of durable_rules, each naming the rule (file and id)."""
    from .durable import CATCH_ALL, compile_rule, fact_fields

    problems: list[str] = []
    network = _Network()
    where: dict[str, LocatedRule] = {item.rule.id: item for item in rulebase.located}
    compiled_rules = 1  # the catch-all rule
    for item in rulebase.located:
        rule = item.rule
        for test, number in _numbers(rule.when):
            if abs(number) > MAX_NUMBER:
                problems.append(f"{item.where}: when: field '{test.field}': the number {number} is beyond what the "
                                f"rule engine compares exactly (at most {MAX_NUMBER:,} either way)")
        count = alternatives(rule.when)
        if count > MAX_ALTERNATIVES:
            problems.append(f"{item.where}: when: the condition expands to {count:,} alternatives (at most "
                            f"{MAX_ALTERNATIVES}): an 'all' of several 'any' groups holding findings multiplies them; "
                            "split it into several rules, or assert a finding for each 'any'")
            continue
        compiled_rules += count
        for patterns in compile_rule(rule.id, rule.when).values():
            if len(patterns["all"]) > MAX_PATTERNS:
                problems.append(f"{item.where}: when: an alternative needs {len(patterns['all']) - 1} findings at "
                                f"once (at most {MAX_PATTERNS - 1})")
            for pattern in patterns["all"]:
                (expr,) = pattern.values()
                if _groups(expr) > MAX_GROUP_SLOTS:
                    problems.append(f"{item.where}: when: nested 'all'/'any' groups too deeply for the rule engine "
                                    f"(at most {MAX_GROUP_SLOTS // 2} in one alternative, counting the one every "
                                    "rule has): flatten the condition, or split it into several rules")
                network.end(network.build(expr, network.root, rule.id), rule.id)
    network.end(network.build({"t": "case"}, network.root, CATCH_ALL), CATCH_ALL)
    if compiled_rules > MAX_COMPILED_RULES:
        problems.append(f"the rule base compiles to {compiled_rules:,} rules for durable_rules (at most "
                        f"{MAX_COMPILED_RULES:,}): fewer alternatives ('any' groups holding findings) are needed")
    for rule_id, text in network.problems.values():
        problems.append(f"{_where(rule_id, where)}: {text}")
    if not network.problems:  # the stack bound needs a network durable_rules would build
        peak, node = _stack_peak(network, fact_fields(rulebase))
        if peak > MAX_STACK and node is not None:
            owners = [r for r, _ in node.owners.most_common() if r != CATCH_ALL]
            named = ", ".join(f"'{r}'" for r in owners[:5])
            if len(owners) > 5:
                named += f" and {len(owners) - 5} more"
            problems.append(f"{_where(owners[0] if owners else CATCH_ALL, where)}: up to {peak} tests can match one "
                            f"case at once below {node.words()} (rules {named}); durable_rules follows at most "
                            f"{MAX_STACK} and then fails on the case (error 303): give these rules fewer shared "
                            "'any' groups, or merge them")
    return problems


def _where(rule_id: str, located: dict[str, LocatedRule]) -> str:
    item = located.get(rule_id)
    return item.where if item is not None else f"rule '{rule_id}'"
