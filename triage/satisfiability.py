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

from functools import lru_cache
from typing import Any, Iterator, Optional, Union

from .conditions import AllOf, FieldTest, FindingTest, Node, NotOf, children, compile_condition
from .models import DOMAINS
from .rulebook import RuleBase

__all__ = ["Formula", "Formulas", "implies", "representatives", "satisfiable", "witness"]

#: A condition ready for the search: a field test, ("all" | "any", parts), ("not", part), or a constant.
Formula = Union[bool, FieldTest, tuple[str, Any]]


class Formulas:
    """The conditions of one rule base as formulas over case fields, findings replaced by what asserts them."""

    def __init__(self, rulebase: RuleBase):
        self._asserting: dict[str, list[Node]] = {}
        for rule in rulebase.rules:
            if rule.asserts:
                self._asserting.setdefault(rule.asserts, []).append(rule.when)
        self._findings: dict[str, Formula] = {}

    def of(self, node: Node) -> Formula:
        """The formula of a condition."""
        if isinstance(node, FieldTest):
            return node
        if isinstance(node, FindingTest):
            return self._finding(node.finding)
        if isinstance(node, NotOf):
            return ("not", self.of(node.not_))
        kind = "all" if isinstance(node, AllOf) else "any"
        return (kind, tuple(self.of(child) for child in children(node)))

    def _finding(self, name: str) -> Formula:
        if name not in self._findings:
            # Findings form no cycles (checked on load), so this recursion ends.
            whens = self._asserting.get(name, [])
            self._findings[name] = ("any", tuple(self.of(when) for when in whens)) if whens else False
        return self._findings[name]


def satisfiable(formula: Formula) -> bool:
    """Whether some answers (each field known within its domain, or unknown) make the formula true."""
    return witness(formula) is not None


def witness(formula: Formula) -> Optional[dict[str, Any]]:
    """Answers that make the formula true (``None`` for unknown; fields left out do not matter), or None."""
    formula = _fold(formula)
    if isinstance(formula, bool):
        return {} if formula else None
    field = next(_fields(formula))
    for value in representatives(field, list(dict.fromkeys(_tests_on(formula, field)))):
        found = witness(_assign(formula, field, value))
        if found is not None:
            return {field: value, **found}
    return None


def implies(first: Formula, second: Formula) -> bool:
    """Whether every case that makes ``first`` true makes ``second`` true."""
    return not satisfiable(("all", (first, ("not", second))))


def representatives(field: str, tests: list[FieldTest]) -> list[Any]:
    """One value (``None`` is unknown) for each different outcome of ``tests`` over the field's domain."""
    seen: dict[tuple[bool, ...], Any] = {}
    for value in _candidates(field, tests):
        seen.setdefault(tuple(_holds(test, value) for test in tests), value)
    return list(seen.values())


def _candidates(field: str, tests: list[FieldTest]) -> list[Any]:
    domain = DOMAINS[field]
    if domain.kind == "yes_no":
        return [None, True, False]
    if domain.kind == "choice":
        return [None, *domain.choices]
    operands = [v for test in tests for v in (test.value if test.operator == "in" else (test.value,))]
    if domain.kind == "text":
        return [None, *(v for v in operands if isinstance(v, str)), "\0another text"]
    numbers = [v for v in operands if isinstance(v, int) and not isinstance(v, bool)]
    low = domain.minimum if domain.minimum is not None else min(numbers, default=0) - 1
    high = domain.maximum if domain.maximum is not None else max(numbers, default=low) + 1
    points = {low, high, *(n + step for n in numbers for step in (-1, 0, 1))}
    return [None, *sorted(p for p in points if low <= p <= high)]


@lru_cache(maxsize=None)
def _compiled(test: FieldTest) -> Any:
    return compile_condition(test).holds


def _holds(test: FieldTest, value: Any) -> bool:
    """The test's truth for one value of its field, with the meaning the evaluators give it."""
    return _compiled(test)({} if value is None else {test.field: value}, frozenset())


def _fields(formula: Formula) -> Iterator[str]:
    if isinstance(formula, FieldTest):
        yield formula.field
    elif isinstance(formula, tuple):
        parts = (formula[1],) if formula[0] == "not" else formula[1]
        for part in parts:
            yield from _fields(part)


def _tests_on(formula: Formula, field: str) -> Iterator[FieldTest]:
    if isinstance(formula, FieldTest):
        if formula.field == field:
            yield formula
    elif isinstance(formula, tuple):
        parts = (formula[1],) if formula[0] == "not" else formula[1]
        for part in parts:
            yield from _tests_on(part, field)


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
