"""The Python meaning of a condition: compiled once into closures that test answers and explain themselves.

``holds(answers, findings)``: whether the condition is true; unknown answers are absent from
``answers``, and a comparison on one is false unless the test says ``or_unknown``.
``because(answers, findings, explained)``: the answers that make a true condition true —
every true leaf under a true branch, findings replaced by the answers behind them
(``explained``), unknown answers as ``None``; ``{}`` when the condition is false.

The operators' meanings are those of ``operators.OPERATORS``; the durable_rules engine
compiles the same trees from the same table (``engines.durable``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .conditions import AllOf, AnyOf, FieldTest, FindingTest, Node, NotOf, fields_read, fold
from .operators import KNOWNNESS

Answers = dict[str, Any]
Findings = set[str] | frozenset[str]
Explanations = dict[str, dict[str, Any]]
Holds = Callable[[Answers, Findings], bool]
Because = Callable[[Answers, Findings, Explanations], dict[str, Any]]


class Compiled:
    """A condition compiled into closures: ``holds`` and ``because`` (see the module docstring)."""

    __slots__ = ("because", "holds")

    def __init__(self, holds: Holds, because: Because):
        self.holds = holds
        self.because = because


def field_meaning(test: FieldTest) -> Holds:
    """Whether a field test holds for some answers (the one place a test's meaning is put in code)."""
    field, operand, or_unknown = test.field, test.value, test.or_unknown
    if test.operator == KNOWNNESS:
        wanted = bool(operand)

        def known_or_not(answers: Answers, findings: Findings) -> bool:
            return (answers.get(field) is None) == wanted

        return known_or_not
    compare = test.op.meaning
    if compare is None:
        raise ValueError(f"operator '{test.operator}' has no meaning on a known answer")

    def holds(answers: Answers, findings: Findings) -> bool:
        value = answers.get(field)
        return or_unknown if value is None else bool(compare(value, operand))

    return holds


def holds_for(test: FieldTest, value: Any) -> bool:
    """A field test's truth for one value of its field (``None``: unknown)."""
    return field_meaning(test)({} if value is None else {test.field: value}, frozenset())


class _Compiler:
    """Builds the closures of each node from those of its parts."""

    def field(self, test: FieldTest) -> Compiled:
        holds, field = field_meaning(test), test.field

        def because(answers: Answers, findings: Findings, explained: Explanations) -> dict[str, Any]:
            return {field: answers.get(field)} if holds(answers, findings) else {}

        return Compiled(holds, because)

    def finding(self, test: FindingTest) -> Compiled:
        name = test.finding

        def found(answers: Answers, findings: Findings) -> bool:
            return name in findings

        def because(answers: Answers, findings: Findings, explained: Explanations) -> dict[str, Any]:
            return dict(explained.get(name, {})) if name in findings else {}

        return Compiled(found, because)

    def not_(self, node: NotOf, part: Compiled) -> Compiled:
        inner, fields = part.holds, fields_read(node.not_)

        def negated(answers: Answers, findings: Findings) -> bool:
            return not inner(answers, findings)

        def because(answers: Answers, findings: Findings, explained: Explanations) -> dict[str, Any]:
            return {f: answers.get(f) for f in fields} if negated(answers, findings) else {}

        return Compiled(negated, because)

    def all_(self, node: AllOf, parts: list[Compiled]) -> Compiled:
        tests = [part.holds for part in parts]

        def holds(answers: Answers, findings: Findings) -> bool:
            return all(test(answers, findings) for test in tests)

        return Compiled(holds, _union_because(holds, parts))

    def any_(self, node: AnyOf, parts: list[Compiled]) -> Compiled:
        tests = [part.holds for part in parts]

        def holds(answers: Answers, findings: Findings) -> bool:
            return any(test(answers, findings) for test in tests)

        return Compiled(holds, _union_because(holds, parts))


def _union_because(holds: Holds, parts: list[Compiled]) -> Because:
    def because(answers: Answers, findings: Findings, explained: Explanations) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if holds(answers, findings):
            for part in parts:
                result.update(part.because(answers, findings, explained))
        return result

    return because


def compile_condition(node: Node) -> Compiled:
    """Compile a condition tree into closures (evaluated for every rule of every case: no model access)."""
    return fold(node, _Compiler())
