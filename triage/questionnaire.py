"""Question sets as data, and the pure logic of an interview: which question comes next, skip logic, Back.

A questionnaire (``questionnaires/*.yaml``) is a list of sections, each a list of questions
in clinical order. Every question's id is a case field. ``show_if`` is a condition in the
rule language over earlier answers; a question whose condition could still be true is
shown (an earlier "not sure" never hides a question). A hidden question's answer is
unknown, unless the questionnaire declares the answer its hiding implies
(``hidden_answer``, e.g. no foot drop when there is no weakness at all).

Nothing here does I/O beyond loading a file; the terminal front end is ``interview.py``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError, model_validator

from .conditions import (
    NODE_TAGS, Compiled, Condition, FieldTest, compile_condition, fields_read, findings_read, leaves,
)
from .errors import InputError
from .models import DOMAINS
from .validation import SyntaxProblem, format_location, located_messages, parse_yaml, suggest

NOT_SURE = None  # a "not sure" answer is recorded as unknown, never as no


class QuestionnaireError(InputError):
    """A questionnaire file is invalid or inconsistent with the case format or the rules."""


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
    help: Optional[StrictStr] = None
    type: Literal["yes_no", "choice", "number"]
    choices: tuple[ChoiceOption, ...] = ()
    minimum: Optional[StrictInt] = None
    maximum: Optional[StrictInt] = None
    show_if: Optional[Condition] = None
    hidden_answer: Optional[Union[StrictBool, StrictInt, StrictStr]] = None
    note: Optional[StrictStr] = None

    @model_validator(mode="after")
    def _shape(self) -> "Question":
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
    intro: Optional[StrictStr] = None
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


# --- answers and visibility ---------------------------------------------------------------

def answer_options(question: Question) -> list[Any]:
    """Every answer a question accepts besides "not sure" (numbers: the values rules and skip logic compare)."""
    if question.type == "yes_no":
        return [True, False]
    if question.type == "choice":
        return [option.value for option in question.choices]
    return [question.minimum, question.maximum]


@dataclass
class Logic:
    """A questionnaire with its skip conditions compiled, and the pure interview functions over it."""

    questionnaire: Questionnaire
    _conditions: dict[str, Compiled] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._conditions = {q.id: compile_condition(q.show_if) for q in self.questionnaire.questions if q.show_if}
        self._gates = {q.id: fields_read(q.show_if) for q in self.questionnaire.questions if q.show_if}
        self._probe_values = _probe_values(self.questionnaire)

    def is_shown(self, question: Question, answers: dict[str, Any]) -> bool:
        """Whether a question is shown given the answers to earlier questions.

        ``answers`` maps question ids to values, ``None`` for "not sure"; a question that
        was not reached is absent. When an earlier answer is "not sure", the question is
        shown if any answer to it could show it.
        """
        condition = self._conditions.get(question.id)
        if condition is None:
            return True
        known = {k: v for k, v in answers.items() if v is not None}
        unsure = [f for f in self._gates[question.id] if f in answers and answers[f] is None]
        for values in itertools.product(*(self._probe_values[f] for f in unsure)):
            if condition.holds({**known, **dict(zip(unsure, values))}, frozenset()):
                return True
        return False

    def _walk(self, given: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        effective: dict[str, Any] = {}
        shown: set[str] = set()
        for question in self.questionnaire.questions:
            if self.is_shown(question, effective):
                shown.add(question.id)
                if question.id in given:
                    effective[question.id] = given[question.id]
            elif question.hidden_answer is not None:
                effective[question.id] = question.hidden_answer
        return effective, shown

    def shown(self, given: dict[str, Any]) -> set[str]:
        """The ids of the questions shown given these answers, walking the questions in order."""
        return self._walk(given)[1]

    def probe_values(self, question_id: str) -> list[Any]:
        """The answers tried for a question answered "not sure" when deciding what it could show."""
        return list(self._probe_values[question_id])

    def shown_answers(self, given: dict[str, Any]) -> dict[str, Any]:
        """The answers in force, walking the questions in order: given answers of shown questions, and the
        declared answers of hidden ones. Answers given to questions that are now hidden are dropped."""
        return self._walk(given)[0]

    def case_answers(self, given: dict[str, Any]) -> dict[str, Any]:
        """What reaches the engine: the answers in force, without "not sure" (unknown)."""
        return {k: v for k, v in self.shown_answers(given).items() if v is not None}

    def next_question(self, given: dict[str, Any]) -> Optional[Question]:
        """The first shown question without an answer (a "not sure" is an answer), or None when done."""
        shown = self._walk(given)[1]
        return next((q for q in self.questionnaire.questions if q.id in shown and q.id not in given), None)

    def progress(self, given: dict[str, Any]) -> tuple[int, int]:
        """(questions answered, questions that will be asked in all as things stand)."""
        shown = self._walk(given)[1]
        return sum(1 for q in shown if q in given), len(shown)

    def back(self, given: dict[str, Any], history: list[str]) -> tuple[dict[str, Any], list[str], Optional[str]]:
        """Step back to the last answered question: its answer is withdrawn (kept by the caller as a default).

        Returns the new answers, the new history and the question id to ask again (None at the start).
        """
        if not history:
            return dict(given), [], None
        *earlier, last = history
        remaining = {k: v for k, v in given.items() if k != last}
        return self.prune(remaining), earlier, last

    def prune(self, given: dict[str, Any]) -> dict[str, Any]:
        """Drop the answers of questions that are no longer shown (they must never reach the engine)."""
        shown = self._walk(given)[1]
        return {k: v for k, v in given.items() if k in shown}


def _probe_values(questionnaire: Questionnaire) -> dict[str, list[Any]]:
    """For each question, the answers worth trying when it was answered "not sure"."""
    thresholds: dict[str, set[int]] = {}
    for question in questionnaire.questions:
        if question.show_if is None:
            continue
        for leaf in leaves(question.show_if):
            if isinstance(leaf, FieldTest) and leaf.operator in ("lt", "lte", "gt", "gte", "is", "ne"):
                if isinstance(leaf.value, int) and not isinstance(leaf.value, bool):
                    thresholds.setdefault(leaf.field, set()).update({leaf.value - 1, leaf.value, leaf.value + 1})
    values = {}
    for question in questionnaire.questions:
        options = answer_options(question)
        if question.type == "number":
            options = sorted({*options, *thresholds.get(question.id, set())})
        values[question.id] = options
    return values


# --- loading and checking -------------------------------------------------------------------

def bundled_questionnaire_path() -> Path:
    """The questionnaire shipped with the package (installed), or the repository's (source tree)."""
    installed = resources.files("triage") / "_data" / "questionnaires" / "spine.yaml"
    if installed.is_file():
        return Path(str(installed))
    return Path(__file__).resolve().parent.parent / "questionnaires" / "spine.yaml"


