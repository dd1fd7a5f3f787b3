"""``triage score``: many cases, from case files, folders, JSON Lines and CSV, to JSON Lines or CSV."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..engines import EngineName

from .common import ENGINE_OPTION, RULES_OPTION, expand_inputs, rules_label, run_command, shown


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="INPUT...")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Output file (written atomically; a second run writing it refuses); standard output when absent.")
@click.option("--format", "output_format", type=click.Choice(["jsonl", "csv"]), default=None,
              help="Output format (default: by the output file's extension, else jsonl).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: the machine's cores, but no more than the inputs can keep busy: "
                   "none for a few small files); each reads, scores and writes its share of the input files.")
@click.option("--max-errors", type=click.IntRange(min=1), default=None,
              help="Stop after this many cases could not be scored (at the same case for any number of workers).")
@click.option("--fail-fast", is_flag=True, help="Stop at the first case that cannot be scored.")
@click.option("--evaluate", is_flag=True,
              help="Compare with expected_urgency / expected_surgical: confusion matrix, under- and over-triage.")
@click.option("--fail-on-under-triage", is_flag=True,
              help="With --evaluate (implied): exit 1 when a case is assessed below its expected_urgency.")
@click.option("--dask", "dask_address", default=None, metavar="SCHEDULER_ADDRESS",
              help="Score on a dask.distributed cluster, whose workers read the inputs and write parts beside the "
                   "output: they must see the same files at the same paths (needs the dask extra: pip install "
                   "'.[dask]').")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary.")
@RULES_OPTION
@ENGINE_OPTION
def score(inputs: tuple[str, ...], output: str | None, output_format: str | None, workers: int | None,
          max_errors: int | None, fail_fast: bool, evaluate: bool, fail_on_under_triage: bool,
          dask_address: str | None, quiet: bool, rules_dir: str | None, engine: EngineName) -> None:
    """Score many cases: case files, folders of them, JSON Lines and CSV, mixed; - reads JSON Lines from stdin.

    Writes one line per case, in input order: the assessment JSON (JSON Lines) or a
    flattened row (CSV). A case that cannot be read becomes a line with its id and the
    error; every other case is still scored. Exit 0 when every case was scored, 1 when
    some could not be (or a gate failed, or an input or the output cannot be used).
    """

    def action() -> None:
        from ..batch.run import run_score
        from ..batch.scoring import process_assessor
        from ..files import output_lock
        from ..language.loading import load_rulebase

        # Everything that can be wrong before the work is found before the work: the output
        # path (and its lock), the inputs, the Dask scheduler, the rule base.
        with output_lock(output):
            files = expand_inputs(inputs)
            if dask_address:
                from ..batch.dask import check_scheduler

                check_scheduler(dask_address)
            rulebase = load_rulebase(rules_dir)
            process_assessor(rules_dir, engine)  # the engine accepts the rules here, not in each worker
            summary = run_score(
                files, output=output, output_format=output_format, workers=workers,
                max_errors=1 if fail_fast else max_errors, evaluate=evaluate or fail_on_under_triage,
                dask_address=dask_address, quiet=quiet, rules_dir=rules_dir, rules_label=rules_label(rulebase),
                engine=engine,
            )
        failed = summary.errors > 0
        if fail_on_under_triage and summary.under_triaged:
            cases = ", ".join(shown(case) for case, _, _ in summary.under_triaged[:20])
            more = len(summary.under_triaged) - 20
            click.echo(f"triage: {len(summary.under_triaged)} case(s) under-triaged (--fail-on-under-triage): "
                       f"{cases}{f' and {more} more' if more > 0 else ''}", err=True)
            failed = True
        if failed:
            sys.exit(1)

    run_command(action)
