"""Interview files: saving and resuming a session, and reading scripted answers.

A session file holds the answers given so far, their order and the versions of the rule
base and questionnaire they were given under; it is written atomically after every change.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..assess.assessor import Assessor
from ..errors import SessionError
from ..files import SyntaxProblem, atomic_output, parse_by_suffix
from ..validation import suggest
from .questionnaire import Question, Questionnaire
from .runner import InterviewState

SESSION_FORMAT = "triage-interview-session"


def check_answer(question: Question, value: Any) -> str | None:
    """Why a value is not an answer to a question (None when it is, or is "not sure")."""
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
        reason = check_answer(questionnaire.question(key), value)
        if reason:
            problems.append(f"'{key}': {reason}")
    if problems:
        raise SessionError(f"{file}: {len(problems)} problem(s) in the answers", problems)
    return data


def save_session(path: str | Path, state: InterviewState, assessor: Assessor, questionnaire: Questionnaire) -> None:
    """Write the session atomically: answers, history and the versions they were given under."""
    data = {
        "format": SESSION_FORMAT,
        "rules_version": assessor.rulebase.version,
        "rules_hash": assessor.rulebase.content_hash,
        "questionnaire_version": questionnaire.version,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
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
            if key not in questionnaire.index:
                reason: str | None = "not a question"
            else:
                reason = check_answer(questionnaire.question(key), value)
            if reason:
                problems.append(f"answer '{key}': {reason}")
    if problems:
        raise SessionError(f"{file}: cannot resume this session", problems)
    if not isinstance(answers, dict):  # reported above
        raise SessionError(f"{file}: cannot resume this session", problems)
    history = [q for q in data.get("history", []) if q in answers]
    return InterviewState(answers=dict(answers), history=history, defaults=dict(data.get("defaults") or {}))