def load_questionnaire(path: Optional[str | Path] = None) -> Questionnaire:
    """Load and check a questionnaire (default: the bundled one) against the case format.

    Raises ``QuestionnaireError`` listing every problem, located by file, question id and key.
    """
    file = Path(path) if path is not None else bundled_questionnaire_path()
    name = file.name
    try:
        data = parse_yaml(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionnaireError(f"questionnaire {file}: cannot read", [str(exc)]) from None
    except SyntaxProblem as exc:
        raise QuestionnaireError(f"questionnaire {file}: 1 problem", [f"{name}: {exc}"]) from None
    try:
        questionnaire = Questionnaire.model_validate(data)
    except ValidationError as exc:
        problems = []
        known = {*Questionnaire.model_fields, *Section.model_fields, *Question.model_fields, *ChoiceOption.model_fields,
                 "all", "any", "not", "field", "is", "in", "ne", "lt", "lte", "gt", "gte", "unknown", "or_unknown"}
        for loc, reason in located_messages(exc, skip=NODE_TAGS):
            if reason.startswith("unknown field"):
                reason = "unknown key" + suggest(str(loc[-1]), known)
            label = _question_label(data, loc)
            where = format_location(loc[4:] if label else loc)
            problems.append(f"{name}: {label}{where}: {reason}")
        raise QuestionnaireError(f"questionnaire {file}: {len(problems)} problem(s)", problems) from None
    problems = [f"{name}: {p}" for p in check_questionnaire(questionnaire)]
    if problems:
        raise QuestionnaireError(f"questionnaire {file}: {len(problems)} problem(s)", problems)
    return questionnaire


def _question_label(data: Any, loc: tuple[Any, ...]) -> str:
    try:
        question = data["sections"][loc[1]]["questions"][loc[3]]
        return f"question '{question['id']}': " if loc[0] == "sections" and loc[2] == "questions" and len(loc) > 4 else ""
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


def _unreachable(questionnaire: Questionnaire) -> list[str]:
    """Questions whose show_if no combination of earlier answers makes true."""
    logic = Logic(questionnaire)
    problems = []
    for question in questionnaire.questions:
        if question.show_if is None:
            continue
        read = fields_read(question.show_if)
        options = [logic._probe_values[name] + [None] for name in read]
        condition = logic._conditions[question.id]
        if not any(condition.holds({k: v for k, v in zip(read, combo) if v is not None}, frozenset())
                   for combo in itertools.product(*options)):
            problems.append(f"question '{question.id}': never shown (no earlier answers make show_if true)")
    return problems


def check_against_rules(questionnaire: Questionnaire, fields_rules_read: tuple[str, ...]) -> list[str]:
    """Case fields some rule reads that no question asks (each one would always stay unknown)."""
    asked = set(questionnaire.index)
    return [f"case field '{name}' is read by the rules but asked by no question" for name in fields_rules_read
            if name not in asked]
