"""The Python meaning of a condition: compiled once into closures that test answers and explain themselves.

``holds(answers, findings)``: whether the condition is true; unknown answers are absent from
``answers``, and a comparison on one is false unless the test says ``or_unknown``.
``because(answers, findings, explained)``: the answers that make a true condition true —
every true leaf under a true branch, findings replaced by the answers behind them
(``explained[finding]``), unknown answers as ``None``; ``{}`` when the condition is false.
It evaluates each node once.

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
_Parts = tuple[Holds, Callable[[Answers, Findings, Explanations], "dict[str, Any] | None"]]


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
    """Builds the closures of each node from those of its parts.

    ``explain`` (the body of ``because``) evaluates each node once: ``None`` when the node is
    false, else the answers that make it true (a dict the caller may not change: findings'
    explanations are shared).
    """

    def field(self, test: FieldTest) -> _Parts:
        holds, field = field_meaning(test), test.field

        def explain(answers: Answers, findings: Findings, explained: Explanations) -> dict[str, Any] | None:
            return {field: answers.get(field)} if holds(answers, findings) else None

        return holds, explain

    def finding(self, test: FindingTest) -> _Parts:
        name = test.finding

        def found(answers: Answers, findings: Findings) -> bool:
            return name in findings

        def explain(answers: Answers, findings: Findings, explained: Explanations) -> dict[str, Any] | None:
            # every finding held has an explanation (explained may compute it on first use)
            return explained[name] if name in findings else None

        return found, explain

    def not_(self, node: NotOf, part: _Parts) -> _Parts:
        inner, fields = part[0], fields_read(node.not_)

        def negated(answers: Answers, findings: Findings) -> bool:
            return not inner(answers, findings)

        def explain(answers: Answers, findings: Findings, explained: Explanations) -> dict[str, Any] | None:
            return None if inner(answers, findings) else {f: answers.get(f) for f in fields}

        return negated, explain

    def all_(self, node: AllOf, parts: list[_Parts]) -> _Parts:
        tests = [part[0] for part in parts]
        explains = [part[1] for part in parts]

        def holds(answers: Answers, findings: Findings) -> bool:
            return all(test(answers, findings) for test in tests)

        def explain(answers: Answers, findings: Findings, explained: Explanations) -> dict[str, Any] | None:
            result: dict[str, Any] = {}
            for part in explains:
                found = part(answers, findings, explained)
                if found is None:
                    return None
                result.update(found)
            return result

        return holds, explain

    def any_(self, node: AnyOf, parts: list[_Parts]) -> _Parts:
        tests = [part[0] for part in parts]
        explains = [part[1] for part in parts]

        def holds(answers: Answers, findings: Findings) -> bool:
            return any(test(answers, findings) for test in tests)

        def explain(answers: Answers, findings: Findings, explained: Explanations) -> dict[str, Any] | None:
            result: dict[str, Any] | None = None
            for part in explains:  # every true part is part of the explanation
                found = part(answers, findings, explained)
                if found is not None:
                    if result is None:
                        result = {}
                    result.update(found)
            return result

        return holds, explain


def compile_condition(node: Node) -> Compiled:
    """Compile a condition tree into closures (evaluated for every rule of every case: no model access)."""
    holds, explain = fold(node, _Compiler())

    def because(answers: Answers, findings: Findings, explained: Explanations) -> dict[str, Any]:
        found = explain(answers, findings, explained)
        return {} if found is None else dict(found)

    return Compiled(holds, because)
