"""Interview files: saving and resuming a session, locking it, and reading a case file as scripted answers.

A session file holds the answers given so far, their order, the case id, whether the
interview finished, and the versions of the rule base and questionnaire they were given
under. It holds health answers, so it is written atomically with owner-only permissions
(0600) after every change. While an interview runs, a lock file beside it
(``.NAME.lock``, fcntl) keeps a second interview off the same session.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr, ValidationError

from ..assess.assessor import Assessor
from ..cases import load_case
from ..errors import SessionError
from ..files import SyntaxProblem, TooLarge, atomic_output, decode, parse_json, parse_yaml, read_capped
from ..models import ANSWER_FIELDS, Case
from ..output_files import BadLockFile, is_current_lock, lock_file_for, open_lock_file
from ..validation import format_location, located_messages, suggest
from .questionnaire import Questionnaire, count
from .runner import InterviewState

SESSION_FORMAT = "triage-interview-session"
SESSION_MODE = 0o600  # health answers: the owner alone may read them
_SHOWN = 60  # characters of a name from a file shown in a message


class SessionFile(BaseModel):
    """The JSON of a session file (unknown keys are ignored: a later version may add some)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    format: Literal["triage-interview-session"]
    rules_version: StrictStr
    rules_hash: StrictStr
    questionnaire_version: StrictStr
    saved_at: StrictStr | None = None
    case_id: StrictStr | None = None
    finished: StrictBool = False
    answers: dict[StrictStr, Any]
    history: list[StrictStr] = []
    defaults: dict[StrictStr, Any] = {}


def new_case_id() -> str:
    """A case id for a new interview: when it started, and a random part so two never share one."""
    return f"interview-{datetime.now(UTC).strftime('%Y%m%d-%H%M')}-{secrets.token_hex(2)}"


# --- case files as scripted answers --------------------------------------------------------------

@dataclass(frozen=True)
class ScriptedCase:
    """A case file read for ``triage interview --answers``: the case, its answers to questions, and the rest."""

    case: Case
    answers: dict[str, Any]  # question id -> known answer
    carried: dict[str, Any]  # known answers to case fields no question asks (e.g. sex): they reach the engine too


def load_scripted_case(path: str | Path, questionnaire: Questionnaire) -> ScriptedCase:
    """Any case file ``triage assess`` accepts, read and validated exactly as it reads it (same messages).

    Metadata (``id``, ``expected_urgency``, ...) is not an answer: the id names the case, the
    rest is ignored, as ``triage assess`` does.
    """
    return scripted_case(load_case(path), questionnaire)


def scripted_case(case: Case, questionnaire: Questionnaire) -> ScriptedCase:
    """A case's known answers split into answers to questions and answers carried past the interview."""
    known = case.answers()
    asked = set(questionnaire.index)
    return ScriptedCase(case, {k: v for k, v in known.items() if k in asked},
                        {k: v for k, v in known.items() if k not in asked})


# --- saving and resuming -------------------------------------------------------------------------

def save_session(path: str | Path, state: InterviewState, assessor: Assessor, questionnaire: Questionnaire) -> None:
    """Write the session atomically, readable by its owner only: answers, history and their versions."""
    data = {
        "format": SESSION_FORMAT,
        "rules_version": assessor.rulebase.version,
        "rules_hash": assessor.rulebase.content_hash,
        "questionnaire_version": questionnaire.version,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "case_id": state.case_id,
        "finished": state.finished,
        "answers": state.answers,
        "history": state.history,
        "defaults": state.defaults,
    }
    with atomic_output(path, mode=SESSION_MODE) as stream:
        json.dump(data, stream, indent=2)
        stream.write("\n")


def read_session_file(path: str | Path) -> SessionFile:
    """A session file's contents, checked for shape only (not against the rules or questions).

    Raises ``SessionError`` saying, in plain words, why the file is not a saved interview.
    """
    file = Path(path)
    summary = f"{file}: cannot resume this session"
    if file.is_dir():
        raise SessionError(summary, ["this is a folder, not a session file"])
    try:
        text = decode(read_capped(file, what="session file"))
    except TooLarge as exc:
        raise SessionError(summary, [str(exc)]) from None
    except OSError as exc:
        raise SessionError(summary, [exc.strerror or str(exc)]) from None
    except SyntaxProblem as exc:
        raise SessionError(summary, [f"this is not a saved triage interview: {exc}"]) from None
    if not text.strip():
        raise SessionError(summary, ["the file is empty: it holds no saved interview"])
    try:
        data = parse_json(text)
    except SyntaxProblem as exc:
        raise SessionError(summary, [_not_json(text, str(exc))]) from None
    if not isinstance(data, dict) or data.get("format") != SESSION_FORMAT:
        raise SessionError(summary, [_not_a_session(data)])
    try:
        return SessionFile.model_validate(data)
    except ValidationError as exc:
        problems = [f"'{format_location(loc)[:_SHOWN]}': {reason}" for loc, reason in located_messages(exc)]
        raise SessionError(summary, [f"the file is damaged: {p}" for p in problems]) from None


def _looks_like_a_case(data: Any) -> bool:
    return isinstance(data, dict) and bool(data) and all(isinstance(k, str) and k in Case.model_fields for k in data)


_CASE_HINT = ("it looks like a case file: assess it with 'triage assess FILE', or run the interview on its answers "
              "with 'triage interview --answers FILE'")


def _not_a_session(data: Any) -> str:
    if _looks_like_a_case(data):
        return f"this is not a saved triage interview; {_CASE_HINT}"
    return "this is not a saved triage interview (a session file is written by triage interview)"


