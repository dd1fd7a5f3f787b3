"""Question sets as data: the questionnaire model, loading it, and checking it against the case format.

A questionnaire (``data/questionnaires/*.yaml``) is a list of sections, each a list of
questions in clinical order. Every question's id is a case field. ``show_if`` is a
condition in the rule language over earlier answers (its meaning is in ``logic``); a hidden
question's answer is unknown, unless the questionnaire declares the answer its hiding
implies (``hidden_answer``, e.g. no foot drop when there is no weakness at all).
"""

from __future__ import annotations

import itertools
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError, model_validator

from ..errors import QuestionnaireError
from ..files import SyntaxProblem, TooLarge, decode, parse_yaml_lines, read_capped
from ..language.conditions import CONDITION_KEYS, NODE_TAGS, Condition, FieldTest, fields_read, findings_read, leaves
from ..language.evaluation import compile_condition
from ..language.satisfiability import representatives
from ..models import DOMAINS
from ..validation import display_path, format_location, located_messages, suggest

NOT_SURE = None  # a "not sure" answer is recorded as unknown, never as no


class ChoiceOption(BaseModel):
    """One answer of a choice question: the stored value and the words shown."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: StrictStr
    label: StrictStr


class Question(BaseModel):
    """One question; its id is the case field it fills."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: StrictStr
    text: StrictStr = Field(min_length=1)
    help: StrictStr | None = None
    type: Literal["yes_no", "choice", "number"]
    choices: tuple[ChoiceOption, ...] = ()
    minimum: StrictInt | None = None
    maximum: StrictInt | None = None
    show_if: Condition | None = None
    hidden_answer: Union[StrictBool, StrictInt, StrictStr] | None = None
    note: StrictStr | None = None

    @model_validator(mode="after")
    def _shape(self) -> Question:
        if self.type == "choice" and not self.choices:
            raise ValueError("a choice question needs choices")
        if self.type != "choice" and self.choices:
            raise ValueError(f"a {self.type} question has no choices")
        if self.type == "number" and (self.minimum is None or self.maximum is None):
            raise ValueError("a number question needs minimum and maximum")
        if self.hidden_answer is not None and self.show_if is None:
            raise ValueError("hidden_answer needs show_if (a question that is always shown is never hidden)")
        return self


class Section(BaseModel):
    """Questions asked together, under one title."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: StrictStr
    title: StrictStr
    intro: StrictStr | None = None
    questions: tuple[Question, ...] = Field(min_length=1)


class Questionnaire(BaseModel):
    """A question set: sections of questions in the order they are asked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: StrictStr
    title: StrictStr
    sections: tuple[Section, ...] = Field(min_length=1)

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        """Every question in asking order."""
        return tuple(q for section in self.sections for q in section.questions)

    @cached_property
    def index(self) -> dict[str, int]:
        """Position of each question id in asking order."""
        return {q.id: n for n, q in enumerate(self.questions)}

    @cached_property
    def section_of(self) -> dict[str, Section]:
        """The section of each question id."""
        return {q.id: section for section in self.sections for q in section.questions}

    def question(self, question_id: str) -> Question:
        """The question with this id."""
        return self.questions[self.index[question_id]]


def answer_options(question: Question) -> list[Any]:
    """Every answer a question accepts besides "not sure" (numbers: their bounds)."""
    if question.type == "yes_no":
        return [True, False]
    if question.type == "choice":
        return [option.value for option in question.choices]
    return [question.minimum, question.maximum]


def bundled_questionnaire_path() -> Path:
    """The questionnaire shipped inside the package."""
    return Path(str(resources.files("triage") / "data" / "questionnaires" / "spine.yaml"))


def _keys_at(place: tuple[Any, ...]) -> set[str]:
    """The keys a mapping at ``place`` of a questionnaire may hold (empty when the place is a condition)."""
    shapes: dict[tuple[Any, ...], type[BaseModel]] = {
        (): Questionnaire, ("sections", int): Section, ("sections", int, "questions", int): Question,
        ("sections", int, "questions", int, "choices", int): ChoiceOption,
    }
    pattern = tuple(int if isinstance(part, int) else part for part in place)
    model = shapes.get(pattern)
    return set(model.model_fields) if model is not None else set()


