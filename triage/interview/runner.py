"""The interview loop: questions one at a time, the level after each answer, early stop and Back.

The loop (``run_interview``) is the same for a person at a terminal (``terminal``,
questionary) and for a script (``ScriptedAnswers``). After every answer the engine
assesses the answers in force; the moment the level is an emergency the interview stops
asking. Every change is handed to ``save`` (``sessions.save_session`` writes it to the
session file atomically), so closing the terminal loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..assess.assessor import Assessor
from ..models import Assessment
from .logic import Logic
from .questionnaire import NOT_SURE, Question

BACK = "__back__"  # a reply meaning "go back to the previous question"


@dataclass
class InterviewState:
    """What has been answered so far: ``answers`` by question id (None = not sure), in ``history`` order."""

    answers: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    defaults: dict[str, Any] = field(default_factory=dict)  # earlier answers of questions stepped back over


@dataclass(frozen=True)
class InterviewResult:
    """How an interview ended: the assessment, the answers that reached the engine, and how many were asked."""

    assessment: Assessment
    case_answers: dict[str, Any]
    questions_asked: int
    stopped_early: bool


class AnswerSource(Protocol):
    """Where answers come from: a person at a terminal or a script."""

    def ask(self, question: Question, section_title: str, progress: tuple[int, int], default: Any) -> Any:
        """The answer (a value, ``None`` for not sure) or ``BACK``."""
        ...


def _keep_nothing(state: InterviewState) -> None:
    """The default ``save``: the interview is not kept."""


def run_interview(logic: Logic, assessor: Assessor, source: AnswerSource, state: InterviewState | None = None,
                  save: Callable[[InterviewState], None] = _keep_nothing,
                  case_id: str | None = None) -> InterviewResult:
    """Ask until every shown question is answered or the level is an emergency; save after every change."""
    state = state or InterviewState()
    questionnaire = logic.questionnaire
    session = assessor.session(case_id)  # receives the answers in force after every change
    while True:
        answers = logic.case_answers(state.answers)
        assessment = session.replace_answers(answers)
        question = logic.next_question(state.answers)
        if assessment.urgency == "emergency" or question is None:
            return InterviewResult(assessment, answers, len(state.answers),
                                   stopped_early=question is not None)
        reply = source.ask(question, questionnaire.section_of[question.id].title, logic.progress(state.answers),
                           state.defaults.get(question.id))
        if reply == BACK:
            previous = dict(state.answers)
            state.answers, state.history, target = logic.back(state.answers, state.history)
            if target is not None:
                state.defaults[target] = previous.get(target)
        else:
            state.answers[question.id] = reply
            state.history.append(question.id)
            state.answers = logic.prune(state.answers)  # answers that no longer apply never reach the engine
            state.history = [q for q in state.history if q in state.answers]
        save(state)


class ScriptedAnswers:
    """Answers from a mapping of question id to answer; a question it does not answer is "not sure"."""

    def __init__(self, answers: dict[str, Any]):
        self.answers = answers

    def ask(self, question: Question, section_title: str, progress: tuple[int, int], default: Any) -> Any:
        """The scripted answer, or not sure."""
        return self.answers.get(question.id, NOT_SURE)
