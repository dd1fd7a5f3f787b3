"""The other two ways to answer the interview, for comparison with the browser: a terminal and ``--answers``.

``terminal_interview`` runs ``triage interview`` in a real pseudo-terminal (pexpect) and
answers each question as a person would, only once it is on the screen; the questions it
waits for are the ones the interview shows, and it ends when the command ends.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pexpect

from triage.interview.logic import Logic
from triage.interview.questionnaire import Question, load_questionnaire

from ..conftest import ROOT

QUESTIONNAIRE = load_questionnaire()
LOGIC = Logic(QUESTIONNAIRE)
DOWN, ENTER = "\x1b[B", "\r"


def scripted(folder: Path, script: dict[str, Any]) -> dict[str, Any]:
    """``triage interview --answers FILE --format json``: the assessment JSON with questions_asked."""
    answers = folder / "answers.json"
    answers.write_text(json.dumps(script))
    done = subprocess.run([sys.executable, "-m", "triage", "interview", "--answers", str(answers), "--format", "json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _keys(question: Question, value: Any) -> str:
    """The keys that give ``value`` at the terminal: arrow keys to the option (Not sure after the answers)."""
    if question.type == "number":
        return ("" if value is None else str(value)) + ENTER
    options: list[Any] = [True, False] if question.type == "yes_no" else [o.value for o in question.choices]
    return DOWN * (len(options) if value is None else options.index(value)) + ENTER


def terminal_interview(folder: Path, script: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Answer ``triage interview --format json`` in a pseudo-terminal; the questions asked and the JSON printed."""
    child = pexpect.spawn(sys.executable, ["-m", "triage", "interview", "--session", str(folder / "s.json"),
                                           "--format", "json"],
                          cwd=str(ROOT), env={"TERM": "xterm", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
                                              "PROMPT_TOOLKIT_NO_CPR": "1"},
                          dimensions=(50, 400), encoding="utf-8", timeout=30)
    child.logfile_read = screen = io.StringIO()
    given: dict[str, Any] = {}
    asked = []
    try:
        while (question := LOGIC.next_question(given)) is not None:
            if child.expect([re.escape(question.text[:40]), pexpect.EOF]) == 1:
                break  # the interview stopped asking: the command has ended
            child.expect("Enter|go back")  # the prompt is drawn
            child.send(_keys(question, script.get(question.id)))
            given[question.id] = script.get(question.id)
            asked.append(question.id)
        else:
            child.expect(pexpect.EOF)
    finally:
        child.close()
    transcript = screen.getvalue()
    assert child.exitstatus == 0, transcript[-2000:]
    start = transcript.rfind('{\r\n  "case_id"')
    assert start >= 0, transcript[-2000:]
    return asked, json.loads(transcript[start:])