def load_questionnaire(path: str | Path | None = None) -> Questionnaire:
    """Load and check a questionnaire (default: the bundled one) against the case format.

    Raises ``QuestionnaireError`` listing every problem, located by file, question id and key.
    """
    file = Path(path) if path is not None else bundled_questionnaire_path()
    name = file.name
    try:
        data, lines = parse_yaml_lines(decode(read_capped(file, what="questionnaire")))
    except TooLarge as exc:
        raise QuestionnaireError(f"questionnaire {display_path(file)}: cannot read", [str(exc)]) from None
    except OSError as exc:
        raise QuestionnaireError(f"questionnaire {display_path(file)}: cannot read",
                                 [exc.strerror or str(exc)]) from None
    except SyntaxProblem as exc:
        raise QuestionnaireError(f"questionnaire {display_path(file)}: 1 problem",
                                 [f"{display_path(name)}: {exc}"]) from None
    try:
        questionnaire = Questionnaire.model_validate(data)
    except ValidationError as exc:
        problems = []
        known = {*Questionnaire.model_fields, *Section.model_fields, *Question.model_fields, *ChoiceOption.model_fields,
                 *CONDITION_KEYS}
        for loc, reason in located_messages(exc, skip=NODE_TAGS):
            if reason.startswith("unknown field"):
                # Suggest only keys of the place the key is in: 'id' is a question's key, not the questionnaire's.
                reason = "unknown key" + suggest(str(loc[-1]), _keys_at(loc[:-1]) or known - {str(loc[-1])})
            label = _question_label(data, loc)
            where = format_location(loc[4:] if label else loc)
            line = lines.of(loc)
            problems.append(f"{name}{f':{line}' if line else ''}: {label}{where}: {reason}")
        raise QuestionnaireError(f"questionnaire {file}: {count(len(problems), 'problem')}", problems) from None
    question_lines = {question.id: lines.of(("sections", s, "questions", q, "id"))
                      for s, section in enumerate(questionnaire.sections)
                      for q, question in enumerate(section.questions)}
    problems = []
    for problem in check_questionnaire(questionnaire):  # each starts "question '<id>'"
        line = question_lines.get(problem.split("'")[1]) if problem.startswith("question '") else None
        problems.append(f"{name}{f':{line}' if line else ''}: {problem}")
    if problems:
        raise QuestionnaireError(f"questionnaire {file}: {count(len(problems), 'problem')}", problems)
    return questionnaire


def count(number: int, noun: str) -> str:
    """'1 problem', '2 problems': a number with its noun in the right form (nouns with a plain plural)."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _question_label(data: Any, loc: tuple[Any, ...]) -> str:
    try:
        question = data["sections"][loc[1]]["questions"][loc[3]]
        inside = loc[0] == "sections" and loc[2] == "questions" and len(loc) > 4
        return f"question '{question['id']}': " if inside else ""
    except (KeyError, IndexError, TypeError):
        return ""


def check_questionnaire(questionnaire: Questionnaire) -> list[str]:
    """Problems of a valid questionnaire against the case format: ids, answer types, skip logic."""
    problems: list[str] = []
    seen: set[str] = set()
    for question in questionnaire.questions:
        where = f"question '{question.id}'"
        domain = DOMAINS.get(question.id)
        if question.id in seen:
            problems.append(f"{where}: asked twice")
        if domain is None:
            problems.append(f"{where}: not a case field{suggest(question.id, DOMAINS)}")
            seen.add(question.id)
            continue
        expected = {"yes_no": "yes_no", "choice": "choice", "integer": "number"}.get(domain.kind)
        if question.type != expected:
            problems.append(f"{where}: the case field is {domain.kind.replace('_', '/')}, so the question must be "
                            f"type {expected}")
        if question.type == "choice":
            values = {o.value for o in question.choices}
            for value in sorted(values - set(domain.choices)):
                problems.append(f"{where}: choice {value!r} is not an answer of the case field "
                                f"({', '.join(domain.choices)})")
            for value in domain.choices:
                if value not in values:
                    problems.append(f"{where}: the answer {value!r} of the case field is not offered")
        if question.type == "number":
            low = domain.minimum if domain.minimum is not None else 0
            if question.minimum is not None and question.minimum < low:
                problems.append(f"{where}: minimum {question.minimum} is below the case field's {low}")
            if domain.maximum is not None and question.maximum is not None and question.maximum > domain.maximum:
                problems.append(f"{where}: maximum {question.maximum} is above the case field's {domain.maximum}")
        if question.hidden_answer is not None and question.type in ("yes_no", "choice"):
            allowed = answer_options(question)
            if question.hidden_answer not in allowed:
                problems.append(f"{where}: hidden_answer {question.hidden_answer!r} is not one of its answers")
        if question.show_if is not None:
            if findings_read(question.show_if):
                problems.append(f"{where}: show_if can only read earlier answers, not findings")
            for name in fields_read(question.show_if):
                if name not in seen:
                    later = name in questionnaire.index
                    problems.append(f"{where}: show_if reads '{name}', which is "
                                    f"{'asked later' if later else 'not asked before it'}")
        seen.add(question.id)
    if not problems:
        problems += _unreachable(questionnaire)
    return problems


def probe_values(condition: Any, field: str) -> list[Any]:
    """The answers to ``field`` worth trying to see whether ``condition`` can be true: one per outcome of its tests."""
    tests = [leaf for leaf in leaves(condition) if isinstance(leaf, FieldTest) and leaf.field == field]
    return representatives(field, tests, unknown=False)


def _unreachable(questionnaire: Questionnaire) -> list[str]:
    """Questions whose show_if no combination of earlier answers makes true."""
    problems = []
    for question in questionnaire.questions:
        if question.show_if is None:
            continue
        read = fields_read(question.show_if)
        options = [[*probe_values(question.show_if, name), None] for name in read]
        holds = compile_condition(question.show_if).holds
        if not any(holds({k: v for k, v in zip(read, combo, strict=True) if v is not None}, frozenset())
                   for combo in itertools.product(*options)):
            problems.append(f"question '{question.id}': never shown (no earlier answers make show_if true)")
    return problems


def check_against_rules(questionnaire: Questionnaire, fields_rules_read: tuple[str, ...]) -> list[str]:
    """Case fields some rule reads that no question asks (each one would always stay unknown)."""
    asked = set(questionnaire.index)
    return [f"case field '{name}' is read by the rules but asked by no question" for name in fields_rules_read
            if name not in asked]
