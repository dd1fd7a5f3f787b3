"""The guided interview: questions one at a time, the level after each answer, early stop, Back, save and resume.

The loop (``run_interview``) is the same for a person at a terminal (``TerminalPrompter``,
questionary) and for a script (``ScriptedAnswers``). After every answer the engine
assesses the answers in force; the moment the level is an emergency the interview stops
asking. Every change is written to the session file atomically, so closing the terminal
loses nothing and ``--resume`` continues where it stopped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional, Protocol

from .assessment import Assessor
from .errors import InputError
from .models import Assessment
from .outputs import atomic_output
from .questionnaire import Logic, Question, Questionnaire
from .validation import SyntaxProblem, parse_by_suffix, suggest

SESSION_FORMAT = "triage-interview-session"
BACK = "__back__"  # a reply meaning "go back to the previous question"
NOT_SURE = None  # "not sure" is recorded as unknown, never as no


class SessionError(InputError):
    """A session or answers file cannot be used (unreadable, wrong version, bad answers)."""


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


def run_interview(logic: Logic, assessor: Assessor, source: AnswerSource, state: Optional[InterviewState] = None,
                  save: Callable[[InterviewState], None] = lambda state: None,
                  case_id: Optional[str] = None) -> InterviewResult:
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


# --- scripted answers ---------------------------------------------------------------------

class ScriptedAnswers:
    """Answers from a mapping of question id to answer; a question it does not answer is "not sure"."""

    def __init__(self, answers: dict[str, Any]):
        self.answers = answers

    def ask(self, question: Question, section_title: str, progress: tuple[int, int], default: Any) -> Any:
        """The scripted answer, or not sure."""
        return self.answers.get(question.id, NOT_SURE)


def _check_answer(question: Question, value: Any) -> Optional[str]:
    if value is None:
        return None
    if question.type == "yes_no" and not isinstance(value, bool):
        return "expected true, false or null (not sure)"
    if question.type == "choice" and value not in [o.value for o in question.choices]:
        return f"expected one of {', '.join(o.value for o in question.choices)} or null (not sure)"
    if question.type == "number":
        if isinstance(value, bool) or not isinstance(value, int):
            return "expected a whole number or null (not sure)"
        if not question.minimum <= value <= question.maximum:  # type: ignore[operator]
            return f"{value} is out of range: must be between {question.minimum} and {question.maximum}"
    return None


def load_scripted_answers(path: str | Path, questionnaire: Questionnaire) -> dict[str, Any]:
    """A JSON or YAML mapping of question id to answer, checked against the questions; every problem reported."""
    file = Path(path)
    try:
        data = parse_by_suffix(file.read_text(encoding="utf-8"), file.suffix)
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionError(f"{file}: cannot read the answers", [str(exc)]) from None
    except SyntaxProblem as exc:
        raise SessionError(f"{file}: cannot read the answers", [str(exc)]) from None
    if not isinstance(data, dict):
        raise SessionError(f"{file}: cannot read the answers", ["expected a mapping of question ids to answers"])
    problems = []
    for key, value in data.items():
        if key not in questionnaire.index:
            problems.append(f"'{key}': not a question{suggest(str(key), questionnaire.index)}")
            continue
        reason = _check_answer(questionnaire.question(key), value)
        if reason:
            problems.append(f"'{key}': {reason}")
    if problems:
        raise SessionError(f"{file}: {len(problems)} problem(s) in the answers", problems)
    return data


# --- session files ------------------------------------------------------------------------

def save_session(path: str | Path, state: InterviewState, assessor: Assessor, questionnaire: Questionnaire) -> None:
    """Write the session atomically: answers, history and the versions they were given under."""
    data = {
        "format": SESSION_FORMAT,
        "rules_version": assessor.rulebase.version,
        "rules_hash": assessor.rulebase.content_hash,
        "questionnaire_version": questionnaire.version,
        "saved_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "answers": state.answers,
        "history": state.history,
        "defaults": state.defaults,
    }
    with atomic_output(path) as stream:
        json.dump(data, stream, indent=2)
        stream.write("\n")


def load_session(path: str | Path, assessor: Assessor, questionnaire: Questionnaire) -> InterviewState:
    """Read a saved session; refuse one saved under another rule-base or questionnaire version."""
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SessionError(f"{file}: cannot resume this session", [str(exc)]) from None
    if not isinstance(data, dict) or data.get("format") != SESSION_FORMAT:
        raise SessionError(f"{file}: cannot resume this session", ["this is not a saved triage interview"])
    problems = []
    rules = (assessor.rulebase.version, assessor.rulebase.content_hash)
    if (data.get("rules_version"), data.get("rules_hash")) != rules:
        problems.append(
            f"it was saved under rule base {data.get('rules_version')} ({str(data.get('rules_hash'))[:12]}), "
            f"but the rules are now {rules[0]} ({rules[1][:12]}): the answers may no longer mean the same; "
            "start a new interview"
        )
    if data.get("questionnaire_version") != questionnaire.version:
        problems.append(f"it was saved under questionnaire {data.get('questionnaire_version')}, "
                        f"but the questionnaire is now {questionnaire.version}; start a new interview")
    answers = data.get("answers")
    if not isinstance(answers, dict):
        problems.append("it holds no answers")
    else:
        for key, value in answers.items():
            reason = "not a question" if key not in questionnaire.index else _check_answer(questionnaire.question(key), value)
            if reason:
                problems.append(f"answer '{key}': {reason}")
    if problems:
        raise SessionError(f"{file}: cannot resume this session", problems)
    history = [q for q in data.get("history", []) if q in answers]
    return InterviewState(answers=dict(answers), history=history, defaults=dict(data.get("defaults") or {}))


# --- the terminal -------------------------------------------------------------------------

class TerminalPrompter:
    """Asks each question with questionary; ``input``/``output`` let tests drive it through a pipe."""

    NOT_SURE_TITLE = "Not sure"
    BACK_TITLE = "<- Back to the previous question"

    def __init__(self, input: Any = None, output: Any = None):  # noqa: A002 - prompt_toolkit's names
        self._io = {k: v for k, v in (("input", input), ("output", output)) if v is not None}

    def ask(self, question: Question, section_title: str, progress: tuple[int, int], default: Any) -> Any:
        """Ask one question; Ctrl-C raises KeyboardInterrupt (never taken as an answer)."""
        import questionary

        answered, total = progress
        header = f"[{answered + 1}/{total}] {section_title}"
        message = f"{header}\n  {question.text}"
        if question.help:
            message += f"\n  ({question.help})"
        if question.type == "number":
            return self._ask_number(questionary, question, message, default)
        if question.type == "yes_no":
            options = [("Yes", True), ("No", False)]
        else:
            options = [(o.label, o.value) for o in question.choices]
        choices = [questionary.Choice(title, value=value) for title, value in options]
        choices.append(questionary.Choice(self.NOT_SURE_TITLE, value="__not_sure__"))
        choices.append(questionary.Choice(self.BACK_TITLE, value=BACK))
        selected = next((c for c in choices if c.value == default), None) if default is not None else None
        reply = questionary.select(message, choices=choices, default=selected, qmark="?",
                                   instruction="(use the arrow keys, then Enter)", **self._io).unsafe_ask()
        return NOT_SURE if reply == "__not_sure__" else reply

    def _ask_number(self, questionary: Any, question: Question, message: str, default: Any) -> Any:
        low, high = question.minimum, question.maximum

        def valid(text: str) -> Any:
            text = text.strip().lower()
            if text in ("", "?", "b", "back"):
                return True
            if not text.isdigit():
                return f"Please type a whole number from {low} to {high}, or leave it empty if you are not sure"
            return True if low <= int(text) <= high else f"Please type a number from {low} to {high}"  # type: ignore[operator]

        instruction = f"(a number from {low} to {high}; leave empty if you are not sure; type b to go back)"
        text = questionary.text(message, default="" if default is None else str(default), validate=valid,
                                instruction=instruction, qmark="?", **self._io).unsafe_ask()
        text = text.strip().lower()
        if text in ("b", "back"):
            return BACK
        return NOT_SURE if text in ("", "?") else int(text)
