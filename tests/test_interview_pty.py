"""The interview as a person meets it: triage interview in a real pseudo-terminal, the screen read by an emulator.

pexpect runs the command in a pseudo-terminal of a given size; pyte plays the bytes it
writes onto a screen of that size, so the tests read what a person would see: where the
pointer is, what wrapped where, what was said.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pexpect
import pyte
import pytest

from triage.interview.logic import Logic
from triage.interview.questionnaire import load_questionnaire
from triage.interview.sessions import session_lock

from .conftest import ROOT
from .test_interview import all_no_script

QUESTIONNAIRE = load_questionnaire()
LOGIC = Logic(QUESTIONNAIRE)
ENTER = "\r"


def flat(text: str) -> str:
    """Text with line breaks and runs of spaces as single spaces."""
    return " ".join(text.split())


class Person:
    """Someone at a terminal of ``columns`` x ``rows`` running ``triage interview ARGS`` in ``folder``."""

    def __init__(self, folder: Path, *args: str, columns: int = 100, rows: int = 600):
        self.columns = columns
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.Stream(self.screen)
        self.transcript = ""
        self.ended = False
        env = {"TERM": "xterm", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(folder),
               "PROMPT_TOOLKIT_NO_CPR": "1"}  # pexpect answers no cursor-position requests
        # SIGHUP at its default in the child, as a terminal's program has it, even when this run ignores it (nohup)
        self.child = pexpect.spawn(sys.executable, ["-m", "triage", "interview", *args], cwd=str(folder), env=env,
                                   dimensions=(rows, columns), encoding="utf-8", timeout=30,
                                   preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))

    def _read(self, timeout: float) -> None:
        try:
            data = self.child.read_nonblocking(1 << 16, timeout)
        except pexpect.TIMEOUT:
            return
        except pexpect.EOF:
            self.ended = True
            return
        self.transcript += data
        self.stream.feed(data)

    def lines(self) -> list[str]:
        """The screen's lines, trailing blanks removed."""
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        """Everything on the screen as one line of words."""
        return flat(" ".join(self.lines()))

    def wait_for(self, words: str, timeout: float = 30) -> None:
        """Wait until ``words`` are on the screen (wrapped anyhow); fail, showing the screen, if they never come."""
        deadline = time.monotonic() + timeout
        while flat(words) not in self.text():
            if self.ended or time.monotonic() > deadline:
                screen = "\n".join(line for line in self.lines() if line)
                raise AssertionError(f"never shown: {words!r}\n--- the screen ---\n{screen}")
            self._read(0.1)
        self._read(0.05)  # the rest of this drawing

    def press(self, keys: str) -> None:
        """Type ``keys``."""
        self.child.send(keys)

    def finish(self, timeout: float = 60) -> int:
        """Wait for the command to end; its exit status (fail, showing the screen, if it has not ended in time)."""
        deadline = time.monotonic() + timeout
        while not self.ended:
            if time.monotonic() > deadline:
                self.child.kill(signal.SIGKILL)
                screen = "\n".join(line for line in self.lines() if line)
                raise AssertionError(f"still running after {timeout} s\n--- the screen ---\n{screen}")
            self._read(1)
        self.child.close()
        status = self.child.exitstatus
        return status if status is not None else -(self.child.signalstatus or 0)

    def no_line_reaches_the_edge(self) -> None:
        """Nothing was wrapped by the terminal (which cuts words): every line ends before the last column."""
        for number, line in enumerate(self.screen.display):
            assert line[-1] == " ", f"line {number} reaches the edge of {self.columns} columns: {line!r}"


def keys_for(question_id: str, value: Any) -> str:
    """The keys a person types to give ``value`` to a question."""
    question = QUESTIONNAIRE.question(question_id)
    if question.type == "number":
        return ("?" if value is None else str(value)) + ENTER
    if value is None:
        return "?" + ENTER
    if question.type == "yes_no":
        return ("y" if value else "n") + ENTER
    return str([o.value for o in question.choices].index(value) + 1) + ENTER


