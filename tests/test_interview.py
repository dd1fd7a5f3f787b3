"""The interview: questionary prompts, early stop, Back, save and resume, scripted mode, a real terminal."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from triage.assess.assessor import Assessor
from triage.cli import cli
from triage.errors import SessionError
from triage.interview.logic import Logic
from triage.interview.questionnaire import Question, load_questionnaire
from triage.interview.runner import BACK, InterviewState, ScriptedAnswers, run_interview
from triage.interview.sessions import load_session, save_session
from triage.interview.terminal import TerminalPrompter

from .conftest import ROOT

QUESTIONNAIRE = load_questionnaire()
LOGIC = Logic(QUESTIONNAIRE)
DOWN, ENTER, CTRL_C = "\x1b[B", "\r", "\x03"
NUMBERS = {"age": 40, "duration_days": 3, "pain_score": 4, "conservative_care_weeks": 0, "ces_symptoms_days": 2}


def all_no_script(**changes: Any) -> dict[str, Any]:
    """Scripted answers: every yes/no question no, first choices, ordinary numbers; then ``changes``."""
    script: dict[str, Any] = {}
    for question in QUESTIONNAIRE.questions:
        if question.type == "yes_no":
            script[question.id] = False
        elif question.type == "choice":
            script[question.id] = question.choices[0].value
        else:
            script[question.id] = NUMBERS[question.id]
    script.update(changes)
    return script


def ask(question_id: str, keys: str, default: Any = None) -> Any:
    """Ask one question through a pipe, typing ``keys``."""
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        prompter = TerminalPrompter(input=pipe, output=DummyOutput())
        return prompter.ask(QUESTIONNAIRE.question(question_id), "Section", (0, 10), default)


@pytest.mark.parametrize(("question_id", "keys", "expected"), [
    ("saddle_numbness", ENTER, True),
    ("saddle_numbness", DOWN + ENTER, False),
    ("saddle_numbness", DOWN * 2 + ENTER, None),
    ("saddle_numbness", DOWN * 3 + ENTER, BACK),
    ("leg_pain", DOWN * 2 + ENTER, "both_legs"),
    ("leg_pain", DOWN * 3 + ENTER, None),
    ("age", "52" + ENTER, 52),
    ("age", ENTER, None),
    ("age", "b" + ENTER, BACK),
    ("age", "130" + ENTER + "\x7f" * 3 + "70" + ENTER, 70),
])
def test_every_question_type_through_the_terminal_layer(question_id: str, keys: str, expected: Any) -> None:
    """Yes/no, choice and number questions; 'Not sure' is unknown, never no; Back; invalid numbers are re-asked."""
    assert ask(question_id, keys) == expected


def test_back_preselects_the_earlier_answer() -> None:
    """Going back to a question shows the earlier answer as the default."""
    assert ask("saddle_numbness", ENTER, default=False) is False
    assert ask("age", ENTER, default=52) == 52


def test_ctrl_c_is_an_interrupt_not_an_answer() -> None:
    """Ctrl-C raises KeyboardInterrupt, so it can never be mistaken for an answer."""
    with pytest.raises(KeyboardInterrupt):
        ask("saddle_numbness", CTRL_C)
    with pytest.raises(KeyboardInterrupt):
        ask("age", CTRL_C)


def test_an_emergency_answer_stops_the_interview(assessor: Assessor) -> None:
    """A 'yes' to saddle numbness ends the interview at once, before the remaining questions."""
    result = run_interview(LOGIC, assessor, ScriptedAnswers(all_no_script(saddle_numbness=True)))
    assert (result.assessment.urgency, result.stopped_early, result.questions_asked) == ("emergency", True, 8)


def test_all_no_ends_in_self_care_and_saves_after_every_answer(assessor: Assessor) -> None:
    """The full 'no' path is self-care and complete; the session is saved after each answer."""
    saved: list[int] = []
    result = run_interview(LOGIC, assessor, ScriptedAnswers(all_no_script()),
                           save=lambda state: saved.append(len(state.answers)))
    assert (result.assessment.urgency, result.assessment.complete, result.stopped_early) == ("self_care", True, False)
    assert saved == list(range(1, result.questions_asked + 1))


class Replies:
    """Answers given in sequence, like a person pressing keys (BACK included)."""

    def __init__(self, replies: list[Any]):
        self.replies = iter(replies)
        self.asked: list[str] = []

    def ask(self, question: Question, section_title: str, progress: tuple[int, int], default: Any) -> Any:
        self.asked.append(question.id)
        reply = next(self.replies)
        return default if reply == "default" else reply


def test_back_changes_an_answer_and_later_questions_follow(assessor: Assessor) -> None:
    """Back re-asks the previous question with its answer as default; a changed answer changes what follows."""
    replies = Replies(["lumbar", 40, BACK, BACK, "cervical", "default"])
    state = InterviewState()
    with pytest.raises(StopIteration):
        run_interview(LOGIC, assessor, replies, state)
    assert replies.asked == ["region", "age", "duration_days", "age", "region", "age", "duration_days"]
    assert state.answers == {"region": "cervical", "age": 40}


def test_resume_continues_and_refuses_another_rule_version(tmp_path: Path, assessor: Assessor) -> None:
    """A saved session resumes where it stopped; one saved under other rules is refused with the reason."""
    path = tmp_path / "s.json"
    state = InterviewState(answers={"region": "lumbar", "age": 40}, history=["region", "age"])
    save_session(path, state, assessor, QUESTIONNAIRE)
    resumed = load_session(path, assessor, QUESTIONNAIRE)
    upcoming = LOGIC.next_question(resumed.answers)
    assert resumed.answers == state.answers and upcoming is not None and upcoming.id == "duration_days"
    data = json.loads(path.read_text())
    data["rules_version"] = "0.9.0"
    path.write_text(json.dumps(data))
    with pytest.raises(SessionError) as caught:
        load_session(path, assessor, QUESTIONNAIRE)
    assert caught.value.problems[0].startswith("it was saved under rule base 0.9.0")


def test_scripted_interview_matches_assess_of_the_saved_case(tmp_path: Path) -> None:
    """triage interview --answers gives the same result as triage assess of the case it saves."""
    answers = tmp_path / "answers.yaml"
    answers.write_text(json.dumps(all_no_script(fever=True, recent_infection=True)))
    case = tmp_path / "case.yaml"
    runner = CliRunner()
    scripted = runner.invoke(cli, ["interview", "--answers", str(answers), "--format", "json", "--save-case", str(case)])
    assert scripted.exit_code == 0, scripted.output
    interview = json.loads(scripted.output)
    assessed = json.loads(runner.invoke(cli, ["assess", str(case), "--format", "json"]).output)
    assert interview["urgency"] == "emergency" and interview["questions_asked"] == 30  # E5 at recent_infection
    assert {k: v for k, v in interview.items() if k not in ("questions_asked", "stopped_early", "case_id")} == \
        {k: v for k, v in assessed.items() if k not in ("case_id", "rules_path")}  # the interview's JSON has no path yet


def test_scripted_answers_are_checked(tmp_path: Path) -> None:
    """An answers file with a misspelt question or a wrong value is refused, naming each problem."""
    answers = tmp_path / "a.json"
    answers.write_text('{"agee": 3, "region": "leg", "fever": "yes"}')
    result = CliRunner().invoke(cli, ["interview", "--answers", str(answers)])
    assert result.exit_code == 1
    assert "'agee': not a question (did you mean 'age'?)" in result.output
    assert "'region': expected one of lumbar, cervical, thoracic or null (not sure)" in result.output
    assert "'fever': expected true, false or null (not sure)" in result.output


# --- a real pseudo-terminal --------------------------------------------------------------------

def _keys(question: Any, value: Any) -> str:
    if question.type == "number":
        return f"{value}\r"
    options = [True, False] if question.type == "yes_no" else [o.value for o in question.choices]
    return "\x1b[B" * options.index(value) + "\r"


def answer_like_a_person(tmp_path: Path, script: dict[str, Any]) -> str:
    """Run triage interview in a pseudo-terminal, waiting for each question before typing its answer."""
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(sys.executable, ["-m", "triage", "interview", "--session", str(tmp_path / "s.json")],
                          cwd=str(ROOT), env={"TERM": "xterm", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
                               "PROMPT_TOOLKIT_NO_CPR": "1"},  # pexpect answers no cursor-position requests
                          dimensions=(50, 400), encoding="utf-8", timeout=30)
    given: dict[str, Any] = {}
    assessor = Assessor()
    while (question := LOGIC.next_question(given)) is not None:
        child.expect(re.escape(question.text[:40]))
        child.expect("Enter|go back")  # the prompt is fully drawn
        child.send(_keys(question, script[question.id]))
        given[question.id] = script[question.id]
        if assessor.assess_answers(LOGIC.case_answers(given)).urgency == "emergency":
            break
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    return str(child.before)


def test_in_a_terminal_saddle_numbness_ends_with_the_emergency_first(tmp_path: Path) -> None:
    """A person answering 'yes' to saddle numbness sees the emergency first and no further questions."""
    output = answer_like_a_person(tmp_path, all_no_script(saddle_numbness=True))
    assert "EMERGENCY: PLEASE ACT NOW" in output
    assert output.index("EMERGENCY: PLEASE ACT NOW") < output.index("Why")
    assert "Questions asked: 8 (stopped early" in output
    assert "weaker stream" not in output  # the next question was never asked


def test_in_a_terminal_all_no_ends_in_self_care(tmp_path: Path) -> None:
    """A person answering 'no' to every warning sign ends at self-care with its advice."""
    output = answer_like_a_person(tmp_path, all_no_script())
    assert "SELF-CARE" in output and "Questions asked: 36" in output
    assert json.loads((tmp_path / "s.json").read_text())["answers"]["saddle_numbness"] is False
