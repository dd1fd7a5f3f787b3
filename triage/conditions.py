"""The structured condition language of rule files, and its plain-Python meaning.

A condition is a tree of ``all`` / ``any`` / ``not`` over two kinds of leaf:

- a field test: ``{field: age, gte: 70}``, ``{field: weakness, in: [stable, progressive]}``,
  ``{field: ces_symptoms_days, unknown: true}``; a comparison on an unknown answer is false
  unless the test says ``or_unknown: true`` (the cautious reading of "unknown is not no");
- a finding: ``{finding: suspected_cauda_equina}``, true when some rule asserted it.

The durable_rules engine compiles the same trees in ``engine.py``; comparing the two on random
cases is the test oracle.
"""

from __future__ import annotations

from typing import Annotated, Any, Callable, Optional, Union

from pydantic import (
    BaseModel, ConfigDict, Discriminator, Field, PrivateAttr, StrictBool, StrictInt, StrictStr, Tag, model_validator,
)

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
    in_: Optional[tuple[Scalar, ...]] = Field(None, alias="in", min_length=1)
    lt: Optional[StrictInt] = None
    lte: Optional[StrictInt] = None
    gt: Optional[StrictInt] = None
    gte: Optional[StrictInt] = None
    unknown: Optional[StrictBool] = None
    or_unknown: StrictBool = False
    _operator: str = PrivateAttr("")
    _value: Any = PrivateAttr(None)

    @model_validator(mode="after")
    def _one_operator(self) -> "FieldTest":
        given = self.operators_given()
        if len(given) != 1:
            raise ValueError(
                f"a field test needs exactly one of {', '.join(OPERATORS)}; got {', '.join(given) or 'none'}"
            )
        if getattr(self, {"is": "is_", "in": "in_"}.get(given[0], given[0])) is None:
            raise ValueError(f"'{given[0]}' needs a value, not null")
        if self.or_unknown and given[0] == "unknown":
            raise ValueError("or_unknown makes no sense with 'unknown'")
        # Evaluated for every leaf of every rule on every case: computed once here.
        self._operator = given[0]
        self._value = getattr(self, {"is": "is_", "in": "in_"}.get(given[0], given[0]))
        return self

    def operators_given(self) -> list[str]:
        """The operator names present in the file (``is``/``in`` by their file names)."""
        names = {"is_": "is", "in_": "in"}
        return [names.get(n, n) for n in self.model_fields_set if n not in ("field", "or_unknown")]

    @property
    def operator(self) -> str:
        """The one operator of this test."""
        return self._operator

    @property
    def value(self) -> Any:
        """The operand of the operator."""
        return self._value


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


#: Discriminator tags of the node kinds; they appear in pydantic error locations and are
#: dropped from messages, so they must not clash with any key a rule file uses.
NODE_TAGS = ("all-of", "any-of", "not-of", "finding-test", "field-test")


def _node_kind(value: Any) -> str:
    if isinstance(value, BaseModel):
        kinds = {AllOf: "all-of", AnyOf: "any-of", NotOf: "not-of", FindingTest: "finding-test"}
        return kinds.get(type(value), "field-test")
    if isinstance(value, dict):
        for key, tag in (("all", "all-of"), ("any", "any-of"), ("not", "not-of"), ("finding", "finding-test")):
            if key in value:
                return tag
    return "field-test"


Condition = Annotated[
    Union[
        Annotated[AllOf, Tag("all-of")],
        Annotated[AnyOf, Tag("any-of")],
        Annotated[NotOf, Tag("not-of")],
        Annotated[FindingTest, Tag("finding-test")],
        Annotated[FieldTest, Tag("field-test")],
    ],
    Discriminator(_node_kind),
]

AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()

Node = Union[AllOf, AnyOf, NotOf, FindingTest, FieldTest]


def children(node: Union[AllOf, AnyOf]) -> tuple[Node, ...]:
    """The sub-conditions of an ``all`` or ``any``."""
    return node.all if isinstance(node, AllOf) else node.any  # type: ignore[return-value]


Answers = dict[str, Any]
Findings = Union[set[str], frozenset[str]]
Explanations = dict[str, dict[str, Any]]