def answer(person: Person, script: dict[str, Any], given: dict[str, Any], until: str | None = None,
           check_edges: bool = False) -> list[str]:
    """Answer each question the interview asks from ``script`` (waiting to see it), up to ``until`` or the end.

    Returns the ids of the questions asked, in order; stops when the interview stops asking.
    """
    asked = []
    while (question := LOGIC.next_question(given)) is not None and question.id != until:
        try:
            person.wait_for(question.text)
        except AssertionError:
            if person.ended:
                break  # the interview stopped asking
            raise
        if check_edges:
            person.no_line_reaches_the_edge()
        person.press(keys_for(question.id, script.get(question.id)))
        given[question.id] = script.get(question.id)
        asked.append(question.id)
    return asked


def test_in_a_terminal_a_settled_emergency_shows_the_emergency_first(tmp_path: Path) -> None:
    """'Cannot pass urine' ends the interview with the emergency first, the case id and no further question."""
    person = Person(tmp_path, "--session", "s.json")
    person.wait_for("Case interview-")
    asked = answer(person, all_no_script(urinary_retention=True), {})
    assert asked[-1] == "urinary_retention"
    assert person.finish() == 0
    text = person.text()
    assert "EMERGENCY: PLEASE ACT NOW" in text and text.index("EMERGENCY: PLEASE ACT NOW") < text.index("Why")
    assert "Asked 10 questions (stopped early: the answers already make this an emergency)." in text
    assert flat(QUESTIONNAIRE.question("urinary_incontinence").text) not in text  # the next question: never asked
    case_id = re.search(r"Case (interview-\S+)", text)
    assert case_id is not None and f"Triage assessment of {case_id.group(1)}" in text


def test_in_a_terminal_all_no_ends_in_self_care_and_the_session_is_private(tmp_path: Path) -> None:
    """A person answering 'no' to every warning sign ends at self-care; the session is finished and 0600."""
    person = Person(tmp_path, "--session", "s.json")
    person.wait_for("That file holds your health answers. Only you can read it")
    person.wait_for("Your pain First, some questions about where your pain is and how it has been.")
    answer(person, all_no_script(), {})
    assert person.finish() == 0
    assert "SELF-CARE" in person.text() and "Asked 36 questions." in person.text()
    saved = json.loads((tmp_path / "s.json").read_text())
    assert saved["answers"]["saddle_numbness"] is False and saved["finished"] is True
    assert (tmp_path / "s.json").stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / ".s.json.lock").exists()
    assert "Signs that need help straight away These questions are about rare but serious problems." in person.text()


def test_in_a_terminal_back_after_not_sure_shows_not_sure(tmp_path: Path) -> None:
    """'Not sure', then Back: the pointer is on 'Not sure' (yes/no) and '?' is typed in (number); Enter keeps it."""
    person = Person(tmp_path, "--session", "s.json")
    given: dict[str, Any] = {}
    answer(person, {**all_no_script(), "pain_score": None, "saddle_numbness": None}, given, until="bladder_change")
    person.wait_for(QUESTIONNAIRE.question("bladder_change").text)
    person.press("b" + ENTER)
    person.wait_for("Back to the previous question")
    person.wait_for("Press y for yes")
    pointed = [line for line in person.lines() if "▸" in line]
    assert pointed[-1].strip() == "▸ ?  Not sure", person.lines()[-12:]
    person.press(ENTER)  # keep it
    person.wait_for("Question 9:")
    assert json.loads((tmp_path / "s.json").read_text())["answers"]["saddle_numbness"] is None
    for _ in range(5):  # back to the pain score, answered 'not sure'
        person.press("b" + ENTER)
        time.sleep(0.3)
    person.wait_for(QUESTIONNAIRE.question("pain_score").text[-40:])
    person.wait_for("Your answer: ?")
    person.press("\x03")
    assert person.finish() == 130


