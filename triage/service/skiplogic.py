"""Our skip logic (``show_if``) in FHIR: ``enableWhen`` where it means exactly the same, else SDC FHIRPath.

What must be preserved is ``triage.questionnaire.Logic.is_shown``:

- a gating question that was answered: the condition is evaluated on the answer;
- a gating question shown but left unanswered ("not sure"): the dependent question is
  shown if any answer to the gate could show it (the answers tried are
  ``Logic.probes``);
- a gating question that is itself hidden: its declared ``hidden_answer`` if it has one,
  else unknown (a comparison on it is false unless ``or_unknown``), with no answers tried.

In a QuestionnaireResponse "not sure" is an item left without an answer, and a disabled
item has no answer either: ``enableWhen`` cannot tell the two apart. So ``enableWhen`` is
used only when the condition is one comparison or an ``any`` of comparisons, each on a
gate that is always enabled: an unanswered gate is then "not sure", each comparison
becomes one ``enableWhen`` (``in`` one per value), and each gate that some tried answer
would satisfy adds ``exists = false`` (unanswered), joined by ``enableBehavior: any``.
Everything else (``all``, ``not``, ``unknown``, a gate that can itself be hidden) becomes an
``enableWhenExpression`` in FHIRPath that walks the three states of every gate exactly.
"""

from __future__ import annotations

import re
from typing import Any, Union

from triage.interview.logic import Logic
from triage.interview.questionnaire import Question, Questionnaire
from triage.language.conditions import AllOf, AnyOf, FieldTest, Node, NotOf, fields_read
from triage.language.evaluation import compile_condition

from .fhir_terms import ENABLE_WHEN_EXPRESSION, choice_system

