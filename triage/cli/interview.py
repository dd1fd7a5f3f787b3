"""``triage interview``: the guided interview in a terminal, or from a file of answers."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

if TYPE_CHECKING:
    from ..engines import EngineName

from .common import ENGINE_OPTION, RULES_OPTION, run_command


@click.command()
@click.option("--answers", "answers_file", default=None, metavar="FILE",
              help="Answer from this JSON/YAML mapping of question id to answer, without a terminal.")
@click.option("--session", "session_file", default="triage-session.json", show_default=True, metavar="FILE",
              help="Where every answer is saved as it is given.")
@click.option("--resume", "resume_file", default=None, metavar="FILE", help="Continue a saved interview.")
@click.option("--save-case", "case_file", default=None, metavar="FILE",
              help="At the end, write the answers as a case file that triage assess accepts.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--questionnaire", "questionnaire_file", default=None, metavar="FILE",
              help="Question set (default: the bundled one).")
@RULES_OPTION
@ENGINE_OPTION
def interview(answers_file: str | None, session_file: str, resume_file: str | None, case_file: str | None,
              output_format: str, questionnaire_file: str | None, rules_dir: str | None,
              engine: EngineName) -> None:
    """Answer questions one at a time and get the urgency level, or stop at once on an emergency.

    Every answer is saved to the session file; Ctrl-C pauses, --resume continues.
    """
    from pathlib import Path

    scripted = answers_file is not None
    if not scripted and not sys.stdin.isatty():
        raise click.UsageError("the interview needs a terminal; use --answers FILE to answer from a file")
    session_path = Path(resume_file or session_file)
    if not scripted and resume_file is None and session_path.exists():
        raise click.UsageError(f"a saved interview is in {session_path}: continue it with --resume {session_path}, "
                               "or start another with --session OTHER_FILE")

    def action() -> None:
        import json

        from ..assess.assessor import Assessor
        from ..assess.render import emergency_banner, render_text
        from ..files import atomic_output
        from ..interview.logic import Logic
        from ..interview.questionnaire import load_questionnaire
        from ..interview.runner import InterviewState, ScriptedAnswers, run_interview
        from ..interview.sessions import load_scripted_answers, load_session, save_session
        from ..interview.terminal import TerminalPrompter
        from ..language.loading import load_rulebase

        rulebase = load_rulebase(rules_dir)
        questionnaire = load_questionnaire(questionnaire_file)
        assessor = Assessor(rulebase, engine)
        state = load_session(session_path, assessor, questionnaire) if resume_file else InterviewState()
        # A script keeps no session file unless --session is given.
        given = click.get_current_context().get_parameter_source("session_file") != ParameterSource.DEFAULT
        keep_session = not scripted or given or resume_file is not None

        def save(current: InterviewState) -> None:
            if keep_session:
                save_session(session_path, current, assessor, questionnaire)

        if scripted:
            source: Any = ScriptedAnswers(load_scripted_answers(answers_file, questionnaire))  # type: ignore[arg-type]
        else:
            source = TerminalPrompter()
            click.echo(f"{questionnaire.title}\nAnswers are saved in {session_path} as you go; press Ctrl-C to "
                       "pause and continue later with --resume.\n")
        try:
            result = run_interview(Logic(questionnaire), assessor, source, state, save)
        except KeyboardInterrupt:
            click.echo(f"\nPaused. Your answers are saved in {session_path}. "
                       f"To continue: triage interview --resume {session_path}", err=True)
            sys.exit(130)
        if case_file:
            case = {"id": Path(answers_file).stem if scripted else session_path.stem,  # type: ignore[arg-type]
                    **result.case_answers}
            with atomic_output(case_file) as stream:
                if case_file.endswith(".json"):
                    json.dump(case, stream, indent=2)
                    stream.write("\n")
                else:
                    import yaml

                    yaml.safe_dump(case, stream, sort_keys=False)
        if output_format == "json":
            data = result.assessment.model_dump(mode="json")
            data.update(questions_asked=result.questions_asked, stopped_early=result.stopped_early)
            click.echo(json.dumps(data, indent=2))
            return
        if result.assessment.urgency == "emergency":
            click.echo(emergency_banner(result.assessment), nl=False)
        click.echo(render_text(result.assessment, rulebase.labels), nl=False)
        stop = " (stopped early: the answers already make this an emergency)" if result.stopped_early else ""
        click.echo(f"\nQuestions asked: {result.questions_asked}{stop}")

    run_command(action)


