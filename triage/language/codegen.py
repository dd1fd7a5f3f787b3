"""Conditions compiled to Python code: the rule base as one function that chains it, and each rule's explanation.

The code is built as syntax trees from the validated condition trees — never from rule
text: every name in it is ours, every operand a constant taken from a validated rule — and
compiled with ``compile``; each function's code object is taken from the compiled module's
constants, so nothing is executed to define it, and it runs with no builtins. The meaning
of each test is that of ``evaluation.field_meaning`` (a comparison on an unknown answer is
false unless ``or_unknown``), and each explanation that of ``evaluation``'s ``because``;
``tests/test_engine.py`` holds them to those closures on random cases.

``compile_flags`` reads each answer once into a local and evaluates the rules in an order
where every rule comes after all the rules that assert a finding it reads (findings form no
cycles: a rule-base check), so it reaches in one pass the fixed point that forward chaining
reaches: each rule fired once, each finding held when and only when some rule asserting it
fired.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Callable
from typing import Any

from .conditions import AllOf, AnyOf, FieldTest, FindingTest, Node, NotOf, fields_read, fold
from .evaluation import Because, holds_for
from .operators import KNOWNNESS
from .rulebook import Rule, RuleBase

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
    body: list[ast.stmt] = [_assign("get", ast.Attribute(value=_name("answers"), attr="get", ctx=ast.Load()))]
    body += [_assign(variables[name], _get(name)) for name in read]
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
    chain: Flags = _function("chain_rules", "answers", body, f"<rule base {rulebase.content_hash[:12]}>")
    return chain


def _function(name: str, arguments: str, body: list[ast.stmt], where: str) -> Any:
    """A function of ``arguments`` with ``body`` (a tree built here from validated rules, never from rule text)."""
    module = ast.parse(f"def {name}({arguments}):\n    pass\n")  # our own constant text: the function's frame
    function = module.body[0]
    if not isinstance(function, ast.FunctionDef):  # pragma: no cover - the text above is a def
        raise TypeError("the function template is not a function")
    function.body = body
    ast.fix_missing_locations(module)
    # The one use of compile in the package: the module is never run; its one function's code
    # object is taken from its constants, and runs without builtins.
    code = compile(module, where, "exec")
    (function_code,) = [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return types.FunctionType(function_code, {"__builtins__": {}, "OPEN": OPEN})


def _assign(name: str, value: ast.expr) -> ast.Assign:
    return ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value)


def _get(field: str) -> ast.expr:
    return ast.Call(func=_name("get"), args=[ast.Constant(value=field)], keywords=[])


class _Truths:
    """Each node of one condition given a local holding its truth (assignments in evaluation order)."""

    def __init__(self, expressions: _Expressions):
        self.expressions = expressions
        self.body: list[ast.stmt] = []
        self.local: dict[int, str] = {}  # id(node) -> its local

    def _store(self, node: Node, value: ast.expr) -> str:
        local = f"n{len(self.local)}"
        self.local[id(node)] = local
        self.body.append(_assign(local, value))
        return local

    def field(self, test: FieldTest) -> str:
        return self._store(test, self.expressions.field(test)(False))

    def finding(self, test: FindingTest) -> str:
        found = ast.Compare(left=ast.Constant(value=test.finding), ops=[ast.In()], comparators=[_name("findings")])
        return self._store(test, found)

    def all_(self, node: AllOf, parts: list[str]) -> str:
        return self._store(node, _join(ast.And(), [_name(part) for part in parts]))

    def any_(self, node: AnyOf, parts: list[str]) -> str:
        return self._store(node, _join(ast.Or(), [_name(part) for part in parts]))

    def not_(self, node: NotOf, part: str) -> str:
        return self._store(node, ast.UnaryOp(op=ast.Not(), operand=_name(part)))


def _collect(node: Node, truths: _Truths, variables: dict[str, str]) -> list[ast.stmt]:
    """Statements adding a true node's answers to ``out``: every true part under a true branch, in order."""
    if isinstance(node, FieldTest):
        return [_put(node.field, variables)]
    if isinstance(node, FindingTest):
        explained = ast.Subscript(value=_name("explained"), slice=ast.Constant(value=node.finding), ctx=ast.Load())
        update = ast.Attribute(value=_name("out"), attr="update", ctx=ast.Load())
        return [ast.Expr(value=ast.Call(func=update, args=[explained], keywords=[]))]
    if isinstance(node, NotOf):  # a true ``not``: every answer it reads
        return [_put(name, variables) for name in fields_read(node.not_)]
    if isinstance(node, AllOf):
        return [statement for part in node.parts for statement in _collect(part, truths, variables)]
    return [ast.If(test=_name(truths.local[id(part)]), body=_collect(part, truths, variables), orelse=[])
            for part in node.parts]


def _put(field: str, variables: dict[str, str]) -> ast.stmt:
    target = ast.Subscript(value=_name("out"), slice=ast.Constant(value=field), ctx=ast.Store())
    return ast.Assign(targets=[target], value=_name(variables[field]))


def compile_because(rule: Rule) -> Because:
    """A rule's explanation as one function (the meaning of ``evaluation``'s ``because``, each node evaluated once).

    ``because(answers, findings, explained)``: the answers that make the rule's condition true,
    ``{}`` when it is false; ``explained[finding]`` gives the answers behind a finding held.
    """
    read = fields_read(rule.when)
    variables = {name: f"a{number}" for number, name in enumerate(read)}
    truths = _Truths(_Expressions(variables, {}, None))
    body: list[ast.stmt] = [_assign("get", ast.Attribute(value=_name("answers"), attr="get", ctx=ast.Load()))]
    body += [_assign(variables[name], _get(name)) for name in read]
    root = fold(rule.when, truths)
    body += truths.body
    body.append(_assign("out", ast.Dict(keys=[], values=[])))
    body.append(ast.If(test=_name(root), body=_collect(rule.when, truths, variables), orelse=[]))
    body.append(ast.Return(value=_name("out")))
    because: Because = _function("because", "answers, findings, explained", body, f"<rule {rule.id}>")
    return because


