"""``triage score``: many cases, from case files, folders, JSON Lines and CSV, to JSON Lines or CSV."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..engines import EngineName

from .common import ENGINE_OPTION, RULES_OPTION, expand_inputs, run_command


@click.command()
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
@ENGINE_OPTION
def score(inputs: tuple[str, ...], output: str | None, output_format: str | None, workers: int | None,
          max_errors: int | None, fail_fast: bool, evaluate: bool, dask_address: str | None, quiet: bool,
          rules_dir: str | None, engine: EngineName) -> None:
    """Score many cases: case files, folders of them, JSON Lines and CSV, mixed.

    Writes one line per case, in input order: the assessment JSON (JSON Lines) or a
    flattened row (CSV). A case that cannot be read becomes a line with its id and the
    error; every other case is still scored. Exit 0 when every case was scored, 1 when
    some could not be.
    """
    files = expand_inputs(inputs)

    def action() -> None:
        from ..batch.run import run_score
        from ..language.loading import load_rulebase

        load_rulebase(rules_dir)  # a broken rule base fails here, before any output is written
        failed = run_score(
            files, output=output, output_format=output_format, workers=workers,
            max_errors=1 if fail_fast else max_errors, evaluate=evaluate, dask_address=dask_address,
            quiet=quiet, rules_dir=rules_dir, engine=engine,
        )
        if failed:
            sys.exit(1)

    run_command(action)


