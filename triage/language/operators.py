"""The operators of field tests (``{field: age, gte: 70}``): everything about an operator, in one table.

Adding an operator is one entry in ``OPERATORS`` (and its tests). Every consumer reads
this table: the rule-file schema (``conditions.FieldTest`` gets one key per operator), the
rule checks (which field kinds an operator applies to), the Python meaning (``evaluation``
and the Python engine), the durable_rules compiler (``engines.durable``), the completeness
precondition (``checks``: which answers a test holds for as they grow more severe), the
satisfiability search and the interview's skip logic (through ``evaluation``), and the
words of coverage reports and explanations.
"""

from __future__ import annotations

import operator as op
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

#: What an operator takes as operand: one value, a non-empty list of values, a whole number,
#: or a flag (``unknown: true``).
Operand = Literal["value", "values", "number", "flag"]

#: How a test's truth moves as a number answer grows: ``up`` (true from some value on),
#: ``down`` (true up to some value), ``point`` (true or false at chosen values only).
Direction = Literal["up", "down", "point"]


@dataclass(frozen=True)
class Operator:
    """One operator of a field test."""

    name: str  # as written in rule files
    operand: Operand
    words: str  # how a rule author reads it: "age gte 50" -> "age is at least 50"
    meaning: Callable[[Any, Any], bool] | None = None  # on a known answer; None for ``unknown``
    negation: str | None = None  # the operator true exactly when this one is false, on a known answer
    each: str | None = None  # for a list operand: true when this operator holds for one of the values
    durable: str | None = None  # durable_rules' operator; "" is equality; None: compiled from ``each``
    direction: Direction = "point"
    numbers_only: bool = False  # applies to number fields only

    @property
    def attribute(self) -> str:
        """The attribute name of the operand on ``FieldTest`` (``is`` and ``in`` are Python keywords)."""
        return f"{self.name}_" if self.name in ("is", "in") else self.name


def _is_in(value: Any, values: Any) -> bool:
    return value in values


OPERATORS: dict[str, Operator] = {o.name: o for o in (
    Operator("is", "value", "is", op.eq, negation="ne", durable=""),
    Operator("ne", "value", "is not", op.ne, negation="is", durable="$neq"),
    Operator("in", "values", "is one of", _is_in, each="is"),
    Operator("lt", "number", "is less than", op.lt, negation="gte", durable="$lt", direction="down", numbers_only=True),
    Operator("lte", "number", "is at most", op.le, negation="gt", durable="$lte", direction="down", numbers_only=True),
    Operator("gt", "number", "is more than", op.gt, negation="lte", durable="$gt", direction="up", numbers_only=True),
    Operator("gte", "number", "is at least", op.ge, negation="lt", durable="$gte", direction="up", numbers_only=True),
    Operator("unknown", "flag", "is unknown"),
)}

#: The operator that tests whether an answer is known at all (``unknown: true|false``).
KNOWNNESS = "unknown"


def negated_direction(operator: Operator, negated: bool) -> Direction:
    """The direction of a test, or of its negation when it sits under an odd number of ``not``."""
    if not negated:
        return operator.direction
    return OPERATORS[operator.negation].direction if operator.negation else "point"