def test_in_a_terminal_a_bare_enter_records_nothing(tmp_path: Path) -> None:
    """Enter on a new question (the first, and a red flag) records nothing and says that no answer is chosen."""
    person = Person(tmp_path, "--session", "s.json")
    person.wait_for("Where is your main pain?")
    person.press(ENTER)
    person.wait_for("No answer is chosen yet.")
    assert not (tmp_path / "s.json").exists()
    given: dict[str, Any] = {}
    answer(person, all_no_script(), given, until="saddle_numbness")
    person.wait_for(QUESTIONNAIRE.question("saddle_numbness").text)
    person.press(ENTER)
    person.wait_for("No answer is chosen yet.")
    time.sleep(0.3)
    assert "saddle_numbness" not in json.loads((tmp_path / "s.json").read_text())["answers"]
    assert [line for line in person.lines()[-12:] if "▸" in line] == []  # the pointer is on no answer
    person.press("\x03")
    assert person.finish() == 130
    assert "Paused. Your answers are saved in s.json." in person.text()


def test_in_a_terminal_back_on_the_first_question_says_there_is_nothing_before_it(tmp_path: Path) -> None:
    """Back on question 1 says there is no question before it, and the question stays."""
    person = Person(tmp_path, "--session", "s.json")
    person.wait_for("Where is your main pain?")
    person.press("b" + ENTER)
    person.wait_for("There is no question before this one.")
    person.press("1" + ENTER)
    person.wait_for("How old are you")
    person.press("\x03")
    assert person.finish() == 130


@pytest.mark.parametrize("columns", [60, 120])
def test_in_a_terminal_text_wraps_between_words(tmp_path: Path, columns: int) -> None:
    """At 60 and 120 columns every question, hint, banner and result line ends before the edge: no word is cut."""
    person = Person(tmp_path, "--session", "s.json", columns=columns)
    person.wait_for("Where is your main pain?")
    person.press("x")  # the longest hint: a key that is no answer
    person.wait_for("That key is not an answer.")
    person.no_line_reaches_the_edge()
    answer(person, all_no_script(urinary_retention=True), {}, check_edges=True)
    assert person.finish() == 0
    assert "EMERGENCY: PLEASE ACT NOW" in person.text()
    person.no_line_reaches_the_edge()
    width = min(columns - 1, 88)
    assert max(len(line) for line in person.lines()) <= width
    assert "=" * width in person.lines()  # the banner's rule is as wide as the text


def test_in_a_terminal_ctrl_c_at_question_one_says_nothing_was_saved(tmp_path: Path) -> None:
    """Ctrl-C before any answer: exit 130, 'nothing was saved' (true: no file), no traceback."""
    person = Person(tmp_path, "--session", "s.json")
    person.wait_for("Where is your main pain?")
    person.press("\x03")
    assert person.finish() == 130
    assert "Stopped before any answer was given: nothing was saved." in person.text()
    assert "Paused" not in person.text() and "Traceback" not in person.transcript
    assert sorted(os.listdir(tmp_path)) == []


def test_in_a_terminal_a_session_in_a_missing_folder_fails_before_the_first_question(tmp_path: Path) -> None:
    """--session /missing/dir/s.json: exit 1 naming the folder, before any question is asked."""
    person = Person(tmp_path, "--session", str(tmp_path / "missing" / "s.json"))
    assert person.finish() == 1
    assert f"the folder {tmp_path / 'missing'} does not exist" in person.text()
    assert "Where is your main pain?" not in person.text() and "internal error" not in person.text()


