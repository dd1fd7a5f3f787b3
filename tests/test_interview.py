"""The interview in this process: the terminal prompts through a pipe, the loop, early stop, Back, sessions, --answers."""

from __future__ import annotations

import json
import os
import stat
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
from triage.interview.questionnaire import NOT_SURE, load_questionnaire
from triage.interview.runner import (
    BACK,
    NOTHING_BEFORE,
    InterviewState,
    Prompt,
    ScriptedAnswers,
    run_interview,
)
from triage.interview.sessions import load_session, save_session, session_lock
from triage.interview.terminal import TerminalPrompter, _Asking, progress_text

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


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces as single spaces (messages are wrapped at the width)."""
    return " ".join(text.split())


def prompt_for(question_id: str, **fields: Any) -> Prompt:
    """The prompt for one question, as the interview builds it (an earlier answer with has_default)."""
    values: dict[str, Any] = {"question": QUESTIONNAIRE.question(question_id),
                              "section": QUESTIONNAIRE.section_of[question_id], "section_starts": False,
                              "number": 3, "remaining": 10, "has_default": False, **fields}
    return Prompt(**values)


def ask(question_id: str, keys: str, **fields: Any) -> Any:
    """Ask one question through a pipe, typing ``keys`` (then the pipe closes: keys that answer nothing fail)."""
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        pipe.close()
        return TerminalPrompter(input=pipe, output=DummyOutput()).ask(prompt_for(question_id, **fields))


def screen(asking: _Asking, width: int) -> str:
    """What a question puts on the screen at ``width`` columns, as plain text."""
    return "".join(fragment[1] for fragment in asking.render(width))


@pytest.mark.parametrize(("question_id", "keys", "expected"), [
    ("saddle_numbness", "y" + ENTER, True),
    ("saddle_numbness", "N" + ENTER, False),
    ("saddle_numbness", "?" + ENTER, None),
    ("saddle_numbness", "b" + ENTER, BACK),
    ("saddle_numbness", DOWN + ENTER, True),  # the arrow keys start from no answer: the first is Yes
    ("saddle_numbness", DOWN * 2 + ENTER, False),
    ("saddle_numbness", "y" + "n" + ENTER, False),  # a key only moves the pointer: Enter answers
    ("leg_pain", "3" + ENTER, "both_legs"),
    ("leg_pain", "?" + ENTER, None),
    ("age", "52" + ENTER, 52),
    ("age", "?" + ENTER, None),
    ("age", "b" + ENTER, BACK),
    ("age", "130" + ENTER + "\x7f" * 3 + "70" + ENTER, 70),
    ("age", "abc" + ENTER + "\x7f" * 3 + "7" + ENTER, 7),
])
def test_every_question_type_through_the_terminal_layer(question_id: str, keys: str, expected: Any) -> None:
    """Yes/no, choice and number questions by their keys; 'Not sure' is unknown, never no; Back; bad numbers re-asked."""
    assert ask(question_id, keys) == expected


@pytest.mark.parametrize(("question_id", "keys", "expected"), [
    ("saddle_numbness", ENTER + "n" + ENTER, False),
    ("saddle_numbness", ENTER * 3 + "?" + ENTER, None),
    ("leg_pain", ENTER + "1" + ENTER, "none"),
    ("age", ENTER + "40" + ENTER, 40),
    ("saddle_numbness", "x" + ENTER + "y" + ENTER, True),  # a key that is no answer chooses nothing
])
def test_a_bare_enter_never_answers_a_new_question(question_id: str, keys: str, expected: Any) -> None:
    """A new question starts with no answer chosen: Enter alone is refused, and only a chosen answer is recorded."""
    assert ask(question_id, keys) == expected
    with pytest.raises(EOFError):  # Enter alone, however often, answers nothing: the question is still waiting
        ask(question_id, ENTER * 3)


@pytest.mark.parametrize(("question_id", "earlier"), [
    ("saddle_numbness", None), ("saddle_numbness", False), ("saddle_numbness", True),
    ("leg_pain", None), ("leg_pain", "one_leg"), ("age", None), ("age", 52),
])
def test_back_preselects_the_earlier_answer_not_sure_included(question_id: str, earlier: Any) -> None:
    """After Back, the earlier answer ('Not sure' too) is chosen already: Enter keeps it."""
    assert ask(question_id, ENTER, has_default=True, default=earlier) == earlier


def test_back_on_the_first_question_says_there_is_nothing_before_it() -> None:
    """On the first question Back is refused in place, with the reason; the question waits for an answer."""
    assert ask("region", "b" + ENTER + "2" + ENTER, can_go_back=False) == "cervical"
    assert ask("age", "b" + ENTER + "\x7f30" + ENTER, can_go_back=False) == 30
    with pytest.raises(EOFError):  # the refused Back did not end the question: it waits for more keys
        ask("region", "b" + ENTER, can_go_back=False)
    asking = _Asking(prompt_for("region", can_go_back=False))
    asking.pointer = 4  # Back
    asking.message = ("class:error", NOTHING_BEFORE)
    assert NOTHING_BEFORE in flat(screen(asking, 60))


def test_ctrl_c_is_an_interrupt_not_an_answer() -> None:
    """Ctrl-C raises KeyboardInterrupt, so it can never be mistaken for an answer."""
    for question_id in ("saddle_numbness", "age"):
        with pytest.raises(KeyboardInterrupt):
            ask(question_id, CTRL_C)
        with pytest.raises(KeyboardInterrupt):
            ask(question_id, "y" + CTRL_C + ENTER)  # even with an answer chosen and Enter typed after it


def test_a_section_shows_its_title_and_intro_when_it_starts_and_progress_never_claims_a_fixed_total() -> None:
    """The first question of a section shows the section's intro; progress says 'about' how many are to come."""
    text = screen(_Asking(prompt_for("saddle_numbness", section_starts=True)), 200)
    intro = QUESTIONNAIRE.section_of["saddle_numbness"].intro
    assert intro is not None and intro in text and "Signs that need help straight away" in text
    later = screen(_Asking(prompt_for("bladder_change")), 200)
    assert intro not in later
    assert progress_text(prompt_for("age", number=9, remaining=27)) == "Question 9: about 27 more questions to go"
    assert progress_text(prompt_for("age", number=9, remaining=1)) == "Question 9: about 1 more question to go"
    assert progress_text(prompt_for("age", remaining=0)).endswith("the last one, as things stand")


