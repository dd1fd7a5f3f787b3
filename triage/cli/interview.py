"""``triage interview``: the guided interview in a terminal, or from a case file's answers."""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from .common import ENGINE_OPTION, RULES_OPTION, VIEW_OPTION, View, run_command, shown

if TYPE_CHECKING:  # imported lazily below, so that triage --help stays quick
    from ..assess.assessor import Assessor
    from ..engines import EngineName
    from ..interview.logic import Logic
    from ..interview.runner import AnswerSource, InterviewResult, InterviewState
    from ..language.rulebook import RuleBase


@click.command()
@click.option("--answers", "answers_file", default=None, metavar="FILE",
              help="Answer from this case file (any file triage assess accepts), without a terminal.")
@click.option("--session", "session_file", default="triage-session.json", show_default=True, metavar="FILE",
              help="Where every answer is saved as it is given (health answers: only you can read the file).")
@click.option("--resume", "resume_file", default=None, metavar="FILE", help="Continue a saved interview.")
@click.option("--save-case", "case_file", default=None, metavar="FILE",
              help="At the end, write the answers as a case file that triage assess accepts.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--questionnaire", "questionnaire_file", default=None, metavar="FILE",
              help="Question set (default: the bundled one).")
@VIEW_OPTION
@RULES_OPTION
@ENGINE_OPTION
def interview(answers_file: str | None, session_file: str, resume_file: str | None, case_file: str | None,
              output_format: str, questionnaire_file: str | None, view: View, rules_dir: str | None,
              engine: EngineName) -> None:
    """Answer questions one at a time and get the urgency level, or stop at once on an emergency.

    Every answer is saved to the session file; Ctrl-C pauses, --resume continues. A finished
    interview's session file is replaced by the next interview started with it.
    """
    scripted = answers_file is not None
    for option, given in (("--session", session_file), ("--resume", resume_file)):
        if given is not None and given.strip() in ("-", ""):
            raise click.BadParameter("a session is a file, saved after every answer: name one (not standard "
                                     "output, not an empty name)", param_hint=f"'{option}'")
    if not scripted and not sys.stdin.isatty():
        raise click.UsageError("the interview needs a terminal; use --answers FILE to answer from a file")
    session_path = Path(resume_file or session_file)
    # A script keeps no session file unless --session (or --resume) is given.
    session_given = click.get_current_context().get_parameter_source("session_file") != ParameterSource.DEFAULT
    keep_session = not scripted or session_given or resume_file is not None

    def action() -> None:
        from ..assess.assessor import Assessor
        from ..interview.logic import Logic
        from ..interview.questionnaire import load_questionnaire
        from ..interview.runner import InterviewState, ScriptedAnswers
        from ..interview.sessions import load_scripted_case, new_case_id, session_lock
        from ..interview.terminal import TerminalPrompter, terminal_width
        from ..language.loading import load_rulebase

        rulebase = load_rulebase(rules_dir)
        questionnaire = load_questionnaire(questionnaire_file)
        assessor = Assessor(rulebase, engine)
        script = load_scripted_case(answers_file, questionnaire) if answers_file is not None else None
        width = terminal_width(shutil.get_terminal_size().columns) if sys.stdout.isatty() else 88
        with session_lock(session_path) if keep_session else contextlib.nullcontext():
            notices: list[str] = []
            kept = None  # what an interrupt before the first answer leaves as it was
            if resume_file is not None:
                from ..interview.sessions import load_session

                state = load_session(session_path, assessor, questionnaire)
                if state.finished:
                    notices.append("This interview had already finished: here is its result again.")
            else:
                from ..interview.sessions import replacing

                notice = replacing(session_path) if keep_session else None
                if notice:
                    notices.append(notice)
                    kept = f"the finished interview in {session_path} is kept as it was"
                state = InterviewState(case_id=script.case.id if script is not None else new_case_id())
            if script is not None:
                source: Any = ScriptedAnswers(script.answers)
                carried = script.carried
                for line in notices:
                    _echo_wrapped(line, width, err=True)
            else:
                source, carried = TerminalPrompter(), {}
                _welcome(questionnaire.title, state.case_id, session_path, width, notices)
            result = _run(Logic(questionnaire), assessor, source, state, carried,
                          _Keeping(session_path, keep_session, width, kept))
            unused = None if script is None else sorted(  # given in the file, but another answer reached the engine
                k for k, v in script.answers.items() if k not in result.asked and result.case_answers.get(k) != v)
            _show(result, rulebase, output_format, width, unused, view)
            if case_file:
                _save_case(case_file, result, session_path if keep_session else None)

    run_command(action)


