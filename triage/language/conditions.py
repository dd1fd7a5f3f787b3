"""The condition language of rule files and questionnaires: its syntax, and the one traversal over it.

A condition is a tree of ``all`` / ``any`` / ``not`` over two kinds of leaf:

- a field test: ``{field: age, gte: 70}``, ``{field: weakness, in: [stable, progressive]}``,
  ``{field: ces_symptoms_days, unknown: true}``, one operator of ``operators.OPERATORS``; a
  comparison on an unknown answer is false unless the test says ``or_unknown: true`` (the
  cautious reading of "unknown is not no");
- a finding: ``{finding: suspected_cauda_equina}``, true when some rule asserted it.

``fold`` is the only function here that walks a tree by its node kinds; everything that
needs to look inside a condition (its meaning, the durable_rules compiler, the checks, the
satisfiability search, skip logic, coverage) folds over it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StrictStr,
    Tag,
    create_model,
    model_validator,
)

from .operators import KNOWNNESS, OPERATORS, Operator

Scalar = Union[StrictBool, StrictInt, StrictStr]

#: The type of each kind of operand in a rule file, and its constraints.
_OPERAND_TYPES: dict[str, tuple[Any, dict[str, Any]]] = {
    "value": (Scalar | None, {}),
    "values": (tuple[Scalar, ...] | None, {"min_length": 1}),
    "number": (StrictInt | None, {}),
    "flag": (StrictBool | None, {}),
}


class _FieldTestBase(BaseModel):
    """A test on one case field with exactly one operator; each operator of the registry is a key."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    field: StrictStr
    or_unknown: StrictBool = False
    _operator: Operator = PrivateAttr()
    _value: Any = PrivateAttr(None)

    @model_validator(mode="after")
    def _one_operator(self) -> _FieldTestBase:
        given = self.operators_given()
        if len(given) != 1:
            raise ValueError(
                f"a field test needs exactly one of {', '.join(OPERATORS)}; got {', '.join(given) or 'none'}"
            )
        operator = OPERATORS[given[0]]
        value = getattr(self, operator.attribute)
        if value is None:
            raise ValueError(f"'{operator.name}' needs a value, not null")
        if self.or_unknown and operator.name == KNOWNNESS:
            raise ValueError("or_unknown makes no sense with 'unknown'")
        # Evaluated for every leaf of every rule on every case: looked up once here.
        self._operator, self._value = operator, value
        return self

    def operators_given(self) -> list[str]:
        """The operator names present in the file."""
        names = {o.attribute: o.name for o in OPERATORS.values()}
        return [names[n] for n in self.model_fields_set if n in names]

    @property
    def op(self) -> Operator:
        """The one operator of this test."""
        return self._operator

    @property
    def operator(self) -> str:
        """The name of the one operator of this test."""
        return self._operator.name

    @property
    def value(self) -> Any:
        """The operand of the operator."""
        return self._value


if TYPE_CHECKING:
    FieldTest = _FieldTestBase
else:  # one optional key per operator of the registry (``is`` and ``in`` through their aliases)
    FieldTest = create_model(
        "FieldTest", __base__=_FieldTestBase, __module__=__name__, __doc__=_FieldTestBase.__doc__,
        **{o.attribute: (_OPERAND_TYPES[o.operand][0], Field(None, alias=o.name, **_OPERAND_TYPES[o.operand][1]))
           for o in OPERATORS.values()},
    )


class FindingTest(BaseModel):
    """True when some rule asserted the named finding for this case."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    finding: StrictStr


class AllOf(BaseModel):
    """True when every sub-condition is true."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    all: tuple[Condition, ...] = Field(min_length=1)

    @property
    def parts(self) -> tuple[Node, ...]:
        """The sub-conditions."""
        return self.all


