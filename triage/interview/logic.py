"""The pure logic of an interview: which questions are shown, which comes next, progress and Back.

Answers are kept by question id, ``None`` for "not sure"; a question not reached is absent.
``show_if`` is a condition in the rule language over earlier answers; a question whose
condition could still be true is shown (an earlier "not sure" never hides a question). A
hidden question's answer is unknown, unless the questionnaire declares the answer its
hiding implies (``hidden_answer``) and the answers that hide it have been given (a question
not yet reached hides nothing). Nothing here does I/O.
"""

from __future__ import annotations

import itertools
from typing import Any

from ..language.conditions import fields_read
from ..language.evaluation import Compiled, compile_condition
from .questionnaire import Question, Questionnaire, probe_values


class Logic:
    """A questionnaire with its skip conditions compiled, and the pure interview functions over it."""

    def __init__(self, questionnaire: Questionnaire):
        self.questionnaire = questionnaire
        shown_if = {q.id: q.show_if for q in questionnaire.questions if q.show_if is not None}
        self._conditions: dict[str, Compiled] = {qid: compile_condition(c) for qid, c in shown_if.items()}
        self._gates = {qid: fields_read(c) for qid, c in shown_if.items()}
        self._probes = {qid: {f: probe_values(c, f) for f in self._gates[qid]} for qid, c in shown_if.items()}
        self._last: tuple[list[tuple[str, type, Any]], dict[str, Any], set[str]] | None = None

    def is_shown(self, question: Question, answers: dict[str, Any]) -> bool:
        """Whether a question is shown given the answers to earlier questions.

        ``answers`` maps question ids to values, ``None`` for "not sure"; a question that
        was not reached is absent. When an earlier answer is "not sure", the question is
        shown if any answer to it could show it.
        """
        condition = self._conditions.get(question.id)
        if condition is None:
            return True
        gates = self._gates[question.id]
        known = {f: answers[f] for f in gates if answers.get(f) is not None}
        unsure = [f for f in gates if f in answers and answers[f] is None]
        probes = self._probes[question.id]
        for values in itertools.product(*(probes[f] for f in unsure)):
            if condition.holds({**known, **dict(zip(unsure, values, strict=True))}, frozenset()):
                return True
        return False

    def _walk(self, given: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        # The interview asks for the same walk several times per answer: keep the last one
        # (compared with types, since True == 1; read once, so a concurrent walk cannot mix them).
        key = [(k, type(v), v) for k, v in given.items()]
        last = self._last
        if last is not None and last[0] == key:
            return dict(last[1]), set(last[2])
        effective: dict[str, Any] = {}
        shown: set[str] = set()
        for question in self.questionnaire.questions:
            if self.is_shown(question, effective):
                shown.add(question.id)
                if question.id in given:
                    effective[question.id] = given[question.id]
            elif question.hidden_answer is not None and all(gate in effective for gate in self._gates[question.id]):
                # Hidden by answers given: their declared answer holds. Hidden only because a question it
                # depends on is not reached yet (an interview that stopped early), it is not answered.
                effective[question.id] = question.hidden_answer
        self._last = (key, dict(effective), set(shown))
        return effective, shown

    def shown(self, given: dict[str, Any]) -> set[str]:
        """The ids of the questions shown given these answers, walking the questions in order."""
        return self._walk(given)[1]

    def probes(self, question_id: str, gate: str) -> list[Any]:
        """The answers tried for ``gate`` answered "not sure" when deciding whether ``question_id`` is shown."""
        return list(self._probes[question_id][gate])

    def shown_answers(self, given: dict[str, Any]) -> dict[str, Any]:
        """The answers in force, walking the questions in order: given answers of shown questions, and the
        declared answers of hidden ones. Answers given to questions that are now hidden are dropped."""
        return self._walk(given)[0]

    def case_answers(self, given: dict[str, Any]) -> dict[str, Any]:
        """What reaches the engine: the answers in force, without "not sure" (unknown)."""
        return {k: v for k, v in self.shown_answers(given).items() if v is not None}

    def next_question(self, given: dict[str, Any]) -> Question | None:
        """The first shown question without an answer (a "not sure" is an answer), or None when done."""
        shown = self._walk(given)[1]
        return next((q for q in self.questionnaire.questions if q.id in shown and q.id not in given), None)

    def progress(self, given: dict[str, Any]) -> tuple[int, int]:
        """(questions answered, questions that will be asked in all as things stand)."""
        shown = self._walk(given)[1]
        return sum(1 for q in shown if q in given), len(shown)

    def back(self, given: dict[str, Any], history: list[str]) -> tuple[dict[str, Any], list[str], str | None]:
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