@dataclass(frozen=True)
class _Keeping:
    """Where the interview is kept, and what to say if it is interrupted."""

    session_path: Path
    keep_session: bool
    width: int
    kept: str | None  # what an interrupt before the first answer leaves untouched


def _run(logic: Logic, assessor: Assessor, source: AnswerSource, state: InterviewState, carried: dict[str, Any],
         keeping: _Keeping) -> InterviewResult:
    """The interview loop, saving as it goes; on Ctrl-C, say truthfully what was saved and exit 130."""
    from ..interview.runner import run_interview
    from ..interview.sessions import save_session

    path = keeping.session_path
    saves = 0
    resumed = bool(state.answers)

    def save(current: InterviewState) -> None:
        nonlocal saves
        if keeping.keep_session:
            save_session(path, current, assessor, logic.questionnaire)
            saves += 1

    try:
        return run_interview(logic, assessor, source, state, save, carried=carried)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP/SIGQUIT (Terminated, run_command's handler)
        from ..errors import Terminated

        if keeping.keep_session and (saves or resumed):
            said = f"Paused. Your answers are saved in {path}. To continue: triage interview --resume {path}"
        else:
            said = "Stopped before any answer was given: nothing was saved"
            said += f", and {keeping.kept}." if keeping.kept else "."
        with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone: the exit code still tells
            click.echo("", err=True)
            _echo_wrapped(said, keeping.width, err=True)
        sys.exit(exc.exit_code if isinstance(exc, Terminated) else 130)


def _welcome(title: str, case_id: str | None, session_path: Path, width: int, notices: list[str]) -> None:
    _echo_wrapped(title, width)
    _echo_wrapped(f"Case {case_id}", width)
    _echo_wrapped(f"Your answers are saved in {session_path} as you go: press Ctrl-C to pause, and continue "
                  f"later with: triage interview --resume {session_path}", width)
    _echo_wrapped("That file holds your health answers. Only you can read it; delete it when you no longer "
                  "need it.", width)
    for notice in notices:
        click.echo("")
        _echo_wrapped(notice, width)
    click.echo("")


def _echo_wrapped(text: str, width: int, err: bool = False) -> None:
    """Text wrapped to the width, every control character of the user's (a case id, a path) escaped."""
    from ..interview.terminal import wrap

    click.echo("\n".join(wrap(shown(text), width)), err=err)


def _show(result: InterviewResult, rulebase: RuleBase, output_format: str, width: int,
          unused: list[str] | None, view: View) -> None:
    """The result: the emergency banner first when there is one, then the assessment as triage assess shows it."""
    from ..assess.render import emergency_banner, render_text
    from ..interview.questionnaire import count

    if output_format == "json":
        data = result.assessment.model_dump(mode="json")
        data.update(questions_asked=result.questions_asked, stopped_early=result.stopped_early)
        if unused is not None:
            data["answers_not_used"] = unused
        click.echo(json.dumps(data, indent=2))
        return
    if result.assessment.urgency == "emergency":
        click.echo(shown(emergency_banner(result.assessment, width=width)), nl=False)
    not_sure = result.asked - result.case_answers.keys()  # answered, but with "Not sure"
    click.echo(shown(render_text(result.assessment, rulebase.labels, width, view=view, meta=rulebase.meta,
                                 not_sure=not_sure)), nl=False)
    asked = count(result.questions_asked, "question")
    stop = " (stopped early: the answers already make this an emergency)" if result.stopped_early else ""
    click.echo("")
    _echo_wrapped(f"Asked {asked}{stop}.", width)
    if unused and not result.stopped_early:
        _echo_wrapped("Not used: answers in the file to questions that its earlier answers leave out: "
                      f"{', '.join(unused)}.", width)


def _save_case(case_file: str, result: InterviewResult, session_path: Path | None) -> None:
    """Write the answers as a case file; a failure is reported after the result, which is already shown."""
    from ..errors import OutputError, SessionError
    from ..files import atomic_output
    from ..interview.sessions import SESSION_MODE

    case = {"id": result.assessment.case_id, **result.case_answers}
    try:
        with atomic_output(case_file, mode=SESSION_MODE) as stream:  # health answers: the owner's only
            if case_file.endswith(".json"):
                json.dump(case, stream, indent=2)
                stream.write("\n")
            else:
                import yaml

                yaml.safe_dump(case, stream, sort_keys=False, allow_unicode=True)
    except (OSError, OutputError) as exc:
        from ..interview.sessions import folder_problem

        kept = f"; the answers are still in {session_path}" if session_path is not None else ""
        why = exc.reason if isinstance(exc, OutputError) else folder_problem(Path(case_file), exc)
        raise SessionError(f"{case_file}: the result above is complete, but the case could not be saved",
                           [f"{why}{kept}"]) from None
