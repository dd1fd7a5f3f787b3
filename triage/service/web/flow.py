"""One step of a browser interview, taken by the interview's own loop (``triage.interview.runner``).

The web pages decide nothing about the interview. Each request runs ``run_interview`` (the
loop the terminal and ``--answers`` run) on the interview state from the cookie, with an
answer source that gives the one reply the person posted, for the question that page
showed, and then stops the loop at the next question it would ask. So which question comes
next, what Back does, which answers a changed answer drops and when the interview stops
early (``runner.should_stop``) are the runner's decisions, made by the same code as at a
terminal. The loop's assessment runs on the engine thread: call ``advance`` through
``EngineThread.run``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from triage.assess.assessor import Assessor
from triage.interview.logic import Logic
from triage.interview.runner import BACK, InterviewResult, InterviewState, Prompt, run_interview

__all__ = ["BACK", "Finished", "Prompt", "Step", "advance"]


@dataclass(frozen=True)
class Finished:
    """The interview has ended: every question answered, or stopped early."""

    result: InterviewResult


@dataclass(frozen=True)
class Step:
    """Where the interview is after a request (the question it asks, or its end), and whether the reply was taken."""

    now: Prompt | Finished
    taken: bool


class _Waiting(Exception):
    """Raised out of the runner's loop when it asks a question this request has no reply for."""

    def __init__(self, prompt: Prompt):
        super().__init__(prompt.question.id)
        self.prompt = prompt


class _OneReply:
    """The answer source of one request: the posted reply to the question on the page, then no more."""

    def __init__(self, question_id: str | None, reply: Any):
        self._question_id = question_id
        self._reply = reply
        self.taken = False

    def ask(self, prompt: Prompt) -> Any:
        """The reply, if it was posted for this question and not yet given; else the loop stops here."""
        if not self.taken and prompt.question.id == self._question_id:
            self.taken = True
            return self._reply
        raise _Waiting(prompt)


def advance(logic: Logic, assessor: Assessor, state: InterviewState, question_id: str | None = None,
            reply: Any = None) -> Step:
    """Give ``reply`` (an answer, ``None`` for not sure, or ``BACK``) to ``question_id`` if the interview is asking
    it, and run the interview on to the next question or the end. ``state`` is updated in place.

    Without a reply (``question_id`` None) it only finds where the interview is. Runs the
    engine: call it on the engine thread.
    """
    source = _OneReply(question_id, reply)
    try:
        result = run_interview(logic, assessor, source, state)
    except _Waiting as waiting:
        return Step(waiting.prompt, source.taken)
    return Step(Finished(result), source.taken)
