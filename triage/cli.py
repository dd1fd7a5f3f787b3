"""The ``triage`` command: thin commands over the library. Errors become messages and exit codes here only.

Exit codes: 0 done; 1 bad input or a failed check; 2 usage; 3 internal error; 130 interrupted.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Optional

import click

from . import __version__
from .errors import TriageError
from .rulebook import load_rulebase

RULES_OPTION = click.option(
    "--rules", "rules_dir", type=click.Path(file_okay=False), default=None,
    help="Folder of rule files (default: the bundled rules).",
)


def _run(action: Callable[[], Any]) -> None:
    try:
        action()
    except TriageError as exc:
        click.echo(f"triage: error: {exc}", err=True)
        if exc.exit_code == 3:
            click.echo("This is a bug in triage; please report it with the case that caused it.", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("triage: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into exit 3
        click.echo(f"triage: internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("This is a bug in triage; please report it with the command and input that caused it.", err=True)
        sys.exit(3)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="triage")
def cli() -> None:
    """Triage back, neck and mid-back symptoms against cited clinical criteria."""


@cli.command()
@click.argument("case_file", metavar="CASE_FILE")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people, json for programs (case-format.md).")
@RULES_OPTION
def assess(case_file: str, output_format: str, rules_dir: Optional[str]) -> None:
    """Assess one case file (JSON or YAML; - reads standard input)."""

    def action() -> None:
        from .assessment import Assessor
        from .caseio import load_case
        from .render import render_text

        rulebase = load_rulebase(rules_dir)
        case = load_case(case_file)
        assessment = Assessor(rulebase).assess(case)
        if output_format == "json":
            click.echo(assessment.model_dump_json(indent=2))
        else:
            labels = {level: text.label for level, text in rulebase.meta.levels.items()}
            click.echo(render_text(assessment, labels), nl=False)

    _run(action)


@cli.command()
@RULES_OPTION
def check(rules_dir: Optional[str]) -> None:
    """Validate the rule base; exit 1 with every problem, located, if there is any."""

    def action() -> None:
        from .engine import DurableEngine

        rulebase = load_rulebase(rules_dir)
        DurableEngine(rulebase)  # the compiled rules must also be accepted by the engine
        files = sorted({item.file for item in rulebase.located})
        click.echo(
            f"rule base OK: {len(rulebase.rules)} rules in {len(files)} files, "
            f"{len(rulebase.meta.criteria)} criteria, version {rulebase.version}, sha256 {rulebase.content_hash[:12]}"
        )

    _run(action)


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
            inputs, files, output=output, output_format=output_format, workers=workers,
            max_errors=1 if fail_fast else max_errors, evaluate=evaluate, dask_address=dask_address,
            quiet=quiet, rules_dir=rules_dir,
        )
        if failed:
            sys.exit(1)

    _run(action)


def main(argv: Optional[list[str]] = None) -> None:
    """Entry point of the ``triage`` console script and ``python -m triage``."""
    cli.main(args=argv, prog_name="triage")