class Compiled:
    """A condition compiled once into plain closures.

    ``holds(answers, findings)``: whether the condition is true; unknown answers are absent
    and a comparison on one is false unless the test says ``or_unknown``.
    ``because(answers, findings, explained)``: the answers that make a true condition true,
    every true leaf under a true branch, with findings replaced by the answers behind them
    (``explained``); unknown answers appear as ``None``.
    """

    __slots__ = ("holds", "because")

    def __init__(self, holds: Callable[[Answers, Findings], bool],
                 because: Callable[[Answers, Findings, Explanations], dict[str, Any]]):
        self.holds = holds
        self.because = because


def _compile_field(test: FieldTest) -> Compiled:
    field, operator, operand, or_unknown = test.field, test.operator, test.value, test.or_unknown
    if operator == "unknown":
        wanted = test.unknown

        def holds(answers: Answers, findings: Findings) -> bool:
            return (answers.get(field) is None) == wanted
    else:
        compare = COMPARISONS[operator]

        def holds(answers: Answers, findings: Findings) -> bool:
            value = answers.get(field)
            return or_unknown if value is None else compare(value, operand)

    def because(answers: Answers, findings: Findings, explained: Explanations) -> dict[str, Any]:
        return {field: answers.get(field)} if holds(answers, findings) else {}

    return Compiled(holds, because)


def compile_condition(node: Node) -> Compiled:
    """Compile a condition tree into closures (evaluated for every rule of every case: no model access)."""
    if isinstance(node, FieldTest):
        return _compile_field(node)
    if isinstance(node, FindingTest):
        name = node.finding

        def found(answers: Answers, findings: Findings) -> bool:
            return name in findings

        def finding_because(answers: Answers, findings: Findings, explained: Explanations) -> dict[str, Any]:
            return dict(explained.get(name, {})) if name in findings else {}

        return Compiled(found, finding_because)
    if isinstance(node, NotOf):
        inner = compile_condition(node.not_).holds
        fields = fields_read(node.not_)

        def negated(answers: Answers, findings: Findings) -> bool:
            return not inner(answers, findings)

        def not_because(answers: Answers, findings: Findings, explained: Explanations) -> dict[str, Any]:
            return {f: answers.get(f) for f in fields} if negated(answers, findings) else {}

        return Compiled(negated, not_because)
    compiled = [compile_condition(child) for child in children(node)]
    tests = [child.holds for child in compiled]
    if isinstance(node, AllOf):
        def holds(answers: Answers, findings: Findings) -> bool:
            return all(test(answers, findings) for test in tests)
    else:
        def holds(answers: Answers, findings: Findings) -> bool:
            return any(test(answers, findings) for test in tests)

    def because(answers: Answers, findings: Findings, explained: Explanations) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if holds(answers, findings):
            for child in compiled:
                result.update(child.because(answers, findings, explained))
        return result

    return Compiled(holds, because)


def leaves(node: Node) -> list[Union[FieldTest, FindingTest]]:
    """Every leaf of a condition, in order."""
    if isinstance(node, (FieldTest, FindingTest)):
        return [node]
    if isinstance(node, NotOf):
        return leaves(node.not_)
    return [leaf for child in children(node) for leaf in leaves(child)]


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
    return any(negates_finding(child, negated) for child in children(node))


__all__ = [
    "AllOf", "AnyOf", "Condition", "FieldTest", "FindingTest", "Node", "NotOf", "NUMERIC_OPERATORS",
    "OPERATORS", "Compiled", "NODE_TAGS", "children", "compile_condition", "fields_read", "findings_read", "leaves",
    "negates_finding", "polarity_leaves",
]



def polarity_leaves(node: Node, negated: bool = False) -> list[tuple[FieldTest, bool]]:
    """Every field test with whether it sits under an odd number of ``not``."""
    if isinstance(node, FieldTest):
        return [(node, negated)]
    if isinstance(node, FindingTest):
        return []
    if isinstance(node, NotOf):
        return polarity_leaves(node.not_, not negated)
    return [pair for child in children(node) for pair in polarity_leaves(child, negated)]
