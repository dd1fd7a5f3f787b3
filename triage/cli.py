"""The ``triage`` command: thin commands over the library. Errors become messages and exit codes here only.

Exit codes: 0 done; 1 bad input or a failed check; 2 usage; 3 internal error; 130 interrupted.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Optional

import click
from click.core import ParameterSource

from . import __version__
from .cli_coverage import coverage
from .cli_support import RULES_OPTION, run_command
from .service.commands import fhir, serve
from .rulebook import load_rulebase

@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="triage")
def cli() -> None:
    """Triage back, neck and mid-back symptoms against cited clinical criteria."""


@cli.command()
@click.argument("case_file", metavar="CASE_FILE")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "fhir"]), default="text",
              show_default=True, help="text for people, json for programs (case-format.md), fhir for a "
              "FHIR GuidanceResponse.")
@RULES_OPTION
def assess(case_file: str, output_format: str, rules_dir: Optional[str]) -> None:
    """Assess one case file (JSON or YAML; - reads standard input) or FHIR QuestionnaireResponse (JSON)."""

    def action() -> None:
        from .assessment import Assessor
        from .render import render_text
        from .service.fhir import guidance_json, load_case_or_response

        rulebase = load_rulebase(rules_dir)
        answers, case_id, response = load_case_or_response(case_file)  # a QuestionnaireResponse by resourceType
        assessment = Assessor(rulebase).assess_answers(answers, case_id)
        labels = {level: text.label for level, text in rulebase.meta.levels.items()}
        if output_format == "json":
            click.echo(assessment.model_dump_json(indent=2))
        elif output_format == "fhir":
            click.echo(guidance_json(assessment, labels, response))
        else:
            click.echo(render_text(assessment, labels), nl=False)

    run_command(action)


@cli.command()
@RULES_OPTION
@click.option("--questionnaire", "questionnaire_file", default=None, metavar="FILE",
              help="Question set to check against the rules (default: the bundled one).")
def check(rules_dir: Optional[str], questionnaire_file: Optional[str]) -> None:
    """Validate the rule base and the questionnaire; exit 1 with every problem, located, if there is any."""

    def action() -> None:
        from .engine import DurableEngine
        from .questionnaire import QuestionnaireError, check_against_rules, load_questionnaire
        from .verify import verify

        rulebase = load_rulebase(rules_dir)
        DurableEngine(rulebase)  # the compiled rules must also be accepted by the engine
        questionnaire = load_questionnaire(questionnaire_file)
        never_asked = check_against_rules(questionnaire, rulebase.fields_read)
        if never_asked:
            raise QuestionnaireError(f"questionnaire {questionnaire.title!r}: {len(never_asked)} problem(s)",
                                     never_asked)
        # never-true, subsumed, findings not read, fields neither read nor asked (triage/verify.py)
        verified = verify(rulebase, asked_fields=set(questionnaire.index))
        verified.raise_for_errors()
        files = sorted({item.file for item in rulebase.located})
        click.echo(
            f"rule base OK: {len(rulebase.rules)} rules in {len(files)} files, "
            f"{len(rulebase.meta.criteria)} criteria, version {rulebase.version}, sha256 {rulebase.content_hash[:12]}"
        )
        click.echo(f"questionnaire OK: {len(questionnaire.questions)} questions in {len(questionnaire.sections)} "
                   f"sections, version {questionnaire.version}, every field the rules read is asked")
        for issue in verified.warnings:
            click.echo(f"triage: warning: {issue}", err=True)

    run_command(action)


@cli.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Output file (written atomically); standard output when absent.")
@click.option("--format", "output_format", type=click.Choice(["jsonl", "csv"]), default=None,
              help="Output format (default: by the output file's extension, else jsonl).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the machine's cores).")
@click.option("--max-errors", type=click.IntRange(min=1), default=None,
              help="Stop after this many cases could not be scored.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first case that cannot be scored.")
@click.option("--evaluate", is_flag=True,
              help="Compare with expected_urgency / expected_surgical: confusion matrix, under-triage.")
@click.option("--dask", "dask_address", default=None, metavar="SCHEDULER_ADDRESS",
              help="Score on a dask.distributed cluster (pip install 'triage[dask]').")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@RULES_OPTION
def score(inputs: tuple[str, ...], output: Optional[str], output_format: Optional[str], workers: Optional[int],
          max_errors: Optional[int], fail_fast: bool, evaluate: bool, dask_address: Optional[str], quiet: bool,
          rules_dir: Optional[str]) -> None:
    """Score many cases: case files, folders of them, JSON Lines and CSV, mixed.

    Writes one line per case, in input order: the assessment JSON (JSON Lines) or a
    flattened row (CSV). A case that cannot be read becomes a line with its id and the
    error; every other case is still scored. Exit 0 when every case was scored, 1 when
    some could not be.
    """
    from .inputs import InputNotFound, expand

    try:
        files = expand(inputs)
    except InputNotFound as exc:
        raise click.UsageError(str(exc)) from None

    def action() -> None:
        from .scoring import run_score

        load_rulebase(rules_dir)  # a broken rule base fails here, before any output is written
        failed = run_score(
            files, output=output, output_format=output_format, workers=workers,
            max_errors=1 if fail_fast else max_errors, evaluate=evaluate, dask_address=dask_address,
            quiet=quiet, rules_dir=rules_dir,
        )
        if failed:
            sys.exit(1)

    run_command(action)


@cli.command()
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
def interview(answers_file: Optional[str], session_file: str, resume_file: Optional[str], case_file: Optional[str],
              output_format: str, questionnaire_file: Optional[str], rules_dir: Optional[str]) -> None:
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
        from .assessment import Assessor
        from .interview import (
            InterviewState, ScriptedAnswers, TerminalPrompter, load_scripted_answers, load_session, run_interview,
            save_session,
        )
        from .outputs import atomic_output
        from .questionnaire import Logic, load_questionnaire
        from .render import emergency_banner, render_text

        rulebase = load_rulebase(rules_dir)
        questionnaire = load_questionnaire(questionnaire_file)
        assessor = Assessor(rulebase)
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
        labels = {level: text.label for level, text in rulebase.meta.levels.items()}
        click.echo(render_text(result.assessment, labels), nl=False)
        stop = " (stopped early: the answers already make this an emergency)" if result.stopped_early else ""
        click.echo(f"\nQuestions asked: {result.questions_asked}{stop}")

    run_command(action)


def main(argv: Optional[list[str]] = None) -> None:
    """Entry point of the ``triage`` console script and ``python -m triage``."""
    cli.main(args=argv, prog_name="triage")


cli.add_command(coverage)
cli.add_command(serve)
cli.add_command(fhir)