class AnyOf(BaseModel):
    """True when at least one sub-condition is true."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    any: tuple[Condition, ...] = Field(min_length=1)

    @property
    def parts(self) -> tuple[Node, ...]:
        """The sub-conditions."""
        return self.any


class NotOf(BaseModel):
    """True when the sub-condition is false (so true when it tests an unknown answer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    not_: Condition = Field(alias="not")


#: Discriminator tags of the node kinds; they appear in pydantic error locations and are
#: dropped from messages, so they must not clash with any key a rule file uses.
NODE_TAGS = ("all-of", "any-of", "not-of", "finding-test", "field-test")

#: Every key a condition may use, for "did you mean" hints.
CONDITION_KEYS = ("all", "any", "not", "finding", "field", "or_unknown", *OPERATORS)


def _node_kind(value: Any) -> str:
    if isinstance(value, BaseModel):
        kinds: dict[type[BaseModel], str] = {AllOf: "all-of", AnyOf: "any-of", NotOf: "not-of",
                                             FindingTest: "finding-test"}
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

Node = AllOf | AnyOf | NotOf | FindingTest | FieldTest
Leaf = FieldTest | FindingTest

T = TypeVar("T")


class Folder(Protocol[T]):
    """What to make of each kind of node, given what was made of its parts (see ``fold``)."""

    def field(self, test: FieldTest) -> T:
        """A field test."""
        ...

    def finding(self, test: FindingTest) -> T:
        """A finding."""
        ...

    def all_(self, node: AllOf, parts: list[T]) -> T:
        """An ``all``, from its parts."""
        ...

    def any_(self, node: AnyOf, parts: list[T]) -> T:
        """An ``any``, from its parts."""
        ...

    def not_(self, node: NotOf, part: T) -> T:
        """A ``not``, from its part."""
        ...


def fold(node: Node, folder: Folder[T]) -> T:
    """Fold a condition bottom-up: each node is made from what was made of its parts."""
    if isinstance(node, FieldTest):
        return folder.field(node)
    if isinstance(node, FindingTest):
        return folder.finding(node)
    if isinstance(node, NotOf):
        return folder.not_(node, fold(node.not_, folder))
    parts = [fold(part, folder) for part in node.parts]
    return folder.all_(node, parts) if isinstance(node, AllOf) else folder.any_(node, parts)


class _Leaves:
    """Every leaf, in order, with whether it sits under an odd number of ``not``."""

    def field(self, test: FieldTest) -> list[tuple[Leaf, bool]]:
        return [(test, False)]

    def finding(self, test: FindingTest) -> list[tuple[Leaf, bool]]:
        return [(test, False)]

    def all_(self, node: AllOf, parts: list[list[tuple[Leaf, bool]]]) -> list[tuple[Leaf, bool]]:
        return [leaf for part in parts for leaf in part]

    def any_(self, node: AnyOf, parts: list[list[tuple[Leaf, bool]]]) -> list[tuple[Leaf, bool]]:
        return [leaf for part in parts for leaf in part]

    def not_(self, node: NotOf, part: list[tuple[Leaf, bool]]) -> list[tuple[Leaf, bool]]:
        return [(leaf, not negated) for leaf, negated in part]


def signed_leaves(node: Node) -> list[tuple[Leaf, bool]]:
    """Every leaf of a condition, in order, with whether it sits under an odd number of ``not``."""
    return fold(node, _Leaves())


def leaves(node: Node) -> list[Leaf]:
    """Every leaf of a condition, in order."""
    return [leaf for leaf, _ in signed_leaves(node)]


def fields_read(node: Node) -> list[str]:
    """The case fields a condition reads, without repeats, in order."""
    return list(dict.fromkeys(leaf.field for leaf in leaves(node) if isinstance(leaf, FieldTest)))


def findings_read(node: Node) -> list[str]:
    """The findings a condition reads, without repeats, in order."""
    return list(dict.fromkeys(leaf.finding for leaf in leaves(node) if isinstance(leaf, FindingTest)))


def negates_finding(node: Node) -> bool:
    """Whether a finding appears under a ``not`` (unsupported: findings are derived during chaining)."""
    return any(negated for leaf, negated in signed_leaves(node) if isinstance(leaf, FindingTest))


def describe_leaf(leaf: Leaf) -> str:
    """A leaf as a rule author wrote it: ``age gte 50 or unknown``, ``finding ces_symptom``."""
    if isinstance(leaf, FindingTest):
        return f"finding {leaf.finding}"
    if leaf.operator == KNOWNNESS:
        return f"{leaf.field} {'unknown' if leaf.value else 'known'}"

    def show(value: Any) -> str:
        return str(value).lower() if isinstance(value, bool) else str(value)

    value = f"[{', '.join(show(v) for v in leaf.value)}]" if leaf.op.operand == "values" else show(leaf.value)
    return f"{leaf.field} {leaf.operator} {value}" + (" or unknown" if leaf.or_unknown else "")
