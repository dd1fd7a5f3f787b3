"""Whether a condition can be true for some case: a search over the declared answer domains.

Every field a condition reads takes each value of its domain (``models.DOMAINS``) or stays
unknown: yes/no, every choice, and for a number its bounds and the values on both sides of
every threshold the condition tests. Values that give every test of the condition on that
field the same truth are one value for the search. A finding is replaced by what makes it
true: any of the conditions of the rules that assert it (findings are never negated and
form no cycles, both checked on load, so this is exactly what chaining derives).

The search assigns one field at a time and folds the condition after each (``all`` with a
false part is false, ``any`` with a true part is true), so it stops as soon as the answer
is known; the conditions of a rule base are small enough for this to be exhaustive.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from ..models import DOMAINS
from .conditions import AllOf, AnyOf, FieldTest, FindingTest, Node, NotOf, fold
from .evaluation import holds_for
from .rulebook import RuleBase

__all__ = ["Formula", "Formulas", "implies", "representatives", "satisfiable", "witness"]

#: A condition ready for the search: a field test, ("all" | "any", parts), ("not", part), or a constant.
Formula = bool | FieldTest | tuple[str, Any]


class Formulas:
    """The conditions of one rule base as formulas over case fields, findings replaced by what asserts them."""

    def __init__(self, rulebase: RuleBase):
        self._asserting = rulebase.asserting
        self._findings: dict[str, Formula] = {}

    def of(self, node: Node) -> Formula:
        """The formula of a condition."""
        return fold(node, self)

    def field(self, test: FieldTest) -> Formula:
        """A field test stays itself."""
        return test

    def finding(self, test: FindingTest) -> Formula:
        """A finding becomes any of the conditions of the rules that assert it."""
        name = test.finding
        if name not in self._findings:
            # Findings form no cycles (checked on load), so this recursion ends.
            whens = [rule.when for rule in self._asserting.get(name, ())]
            self._findings[name] = ("any", tuple(self.of(when) for when in whens)) if whens else False
        return self._findings[name]

    def all_(self, node: AllOf, parts: list[Formula]) -> Formula:
        """``all`` of the parts."""
        return ("all", tuple(parts))

    def any_(self, node: AnyOf, parts: list[Formula]) -> Formula:
        """``any`` of the parts."""
        return ("any", tuple(parts))

    def not_(self, node: NotOf, part: Formula) -> Formula:
        """``not`` of the part."""
        return ("not", part)


def satisfiable(formula: Formula) -> bool:
    """Whether some answers (each field known within its domain, or unknown) make the formula true."""
    return witness(formula) is not None


def witness(formula: Formula) -> dict[str, Any] | None:
    """Answers that make the formula true (``None`` for unknown; fields left out do not matter), or None."""
    formula = _fold(formula)
    if isinstance(formula, bool):
        return {} if formula else None
    tests = _field_tests(formula)
    field = tests[0].field
    for value in representatives(field, [test for test in tests if test.field == field]):
        found = witness(_assign(formula, field, value))
        if found is not None:
            return {field: value, **found}
    return None


def implies(first: Formula, second: Formula) -> bool:
    """Whether every case that makes ``first`` true makes ``second`` true."""
    return not satisfiable(("all", (first, ("not", second))))


def representatives(field: str, tests: list[FieldTest], unknown: bool = True) -> list[Any]:
    """One value for each different outcome of ``tests`` over the field's domain, ``None`` (unknown) first.

    With ``unknown=False`` only answers are considered: one answer for each outcome some answer gives.
    """
    seen: dict[tuple[bool, ...], Any] = {}
    for value in _candidates(field, tests):
        if value is not None or unknown:
            seen.setdefault(tuple(_holds(test, value) for test in tests), value)
    return list(seen.values())


def _candidates(field: str, tests: list[FieldTest]) -> list[Any]:
    domain = DOMAINS[field]
    if domain.kind == "yes_no":
        return [None, True, False]
    if domain.kind == "choice":
        return [None, *domain.choices]
    operands = [v for test in tests for v in (test.value if test.op.operand == "values" else (test.value,))]
    if domain.kind == "text":
        return [None, *(v for v in operands if isinstance(v, str)), "\0another text"]
    numbers = [v for v in operands if isinstance(v, int) and not isinstance(v, bool)]
    low = domain.minimum if domain.minimum is not None else min(numbers, default=0) - 1
    high = domain.maximum if domain.maximum is not None else max(numbers, default=low) + 1
    points = {low, high, *(n + step for n in numbers for step in (-1, 0, 1))}
    return [None, *sorted(p for p in points if low <= p <= high)]


@cache
def _holds(test: FieldTest, value: Any) -> bool:
    """The test's truth for one value of its field, with the meaning the evaluators give it."""
    return holds_for(test, value)


def _field_tests(formula: Formula) -> list[FieldTest]:
    """The field tests of a formula, without repeats, in order."""
    found: dict[FieldTest, None] = {}
    stack = [formula]
    while stack:
        part = stack.pop()
        if isinstance(part, FieldTest):
            found.setdefault(part)
        elif isinstance(part, tuple):
            stack.extend(reversed((part[1],) if part[0] == "not" else part[1]))
    return list(found)


def _assign(formula: Formula, field: str, value: Any) -> Formula:
    """The formula with one field's value put in, folded."""
    if isinstance(formula, FieldTest):
        return _holds(formula, value) if formula.field == field else formula
    if isinstance(formula, bool):
        return formula
    if formula[0] == "not":
        inner = _assign(formula[1], field, value)
        return (not inner) if isinstance(inner, bool) else ("not", inner)
    return _join(formula[0], (_assign(part, field, value) for part in formula[1]))


def _fold(formula: Formula) -> Formula:
    if isinstance(formula, (bool, FieldTest)):
        return formula
    if formula[0] == "not":
        inner = _fold(formula[1])
        return (not inner) if isinstance(inner, bool) else ("not", inner)
    return _join(formula[0], (_fold(part) for part in formula[1]))


def _join(kind: str, parts: Iterator[Formula]) -> Formula:
    """``all`` or ``any`` of folded parts, folded: constants decide or drop out."""
    deciding = kind == "any"  # the constant that decides the whole: True for any, False for all
    kept: list[Formula] = []
    for part in parts:
        if isinstance(part, bool):
            if part == deciding:
                return deciding
            continue
        kept.append(part)
    if not kept:
        return not deciding
    return kept[0] if len(kept) == 1 else (kind, tuple(kept))
