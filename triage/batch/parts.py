"""The main process of a run in parts: hand out job descriptions, append the part files in order, count.

Workers (local processes, ``local_results``, or Dask workers, ``dask.dask_results``) read,
score and write; here each finished job's part file is appended to the output in job order
(``os.copy_file_range`` where the kernel can, else a plain copy) and its summary merged:
the main process never parses a case. The worker that wrote a part removes it once a later
job tells it the part is appended. Part files live in a private folder beside the output
(the same file system), removed with what is left in it at the end, on error and on interrupt.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import multiprocessing
import os
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Protocol

from ..assess.assessor import Assessor
from ..engines import EngineName
from ..errors import OutputError
from ..files import output_target
from ..output_files import beside
from ..validation import display_path
from .inputs import InputFile, empty_file
from .jobs import Job, JobResult, JobSettings, plan_jobs, run_job, run_job_packed
from .outputs import LineWriter
from .report import Summary
from .scoring import error_line
from .workers import OrderedPool

#: What ``copy_file_range`` answers when these two files cannot use it: a plain copy does instead.
_NO_RANGE_COPY = frozenset({errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EBADF, errno.EOPNOTSUPP, errno.ETXTBSY,
                            errno.EPERM})

#: The results of jobs, in job order, given the (settings, job) pairs: a local pool or a Dask cluster.
Results = Callable[[Iterator[tuple[JobSettings, Job, int]]], Iterator[JobResult]]


class Progress(Protocol):
    """What a run in parts tells of its progress."""

    def advance(self, size: int, cases: int = 1) -> None:
        """``cases`` more cases scored, standing for ``size`` bytes of input."""


def in_parts(files: Sequence[InputFile]) -> bool:
    """Whether inputs can be scored in parts: every input is a file (standard input and pipes, such as ``<(cmd)``
    or ``/dev/stdin``, are read by this process: a worker's ``/dev/stdin`` is not ours)."""
    return not any(item.is_stdin or item.stream for item in files)


@contextlib.contextmanager
def parts_folder(output: str | None, shared: bool = False) -> Iterator[str]:
    """A new private folder for part files beside the output, removed with whatever is in it at the end.

    For standard output (or a device) the folder is in the temporary folder, or with
    ``shared`` (Dask workers must reach it) in the current folder.
    """
    target = output_target(output) if output is not None and output != "-" else None
    if target is not None and not target.in_place:
        where, name = str(target.file.parent), target.file.name
    else:
        where, name = (os.getcwd() if shared else tempfile.gettempdir()), "triage-score"
    room = ".XXXXXXXX.parts"  # what mkdtemp adds after the prefix: a long legal output name is cut short to fit
    prefix = beside(Path(name), room).name.removesuffix(room)
    try:
        folder = tempfile.mkdtemp(prefix=f"{prefix}.", suffix=".parts", dir=where)  # mode 0700: cases are health data
    except OSError as exc:
        why = f"cannot make a folder for the workers' parts in {display_path(where)} ({exc.strerror or exc})"
        raise OutputError(f"{display_path(output or '-')}: cannot write the output: {why}", why) from None
    try:
        yield folder
    finally:
        for _ in range(3):  # again if a Dask task still running (being cancelled) made a file while it went
            shutil.rmtree(folder, ignore_errors=True)
            if not os.path.exists(folder):
                break


def local_results(workers: int, rules_dir: str | None, engine: EngineName) -> tuple[Results, Callable[[], None]]:
    """Job results from ``workers`` local worker processes (``workers.OrderedPool``), and how to stop them."""
    from . import jobs, scoring

    context = multiprocessing.get_context("spawn" if os.name != "posix" else "forkserver")
    if os.name == "posix":  # workers start with the scoring code loaded: quick, and no import to interrupt
        context.set_forkserver_preload([scoring.__name__, jobs.__name__])
    pool = OrderedPool(context, workers, run_job_packed, scoring.process_assessor, (rules_dir, engine))

    def results(work: Iterator[tuple[JobSettings, Job, int]]) -> Iterator[JobResult]:
        yield from pool.map(work)
        pool.close()

    return results, pool.kill


def score_in_parts(files: Sequence[InputFile], sizes: Sequence[int | None], stream: IO[str], settings: JobSettings,
                   results: Results, progress: Progress, max_errors: int | None) -> tuple[Summary, bool]:
    """Score the inputs in jobs, appending each job's part to ``stream`` in order; the summary, and whether stopped.

    With ``max_errors``, the run stops exactly after that many cases could not be scored, as
    in one process: the job that reaches the limit is scored again here up to that case.
    """
    summary = Summary()
    writer = LineWriter(stream, settings.output_format)  # the CSV header: the parts have none
    observer = Assessor.observer
    handed_out: deque[Job] = deque()  # jobs handed out and not yet appended, in order

    appended = 0  # jobs whose parts are in the output: their workers remove the parts (``run_job``)

    def jobs() -> Iterator[tuple[JobSettings, Job, int]]:
        for job in plan_jobs(files, sizes):
            handed_out.append(job)
            yield settings, job, appended

    file_seen = False  # whether a range of the file being read so far held a case
    for result in results(jobs()):
        job = handed_out.popleft()
        if max_errors is not None and summary.errors + result.summary.errors >= max_errors:
            # scored again here (where the assessor tells the observer itself) up to the last case wanted
            result = run_job(replace(settings, observe=False), job, result.part + ".last", max_errors - summary.errors)
        append_part(result.part, stream)
        appended = job.number + 1
        summary.merge(result.summary)
        if observer is not None:  # assessed in worker processes: told here (in this process, by assess)
            for observation in result.observations:
                observer(observation)
        progress.advance(job.size, result.summary.cases)
        if job.kind == "lines":
            file_seen = file_seen or result.seen_any
            if job.last and not file_seen and job.path is not None:  # every range of the file was blank
                record = empty_file(*_names(job.path))
                scored = error_line(record.default_id, record.source, record.error or "")
                writer.write(scored)
                summary.add(scored)
            file_seen = file_seen and not job.last
        if max_errors is not None and summary.errors >= max_errors:
            return summary, True
    return summary, False


def _names(path: Path) -> tuple[str, str]:
    return display_path(path), display_path(path.stem)


def append_part(part: str, stream: IO[str]) -> None:
    """Append the bytes of a part file to a text stream (flushed first): in the kernel when it can.

    Parts are UTF-8; a stream of another encoding (``PYTHONIOENCODING=latin-1``) is given the text,
    which it encodes with its own error handler, as it would the lines written to it directly.
    """
    stream.flush()
    encoding = getattr(stream, "encoding", None) or "utf-8"
    if codecs.lookup(encoding).name != "utf-8":
        with open(part, encoding="utf-8", newline="") as text:
            while chunk := text.read(1 << 20):
                stream.write(chunk)
        stream.flush()
        return
    with open(part, "rb") as source:
        left = os.fstat(source.fileno()).st_size
        try:
            target = stream.fileno()
        except (OSError, ValueError, AttributeError):
            target = -1
        if target >= 0 and hasattr(os, "copy_file_range"):
            with contextlib.suppress(_Unsupported):
                while left > 0:
                    left -= _copy_range(source.fileno(), target, left)
                if left <= 0:
                    return
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            shutil.copyfileobj(source, buffer)
            buffer.flush()
        else:
            stream.write(source.read().decode("utf-8"))


class _Unsupported(Exception):
    """``copy_file_range`` cannot copy between these two files (a pipe, another file system, an old kernel)."""


def _copy_range(source: int, target: int, count: int) -> int:
    try:
        copied = os.copy_file_range(source, target, count)
    except OSError as exc:
        if exc.errno in _NO_RANGE_COPY:
            raise _Unsupported from None
        raise
    if copied == 0:
        raise _Unsupported
    return copied