def test_in_a_terminal_a_finished_session_is_replaced_and_an_unfinished_one_refused(tmp_path: Path) -> None:
    """After a finished interview the next one starts, saying the old one will be replaced; a paused one blocks."""
    first = Person(tmp_path)
    answer(first, all_no_script(urinary_retention=True), {})
    assert first.finish() == 0
    old = (tmp_path / "triage-session.json").read_text()
    second = Person(tmp_path)
    second.wait_for("The interview saved in triage-session.json had finished")
    second.wait_for("replaces it when you answer the first question; to keep it, press Ctrl-C now")
    second.wait_for("Where is your main pain?")
    second.press("\x03")
    assert second.finish() == 130
    assert "nothing was saved, and the finished interview in triage-session.json is kept as it was." in second.text()
    assert (tmp_path / "triage-session.json").read_text() == old  # nothing answered: the old one is untouched
    third = Person(tmp_path)
    answer(third, all_no_script(), {}, until="age")
    third.wait_for("How old are you")
    third.press("\x03")
    assert third.finish() == 130
    fourth = Person(tmp_path)
    assert fourth.finish() == 1
    assert "a saved interview is not finished yet" in fourth.text()
    assert "continue it with: triage interview --resume triage-session.json" in fourth.text()


def test_in_a_terminal_a_second_interview_on_one_session_is_refused(tmp_path: Path) -> None:
    """While a session file is in use, a second interview on it refuses at once and says so."""
    with session_lock(tmp_path / "s.json"):
        person = Person(tmp_path, "--session", "s.json")
        assert person.finish() == 1
    assert "another interview is using this session file" in person.text()


def test_in_a_terminal_resume_of_a_damaged_session_is_a_clear_error(tmp_path: Path) -> None:
    """--resume on a truncated session file: exit 1, the file and the reason named, no parser internals."""
    (tmp_path / "s.json").write_text('{"format": "triage-interview-session", "answers": {"regi')
    person = Person(tmp_path, "--resume", "s.json")
    assert person.finish() == 1
    assert "s.json: cannot resume this session" in person.text() and "cut short" in person.text()
    assert "Expecting" not in person.text() and "internal error" not in person.text()


def test_in_a_terminal_a_closed_terminal_loses_no_answer(tmp_path: Path) -> None:
    """A closed terminal (SIGHUP) mid-interview loses no answer: the session resumes at the next question."""
    person = Person(tmp_path, "--session", "s.json")
    answer(person, all_no_script(), {}, until="pain_score")
    person.wait_for("How bad has the pain been")
    person.child.kill(signal.SIGHUP)
    person.finish()
    resumed = Person(tmp_path, "--resume", "s.json")
    resumed.wait_for("How bad has the pain been")
    resumed.press("\x03")
    assert resumed.finish() == 130


# --- the cauda equina follow-ups (issue 10, defect 1: the lead's change to the early stop) -------

U5 = {**all_no_script(), "region": "lumbar", "age": 30, "duration_days": 60, "saddle_numbness": True,
      "ces_symptoms_days": 60, "ces_symptoms_worsening": False}


def test_in_a_terminal_stable_long_standing_saddle_numbness_is_urgent_after_both_follow_ups(tmp_path: Path) -> None:
    """Low back, 30, 60 days; saddle numbness for 60 days, not getting worse: both follow-ups asked, then URGENT (U5)."""
    person = Person(tmp_path, "--session", "s.json")
    asked = answer(person, U5, {})
    assert "ces_symptoms_days" in asked and "ces_symptoms_worsening" in asked
    assert person.finish() == 0
    assert "URGENT" in person.text() and "EMERGENCY" not in person.text()


def test_in_a_terminal_saddle_numbness_getting_worse_is_an_emergency_without_more_questions(tmp_path: Path) -> None:
    """Saddle numbness for 60 days that is getting worse: an emergency as soon as that is said, nothing more asked."""
    person = Person(tmp_path, "--session", "s.json")
    asked = answer(person, {**U5, "ces_symptoms_worsening": True}, {})
    assert asked[-2:] == ["ces_symptoms_days", "ces_symptoms_worsening"]
    assert person.finish() == 0
    assert "EMERGENCY: PLEASE ACT NOW" in person.text()
    assert QUESTIONNAIRE.question("weakness").text not in person.text()
