"""The structured condition language of rule files, and its plain-Python meaning.

A condition is a tree of ``all`` / ``any`` / ``not`` over two kinds of leaf:

- a field test: ``{field: age, gte: 70}``, ``{field: weakness, in: [stable, progressive]}``,
  ``{field: ces_symptoms_days, unknown: true}``; a comparison on an unknown answer is false
  unless the test says ``or_unknown: true`` (the cautious reading of "unknown is not no");
- a finding: ``{finding: suspected_cauda_equina}``, true when some rule asserted it.

This module gives the meaning (``evaluate``) and the explanation (``explain``) of a condition.
The durable_rules engine compiles the same trees in ``engine.py``; comparing the two on random
cases is the test oracle.
"""

from __future__ import annotations

from typing import Annotated, Any, Optional, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StrictBool, StrictInt, StrictStr, Tag, model_validator

Scalar = Union[StrictBool, StrictInt, StrictStr]

#: Comparison operators of a field test, and what they mean on a known value.
COMPARISONS: dict[str, Any] = {
    "is": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "in": lambda a, b: a in b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
}
NUMERIC_OPERATORS = frozenset({"lt", "lte", "gt", "gte"})
OPERATORS = (*COMPARISONS, "unknown")


class FieldTest(BaseModel):
    """A test on one case field; exactly one operator."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    field: StrictStr
    is_: Optional[Scalar] = Field(None, alias="is")
    ne: Optional[Scalar] = None
    in_: Optional[tuple[Scalar, ...]] = Field(None, alias="in")
    lt: Optional[StrictInt] = None
    lte: Optional[StrictInt] = None
    gt: Optional[StrictInt] = None
    gte: Optional[StrictInt] = None
    unknown: Optional[StrictBool] = None
    or_unknown: StrictBool = False

    @model_validator(mode="after")
    def _one_operator(self) -> "FieldTest":
        given = self.operators_given()
        if len(given) != 1:
            raise ValueError(
                f"a field test needs exactly one of {', '.join(OPERATORS)}; got {', '.join(given) or 'none'}"
            )
        if self.or_unknown and given[0] == "unknown":
            raise ValueError("or_unknown makes no sense with 'unknown'")
        return self

    def operators_given(self) -> list[str]:
        """The operator names present in the file (``is``/``in`` by their file names)."""
        names = {"is_": "is", "in_": "in"}
        return [names.get(n, n) for n in self.model_fields_set if n not in ("field", "or_unknown")]

    @property
    def operator(self) -> str:
        """The one operator of this test."""
        return self.operators_given()[0]

    @property
    def value(self) -> Any:
        """The operand of the operator."""
        return getattr(self, {"is": "is_", "in": "in_"}.get(self.operator, self.operator))


class FindingTest(BaseModel):
    """True when some rule asserted the named finding for this case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    finding: StrictStr


class AllOf(BaseModel):
    """True when every sub-condition is true."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    all: tuple["Condition", ...] = Field(min_length=1)


class AnyOf(BaseModel):
    """True when at least one sub-condition is true."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    any: tuple["Condition", ...] = Field(min_length=1)


class NotOf(BaseModel):
    """True when the sub-condition is false (so true when it tests an unknown answer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    not_: "Condition" = Field(alias="not")


def _node_kind(value: Any) -> str:
    if isinstance(value, BaseModel):
        return {AllOf: "all", AnyOf: "any", NotOf: "not", FindingTest: "finding"}.get(type(value), "field")
    if isinstance(value, dict):
        for key in ("all", "any", "not", "finding"):
            if key in value:
                return key
    return "field"


Condition = Annotated[
    Union[
        Annotated[AllOf, Tag("all")],
        Annotated[AnyOf, Tag("any")],
        Annotated[NotOf, Tag("not")],
        Annotated[FindingTest, Tag("finding")],
        Annotated[FieldTest, Tag("field")],
    ],
    Discriminator(_node_kind),
]

AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()

Node = Union[AllOf, AnyOf, NotOf, FindingTest, FieldTest]


def field_holds(test: FieldTest, answers: dict[str, Any]) -> bool:
    """Whether one field test holds on the answers (unknown answers are missing keys)."""
    value = answers.get(test.field)
    if test.operator == "unknown":
        return (value is None) == test.unknown
    if value is None:
        return test.or_unknown
    return bool(COMPARISONS[test.operator](value, test.value))


def evaluate(node: Node, answers: dict[str, Any], findings: set[str] | frozenset[str]) -> bool:
    """Whether a condition holds on the answers and the findings asserted so far."""
    if isinstance(node, FieldTest):
        return field_holds(node, answers)
    if isinstance(node, FindingTest):
        return node.finding in findings
    if isinstance(node, AllOf):
        return all(evaluate(child, answers, findings) for child in node.all)
    if isinstance(node, AnyOf):
        return any(evaluate(child, answers, findings) for child in node.any)
    return not evaluate(node.not_, answers, findings)


def explain(
    node: Node,
    answers: dict[str, Any],
    findings: set[str] | frozenset[str],
    finding_because: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """The answers that make a true condition true: every true leaf under a true branch.

    Findings are explained by the answers behind them (``finding_because``), so the result
    always names answers, never only derived findings. Unknown answers appear as ``None``.
    """
    if isinstance(node, FieldTest):
        return {node.field: answers.get(node.field)} if field_holds(node, answers) else {}
    if isinstance(node, FindingTest):
        return dict(finding_because.get(node.finding, {})) if node.finding in findings else {}
    if isinstance(node, NotOf):
        if evaluate(node, answers, findings):
            return {field: answers.get(field) for field in fields_read(node.not_)}
        return {}
    if not evaluate(node, answers, findings):
        return {}
    because: dict[str, Any] = {}
    for child in node.all if isinstance(node, AllOf) else node.any:
        because.update(explain(child, answers, findings, finding_because))
    return because


def leaves(node: Node) -> list[Union[FieldTest, FindingTest]]:
    """Every leaf of a condition, in order."""
    if isinstance(node, (FieldTest, FindingTest)):
        return [node]
    if isinstance(node, NotOf):
        return leaves(node.not_)
    children = node.all if isinstance(node, AllOf) else node.any
    return [leaf for child in children for leaf in leaves(child)]


def fields_read(node: Node) -> list[str]:
    """The case fields a condition reads, without repeats, in order."""
    return list(dict.fromkeys(leaf.field for leaf in leaves(node) if isinstance(leaf, FieldTest)))


def findings_read(node: Node) -> list[str]:
    """The findings a condition reads, without repeats, in order."""
    return list(dict.fromkeys(leaf.finding for leaf in leaves(node) if isinstance(leaf, FindingTest)))


def negates_finding(node: Node, negated: bool = False) -> bool:
    """Whether a finding appears under a ``not`` (unsupported: see rulebook checks)."""
    if isinstance(node, FindingTest):
        return negated
    if isinstance(node, FieldTest):
        return False
    if isinstance(node, NotOf):
        return negates_finding(node.not_, not negated)
    children = node.all if isinstance(node, AllOf) else node.any
    return any(negates_finding(child, negated) for child in children)


__all__ = [
    "AllOf", "AnyOf", "Condition", "FieldTest", "FindingTest", "Node", "NotOf", "NUMERIC_OPERATORS",
    "OPERATORS", "evaluate", "explain", "fields_read", "findings_read", "leaves", "negates_finding",
    "field_holds",
]

