"""The ``triage score`` run: inputs -> scored lines -> output file, with progress and a summary on stderr."""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from ..engines import EngineName
from ..files import atomic_output
from .inputs import InputFile, Record, records_of
from .jobs import jobs_for
from .outputs import LineWriter, format_for
from .parts import in_parts
from .report import Summary, render_evaluation, render_summary
from .scoring import default_workers, score_records


class _Progress:
    """A progress bar on standard error (rich), or nothing when stderr is not a terminal or with --quiet.

    With ``total`` (the inputs' size in bytes, when every size is known) it shows how far the
    run has got and the time left; otherwise the cases scored and the time taken.
    """

    def __init__(self, total: int | None, enabled: bool):
        self._bar = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        cases = TextColumn("{task.fields[cases]:,} cases")
        columns = [SpinnerColumn(), TextColumn("scoring"), BarColumn(), TaskProgressColumn(), cases,
                   TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn()] if total else \
            [SpinnerColumn(), TextColumn("scoring"), BarColumn(), cases, TimeElapsedColumn()]
        self._bar = Progress(*columns, console=Console(stderr=True), transient=True)
        self._task = self._bar.add_task("score", total=total or None, cases=0)
        self._cases = 0
        self._bar.start()

    def advance(self, size: int, cases: int = 1) -> None:
        """``cases`` more cases scored, standing for ``size`` bytes of input."""
        if self._bar is not None:
            self._cases += cases
            self._bar.update(self._task, advance=size, cases=self._cases)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def run_score(
    files: list[InputFile], output: str | None, output_format: str | None,
    workers: int | None, max_errors: int | None, evaluate: bool, dask_address: str | None,
    quiet: bool, rules_dir: str | None, rules_label: str = "", engine: EngineName = "durable",
) -> Summary:
    """Score every case of the inputs (``inputs.expand``) into ``output``; the summary says what happened.

    ``rules_label`` names the rule base in the summary (its path and hash).
    """
    fmt = format_for(output, output_format)
    sizes = [item.size for item in files]
    if workers is None:  # the cores, but no more processes than the inputs can keep busy (one case: none)
        workers = default_workers()
        if not dask_address and (jobs := jobs_for(files, sizes)) is not None:
            workers = max(1, min(workers, jobs))
    total = sum(size for size in sizes if size is not None) if None not in sizes else None
    start = time.perf_counter()
    if in_parts(files) and (workers > 1 or dask_address):
        summary, stopped = _run_in_parts(files, sizes, output, fmt, workers, max_errors, dask_address, quiet,
                                         rules_dir, engine, total)
    else:
        summary, stopped = _run_here(files, output, fmt, workers, max_errors, dask_address, quiet, rules_dir,
                                     engine, total)
    summary.seconds = time.perf_counter() - start
    if stopped:
        print(f"triage: stopped after {summary.errors} case(s) could not be scored "
              f"({summary.cases} written); the remaining cases were not scored", file=sys.stderr)
    if not quiet:
        print(render_summary(summary, rules_label), file=sys.stderr)
    if evaluate:
        print(render_evaluation(summary), file=sys.stderr)
    return summary


def _run_in_parts(files: list[InputFile], sizes: list[int | None], output: str | None, fmt: str, workers: int,
                  max_errors: int | None, dask_address: str | None, quiet: bool, rules_dir: str | None,
                  engine: EngineName, total: int | None) -> tuple[Summary, bool]:
    """Workers (local or Dask) read, score and write parts; this process appends them (``parts``)."""
    from ..assess.assessor import Assessor
    from .jobs import JobSettings
    from .parts import local_results, parts_folder, score_in_parts

    with parts_folder(output, shared=bool(dask_address)) as folder, atomic_output(output) as stream:
        settings = JobSettings(folder, fmt, rules_dir, engine, observe=Assessor.observer is not None,
                               max_errors=max_errors)
        if dask_address:  # a Dask worker's working folder is not ours: it is told where to start
            settings = replace(settings, base=os.getcwd(),
                               rules_dir=str(Path(rules_dir).resolve()) if rules_dir is not None else None)
            from .dask import dask_results

            results, stop = dask_results(dask_address)
        else:
            results, stop = local_results(workers, rules_dir, engine)
        progress = _Progress(total, sys.stderr.isatty() and not quiet)
        try:
            return score_in_parts(files, sizes, stream, settings, results, progress, max_errors)
        finally:
            progress.stop()
            stop()  # before the parts folder goes: no worker writes in it any more


def _run_here(files: list[InputFile], output: str | None, fmt: str, workers: int, max_errors: int | None,
              dask_address: str | None, quiet: bool, rules_dir: str | None, engine: EngineName,
              total: int | None) -> tuple[Summary, bool]:
    """This process reads every case and writes every line (one worker, or standard input among the inputs)."""
    sizes: deque[int] = deque()  # bytes of each record read and not yet scored, in order

    def read() -> Iterator[Record]:
        for item in files:  # the folders were walked once
            for record in records_of(item):
                sizes.append(record.size)
                yield record

    records = read()
    if dask_address:
        from .dask import score_with_dask

        scored_stream = score_with_dask(list(records), dask_address, rules_dir, engine)
    else:
        scored_stream = score_records(records, rules_dir, workers, engine=engine)
    summary, stopped = Summary(), False
    with atomic_output(output) as stream:
        writer = LineWriter(stream, fmt)
        progress = _Progress(total, sys.stderr.isatty() and not quiet)
        try:
            for scored in scored_stream:
                writer.write(scored)
                summary.add(scored)
                progress.advance(sizes.popleft() if sizes else 0)
                if max_errors is not None and summary.errors >= max_errors:
                    stopped = True
                    break
        finally:
            progress.stop()
            close = getattr(scored_stream, "close", None)
            if close:
                close()  # stops the worker processes when we leave early
    return summary, stopped
