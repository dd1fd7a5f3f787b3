"""The compiled Python engine: the whole rule base compiled to one Python function that chains to the fixed point.

The function is built as a syntax tree from the validated condition trees (never from rule
text: every name in it is ours, every operand a constant taken from a validated rule) and
compiled with ``compile``; the function's code object is taken from the compiled module's
constants, so nothing is executed to define it. It reads each answer once into a local,
evaluates the rules in an order where every rule comes after all the rules that assert a
finding it reads (findings form no cycles: a rule-base check), and so reaches in one pass
the fixed point that durable_rules reaches by forward chaining: each rule fired once, each
finding asserted once, when and only when some rule asserting it fired.

The meaning of each test is that of ``language.evaluation.field_meaning`` (a comparison on an
unknown answer is false unless ``or_unknown``); ``tests/test_engine.py`` checks this engine
against durable_rules and against a textbook fixed point over those closures.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Callable
from itertools import compress
from typing import Any

from ..language.conditions import AllOf, AnyOf, FieldTest, FindingTest, NotOf, fold
from ..language.evaluation import holds_for
from ..language.operators import KNOWNNESS
from ..language.rulebook import Rule, RuleBase
from . import ChainResult

#: The compiled function: answers in, (whether each rule fired, in rule-base order; whether each finding holds).
Flags = Callable[[dict[str, Any]], tuple[tuple[bool, ...], tuple[bool, ...]]]

_COMPARE: dict[str, type[ast.cmpop]] = {
    "is": ast.Eq, "ne": ast.NotEq, "lt": ast.Lt, "lte": ast.LtE, "gt": ast.Gt, "gte": ast.GtE, "in": ast.In,
}


def _name(name: str) -> ast.Name:
    return ast.Name(id=name, ctx=ast.Load())


def _is_none(variable: str, negated: bool) -> ast.expr:
    return ast.Compare(left=_name(variable), ops=[ast.IsNot() if negated else ast.Is()],
                       comparators=[ast.Constant(value=None)])


#: A node as an expression, given whether it sits under an odd number of ``not``.
_Polar = Callable[[bool], ast.expr]


class _Expressions:
    """Each node of a condition as a Python expression over the locals of ``compile_flags``.

    With ``open_answers`` (field -> the answers it may take), a field whose local is ``OPEN``
    stands for any of its answers: each test of it is replaced by whether it can be true for
    one of them (or, under ``not``, whether it is true for all of them), so that the rule's
    value over-approximates whether some of those answers make it true.
    """

    def __init__(self, variables: dict[str, str], found: dict[str, str], open_answers: dict[str, list[Any]] | None):
        self.variables = variables
        self.found = found
        self.open_answers = open_answers or {}

    def field(self, test: FieldTest) -> _Polar:
        variable = self.variables[test.field]
        if test.operator == KNOWNNESS:
            concrete = _is_none(variable, negated=not test.value)
        else:
            operand: Any = tuple(test.value) if test.op.operand == "values" else test.value
            compared = ast.Compare(left=_name(variable), ops=[_COMPARE[test.operator]()],
                                   comparators=[ast.Constant(value=operand)])
            if test.or_unknown:  # true when unknown, else the comparison
                concrete = ast.BoolOp(op=ast.Or(), values=[_is_none(variable, negated=False), compared])
            else:
                concrete = ast.BoolOp(op=ast.And(), values=[_is_none(variable, negated=True), compared])
        answers = self.open_answers.get(test.field)
        if answers is None:
            return lambda negated: concrete
        truths = [holds_for(test, answer) for answer in answers]

        def polar(negated: bool) -> ast.expr:
            bound = all(truths) if negated else any(truths)
            is_open = ast.Compare(left=_name(variable), ops=[ast.Is()], comparators=[_name("OPEN")])
            return ast.IfExp(test=is_open, body=ast.Constant(value=bound), orelse=concrete)

        return polar

    def finding(self, test: FindingTest) -> _Polar:
        name = _name(self.found[test.finding])
        return lambda negated: name  # findings are never negated (a rule-base check)

    def all_(self, node: AllOf, parts: list[_Polar]) -> _Polar:
        return lambda negated: _join(ast.And(), [part(negated) for part in parts])

    def any_(self, node: AnyOf, parts: list[_Polar]) -> _Polar:
        return lambda negated: _join(ast.Or(), [part(negated) for part in parts])

    def not_(self, node: NotOf, part: _Polar) -> _Polar:
        return lambda negated: ast.UnaryOp(op=ast.Not(), operand=part(not negated))


def _join(op: ast.boolop, parts: list[ast.expr]) -> ast.expr:
    return parts[0] if len(parts) == 1 else ast.BoolOp(op=op, values=parts)


#: The answer that stands for "any of this field's answers" in ``compile_flags(..., open_answers)``.
OPEN = object()


def firing_order(rulebase: RuleBase) -> list[Rule]:
    """The rules in rule-base order, except that each comes after every rule asserting a finding it reads."""
    placed: list[Rule] = []
    done: set[str] = set()

    def place(rule: Rule) -> None:
        # Findings form no cycles (checked on load), so the recursion ends.
        if rule.id in done:
            return
        for finding in rulebase.findings_read[rule.id]:
            for source in rulebase.asserting.get(finding, ()):
                place(source)
        done.add(rule.id)
        placed.append(rule)

    for rule in rulebase.rules:
        place(rule)
    return placed


def compile_flags(rulebase: RuleBase, open_answers: dict[str, list[Any]] | None = None) -> Flags:
    """The rule base as one Python function from answers to the flags of the rules fired and findings held.

    With ``open_answers``, a field given as ``OPEN`` may take any of its listed answers, and a
    rule's flag is false only when no combination of them fires it (see ``_Expressions``).
    """
    read = rulebase.fields_read
    variables = {name: f"a{number}" for number, name in enumerate(read)}
    findings = sorted({rule.asserts for rule in rulebase.rules if rule.asserts})
    found = {name: f"f{number}" for number, name in enumerate(findings)}
    fired = {rule.id: f"r{number}" for number, rule in enumerate(rulebase.rules)}
    expressions = _Expressions(variables, found, open_answers)
    body: list[ast.stmt] = [ast.Assign(targets=[ast.Name(id="get", ctx=ast.Store())],
                                       value=ast.Attribute(value=_name("answers"), attr="get", ctx=ast.Load()))]
    for name in read:
        body.append(ast.Assign(targets=[ast.Name(id=variables[name], ctx=ast.Store())],
                               value=ast.Call(func=_name("get"), args=[ast.Constant(value=name)], keywords=[])))
    asserting_left = {name: len(rulebase.asserting[name]) for name in findings}
    for rule in firing_order(rulebase):
        condition = fold(rule.when, expressions)(False)
        # Every expression is a bool: comparisons, ``not``, and ``and``/``or`` of bools.
        body.append(ast.Assign(targets=[ast.Name(id=fired[rule.id], ctx=ast.Store())], value=condition))
        if rule.asserts:
            asserting_left[rule.asserts] -= 1
            if asserting_left[rule.asserts] == 0:  # every rule asserting it has been evaluated
                sources: list[ast.expr] = [_name(fired[source.id]) for source in rulebase.asserting[rule.asserts]]
                value = sources[0] if len(sources) == 1 else ast.BoolOp(op=ast.Or(), values=sources)
                body.append(ast.Assign(targets=[ast.Name(id=found[rule.asserts], ctx=ast.Store())], value=value))
    flags = ast.Tuple(elts=[_name(fired[rule.id]) for rule in rulebase.rules], ctx=ast.Load())
    held = ast.Tuple(elts=[_name(found[name]) for name in findings], ctx=ast.Load())
    body.append(ast.Return(value=ast.Tuple(elts=[flags, held], ctx=ast.Load())))
    module = ast.parse("def chain_rules(answers):\n    pass\n")  # our own constant text: the function's frame
    function = module.body[0]
    if not isinstance(function, ast.FunctionDef):  # pragma: no cover - the text above is a def
        raise TypeError("the function template is not a function")
    function.body = body
    ast.fix_missing_locations(module)
    # A tree built above from validated rules, never rule text; the module is not run: its one
    # function's code object is taken from its constants.
    code = compile(module, f"<rule base {rulebase.content_hash[:12]}>", "exec")
    (function_code,) = [c for c in code.co_consts if isinstance(c, types.CodeType)]
    chain: Flags = types.FunctionType(function_code, {"__builtins__": {}, "OPEN": OPEN})
    return chain


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
