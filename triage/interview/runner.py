"""The interview loop: questions one at a time, the level after each answer, early stop and Back.

The loop (``run_interview``) is the same for a person at a terminal (``terminal``) and for
a script (``ScriptedAnswers``). After every answer the engine assesses the answers in
force, and ``should_stop`` decides whether the interview can stop asking. Every change is
handed to ``save`` (``sessions.save_session`` writes it to the session file atomically),
so closing the terminal loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from ..assess.assessor import Assessor
from ..models import Assessment, Urgency
from .logic import Logic
from .questionnaire import NOT_SURE, Question, Section

BACK = "__back__"  # a reply meaning "go back to the previous question"
NOTHING_BEFORE = "There is no question before this one."


def should_stop(assessment: Assessment, lowest: Callable[[], Urgency]) -> bool:
    """Whether the interview can stop asking: the answers so far already settle an emergency.

    The one place the early stop is decided (clinical-criteria.md, "Unknown answers: what
    is certain and what is possible"): the level is an emergency and no answer to the
    questions still to come could lower it (``lowest``: the lowest level they can lead to,
    worked out only for an emergency that is not already certain). An emergency that rests
    on a question not yet asked (E1 reads an unknown duration of cauda equina symptoms as
    new) is not settled: the interview asks how long and whether it is getting worse, since
    those answers could lower it (U5). Once they are answered "not sure", nothing left can.
    """
    if assessment.urgency != Urgency.EMERGENCY:
        return False
    return assessment.certain == Urgency.EMERGENCY or lowest() == Urgency.EMERGENCY


@dataclass
class InterviewState:
    """What has been answered so far: ``answers`` by question id (None = not sure), in ``history`` order.

    ``defaults`` holds the earlier answers of questions stepped back over (None = "not sure"
    was the earlier answer; a question with no earlier answer is absent).
    """

    answers: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    defaults: dict[str, Any] = field(default_factory=dict)
    finished: bool = False  # set when the interview ends (every question answered, or an early stop)
    case_id: str | None = None  # names the assessment (and the saved case)


@dataclass(frozen=True)
class Prompt:
    """One question as it is put to the person, with what the asker needs to show around it."""

    question: Question
    section: Section
    section_starts: bool  # the first question of its section: show the section's title and intro
    number: int  # this question's number in the interview (answered so far + 1)
    remaining: int  # questions still to come after this one, as the answers stand
    has_default: bool  # the question was answered before (then stepped back over)
    default: Any = None  # that earlier answer (None: "not sure")
    notice: str | None = None  # said before the question, e.g. that there is nothing before it
    can_go_back: bool = True  # False on the first question: Back has nothing to go back to


@dataclass(frozen=True)
class InterviewResult:
    """How an interview ended: the assessment, the answers that reached the engine, and how many were asked."""

    assessment: Assessment
    case_answers: dict[str, Any]
    questions_asked: int
    stopped_early: bool
    asked: frozenset[str] = frozenset()  # the ids of the questions answered (a "not sure" included)


class AnswerSource(Protocol):
    """Where answers come from: a person at a terminal or a script."""

    def ask(self, prompt: Prompt) -> Any:
        """The answer (a value, ``None`` for not sure) or ``BACK``."""
        ...


def _keep_nothing(state: InterviewState) -> None:
    """The default ``save``: the interview is not kept."""


def run_interview(logic: Logic, assessor: Assessor, source: AnswerSource, state: InterviewState | None = None,
                  save: Callable[[InterviewState], None] = _keep_nothing,
                  carried: dict[str, Any] | None = None) -> InterviewResult:
    """Ask until every shown question is answered or ``should_stop``; save after every change.

    ``carried`` holds answers to case fields no question asks (e.g. ``sex`` from a case
    file): they reach the engine with the interview's answers. When the interview ends,
    ``state.finished`` is set and the state saved once more.
    """
    state = state if state is not None else InterviewState()
    questionnaire = logic.questionnaire
    asked_fields = set(questionnaire.index)
    fixed = {k: v for k, v in (carried or {}).items() if k not in asked_fields and v is not None}
    session = assessor.session(state.case_id)  # receives the answers in force after every change
    notice: str | None = None
    while True:
        answers = {**fixed, **logic.case_answers(state.answers)}
        assessment = session.replace_answers(answers)
        question = logic.next_question(state.answers)
        still_to_ask = [name for name in questionnaire.index if name not in state.answers]
        if question is None or should_stop(assessment, partial(assessor.lowest_level, answers, still_to_ask)):
            state.finished = True
            save(state)
            return InterviewResult(assessment, answers, len(state.answers), stopped_early=question is not None,
                                   asked=frozenset(state.answers))
        reply = source.ask(_prompt(logic, state, question, notice))
        notice = None
        if reply == BACK:
            previous = dict(state.answers)
            state.answers, state.history, target = logic.back(state.answers, state.history)
            if target is None:
                notice = NOTHING_BEFORE
                continue  # nothing changed: nothing to save
            state.defaults[target] = previous.get(target)
        else:
            state.answers[question.id] = reply
            state.history.append(question.id)
            state.answers = logic.prune(state.answers)  # answers that no longer apply never reach the engine
            state.history = [q for q in state.history if q in state.answers]
        save(state)


def _prompt(logic: Logic, state: InterviewState, question: Question, notice: str | None) -> Prompt:
    questionnaire = logic.questionnaire
    section = questionnaire.section_of[question.id]
    answered, total = logic.progress(state.answers)
    # The section starts here when none of its earlier questions has an answer (they were hidden, or not yet reached).
    earlier = section.questions[:section.questions.index(question)]
    return Prompt(question=question, section=section, section_starts=not any(q.id in state.answers for q in earlier),
                  number=answered + 1, remaining=max(total - answered - 1, 0),
                  has_default=question.id in state.defaults, default=state.defaults.get(question.id), notice=notice,
                  can_go_back=bool(state.history))


class ScriptedAnswers:
    """Answers from a mapping of question id to answer; a question it does not answer is "not sure"."""

    def __init__(self, answers: dict[str, Any]):
        self.answers = answers

    def ask(self, prompt: Prompt) -> Any:
        """The scripted answer, or not sure."""
        return self.answers.get(prompt.question.id, NOT_SURE)
