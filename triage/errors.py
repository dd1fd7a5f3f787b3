"""The errors triage raises. The CLI turns them into messages and exit codes in one place."""

from __future__ import annotations

from typing import Any


class TriageError(Exception):
    """Base class of every error triage reports to a user."""

    exit_code = 1


class InputError(TriageError):
    """A file (case, rule or questionnaire) cannot be used; ``problems`` lists every reason, located.

    Each problem is one line that names the file, the item (case or rule id) and the field.
    """

    def __init__(self, summary: str, problems: list[str]):
        self.summary = summary
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self) -> str:
        """The summary followed by one indented line per problem."""
        return "\n".join([self.summary, *(f"  - {p}" for p in self.problems)])

    def __reduce__(self) -> tuple[Any, ...]:  # raised in a worker process, raised again in the main one
        return type(self), (self.summary, self.problems)


class CaseError(InputError):
    """A case file is malformed or holds answers outside the case format.

    ``case_id`` is the case's id when it could be read (its ``id`` field, else the default
    from its file name or line), so that batch output can name the case.
    """

    def __init__(self, summary: str, problems: list[str], case_id: str | None = None):
        self.case_id = case_id
        super().__init__(summary, problems)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.summary, self.problems, self.case_id)


class RuleBaseError(InputError):
    """The rule files are invalid or inconsistent with each other or with the case format."""


class QuestionnaireError(InputError):
    """A questionnaire file is invalid or inconsistent with the case format or the rules."""


class SessionError(InputError):
    """A saved interview or an answers file cannot be used (unreadable, wrong version, bad answers)."""


class EngineError(TriageError):
    """The rule engine failed while assessing a case (a bug, never the user's input)."""

    exit_code = 3


class OutputError(TriageError):
    """An output file cannot be written: its folder is missing or read-only, it is a folder, or it is in use.

    ``reason`` is why, without the file's name (for a caller that words its own message).
    """

    def __init__(self, message: str, reason: str = ""):
        self.reason = reason or message
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (str(self), self.reason)


class FileInUse(OutputError):
    """Another triage process is writing the same file (it holds the file's lock)."""


class MissingExtra(TriageError):
    """An optional part of triage is needed but not installed (the message gives the install command)."""


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by a signal (SIGTERM, SIGHUP, SIGQUIT): cleaned up like Ctrl-C, reported with
    exit 128 + the signal's number (143, 129, 131)."""

    exit_code = 143

    def __init__(self, signum: int = 15, name: str = "SIGTERM"):
        super().__init__(name)
        self.signum, self.name = signum, name
        self.exit_code = 128 + signum
