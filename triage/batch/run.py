"""The ``triage score`` run: inputs -> scored lines -> output file, with progress and a summary on stderr."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..engines import EngineName
from ..files import atomic_output
from .inputs import CASE_FILE_SUFFIXES, records_of_file
from .outputs import LineWriter, format_for
from .report import Summary, render_evaluation, render_summary
from .scoring import default_workers, score_records


class _Progress:
    """A progress bar on standard error (rich), or nothing when stderr is not a terminal or with --quiet."""

    def __init__(self, total: int | None, enabled: bool):
        self._bar = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        count = MofNCompleteColumn() if total else TextColumn("{task.completed:,} cases")
        self._bar = Progress(SpinnerColumn(), TextColumn("scoring"), BarColumn(), count, TimeElapsedColumn(),
                             console=Console(stderr=True), transient=True)
        self._task = self._bar.add_task("score", total=total)
        self._bar.start()

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def run_score(
    files: list[Path], output: str | None, output_format: str | None,
    workers: int | None, max_errors: int | None, evaluate: bool, dask_address: str | None,
    quiet: bool, rules_dir: str | None, engine: EngineName = "durable",
) -> bool:
    """Score every case of the input files (``inputs.expand``) into ``output``; returns whether some case failed."""
    fmt = format_for(output, output_format)
    records = (record for path in files for record in records_of_file(path))  # the folders were walked once
    if dask_address:
        from .dask import score_with_dask

        scored_stream = score_with_dask(list(records), dask_address, rules_dir, engine)
    else:
        scored_stream = score_records(records, rules_dir, workers or default_workers(), engine=engine)
    single_files = all(f.suffix.lower() in CASE_FILE_SUFFIXES for f in files)
    summary, stopped = Summary(), False
    start = time.perf_counter()
    with atomic_output(output) as stream:
        writer = LineWriter(stream, fmt)
        progress = _Progress(len(files) if single_files else None, sys.stderr.isatty() and not quiet)
        try:
            for scored in scored_stream:
                writer.write(scored)
                summary.add(scored)
                progress.advance()
                if max_errors is not None and summary.errors >= max_errors:
                    stopped = True
                    break
        finally:
            progress.stop()
            close = getattr(scored_stream, "close", None)
            if close:
                close()  # stops the worker pool when we leave early
    summary.seconds = time.perf_counter() - start
    if stopped:
        print(f"triage: stopped after {summary.errors} case(s) could not be scored "
              f"({summary.cases} written); the remaining cases were not scored", file=sys.stderr)
    if not quiet:
        print(render_summary(summary), file=sys.stderr)
    if evaluate:
        print(render_evaluation(summary), file=sys.stderr)
    return summary.errors > 0