_OPERATORS = {"is": "=", "in": "=", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_LINK_ID = re.compile(r"^[A-Za-z0-9_.-]+$")

# A small boolean algebra, simplified as it is built: ("const", bool) | ("atom", text) |
# ("and", (x, ...)) | ("or", (x, ...)) | ("not", x). Every atom is a FHIRPath expression that
# yields true or false, never an empty collection, so FHIRPath's three-valued logic never applies.
Expr = tuple[Any, ...]
TRUE: Expr = ("const", True)
FALSE: Expr = ("const", False)


def _atom(text: str) -> Expr:
    return ("atom", text)


def _and(*parts: Expr) -> Expr:
    flat: list[Expr] = []
    for part in parts:
        if part == FALSE:
            return FALSE
        if part != TRUE:
            flat += part[1] if part[0] == "and" else [part]
    flat = list(dict.fromkeys(flat))
    return TRUE if not flat else flat[0] if len(flat) == 1 else ("and", tuple(flat))


def _or(*parts: Expr) -> Expr:
    flat: list[Expr] = []
    for part in parts:
        if part == TRUE:
            return TRUE
        if part != FALSE:
            flat += part[1] if part[0] == "or" else [part]
    flat = list(dict.fromkeys(flat))
    return FALSE if not flat else flat[0] if len(flat) == 1 else ("or", tuple(flat))


def _not(part: Expr) -> Expr:
    if part[0] == "const":
        return FALSE if part[1] else TRUE
    return part[1] if part[0] == "not" else ("not", part)


def render(expr: Expr) -> str:
    """An expression as FHIRPath text."""
    kind = expr[0]
    if kind == "const":
        return "true" if expr[1] else "false"
    if kind == "atom":
        return str(expr[1])
    if kind == "not":
        return f"({render(expr[1])}).not()"
    return "(" + f" {kind} ".join(render(part) for part in expr[1]) + ")"


def answer_path(link_id: str) -> str:
    """FHIRPath to the answer value of the item with this linkId, wherever it sits in the response."""
    if not _LINK_ID.match(link_id):
        raise ValueError(f"linkId {link_id!r} cannot be written into FHIRPath safely")
    return f"%resource.repeat(item).where(linkId='{link_id}').answer.value"


def _literal(gate: Question, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _compare(gate: Question, operator: str, value: Any) -> Expr:
    """A comparison on the gate's answer, for a gate known to be answered."""
    path = answer_path(gate.id) + (".code" if gate.type == "choice" else "")
    symbol = {"is": "=", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[operator]
    return _atom(f"{path} {symbol} {_literal(gate, value)}")


def _answered_test(leaf: FieldTest, gate: Question) -> Expr:
    if leaf.operator == "unknown":
        return FALSE if leaf.value else TRUE  # an answered gate is known (``unknown: true`` is false)
    if leaf.operator == "in":
        return _or(*(_compare(gate, "is", value) for value in leaf.value))
    return _compare(gate, leaf.operator, leaf.value)


class SkipLogic:
    """Translates the ``show_if`` of every question of one questionnaire; results are cached."""

    def __init__(self, questionnaire: Questionnaire, logic: Logic):
        self.questionnaire = questionnaire
        self.logic = logic
        self._enabled: dict[str, Expr] = {}

    def item_fields(self, question: Question) -> dict[str, Any]:
        """The FHIR elements of one Questionnaire item that carry its skip logic (none when always shown)."""
        if question.show_if is None:
            return {}
        entries = self.enable_when(question)
        if entries is not None:
            fields: dict[str, Any] = {"enableWhen": entries}
            if len(entries) > 1:
                fields["enableBehavior"] = "any"
            return fields
        return {"extension": [{"url": ENABLE_WHEN_EXPRESSION, "valueExpression": {
            "language": "text/fhirpath", "expression": self.expression(question),
            "description": "show_if of the triage questionnaire; an unanswered question counts as 'not sure'",
        }}]}

    def enable_when(self, question: Question) -> list[dict[str, Any]] | None:
        """The ``enableWhen`` entries that mean exactly ``show_if`` (``enableBehavior: any``), or None if none do."""
        leaves = _any_of_leaves(question.show_if) if question.show_if is not None else None
        if not leaves:
            return None
        entries: list[dict[str, Any]] = []
        unsure_shows: dict[str, bool] = {}
        for leaf in leaves:
            if leaf.operator not in _OPERATORS or leaf.field not in self.questionnaire.index:
                return None
            gate = self.questionnaire.question(leaf.field)
            if gate.show_if is not None:
                return None  # "not sure" and "hidden" differ for this gate: enableWhen cannot tell them apart
            values = list(leaf.value) if leaf.operator == "in" else [leaf.value]
            operator = _OPERATORS[leaf.operator]
            for value in values:
                answer = _answer_element(gate, value, operator)
                if answer is None:
                    return None
                entries.append({"question": gate.id, "operator": operator, **answer})
            holds = compile_condition(leaf).holds
            satisfiable = any(holds({gate.id: probe}, frozenset()) for probe in self.logic.probes(question.id, gate.id))
            if leaf.operator == "ne" and not satisfiable:
                return None  # R4 '!=' is true on no answer, but no answer could satisfy this test
            unsure_shows[gate.id] = unsure_shows.get(gate.id, False) or satisfiable
        entries += [{"question": gate_id, "operator": "exists", "answerBoolean": False}
                    for gate_id, shows in unsure_shows.items() if shows]
        return entries

    def expression(self, question: Question) -> str:
        """``show_if`` as a FHIRPath expression over the response (``%resource``), exact in every case."""
        return render(self.enabled(question.id))

    def enabled(self, question_id: str) -> Expr:
        """Whether a question is enabled, as an expression over the answers in the response."""
        if question_id not in self._enabled:
            question = self.questionnaire.question(question_id)
            condition = question.show_if
            self._enabled[question_id] = TRUE if condition is None else \
                self._expand(question_id, condition, fields_read(condition), {})
        return self._enabled[question_id]

    def _expand(self, question_id: str, condition: Node, gates: list[str], fixed: dict[str, tuple[Any, ...]]) -> Expr:
        """Split on the state of each gate in turn: "not sure" (try every answer) or not (answered, or hidden)."""
        if not gates:
            return self._substitute(condition, fixed)
        gate, rest = gates[0], gates[1:]
        tried = _or(*(self._expand(question_id, condition, rest, {**fixed, gate: ("tried", value)})
                      for value in self.logic.probes(question_id, gate)))
        actual = self._expand(question_id, condition, rest, {**fixed, gate: ("actual",)})
        if tried == actual:
            return actual  # the gate's state makes no difference
        unsure = _and(self.enabled(gate), _atom(f"{answer_path(gate)}.empty()"))
        if tried == TRUE:  # a or (not a and b) is a or b
            return _or(unsure, actual)
        return _or(_and(unsure, tried), _and(_not(unsure), actual))

    def _substitute(self, node: Node, fixed: dict[str, tuple[Any, ...]]) -> Expr:
        if isinstance(node, (AllOf, AnyOf)):
            parts = [self._substitute(child, fixed) for child in node.parts]
            return _and(*parts) if isinstance(node, AllOf) else _or(*parts)
        if isinstance(node, NotOf):
            return _not(self._substitute(node.not_, fixed))
        if not isinstance(node, FieldTest):
            raise ValueError("show_if reads only answers, never findings")
        holds = compile_condition(node).holds
        state = fixed[node.field]
        if state[0] == "tried":
            return TRUE if holds({node.field: state[1]}, frozenset()) else FALSE
        gate = self.questionnaire.question(node.field)
        # Not "not sure": answered, or hidden (then its hidden_answer, or unknown).
        hidden = {} if gate.hidden_answer is None else {gate.id: gate.hidden_answer}
        when_hidden = holds(hidden, frozenset())
        test = _answered_test(node, gate)
        path = answer_path(gate.id)
        if when_hidden:
            return _or(_atom(f"{path}.empty()"), test)
        return _and(_atom(f"{path}.exists()"), test)


def _any_of_leaves(node: Node) -> list[FieldTest] | None:
    """The comparisons of a condition that is one comparison or an ``any`` of them (nested), else None."""
    if isinstance(node, FieldTest):
        return [node]
    if isinstance(node, AnyOf):
        found: list[FieldTest] = []
        for child in node.parts:
            inner = _any_of_leaves(child)
            if inner is None:
                return None
            found += inner
        return found
    return None


def _answer_element(gate: Question, value: Any, operator: str) -> Union[dict[str, Any], None]:
    """``answer[x]`` of an enableWhen on this gate, or None when the value does not fit the gate's type."""
    if gate.type == "yes_no":
        return {"answerBoolean": value} if isinstance(value, bool) and operator in ("=", "!=") else None
    if gate.type == "choice":
        labels = {option.value: option.label for option in gate.choices}
        if isinstance(value, str) and value in labels and operator in ("=", "!="):
            return {"answerCoding": {"system": choice_system(gate.id), "code": value, "display": labels[value]}}
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return {"answerInteger": value}
    return None