def test_the_prompt_wraps_between_words_at_the_width() -> None:
    """Every line of a question on screen fits the width, and the words are the question's own, none cut."""
    for question in QUESTIONNAIRE.questions:
        for width in (40, 59, 99):
            lines = screen(_Asking(prompt_for(question.id, section_starts=True)), width).splitlines()
            assert max(len(line) for line in lines) <= width, (question.id, width)
            words = set(" ".join(lines).split())
            assert set(question.text.split()) <= words, (question.id, width)


# --- the loop ---------------------------------------------------------------------------------

class Replies:
    """Answers given in sequence, like a person pressing keys (BACK included); records every prompt."""

    def __init__(self, replies: list[Any]):
        self.replies = iter(replies)
        self.prompts: list[Prompt] = []

    @property
    def asked(self) -> list[str]:
        return [p.question.id for p in self.prompts]

    def ask(self, prompt: Prompt) -> Any:
        self.prompts.append(prompt)
        reply = next(self.replies)
        return prompt.default if reply == "default" else reply


def test_a_settled_emergency_stops_the_interview(assessor: Assessor) -> None:
    """'Cannot pass urine' (E2, an emergency whatever else is answered) ends the interview before the next question."""
    result = run_interview(LOGIC, assessor, ScriptedAnswers(all_no_script(urinary_retention=True)))
    assert (result.assessment.urgency, result.stopped_early, result.questions_asked) == ("emergency", True, 10)


def test_an_emergency_stops_once_no_question_left_could_lower_it(assessor: Assessor) -> None:
    """Saddle numbness is an emergency at once (E1 reads the duration not yet asked as new), but the interview asks
    how long, since a long duration could lower it (U5); answered 'not sure', E1 holds whatever the answer about
    worsening, so nothing left could lower it and the interview stops there."""
    script = all_no_script(saddle_numbness=True, ces_symptoms_days=NOT_SURE)
    result = run_interview(LOGIC, assessor, ScriptedAnswers(script))
    order = [q.id for q in QUESTIONNAIRE.questions]
    last = max(order.index(name) for name in result.asked)
    assert (result.assessment.urgency, result.stopped_early, order[last]) == ("emergency", True, "ces_symptoms_days")
    # the questions never reached are not answered: no 'no foot drop' taken from a weakness question not yet asked
    assert result.case_answers.keys() <= result.asked, sorted(result.case_answers.keys() - result.asked)


