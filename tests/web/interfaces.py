"""The other two ways to answer the interview, for comparison with the browser: a terminal and ``--answers``.

``terminal_interview`` runs ``triage interview`` in a real pseudo-terminal (pexpect, read
through a terminal emulator) and answers each question as a person would, only once it is
on the screen; it ends when the command ends.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..conftest import ROOT
from ..test_interview_pty import Person, answer


def scripted(folder: Path, script: dict[str, Any]) -> dict[str, Any]:
    """``triage interview --answers FILE --format json``: the assessment JSON with questions_asked."""
    answers = folder / "answers.json"
    answers.write_text(json.dumps(script))
    done = subprocess.run([sys.executable, "-m", "triage", "interview", "--answers", str(answers), "--format", "json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def terminal_interview(folder: Path, script: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Answer ``triage interview --format json`` in a pseudo-terminal; the questions asked and the JSON printed.

    The person of the terminal tests (``tests/test_interview_pty.py``) waits to see each
    question on the screen, then types its answer with the keys a person uses.
    """
    person = Person(folder, "--session", "s.json", "--format", "json")
    asked = answer(person, script, {})
    status = person.finish()
    transcript = person.transcript
    assert status == 0, transcript[-2000:]
    start = transcript.rfind('{\r\n  "case_id"')
    assert start >= 0, transcript[-2000:]
    return asked, json.loads(transcript[start:])