def _not_json(text: str, reason: str) -> str:
    try:
        if _looks_like_a_case(parse_yaml(text)):
            return f"this is not a saved triage interview; {_CASE_HINT}"
    except SyntaxProblem:
        pass
    where = reason.removeprefix("not valid JSON: ")
    if where.startswith("line "):  # "line 3, column 5: Expecting ',' delimiter": the position is what helps
        where = where.split(": ", 1)[0]
        return f"this is not a saved triage interview, or it is damaged or cut short (not valid JSON at {where})"
    return f"this is not a saved triage interview, or it is damaged (not valid JSON: {where})"


def load_session(path: str | Path, assessor: Assessor, questionnaire: Questionnaire) -> InterviewState:
    """Read a saved session; refuse one saved under another rule-base or questionnaire version, or damaged."""
    file = Path(path)
    saved = read_session_file(file)
    problems = []
    rules = (assessor.rulebase.version, assessor.rulebase.content_hash)
    if (saved.rules_version, saved.rules_hash) != rules:
        problems.append(
            f"it was saved under rule base {saved.rules_version[:_SHOWN]} ({saved.rules_hash[:12]}), "
            f"but the rules are now {rules[0]} ({rules[1][:12]}): the answers may no longer mean the same; "
            "start a new interview"
        )
    if saved.questionnaire_version != questionnaire.version:
        problems.append(f"it was saved under questionnaire {saved.questionnaire_version[:_SHOWN]}, "
                        f"but the questionnaire is now {questionnaire.version}; start a new interview")
    problems += answer_problems(saved.answers, questionnaire, "answer")
    problems += answer_problems(saved.defaults, questionnaire, "earlier answer")
    if problems:
        raise SessionError(f"{file}: cannot resume this session", problems)
    history = list(dict.fromkeys(q for q in saved.history if q in saved.answers))
    return InterviewState(answers=dict(saved.answers), history=history, defaults=dict(saved.defaults),
                          finished=saved.finished, case_id=saved.case_id or new_case_id())


def answer_problems(answers: dict[str, Any], questionnaire: Questionnaire, what: str) -> list[str]:
    """Why some answers by question id are not answers to those questions (checked by the case model)."""
    problems = [f"{what} '{key[:_SHOWN]}': not a question{suggest(key[:_SHOWN], questionnaire.index)}"
                for key in answers if key not in questionnaire.index]
    known = {k: v for k, v in answers.items() if k in questionnaire.index and k in ANSWER_FIELDS}
    try:
        Case.model_validate(known)
    except ValidationError as exc:
        problems += [f"{what} '{format_location(loc)}': {reason}" for loc, reason in located_messages(exc)]
    return problems


# --- one interview per session file --------------------------------------------------------------

def lock_path(path: str | Path) -> Path:
    """The lock file beside a session file (``.NAME.lock``, the same one ``triage.output_files`` uses)."""
    return lock_file_for(Path(path))


@contextmanager
def session_lock(path: str | Path) -> Iterator[None]:
    """Hold the session file for one interview; refuse (``SessionError``) if another holds it.

    Creating the lock file also proves, before the first question, that the session can be
    written where it was asked to be (a missing or read-only folder is reported here).
    """
    file = Path(path)
    lock = lock_path(file)
    while True:
        try:
            descriptor = open_lock_file(lock, SESSION_MODE)
        except BadLockFile as exc:
            raise SessionError(f"{file}: cannot keep the interview's answers there", [str(exc)]) from None
        except OSError as exc:
            raise SessionError(f"{file}: cannot keep the interview's answers there", [folder_problem(file, exc)]) \
                from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(descriptor)
            raise SessionError(f"{file}: another interview is using this session file", [
                "it is being answered in another terminal or process right now; finish or pause that one first, "
                "or start another with --session OTHER_FILE"]) from None
        if is_current_lock(descriptor, lock):  # its holder before us may have removed it while we opened it
            break
        os.close(descriptor)
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)
        os.close(descriptor)


def folder_problem(file: Path, exc: OSError) -> str:
    """Why a file cannot be written in its folder, in plain words."""
    folder = file.parent
    if isinstance(exc, IsADirectoryError):
        return f"{file} is a folder"
    if isinstance(exc, FileNotFoundError):
        return f"the folder {folder} does not exist"
    if isinstance(exc, NotADirectoryError):
        return f"{folder} is not a folder"
    if isinstance(exc, PermissionError):
        return f"the folder {folder} cannot be written to (permission denied)"
    return f"the folder {folder} cannot be written to ({exc.strerror or exc})"


def replacing(path: str | Path) -> str | None:
    """Whether a new interview may start in ``path``: None when no file is there, a notice when a finished
    interview is there (the new one replaces it at its first answer); ``SessionError`` otherwise, so that
    an unfinished interview, or a file that is not a session, is never overwritten."""
    file = Path(path)
    if not file.exists() and not file.is_symlink():
        return None
    try:
        saved = read_session_file(file)
    except SessionError as exc:
        raise SessionError(f"{file}: cannot start a new interview in this file", [
            *(p.replace("this is not", "it is not", 1) for p in exc.problems),
            "the file is left as it is: start the interview with --session OTHER_FILE"]) from None
    when = f", last saved {saved.saved_at.replace('T', ' ')[:19]}" if saved.saved_at else ""
    case = f"case {saved.case_id[:_SHOWN]}" if saved.case_id else "an earlier case"
    if not saved.finished:
        raise SessionError(f"{file}: a saved interview is not finished yet ({case}, "
                           f"{count(len(saved.answers), 'answer')}{when})", [
                               f"continue it with: triage interview --resume {file}",
                               "or start another with --session OTHER_FILE"])
    return (f"The interview saved in {file} had finished ({case}{when}). This new interview replaces it when you "
            "answer the first question; to keep it, press Ctrl-C now and use --session OTHER_FILE.")