def test_all_no_ends_in_self_care_and_saves_after_every_answer(assessor: Assessor) -> None:
    """The full 'no' path is self-care and complete; the session is saved after each answer, and once finished."""
    saved: list[tuple[int, bool]] = []
    result = run_interview(LOGIC, assessor, ScriptedAnswers(all_no_script()),
                           save=lambda state: saved.append((len(state.answers), state.finished)))
    assert (result.assessment.urgency, result.assessment.complete, result.stopped_early) == ("self_care", True, False)
    asked = result.questions_asked
    assert saved == [(n, False) for n in range(1, asked + 1)] + [(asked, True)]


def test_back_changes_an_answer_and_later_questions_follow(assessor: Assessor) -> None:
    """Back re-asks the previous question with its answer as default; a changed answer changes what follows."""
    replies = Replies(["lumbar", 40, BACK, BACK, "cervical", "default"])
    state = InterviewState()
    with pytest.raises(StopIteration):
        run_interview(LOGIC, assessor, replies, state)
    assert replies.asked == ["region", "age", "duration_days", "age", "region", "age", "duration_days"]
    assert [(p.has_default, p.default) for p in replies.prompts[3:6]] == [(True, 40), (True, "lumbar"), (True, 40)]
    assert state.answers == {"region": "cervical", "age": 40}


def test_back_keeps_a_not_sure_as_the_earlier_answer(assessor: Assessor) -> None:
    """'Not sure', then Back: the question comes back with 'Not sure' as its earlier answer, not with none."""
    replies = Replies(["lumbar", None, BACK, 50])
    with pytest.raises(StopIteration):
        run_interview(LOGIC, assessor, replies)
    assert replies.asked == ["region", "age", "duration_days", "age", "duration_days"]
    assert (replies.prompts[3].has_default, replies.prompts[3].default) == (True, None)
    assert not replies.prompts[1].has_default


def test_back_on_the_first_question_is_said_and_saves_nothing(assessor: Assessor) -> None:
    """A script's Back on question 1 re-asks it with the notice that nothing is before it; nothing is saved."""
    saved: list[InterviewState] = []
    replies = Replies([BACK, "lumbar"])
    with pytest.raises(StopIteration):
        run_interview(LOGIC, assessor, replies, save=saved.append)
    assert replies.asked == ["region", "region", "age"]
    assert [p.notice for p in replies.prompts] == [None, NOTHING_BEFORE, None]
    assert not replies.prompts[0].can_go_back and replies.prompts[2].can_go_back
    assert len(saved) == 1


def test_fields_no_question_asks_reach_the_engine(assessor: Assessor) -> None:
    """Answers carried from a case file (sex, prior spine surgery) are part of what the engine assesses."""
    result = run_interview(LOGIC, assessor, ScriptedAnswers(all_no_script()),
                           carried={"sex": "male", "prior_spine_surgery": True})
    assert result.case_answers["sex"] == "male" and result.case_answers["prior_spine_surgery"] is True


# --- sessions ---------------------------------------------------------------------------------

def test_resume_continues_and_refuses_another_rule_version(tmp_path: Path, assessor: Assessor) -> None:
    """A saved session resumes where it stopped, 'not sure' defaults kept; one saved under other rules is refused."""
    path = tmp_path / "s.json"
    state = InterviewState(answers={"region": "lumbar", "age": 40}, history=["region", "age"],
                           defaults={"duration_days": None}, case_id="c1")
    save_session(path, state, assessor, QUESTIONNAIRE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # health answers: the owner's alone
    resumed = load_session(path, assessor, QUESTIONNAIRE)
    upcoming = LOGIC.next_question(resumed.answers)
    assert resumed.answers == state.answers and upcoming is not None and upcoming.id == "duration_days"
    assert resumed.defaults == {"duration_days": None} and resumed.case_id == "c1" and not resumed.finished
    data = json.loads(path.read_text())
    data["rules_version"] = "0.9.0"
    path.write_text(json.dumps(data))
    with pytest.raises(SessionError) as caught:
        load_session(path, assessor, QUESTIONNAIRE)
    assert caught.value.problems[0].startswith("it was saved under rule base 0.9.0")


def _saved(assessor: Assessor, **changes: Any) -> str:
    data = {"format": "triage-interview-session", "rules_version": assessor.rulebase.version,
            "rules_hash": assessor.rulebase.content_hash, "questionnaire_version": QUESTIONNAIRE.version,
            "answers": {"region": "lumbar"}, "history": ["region"], "defaults": {}, **changes}
    return json.dumps(data)


BAD_SESSIONS: list[tuple[str, Any, str]] = [
    ("history-not-a-list", lambda a: _saved(a, history=5), "'history': expected a list, got 5"),
    ("history-of-numbers", lambda a: _saved(a, history=[1, 2]), "'history[0]': expected text, got 1"),
    ("defaults-a-list", lambda a: _saved(a, defaults=[1]), "'defaults': expected a mapping of names to values"),
    ("defaults-bad-answer", lambda a: _saved(a, defaults={"age": "old"}), "earlier answer 'age': expected a whole"),
    ("answers-not-a-mapping", lambda a: _saved(a, answers="yes"), "'answers': expected a mapping"),
    ("answer-not-a-question", lambda a: _saved(a, answers={"agee": 3}), "answer 'agee': not a question (did you mean"),
    ("answer-out-of-range", lambda a: _saved(a, answers={"age": 10**40}), "answer 'age': "),
    ("finished-not-a-flag", lambda a: _saved(a, finished="no"), "'finished': expected a yes/no answer"),
    ("5000-digits", lambda a: _saved(a).replace('"lumbar"', "9" * 5000), "a number of 5,000 digits is too long"),
    ("deep-nesting", lambda a: _saved(a).replace('"lumbar"', "[" * 100_000 + "]" * 100_000), "nested too deeply"),
    ("truncated", lambda a: _saved(a)[:60], "damaged or cut short (not valid JSON at line 1, column"),
    ("empty", lambda a: "", "the file is empty"),
    ("binary", lambda a: b"\x00\x01\xff PNG", "not a text file"),
    ("not-utf-8", lambda a: b'{"a": "\xff"}', "not UTF-8 text"),
    ("a-yaml-case-file", lambda a: "id: c1\nage: 40\nregion: lumbar\n", "it looks like a case file: assess it"),
    ("a-json-case-file", lambda a: '{"id": "c1", "age": 40}', "it looks like a case file"),
    ("another-json-file", lambda a: '{"format": "other"}', "this is not a saved triage interview"),
    ("a-list", lambda a: "[1, 2]", "this is not a saved triage interview"),
]


@pytest.mark.parametrize(("content", "reason"), [(c, r) for _, c, r in BAD_SESSIONS],
                         ids=[name for name, _, _ in BAD_SESSIONS])
def test_resume_of_a_bad_session_is_a_clear_error(tmp_path: Path, assessor: Assessor, content: Any,
                                                  reason: str) -> None:
    """--resume on a damaged, truncated, binary or wrong file: exit 1 naming the file and the reason; no internals."""
    path, answers = tmp_path / "s.json", tmp_path / "rest.yaml"
    data = content(assessor)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    answers.write_text("age: 40\n")  # the rest of the interview answered from a file (the terminal path: test_pty)
    result = CliRunner().invoke(cli, ["interview", "--resume", str(path), "--answers", str(answers)])
    assert result.exit_code == 1, result.output
    assert f"{path}: cannot resume this session" in result.output
    assert reason in result.output
    assert "Expecting" not in result.output and "internal error" not in result.output and "char 0" not in result.output
    assert len(result.output) < 2000  # a 5,000-digit number or deep nesting is never echoed back


def test_resume_of_a_missing_file_or_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    """--resume of a file that is not there, or of a folder, says so (exit 1)."""
    answers = tmp_path / "rest.yaml"
    answers.write_text("age: 40\n")
    for path, reason in ((tmp_path / "none.json", "No such file or directory"), (tmp_path, "a folder, not a")):
        result = CliRunner().invoke(cli, ["interview", "--resume", str(path), "--answers", str(answers)])
        assert result.exit_code == 1 and reason in result.output, result.output


def test_a_session_in_use_is_refused(tmp_path: Path) -> None:
    """While one interview holds a session file, a second one on it refuses and says why; then it is free again."""
    answers = tmp_path / "a.yaml"
    answers.write_text("region: lumbar\n")
    session = tmp_path / "s.json"
    with session_lock(session):
        result = CliRunner().invoke(cli, ["interview", "--answers", str(answers), "--session", str(session)])
        assert result.exit_code == 1 and "another interview is using this session file" in result.output
        assert not session.exists()
        with pytest.raises(SessionError), session_lock(session):
            pass  # not reached: the lock is held
    assert CliRunner().invoke(cli, ["interview", "--answers", str(answers), "--session", str(session)]).exit_code == 0
    assert not (tmp_path / ".s.json.lock").exists()


def test_a_finished_session_is_replaced_and_an_unfinished_one_is_kept(tmp_path: Path, assessor: Assessor) -> None:
    """A finished interview never blocks the next one (it is replaced, and that is said); an unfinished one does."""
    answers = tmp_path / "a.yaml"
    answers.write_text("region: lumbar\nage: 40\n")
    session = tmp_path / "s.json"
    runner = CliRunner()
    first = runner.invoke(cli, ["interview", "--answers", str(answers), "--session", str(session)])
    assert first.exit_code == 0 and json.loads(session.read_text())["finished"] is True
    assert stat.S_IMODE(session.stat().st_mode) == 0o600
    second = runner.invoke(cli, ["interview", "--answers", str(answers), "--session", str(session)])
    assert second.exit_code == 0
    assert f"The interview saved in {session} had finished (case a" in flat(second.stderr)
    save_session(session, InterviewState(answers={"region": "lumbar"}, history=["region"], case_id="x"), assessor,
                 QUESTIONNAIRE)
    before = session.read_text()
    third = runner.invoke(cli, ["interview", "--answers", str(answers), "--session", str(session)])
    assert third.exit_code == 1 and session.read_text() == before
    assert "a saved interview is not finished yet (case x, 1 answer" in third.output
    assert f"continue it with: triage interview --resume {session}" in third.output
    session.write_text("my notes\n")
    fourth = runner.invoke(cli, ["interview", "--answers", str(answers), "--session", str(session)])
    assert fourth.exit_code == 1 and session.read_text() == "my notes\n"
    assert "cannot start a new interview in this file" in fourth.output


def test_resume_of_a_finished_session_shows_its_result_again(tmp_path: Path) -> None:
    """--resume on a finished interview asks nothing and shows the result, saying it had finished."""
    answers = tmp_path / "a.yaml"
    answers.write_text("region: lumbar\nage: 40\nurinary_retention: true\n")
    session = tmp_path / "s.json"
    CliRunner().invoke(cli, ["interview", "--answers", str(answers), "--session", str(session)])
    result = CliRunner().invoke(cli, ["interview", "--resume", str(session), "--answers", str(answers)])
    assert result.exit_code == 0 and "had already finished" in result.stderr and "EMERGENCY" in result.stdout


def test_a_session_in_a_missing_folder_fails_before_any_question(tmp_path: Path) -> None:
    """--session in a folder that is not there: exit 1 with the folder named, before anything is asked or shown."""
    answers = tmp_path / "a.yaml"
    answers.write_text("region: lumbar\n")
    result = CliRunner().invoke(cli, ["interview", "--answers", str(answers), "--session",
                                      str(tmp_path / "missing" / "s.json")])
    assert result.exit_code == 1
    assert f"the folder {tmp_path / 'missing'} does not exist" in result.output
    assert "Triage assessment" not in result.output and "internal error" not in result.output


def test_save_case_into_a_missing_folder_still_shows_the_result_first(tmp_path: Path) -> None:
    """--save-case that cannot be written: the result (the EMERGENCY first) is shown, then the failure (exit 1)."""
    answers = tmp_path / "a.yaml"
    answers.write_text("region: lumbar\nage: 40\nurinary_retention: true\n")
    target = tmp_path / "missing" / "case.yaml"
    result = CliRunner().invoke(cli, ["interview", "--answers", str(answers), "--save-case", str(target)])
    assert result.exit_code == 1
    assert result.stdout.startswith("=") and "EMERGENCY: PLEASE ACT NOW" in result.stdout
    assert "Triage assessment of a" in result.stdout
    assert f"{target}: the result above is complete, but the case could not be saved" in result.stderr
    assert f"the folder {tmp_path / 'missing'} does not exist" in result.stderr
    assert "internal error" not in result.output


# --- --answers: any case file -----------------------------------------------------------------

def test_answers_accept_any_case_file_and_match_assess(tmp_path: Path) -> None:
    """--answers takes a full case file (sex, prior surgery, id, expected_*); the result is triage assess's."""
    case = tmp_path / "full.yaml"
    case.write_text("id: full-1\nexpected_urgency: emergency\nexpected_surgical: false\ndescription: a note\n"
                    "sex: female\nprior_spine_surgery: true\n"
                    + "".join(f"{k}: {json.dumps(v)}\n" for k, v in all_no_script(fever=True, recent_infection=True)
                              .items()))
    saved = tmp_path / "saved.yaml"
    runner = CliRunner()
    scripted = runner.invoke(cli, ["interview", "--answers", str(case), "--format", "json", "--save-case", str(saved)])
    assert scripted.exit_code == 0, scripted.output
    interview = json.loads(scripted.stdout)
    assessed = json.loads(runner.invoke(cli, ["assess", str(case), "--format", "json"]).stdout)
    resaved = json.loads(runner.invoke(cli, ["assess", str(saved), "--format", "json"]).stdout)
    assert interview["urgency"] == "emergency" and interview["questions_asked"] == 30  # E5 at recent_infection
    assert interview["case_id"] == "full-1"
    assessed.pop("rules_path"), resaved.pop("rules_path")  # assess names the rule folder; the interview not yet
    assert {k: v for k, v in interview.items() if k not in ("questions_asked", "stopped_early", "answers_not_used")} \
        == assessed == resaved
    assert "sex: female" in saved.read_text() and "prior_spine_surgery: true" in saved.read_text()


def test_answers_are_checked_as_triage_assess_checks_them(tmp_path: Path) -> None:
    """An answers file with a misspelt field or a wrong value is refused with exactly triage assess's messages."""
    answers = tmp_path / "a.json"
    answers.write_text('{"agee": 3, "region": "leg", "fever": "yes"}')
    runner = CliRunner()
    result = runner.invoke(cli, ["interview", "--answers", str(answers)])
    assert result.exit_code == 1
    assert result.output == runner.invoke(cli, ["assess", str(answers)]).output
    assert "field 'agee': unknown field (did you mean 'age'?)" in result.output
    assert "3 problems in this case" in result.output
    answers.write_text('{"fever": "yes"}')
    assert "1 problem in this case" in runner.invoke(cli, ["interview", "--answers", str(answers)]).output


def test_answers_the_interview_leaves_out_are_named(tmp_path: Path) -> None:
    """An answer the interview never asks (foot drop after 'no weakness') is named as not used, not silently lost."""
    answers = tmp_path / "a.yaml"
    answers.write_text("region: lumbar\nage: 40\nweakness: none\nfoot_drop: true\n")
    result = CliRunner().invoke(cli, ["interview", "--answers", str(answers)])
    assert result.exit_code == 0
    assert "Not used: answers in the file to questions that its earlier answers leave out: foot_drop." in \
        flat(result.stdout)
    data = json.loads(CliRunner().invoke(cli, ["interview", "--answers", str(answers), "--format", "json"]).stdout)
    assert data["answers_not_used"] == ["foot_drop"]


def test_answers_with_an_existing_session_never_replace_it(tmp_path: Path, assessor: Assessor) -> None:
    """--answers A --session EXISTING refuses an unfinished saved interview, as the terminal path does."""
    session = tmp_path / "s.json"
    save_session(session, InterviewState(answers={"region": "lumbar"}, history=["region"]), assessor, QUESTIONNAIRE)
    answers = tmp_path / "a.yaml"
    answers.write_text("region: cervical\n")
    before = session.read_bytes()
    result = CliRunner().invoke(cli, ["interview", "--answers", str(answers), "--session", str(session)])
    assert result.exit_code == 1 and session.read_bytes() == before
    assert not os.path.exists(tmp_path / ".s.json.lock")


def test_a_not_sure_answer_behind_a_reason_reads_not_sure(tmp_path: Path) -> None:
    """Saddle numbness yes and Not sure how long: the result says 'not sure' for that answer, not 'not answered'
    (the person did answer it), as the browser's emergency page does."""
    answers = tmp_path / "a.yaml"
    answers.write_text("region: lumbar\nsaddle_numbness: true\nces_symptoms_days: null\n")
    result = CliRunner().invoke(cli, ["interview", "--answers", str(answers)])
    assert result.exit_code == 0, result.output
    assert "symptom began: not sure" in result.output and "not answered" not in result.output
